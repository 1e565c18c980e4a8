//! The backend-independent half of an append: checking a batch before any I/O,
//! and judging a retry against the events already stored.
//!
//! Both backends run the same steps (`crate::write`): validate; take the write
//! lock and read the head and the streams' revisions; on a mismatch (or a
//! unique-key violation) look the write's ids up and let [`judge_retry`] decide,
//! stream by stream, whether this is a retry of a write that already committed
//! (answer with the original result, write nothing) or a conflict or an id reused
//! for something else (write nothing, say why).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use kroonika_engine::event::{check_event_type, check_foreign_type};
use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, StreamName};
use uuid::Uuid;

use crate::error::{Error, Result};

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendResult {
    /// One entry per event of the batch, in batch order.
    pub events: Vec<Appended>,
    /// The stream's last revision after the append (None only for an empty append
    /// to a stream that does not exist). Pass it as `ExpectedRevision::Exact` next.
    pub stream_revision: Option<u64>,
    /// True when the whole batch was already stored by an earlier append with the
    /// same event ids: nothing was written and these are the original places.
    pub replayed: bool,
}

/// Where one event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub id: Uuid,
    pub revision: u64,
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
}

impl AppendResult {
    /// The global position of the batch's last event, if it had any.
    pub fn last_position(&self) -> Option<u64> {
        self.events.last().map(|event| event.position)
    }
}

/// A batch checked and encoded, ready to be written.
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    pub events: &'a [NewEvent],
    /// Each event's metadata as JSON text, in batch order.
    pub metadata: Vec<String>,
}

/// Checks everything about a batch that needs no database: event type names and
/// ids unique within the batch. Encodes the metadata once.
pub(crate) fn check_batch(events: &[NewEvent]) -> Result<Batch<'_>> {
    let mut ids = HashSet::with_capacity(events.len());
    let mut metadata = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let checked = match event.foreign {
            None => check_event_type(&event.event_type),
            Some(_) => check_foreign_type(&event.event_type),
        };
        checked.map_err(|err| Error::InvalidEvent {
            index,
            reason: err.to_string(),
        })?;
        if !ids.insert(event.id) {
            return Err(Error::InvalidEvent {
                index,
                reason: format!("event id {} appears twice in the batch", event.id),
            });
        }
        let text = serde_json::to_string(&event.metadata).map_err(|err| Error::InvalidEvent {
            index,
            reason: format!("metadata cannot be encoded as JSON: {err}"),
        })?;
        metadata.push(text);
    }
    Ok(Batch { events, metadata })
}

/// Checks a whole write: each stream's batch, and ids unique across the write.
pub(crate) fn check_write(write: &crate::write::Write) -> Result<Vec<Batch<'_>>> {
    let mut seen = HashSet::with_capacity(write.event_count());
    let mut batches = Vec::with_capacity(write.streams.len());
    for part in &write.streams {
        let batch = check_batch(&part.events)?;
        for (index, event) in part.events.iter().enumerate() {
            if !seen.insert(event.id) {
                return Err(Error::InvalidEvent {
                    index,
                    reason: format!(
                        "event id {} appears twice in the write (again for stream '{}')",
                        event.id, part.stream
                    ),
                });
            }
        }
        batches.push(batch);
    }
    Ok(batches)
}

/// The outcome of looking a batch's ids up after the fast path failed.
#[derive(Debug)]
pub(crate) enum Retry {
    /// None of the ids is stored: the failure stands as it was.
    NotStored,
    /// The whole batch is stored, identically, where the caller meant it to go.
    Replayed(AppendResult),
    /// Some id is stored, but not as this batch.
    Reused(Error),
    /// The batch is stored, but not where the caller's expectation puts it: a
    /// conflict if that is how the append failed, otherwise a reused id.
    Misplaced(Error),
}

/// Decides whether `events`, appended to `stream` with `expected`, is a retry of
/// an append that committed before. `stored` holds whatever events carry the
/// batch's ids, in any order.
pub(crate) fn judge_retry(
    stream: &StreamName,
    expected: ExpectedRevision,
    events: &[NewEvent],
    stored: Vec<RecordedEvent>,
    stream_revision: Option<u64>,
) -> Retry {
    if stored.is_empty() {
        return Retry::NotStored;
    }
    let reused = |id: Uuid, detail: String| Retry::Reused(Error::EventIdReused { id, detail });
    let mut appended = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let Some(original) = stored.iter().find(|stored| stored.id == event.id) else {
            let first = &stored[0];
            return reused(
                first.id,
                format!(
                    "it is stored in stream '{}' at revision {}, but event {index} of this batch ({}) is not; a batch is stored whole or not at all, so this is a different batch",
                    first.stream, first.revision, event.id
                ),
            );
        };
        if original.stream != *stream {
            return reused(
                event.id,
                format!(
                    "it is stored in stream '{}', not '{stream}'",
                    original.stream
                ),
            );
        }
        let differs = if original.event_type != event.event_type {
            Some(format!(
                "type '{}' (now '{}')",
                original.event_type, event.event_type
            ))
        } else if original.data != event.data || original.foreign != event.foreign {
            Some("different data".to_owned())
        } else if event.foreign.is_none() && original.metadata != event.metadata {
            // A foreign event's Kroonika metadata is the server's (who sent it,
            // when): a client's retry is the same event with other metadata.
            Some("different metadata".to_owned())
        } else {
            None
        };
        if let Some(differs) = differs {
            return reused(
                event.id,
                format!(
                    "revision {} of stream '{stream}' has this id with {differs}",
                    original.revision
                ),
            );
        }
        if let Some(previous) = appended.last().map(|a: &Appended| a.revision)
            && original.revision != previous + 1
        {
            return reused(
                event.id,
                format!(
                    "it is stored at revision {} of stream '{stream}', not right after the batch's previous event (revision {previous})",
                    original.revision
                ),
            );
        }
        appended.push(Appended {
            id: original.id,
            revision: original.revision,
            position: original.position,
            recorded_at: original.recorded_at,
        });
    }
    let first_revision = appended[0].revision;
    let placed_as_expected = match expected {
        ExpectedRevision::Any | ExpectedRevision::StreamExists => true,
        ExpectedRevision::NoStream => first_revision == 0,
        ExpectedRevision::Exact(revision) => first_revision == revision + 1,
    };
    if !placed_as_expected {
        return Retry::Misplaced(Error::EventIdReused {
            id: events[0].id,
            detail: format!(
                "it is stored at revision {first_revision} of stream '{stream}', which does not follow {expected}"
            ),
        });
    }
    Retry::Replayed(AppendResult {
        events: appended,
        stream_revision,
        replayed: true,
    })
}

/// Converts a database integer that must be non-negative.
pub(crate) fn unsigned(value: i64, what: &str, position: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::Corrupt {
        position,
        reason: format!("{what} is negative ({value})"),
    })
}

/// Converts a revision or position to the database's signed integers.
pub(crate) fn signed(value: u64) -> i64 {
    // Positions and revisions come from the database itself, plus a batch length:
    // they never approach 2^63.
    i64::try_from(value).unwrap_or(i64::MAX)
}
