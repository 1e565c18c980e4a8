//! Path coverage: which of a definition's states, transitions, tasks, guard
//! outcomes and deadline outcomes the scenarios exercised, read from what the
//! engine recorded while they ran (and the guards it refused with), so a
//! service owner sees which paths no scenario has walked yet.

use std::collections::BTreeSet;

use kroonika_engine::actors;
use kroonika_engine::case::CaseEvent;
use kroonika_engine::definition::ProcessDefinition;
use serde::Serialize;

use super::run::Trace;

/// One thing a definition lets happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `state`, `transition`, `task`, `guard`, `deadline` or `notice`.
    pub kind: &'static str,
    /// Where: `preparation`, `preparation → schedule`, `* → withdraw`
    /// (offered anywhere), `preparation/victim-consent`.
    pub name: String,
    /// For guards `true` / `false`; for deadlines `warned`, `missed`, `fired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    pub covered: bool,
}

/// A definition's coverage by the scenarios that tested it.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub process: String,
    pub covered: usize,
    pub total: usize,
    pub items: Vec<Item>,
}

impl Coverage {
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.covered as f64 / self.total as f64
        }
    }
}

/// What the traces exercised of `definition`.
pub fn coverage(definition: &ProcessDefinition, traces: &[&Trace]) -> Coverage {
    let mut seen = Seen::default();
    for trace in traces {
        for (actor, event) in &trace.events {
            seen.record(definition, actor, event);
        }
        for (state, transition) in &trace.guards_refused {
            seen.guard_false
                .insert((scope(definition, state, transition), transition.clone()));
        }
    }
    let mut items = Vec::new();
    let mut push = |kind, name: String, outcome, covered| {
        items.push(Item {
            kind,
            name,
            outcome,
            covered,
        });
    };
    for state in &definition.states {
        push(
            "state",
            state.name.clone(),
            None,
            seen.states.contains(&state.name),
        );
    }
    for state in &definition.states {
        for transition in &state.transitions {
            let key = (state.name.clone(), transition.name.clone());
            push(
                "transition",
                format!("{} → {}", state.name, transition.name),
                None,
                seen.taken.contains(&key),
            );
        }
    }
    for transition in &definition.anywhere {
        let key = ("*".to_owned(), transition.name.clone());
        push(
            "transition",
            format!("* → {}", transition.name),
            None,
            seen.taken.contains(&key),
        );
    }
    for state in &definition.states {
        for task in &state.tasks {
            push(
                "task",
                format!("{}/{}", state.name, task.id),
                None,
                seen.tasks.contains(&(state.name.clone(), task.id.clone())),
            );
        }
    }
    let guarded = definition
        .states
        .iter()
        .flat_map(|s| s.transitions.iter().map(move |t| (s.name.as_str(), t)))
        .chain(definition.anywhere.iter().map(|t| ("*", t)))
        .filter(|(_, t)| t.guard.is_some());
    for (scope, transition) in guarded {
        let key = (scope.to_owned(), transition.name.clone());
        let name = format!("{scope} → {}", transition.name);
        push(
            "guard",
            name.clone(),
            Some("true"),
            seen.taken.contains(&key),
        );
        push(
            "guard",
            name,
            Some("false"),
            seen.guard_false.contains(&key),
        );
    }
    for state in &definition.states {
        let Some(deadline) = &state.deadline else {
            continue;
        };
        let name = state.name.clone();
        if deadline.warn.is_some() {
            push(
                "deadline",
                name.clone(),
                Some("warned"),
                seen.warned.contains(&name),
            );
        }
        if let Some(fire) = &deadline.fire {
            push(
                "deadline",
                name.clone(),
                Some("fired"),
                seen.fired.contains(&name),
            );
            // Missed only when the fired step's guard can say no.
            let guarded = state
                .transitions
                .iter()
                .chain(&definition.anywhere)
                .find(|t| &t.name == fire)
                .is_some_and(|t| t.guard.is_some());
            if guarded {
                push(
                    "deadline",
                    name,
                    Some("missed"),
                    seen.missed.contains(&state.name),
                );
            }
        } else {
            push(
                "deadline",
                name,
                Some("missed"),
                seen.missed.contains(&state.name),
            );
        }
    }
    // Each notice made due, recorded sent (a recurring duty: renewed by
    // its step taken again), and gone overdue unsent.
    for notice in &definition.notices {
        let done = if notice.renew {
            ("renewed", &seen.notices_renewed)
        } else {
            ("sent", &seen.notices_sent)
        };
        for (outcome, seen) in [
            ("due", &seen.notices_due),
            done,
            ("missed", &seen.notices_missed),
        ] {
            push(
                "notice",
                notice.id.clone(),
                Some(outcome),
                seen.contains(&notice.id),
            );
        }
    }
    Coverage {
        process: definition.id.clone(),
        covered: items.iter().filter(|i| i.covered).count(),
        total: items.len(),
        items,
    }
}

/// `*` for a transition offered anywhere, else the state.
fn scope(definition: &ProcessDefinition, state: &str, transition: &str) -> String {
    let own = definition
        .state(state)
        .is_some_and(|s| s.transitions.iter().any(|t| t.name == transition));
    if own {
        state.to_owned()
    } else {
        "*".to_owned()
    }
}

#[derive(Default)]
struct Seen {
    states: BTreeSet<String>,
    /// (state or `*`, transition)
    taken: BTreeSet<(String, String)>,
    tasks: BTreeSet<(String, String)>,
    guard_false: BTreeSet<(String, String)>,
    warned: BTreeSet<String>,
    missed: BTreeSet<String>,
    fired: BTreeSet<String>,
    notices_due: BTreeSet<String>,
    notices_sent: BTreeSet<String>,
    notices_renewed: BTreeSet<String>,
    notices_missed: BTreeSet<String>,
}

impl Seen {
    fn record(&mut self, definition: &ProcessDefinition, actor: &str, event: &CaseEvent) {
        match event {
            CaseEvent::CaseOpened { state, .. } => {
                self.states.insert(state.clone());
            }
            CaseEvent::TransitionTaken {
                transition,
                from,
                to,
                notices,
                ..
            } => {
                self.notices_due
                    .extend(notices.iter().map(|n| n.notice.clone()));
                if from == to {
                    self.notices_renewed.extend(
                        notices
                            .iter()
                            .filter(|n| n.renews)
                            .map(|n| n.notice.clone()),
                    );
                }
                self.states.insert(to.clone());
                self.taken
                    .insert((scope(definition, from, transition), transition.clone()));
                let fired = actor == actors::SYSTEM
                    && definition
                        .state(from)
                        .and_then(|s| s.deadline.as_ref())
                        .and_then(|d| d.fire.as_ref())
                        .is_some_and(|f| f == transition);
                if fired {
                    self.fired.insert(from.clone());
                }
            }
            CaseEvent::TaskCompleted { state, task } => {
                self.tasks.insert((state.clone(), task.clone()));
            }
            CaseEvent::DeadlineWarned { state, .. } => {
                self.warned.insert(state.clone());
            }
            CaseEvent::DeadlineMissed { state, .. } => {
                self.missed.insert(state.clone());
            }
            CaseEvent::NoticeSent { notice, .. } => {
                self.notices_sent.insert(notice.clone());
            }
            CaseEvent::NoticeMissed { notice, .. } => {
                self.notices_missed.insert(notice.clone());
            }
            _ => {}
        }
    }
}
