//! Case facts: one document per case with what metrics are computed from, and
//! nothing personal.
//!
//! A metric is the service owner's to change; the facts are not. So this fold
//! keeps what any metric may ask (when each state was first entered, every
//! step with its reportable inputs, each deadline and whether it was met, the
//! reportable fields) and `metrics` computes the declared measures from them
//! when a report is asked for. A new or changed metric needs no rebuild.
//!
//! "Reportable" is decided by the definition the case was decided under: a
//! field marked personal, any free text and any string never reaches this
//! document, whatever the event holds; only enums, booleans, numbers, dates and
//! partners' ids (organisations, never people) do.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kroonika_engine::RecordedEvent;
use kroonika_engine::case::CaseEvent;
use kroonika_engine::definition::{FieldType, InputSource, ProcessDefinition};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CaseFold, Catalog, definition};

/// Folds `case-*` streams into case facts.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts;

/// The facts of one case (the document, decoded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub case_id: String,
    pub process: String,
    pub version: u32,
    pub opened_at: DateTime<Utc>,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Reportable fields, as last set.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    /// When each state was first entered (the initial state: at opening).
    #[serde(default)]
    pub entered: BTreeMap<String, DateTime<Utc>>,
    /// Every step taken, in order, with its reportable inputs.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Every deadline the case met or is under, in order.
    #[serde(default)]
    pub deadlines: Vec<DeadlineFact>,
    /// Every notice (or recurring duty) the case was made to owe, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<NoticeFact>,
}

/// A notice made due: by when, and when it was sent (a recurring duty: met
/// by its step taken again), or that it went overdue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeFact {
    pub notice: String,
    pub due_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_on: Option<NaiveDate>,
    /// A `NoticeMissed` was recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missed: bool,
    /// A recurring duty that ended unmet but not yet due (the case left its
    /// state): counted neither way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renews: bool,
}

impl NoticeFact {
    /// Met when sent on or before the due date; missed when sent later, or
    /// the miss was recorded, or unsent after the due date; pending while not
    /// yet due (or ended before it was).
    pub fn status(&self, today: NaiveDate) -> DeadlineStatus {
        match (self.sent_on, self.ended_on) {
            _ if self.missed => DeadlineStatus::Missed,
            (Some(sent), _) if sent <= self.due_on => DeadlineStatus::Met,
            (Some(_), _) => DeadlineStatus::Missed,
            (None, Some(ended)) if ended <= self.due_on => DeadlineStatus::Pending,
            (None, _) if today > self.due_on => DeadlineStatus::Missed,
            (None, _) => DeadlineStatus::Pending,
        }
    }

    fn open(&self) -> bool {
        self.sent_on.is_none() && self.ended_on.is_none() && !self.missed
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub transition: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub input: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineFact {
    pub state: String,
    pub due_on: NaiveDate,
    /// The day the case left the state (None: still in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_on: Option<NaiveDate>,
    /// A `DeadlineMissed` was recorded while the case was in the state.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missed: bool,
}

/// How a deadline stood on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineStatus {
    Met,
    Missed,
    /// Still in the state and not yet due.
    Pending,
}

impl DeadlineFact {
    /// Met when the case left the state on or before the due date; missed when
    /// it left later, or the miss was recorded, or it is still there after the
    /// due date (whether or not a timer has run yet).
    pub fn status(&self, today: NaiveDate) -> DeadlineStatus {
        match self.left_on {
            _ if self.missed => DeadlineStatus::Missed,
            Some(left) if left <= self.due_on => DeadlineStatus::Met,
            Some(_) => DeadlineStatus::Missed,
            None if today > self.due_on => DeadlineStatus::Missed,
            None => DeadlineStatus::Pending,
        }
    }
}

impl Facts {
    pub fn closed(&self) -> bool {
        self.closed_at.is_some()
    }

    pub fn from_doc(doc: Value) -> Result<Facts, String> {
        serde_json::from_value(doc)
            .map_err(|err| format!("a case-facts document cannot be read: {err}"))
    }

