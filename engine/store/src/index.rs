//! The search index's stored form (the `kroonika-vault` crate makes the
//! tokens; what they are and what they give away is explained there). The
//! store only keeps tokens: it never sees a name. Entries change only inside a
//! [`crate::Write`], with the event that records the value or the erasure that
//! ends it; here they are looked up.

use uuid::Uuid;

/// A change to the search index, made by a [`crate::Write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexChange {
    /// One field of a case now has these tokens (none: it has no value any
    /// more); whatever it had before is replaced.
    Field {
        stream: String,
        field: String,
        /// Whose data the value is: erasing them deletes the tokens.
        subject: Uuid,
        /// `(kind, token)`: kind `text` or `phone`, a 32-byte token.
        tokens: Vec<(String, Vec<u8>)>,
    },
    /// Everything of one case, removed (before it is indexed anew).
    ClearStream(String),
}

/// One index entry a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHit {
    pub stream: String,
    pub field: String,
    pub kind: String,
    pub subject: Uuid,
}

impl crate::store::Store {
    /// The index entries holding any of `tokens`, by stream and field.
    pub async fn search_index(&self, tokens: &[Vec<u8>]) -> crate::Result<Vec<IndexHit>> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        crate::backend::dispatch!(self, b => b.search_index(tokens).await)
    }

    /// How many index entries the store holds (the stored tokens of every
    /// searchable value).
    pub async fn index_size(&self) -> crate::Result<u64> {
        crate::backend::dispatch!(self, b => b.index_size().await)
    }
}
