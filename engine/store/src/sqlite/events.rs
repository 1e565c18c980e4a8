//! Events on SQLite: reading the log, and the write path's SQL (the
//! [`Backend`] the shared flow in `crate::write` drives).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use kroonika_engine::{RecordedEvent, StreamName};
use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use uuid::Uuid;

use super::{ROWS_PER_STATEMENT, SqliteBackend, from_micros, params};
use crate::append::{signed, unsigned};
use crate::backend::{Backend, Head, Plan};
use crate::chain::ChainRow;
use crate::credentials::{CredentialChange, FailureRow};
use crate::error::{Error, Result};
use crate::index::IndexChange;
use crate::keys::SubjectKeyRow;
use crate::read::{Direction, ReadFrom, StoredRow, foreign_columns, foreign_of, limit};

/// `SELECT <the columns a Row decodes> FROM events <tail>`, as a `&'static str`.
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT position, stream, revision, event_id, event_type, data, metadata, recorded_at, content_type, binary_data, custom_metadata FROM events ",
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
    i64,
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

impl SqliteBackend {
    pub(crate) async fn read_stream(
        &self,
        stream: &StreamName,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let mut conn = self.read.acquire().await?;
        read_stream_on(&mut conn, stream, from, direction, max_count).await
    }

    /// The global log (no categories) or some categories, in position order.
    pub(crate) async fn read_all(
        &self,
        categories: &[String],
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let mut conn = self.read.acquire().await?;
        read_all_on(&mut conn, categories, from, direction, max_count).await
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

    pub(crate) async fn last_activity(
        &self,
    ) -> Result<std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>> {
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT json_extract(metadata, '$.actor') AS actor, max(recorded_at) FROM events \
             GROUP BY actor",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .filter_map(|(actor, at)| actor.map(|a| Ok((a, from_micros(at)?))))
            .collect()
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
            Option<String>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT position, stream, revision, event_id, event_type, data, metadata, recorded_at, hash, \
                    content_type, binary_data, custom_metadata \
             FROM events WHERE position >= ?1 ORDER BY position LIMIT ?2",
        )
        .bind(signed(from))
        .bind(limit(max_count))
        .fetch_all(&self.read)
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
                    at,
                    hash,
                    content_type,
                    binary,
                    custom,
                )| {
                    Ok(ChainRow {
                        foreign: foreign_of((content_type, binary, custom), position)?,
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
}

async fn read_stream_on(
    conn: &mut SqliteConnection,
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
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(decode).collect()
}

async fn read_all_on(
    conn: &mut SqliteConnection,
    categories: &[String],
    from: ReadFrom,
    direction: Direction,
    max_count: usize,
) -> Result<Vec<RecordedEvent>> {
    let (compare, order) = match direction {
        Direction::Forwards => (">=", ""),
        Direction::Backwards => ("<=", " DESC"),
    };
    let filter = match categories.len() {
        0 => String::new(),
        1 => "category = ? AND ".to_owned(),
        n => format!("category IN ({}) AND ", params(n)),
    };
    let sql = format!(
        select!("WHERE {}position {} ? ORDER BY position{} LIMIT ?"),
        filter, compare, order
    );
    let mut query = sqlx::query_as::<_, Row>(AssertSqlSafe(sql));
    for category in categories {
        query = query.bind(category.as_str());
    }
    let rows = query
        .bind(from.bound(1))
        .bind(limit(max_count))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(decode).collect()
}

impl Backend for SqliteBackend {
    type Tx = Transaction<'static, Sqlite>;

    async fn begin(
        &self,
        stream: Option<&StreamName>,
        watched: Option<&[String]>,
    ) -> Result<(Self::Tx, Head)> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let watched = watched.unwrap_or_default();
        let mut query = sqlx::query_as::<_, HeadRow>(AssertSqlSafe(head_sql(watched.len())))
            .bind(stream.map_or("", StreamName::as_str));
        for category in watched {
            query = query.bind(category.as_str());
        }
        let (position, recorded_at, hash, stream_revision, watched_position) =
            query.fetch_one(&mut *tx).await?;
        let last = recorded_at.map(from_micros).transpose()?;
        let now = Utc::now();
        let head = Head {
            position: unsigned(position.unwrap_or(0), "position", 0)?,
            stream_revision: stream_revision
                .map(|r| unsigned(r, "revision", 0))
                .transpose()?,
            now: last.map_or(now, |last| last.max(now)),
            hash: crate::chain::stored(hash, position.unwrap_or(0))?,
            watched: match watched_position {
                Some(p) => Some(unsigned(p, "position", p)?),
                None if watched.is_empty() => None,
                None => Some(0),
            },
        };
        Ok((tx, head))
    }

    async fn revisions(
        &self,
        tx: &mut Self::Tx,
        streams: &[&StreamName],
    ) -> Result<Vec<Option<u64>>> {
        let sql = format!(
            "SELECT stream, max(revision) FROM events WHERE stream IN ({}) GROUP BY stream",
            params(streams.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql));
        for stream in streams {
            query = query.bind(stream.as_str());
        }
        let found: HashMap<String, i64> = query.fetch_all(&mut **tx).await?.into_iter().collect();
        streams
            .iter()
            .map(|s| {
                found
                    .get(s.as_str())
                    .map(|r| unsigned(*r, "revision", 0))
                    .transpose()
            })
            .collect()
    }

    async fn stream_in(
        &self,
        tx: &mut Self::Tx,
        stream: &StreamName,
    ) -> Result<Vec<RecordedEvent>> {
        read_stream_on(
            &mut *tx,
            stream,
            ReadFrom::Start,
            Direction::Forwards,
            usize::MAX,
        )
        .await
    }

    async fn categories_in(
        &self,
        tx: &mut Self::Tx,
        categories: &[String],
        position: u64,
    ) -> Result<Vec<RecordedEvent>> {
        if categories.is_empty() {
            return Ok(Vec::new());
        }
        read_all_on(
            &mut *tx,
            categories,
            ReadFrom::At(position + 1),
            Direction::Forwards,
            usize::MAX,
        )
        .await
    }

    async fn keys_in(&self, tx: &mut Self::Tx, stream: &str) -> Result<Vec<SubjectKeyRow>> {
        super::keys::subject_keys_on(&mut *tx, Some(stream), None).await
    }

    async fn insert(&self, tx: &mut Self::Tx, plan: &Plan<'_>) -> Result<u64, sqlx::Error> {
        let recorded_at = plan.recorded_at.timestamp_micros();
        let mut inserted = 0;
        for chunk in plan.rows.chunks(ROWS_PER_STATEMENT) {
            let mut query = sqlx::query(AssertSqlSafe(insert_sql(chunk.len())));
            for row in chunk {
                let event = &row.batch.events[row.index];
                let (content_type, binary, custom) = foreign_columns(event.foreign.as_ref());
                query = query
                    .bind(signed(row.position))
                    .bind(row.stream.as_str())
                    .bind(row.stream.category())
                    .bind(signed(row.revision))
                    .bind(event.id)
                    .bind(event.event_type.as_str())
                    .bind(event.data.as_str())
                    .bind(row.batch.metadata[row.index].as_str())
                    .bind(recorded_at)
                    .bind(row.hash.as_slice())
                    .bind(content_type)
                    .bind(binary)
                    .bind(custom);
            }
            inserted += query.execute(&mut **tx).await?.rows_affected();
        }
        Ok(inserted)
    }

    async fn insert_keys(
        &self,
        tx: &mut Self::Tx,
        keys: &[SubjectKeyRow],
    ) -> Result<(), sqlx::Error> {
        super::keys::insert_keys_on(&mut *tx, keys).await
    }

    async fn destroy_keys(&self, tx: &mut Self::Tx, subjects: &[Uuid]) -> Result<(), sqlx::Error> {
        super::keys::destroy_keys_on(&mut *tx, subjects).await?;
        super::index::forget_on(&mut *tx, subjects).await
    }

    async fn change_index(
        &self,
        tx: &mut Self::Tx,
        changes: &[IndexChange],
    ) -> Result<(), sqlx::Error> {
        super::index::change_index_on(&mut *tx, changes).await
    }

    async fn failures_in(&self, tx: &mut Self::Tx, name_hash: &[u8]) -> Result<Option<FailureRow>> {
        super::credentials::failures_on(&mut *tx, name_hash).await
    }

    async fn change_credentials(
        &self,
        tx: &mut Self::Tx,
        changes: &[CredentialChange],
    ) -> Result<(), sqlx::Error> {
        super::credentials::change_on(&mut *tx, changes).await
    }

    async fn set_timer(
        &self,
        tx: &mut Self::Tx,
        stream: &StreamName,
        due: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        super::timers::set_timer_on(&mut *tx, stream, due).await
    }

    async fn execute_in(&self, tx: &mut Self::Tx, sql: &'static str) -> Result<()> {
        sqlx::raw_sql(sql).execute(&mut **tx).await?;
        Ok(())
    }

    async fn last_positions(&self, tx: &mut Self::Tx, categories: &[&str]) -> Result<Vec<u64>> {
        if categories.is_empty() {
            return Ok(Vec::new());
        }
        // One row a category, each from the index's end.
        let sql = (1..=categories.len())
            .map(|i| {
                format!(
                    "SELECT {i}, coalesce((SELECT max(position) FROM events WHERE category = ?{i}), 0)"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut query = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql));
        for category in categories {
            query = query.bind(*category);
        }
        let mut rows = query.fetch_all(&mut **tx).await?;
        rows.sort_unstable();
        rows.into_iter()
            .map(|(_, p)| unsigned(p, "position", p))
            .collect()
    }

    async fn commit(tx: Self::Tx) -> Result<()> {
        Ok(tx.commit().await?)
    }

    async fn rollback(tx: Self::Tx) -> Result<()> {
        Ok(tx.rollback().await?)
    }

    async fn lookup(&self, ids: &[Uuid]) -> Result<Vec<RecordedEvent>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(select!("WHERE event_id IN ({})"), params(chunk.len()));
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

/// What the head query returns: the last position, its time and hash, the
/// stream's revision, and the watched categories' last position.
type HeadRow = (
    Option<i64>,
    Option<i64>,
    Option<Vec<u8>>,
    Option<i64>,
    Option<i64>,
);

/// The head query, watching `watched` categories (`?2`…); built once per count.
/// The last position of `n` categories bound from parameter `first` on, 0
/// when none has events.
fn last_of_categories(n: usize, first: usize) -> String {
    format!(
        "max(0, {})",
        (first..n + first)
            .map(|i| format!(
                "coalesce((SELECT max(position) FROM events WHERE category = ?{i}), 0)"
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn head_sql(watched: usize) -> String {
    // Each category's last position on its own: SQLite answers a max over one
    // value of the index's first column from the index's end.
    let last_watched = match watched {
        0 => "NULL".to_owned(),
        n => last_of_categories(n, 2),
    };
    format!(
        "SELECT (SELECT position FROM events ORDER BY position DESC LIMIT 1), \
                (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1), \
                (SELECT hash FROM events ORDER BY position DESC LIMIT 1), \
                (SELECT revision FROM events WHERE stream = ?1 ORDER BY revision DESC LIMIT 1), \
                {last_watched}"
    )
}

/// The INSERT for `rows` rows, thirteen values each (position, stream, category,
/// revision, id, type, data, metadata, recorded-at, hash, and a foreign event's
/// content type, binary data and custom metadata). Built once per row
/// count and kept, since sqlx caches prepared statements by their text.
pub(crate) fn insert_sql(rows: usize) -> Arc<str> {
    static CACHE: OnceLock<Mutex<Vec<Option<Arc<str>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(vec![None; ROWS_PER_STATEMENT + 1]));
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache[rows]
        .get_or_insert_with(|| {
            let row = format!("({})", params(13));
            Arc::from(format!(
                "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash, \
                 content_type, binary_data, custom_metadata) VALUES {}",
                vec![row.as_str(); rows].join(", ")
            ))
        })
        .clone()
}

fn decode(row: Row) -> Result<RecordedEvent> {
    let (
        position,
        stream,
        revision,
        id,
        event_type,
        data,
        metadata,
        recorded_at,
        content_type,
        binary,
        custom,
    ) = row;
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
        foreign: (content_type, binary, custom),
    }
    .into_event()
}
