//! Kroonika's append-only event store, on SQLite (the embedded default) and
//! PostgreSQL (when several machines share the work), with the same behaviour on
//! both.
//!
//! The store is the one component every report and audit trusts, so its promises
//! are few and hard:
//! - an append of one or several events to one stream is atomic and checked
//!   against an [`ExpectedRevision`]; a mismatch writes nothing;
//! - every event gets a global position, 1, 2, 3, … in commit order, without gaps,
//!   so a reader that resumes after position N never skips an event;
//! - appending a batch whose ids are already stored, identically and in place, is
//!   a no-op that returns the original positions (a retried command never writes
//!   twice); an id reused for different content is refused;
//! - stored events never change: the database itself refuses UPDATE and DELETE,
//!   and every event is hash-chained to the one before ([`chain`]), so a change
//!   made around the database's rules is evident.
//!
//! [`Store`] is the whole public surface. The two backends live in [`sqlite`] and
//! [`postgres`]; the reasoning they share (checking a batch, judging a retry) is in
//! [`append`].

pub mod append;
pub mod chain;
mod connect;
pub mod error;
mod execute;
pub mod import;
pub mod keys;
mod postgres;
pub mod projection;
pub mod read;
pub mod scan;
mod schema;
mod sqlite;
mod store;
pub mod subscription;

pub use append::{AppendResult, Appended};
pub use error::{Error, ErrorKind, Result};
pub use execute::{ATTEMPTS, ExecuteError};
pub use import::Import;
pub use keys::SubjectKeyRow;
pub use projection::{DocChanges, ProjectionState};
pub use read::{Direction, ReadFrom};
pub use scan::Scan;
pub use schema::{InitOutcome, SchemaInfo};
pub use store::{PendingAppend, Store, StoreOptions, Timer};
pub use subscription::Subscription;

pub use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, StreamName};

/// The INSERT statements appends issue, so that the benchmark's floor issues the
/// identical statements with nothing around them. Not for anything else: the
/// only way to write an event is [`Store::append`].
#[doc(hidden)]
pub mod floor_sql {
    /// The SQLite multi-row INSERT for `rows` rows (binds: stream, category,
    /// recorded-at micros, then per row position, revision, id, type, data, metadata, hash).
    pub fn sqlite_insert(rows: usize) -> std::sync::Arc<str> {
        crate::sqlite::insert_sql(rows)
    }

    /// The PostgreSQL UNNEST INSERT (binds: stream, category, recorded-at, then
    /// arrays of positions, revisions, ids, types, data, metadata, hashes).
    pub const POSTGRES_INSERT: &str = crate::postgres::INSERT_SQL;
}
