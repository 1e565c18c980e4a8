//! The case list: one document per case with what lists and filters need:
//! the case as [`Case::evolve`] leaves it (reference, process and version,
//! state and since when, deadline, warned/missed, outcome) without its data,
//! plus who is named in actor-list fields. Folding through `evolve` keeps the
//! list and the engine's own view of a case from ever disagreeing.

use kroonika_engine::RecordedEvent;
use kroonika_engine::case::{Case, CaseEvent};
use serde_json::{Map, Value, json};

use crate::Fold;

/// Folds `case-*` streams into the case list.
#[derive(Debug, Clone, Copy)]
pub struct CaseList;

impl Fold for CaseList {
    fn name(&self) -> &'static str {
        "case-list"
    }

    fn category(&self) -> &'static str {
        "case"
    }

    fn key(&self, event: &RecordedEvent) -> Option<String> {
        (event.stream.category() == "case").then(|| event.stream.id().to_owned())
    }

    fn apply(&self, doc: Option<Value>, event: &RecordedEvent) -> Result<Option<Value>, String> {
        let decoded =
            CaseEvent::from_parts(&event.event_type, event.data.as_str()).map_err(|err| {
                format!(
                    "event {} ({}) cannot be read: {err}",
                    event.position, event.event_type
                )
            })?;
        let (mut case, mut assigned, opened_at) = match (doc, &decoded) {
            (_, CaseEvent::CaseOpened { .. }) => (
                Case::default(),
                Map::new(),
                json!(event.metadata.occurred_at),
            ),
            (Some(doc), _) => {
                let case: Case = serde_json::from_value(doc.clone()).map_err(|err| {
                    format!(
                        "the case-list document of {} cannot be read: {err}",
                        event.stream
                    )
                })?;
                let assigned = doc["assigned"].as_object().cloned().unwrap_or_default();
                (case, assigned, doc["opened_at"].clone())
            }
            // An event before its case's opening: the log is not what Kroonika wrote.
            (None, _) => {
                return Err(format!(
                    "event {} comes before its case was opened",
                    event.position
                ));
            }
        };
        case.evolve(&decoded, event.metadata.occurred_at, event.revision);
        // `case.data` holds only what this event set (data is never stored):
        // keep the lists of names, which are who is assigned.
        for (field, value) in &case.data {
            if let Some(items) = value.as_array()
                && items.iter().all(Value::is_string)
            {
                assigned.insert(field.clone(), value.clone());
            }
        }
        let mut doc = serde_json::to_value(&case).map_err(|err| err.to_string())?;
        if let Some(fields) = doc.as_object_mut() {
            fields.insert("case_id".into(), json!(event.stream.id()));
            fields.insert("opened_at".into(), opened_at);
            fields.insert("assigned".into(), Value::Object(assigned));
            fields.insert("updated_at".into(), json!(event.recorded_at));
        }
        Ok(Some(doc))
    }
}
