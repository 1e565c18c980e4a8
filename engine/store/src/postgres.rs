//! The shared backend: PostgreSQL, for several machines working on the same cases.
//!
//! Ordering: sequence values are handed out before commit, so two writers could
//! commit out of order and a reader resuming after the later one would skip the
//! earlier one forever. Instead every append calls `kroonika_begin_append` (see the
//! migration), which takes one transaction-scoped advisory lock per store and only
//! then reads the head, so appends commit one at a time and positions are assigned
//! head + 1 in commit order, without gaps. The lock is released at commit, after
//! the rows are visible, so the next writer always sees them. The cost, measured
//! on these machines, is that concurrent appends no longer overlap; an append is
//! four round trips (BEGIN, lock-and-head, one UNNEST insert, COMMIT), so batching
//! events per append keeps throughput high.
//!
//! Subscriptions wake through LISTEN/NOTIFY: the lock function queues a
//! notification that PostgreSQL delivers only if the append commits.

use chrono::{DateTime, Utc};
use kroonika_engine::{RecordedEvent, StreamName};
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::append::{signed, unsigned};
use crate::chain::ChainRow;
use crate::error::{Error, Result};
use crate::keys::SubjectKeyRow;
use crate::projection::{DocChanges, ProjectionState};
use crate::read::{Direction, ReadFrom, StoredRow, limit};
use crate::schema::Found;
use crate::store::{Backend, Head, Plan, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The notification channel `kroonika_begin_append` notifies on.
const CHANNEL: &str = "kroonika_events";

/// `SELECT <the columns a Row decodes> FROM events <tail>`, as a `&'static str`.
/// JSON is read as text: the exact stored bytes, and cheaper than decoding `json`.
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT position, stream, revision, event_id, event_type, data::text, metadata::text, recorded_at FROM events ",
            $tail
        )
    };
}

type Row = (
    i64,
    String,
    i64,
    Uuid,
    String,
    String,
    String,
    DateTime<Utc>,
);

