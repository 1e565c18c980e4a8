//! Projections: pure folds of the event log into documents that reports and
//! lists read.
//!
//! A fold says which document an event touches ([`Fold::key`]) and how the
//! event changes it ([`Fold::apply`]); it never sees a database. The runner (in
//! the CLI, through the store) reads the log in batches, loads the touched
//! documents, folds, and writes the changes with the new checkpoint in one
//! transaction. Because folds are pure and the log is ordered, a projection
//! rebuilt from the first event equals one kept up incrementally.

pub mod cases;

use kroonika_engine::RecordedEvent;
use serde_json::Value;

/// A projection's fold.
pub trait Fold: Sync {
    /// The projection's name (its documents and checkpoint are kept under it).
    fn name(&self) -> &'static str;
    /// The stream category it reads; events of other categories never reach it.
    fn category(&self) -> &'static str;
    /// The document this event changes, if any.
    fn key(&self, event: &RecordedEvent) -> Option<String>;
    /// The document after the event (None: remove it). An error stops the
    /// projection at this event, with the reason shown by `projections status`.
    fn apply(&self, doc: Option<Value>, event: &RecordedEvent) -> Result<Option<Value>, String>;

    /// Folds a batch of events (in log order) into `docs`, which holds the
    /// current document (or None) of every key the batch touches. The default
    /// applies event by event; a fold may override it to decode each document
    /// once per batch. An error names the event it stopped at.
    fn apply_batch(
        &self,
        docs: &mut std::collections::BTreeMap<String, Option<Value>>,
        events: &[RecordedEvent],
    ) -> Result<(), (u64, String)> {
        for event in events {
            let Some(key) = self.key(event) else { continue };
            let current = docs.remove(&key).flatten();
            let next = self
                .apply(current, event)
                .map_err(|reason| (event.position, reason))?;
            docs.insert(key, next);
        }
        Ok(())
    }
}

/// Every projection Kroonika keeps.
pub fn all() -> Vec<&'static dyn Fold> {
    vec![&cases::CaseList]
}
