//! The store's one error type.
//!
//! Callers branch on three very different things, so they are kept apart:
//! a **conflict** (someone else appended first: re-read, decide again, retry), a
//! **rejection** of the input (a bad stream name, an event id reused for other
//! content: retrying cannot help), and everything **technical** (the database is
//! unreachable, the file is not a store, a row cannot be read back). `kind()` says
//! which, so the CLI can map them to exit codes without matching on variants.
//!
//! Messages are lower case without a final period, and a wrapped cause is reached
//! through `source()`, never repeated in the message (print the chain, as the CLI
//! does with `{:#}`, to see it all).

use std::fmt;

use kroonika_engine::{ExpectedRevision, StreamName, StreamNameError};
use uuid::Uuid;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The stream was not where the writer expected it. Nothing was appended.
    #[error("conflict: stream '{stream}' was expected at {expected}, but {}", Actual(*actual))]
    WrongExpectedRevision {
        stream: StreamName,
        expected: ExpectedRevision,
        /// The stream's last revision when the append was tried; None if it has no events.
        actual: Option<u64>,
    },

    /// An event of the watched categories was written after the position the
    /// write's decision was made against. Nothing was appended.
    #[error("conflict: {} changed after position {position}{}", .categories.join(" or "), .head.map(|h| format!(" (now at {h})")).unwrap_or_default())]
    Moved {
        categories: Vec<String>,
        position: u64,
        head: Option<u64>,
    },

    /// A write stores a key for a subject that has one already (another writer
    /// made it first). Nothing was written.
    #[error("conflict: a key for subject {} exists already", .subjects.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    SubjectKeyExists { subjects: Vec<Uuid> },

    /// An event id in the batch is stored already, but not as this same event at
    /// this same place. Nothing was appended.
    #[error("event id {id} is already used: {detail}")]
    EventIdReused { id: Uuid, detail: String },

    #[error(transparent)]
    InvalidStreamName(#[from] StreamNameError),

    /// An event in a batch is malformed (its index in the batch is given).
    #[error("event {index} of the batch is invalid: {reason}")]
    InvalidEvent { index: usize, reason: String },

    #[error("invalid store URL '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("no Kroonika store at {location}; run `kroonika init` to create one")]
    NoStore { location: String },

    #[error("{location} is not a Kroonika store: {reason}")]
    NotAStore { location: String, reason: String },

    #[error(
        "the store at {location} was created by a newer Kroonika (schema version {found}; this build knows up to {supported}); upgrade kroonika"
    )]
    SchemaTooNew {
        location: String,
        found: i64,
        supported: i64,
    },

    #[error(
        "the store at {location} has schema version {found} and this build needs {needed}; run `kroonika init` to upgrade it"
    )]
    SchemaOutdated {
        location: String,
        found: i64,
        needed: i64,
    },

    #[error("cannot open the store at {location}: {reason}")]
    Unreachable { location: String, reason: String },

    #[error("cannot migrate the store at {location}")]
    Migrate {
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// An import needs a store without events.
    #[error(
        "the store at {location} holds {events} events already; import into a new, empty store"
    )]
    NotEmpty { location: String, events: u64 },

    /// A stored row that cannot be read back as an event: the database was changed
    /// outside Kroonika.
    #[error("stored event at position {position} cannot be read: {reason}")]
    Corrupt { position: i64, reason: String },

    /// The database failed in a way the store does not handle. Kept whole for
    /// callers that want to look inside; the message shows only its essence.
    #[error("database error: {}", describe(.0))]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::Database(err)
    }
}

/// What a sqlx error says, without sqlx's wrapping ("error returned from
/// database: … at line 768") that means nothing to a user.
pub(crate) fn describe(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        other => other.to_string(),
    }
}

/// Which of the three families an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Retryable after re-reading: someone else wrote first.
    Conflict,
    /// The request itself is wrong; retrying the same request cannot succeed.
    Rejected,
    /// The stored data is not what Kroonika wrote.
    Integrity,
    /// Set-up or infrastructure: wrong URL, missing store, database down.
    Technical,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::WrongExpectedRevision { .. }
            | Error::Moved { .. }
            | Error::SubjectKeyExists { .. } => ErrorKind::Conflict,
            Error::EventIdReused { .. }
            | Error::InvalidStreamName(_)
            | Error::InvalidEvent { .. }
            | Error::NotEmpty { .. } => ErrorKind::Rejected,
            Error::Corrupt { .. } => ErrorKind::Integrity,
            Error::InvalidUrl { .. }
            | Error::NoStore { .. }
            | Error::NotAStore { .. }
            | Error::SchemaTooNew { .. }
            | Error::SchemaOutdated { .. }
            | Error::Unreachable { .. }
            | Error::Migrate { .. }
            | Error::Database(_) => ErrorKind::Technical,
        }
    }

    pub fn is_conflict(&self) -> bool {
        self.kind() == ErrorKind::Conflict
    }

    /// The store may be read but not written (an auditor's read-only copy,
    /// a file opened read-only, a database role without write rights).
    pub fn is_read_only(&self) -> bool {
        let Error::Database(sqlx::Error::Database(db)) = self else {
            return false;
        };
        match db.code().as_deref() {
            // PostgreSQL: a read-only transaction, or no right to write.
            Some("25006" | "42501") => true,
            // SQLite: SQLITE_READONLY and its extended codes (8 + n·256).
            Some(code) => code.parse::<i32>().is_ok_and(|c| c & 0xff == 8),
            None => false,
        }
    }

    /// The database could not be reached (down, the network, no free
    /// connection in time): retrying later may succeed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unreachable { .. } => true,
            Error::Database(err) => matches!(
                err,
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
            ),
            _ => false,
        }
    }
}

/// Renders a stream's actual revision for the conflict message.
struct Actual(Option<u64>);

impl fmt::Display for Actual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("the stream does not exist"),
            Some(revision) => write!(f, "it is at revision {revision}"),
        }
    }
}
