//! Drawing a definition: Mermaid (renders on GitHub and GitLab as is),
//! Graphviz DOT, and SVG drawn here (`svg.rs`: for a browser, with no
//! Graphviz installed). Transitions carry their roles, states their deadlines and
//! checklists, terminal states their outcomes; `anywhere` transitions are drawn
//! once, from a pseudo-state "any open state", instead of from every state.

use std::fmt::Write;

use kroonika_engine::definition::{ProcessDefinition, State, Transition};

mod svg;
pub use svg::{Marks, svg, svg_marked};

/// A Mermaid `stateDiagram-v2`.
pub fn mermaid(def: &ProcessDefinition) -> String {
    let mut out = String::new();
    let id = |name: &str| name.replace('-', "_");
    let _ = writeln!(out, "---\ntitle: {}\n---\nstateDiagram-v2", def.title);
    for state in &def.states {
        let _ = writeln!(
            out,
            "    state \"{}\" as {}",
            state_label(state),
            id(&state.name)
        );
    }
    let _ = writeln!(out, "    [*] --> {}", id(&def.initial));
    for state in &def.states {
        for transition in &state.transitions {
            let to = transition.to.as_deref().unwrap_or(&state.name);
            let _ = writeln!(
                out,
                "    {} --> {}: {}",
                id(&state.name),
                id(to),
                transition_label(transition)
            );
        }
        if state.terminal {
            let _ = writeln!(out, "    {} --> [*]", id(&state.name));
        }
        if let Some(note) = state_note(state) {
            let _ = writeln!(
                out,
                "    note right of {}\n        {}\n    end note",
                id(&state.name),
                note.replace('\n', "\n        ")
            );
        }
    }
    if !def.anywhere.is_empty() {
        let _ = writeln!(out, "    state \"any open state\" as any_open_state");
        for transition in &def.anywhere {
            if let Some(to) = &transition.to {
                let _ = writeln!(
                    out,
                    "    any_open_state --> {}: {}",
                    id(to),
                    transition_label(transition)
                );
            }
        }
    }
    out
}

/// A Graphviz digraph.
pub fn dot(def: &ProcessDefinition) -> String {
    let mut out = String::new();
    let quote = |text: &str| format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""));
    let _ = writeln!(out, "digraph {} {{", quote(&def.id));
    let _ = writeln!(
        out,
        "    label={};\n    rankdir=LR;\n    node [shape=box, style=rounded];",
        quote(def.title.as_str())
    );
    let _ = writeln!(
        out,
        "    \"[start]\" [shape=point];\n    \"[start]\" -> {};",
        quote(&def.initial)
    );
    for state in &def.states {
        let mut label = state_label(state);
        if let Some(note) = state_note(state) {
            label.push('\n');
            label.push_str(&note);
        }
        let shape = if state.terminal {
            ", peripheries=2"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {} [label={}{shape}];",
            quote(&state.name),
            quote(&label)
        );
        for transition in &state.transitions {
            let to = transition.to.as_deref().unwrap_or(&state.name);
            let _ = writeln!(
                out,
                "    {} -> {} [label={}];",
                quote(&state.name),
                quote(to),
                quote(&transition_label(transition))
            );
        }
    }
    if !def.anywhere.is_empty() {
        let _ = writeln!(out, "    \"any open state\" [shape=note];");
        for transition in &def.anywhere {
            if let Some(to) = &transition.to {
                let _ = writeln!(
                    out,
                    "    \"any open state\" -> {} [label={}, style=dashed];",
                    quote(to),
                    quote(&transition_label(transition))
                );
            }
        }
    }
    out.push_str("}\n");
    out
}

pub(crate) fn state_label(state: &State) -> String {
    match (&state.outcome, state.terminal) {
        (Some(outcome), true) => format!("{} (outcome: {outcome})", state.name),
        _ => state.name.clone(),
    }
}

pub(crate) fn transition_label(transition: &Transition) -> String {
    let roles: Vec<String> = transition.roles.iter().map(ToString::to_string).collect();
    let guard = if transition.guard.is_some() {
        " [guard]"
    } else {
        ""
    };
    format!("{} ({}){guard}", transition.name, roles.join(", "))
}

pub(crate) fn state_note(state: &State) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(deadline) = &state.deadline {
        let mut line = format!("deadline: {}", deadline.within);
        if let Some(from) = &deadline.from {
            let _ = write!(line, " from {from}");
        }
        if let Some(role) = &deadline.escalate {
            let _ = write!(line, ", escalate to {role}");
        }
        if let Some(fire) = &deadline.fire {
            let _ = write!(line, ", then {fire}");
        }
        if deadline.when.is_some() {
            line.push_str(" (when it applies)");
        }
        lines.push(line);
    }
    for task in &state.tasks {
        let when = if task.when.is_some() {
            " (when required)"
        } else {
            ""
        };
        lines.push(format!("task: {}{when}", task.title));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}
