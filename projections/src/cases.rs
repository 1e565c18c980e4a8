//! The case list: one document per case with what lists and filters need
//! (reference, process and version, state and since when, deadline, overdue,
//! outcome, who is named in actor-list fields). Never personal field values:
//! only lists of names (actor lists) are taken from case data.

use kroonika_engine::RecordedEvent;
use kroonika_engine::case::{CaseEvent, ScheduledDeadline};
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
        let occurred = json!(event.metadata.occurred_at);
        let mut doc = match (doc, &decoded) {
            (
                _,
                CaseEvent::CaseOpened {
                    process,
                    version,
                    reference,
                    state,
                    ..
                },
            ) => json!({
                "case_id": event.stream.id(),
                "reference": reference,
                "process": process,
                "version": version,
                "state": state,
                "since": occurred,
                "opened_at": occurred,
                "closed": false,
                "outcome": null,
                "deadline": null,
                "warned": false,
                "overdue": false,
                "assigned": {},
            }),
            (Some(doc), _) => doc,
            // An event before its case's opening: the log is not what Kroonika wrote.
            (None, _) => {
                return Err(format!(
                    "event {} comes before its case was opened",
                    event.position
                ));
            }
        };
        let Some(fields) = doc.as_object_mut() else {
            return Err(format!(
                "the case-list document of {} is not an object",
                event.stream
            ));
        };
        match decoded {
            CaseEvent::CaseOpened { data, deadline, .. } => {
                assign(fields, &data);
                set_deadline(fields, deadline.as_ref());
            }
            CaseEvent::TransitionTaken {
                from,
                to,
                data,
                deadline,
                closes,
                outcome,
                ..
            } => {
                assign(fields, &data);
                if from != to {
                    fields.insert("state".into(), json!(to));
                    fields.insert("since".into(), occurred);
                    set_deadline(fields, deadline.as_ref());
                }
                if closes {
                    fields.insert("closed".into(), json!(true));
                    fields.insert("outcome".into(), json!(outcome));
                    set_deadline(fields, None);
                }
            }
            CaseEvent::CaseDataCorrected { data, .. } => assign(fields, &data),
            CaseEvent::CaseMigrated {
                to_version,
                from_state,
                to_state,
                deadline,
                ..
            } => {
                fields.insert("version".into(), json!(to_version));
                if from_state != to_state {
                    fields.insert("state".into(), json!(to_state));
                    fields.insert("since".into(), occurred);
                    set_deadline(fields, deadline.as_ref());
                }
            }
            CaseEvent::DeadlineWarned { .. } => {
                fields.insert("warned".into(), json!(true));
            }
            CaseEvent::DeadlineMissed { .. } => {
                fields.insert("overdue".into(), json!(true));
            }
            CaseEvent::TaskCompleted { .. } => {}
        }
        fields.insert("updated_at".into(), json!(event.recorded_at));
        Ok(Some(doc))
    }
}

fn set_deadline(fields: &mut Map<String, Value>, deadline: Option<&ScheduledDeadline>) {
    fields.insert(
        "deadline".into(),
        deadline.map_or(Value::Null, |d| json!(d)),
    );
    fields.insert("warned".into(), json!(false));
    fields.insert("overdue".into(), json!(false));
}

/// Keeps the lists of names from case data (actor lists), by field.
fn assign(fields: &mut Map<String, Value>, data: &std::collections::BTreeMap<String, Value>) {
    let assigned = fields.entry("assigned").or_insert_with(|| json!({}));
    let Some(assigned) = assigned.as_object_mut() else {
        return;
    };
    for (field, value) in data {
        if let Some(items) = value.as_array()
            && items.iter().all(Value::is_string)
        {
            assigned.insert(field.clone(), value.clone());
        }
    }
}