    pub fn to_doc(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl CaseFold for CaseFacts {
    type Doc = Facts;
    const NAME: &'static str = "case-facts";

    fn decode(doc: Value) -> Result<Facts, String> {
        Facts::from_doc(doc)
    }

    fn encode(doc: Facts) -> Value {
        doc.to_doc()
    }

    fn fold(
        catalog: &Catalog,
        doc: &mut Option<Facts>,
        event: &RecordedEvent,
    ) -> Result<(), String> {
        fold(catalog, doc, event)
    }
}

/// Folds one event into a case's facts.
fn fold(catalog: &Catalog, facts: &mut Option<Facts>, event: &RecordedEvent) -> Result<(), String> {
    let decoded = CaseEvent::from_parts(&event.event_type, event.data.as_str()).map_err(|err| {
        format!(
            "event {} ({}) cannot be read: {err}",
            event.position, event.event_type
        )
    })?;
    let at = event.metadata.occurred_at;
    let day = at.date_naive();
    if let CaseEvent::CaseOpened {
        process,
        version,
        state,
        data,
        deadline,
        ..
    } = &decoded
    {
        let def = definition(catalog, process, *version)?;
        let mut opened = Facts {
            case_id: event.stream.id().to_owned(),
            process: process.clone(),
            version: *version,
            opened_at: at,
            state: state.clone(),
            closed_at: None,
            outcome: None,
            fields: BTreeMap::new(),
            entered: BTreeMap::from([(state.clone(), at)]),
            steps: Vec::new(),
            deadlines: Vec::new(),
            notices: Vec::new(),
        };
        keep_fields(def, &mut opened.fields, data);
        if let Some(deadline) = deadline {
            opened.deadlines.push(DeadlineFact {
                state: state.clone(),
                due_on: deadline.due_on,
                left_on: None,
                missed: false,
            });
        }
        *facts = Some(opened);
        return Ok(());
    }
    let facts = facts
        .as_mut()
        .ok_or_else(|| format!("event {} comes before its case was opened", event.position))?;
    let def = definition(catalog, &facts.process, facts.version)?;
    match decoded {
        CaseEvent::CaseOpened { .. } => {}
        CaseEvent::TransitionTaken {
            transition,
            from,
            to,
            data,
            input,
            deadline,
            closes,
            outcome,
            notices,
            ..
        } => {
            keep_fields(def, &mut facts.fields, &data);
            // A recurring duty ends when the case leaves its state, and is
            // met by its step taken again while it is due.
            for fact in facts.notices.iter_mut().filter(|n| n.renews && n.open()) {
                if notices.iter().any(|due| due.notice == fact.notice) {
                    fact.sent_on = Some(day);
                } else if from != to {
                    fact.ended_on = Some(day);
                }
            }
            for due in &notices {
                facts.notices.push(NoticeFact {
                    notice: due.notice.clone(),
                    due_on: due.due_on,
                    sent_on: None,
                    missed: false,
                    ended_on: None,
                    renews: due.renews,
                });
            }
            let mut kept = BTreeMap::new();
            if let Some(state) = def.state(&from)
                && let Some(spec) = def.transitions_in(state).find(|t| t.name == transition)
            {
                for (name, value) in &input {
                    let local = spec.input.iter().find(|i| &i.name == name);
                    if let Some(InputSource::Local { ty }) = local.map(|i| &i.source)
                        && reportable(ty)
                    {
                        kept.insert(name.clone(), value.clone());
                    }
                }
            }
            for (name, value) in &data {
                if facts.fields.get(name) == Some(value) {
                    kept.insert(name.clone(), value.clone());
                }
            }
            facts.steps.push(Step {
                transition,
                at,
                input: kept,
            });
            if from != to {
                leave(facts, &from, day);
                facts.entered.entry(to.clone()).or_insert(at);
                if let Some(deadline) = deadline {
                    facts.deadlines.push(DeadlineFact {
                        state: to.clone(),
                        due_on: deadline.due_on,
                        left_on: None,
                        missed: false,
                    });
                }
                facts.state = to;
            }
            if closes {
                facts.closed_at = Some(at);
                facts.outcome = outcome;
            }
        }
        CaseEvent::TaskCompleted { .. }
        | CaseEvent::TaskUndone { .. }
        | CaseEvent::DeadlineWarned { .. }
        | CaseEvent::SubjectErased { .. }
        | CaseEvent::LegalHoldPlaced { .. }
        | CaseEvent::LegalHoldReleased { .. }
        | CaseEvent::NoteAdded { .. }
        | CaseEvent::DocumentProduced { .. } => {}
        CaseEvent::NoticeSent {
            notice, sent_on, ..
        } => {
            if let Some(fact) = facts
                .notices
                .iter_mut()
                .rev()
                .find(|n| n.notice == notice && n.sent_on.is_none())
            {
                fact.sent_on = Some(sent_on);
            }
        }
        CaseEvent::NoticeMissed { notice, .. } => {
            if let Some(fact) = facts
                .notices
                .iter_mut()
                .rev()
                .find(|n| n.notice == notice && n.open())
            {
                fact.missed = true;
            }
        }
        CaseEvent::CaseDataCorrected { data, .. } => keep_fields(def, &mut facts.fields, &data),
        CaseEvent::CaseMigrated {
            to_version,
            from_state,
            to_state,
            deadline,
            ..
        } => {
            facts.version = to_version;
            if from_state != to_state {
                leave(facts, &from_state, day);
                facts.entered.entry(to_state.clone()).or_insert(at);
                facts.state = to_state.clone();
            }
            if let Some(deadline) = deadline {
                match facts
                    .deadlines
                    .iter_mut()
                    .rev()
                    .find(|d| d.state == to_state && d.left_on.is_none())
                {
                    Some(open) => open.due_on = deadline.due_on,
                    None => facts.deadlines.push(DeadlineFact {
                        state: to_state,
                        due_on: deadline.due_on,
                        left_on: None,
                        missed: false,
                    }),
                }
            }
        }
        CaseEvent::DeadlineMissed { state, .. } => {
            if let Some(open) = facts
                .deadlines
                .iter_mut()
                .rev()
                .find(|d| d.state == state && d.left_on.is_none())
            {
                open.missed = true;
            }
        }
    }
    Ok(())
}

/// The case left `state` on `day`: its open deadline there is settled.
fn leave(facts: &mut Facts, state: &str, day: NaiveDate) {
    for deadline in facts.deadlines.iter_mut().filter(|d| d.state == state) {
        deadline.left_on.get_or_insert(day);
    }
}

/// Types whose values may appear in aggregates: never text or lists.
fn reportable(ty: &FieldType) -> bool {
    matches!(
        ty,
        FieldType::Enum { .. }
            | FieldType::Boolean
            | FieldType::Integer { .. }
            | FieldType::Number { .. }
            | FieldType::Date
            | FieldType::Datetime
            | FieldType::Partner { .. }
    )
}

/// Copies the reportable, non-personal fields of `data` into `fields`.
fn keep_fields(
    def: &ProcessDefinition,
    fields: &mut BTreeMap<String, Value>,
    data: &BTreeMap<String, Value>,
) {
    for (name, value) in data {
        if let Some(field) = def.field(name)
            && !field.holds_personal()
            && reportable(&field.ty)
        {
            if value.is_null() {
                fields.remove(name);
            } else {
                fields.insert(name.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    fn due(on: u32) -> NoticeFact {
        NoticeFact {
            notice: "ending".to_owned(),
            due_on: day(on),
            sent_on: None,
            missed: false,
            ended_on: None,
            renews: false,
        }
    }

    #[test]
    fn a_notice_is_met_when_sent_by_its_day_and_missed_otherwise() {
        let today = day(20);
        let sent = |on| NoticeFact {
            sent_on: Some(day(on)),
            ..due(14)
        };
        assert_eq!(sent(14).status(today), DeadlineStatus::Met);
        assert_eq!(sent(15).status(today), DeadlineStatus::Missed);
        assert_eq!(
            due(14).status(today),
            DeadlineStatus::Missed,
            "unsent, past its day"
        );
        assert_eq!(due(25).status(today), DeadlineStatus::Pending);
        let marked = NoticeFact {
            missed: true,
            ..sent(16)
        };
        assert_eq!(marked.status(today), DeadlineStatus::Missed);
        // A duty the case left before it was due counts neither way.
        let ended = NoticeFact {
            ended_on: Some(day(10)),
            renews: true,
            ..due(14)
        };
        assert_eq!(ended.status(today), DeadlineStatus::Pending);
    }
}
