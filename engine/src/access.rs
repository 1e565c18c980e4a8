//! The access log: reading personal data is an act, and so is being refused.
//!
//! Each actor's access records go to a stream of their own, `access-<actor>`,
//! so recording a reading never contends with the case's own writers (a reveal
//! must not make a coordinator's next step conflict). They are ordinary events:
//! hash-chained, exported, verified like everything else.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const CATEGORY: &str = "access";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AccessEvent {
    /// Personal data of a case was shown in the clear.
    PersonalDataRevealed {
        case_id: Uuid,
        reference: String,
        /// The subjects (by name) whose data was shown.
        subjects: Vec<String>,
        purpose: String,
    },
    /// Cases were searched for a person (`case find`): what was searched by
    /// (never the name or number itself), why, and the cases and subjects it
    /// matched that the actor was shown.
    CasesSearched {
        /// `name`, `phone`.
        by: Vec<String>,
        purpose: String,
        matches: Vec<SearchMatch>,
    },
    /// Each volunteer's own hours were shown (the volunteer hours report, per
    /// person): whose, for which days, and why.
    VolunteerHoursShown {
        volunteers: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<chrono::NaiveDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<chrono::NaiveDate>,
        purpose: String,
    },
    /// Everything cases hold about a data subject was exported for them (a
    /// subject access request): which cases and subjects, and why.
    SubjectAccessExported {
        subjects: Vec<SearchMatch>,
        purpose: String,
    },
    /// A command was refused because the actor lacked a right.
    PermissionDenied {
        /// The command as the user named it (`case show --reveal`), never its values.
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
        reason: String,
    },
}

/// One case a search found and showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchMatch {
    pub case_id: Uuid,
    pub reference: String,
    /// The subjects (by name) whose data matched.
    pub subjects: Vec<String>,
}

impl AccessEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            AccessEvent::PersonalDataRevealed { .. } => "PersonalDataRevealed",
            AccessEvent::CasesSearched { .. } => "CasesSearched",
            AccessEvent::VolunteerHoursShown { .. } => "VolunteerHoursShown",
            AccessEvent::SubjectAccessExported { .. } => "SubjectAccessExported",
            AccessEvent::PermissionDenied { .. } => "PermissionDenied",
        }
    }

    /// The payload alone, as stored (the type goes in the envelope).
    pub fn data(&self) -> serde_json::Value {
        let tagged = serde_json::to_value(self).unwrap_or_default();
        tagged.get("data").cloned().unwrap_or_default()
    }

    pub fn from_parts(event_type: &str, data: &str) -> Result<AccessEvent, serde_json::Error> {
        let tagged = format!(
            "{{\"type\":{},\"data\":{data}}}",
            serde_json::to_string(event_type)?
        );
        serde_json::from_str(&tagged)
    }
}
