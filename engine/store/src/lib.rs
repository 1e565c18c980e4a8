//! Kroonika's append-only event store, on SQLite (the embedded default) and
//! PostgreSQL (when several machines share the work), with the same behaviour on
//! both.
//!
//! The store is the one component every report and audit trusts, so its promises
//! are few and hard:
//! - a [`Write`] of events to one or several streams is atomic, each stream
//!   checked against an [`ExpectedRevision`]; a mismatch writes nothing. The
//!   wake-ups and subject keys a write changes commit with its events or not at
//!   all;
//! - every event gets a global position, 1, 2, 3, … in commit order, without gaps,
//!   so a reader that resumes after position N never skips an event;
//! - writing events whose ids are already stored, identically and in place, is
//!   a no-op that returns the original positions (a retried command never writes
//!   twice); an id reused for different content is refused;
//! - stored events never change: the database itself refuses UPDATE and DELETE,
//!   and every event is hash-chained to the one before ([`chain`]), so a change
//!   made around the database's rules is evident.
//!
//! [`Store`] is the whole public surface; [`Store::write`] (and
//! [`Store::write_locked`]) the only way to write an event. The backends live
//! in `sqlite/` and `postgres/`, split by concern; the write flow they share is
//! `write.rs` over the `Backend` trait (`backend.rs`), and the reasoning that
//! needs no database (checking a batch, judging a retry) is in [`append`].

pub mod append;
mod backend;
pub mod chain;
mod connect;
pub mod credentials;
pub mod error;
mod group;
pub mod import;
pub mod index;
pub mod keys;
mod postgres;
pub mod projection;
pub mod read;
pub mod scan;
mod schema;
mod sqlite;
mod store;
pub mod subscription;
mod timers;
mod write;

pub use append::{AppendResult, Appended};
pub use credentials::CredentialChange;
pub use error::{Error, ErrorKind, Result};
pub use group::GroupStats;
pub use import::Import;
pub use index::{IndexChange, IndexHit};
pub use keys::SubjectKeyRow;
pub use projection::{DocChanges, ProjectionState};
pub use read::{Direction, ReadFrom};
pub use scan::Scan;
pub use schema::{InitOutcome, SchemaInfo};
pub use store::{Store, StoreOptions};
pub use subscription::Subscription;
pub use timers::Timer;
pub use write::{
    Locked, LockedError, LockedRead, PendingAppend, StreamWrite, Unchanged, Write, WriteResult,
};

pub use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, StreamName};

/// The INSERT statements writes issue, so that the benchmark's floor issues the
/// identical statements with nothing around them. Not for anything else: the
/// only way to write an event is [`Store::write`].
#[doc(hidden)]
pub mod floor_sql {
    /// The SQLite multi-row INSERT for `rows` rows (thirteen binds a row:
    /// position, stream, category, revision, id, type, data, metadata,
    /// recorded-at micros, hash, and the foreign columns, NULL for Kroonika's
    /// events: content type, binary data, custom metadata).
    pub fn sqlite_insert(rows: usize) -> std::sync::Arc<str> {
        crate::sqlite::insert_sql(rows)
    }

    /// The PostgreSQL UNNEST INSERT (binds: recorded-at, then arrays of
    /// positions, streams, categories, revisions, ids, types, data, metadata,
    /// hashes, content types, binary data, custom metadata, then the
    /// precondition: categories (empty: none) and a position).
    pub const POSTGRES_INSERT: &str = crate::postgres::INSERT_SQL;
}
