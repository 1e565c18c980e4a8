//! Projections: pure folds of the event log into reports, metrics and audit trails.
//!
//! Folds are functions over recorded events and hold no SQL; the runner that reads
//! the log and stores each projection's tables with its checkpoint is wired in the
//! CLI through the store. Nothing is here yet: projections build on the engine.
