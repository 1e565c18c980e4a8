//! Commands on cases, as one serde enum: what a front end asks for, whatever
//! the front end. A command's canonical JSON (keys sorted, as `serde_json`
//! writes a map) is its fingerprint: an event records the hash of the command
//! that produced it, so a retry with the same command id is recognised as the
//! same command and answered with the original result, and an id reused for
//! another command is refused ([`Code::CommandIdReused`]). The same command
//! from the CLI, the demo or a program has the same fingerprint.
//!
//! The shapes are a permanent format: the fingerprints of commands already in
//! stores must keep matching. `{"open": PROCESS, "input": {...}}`,
//! `{"do": STEP, "input": {...}}`, `{"task": TASK}`, `{"update": {...},
//! "reason": TEXT}`, `{"migrate": VERSION, "map": {...}}`, `{"hold": BOOL,
//! "reason": TEXT}`, `{"erase": SUBJECT, "reason": TEXT}`. Inputs typed at a
//! terminal are lists of texts (`--set a=1` is `{"a": ["1"]}`); JSON inputs are
//! kept as given.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kroonika_engine::case::{RawInput, RawValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::time::When;

/// A command's inputs by field name, as they arrived.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input(pub RawInput);

impl Input {
    /// Inputs typed as text (`--set name=value`), each possibly repeated.
    pub fn texts<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Input {
        let mut input = RawInput::new();
        for (name, value) in pairs {
            match input
                .entry(name.to_owned())
                .or_insert_with(|| RawValue::Text(Vec::new()))
            {
                RawValue::Text(values) => values.push(value.to_owned()),
                RawValue::Json(_) | RawValue::Sealed(_) => {}
            }
        }
        Input(input)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Input {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&String, Value> = self
            .0
            .iter()
            .map(|(name, raw)| {
                let value = match raw {
                    RawValue::Text(parts) => Value::from(parts.clone()),
                    RawValue::Json(value) | RawValue::Sealed(value) => value.clone(),
                };
                (name, value)
            })
            .collect();
        map.serialize(serializer)
    }
}

/// A program's inputs are JSON values, checked by the field's type.
impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(deserializer)?;
        Ok(Input(
            map.into_iter()
                .map(|(name, value)| (name, RawValue::Json(value)))
                .collect(),
        ))
    }
}

/// What a person (or a program acting for one) asks of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CaseCommand {
    /// Open a case of the latest version of a process.
    Open { open: String, input: Input },
    /// Take a step (a transition) of the case's current state.
    Take {
        #[serde(rename = "do")]
        step: String,
        input: Input,
    },
    /// Tick a checklist task of the current state.
    Task { task: String },
    /// Untick a task ticked by mistake, while its state is current.
    Untick { untick: String, reason: String },
    /// Add a note to the case's journal (sealed: personal data).
    Note { note: String },
    /// Correct case data outside any step, with the reason recorded.
    /// `request`: the request it answers (a data subject's, for rectification).
    Correct {
        update: Input,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// Move the case to a newer version of its definition; `map` renames
    /// states the new version lacks.
    Migrate {
        migrate: u32,
        map: BTreeMap<String, String>,
    },
    /// Place (true) or release (false) a legal hold.
    Hold { hold: bool, reason: String },
    /// Erase a data subject of the case (destroy their key).
    Erase { erase: String, reason: String },
    /// Record a due notice sent (to the referring authority): on which day,
    /// and the service's reference of the letter. Allowed on a closed case.
    Notice {
        notice: String,
        /// The day it was sent; None: the day the command records.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent_on: Option<chrono::NaiveDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Record a document produced from the case: which, in which language,
    /// for whom. Front ends call [`crate::App::produce_document`], which
    /// renders it and then records this.
    Document {
        document: String,
        language: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
}

impl CaseCommand {
    /// The command's fingerprint: the hash of its canonical JSON. A hash, not
    /// the command: the input may hold personal data, and metadata is never
    /// encrypted.
    pub fn fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// What the system does of its own accord, fingerprinted like commands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum SystemCommand {
    /// A case's wake-up came.
    Timer { timer: DateTime<Utc> },
    /// Retention erases what is due.
    Retention { retention: DateTime<Utc> },
}

pub(crate) fn fingerprint(command: &impl Serialize) -> String {
    let canonical = serde_json::to_value(command).unwrap_or_default();
    kroonika_processes::content_hash(&canonical.to_string())
}

/// Who asks, and how, besides what: the parts of a request every command has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The acting actor's name (authenticated by the front end).
    pub actor: String,
    /// What was tried, as the front end names it (`case do`): what a denial
    /// record says. Never the values, which may be personal.
    pub command: String,
    /// The command's id: a retry with the same id does nothing more.
    pub command_id: Option<Uuid>,
    /// When it happened in the world, if not now.
    pub occurred_at: Option<When>,
    /// Refuse (a conflict) unless the case is at this version.
    pub expected_version: Option<u64>,
    /// The caller holds the store itself (the CLI on the store's machine,
    /// with no actor named): reads need no role, since whoever can open the
    /// store's files can read them anyway. Commands still need an actor. A
    /// server never sets this.
    pub operator: bool,
}

impl Request {
    /// A read by the store's operator (see [`Request::operator`]).
    pub fn operator(command: impl Into<String>) -> Request {
        Request {
            command: command.into(),
            operator: true,
            ..Request::default()
        }
    }

    /// A request by `actor`, named `command`, with nothing else said.
    pub fn new(actor: impl Into<String>, command: impl Into<String>) -> Request {
        Request {
            actor: actor.into(),
            command: command.into(),
            ..Request::default()
        }
    }
}

/// What a command came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A case was opened; it is at `version`.
    Opened {
        reference: String,
        case_id: Uuid,
        version: u64,
    },
    /// The same command (same id) opened this case before, leaving it at `version`.
    AlreadyOpened {
        reference: String,
        case_id: Uuid,
        version: u64,
    },
    /// Recorded: the case is now at `version`, in `state`.
    Done {
        reference: String,
        state: String,
        version: u64,
        /// What was recorded, to say it in words.
        events: Vec<kroonika_engine::case::CaseEvent>,
    },
    /// Nothing to record (a task already done, data already so, a subject
    /// erased already).
    Nothing {
        reference: String,
        state: String,
        version: u64,
    },
    /// The same command (same id) was done before: what it did then, the
    /// state and version it left the case at (the first answer, again).
    Already {
        reference: String,
        state: String,
        version: u64,
        events: Vec<kroonika_engine::case::CaseEvent>,
    },
}

