//! Wake-ups on SQLite (times as microseconds since the epoch).

use chrono::{DateTime, Utc};
use kroonika_engine::StreamName;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteBackend, from_micros};
use crate::error::Result;

impl SqliteBackend {
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
}

/// Sets (Some) or clears (None) a stream's wake-up, inside a write.
pub(super) async fn set_timer_on(
    conn: &mut SqliteConnection,
    stream: &StreamName,
    due: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    match due {
        Some(due) => {
            sqlx::query("INSERT INTO timers (stream, due_at) VALUES (?1, ?2) ON CONFLICT (stream) DO UPDATE SET due_at = excluded.due_at")
                .bind(stream.as_str())
                .bind(due.timestamp_micros())
                .execute(&mut *conn)
                .await?;
        }
        None => {
            sqlx::query("DELETE FROM timers WHERE stream = ?1")
                .bind(stream.as_str())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
