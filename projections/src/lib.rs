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
pub mod facts;
pub mod hours;
pub mod metrics;

use std::collections::BTreeMap;
use std::sync::Arc;

use kroonika_engine::RecordedEvent;
use kroonika_engine::definition::ProcessDefinition;
use serde_json::Value;

/// The published definitions a fold may consult, by process and version.
///
/// Definitions are events too, but a fold works one document at a time; the
/// runner hands the published versions over instead. That keeps folds pure:
/// a published version never changes, and a case's events always come after
/// the publication of the version they name, so a catalog loaded at any later
/// point gives every fold the same answer.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Process id → version → definition.
    definitions: BTreeMap<String, BTreeMap<u32, Arc<ProcessDefinition>>>,
}

impl Catalog {
    pub fn insert(&mut self, version: u32, definition: ProcessDefinition) {
        self.definitions
            .entry(definition.id.clone())
            .or_default()
            .insert(version, Arc::new(definition));
    }

    /// Adds a definition already shared elsewhere (the application's
    /// compiled registry).
    pub fn insert_shared(&mut self, version: u32, definition: Arc<ProcessDefinition>) {
        self.definitions
            .entry(definition.id.clone())
            .or_default()
            .insert(version, definition);
    }

    pub fn get(&self, process: &str, version: u32) -> Option<&ProcessDefinition> {
        self.definitions
            .get(process)
            .and_then(|versions| versions.get(&version))
            .map(|d| d.as_ref())
    }

    /// The latest published version of a process and its number.
    pub fn latest(&self, process: &str) -> Option<(u32, &ProcessDefinition)> {
        self.definitions
            .get(process)
            .and_then(|versions| versions.last_key_value())
            .map(|(v, d)| (*v, d.as_ref()))
    }
}

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
    fn apply(
        &self,
        catalog: &Catalog,
        doc: Option<Value>,
        event: &RecordedEvent,
    ) -> Result<Option<Value>, String>;

    /// Folds a batch of events (in log order) into `docs`, which holds the
    /// current document (or None) of every key the batch touches. The default
    /// applies event by event; a fold may override it to decode each document
    /// once per batch. An error names the event it stopped at.
    fn apply_batch(
        &self,
        catalog: &Catalog,
        docs: &mut BTreeMap<String, Option<Value>>,
        events: &[RecordedEvent],
    ) -> Result<(), (u64, String)> {
        for event in events {
            let Some(key) = self.key(event) else { continue };
            let current = docs.remove(&key).flatten();
            let next = self
                .apply(catalog, current, event)
                .map_err(|reason| (event.position, reason))?;
            docs.insert(key, next);
        }
        Ok(())
    }
}

/// The category of case streams, which every case projection reads.
pub(crate) const CASES: &str = kroonika_engine::case::CATEGORY;

/// A projection of case streams into one document per case, folded decoded:
/// each touched document is decoded once per batch. Every Kroonika
/// projection is one; [`Fold`] comes with it.
pub(crate) trait CaseFold: Sync {
    /// A case's document, decoded.
    type Doc;
    const NAME: &'static str;
    fn decode(doc: Value) -> Result<Self::Doc, String>;
    fn encode(doc: Self::Doc) -> Value;
    /// Folds one event into its case's document (None before the case's
    /// first event).
    fn fold(
        catalog: &Catalog,
        doc: &mut Option<Self::Doc>,
        event: &RecordedEvent,
    ) -> Result<(), String>;
}

impl<T: CaseFold> Fold for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn category(&self) -> &'static str {
        CASES
    }

    fn key(&self, event: &RecordedEvent) -> Option<String> {
        case_key(event)
    }

    fn apply(
        &self,
        catalog: &Catalog,
        doc: Option<Value>,
        event: &RecordedEvent,
    ) -> Result<Option<Value>, String> {
        let mut decoded = doc.map(T::decode).transpose()?;
        T::fold(catalog, &mut decoded, event)?;
        Ok(decoded.map(T::encode))
    }

    fn apply_batch(
        &self,
        catalog: &Catalog,
        docs: &mut BTreeMap<String, Option<Value>>,
        events: &[RecordedEvent],
    ) -> Result<(), (u64, String)> {
        fold_decoded(
            self,
            docs,
            events,
            T::decode,
            |doc, event| T::fold(catalog, doc, event),
            T::encode,
        )
    }
}

/// The published version a case is decided by, or why a fold cannot go on.
pub(crate) fn definition<'a>(
    catalog: &'a Catalog,
    process: &str,
    version: u32,
) -> Result<&'a ProcessDefinition, String> {
    catalog
        .get(process, version)
        .ok_or_else(|| format!("version {version} of process '{process}' is not published"))
}

/// One document per case, keyed by the case's id.
pub(crate) fn case_key(event: &RecordedEvent) -> Option<String> {
    (event.stream.category() == CASES).then(|| event.stream.id().to_owned())
}

/// Every projection Kroonika keeps.
pub fn all() -> Vec<&'static dyn Fold> {
    vec![&cases::CaseList, &facts::CaseFacts, &hours::VolunteerHours]
}

/// `Fold::apply_batch` for folds that work on a decoded document: each touched
/// document is decoded once per batch, every event of the batch folded into it,
/// and encoded once. `fold` starts a document (from None) on a case's first event.
pub(crate) fn fold_decoded<R>(
    projection: &dyn Fold,
    docs: &mut BTreeMap<String, Option<Value>>,
    events: &[RecordedEvent],
    decode: impl Fn(Value) -> Result<R, String>,
    mut fold: impl FnMut(&mut Option<R>, &RecordedEvent) -> Result<(), String>,
    encode: impl Fn(R) -> Value,
) -> Result<(), (u64, String)> {
    let mut rows: BTreeMap<String, Option<R>> = BTreeMap::new();
    for event in events {
        let Some(key) = projection.key(event) else {
            continue;
        };
        let row = match rows.entry(key) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let doc = docs.remove(entry.key()).flatten();
                let row = doc
                    .map(&decode)
                    .transpose()
                    .map_err(|reason| (event.position, reason))?;
                entry.insert(row)
            }
        };
        fold(row, event).map_err(|reason| (event.position, reason))?;
    }
    for (key, row) in rows {
        docs.insert(key, row.map(&encode));
    }
    Ok(())
}
