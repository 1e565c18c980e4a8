//! The case list: one document per case with what lists and filters need:
//! the case as [`Case::evolve`] leaves it (reference, process and version,
//! state and since when, deadline, warned/missed, outcome) without its data,
//! plus who opened it, who is named in actor-list fields and the case's region
//! (the value of the field its definition's `region` names). Folding through `evolve` keeps the
//! list and the engine's own view of a case from ever disagreeing.

use kroonika_engine::RecordedEvent;
use kroonika_engine::case::{Case, CaseEvent};
use serde_json::{Map, Value, json};

use crate::{CaseFold, Catalog};

/// Folds `case-*` streams into the case list.
#[derive(Debug, Clone, Copy)]
pub struct CaseList;

impl CaseFold for CaseList {
    type Doc = Row;
    const NAME: &'static str = "case-list";

    fn decode(doc: Value) -> Result<Row, String> {
        Row::from_doc(doc)
    }

    fn encode(doc: Row) -> Value {
        doc.into_doc()
    }

    fn fold(catalog: &Catalog, doc: &mut Option<Row>, event: &RecordedEvent) -> Result<(), String> {
        fold(catalog, doc, event)
    }
}

/// A case-list document, decoded.
pub(crate) struct Row {
    case: Case,
    case_id: String,
    opened_at: Value,
    opened_by: Value,
    assigned: Map<String, Value>,
    updated_at: Value,
    region: Value,
}

impl Row {
    fn from_doc(doc: Value) -> Result<Row, String> {
        let assigned = doc["assigned"].as_object().cloned().unwrap_or_default();
        let opened_at = doc["opened_at"].clone();
        let opened_by = doc["opened_by"].clone();
        let updated_at = doc["updated_at"].clone();
        let region = doc["region"].clone();
        let case_id = doc["case_id"].as_str().unwrap_or_default().to_owned();
        let case: Case = serde_json::from_value(doc).map_err(|err| {
            format!("the case-list document of case {case_id} cannot be read: {err}")
        })?;
        Ok(Row {
            case,
            case_id,
            opened_at,
            opened_by,
            assigned,
            updated_at,
            region,
        })
    }

    fn into_doc(self) -> Value {
        let mut doc = serde_json::to_value(&self.case).unwrap_or_default();
        if let Some(fields) = doc.as_object_mut() {
            fields.insert("case_id".into(), json!(self.case_id));
            fields.insert("opened_at".into(), self.opened_at);
            fields.insert("opened_by".into(), self.opened_by);
            fields.insert("assigned".into(), Value::Object(self.assigned));
            fields.insert("updated_at".into(), self.updated_at);
            if !self.region.is_null() {
                fields.insert("region".into(), self.region);
            }
        }
        doc
    }
}

/// Folds one event into a row (None: no row yet, only CaseOpened may start one).
fn fold(catalog: &Catalog, state: &mut Option<Row>, event: &RecordedEvent) -> Result<(), String> {
    let decoded = CaseEvent::from_parts(&event.event_type, event.data.as_str()).map_err(|err| {
        format!(
            "event {} ({}) cannot be read: {err}",
            event.position, event.event_type
        )
    })?;
    if let CaseEvent::CaseOpened { .. } = decoded {
        *state = Some(Row {
            case: Case::default(),
            case_id: event.stream.id().to_owned(),
            opened_at: json!(event.metadata.occurred_at),
            opened_by: json!(event.metadata.actor),
            assigned: Map::new(),
            updated_at: Value::Null,
            region: Value::Null,
        });
    }
    // An event before its case's opening: the log is not what Kroonika wrote.
    let row = state
        .as_mut()
        .ok_or_else(|| format!("event {} comes before its case was opened", event.position))?;
    row.case.data.clear();
    row.case
        .evolve(&decoded, event.metadata.occurred_at, event.revision);
    if let Some(field) = catalog
        .get(&row.case.process, row.case.version)
        .and_then(|d| d.region.as_deref())
        && let Some(region) = row.case.data.get(field).filter(|v| v.is_string())
    {
        row.region = region.clone();
    }
    // `case.data` now holds only what this event set (data is never stored):
    // keep the lists of names, which are who is assigned.
    for (field, value) in &row.case.data {
        if let Some(items) = value.as_array()
            && items.iter().all(Value::is_string)
        {
            row.assigned.insert(field.clone(), value.clone());
        }
    }
    row.updated_at = json!(event.recorded_at);
    Ok(())
}