impl Outcome {
    /// The case's reference.
    pub fn reference(&self) -> &str {
        match self {
            Outcome::Opened { reference, .. }
            | Outcome::AlreadyOpened { reference, .. }
            | Outcome::Done { reference, .. }
            | Outcome::Nothing { reference, .. }
            | Outcome::Already { reference, .. } => reference,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprints of commands already recorded in stores must not change.
    #[test]
    fn canonical_json_is_the_permanent_shape() {
        let input = Input::texts([("victim_name", "Mari"), ("tags", "a"), ("tags", "b")]);
        let commands = [
            CaseCommand::Open {
                open: "school-conference".into(),
                input: input.clone(),
            },
            CaseCommand::Take {
                step: "assign".into(),
                input: Input::default(),
            },
            CaseCommand::Task {
                task: "consent".into(),
            },
            CaseCommand::Correct {
                update: input,
                reason: "typo".into(),
                request: None,
            },
            CaseCommand::Migrate {
                migrate: 2,
                map: [("a".to_owned(), "b".to_owned())].into(),
            },
            CaseCommand::Hold {
                hold: true,
                reason: "court".into(),
            },
            CaseCommand::Erase {
                erase: "victim".into(),
                reason: "asked".into(),
            },
        ];
        let json: Vec<String> = commands
            .iter()
            .map(|c| serde_json::to_value(c).unwrap().to_string())
            .collect();
        insta::assert_json_snapshot!(json, @r#"
        [
          "{\"input\":{\"tags\":[\"a\",\"b\"],\"victim_name\":[\"Mari\"]},\"open\":\"school-conference\"}",
          "{\"do\":\"assign\",\"input\":{}}",
          "{\"task\":\"consent\"}",
          "{\"reason\":\"typo\",\"update\":{\"tags\":[\"a\",\"b\"],\"victim_name\":[\"Mari\"]}}",
          "{\"map\":{\"a\":\"b\"},\"migrate\":2}",
          "{\"hold\":true,\"reason\":\"court\"}",
          "{\"erase\":\"victim\",\"reason\":\"asked\"}"
        ]
        "#);
        for (command, text) in commands.iter().zip(&json) {
            let back: CaseCommand = serde_json::from_str(text).unwrap();
            // JSON inputs come back as JSON values, with the same fingerprint.
            assert_eq!(back.fingerprint(), command.fingerprint(), "{text}");
        }
    }
}
