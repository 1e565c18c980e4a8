//! Cases: the events of a case's stream ([`event`]), the state they fold into
//! ([`state`]), and the pure decisions that produce them ([`decide`]), with
//! values parsed by field type ([`value`]) and guards evaluated with CEL
//! ([`guard`]).
//!
//! A case lives in the stream `case-<uuid>`. People know it by its reference
//! (`SC-2026-0042`), allocated in the stream `caseref-<PREFIX>.<YEAR>`, whose
//! revision is the reference's number minus one and whose events map a
//! reference to its case ([`ReferenceAllocated`]). The names of both live here
//! and nowhere else.
//!
//! Deadlines are scheduled when a state is entered; [`Case::next_wake`] says
//! when the system next acts on a case, and [`on_timer`] what it does then.

pub mod decide;
pub mod documents;
pub mod event;
pub mod guard;
pub mod notices;
pub mod people;
pub mod privacy;
pub mod profile;
pub mod state;
pub mod value;

#[cfg(test)]
pub(crate) mod fixture;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::stream::StreamName;

pub use decide::{
    Context, Migration, RawInput, Values, availability, complete_task, correct, may_tick, migrate,
    migration_target, on_timer, open, take, tasks, undo_task,
};
pub use event::{CaseEvent, NoticeDue, ProfileRecord, ScheduledDeadline};
pub use notices::send_notice;
pub use state::{Case, PendingNotice, Wake};
pub use value::RawValue;

/// The stream category of cases: `case-<uuid>`.
pub const CATEGORY: &str = "case";
/// The stream category of reference numbering: `caseref-<PREFIX>.<YEAR>`.
pub const REFERENCE_CATEGORY: &str = "caseref";
/// The event type of a reference's allocation.
pub const REFERENCE_ALLOCATED: &str = "ReferenceAllocated";

/// The stream of case `id`.
pub fn stream(id: Uuid) -> StreamName {
    // A category of letters and a UUID always make a valid name.
    StreamName::from_parts(CATEGORY, id).unwrap_or_else(|_| unreachable!("a case stream name"))
}

/// The case id of a case stream, if `stream` is one.
pub fn id_of(stream: &StreamName) -> Option<Uuid> {
    (stream.category() == CATEGORY)
        .then(|| Uuid::parse_str(stream.id()).ok())
        .flatten()
}

/// The stream numbering references `<prefix>-<year>-NNNN`, or None when the
/// prefix cannot name a stream (a reference nobody could have allocated).
pub fn reference_stream(prefix: &str, year: i32) -> Option<StreamName> {
    StreamName::from_parts(REFERENCE_CATEGORY, format!("{prefix}.{year}")).ok()
}

/// A reference as people write it, `SC-2026-0042`: its numbering stream and its
/// revision there. None when the text is not shaped like a reference.
pub fn parse_reference(text: &str) -> Option<(StreamName, u64)> {
    let parts: Vec<&str> = text.split('-').collect();
    let [prefix, year, number] = parts.as_slice() else {
        return None;
    };
    let (Ok(year), Ok(number)) = (year.parse::<i32>(), number.parse::<u64>()) else {
        return None;
    };
    let revision = number.checked_sub(1)?;
    Some((reference_stream(prefix, year)?, revision))
}

/// The reference that revision `revision` of a numbering stream allocates.
pub fn reference(prefix: &str, year: i32, revision: Option<u64>) -> String {
    let number = revision.map_or(1, |r| r + 2);
    format!("{prefix}-{year}-{number:04}")
}

/// The payload of a reference's allocation: which case it names. (Fields in
/// the order they are stored, which is alphabetical like every JSON object the
/// log holds.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceAllocated {
    pub case_id: Uuid,
    pub reference: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_map_to_their_numbering_stream() {
        let (stream, revision) = parse_reference("SC-2026-0042").unwrap();
        assert_eq!(stream.as_str(), "caseref-SC.2026");
        assert_eq!(revision, 41);
        assert_eq!(reference("SC", 2026, Some(41)), "SC-2026-0043");
        assert_eq!(reference("SC", 2026, None), "SC-2026-0001");
        for bad in [
            "",
            "SC-2026",
            "SC-2026-0000",
            "SC-x-1",
            "S C-2026-1",
            "SC-2026-1-2",
        ] {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
        let id = Uuid::from_u128(7);
        assert_eq!(id_of(&stream_of(id)), Some(id));
        assert_eq!(id_of(&StreamName::new("actor-mari").unwrap()), None);
    }

    fn stream_of(id: Uuid) -> StreamName {
        super::stream(id)
    }
}
