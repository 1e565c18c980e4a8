//! Whole-process checks on a definition that is otherwise valid: can every state
//! be reached, can every case end, does every state offer a way on.

use std::collections::{HashSet, VecDeque};
use std::ops::Range;

use kroonika_engine::definition::ProcessDefinition;

use crate::diagnostic::{Code, Diagnostic};

/// `spans` gives each state's name span in the file.
pub(crate) fn check(def: &ProcessDefinition, spans: &[(String, Range<usize>)]) -> Vec<Diagnostic> {
    let span = |name: &str| {
        spans
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0..0, |(_, s)| s.clone())
    };
    let successors = |name: &str| -> Vec<String> {
        def.state(name)
            .map(|state| {
                def.transitions_in(state)
                    .filter_map(|t| t.to.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();

    // Reachable from the initial state.
    let mut reachable: HashSet<String> = HashSet::from([def.initial.clone()]);
    let mut queue = VecDeque::from([def.initial.clone()]);
    while let Some(name) = queue.pop_front() {
        for next in successors(&name) {
            if reachable.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }

    // States from which some terminal state can be reached (fixpoint).
    let mut can_end: HashSet<String> = def
        .states
        .iter()
        .filter(|s| s.terminal)
        .map(|s| s.name.clone())
        .collect();
    loop {
        let before = can_end.len();
        for state in &def.states {
            if !can_end.contains(&state.name)
                && successors(&state.name).iter().any(|n| can_end.contains(n))
            {
                can_end.insert(state.name.clone());
            }
        }
        if can_end.len() == before {
            break;
        }
    }

    for state in &def.states {
        let name = &state.name;
        if !reachable.contains(name) {
            out.push(
                Diagnostic::warning(
                    Code::UnreachableState,
                    span(name),
                    format!(
                        "state '{name}' cannot be reached from the initial state '{}'",
                        def.initial
                    ),
                )
                .with_help("add a transition to it, or remove it"),
            );
        }
        if state.terminal {
            continue;
        }
        if def.transitions_in(state).next().is_none() {
            out.push(
                Diagnostic::error(Code::NoTransitions, span(name), format!("state '{name}' is not terminal but has no transitions: a case there could never move"))
                    .with_help("add transitions, or mark it 'terminal: true' with an outcome"),
            );
        } else if !can_end.contains(name) {
            out.push(
                Diagnostic::error(Code::NoWayOut, span(name), format!("no terminal state can be reached from state '{name}': a case there could never close"))
                    .with_help("add a transition that leads, directly or through other states, to a terminal state"),
            );
        }
    }
    out
}
