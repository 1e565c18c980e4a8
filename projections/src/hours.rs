//! Volunteer hours: one document per case with every entry of hours a step
//! recorded (whose, which activity, which day, how many), for the report
//! that totals each volunteer's hours across processes.
//!
//! Which steps record hours, and where their figures are, is the
//! definition's to say (a transition's `hours`): the fold reads the version
//! the case was decided under from the catalog, so a report never guesses.
//! Unlike the case facts, these documents name people (actor names, never a
//! data subject's): the report shows per-person totals only to those allowed,
//! and records that they looked.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kroonika_engine::RecordedEvent;
use kroonika_engine::case::CaseEvent;
use kroonika_engine::definition::{ActivityOf, FieldType, ProcessDefinition, Who};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CaseFold, Catalog, definition};

/// Folds `case-*` streams into their hours.
#[derive(Debug, Clone, Copy)]
pub struct VolunteerHours;

/// The hours of one case (the document, decoded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseHours {
    pub process: String,
    pub version: u32,
    /// The case's list-of-actors fields as last set (a step's hours may
    /// belong to the people a field names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub people: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub entries: Vec<Entry>,
}

/// Hours one person gave in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub who: String,
    pub activity: String,
    /// The day the step happened (occurred-at).
    pub on: NaiveDate,
    pub hours: f64,
}

impl CaseHours {
    pub fn from_doc(doc: Value) -> Result<CaseHours, String> {
        serde_json::from_value(doc)
            .map_err(|err| format!("a volunteer-hours document cannot be read: {err}"))
    }

    pub fn to_doc(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl CaseFold for VolunteerHours {
    type Doc = CaseHours;
    const NAME: &'static str = "volunteer-hours";

    fn decode(doc: Value) -> Result<CaseHours, String> {
        CaseHours::from_doc(doc)
    }

    fn encode(doc: CaseHours) -> Value {
        doc.to_doc()
    }

    fn fold(
        catalog: &Catalog,
        doc: &mut Option<CaseHours>,
        event: &RecordedEvent,
    ) -> Result<(), String> {
        fold(catalog, doc, event)
    }
}

fn fold(
    catalog: &Catalog,
    hours: &mut Option<CaseHours>,
    event: &RecordedEvent,
) -> Result<(), String> {
    let decoded = CaseEvent::from_parts(&event.event_type, event.data.as_str()).map_err(|err| {
        format!(
            "event {} ({}) cannot be read: {err}",
            event.position, event.event_type
        )
    })?;
    match decoded {
        CaseEvent::CaseOpened {
            process,
            version,
            data,
            ..
        } => {
            let def = definition(catalog, &process, version)?;
            let mut opened = CaseHours {
                process,
                version,
                people: BTreeMap::new(),
                entries: Vec::new(),
            };
            keep_people(def, &mut opened.people, &data);
            *hours = Some(opened);
        }
        CaseEvent::TransitionTaken {
            transition,
            from,
            data,
            input,
            ..
        } => {
            let case = hours.as_mut().ok_or_else(|| {
                format!("event {} comes before its case was opened", event.position)
            })?;
            let def = definition(catalog, &case.process, case.version)?;
            keep_people(def, &mut case.people, &data);
            let Some(spec) = def
                .state(&from)
                .and_then(|s| def.transitions_in(s).find(|t| t.name == transition))
                .and_then(|t| t.hours.as_ref())
            else {
                return Ok(());
            };
            let given = |name: &str| input.get(name).or_else(|| data.get(name));
            let Some(amount) = given(&spec.hours).and_then(Value::as_f64) else {
                return Ok(()); // an optional input left out: no hours
            };
            let activity = match &spec.activity {
                ActivityOf::Fixed(activity) => activity.clone(),
                ActivityOf::Input(name) => match given(name).and_then(Value::as_str) {
                    Some(value) => value.to_owned(),
                    None => return Ok(()),
                },
            };
            let people: Vec<String> = match &spec.who {
                Who::Actor => vec![event.metadata.actor.clone()],
                Who::Input(name) => names(given(name)),
                Who::Field(name) => case.people.get(name).cloned().unwrap_or_default(),
            };
            let on = event.metadata.occurred_at.date_naive();
            for who in people {
                case.entries.push(Entry {
                    who,
                    activity: activity.clone(),
                    on,
                    hours: amount,
                });
            }
        }
        CaseEvent::CaseDataCorrected { data, .. } => {
            if let Some(case) = hours.as_mut() {
                let def = definition(catalog, &case.process, case.version)?;
                keep_people(def, &mut case.people, &data);
            }
        }
        CaseEvent::CaseMigrated { to_version, .. } => {
            if let Some(case) = hours.as_mut() {
                case.version = to_version;
            }
        }
        CaseEvent::TaskCompleted { .. }
        | CaseEvent::TaskUndone { .. }
        | CaseEvent::DeadlineWarned { .. }
        | CaseEvent::DeadlineMissed { .. }
        | CaseEvent::NoticeSent { .. }
        | CaseEvent::NoticeMissed { .. }
        | CaseEvent::SubjectErased { .. }
        | CaseEvent::LegalHoldPlaced { .. }
        | CaseEvent::LegalHoldReleased { .. }
        | CaseEvent::NoteAdded { .. }
        | CaseEvent::DocumentProduced { .. } => {}
    }
    Ok(())
}

fn names(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Keeps the list-of-actors fields of `data` (never a personal field).
fn keep_people(
    def: &ProcessDefinition,
    people: &mut BTreeMap<String, Vec<String>>,
    data: &BTreeMap<String, Value>,
) {
    for (name, value) in data {
        if let Some(field) = def.field(name)
            && !field.holds_personal()
            && matches!(field.ty, FieldType::Actors { .. })
        {
            if value.is_null() {
                people.remove(name);
            } else {
                people.insert(name.clone(), names(Some(value)));
            }
        }
    }
}
