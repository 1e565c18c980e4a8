//! The embedded backend: one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time, and that is the ordering guarantee: an
//! append runs `BEGIN IMMEDIATE` (taking the file's write lock before reading
//! anything, so two processes can never both read the same head), reads the head,
//! and inserts at head + 1. Commit order is position order, with no gaps.
//!
//! Within a process, appends go through a pool of exactly one write connection, so
//! they queue in the pool instead of spinning on SQLite's busy handler; reads use
//! their own pool and, in WAL mode, never wait for the writer. Another process on
//! the same file waits up to `StoreOptions::timeout` for the lock.
//!
//! sqlx charges a fixed cost per statement here (each is a round trip to the
//! connection's worker thread), so an append is four statements whatever its size:
//! BEGIN, one head query, one multi-row INSERT, COMMIT.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use kroonika_engine::{RecordedEvent, StreamName};
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use uuid::Uuid;

use crate::append::{signed, unsigned};
use crate::chain::ChainRow;
use crate::error::{Error, Result};
use crate::keys::SubjectKeyRow;
use crate::read::{Direction, ReadFrom, StoredRow, limit};

use crate::projection::{DocChanges, ProjectionState};
use crate::schema::Found;
use crate::store::{Backend, Head, Plan, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The 16 bytes every SQLite database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Rows per INSERT statement: 6 bound values a row plus 3 shared stay far below
/// SQLite's limit of 32,766 variables, and larger batches are split.
const ROWS_PER_STATEMENT: usize = 500;

/// `SELECT <the columns a Row decodes> FROM events <tail>`, as a `&'static str`.
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT position, stream, revision, event_id, event_type, data, metadata, recorded_at FROM events ",
            $tail
        )
    };
}

#[derive(Debug)]
pub(crate) struct SqliteBackend {
    read: SqlitePool,
    write: SqlitePool,
}

type Row = (i64, String, i64, Uuid, String, String, String, i64);

