//! The stored form of subject keys (see the `kroonika-vault` crate for what they
//! are): the store keeps them wrapped and never sees a key in the clear.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One data subject's key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectKeyRow {
    pub subject: Uuid,
    /// The case stream the subject belongs to.
    pub stream: String,
    /// The subject's name in the definition (`victim`).
    pub name: String,
    /// The key wrapped by the master key; None once the subject was erased.
    pub wrapped: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}
