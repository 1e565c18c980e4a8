//! The stored form of subject keys (see the `kroonika-vault` crate for what they
//! are): the store keeps them wrapped and never sees a key in the clear. Keys
//! are made and destroyed only by a [`crate::Write`], in the same transaction
//! as the events that name them; here they are only read.

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

impl crate::store::Store {
    /// The subject keys of one case stream (or all), erased ones included.
    pub async fn subject_keys(&self, stream: Option<&str>) -> crate::Result<Vec<SubjectKeyRow>> {
        crate::backend::dispatch!(self, b => b.subject_keys(stream, None).await)
    }

    /// One subject's key row.
    pub async fn subject_key(&self, subject: Uuid) -> crate::Result<Option<SubjectKeyRow>> {
        Ok(crate::backend::dispatch!(self, b => b.subject_keys(None, Some(subject)).await)?.pop())
    }
}
