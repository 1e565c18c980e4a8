//! The actor side of a profile a case step recorded: a `ProfileRecorded` in
//! each named actor's stream, written with the step's own events in the same
//! atomic write and under the same metadata (so conformance pairs them by
//! command id). The actor streams are appended at whatever revision they
//! have: a profile replaces the one before it, whatever happened in between.

use kroonika_engine::actors::{self, ActorEvent};
use kroonika_engine::case::{Case, CaseEvent};
use kroonika_engine::{ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::{StreamWrite, Timer};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The actor streams' part of a write of `events` on `case`.
pub(crate) fn writes(
    events: &[CaseEvent],
    case: &Case,
    metadata: &Metadata,
    mut new_id: impl FnMut() -> Uuid,
) -> Result<Vec<StreamWrite>> {
    let mut out = Vec::new();
    for event in events {
        let Some(record) = event.profile_record() else {
            continue;
        };
        for name in &record.actors {
            let recorded = ActorEvent::ProfileRecorded {
                profile: record.profile.clone(),
                process: case.process.clone(),
                case: case.reference.clone(),
                values: record.values.clone(),
                roles: record.roles.clone(),
            };
            let event = NewEvent::new(
                new_id(),
                recorded.event_type(),
                &recorded.data(),
                metadata.clone(),
            )
            .map_err(|err| Error::Invalid(err.to_string()))?;
            out.push(StreamWrite {
                stream: StreamName::from_parts(actors::CATEGORY, name)
                    .map_err(kroonika_store::Error::from)?,
                expected: ExpectedRevision::StreamExists,
                events: vec![event],
                timer: Timer::Keep,
            });
        }
    }
    Ok(out)
}
