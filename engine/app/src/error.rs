//! The application's one error type, and the kinds every front end maps to its
//! own codes (the CLI's exit codes, later HTTP statuses and gRPC codes).
//!
//! Four kinds, kept apart because callers do very different things with them:
//! a **rejection** (a rule said no; its [`Code`] says which kind of rule), a
//! **conflict** (someone else changed the same thing first; re-read and try
//! again), an **integrity** failure (stored history is not what Kroonika wrote)
//! and a **technical** failure (the database is down, a file cannot be read, the
//! set-up is wrong). [`Error::kind`] says which; nothing matches on message text.

use kroonika_engine::event::DecodeError;
use kroonika_engine::{Code, Rejection};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which of the four families an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A rule refused; [`Error::code`] says which kind. Retrying the same
    /// request cannot succeed.
    Rejected,
    /// Someone else changed the same thing first; retrying after re-reading may succeed.
    Conflict,
    /// The stored data is not what Kroonika wrote.
    Integrity,
    /// Set-up, input the rules never saw, or infrastructure.
    Technical,
}

impl From<kroonika_store::ErrorKind> for ErrorKind {
    /// The store's families: its rejections (a bad stream name, a reused id)
    /// are requests no rule judged, so technical here.
    fn from(kind: kroonika_store::ErrorKind) -> ErrorKind {
        match kind {
            kroonika_store::ErrorKind::Conflict => ErrorKind::Conflict,
            kroonika_store::ErrorKind::Integrity => ErrorKind::Integrity,
            kroonika_store::ErrorKind::Rejected | kroonika_store::ErrorKind::Technical => {
                ErrorKind::Technical
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A rule refused the request. Nothing was written (but a denial is
    /// recorded in the access log).
    #[error(transparent)]
    Rejected(#[from] Rejection),

    /// The request named a version of a case, and the case has moved on.
    #[error("conflict: {reference} changed since version {expected} (now {actual})")]
    Conflict {
        reference: String,
        expected: u64,
        actual: u64,
    },

    /// Stored history is not what Kroonika wrote (a broken chain, an event the
    /// rules would not have produced, a tampered import).
    #[error("integrity failure: {0}")]
    Integrity(String),

    /// Input or set-up that no rule judges: a file that is not an export, a
    /// definition with errors shown elsewhere.
    #[error("{0}")]
    Invalid(String),

    #[error(transparent)]
    Store(#[from] kroonika_store::Error),

    #[error(transparent)]
    Vault(#[from] kroonika_vault::Error),

    /// A stored event that does not read as the event its stream holds.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    #[error("{0}")]
    Json(#[from] serde_json::Error),

    #[error("{0}")]
    Io(#[from] std::io::Error),

    /// What was being done when `source` failed.
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Rejected(_) => ErrorKind::Rejected,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::Store(store) => store.kind().into(),
            Error::Vault(kroonika_vault::Error::Erased { .. }) => ErrorKind::Rejected,
            Error::Context { source, .. } => source.kind(),
            // An event that does not read as its stream's: changed outside
            // Kroonika (or written by a newer build).
            Error::Decode(_) => ErrorKind::Integrity,
            Error::Invalid(_) | Error::Vault(_) | Error::Json(_) | Error::Io(_) => {
                ErrorKind::Technical
            }
        }
    }

    /// The store could not be reached: retrying later may succeed.
    /// The store may be read but not written (see the store's error).
    pub fn is_read_only(&self) -> bool {
        match self {
            Error::Store(store) => store.is_read_only(),
            Error::Context { source, .. } => source.is_read_only(),
            _ => false,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Store(store) => store.is_unavailable(),
            Error::Context { source, .. } => source.is_unavailable(),
            _ => false,
        }
    }

    /// The rejection's code, for a rejection.
    pub fn code(&self) -> Option<Code> {
        match self {
            Error::Rejected(rejection) => Some(rejection.code()),
            Error::Vault(kroonika_vault::Error::Erased { .. }) => Some(Code::Erased),
            Error::Context { source, .. } => source.code(),
            _ => None,
        }
    }

    /// The rejection, for a rejection.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Error::Rejected(rejection) => Some(rejection),
            Error::Context { source, .. } => source.rejection(),
            _ => None,
        }
    }

    /// This error, saying what was being done.
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }
}

/// A rejection with a code: the shorthand every module uses.
pub(crate) fn reject(code: Code, reason: impl Into<String>) -> Error {
    Error::Rejected(Rejection::new(code, reason))
}

/// Adds what was being done to an error.
pub(crate) trait Context<T> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|err| err.into().context(context()))
    }
}
