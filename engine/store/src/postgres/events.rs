//! Events on PostgreSQL: reading the log, and the write path's SQL (the
//! [`Backend`] the shared flow in `crate::write` drives).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kroonika_engine::{RecordedEvent, StreamName};
use sqlx::postgres::PgConnection;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::PgBackend;
use crate::append::{signed, unsigned};
use crate::backend::{Backend, Head, Plan};
use crate::chain::ChainRow;
use crate::credentials::{CredentialChange, FailureRow};
use crate::error::Result;
use crate::index::IndexChange;
use crate::keys::SubjectKeyRow;
use crate::read::{Direction, ReadFrom, StoredRow, foreign_columns, foreign_of, limit};

/// `SELECT <the columns a Row decodes> FROM events <tail>`, as a `&'static str`.
/// JSON is read as text: the exact stored bytes, and cheaper than decoding `json`.
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT position, stream, revision, event_id, event_type, data::text, metadata::text, recorded_at, content_type, binary_data, custom_metadata FROM events ",
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
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

/// The one INSERT of every write, whatever its size: $1 (recorded-at) is shared,
/// $2..$13 are arrays with one element per event (the last three a foreign
/// event's content type, binary data and custom metadata, NULL for Kroonika's
/// own), and $14/$15 are the write's precondition: nothing is inserted if an
/// event of the categories $14 is after position $15 (an empty $11 checks nothing). The check runs in the INSERT's
/// own snapshot, taken after the write lock was granted, so it sees every write
/// that committed before; the caller learns of it from the row count. Each
/// category's last position is read on its own (an index lookup on
/// `(category, position)`, whatever plan the statement is given), never by
/// scanning positions after $15, which may be most of the log.
pub(crate) const INSERT_SQL: &str = "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash, content_type, binary_data, custom_metadata) \
     SELECT u.position, u.stream, u.category, u.revision, u.event_id, u.event_type, u.data::json, u.metadata::json, $1, u.hash, u.content_type, u.binary_data, u.custom_metadata \
     FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::text[], $12::bytea[], $13::bytea[]) \
          AS u(position, stream, category, revision, event_id, event_type, data, metadata, hash, content_type, binary_data, custom_metadata) \
     WHERE NOT EXISTS (SELECT 1 FROM unnest($14::text[]) AS w(category) \
                       WHERE (SELECT max(e.position) FROM events e WHERE e.category = w.category) > $15)";

impl PgBackend {
    pub(crate) async fn read_stream(
        &self,
        stream: &StreamName,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let mut conn = self.pool.acquire().await?;
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
        let mut conn = self.pool.acquire().await?;
        read_all_on(&mut conn, categories, from, direction, max_count).await
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

    pub(crate) async fn last_activity(
        &self,
    ) -> Result<std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>> {
        let rows: Vec<(Option<String>, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT metadata->>'actor' AS actor, max(recorded_at) FROM events GROUP BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(actor, at)| actor.map(|a| (a, at)))
            .collect())
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
            Option<String>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT position, stream, revision, event_id, event_type, data::text, metadata::text, recorded_at, hash, \
                    content_type, binary_data, custom_metadata \
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
                        recorded_at,
                        hash: crate::chain::stored(hash, position)?,
                    })
                },
            )
            .collect()
    }
}

async fn read_stream_on(
    conn: &mut PgConnection,
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
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(decode).collect()
}

