//! Storage for projections: documents keyed per projection, and checkpoints.
//!
//! The folds themselves are pure and live elsewhere; this is only where their
//! output is kept. `commit_projection` writes a batch's document changes and
//! moves the checkpoint from the position the batch was read from to the
//! position it ends at, in one transaction, and only if the checkpoint is still
//! where the batch started (compare-and-set). So a crash loses the whole batch
//! or none of it, and of two runners on the same projection only one can apply
//! a given batch; the other learns it lost and reads on from the new checkpoint.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::backend::dispatch;
use crate::store::Store;

/// How far a projection has read, and its last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionState {
    pub name: String,
    pub position: u64,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A batch of document changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocChanges {
    pub put: Vec<(String, Value)>,
    pub delete: Vec<String>,
}

impl DocChanges {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.delete.is_empty()
    }
}

impl Store {
    /// Every projection's checkpoint (or one's), by name.
    pub async fn projection_states(
        &self,
        name: Option<&str>,
    ) -> crate::Result<Vec<ProjectionState>> {
        dispatch!(self, b => b.projection_states(name).await)
    }

    /// A projection's documents: all of them (by key), or those with these keys.
    pub async fn projection_docs(
        &self,
        projection: &str,
        keys: Option<&[String]>,
    ) -> crate::Result<Vec<(String, Value)>> {
        dispatch!(self, b => b.projection_docs(projection, keys).await)
    }

    /// Writes a batch's document changes and moves the checkpoint from `from` to
    /// `to`, in one transaction, only if the checkpoint is still at `from`.
    /// Returns false (writing nothing) when another runner moved it first.
    pub async fn commit_projection(
        &self,
        name: &str,
        from: u64,
        to: u64,
        changes: &DocChanges,
    ) -> crate::Result<bool> {
        dispatch!(self, b => b.commit_projection(name, from, to, changes).await)
    }

    /// Records why a projection could not fold an event (shown by `projections status`).
    pub async fn record_projection_error(&self, name: &str, error: &str) -> crate::Result<()> {
        dispatch!(self, b => b.record_projection_error(name, error).await)
    }

    /// Swaps a rebuilt projection in: readers see the old one or the new one, never a mix.
    pub async fn swap_projection(&self, staging: &str, name: &str) -> crate::Result<()> {
        dispatch!(self, b => b.swap_projection(staging, name).await)
    }

    /// Removes a projection's documents and checkpoint.
    pub async fn drop_projection(&self, name: &str) -> crate::Result<()> {
        dispatch!(self, b => b.drop_projection(name).await)
    }
}
