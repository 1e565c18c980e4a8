//! The floor: plain sqlx doing exactly the rows Kroonika writes and reads, with
//! nothing around it (no lock, no head read, no expected-revision check, no
//! validation). Positions and revisions come from counters in memory, which only
//! a single writer that owns the database could get away with.

use std::time::Instant;

use futures_core::Stream;
use kroonika_store::floor_sql;
use kroonika_tests::{Backend, TestStore};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};
use std::str::FromStr;
use uuid::Uuid;

use crate::workload::{Batch, Measured};

/// The floor stores a hash of the right size but computes none: hashing is
/// Kroonika's work, and the comparison shows what it costs.
const FLOOR_HASH: [u8; 32] = [0; 32];

pub enum Floor {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Floor {
    /// Connects to the test store's database with the store's own settings.
    pub async fn connect(t: &TestStore) -> anyhow::Result<Floor> {
        Ok(match t.backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(&t.url)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full);
                Floor::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        // As the store's pools: no ping before each acquire.
                        .test_before_acquire(false)
                        .connect_with(options)
                        .await?,
                )
            }
            Backend::Postgres => Floor::Postgres(
                PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&t.url)
                    .await?,
            ),
        })
    }

    pub async fn close(&self) {
        match self {
            Floor::Sqlite(pool) => pool.close().await,
            Floor::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn append(&self, batches: &[Batch]) -> anyhow::Result<Measured> {
        let mut latencies = Vec::with_capacity(batches.len());
        let mut revisions = std::collections::HashMap::new();
        let mut position = 1i64;
        let start = Instant::now();
        for batch in batches {
            let t = Instant::now();
            let revision: &mut i64 = revisions.entry(batch.stream.clone()).or_insert(0);
            let now = chrono::Utc::now();
            match self {
                Floor::Sqlite(pool) => {
                    let mut tx = pool.begin().await?;
                    let mut query =
                        sqlx::query(AssertSqlSafe(floor_sql::sqlite_insert(batch.events.len())));
                    for (i, event) in batch.events.iter().enumerate() {
                        query = query
                            .bind(position + i as i64)
                            .bind(batch.stream.as_str())
                            .bind(batch.stream.category())
                            .bind(*revision + i as i64)
                            .bind(event.id)
                            .bind(event.event_type.as_str())
                            .bind(event.data.as_str())
                            .bind(batch.metadata[i].as_str())
                            .bind(now.timestamp_micros())
                            .bind(FLOOR_HASH.as_slice())
                            // A Kroonika event's foreign columns: content
                            // type, binary data, custom metadata.
                            .bind(None::<&str>)
                            .bind(None::<&[u8]>)
                            .bind(None::<&[u8]>);
                    }
                    query.execute(&mut *tx).await?;
                    tx.commit().await?;
                }
                Floor::Postgres(pool) => {
                    let n = batch.events.len() as i64;
                    let mut tx = pool.begin().await?;
                    let rows = batch.events.len();
                    sqlx::query(floor_sql::POSTGRES_INSERT)
                        .bind(now)
                        .bind((0..n).map(|i| position + i).collect::<Vec<_>>())
                        .bind(vec![batch.stream.as_str(); rows])
                        .bind(vec![batch.stream.category(); rows])
                        .bind((0..n).map(|i| *revision + i).collect::<Vec<_>>())
                        .bind(batch.events.iter().map(|e| e.id).collect::<Vec<_>>())
                        .bind(
                            batch
                                .events
                                .iter()
                                .map(|e| e.event_type.as_str())
                                .collect::<Vec<_>>(),
                        )
                        .bind(
                            batch
                                .events
                                .iter()
                                .map(|e| e.data.as_str())
                                .collect::<Vec<_>>(),
                        )
                        .bind(
                            batch
                                .metadata
                                .iter()
                                .map(String::as_str)
                                .collect::<Vec<_>>(),
                        )
                        .bind(vec![FLOOR_HASH.as_slice(); batch.events.len()])
                        .bind(vec![None::<&str>; rows])
                        .bind(vec![None::<&[u8]>; rows])
                        .bind(vec![None::<&[u8]>; rows])
                        .bind(Vec::<String>::new())
                        .bind(0i64)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
            }
            position += batch.events.len() as i64;
            *revision += batch.events.len() as i64;
            latencies.push(t.elapsed());
        }
        Ok(Measured {
            events: batches.iter().map(|b| b.events.len()).sum(),
            elapsed: start.elapsed(),
            latencies,
        })
    }

    /// One streaming SELECT of the whole log, parsing data and metadata.
    pub async fn read_all(&self) -> anyhow::Result<Measured> {
        let start = Instant::now();
        let events = match self {
            Floor::Sqlite(pool) => {
                let rows = sqlx::query(
                    "SELECT position, stream, revision, event_id, event_type, data, metadata, recorded_at FROM events ORDER BY position",
                )
                .fetch(pool);
                consume(rows).await?
            }
            Floor::Postgres(pool) => {
                let rows = sqlx::query(
                    "SELECT position, stream, revision, event_id, event_type, data::text, metadata::text, recorded_at FROM events ORDER BY position",
                )
                .fetch(pool);
                consume(rows).await?
            }
        };
        Ok(Measured {
            events,
            elapsed: start.elapsed(),
            latencies: Vec::new(),
        })
    }
}

async fn consume<R, S>(mut rows: S) -> anyhow::Result<usize>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    R: RecordedAt,
    S: Stream<Item = Result<R, sqlx::Error>> + Unpin,
{
    let mut count = 0;
    while let Some(row) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut rows).poll_next(cx)).await
    {
        let row = row?;
        let position: i64 = row.try_get(0)?;
        let stream: String = row.try_get(1)?;
        let revision: i64 = row.try_get(2)?;
        let id: Uuid = row.try_get(3)?;
        let event_type: String = row.try_get(4)?;
        let data: String = row.try_get(5)?;
        let metadata: String = row.try_get(6)?;
        let recorded_at = R::recorded_at(&row)?;
        let data: serde_json::Value = serde_json::from_str(&data)?;
        let metadata: serde_json::Value = serde_json::from_str(&metadata)?;
        std::hint::black_box((
            position,
            stream,
            revision,
            id,
            event_type,
            recorded_at,
            data,
            metadata,
        ));
        count += 1;
    }
    Ok(count)
}

/// Each backend stores recorded-at its own way (microseconds in SQLite,
/// timestamptz in PostgreSQL); the floor decodes it as the store does.
trait RecordedAt {
    fn recorded_at(&self) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error>;
}

impl RecordedAt for sqlx::sqlite::SqliteRow {
    fn recorded_at(&self) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error> {
        let micros: i64 = self.try_get(7)?;
        Ok(chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default())
    }
}

impl RecordedAt for sqlx::postgres::PgRow {
    fn recorded_at(&self) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error> {
        self.try_get(7)
    }
}
