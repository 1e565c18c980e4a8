//! The events of a case's stream. Past tense, domain-named, permanent: their
//! JSON is snapshotted in the tests.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A deadline as scheduled when its state was entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledDeadline {
    pub due_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire: Option<String>,
}

/// A notice made due by a step: by when, to whom (the partner the case named
/// then), and whom an overdue one is shown to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDue {
    pub notice: String,
    pub due_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<String>,
    /// A recurring duty (the definition's `renew`): it lasts while the case
    /// stays in the state the step led to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renews: bool,
}

/// What a step recorded on the actors the definition's `profile` names
/// (each also gets a `ProfileRecorded` in their own stream, by the same
/// command): only those whose profile it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    pub profile: String,
    pub actors: Vec<String>,
    pub values: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CaseEvent {
    CaseOpened {
        process: String,
        version: u32,
        reference: String,
        state: String,
        data: BTreeMap<String, Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<ScheduledDeadline>,
    },
    TransitionTaken {
        transition: String,
        from: String,
        to: String,
        /// Inputs stored into the case.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        data: BTreeMap<String, Value>,
        /// Inputs of this step only.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        input: BTreeMap<String, Value>,
        /// The deadline of the state entered (None when staying, or none set).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<ScheduledDeadline>,
        /// True when `to` is terminal: the case is closed.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        closes: bool,
        /// The terminal state's outcome code, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<String>,
        /// Notices the step made due (the definition's `notices`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notices: Vec<NoticeDue>,
        /// The profile the step recorded on the actors it is about.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<ProfileRecord>,
    },
    TaskCompleted {
        state: String,
        task: String,
    },
    /// A task ticked by mistake, unticked while its state is current, with why.
    TaskUndone {
        state: String,
        task: String,
        reason: String,
    },
    /// The case moved to a newer version of its definition.
    CaseMigrated {
        from_version: u32,
        to_version: u32,
        from_state: String,
        to_state: String,
        /// The deadline of `to_state` when the state changed; None keeps the current one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<ScheduledDeadline>,
    },
    /// A deadline's warning date came.
    DeadlineWarned {
        state: String,
        due_on: NaiveDate,
    },
    /// A deadline passed in its state: the case is overdue for `escalate`.
    DeadlineMissed {
        state: String,
        due_on: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        escalate: Option<String>,
    },
    /// A notice that was due was sent (on that day, by the service's own
    /// reference of the letter or document, if given).
    NoticeSent {
        notice: String,
        sent_on: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// A notice's due date passed unsent: it is overdue for `escalate`.
    NoticeMissed {
        notice: String,
        due_on: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        escalate: Option<String>,
    },
    /// Case data corrected outside any step, with the reason recorded.
    CaseDataCorrected {
        data: BTreeMap<String, Value>,
        reason: String,
        /// The request it answers (a data subject's request for
        /// rectification, by the service's own reference), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        /// The profile the correction recorded on the actors it is about
        /// (a corrected check date moves the volunteer's at once).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<ProfileRecord>,
    },
    /// A data subject's key was destroyed: their personal data in this case can
    /// no longer be read by anyone. `subject` is the name in the definition.
    SubjectErased {
        subject: String,
        subject_id: uuid::Uuid,
        reason: String,
    },
    /// A legal hold: no erasure (by retention or by hand) until released.
    LegalHoldPlaced {
        reason: String,
    },
    LegalHoldReleased {
        reason: String,
    },
    /// A note in the case's journal (a call, a meeting, what was agreed
    /// informally). Its text is personal data: sealed under every data
    /// subject of the case, so erasing any of them makes it unreadable.
    NoteAdded {
        note: Value,
    },
    /// A document was produced from the case's data: which of the
    /// definition's documents, in which language, for whom (a subject or a
    /// partner field), from which template (its content hash).
    DocumentProduced {
        document: String,
        language: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        template: String,
    },
}

impl CaseEvent {
    /// The profile this event recorded on actors (a step's or a
    /// correction's), if any.
    pub fn profile_record(&self) -> Option<&ProfileRecord> {
        match self {
            CaseEvent::TransitionTaken { profile, .. }
            | CaseEvent::CaseDataCorrected { profile, .. } => profile.as_ref(),
            _ => None,
        }
    }

    pub fn event_type(&self) -> &'static str {
        match self {
            CaseEvent::CaseOpened { .. } => "CaseOpened",
            CaseEvent::TransitionTaken { .. } => "TransitionTaken",
            CaseEvent::TaskCompleted { .. } => "TaskCompleted",
            CaseEvent::TaskUndone { .. } => "TaskUndone",
            CaseEvent::CaseDataCorrected { .. } => "CaseDataCorrected",
            CaseEvent::CaseMigrated { .. } => "CaseMigrated",
            CaseEvent::DeadlineWarned { .. } => "DeadlineWarned",
            CaseEvent::DeadlineMissed { .. } => "DeadlineMissed",
            CaseEvent::NoticeSent { .. } => "NoticeSent",
            CaseEvent::NoticeMissed { .. } => "NoticeMissed",
            CaseEvent::SubjectErased { .. } => "SubjectErased",
            CaseEvent::LegalHoldPlaced { .. } => "LegalHoldPlaced",
            CaseEvent::LegalHoldReleased { .. } => "LegalHoldReleased",
            CaseEvent::NoteAdded { .. } => "NoteAdded",
            CaseEvent::DocumentProduced { .. } => "DocumentProduced",
        }
    }

    /// The payload alone, as stored (the type goes in the envelope).
    pub fn data(&self) -> Value {
        let tagged = serde_json::to_value(self).unwrap_or_default();
        tagged.get("data").cloned().unwrap_or_default()
    }

    /// Reads an event back from its envelope's type and payload.
    pub fn from_parts(event_type: &str, data: &str) -> Result<CaseEvent, serde_json::Error> {
        // One parse, straight into the enum: the tag first lets serde read the
        // payload into its variant without an intermediate `Value`.
        let tagged = format!(
            "{{\"type\":{},\"data\":{data}}}",
            serde_json::to_string(event_type)?
        );
        serde_json::from_str(&tagged)
    }
}
