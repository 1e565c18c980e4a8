//! What if a draft definition had been in force: every recorded case of its
//! process decided again, event by event, with the draft instead of the
//! version the case was decided by, as [`crate::conformance`] decides the log
//! again with the published versions.
//!
//! A case is the **same** when the draft decides every event as it was
//! recorded; it **diverges** at the first event the draft refuses or decides
//! otherwise (another state, another task list), and the replay of that case
//! stops there, since what followed was decided on a path the draft would
//! not have taken; its **deadlines differ** when the draft decides the same
//! steps but schedules, warns or misses a deadline otherwise. Sealed personal
//! values are passed back sealed: nothing is opened. Pure: the caller reads
//! the log and checks the draft.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::actors::{self, Actor, ActorEvent};
use crate::case::{Case, CaseEvent, Context};
use crate::conformance::{Entry, decide_event, decided_at};
use crate::definition::ProcessDefinition;

/// What the draft makes of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Same,
    Diverges,
    Deadlines,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Diverges => "diverges",
            Verdict::Deadlines => "deadlines",
        }
    }
}

/// One case under the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseOutcome {
    pub stream: String,
    pub reference: String,
    /// The state the case is in (as recorded), and whether it is closed.
    pub state: String,
    pub closed: bool,
    pub verdict: Verdict,
    /// Where it first differs: the event's revision in the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// The recorded step there, in words: `assign (TransitionTaken)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Why: the draft's rule message, or what it decides instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// The replay: feed it the log in order (actor and case events; others are
/// ignored), then take [`WhatIf::outcomes`].
#[derive(Debug)]
pub struct WhatIf<'d> {
    draft: &'d ProcessDefinition,
    actors: BTreeMap<String, Actor>,
    cases: BTreeMap<String, Replayed>,
}

#[derive(Debug)]
struct Replayed {
    /// The case as recorded.
    recorded: Case,
    /// The case as the draft leaves it (until it diverges).
    draft: Case,
    outcome: Option<(Verdict, u64, String, String)>,
    diverged: bool,
}