/// The one INSERT of every append, whatever its size: $1..$3 (stream, category,
/// recorded-at) are shared, $4..$10 are arrays with one element per event.
pub(crate) const INSERT_SQL: &str = "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash) \
     SELECT u.position, $1, $2, u.revision, u.event_id, u.event_type, u.data::json, u.metadata::json, $3, u.hash \
     FROM UNNEST($4::bigint[], $5::bigint[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::bytea[]) \
          AS u(position, revision, event_id, event_type, data, metadata, hash)";

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
            any_tables: !tables.is_empty(),
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

    pub(crate) async fn read_stream(
        &self,
        stream: &StreamName,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let sql = match direction {
            Direction::Forwards => {
                select!("WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3")
            }
            Direction::Backwards => {
                select!("WHERE stream = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3")
            }
        };
        let rows: Vec<Row> = sqlx::query_as(sql)
            .bind(stream.as_str())
            .bind(from.bound(0))
            .bind(limit(max_count))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(decode).collect()
    }

    pub(crate) async fn read_all(
        &self,
        category: Option<&str>,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let sql = match (category.is_some(), direction) {
            (false, Direction::Forwards) => {
                select!("WHERE position >= $1 ORDER BY position LIMIT $2")
            }
            (false, Direction::Backwards) => {
                select!("WHERE position <= $1 ORDER BY position DESC LIMIT $2")
            }
            (true, Direction::Forwards) => {
                select!("WHERE category = $3 AND position >= $1 ORDER BY position LIMIT $2")
            }
            (true, Direction::Backwards) => {
                select!("WHERE category = $3 AND position <= $1 ORDER BY position DESC LIMIT $2")
            }
        };
        let mut query = sqlx::query_as::<_, Row>(sql)
            .bind(from.bound(1))
            .bind(limit(max_count));
        if let Some(category) = category {
            query = query.bind(category.to_owned());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter().map(decode).collect()
    }

    pub(crate) async fn stream_revision(&self, stream: &StreamName) -> Result<Option<u64>> {
        let revision: Option<i64> =
            sqlx::query_scalar("SELECT max(revision) FROM events WHERE stream = $1")
                .bind(stream.as_str())
                .fetch_one(&self.pool)
                .await?;
        revision.map(|r| unsigned(r, "revision", 0)).transpose()
    }

    pub(crate) async fn head_position(&self) -> Result<u64> {
        let head: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events")
            .fetch_one(&self.pool)
            .await?;
        unsigned(head.unwrap_or(0), "position", 0)
    }

    pub(crate) async fn read_chain(&self, from: u64, max_count: usize) -> Result<Vec<ChainRow>> {
        type Raw = (
            i64,
            String,
            i64,
            Uuid,
            String,
            String,
            String,
            DateTime<Utc>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT position, stream, revision, event_id, event_type, data::text, metadata::text, recorded_at, hash \
             FROM events WHERE position >= $1 ORDER BY position LIMIT $2",
        )
        .bind(signed(from))
        .bind(limit(max_count))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(
                    position,
                    stream,
                    revision,
                    id,
                    event_type,
                    data,
                    metadata,
                    recorded_at,
                    hash,
                )| {
                    Ok(ChainRow {
                        position: unsigned(position, "position", position)?,
                        stream,
                        revision: unsigned(revision, "revision", position)?,
                        id,
                        event_type,
                        data,
                        metadata,
                        recorded_at,
                        hash: crate::chain::stored(hash, position)?,
                    })
                },
            )
            .collect()
    }

    pub(crate) async fn info_value(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn subject_keys(
        &self,
        stream: Option<&str>,
        subject: Option<Uuid>,
    ) -> Result<Vec<SubjectKeyRow>> {
        type Raw = (
            Uuid,
            String,
            String,
            Option<Vec<u8>>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT subject, stream, name, wrapped, created_at, erased_at FROM subject_keys \
             WHERE ($1::text IS NULL OR stream = $1) AND ($2::uuid IS NULL OR subject = $2) ORDER BY stream, name",
        )
        .bind(stream)
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(subject, stream, name, wrapped, created_at, erased_at)| SubjectKeyRow {
                    subject,
                    stream,
                    name,
                    wrapped,
                    created_at,
                    erased_at,
                },
            )
            .collect())
    }

    pub(crate) async fn put_subject_key(
        &self,
        subject: Uuid,
        stream: &str,
        name: &str,
        wrapped: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO subject_keys (subject, stream, name, wrapped, created_at) VALUES ($1, $2, $3, $4, now()) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(subject)
        .bind(stream)
        .bind(name)
        .bind(wrapped)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn new_subject_keys(&self, keys: &[SubjectKeyRow]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO subject_keys (subject, stream, name, wrapped, created_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::timestamptz[])",
        )
        .bind(keys.iter().map(|k| k.subject).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.stream.as_str()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.wrapped.clone()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.created_at).collect::<Vec<_>>())
        .execute(&self.pool)
        .await?;
        Ok(())
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

    pub(crate) async fn begin_import(&self) -> Result<(Transaction<'static, Postgres>, u64)> {
        let mut tx = self.pool.begin().await?;
        let head: i64 = sqlx::query_scalar("SELECT head FROM kroonika_begin_append('')")
            .fetch_one(&mut *tx)
            .await?;
        Ok((tx, unsigned(head, "position", 0)?))
    }

    pub(crate) async fn import_rows(
        tx: &mut Transaction<'static, Postgres>,
        rows: &[ChainRow],
    ) -> Result<()> {
        const CHUNK: usize = 5_000;
        for chunk in rows.chunks(CHUNK) {
            let mut categories = Vec::with_capacity(chunk.len());
            for row in chunk {
                categories.push(StreamName::new(row.stream.clone())?.category().to_owned());
            }
            sqlx::query(
                "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash) \
                 SELECT u.position, u.stream, u.category, u.revision, u.event_id, u.event_type, u.data::json, u.metadata::json, u.recorded_at, u.hash \
                 FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[]) \
                 AS u(position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash)",
            )
            .bind(chunk.iter().map(|r| signed(r.position)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.stream.as_str()).collect::<Vec<_>>())
            .bind(categories)
            .bind(chunk.iter().map(|r| signed(r.revision)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.event_type.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.data.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.metadata.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.hash.map(|h| h.to_vec())).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn import_keys(
        tx: &mut Transaction<'static, Postgres>,
        keys: &[SubjectKeyRow],
    ) -> Result<()> {
        for key in keys {
            sqlx::query("INSERT INTO subject_keys (subject, stream, name, wrapped, created_at, erased_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(key.subject)
                .bind(&key.stream)
                .bind(&key.name)
                .bind(key.wrapped.as_deref())
                .bind(key.created_at)
                .bind(key.erased_at)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn import_info(
        tx: &mut Transaction<'static, Postgres>,
        info: &[(&str, String)],
    ) -> Result<()> {
        for (key, value) in info {
            sqlx::query("INSERT INTO store_info (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(*key)
                .bind(value)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn due_timers(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(StreamName, DateTime<Utc>)>> {
        let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT stream, due_at FROM timers WHERE due_at <= $1 ORDER BY due_at, stream LIMIT $2",
        )
        .bind(now)
        .bind(crate::read::limit(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(stream, due)| Ok((StreamName::new(stream)?, due)))
            .collect()
    }

    pub(crate) async fn projection_states(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<ProjectionState>> {
        let rows: Vec<(String, i64, Option<String>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT name, position, error, updated_at FROM projection_checkpoints WHERE $1::text IS NULL OR name = $1 ORDER BY name",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(name, position, error, updated_at)| {
                Ok(ProjectionState {
                    name,
                    position: unsigned(position, "checkpoint", 0)?,
                    error,
                    updated_at,
                })
            })
            .collect()
    }

    pub(crate) async fn projection_docs(
        &self,
        projection: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<(String, Value)>> {
        let rows: Vec<(String, String)> = match keys {
            None => {
                sqlx::query_as("SELECT key, doc::text FROM projection_docs WHERE projection = $1 ORDER BY key")
                    .bind(projection)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(keys) => {
                sqlx::query_as("SELECT key, doc::text FROM projection_docs WHERE projection = $1 AND key = ANY($2)")
                    .bind(projection)
                    .bind(keys)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter()
            .map(|(key, doc)| {
                let doc = serde_json::from_str(&doc).map_err(|err| Error::Corrupt {
                    position: 0,
                    reason: format!("projection document '{key}': {err}"),
                })?;
                Ok((key, doc))
            })
            .collect()
    }

    /// See `Store::commit_projection`.
    pub(crate) async fn commit_projection(
        &self,
        name: &str,
        from: u64,
        to: u64,
        changes: &DocChanges,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ($1, 0, now()) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query("UPDATE projection_checkpoints SET position = $1, error = NULL, updated_at = now() WHERE name = $2 AND position = $3")
            .bind(signed(to))
            .bind(name)
            .bind(signed(from))
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if !changes.put.is_empty() {
            let keys: Vec<&str> = changes.put.iter().map(|(k, _)| k.as_str()).collect();
            let docs: Vec<String> = changes.put.iter().map(|(_, d)| d.to_string()).collect();
            sqlx::query(
                "INSERT INTO projection_docs (projection, key, doc) SELECT $1, u.k, u.d::json FROM UNNEST($2::text[], $3::text[]) AS u(k, d) \
                 ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc",
            )
            .bind(name)
            .bind(keys)
            .bind(docs)
            .execute(&mut *tx)
            .await?;
        }
        if !changes.delete.is_empty() {
            sqlx::query("DELETE FROM projection_docs WHERE projection = $1 AND key = ANY($2)")
                .bind(name)
                .bind(&changes.delete)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn record_projection_error(&self, name: &str, error: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, position, error, updated_at) VALUES ($1, 0, $2, now()) \
             ON CONFLICT (name) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces projection `name` by `staging` (documents and checkpoint) in one transaction.
    pub(crate) async fn swap_projection(&self, staging: &str, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_docs SET projection = $1 WHERE projection = $2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_checkpoints SET name = $1 WHERE name = $2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn drop_projection(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drops every object migrations made in the current schema, in one
    /// transaction (the schema itself stays).
    pub(crate) async fn destroy(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DROP TABLE IF EXISTS events, timers, projection_checkpoints, projection_docs, subject_keys, store_info, _sqlx_migrations CASCADE",
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

impl Backend for PgBackend {
    type Tx = Transaction<'static, Postgres>;

    async fn begin_append(&self, stream: &StreamName) -> Result<(Self::Tx, Head)> {
        let mut tx = self.pool.begin().await?;
        let (position, hash, stream_revision, now): (
            i64,
            Option<Vec<u8>>,
            Option<i64>,
            DateTime<Utc>,
        ) = sqlx::query_as(
            "SELECT head, head_hash, stream_revision, now FROM kroonika_begin_append($1)",
        )
        .bind(stream.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let head = Head {
            position: unsigned(position, "position", 0)?,
            stream_revision: stream_revision
                .map(|r| unsigned(r, "revision", 0))
                .transpose()?,
            now,
            hash: crate::chain::stored(hash, position)?,
        };
        Ok((tx, head))
    }

    async fn insert(&self, tx: &mut Self::Tx, plan: &Plan<'_>) -> Result<(), sqlx::Error> {
        let events = plan.batch.events;
        let count = events.len() as u64;
        let positions: Vec<i64> = (0..count)
            .map(|i| signed(plan.first_position + i))
            .collect();
        let revisions: Vec<i64> = (0..count)
            .map(|i| signed(plan.first_revision + i))
            .collect();
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
        let metadata: Vec<&str> = plan.batch.metadata.iter().map(String::as_str).collect();
        let hashes: Vec<&[u8]> = plan.hashes.iter().map(|h| h.as_slice()).collect();
        sqlx::query(INSERT_SQL)
            .bind(plan.stream.as_str())
            .bind(plan.stream.category())
            .bind(plan.recorded_at)
            .bind(positions)
            .bind(revisions)
            .bind(ids)
            .bind(types)
            .bind(data)
            .bind(metadata)
            .bind(hashes)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn rollback(&self, tx: Self::Tx) -> Result<()> {
        Ok(tx.rollback().await?)
    }

    async fn destroy_keys(&self, tx: &mut Self::Tx, subjects: &[Uuid]) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE subject_keys SET wrapped = NULL, erased_at = now() WHERE subject = ANY($1) AND wrapped IS NOT NULL")
            .bind(subjects)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn set_timer(
        &self,
        tx: &mut Self::Tx,
        stream: &StreamName,
        due: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        match due {
            Some(due) => {
                sqlx::query("INSERT INTO timers (stream, due_at) VALUES ($1, $2) ON CONFLICT (stream) DO UPDATE SET due_at = excluded.due_at")
                    .bind(stream.as_str())
                    .bind(due)
                    .execute(&mut **tx)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM timers WHERE stream = $1")
                    .bind(stream.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn lookup(&self, ids: &[Uuid]) -> Result<Vec<RecordedEvent>> {
        let rows: Vec<Row> = sqlx::query_as(select!("WHERE event_id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(decode).collect()
    }
}

fn decode(row: Row) -> Result<RecordedEvent> {
    let (position, stream, revision, id, event_type, data, metadata, recorded_at) = row;
    StoredRow {
        position,
        stream,
        revision,
        id,
        event_type,
        data,
        metadata,
        recorded_at,
    }
    .into_event()
}
