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