impl<'d> WhatIf<'d> {
    pub fn new(draft: &'d ProcessDefinition) -> WhatIf<'d> {
        WhatIf {
            draft,
            actors: BTreeMap::new(),
            cases: BTreeMap::new(),
        }
    }

    /// Folds one event of the log in.
    pub fn feed(&mut self, entry: Entry<'_>) {
        let (category, id) = entry.stream.split_once('-').unwrap_or((entry.stream, ""));
        match category {
            actors::CATEGORY => {
                if let Ok(event) = ActorEvent::from_parts(entry.event_type, entry.data) {
                    self.actors.entry(id.to_owned()).or_default().evolve(&event);
                }
            }
            crate::case::CATEGORY => self.case(entry),
            _ => {}
        }
    }

    fn case(&mut self, entry: Entry<'_>) {
        let Ok(event) = CaseEvent::from_parts(entry.event_type, entry.data) else {
            return;
        };
        let occurred_at = entry.metadata.occurred_at;
        if let CaseEvent::CaseOpened { process, .. } = &event {
            if process != &self.draft.id {
                return;
            }
            self.cases.insert(
                entry.stream.to_owned(),
                Replayed {
                    recorded: Case::default(),
                    draft: Case::default(),
                    outcome: None,
                    diverged: false,
                },
            );
        }
        let Some(replayed) = self.cases.get_mut(entry.stream) else {
            return;
        };
        if !replayed.diverged {
            let actor = if entry.metadata.actor == actors::SYSTEM {
                Some(Actor {
                    name: actors::SYSTEM.to_owned(),
                    ..Actor::default()
                })
            } else {
                self.actors.get(&entry.metadata.actor).cloned()
            };
            let judged = match actor {
                None => Judged::Diverges(format!(
                    "recorded as done by '{}', who was not a registered actor then",
                    entry.metadata.actor
                )),
                Some(actor) => {
                    let cx = Context {
                        definition: self.draft,
                        // The case's own version, so that what is the same
                        // compares equal.
                        version: match &event {
                            CaseEvent::CaseOpened { version, .. } => *version,
                            _ => replayed.draft.version,
                        },
                        actor: &actor,
                        actors: &self.actors,
                        now: decided_at(entry.metadata),
                        occurred_at,
                    };
                    judge(&cx, &replayed.draft, &event)
                }
            };
            let step = describe(&event);
            match judged {
                Judged::Same => replayed.draft.evolve(&event, occurred_at, entry.revision),
                Judged::Deadlines(decided, why) => {
                    for e in &decided {
                        replayed.draft.evolve(e, occurred_at, entry.revision);
                    }
                    if replayed.outcome.is_none() {
                        replayed.outcome = Some((Verdict::Deadlines, entry.revision, step, why));
                    }
                }
                Judged::Diverges(why) => {
                    replayed.outcome = Some((Verdict::Diverges, entry.revision, step, why));
                    replayed.diverged = true;
                }
            }
        }
        replayed
            .recorded
            .evolve(&event, occurred_at, entry.revision);
    }

    /// Every case of the draft's process, in stream order.
    pub fn outcomes(&self) -> Vec<CaseOutcome> {
        self.cases
            .iter()
            .map(|(stream, replayed)| {
                let (verdict, revision, step, why) = match &replayed.outcome {
                    None => (Verdict::Same, None, None, None),
                    Some((verdict, revision, step, why)) => (
                        *verdict,
                        Some(*revision),
                        Some(step.clone()),
                        Some(why.clone()),
                    ),
                };
                CaseOutcome {
                    stream: stream.clone(),
                    reference: replayed.recorded.reference.clone(),
                    state: replayed.recorded.state.clone(),
                    closed: replayed.recorded.closed,
                    verdict,
                    revision,
                    step,
                    why,
                }
            })
            .collect()
    }
}

enum Judged {
    Same,
    /// The same steps, with deadlines otherwise: the draft's events, and how.
    Deadlines(Vec<CaseEvent>, String),
    Diverges(String),
}

fn judge(cx: &Context<'_>, draft: &Case, recorded: &CaseEvent) -> Judged {
    // Migrations move a case between published versions; under the draft the
    // case has no other version to move to.
    if matches!(recorded, CaseEvent::CaseMigrated { .. }) {
        return Judged::Same;
    }
    let timer = matches!(
        recorded,
        CaseEvent::DeadlineWarned { .. } | CaseEvent::DeadlineMissed { .. }
    );
    match decide_event(cx, draft, recorded) {
        Ok(decided) if decided.as_slice() == std::slice::from_ref(recorded) => Judged::Same,
        Ok(decided) if timer => {
            let why = match decided.first() {
                None => format!(
                    "recorded {} on {}; under the draft nothing was due then{}",
                    recorded.event_type(),
                    cx.now.date_naive(),
                    draft
                        .deadline
                        .as_ref()
                        .map(|d| format!(" (due {})", d.due_on))
                        .unwrap_or_default()
                ),
                Some(other) => format!(
                    "recorded {}; the draft records {} then",
                    recorded.event_type(),
                    other.event_type()
                ),
            };
            Judged::Deadlines(decided, why)
        }
        Ok(decided)
            if decided.len() == 1
                && without_deadline(&decided[0]) == without_deadline(recorded) =>
        {
            let why = format!(
                "the deadline it sets is {} under the draft, {} as recorded",
                deadline_of(&decided[0]),
                deadline_of(recorded)
            );
            Judged::Deadlines(decided, why)
        }
        Ok(decided) if decided.is_empty() => {
            Judged::Diverges("the draft records nothing for this step".to_owned())
        }
        Ok(decided) => Judged::Diverges(format!(
            "the draft records otherwise: {}",
            decided.iter().map(summary).collect::<Vec<_>>().join("; ")
        )),
        Err(rejection) => Judged::Diverges(format!(
            "the draft refuses it ({}): {}",
            rejection.code(),
            rejection.reason()
        )),
    }
}

fn without_deadline(event: &CaseEvent) -> CaseEvent {
    let mut event = event.clone();
    match &mut event {
        CaseEvent::CaseOpened { deadline, .. }
        | CaseEvent::TransitionTaken { deadline, .. }
        | CaseEvent::CaseMigrated { deadline, .. } => *deadline = None,
        _ => {}
    }
    event
}

fn deadline_of(event: &CaseEvent) -> String {
    let deadline = match event {
        CaseEvent::CaseOpened { deadline, .. }
        | CaseEvent::TransitionTaken { deadline, .. }
        | CaseEvent::CaseMigrated { deadline, .. } => deadline.as_ref(),
        _ => None,
    };
    match deadline {
        None => "none".to_owned(),
        Some(d) => match d.warn_on {
            Some(warn) => format!("due {} (warned {warn})", d.due_on),
            None => format!("due {}", d.due_on),
        },
    }
}

/// An event in words, for where a case differs.
fn describe(event: &CaseEvent) -> String {
    match event {
        CaseEvent::TransitionTaken { transition, .. } => format!("do: {transition}"),
        CaseEvent::TaskCompleted { task, .. } => format!("task: {task}"),
        CaseEvent::TaskUndone { task, .. } => format!("untick: {task}"),
        CaseEvent::CaseOpened { .. } => "open".to_owned(),
        other => other.event_type().to_owned(),
    }
}

fn summary(event: &CaseEvent) -> String {
    match event {
        CaseEvent::TransitionTaken { transition, to, .. } => format!("{transition} to {to}"),
        other => other.event_type().to_owned(),
    }
}
