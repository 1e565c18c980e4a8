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
        mut decide: F,
    ) -> Result<Option<AppendResult>, ExecuteError<E>>
    where
        F: FnMut(&[RecordedEvent]) -> Result<(Vec<NewEvent>, Timer), E>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let events = self.load_stream(stream).await?;
            let (new, timer) = decide(&events).map_err(ExecuteError::Rejected)?;
            if new.is_empty() && timer == Timer::Keep {
                return Ok(None);
            }
            let expected = events.last().map_or(ExpectedRevision::NoStream, |e| {
                ExpectedRevision::Exact(e.revision)
            });
            match self.append_scheduled(stream, expected, &new, timer).await {
                Ok(result) if new.is_empty() => {
                    let _ = result;
                    return Ok(None);
                }
                Ok(result) => return Ok(Some(result)),
                Err(err) if err.is_conflict() && attempt < ATTEMPTS => continue,
                Err(err) => return Err(ExecuteError::Store(err)),
            }
        }
    }
}
