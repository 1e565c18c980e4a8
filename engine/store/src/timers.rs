//! Wake-ups: the `timers` table holds at most one per stream, when the engine
//! next has something to do for it unasked. A [`crate::Write`] sets or clears a
//! stream's wake-up in the same transaction as its events ([`Timer`]), so it
//! never drifts from the log; runners read only the due rows, through an index.

use chrono::{DateTime, Utc};
use kroonika_engine::StreamName;

use crate::backend::dispatch;
use crate::store::Store;

/// What a write does to its stream's pending wake-up: the engine decides it as
/// data, the store writes it with the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timer {
    /// Leave the wake-up as it is.
    #[default]
    Keep,
    /// Wake the stream up at this time.
    Set(DateTime<Utc>),
    /// Nothing left to wake up for.
    Clear,
}

impl Store {
    /// Streams whose wake-up is at or before `now`, earliest first, at most `limit`.
    pub async fn due_timers(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> crate::Result<Vec<(StreamName, DateTime<Utc>)>> {
        dispatch!(self, b => b.due_timers(now, limit).await)
    }

    /// Every stream's wake-up, earliest first: for checks that they agree with
    /// the log (an import, a test).
    pub async fn all_timers(&self) -> crate::Result<Vec<(StreamName, DateTime<Utc>)>> {
        self.due_timers(DateTime::<Utc>::MAX_UTC, usize::MAX).await
    }
}
