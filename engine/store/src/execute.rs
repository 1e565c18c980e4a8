//! Load, decide, append: the loop every command runs.
//!
//! A command's rules are a pure function of the stream's events (the engine's
//! `decide`); this loop supplies the I/O around it. It appends with the exact
//! revision it decided on, so a concurrent writer makes the append conflict
//! instead of slipping past the rules; it then re-loads and decides again on the
//! fresh state, a few times, before giving up with the conflict. A rejection
//! appends nothing.

use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, StreamName};

use crate::append::AppendResult;
use crate::error::Error;
use crate::read::{Direction, ReadFrom};
use crate::store::{Store, Timer};

/// How many times a conflicting command is decided again before giving up.
pub const ATTEMPTS: usize = 5;

/// Why a command did not go through.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError<E> {
    /// The rules said no. Nothing was appended.
    #[error("rejected: {0}")]
    Rejected(E),
    /// The store failed, or the stream kept changing under the command.
    #[error(transparent)]
    Store(#[from] Error),
}

impl Store {
    /// Every event of a stream, oldest first.
    pub async fn load_stream(&self, stream: &StreamName) -> crate::Result<Vec<RecordedEvent>> {
        const PAGE: usize = 1_000;
        let mut events: Vec<RecordedEvent> = Vec::new();
        loop {
            let from = ReadFrom::At(events.len() as u64);
            let page = self
                .read_stream(stream, from, Direction::Forwards, PAGE)
                .await?;
            let full = page.len() == PAGE;
            events.extend(page);
            if !full {
                return Ok(events);
            }
        }
    }

    /// Runs `decide` on the stream's events and appends what it returns, with
    /// the exact expected revision; on a conflict, re-loads and decides again.
    /// Returns None when `decide` returned no events (nothing to do).
    pub async fn execute<E, F>(
        &self,
        stream: &StreamName,
        mut decide: F,
    ) -> Result<Option<AppendResult>, ExecuteError<E>>
    where
        F: FnMut(&[RecordedEvent]) -> Result<Vec<NewEvent>, E>,
    {
        self.execute_scheduled(stream, |history| {
            decide(history).map(|events| (events, Timer::Keep))
        })
        .await
    }

    /// [`Store::execute`] where `decide` also says what becomes of the stream's
    /// wake-up; events and wake-up are written in one transaction. The wake-up
    /// is written even when there are no events (a stale one is cleared).
    pub async fn execute_scheduled<E, F>(
        &self,
        stream: &StreamName,
        decide: F,
    ) -> Result<Option<AppendResult>, ExecuteError<E>>
    where
        F: FnMut(&[RecordedEvent]) -> Result<(Vec<NewEvent>, Timer), E>,
    {
        self.execute_scheduled_cached(stream, &mut Vec::new(), decide)
            .await
    }

    /// [`Store::execute_scheduled`] deciding first on `history`, the stream as
    /// the caller last saw it (read when empty), instead of reading it again: a
    /// caller that keeps histories (the demo's desk) saves a read per command.
    /// A stale history costs one conflict, then the stream is read. On success
    /// `history` holds the stream including the appended events.
    pub async fn execute_scheduled_cached<E, F>(
        &self,
        stream: &StreamName,
        history: &mut Vec<RecordedEvent>,
        mut decide: F,
    ) -> Result<Option<AppendResult>, ExecuteError<E>>
    where
        F: FnMut(&[RecordedEvent]) -> Result<(Vec<NewEvent>, Timer), E>,
    {
        let mut attempt = 0;
        let mut fresh = history.is_empty();
        // A remembered history may be stale: that first conflict is not counted.
        let attempts = if fresh { ATTEMPTS } else { ATTEMPTS + 1 };
        loop {
            attempt += 1;
            if fresh {
                *history = self.load_stream(stream).await?;
            }
            fresh = true;
            let events = &*history;
            let (new, timer) = decide(events).map_err(ExecuteError::Rejected)?;
            if new.is_empty() && timer == Timer::Keep {
                return Ok(None);
            }
            let expected = events.last().map_or(ExpectedRevision::NoStream, |e| {
                ExpectedRevision::Exact(e.revision)
            });
            match self.append_scheduled(stream, expected, &new, timer).await {
                Ok(_) if new.is_empty() => return Ok(None),
                Ok(result) => {
                    for (event, placed) in new.into_iter().zip(&result.events) {
                        history.push(RecordedEvent {
                            position: placed.position,
                            stream: stream.clone(),
                            revision: placed.revision,
                            id: event.id,
                            event_type: event.event_type,
                            data: event.data,
                            metadata: event.metadata,
                            recorded_at: placed.recorded_at,
                        });
                    }
                    return Ok(Some(result));
                }
                Err(err) if err.is_conflict() && attempt < attempts => continue,
                Err(err) => return Err(ExecuteError::Store(err)),
            }
        }
    }
}
