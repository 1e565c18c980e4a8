//! Fixtures shared by the integration tests and the benchmarks: a fresh store per
//! test on either backend, raw SQL access beside the store, and event builders.
//!
//! Every test gets a store of its own, so tests run in parallel: a new SQLite file
//! in a temporary folder, or a new schema in the PostgreSQL database named by
//! `KROONIKA_TEST_POSTGRES` (dropped again by [`TestStore::cleanup`]). Without that
//! variable the PostgreSQL cases are skipped, and the run says so once on stderr.

use std::io::Write;
use std::sync::Once;

use chrono::{DateTime, TimeZone, Utc};
use kroonika_engine::{Metadata, NewEvent};
use kroonika_store::Store;
use sqlx::Connection;
use uuid::Uuid;

/// The variable that names the PostgreSQL server for tests.
pub const POSTGRES_VAR: &str = "KROONIKA_TEST_POSTGRES";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store made for one test, with its URL and what it takes to clean up.
#[derive(Debug)]
pub struct TestStore {
    pub store: Store,
    pub url: String,
    pub backend: Backend,
    /// The temporary folder holding the SQLite file (removed when dropped).
    pub dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestStore {
    /// A URL for a store that does not exist yet, on the given backend, plus what
    /// `cleanup` needs. Returns None for PostgreSQL when it is not configured.
    pub async fn fresh_url(
        backend: Backend,
    ) -> Option<(String, Option<tempfile::TempDir>, Option<(String, String)>)> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("creating a temporary folder");
                let url = format!("sqlite://{}", dir.path().join("kroonika.db").display());
                Some((url, Some(dir), None))
            }
            Backend::Postgres => {
                let base = postgres_url()?;
                let schema = format!("kt_{}", Uuid::now_v7().simple());
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options[search_path]={schema}");
                Some((url, None, Some((base, schema))))
            }
        }
    }

    /// A new, initialised, empty store. None when the backend is not configured.
    pub async fn new(backend: Backend) -> Option<TestStore> {
        let (url, dir, pg) = Self::fresh_url(backend).await?;
        let (store, _) = Store::init(&url).await.expect("initialising a test store");
        Some(TestStore {
            store,
            url,
            backend,
            dir,
            pg,
        })
    }

    /// Raw access to a store made elsewhere (by the CLI), for `raw_execute`.
    pub fn attach(url: &str, backend: Backend) -> RawAccess {
        RawAccess {
            url: url.to_owned(),
            backend,
        }
    }

    /// Runs one raw SQL statement on a connection of its own, beside the store: the
    /// way someone with database access would, bypassing Kroonika.
    pub async fn raw_execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        self.raw(sql).await
    }

    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        Self::attach(&self.url, self.backend).raw_execute(sql).await
    }

    /// Closes the store and drops its PostgreSQL schema.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((base, schema)) = &self.pg {
            drop_schema(base, schema).await;
        }
    }
}

/// Drops a test schema; best effort, a failure only leaves a schema behind.
pub async fn drop_schema(base: &str, schema: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(base).await {
        let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// The PostgreSQL URL for tests, or None (saying so once) when it is not set.
pub fn postgres_url() -> Option<String> {
    static SKIP_NOTE: Once = Once::new();
    match std::env::var(POSTGRES_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            SKIP_NOTE.call_once(|| {
                // Straight to the process's stderr: the test harness captures
                // eprintln!, and this note must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {POSTGRES_VAR} is not set; the PostgreSQL cases are skipped (they pass without running)"
                );
            });
            None
        }
    }
}

/// A fixed instant for metadata, so event JSON is reproducible.
pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("a valid test date")
}

/// Builds an event with a fresh UUIDv7 id.
pub fn event(event_type: &str, data: serde_json::Value) -> NewEvent {
    event_with_id(Uuid::now_v7(), event_type, data)
}

/// Builds an event with the given id; metadata says actor "mari" did it at a fixed time.
pub fn event_with_id(id: Uuid, event_type: &str, data: serde_json::Value) -> NewEvent {
    let command_id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
    NewEvent::new(
        id,
        event_type,
        &data,
        Metadata::for_command("mari", command_id, at(24, 9)),
    )
    .expect("a valid test event")
}

/// Raw SQL access to a store's database, beside Kroonika.
#[derive(Debug)]
pub struct RawAccess {
    url: String,
    backend: Backend,
}

impl RawAccess {
    /// Drops the triggers that keep the log append-only, as someone with
    /// rights over the database could.
    pub async fn drop_append_only_triggers(&self) {
        let statements: &[&str] = match self.backend {
            Backend::Sqlite => &[
                "DROP TRIGGER events_no_update",
                "DROP TRIGGER events_no_delete",
            ],
            Backend::Postgres => &["DROP TRIGGER events_no_update_or_delete ON events"],
        };
        for sql in statements {
            self.raw_execute(sql)
                .await
                .expect("the append-only triggers can be dropped");
        }
    }

    /// Runs one raw SQL statement on a connection of its own, beside the store: the
    /// way someone with database access would, bypassing Kroonika.
    pub async fn raw_execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await?;
                let done = sqlx::query(sql).execute(&mut conn).await?;
                conn.close().await?;
                Ok(done.rows_affected())
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await?;
                let done = sqlx::query(sql).execute(&mut conn).await?;
                conn.close().await?;
                Ok(done.rows_affected())
            }
        }
    }
}