async fn read_all_on(
    conn: &mut PgConnection,
    categories: &[String],
    from: ReadFrom,
    direction: Direction,
    max_count: usize,
) -> Result<Vec<RecordedEvent>> {
    let sql = match (categories.is_empty(), direction) {
        (true, Direction::Forwards) => {
            select!("WHERE position >= $1 ORDER BY position LIMIT $2")
        }
        (true, Direction::Backwards) => {
            select!("WHERE position <= $1 ORDER BY position DESC LIMIT $2")
        }
        (false, Direction::Forwards) => {
            select!("WHERE category = ANY($3) AND position >= $1 ORDER BY position LIMIT $2")
        }
        (false, Direction::Backwards) => {
            select!("WHERE category = ANY($3) AND position <= $1 ORDER BY position DESC LIMIT $2")
        }
    };
    let mut query = sqlx::query_as::<_, Row>(sql)
        .bind(from.bound(1))
        .bind(limit(max_count));
    if !categories.is_empty() {
        query = query.bind(categories);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.into_iter().map(decode).collect()
}

impl Backend for PgBackend {
    type Tx = Transaction<'static, Postgres>;

    async fn begin(
        &self,
        stream: Option<&StreamName>,
        _watched: Option<&[String]>,
    ) -> Result<(Self::Tx, Head)> {
        let mut tx = self.pool.begin().await?;
        let (position, hash, stream_revision, now): (
            i64,
            Option<Vec<u8>>,
            Option<i64>,
            DateTime<Utc>,
        ) = sqlx::query_as(
            "SELECT head, head_hash, stream_revision, now FROM kroonika_begin_append($1)",
        )
        .bind(stream.map_or("", StreamName::as_str))
        .fetch_one(&mut *tx)
        .await?;
        let head = Head {
            position: unsigned(position, "position", 0)?,
            stream_revision: stream_revision
                .map(|r| unsigned(r, "revision", 0))
                .transpose()?,
            now,
            hash: crate::chain::stored(hash, position)?,
            // Checked by the INSERT itself (see INSERT_SQL): reading it here,
            // in the statement that waited for the lock, would use a snapshot
            // taken before the wait.
            watched: None,
        };
        Ok((tx, head))
    }

    async fn revisions(
        &self,
        tx: &mut Self::Tx,
        streams: &[&StreamName],
    ) -> Result<Vec<Option<u64>>> {
        let names: Vec<&str> = streams.iter().map(|s| s.as_str()).collect();
        let found: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT stream, max(revision) FROM events WHERE stream = ANY($1) GROUP BY stream",
        )
        .bind(&names)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
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
        let rows = &plan.rows;
        let positions: Vec<i64> = rows.iter().map(|r| signed(r.position)).collect();
        let streams: Vec<&str> = rows.iter().map(|r| r.stream.as_str()).collect();
        let categories: Vec<&str> = rows.iter().map(|r| r.stream.category()).collect();
        let revisions: Vec<i64> = rows.iter().map(|r| signed(r.revision)).collect();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.batch.events[r.index].id).collect();
        let types: Vec<&str> = rows
            .iter()
            .map(|r| r.batch.events[r.index].event_type.as_str())
            .collect();
        let data: Vec<&str> = rows
            .iter()
            .map(|r| r.batch.events[r.index].data.as_str())
            .collect();
        let metadata: Vec<&str> = rows
            .iter()
            .map(|r| r.batch.metadata[r.index].as_str())
            .collect();
        let hashes: Vec<&[u8]> = rows.iter().map(|r| r.hash.as_slice()).collect();
        let foreign: Vec<_> = rows
            .iter()
            .map(|r| foreign_columns(r.batch.events[r.index].foreign.as_ref()))
            .collect();
        let content_types: Vec<Option<&str>> = foreign.iter().map(|f| f.0).collect();
        let binaries: Vec<Option<&[u8]>> = foreign.iter().map(|f| f.1).collect();
        let customs: Vec<Option<&[u8]>> = foreign.iter().map(|f| f.2).collect();
        let (watched, after): (&[String], u64) = plan.unchanged.unwrap_or((&[], 0));
        let done = sqlx::query(INSERT_SQL)
            .bind(plan.recorded_at)
            .bind(positions)
            .bind(streams)
            .bind(categories)
            .bind(revisions)
            .bind(ids)
            .bind(types)
            .bind(data)
            .bind(metadata)
            .bind(hashes)
            .bind(content_types)
            .bind(binaries)
            .bind(customs)
            .bind(watched)
            .bind(signed(after))
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected())
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
        // Each category's last position from the (category, position) index.
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT coalesce((SELECT max(e.position) FROM events e WHERE e.category = c.name), 0)::bigint \
             FROM unnest($1::text[]) WITH ORDINALITY AS c(name, n) ORDER BY c.n",
        )
        .bind(categories)
        .fetch_all(&mut **tx)
        .await?;
        rows.into_iter()
            .map(|p| unsigned(p, "position", p))
            .collect()
    }

    async fn commit(tx: Self::Tx) -> Result<()> {
        Ok(tx.commit().await?)
    }

    async fn rollback(tx: Self::Tx) -> Result<()> {
        Ok(tx.rollback().await?)
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