impl SqliteBackend {
    pub(crate) fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    pub(crate) async fn connect(
        connect: SqliteConnectOptions,
        path: &Path,
        location: &str,
        create: bool,
        options: &StoreOptions,
    ) -> Result<Self> {
        check_file(path, location, create)?;
        let connect = connect
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk when append returns, even across a power cut.
            .synchronous(if options.durable {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .busy_timeout(options.timeout)
            .foreign_keys(true)
            // Erased subject keys are overwritten with zeros, not only unlinked.
            .pragma("secure_delete", "on");
        let unreachable = |source: sqlx::Error| Error::Unreachable {
            location: location.to_owned(),
            reason: crate::error::describe(&source),
        };
        // An embedded connection cannot go stale, so the pool's ping before
        // each acquire (a round trip to the connection's worker thread) buys nothing.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(options.timeout)
            .connect_with(connect.clone())
            .await
            .map_err(unreachable)?;
        let read = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .test_before_acquire(false)
            .acquire_timeout(options.timeout)
            .connect_with(connect)
            .await
            .map_err(unreachable)?;
        Ok(SqliteBackend { read, write })
    }

    pub(crate) async fn found(&self) -> Result<Found> {
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_schema WHERE type = 'table'")
                .fetch_all(&self.read)
                .await?;
        let has = |name: &str| tables.iter().any(|(t,)| t == name);
        let mut found = Found {
            any_tables: !tables.is_empty(),
            ..Found::default()
        };
        if has("store_info") {
            found.format = sqlx::query_scalar("SELECT value FROM store_info WHERE key = 'format'")
                .fetch_optional(&self.read)
                .await?;
        }
        if has("_sqlx_migrations") {
            found.applied =
                sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&self.read)
                    .await?;
        }
        Ok(found)
    }

    pub(crate) async fn migrate(&self, location: &str) -> Result<()> {
        MIGRATOR
            .run(&self.write)
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
        .fetch_all(&self.read)
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
                select!("WHERE stream = ?1 AND revision >= ?2 ORDER BY revision LIMIT ?3")
            }
            Direction::Backwards => {
                select!("WHERE stream = ?1 AND revision <= ?2 ORDER BY revision DESC LIMIT ?3")
            }
        };
        let rows: Vec<Row> = sqlx::query_as(sql)
            .bind(stream.as_str())
            .bind(from.bound(0))
            .bind(limit(max_count))
            .fetch_all(&self.read)
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
                select!("WHERE position >= ?1 ORDER BY position LIMIT ?2")
            }
            (false, Direction::Backwards) => {
                select!("WHERE position <= ?1 ORDER BY position DESC LIMIT ?2")
            }
            (true, Direction::Forwards) => {
                select!("WHERE category = ?3 AND position >= ?1 ORDER BY position LIMIT ?2")
            }
            (true, Direction::Backwards) => {
                select!("WHERE category = ?3 AND position <= ?1 ORDER BY position DESC LIMIT ?2")
            }
        };
        let mut query = sqlx::query_as::<_, Row>(sql)
            .bind(from.bound(1))
            .bind(limit(max_count));
        if let Some(category) = category {
            query = query.bind(category.to_owned());
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.into_iter().map(decode).collect()
    }

    pub(crate) async fn stream_revision(&self, stream: &StreamName) -> Result<Option<u64>> {
        let revision: Option<i64> = sqlx::query_scalar(
            "SELECT revision FROM events WHERE stream = ?1 ORDER BY revision DESC LIMIT 1",
        )
        .bind(stream.as_str())
        .fetch_optional(&self.read)
        .await?;
        revision.map(|r| unsigned(r, "revision", 0)).transpose()
    }

    pub(crate) async fn head_position(&self) -> Result<u64> {
        let head: Option<i64> =
            sqlx::query_scalar("SELECT position FROM events ORDER BY position DESC LIMIT 1")
                .fetch_optional(&self.read)
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
            i64,
            Option<Vec<u8>>,
        );
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT position, stream, revision, event_id, event_type, data, metadata, recorded_at, hash \
             FROM events WHERE position >= ?1 ORDER BY position LIMIT ?2",
        )
        .bind(signed(from))
        .bind(limit(max_count))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(
                |(position, stream, revision, id, event_type, data, metadata, at, hash)| {
                    Ok(ChainRow {
                        position: unsigned(position, "position", position)?,
                        stream,
                        revision: unsigned(revision, "revision", position)?,
                        id,
                        event_type,
                        data,
                        metadata,
                        recorded_at: from_micros(at)?,
                        hash: crate::chain::stored(hash, position)?,
                    })
                },
            )
            .collect()
    }

    pub(crate) async fn info_value(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = ?1")
                .bind(key)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    pub(crate) async fn subject_keys(
        &self,
        stream: Option<&str>,
        subject: Option<Uuid>,
    ) -> Result<Vec<SubjectKeyRow>> {
        type Raw = (String, String, String, Option<Vec<u8>>, i64, Option<i64>);
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT subject, stream, name, wrapped, created_at, erased_at FROM subject_keys \
             WHERE (?1 IS NULL OR stream = ?1) AND (?2 IS NULL OR subject = ?2) ORDER BY stream, name",
        )
        .bind(stream)
        .bind(subject.map(|s| s.to_string()))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(subject, stream, name, wrapped, created_at, erased_at)| {
                Ok(SubjectKeyRow {
                    subject: Uuid::parse_str(&subject).map_err(|err| Error::Corrupt {
                        position: 0,
                        reason: format!("subject key '{subject}': {err}"),
                    })?,
                    stream,
                    name,
                    wrapped,
                    created_at: from_micros(created_at)?,
                    erased_at: erased_at.map(from_micros).transpose()?,
                })
            })
            .collect()
    }

    pub(crate) async fn put_subject_key(
        &self,
        subject: Uuid,
        stream: &str,
        name: &str,
        wrapped: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO subject_keys (subject, stream, name, wrapped, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(subject.to_string())
        .bind(stream)
        .bind(name)
        .bind(wrapped)
        .bind(Utc::now().timestamp_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub(crate) async fn new_subject_keys(&self, keys: &[SubjectKeyRow]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let rows = (0..keys.len())
            .map(|i| {
                let p = i * 5;
                format!(
                    "(?{}, ?{}, ?{}, ?{}, ?{})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO subject_keys (subject, stream, name, wrapped, created_at) VALUES {rows}"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for key in keys {
            query = query
                .bind(key.subject.to_string())
                .bind(key.stream.clone())
                .bind(key.name.clone())
                .bind(key.wrapped.clone())
                .bind(key.created_at.timestamp_micros());
        }
        query.execute(&self.write).await?;
        Ok(())
    }

    pub(crate) async fn put_info_once(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO store_info (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = ?1")
                .bind(key)
                .fetch_one(&self.write)
                .await?,
        )
    }

    /// Moves the write-ahead log into the database file and empties it, so that
    /// overwritten pages (an erased key's) do not linger in the WAL.
    pub(crate) async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub(crate) async fn begin_import(
        &self,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Sqlite>, u64)> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let head: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        Ok((tx, unsigned(head.unwrap_or(0), "position", 0)?))
    }

    pub(crate) async fn import_rows(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        rows: &[ChainRow],
    ) -> Result<()> {
        const CHUNK: usize = 300;
        for chunk in rows.chunks(CHUNK) {
            let mut sql = String::from(
                "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash) VALUES ",
            );
            for i in 0..chunk.len() {
                let p = i * 10;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                sql.push_str(
                    &(1..=10)
                        .map(|k| format!("?{}", p + k))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                sql.push(')');
            }
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in chunk {
                let stream = StreamName::new(row.stream.clone())?;
                query = query
                    .bind(signed(row.position))
                    .bind(row.stream.clone())
                    .bind(stream.category().to_owned())
                    .bind(signed(row.revision))
                    .bind(row.id)
                    .bind(row.event_type.clone())
                    .bind(row.data.clone())
                    .bind(row.metadata.clone())
                    .bind(row.recorded_at.timestamp_micros())
                    .bind(row.hash.map(|h| h.to_vec()));
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(crate) async fn import_keys(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        keys: &[SubjectKeyRow],
    ) -> Result<()> {
        for key in keys {
            sqlx::query("INSERT INTO subject_keys (subject, stream, name, wrapped, created_at, erased_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(key.subject.to_string())
                .bind(&key.stream)
                .bind(&key.name)
                .bind(key.wrapped.as_deref())
                .bind(key.created_at.timestamp_micros())
                .bind(key.erased_at.map(|t| t.timestamp_micros()))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn import_info(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        info: &[(&str, String)],
    ) -> Result<()> {
        for (key, value) in info {
            sqlx::query("INSERT INTO store_info (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
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
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT stream, due_at FROM timers WHERE due_at <= ?1 ORDER BY due_at, stream LIMIT ?2",
        )
        .bind(now.timestamp_micros())
        .bind(crate::read::limit(limit))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(stream, due)| Ok((StreamName::new(stream)?, from_micros(due)?)))
            .collect()
    }

    pub(crate) async fn projection_states(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<ProjectionState>> {
        let rows: Vec<(String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT name, position, error, updated_at FROM projection_checkpoints WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
        )
        .bind(name)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(name, position, error, at)| {
                Ok(ProjectionState {
                    name,
                    position: unsigned(position, "checkpoint", 0)?,
                    error,
                    updated_at: from_micros(at)?,
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
                sqlx::query_as(
                    "SELECT key, doc FROM projection_docs WHERE projection = ?1 ORDER BY key",
                )
                .bind(projection)
                .fetch_all(&self.read)
                .await?
            }
            Some(keys) => {
                let mut rows = Vec::new();
                for chunk in keys.chunks(ROWS_PER_STATEMENT) {
                    let placeholders = (2..chunk.len() + 2)
                        .map(|i| format!("?{i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!(
                        "SELECT key, doc FROM projection_docs WHERE projection = ?1 AND key IN ({placeholders})"
                    );
                    let mut query =
                        sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql)).bind(projection);
                    for key in chunk {
                        query = query.bind(key.as_str());
                    }
                    rows.extend(query.fetch_all(&self.read).await?);
                }
                rows
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
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let now = Utc::now().timestamp_micros();
        sqlx::query("INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?1, 0, ?2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query("UPDATE projection_checkpoints SET position = ?1, error = NULL, updated_at = ?2 WHERE name = ?3 AND position = ?4")
            .bind(signed(to))
            .bind(now)
            .bind(name)
            .bind(signed(from))
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        // Anonymous `?` parameters throughout: sqlx asks SQLite for each
        // parameter's name, which for numbered ones (`?17`) is a scan of all
        // names, so numbered parameters make long statements quadratic.
        for chunk in changes.put.chunks(ROWS_PER_STATEMENT) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO projection_docs (projection, key, doc) VALUES {values} ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (key, doc) in chunk {
                query = query.bind(name).bind(key.as_str()).bind(doc.to_string());
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in changes.delete.chunks(ROWS_PER_STATEMENT) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "DELETE FROM projection_docs WHERE projection = ? AND key IN ({placeholders})"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(name);
            for key in chunk {
                query = query.bind(key.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn record_projection_error(&self, name: &str, error: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, position, error, updated_at) VALUES (?1, 0, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(error)
        .bind(Utc::now().timestamp_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Replaces projection `name` by `staging` (documents and checkpoint) in one transaction.
    pub(crate) async fn swap_projection(&self, staging: &str, name: &str) -> Result<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_docs SET projection = ?1 WHERE projection = ?2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_checkpoints SET name = ?1 WHERE name = ?2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn drop_projection(&self, name: &str) -> Result<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

impl Backend for SqliteBackend {
    type Tx = Transaction<'static, Sqlite>;

    async fn begin_append(&self, stream: &StreamName) -> Result<(Self::Tx, Head)> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let (position, recorded_at, hash, stream_revision): (
            Option<i64>,
            Option<i64>,
            Option<Vec<u8>>,
            Option<i64>,
        ) = sqlx::query_as(
                "SELECT (SELECT position FROM events ORDER BY position DESC LIMIT 1), \
                        (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1), \
                        (SELECT hash FROM events ORDER BY position DESC LIMIT 1), \
                        (SELECT revision FROM events WHERE stream = ?1 ORDER BY revision DESC LIMIT 1)",
            )
            .bind(stream.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let last = recorded_at.map(from_micros).transpose()?;
        let now = Utc::now();
        let head = Head {
            position: unsigned(position.unwrap_or(0), "position", 0)?,
            stream_revision: stream_revision
                .map(|r| unsigned(r, "revision", 0))
                .transpose()?,
            now: last.map_or(now, |last| last.max(now)),
            hash: crate::chain::stored(hash, position.unwrap_or(0))?,
        };
        Ok((tx, head))
    }

    async fn insert(&self, tx: &mut Self::Tx, plan: &Plan<'_>) -> Result<(), sqlx::Error> {
        let events = plan.batch.events;
        let recorded_at = plan.recorded_at.timestamp_micros();
        let mut offset = 0usize;
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut query = sqlx::query(AssertSqlSafe(insert_sql(chunk.len())))
                .bind(plan.stream.as_str())
                .bind(plan.stream.category())
                .bind(recorded_at);
            for (i, event) in chunk.iter().enumerate() {
                let at = (offset + i) as u64;
                query = query
                    .bind(signed(plan.first_position + at))
                    .bind(signed(plan.first_revision + at))
                    .bind(event.id)
                    .bind(event.event_type.as_str())
                    .bind(event.data.as_str())
                    .bind(plan.batch.metadata[offset + i].as_str())
                    .bind(plan.hashes[offset + i].as_slice());
            }
            query.execute(&mut **tx).await?;
            offset += chunk.len();
        }
        Ok(())
    }

    async fn rollback(&self, tx: Self::Tx) -> Result<()> {
        Ok(tx.rollback().await?)
    }

    async fn destroy_keys(&self, tx: &mut Self::Tx, subjects: &[Uuid]) -> Result<(), sqlx::Error> {
        let now = Utc::now().timestamp_micros();
        for subject in subjects {
            sqlx::query("UPDATE subject_keys SET wrapped = NULL, erased_at = ?1 WHERE subject = ?2 AND wrapped IS NOT NULL")
                .bind(now)
                .bind(subject.to_string())
                .execute(&mut **tx)
                .await?;
        }
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
                sqlx::query("INSERT INTO timers (stream, due_at) VALUES (?1, ?2) ON CONFLICT (stream) DO UPDATE SET due_at = excluded.due_at")
                    .bind(stream.as_str())
                    .bind(due.timestamp_micros())
                    .execute(&mut **tx)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM timers WHERE stream = ?1")
                    .bind(stream.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn lookup(&self, ids: &[Uuid]) -> Result<Vec<RecordedEvent>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let placeholders = (1..=chunk.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(select!("WHERE event_id IN ({})"), placeholders);
            let mut query = sqlx::query_as::<_, Row>(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.read).await? {
                found.push(decode(row)?);
            }
        }
        Ok(found)
    }
}

/// Refuses a missing file (unless creating) and a file that is not SQLite at all,
/// before SQLite gets to say something less helpful.
fn check_file(path: &Path, location: &str, create: bool) -> Result<()> {
    use std::io::Read;
    if !path.exists() {
        if create {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                && !parent.is_dir()
            {
                return Err(Error::NoStore {
                    location: format!(
                        "{location} (the folder {} does not exist)",
                        parent.display()
                    ),
                });
            }
            return Ok(());
        }
        return Err(Error::NoStore {
            location: location.to_owned(),
        });
    }
    let not_a_store = |reason: String| Error::NotAStore {
        location: location.to_owned(),
        reason,
    };
    if path.is_dir() {
        return Err(not_a_store("it is a folder".to_owned()));
    }
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path)
        .map_err(|err| not_a_store(format!("it cannot be read ({err})")))?;
    let read = file
        .read(&mut header)
        .map_err(|err| not_a_store(format!("it cannot be read ({err})")))?;
    // An empty file is what SQLite itself creates for a new database.
    if read > 0 && (read < header.len() || &header != SQLITE_MAGIC) {
        return Err(not_a_store("it is not an SQLite database".to_owned()));
    }
    Ok(())
}

/// The INSERT for `rows` rows. `?1`..`?3` (stream, category, recorded-at) are
/// shared by every row; each row binds six more. Built once per row count and
/// kept, since sqlx caches prepared statements by their text.
pub(crate) fn insert_sql(rows: usize) -> Arc<str> {
    static CACHE: OnceLock<Mutex<Vec<Option<Arc<str>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(vec![None; ROWS_PER_STATEMENT + 1]));
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache[rows]
        .get_or_insert_with(|| {
            let mut sql = String::from(
                "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash) VALUES ",
            );
            for row in 0..rows {
                let p = 4 + row * 7;
                if row > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(?{}, ?1, ?2, ?{}, ?{}, ?{}, ?{}, ?{}, ?3, ?{})",
                    p,
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6
                ));
            }
            Arc::from(sql)
        })
        .clone()
}

fn from_micros(micros: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| Error::Corrupt {
        position: 0,
        reason: format!("recorded_at {micros} is out of range"),
    })
}

fn decode(row: Row) -> Result<RecordedEvent> {
    let (position, stream, revision, id, event_type, data, metadata, recorded_at) = row;
    let recorded_at =
        DateTime::from_timestamp_micros(recorded_at).ok_or_else(|| Error::Corrupt {
            position,
            reason: format!("recorded_at {recorded_at} is out of range"),
        })?;
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
