//! Wake-ups on PostgreSQL.

use chrono::{DateTime, Utc};
use kroonika_engine::StreamName;
use sqlx::postgres::PgConnection;

use super::PgBackend;
use crate::error::Result;

impl PgBackend {
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
}

/// Sets (Some) or clears (None) a stream's wake-up, inside a write.
pub(super) async fn set_timer_on(
    conn: &mut PgConnection,
    stream: &StreamName,
    due: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    match due {
        Some(due) => {
            sqlx::query("INSERT INTO timers (stream, due_at) VALUES ($1, $2) ON CONFLICT (stream) DO UPDATE SET due_at = excluded.due_at")
                .bind(stream.as_str())
                .bind(due)
                .execute(&mut *conn)
                .await?;
        }
        None => {
            sqlx::query("DELETE FROM timers WHERE stream = $1")
                .bind(stream.as_str())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
