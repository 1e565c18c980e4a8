//! The shared backend: PostgreSQL, for several machines working on the same cases.
//!
//! Ordering: sequence values are handed out before commit, so two writers could
//! commit out of order and a reader resuming after the later one would skip the
//! earlier one forever. Instead every write calls `kroonika_begin_append` (see the
//! migrations), which takes one transaction-scoped advisory lock per store and only
//! then reads the head, so writes commit one at a time and positions are assigned
//! head + 1 in commit order, without gaps. The lock is released at commit, after
//! the rows are visible, so the next writer always sees them. The cost, measured
//! on these machines, is that concurrent writes no longer overlap; a write is
//! four round trips (BEGIN, lock-and-head, one UNNEST insert, COMMIT), so batching
//! events per write keeps throughput high.
//!
//! Subscriptions wake through LISTEN/NOTIFY: the lock function queues a
//! notification that PostgreSQL delivers only if the write commits.
//!
//! By concern: `events.rs` reads and appends events (and implements the write
//! path's [`crate::backend::Backend`]), `keys.rs` subject keys, `credentials.rs` passwords, tokens,
//! sessions and failed sign-ins, `timers.rs`
//! wake-ups, `projections.rs` projection documents, `import.rs` loading an export.

mod credentials;
mod events;
mod import;
mod index;
mod keys;
mod projections;
mod timers;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::error::{Error, Result};
use crate::schema::Found;
use crate::store::StoreOptions;

pub(crate) use events::INSERT_SQL;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The notification channel `kroonika_begin_append` notifies on.
const CHANNEL: &str = "kroonika_events";

#[derive(Debug)]
pub(crate) struct PgBackend {
    pool: PgPool,
}

impl PgBackend {
    pub(crate) fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    pub(crate) async fn connect(
        connect: PgConnectOptions,
        location: &str,
        create: bool,
        options: &StoreOptions,
    ) -> Result<Self> {
        let connect = connect.application_name("kroonika");
        let unreachable = |source: sqlx::Error| Error::Unreachable {
            location: location.to_owned(),
            reason: crate::error::describe(&source),
        };
        // One plain connection first: a pool would retry until its timeout and then
        // report only that it timed out, hiding "connection refused" or "password
        // authentication failed".
        let first = tokio::time::timeout(options.timeout, PgConnection::connect_with(&connect))
            .await
            .map_err(|_| unreachable(sqlx::Error::PoolTimedOut))?
            .map_err(unreachable)?;
        first.close().await.map_err(unreachable)?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(options.timeout)
            .connect_with(connect)
            .await
            .map_err(unreachable)?;
        let backend = PgBackend { pool };
        if create {
            backend.create_schema().await?;
        }
        Ok(backend)
    }

    /// Creates the first schema on the search path if it does not exist, so that
    /// `?options[search_path]=kroonika` is all it takes to give a store its own schema.
    async fn create_schema(&self) -> Result<()> {
        let current: Option<String> = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&self.pool)
            .await?;
        if current.is_some() {
            return Ok(());
        }
        let search_path: String = sqlx::query_scalar("SELECT current_setting('search_path')")
            .fetch_one(&self.pool)
            .await?;
        let first = search_path
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .find(|s| !s.is_empty() && *s != "$user");
        if let Some(schema) = first {
            let quoted = schema.replace('"', "\"\"");
            sqlx::query(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{quoted}\""
            )))
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn found(&self) -> Result<Found> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(&self.pool)
        .await?;
        let has = |name: &str| tables.iter().any(|t| t == name);
        let mut found = Found {
            // sqlx makes its own table before the first migration: alone, it
            // is an init that was interrupted before anything else was made.
            any_tables: tables.iter().any(|t| t != "_sqlx_migrations"),
            ..Found::default()
        };
        if has("store_info") {
            found.format = sqlx::query_scalar("SELECT value FROM store_info WHERE key = 'format'")
                .fetch_optional(&self.pool)
                .await?;
        }
        if has("_sqlx_migrations") {
            found.applied =
                sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&self.pool)
                    .await?;
        }
        Ok(found)
    }

    pub(crate) async fn migrate(&self, location: &str) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| Error::Migrate {
                location: location.to_owned(),
                source,
            })
    }

    pub(crate) async fn store_info(&self) -> Result<(String, String)> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT key, value FROM store_info WHERE key IN ('store_id', 'created_at')",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(crate::schema::pick_info(rows))
    }

    pub(crate) async fn info_value(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn put_info_once(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO store_info (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = $1")
                .bind(key)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn destroy(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            // Every table the migrations make (a new one is added here too).
            "DROP TABLE IF EXISTS events, timers, projection_checkpoints, projection_docs, subject_keys, search_index, \
             passwords, tokens, sessions, sign_in_failures, store_info, _sqlx_migrations CASCADE",
            "DROP FUNCTION IF EXISTS kroonika_begin_append(text)",
            "DROP FUNCTION IF EXISTS kroonika_events_immutable()",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn listener(&self) -> Result<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}
