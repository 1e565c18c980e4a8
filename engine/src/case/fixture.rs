//! A small process for the engine's own unit tests (given/when/then beside
//! `decide`, `guard` and the conformance replay): built from its serialised
//! form, since the YAML checker is a crate above the engine.
//!
//! `referred` (deadline 5 working days, escalates to regional-lead) → `assign`
//! (two facilitators, guarded) → `meeting` (checklist: consent, and risk when a
//! minor is involved; `note` stays; `agreed` needs the checklist) → closed.
//! `withdraw` from anywhere.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::decide::{Context, RawInput};
use super::event::CaseEvent;
use super::state::Case;
use super::value::RawValue;
use crate::actors::Actor;
use crate::definition::ProcessDefinition;

pub(crate) fn definition() -> ProcessDefinition {
    let role = |r: &str| json!({ "kind": "role", "role": r });
    let field =
        |name: &str| json!({ "name": name, "required": true, "source": { "kind": "case-field" } });
    serde_json::from_value(json!({
        "id": "tiny",
        "title": "Tiny process",
        "reference": "TP",
        "roles": ["coordinator", "facilitator", "regional-lead"],
        "subjects": [{ "name": "victim", "title": "Harmed person" }],
        "fields": [
            { "name": "referred_on", "type": { "kind": "date" } },
            { "name": "minor_involved", "type": { "kind": "boolean" } },
            { "name": "victim_name", "type": { "kind": "string" }, "personal": "victim" },
            { "name": "participants", "type": { "kind": "integer", "min": 2, "max": 40 } },
            { "name": "facilitators", "type": { "kind": "actors", "role": "facilitator" } }
        ],
        "open": {
            "roles": [role("coordinator")],
            "input": [field("referred_on"), field("minor_involved"), field("victim_name")]
        },
        "corrections": [role("coordinator")],
        "initial": "referred",
        "anywhere": [
            { "name": "withdraw", "to": "closed-withdrawn", "roles": [role("coordinator")], "input": [] }
        ],
        "states": [
            {
                "name": "referred",
                "terminal": false,
                "deadline": {
                    "within": { "amount": 5, "unit": "working-days" },
                    "escalate": "regional-lead",
                    "warn": { "amount": 3, "unit": "working-days" }
                },
                "tasks": [],
                "transitions": [{
                    "name": "assign",
                    "to": "meeting",
                    "roles": [role("coordinator")],
                    "input": [field("facilitators")],
                    "guard": { "expression": "size(input.facilitators) >= 2", "message": "A meeting needs two facilitators." }
                }]
            },
            {
                "name": "meeting",
                "terminal": false,
                "tasks": [
                    { "id": "consent", "title": "Both consent" },
                    { "id": "risk", "title": "Risk assessed", "when": "case.minor_involved" }
                ],
                "transitions": [
                    {
                        "name": "agreed",
                        "to": "closed-agreed",
                        "roles": [{ "kind": "assigned", "role": "facilitator", "field": "facilitators" }],
                        "input": [field("participants")],
                        "guard": { "expression": "tasks.complete" }
                    },
                    {
                        "name": "note",
                        "roles": [role("coordinator")],
                        "input": [{
                            "name": "channel",
                            "required": true,
                            "source": { "kind": "local", "type": { "kind": "enum", "values": ["phone", "email"] } }
                        }]
                    }
                ]
            },
            { "name": "closed-agreed", "terminal": true, "outcome": "agreed", "tasks": [], "transitions": [] },
            { "name": "closed-withdrawn", "terminal": true, "outcome": "withdrawn", "tasks": [], "transitions": [] }
        ],
        "privacy": { "read": [role("coordinator")], "erase": [] },
        "retention": { "amount": 1, "unit": "years" }
    }))
    .unwrap_or_else(|err| unreachable!("the fixture definition reads: {err}"))
}

pub(crate) fn actors() -> BTreeMap<String, Actor> {
    [
        ("mari", "coordinator"),
        ("jaan", "facilitator"),
        ("piret", "facilitator"),
        ("kati", "facilitator"),
        ("anu", "admin"),
    ]
    .into_iter()
    .map(|(name, role)| {
        (
            name.to_owned(),
            Actor {
                name: name.to_owned(),
                roles: [role.to_owned()].into(),
                ..Actor::default()
            },
        )
    })
    .collect()
}

/// Monday 2026-11-23, 10:00 UTC.
pub(crate) fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(crate) fn input(pairs: &[(&str, &str)]) -> RawInput {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), RawValue::Text(vec![(*v).to_owned()])))
        .collect()
}

/// A case's history so far and the world it is decided in.
pub(crate) struct Given {
    pub definition: ProcessDefinition,
    pub actors: BTreeMap<String, Actor>,
    pub events: Vec<CaseEvent>,
    pub now: DateTime<Utc>,
}

impl Given {
    /// A case opened by mari on Monday (no minor involved unless `minor`).
    pub fn opened(minor: bool) -> Given {
        let mut given = Given {
            definition: definition(),
            actors: actors(),
            events: Vec::new(),
            now: monday(),
        };
        let minor = minor.to_string();
        let opening = input(&[
            ("referred_on", "2026-11-20"),
            ("minor_involved", &minor),
            ("victim_name", "Mari Maasikas"),
        ]);
        let events = super::decide::open(&given.cx("mari"), "TP-2026-0001", &opening)
            .unwrap_or_else(|r| unreachable!("the fixture opens: {r}"));
        given.events.extend(events);
        given
    }

    /// … then `step` taken by `actor` (which must be allowed).
    pub fn then(mut self, actor: &str, step: &str, pairs: &[(&str, &str)]) -> Given {
        let events = super::decide::take(&self.cx(actor), &self.case(), step, &input(pairs))
            .unwrap_or_else(|r| unreachable!("the fixture steps: {r}"));
        self.events.extend(events);
        self
    }

    /// … then `task` ticked by `actor`.
    pub fn ticked(mut self, actor: &str, task: &str) -> Given {
        let events = super::decide::complete_task(&self.cx(actor), &self.case(), task)
            .unwrap_or_else(|r| unreachable!("the fixture ticks: {r}"));
        self.events.extend(events);
        self
    }

    pub fn at(mut self, now: DateTime<Utc>) -> Given {
        self.now = now;
        self
    }

    pub fn case(&self) -> Case {
        Case::default().after(&self.events, self.now)
    }

    pub fn cx(&self, actor: &str) -> Context<'_> {
        Context {
            definition: &self.definition,
            version: 1,
            actor: self
                .actors
                .get(actor)
                .unwrap_or_else(|| unreachable!("no fixture actor {actor}")),
            actors: &self.actors,
            now: self.now,
            occurred_at: self.now,
        }
    }

    /// The system, for deadlines.
    pub fn system(&self) -> Context<'_> {
        static SYSTEM: std::sync::OnceLock<Actor> = std::sync::OnceLock::new();
        Context {
            actor: SYSTEM.get_or_init(|| Actor {
                name: crate::actors::SYSTEM.to_owned(),
                ..Actor::default()
            }),
            ..self.cx("mari")
        }
    }
}
