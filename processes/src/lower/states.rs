//! States, their transitions, checklists and deadlines.

use std::collections::HashSet;
use std::ops::Range;

use kroonika_engine::calendar::Duration;
use kroonika_engine::definition::{
    Deadline, Field, FieldType, Guard, Input, RoleRef, State, Task, Text, Transition,
};

use super::cx::{Cx, IdStyle};
use super::fields::{inputs, unknown_field, unknown_role};
use crate::diagnostic::{Code, Diagnostic};
use crate::guard::{self, Scope};
use crate::suggest::did_you_mean;
use crate::tree::{Key, Node};

/// What the states are checked against.
pub(crate) struct Known<'a> {
    pub roles: &'a HashSet<String>,
    pub fields: &'a [Field],
    /// Every state name in the file, read before any state is lowered.
    pub states: &'a [String],
    /// Every transition name declared anywhere in the file.
    pub transitions: &'a [String],
}

pub(crate) const STATE_KEYS: [&str; 7] = [
    "title",
    "guidance",
    "terminal",
    "outcome",
    "deadline",
    "tasks",
    "transitions",
];
pub(crate) const TRANSITION_KEYS: [&str; 7] =
    ["title", "to", "roles", "input", "guard", "message", "hours"];
pub(crate) const DEADLINE_KEYS: [&str; 6] = ["within", "from", "escalate", "fire", "warn", "when"];
pub(crate) const TASK_KEYS: [&str; 4] = ["id", "title", "when", "after"];

/// Lowers one state. `anywhere` is needed to check a deadline's `fire`.
pub(crate) fn state(
    cx: &mut Cx,
    key: &Key,
    node: &Node,
    known: &Known<'_>,
    anywhere: &[Transition],
) -> Option<State> {
    let what = format!("state '{}'", key.name);
    let map = cx.map(node, &what, &STATE_KEYS)?;
    let terminal_node = map.get("terminal");
    let terminal_value = terminal_node.map(|n| cx.bool(n, "'terminal'"));
    let terminal = matches!(terminal_value, Some(Some(true)));
    // A 'terminal' that could not be read was reported; judge nothing by it.
    let terminal_unknown = matches!(terminal_value, Some(None));
    let title = map.get("title").and_then(|n| cx.words(n, "'title'"));
    let guidance = map.get("guidance").and_then(|n| cx.words(n, "'guidance'"));
    let outcome = map.get("outcome").and_then(|n| {
        let outcome = cx.text(n, "'outcome'")?;
        if !terminal && !terminal_unknown {
            cx.error(
                Code::UnknownKey,
                n.span.clone(),
                format!("{what} is not terminal, so it has no outcome"),
            );
            return None;
        }
        cx.id(&outcome, &n.span, "outcome", IdStyle::Kebab)
            .then_some(outcome)
    });
    if terminal && outcome.is_none() && !map.has("outcome") {
        cx.push(
            Diagnostic::warning(Code::MissingOutcome, key.span.clone(), format!("terminal {what} has no outcome"))
                .with_help("give it an outcome code (e.g. 'outcome: fulfilled') so reports can count how cases ended"),
        );
    }
    let tasks = map
        .get("tasks")
        .map(|n| tasks(cx, n, &what, known))
        .unwrap_or_default();
    let task_ids: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
    let mut transitions: Vec<Transition> = Vec::new();
    if let Some(node) = map.get("transitions") {
        transitions = transition_map(cx, node, &what, known, Some(&task_ids));
        if terminal && !transitions.is_empty() {
            cx.push(
                Diagnostic::error(
                    Code::TerminalWithTransitions,
                    node.span.clone(),
                    format!("terminal {what} has transitions; a terminal state ends the case"),
                )
                .with_help("remove 'terminal: true', or move these transitions to another state"),
            );
        }
    }
    let deadline = map
        .get("deadline")
        .and_then(|n| deadline(cx, n, &what, known, &transitions, anywhere, terminal));
    Some(State {
        name: key.name.clone(),
        title,
        guidance,
        terminal,
        outcome,
        deadline,
        tasks,
        transitions,
    })
}

/// Lowers a map of transition name → spec (a state's `transitions`, or `anywhere`).
/// `task_ids` are the owning state's tasks (None for `anywhere`).
pub(crate) fn transition_map(
    cx: &mut Cx,
    node: &Node,
    owner: &str,
    known: &Known<'_>,
    task_ids: Option<&[String]>,
) -> Vec<Transition> {
    let Some(map) = cx.named(node, &format!("the transitions of {owner}")) else {
        return Vec::new();
    };
    let mut out: Vec<Transition> = Vec::new();
    for (key, spec) in cx.declared(map, "transition", &format!(" in {owner}")) {
        if let Some(transition) = transition(cx, key, spec, owner, known, task_ids) {
            out.push(transition);
        }
    }
    out
}

fn transition(
    cx: &mut Cx,
    key: &Key,
    node: &Node,
    owner: &str,
    known: &Known<'_>,
    task_ids: Option<&[String]>,
) -> Option<Transition> {
    let what = format!("transition '{}' of {owner}", key.name);
    let map = cx.map(node, &what, &TRANSITION_KEYS)?;
    let to = map.get("to").and_then(|n| {
        let to = cx.text(n, "'to'")?;
        state_ref(cx, &to, &n.span, &what, known).then_some(to)
    });
    let roles = match cx.required(map, "roles", &what) {
        Some(n) => role_refs(cx, n, &what, known),
        None => Vec::new(),
    };
    let input = map
        .get("input")
        .map(|n| inputs(cx, n, &what, known.fields, known.roles))
        .unwrap_or_default();
    let guard = map.get("guard").and_then(|n| {
        let expression = cx.text(n, "'guard'")?;
        let scope = Scope {
            fields: known.fields,
            inputs: Some(&input),
            tasks: true,
            what: "guard",
            task_ids,
        };
        for d in guard::check(&expression, n.span.clone(), &scope) {
            cx.push(d);
        }
        let message = map.get("message").and_then(|m| cx.words(m, "'message'"));
        Some(Guard {
            expression,
            message,
        })
    });
    let title = map.get("title").and_then(|n| cx.words(n, "'title'"));
    let hours = map
        .get("hours")
        .and_then(|n| super::hours::hours(cx, n, &what, &input, known.fields));
    Some(Transition {
        name: key.name.clone(),
        title,
        to,
        roles,
        input,
        guard,
        hours,
    })
}

/// Checks that a state name exists, with a suggestion if not.
pub(crate) fn state_ref(
    cx: &mut Cx,
    name: &str,
    span: &Range<usize>,
    what: &str,
    known: &Known<'_>,
) -> bool {
    named_state(cx, name, span, &format!("{what} goes to"), known)
}

/// Checks that a state name exists; `said` is how the message leads up to it
/// ("'initial' goes to", "the rate of metric 'x' names").
pub(crate) fn named_state(
    cx: &mut Cx,
    name: &str,
    span: &Range<usize>,
    said: &str,
    known: &Known<'_>,
) -> bool {
    if known.states.iter().any(|s| s == name) {
        return true;
    }
    if cx.broken.contains(name) {
        return false;
    }
    let mut d = Diagnostic::error(
        Code::UnknownState,
        span.clone(),
        format!("{said} state '{name}', which is not declared under 'states'"),
    );
    if let Some(help) = did_you_mean(name, known.states.iter().map(String::as_str)) {
        d = d.with_help(help);
    }
    cx.push(d);
    false
}

/// Lowers `roles: [coordinator, facilitator@facilitators]`.
pub(crate) fn role_refs(cx: &mut Cx, node: &Node, what: &str, known: &Known<'_>) -> Vec<RoleRef> {
    let mut out = Vec::new();
    for item in cx
        .list(node, &format!("the roles of {what}"))
        .unwrap_or_default()
    {
        let Some(text) = cx.text(item, "a role") else {
            continue;
        };
        let (role, field) = match text.split_once('@') {
            Some((role, field)) => (role.to_owned(), Some(field.to_owned())),
            None => (text.clone(), None),
        };
        if !known.roles.contains(&role) {
            unknown_role(cx, &role, &item.span, known.roles);
            continue;
        }
        match field {
            None => out.push(RoleRef::Role { role }),
            Some(field) => match known.fields.iter().find(|f| f.name == field) {
                None => unknown_field(cx, &field, &item.span, what, known.fields),
                Some(Field { ty: FieldType::Actors { role: listed }, .. }) if *listed == role => {
                    out.push(RoleRef::Assigned { role, field });
                }
                Some(Field { ty: FieldType::Actors { role: listed }, .. }) => cx.push(
                    Diagnostic::error(
                        Code::InvalidRoleRef,
                        item.span.clone(),
                        format!("'{text}': field '{field}' lists actors with role '{listed}', not '{role}'"),
                    )
                    .with_help(format!("write '{listed}@{field}'")),
                ),
                Some(_) => cx.push(
                    Diagnostic::error(Code::InvalidRoleRef, item.span.clone(), format!("'{text}': field '{field}' is not a list of actors"))
                        .with_help(format!("ROLE@FIELD needs a field of type list with 'of: actor' and 'role: {role}'")),
                ),
            },
        }
    }
    out
}

fn tasks(cx: &mut Cx, node: &Node, owner: &str, known: &Known<'_>) -> Vec<Task> {
    let mut out: Vec<Task> = Vec::new();
    let mut spans: Vec<Vec<(String, std::ops::Range<usize>)>> = Vec::new();
    for item in cx
        .list(node, &format!("the tasks of {owner}"))
        .unwrap_or_default()
    {
        let Some(map) = cx.map(item, &format!("a task of {owner}"), &TASK_KEYS) else {
            continue;
        };
        let Some(id_node) = cx.required(map, "id", &format!("a task of {owner}")) else {
            continue;
        };
        let Some(id) = cx.text(id_node, "a task id") else {
            continue;
        };
        if !cx.id(&id, &id_node.span, "task", IdStyle::Kebab) {
            continue;
        }
        if out.iter().any(|t| t.id == id) {
            cx.error(
                Code::DuplicateId,
                id_node.span.clone(),
                format!("task '{id}' is listed twice in {owner}"),
            );
            continue;
        }
        let what = format!("task '{id}' of {owner}");
        let title = match cx.required(map, "title", &what) {
            Some(n) => cx.words(n, "'title'").unwrap_or_else(|| Text::from("")),
            None => Text::from(""),
        };
        let when = map.get("when").and_then(|n| condition(cx, n, known));
        let after = map
            .get("after")
            .map(|n| cx.id_list(n, "task", IdStyle::Kebab))
            .unwrap_or_default();
        out.push(Task {
            id,
            title,
            when,
            after: after.iter().map(|(name, _)| name.clone()).collect(),
        });
        spans.push(after);
    }
    // `after` names tasks of the same list, never the task itself.
    let ids: Vec<String> = out.iter().map(|t| t.id.clone()).collect();
    for (task, after) in out.iter().zip(&spans) {
        for (name, span) in after {
            if name == &task.id || !ids.contains(name) {
                let mut d = Diagnostic::error(
                    Code::UnknownTask,
                    span.clone(),
                    if name == &task.id {
                        format!("task '{name}' of {owner} comes after itself")
                    } else {
                        format!(
                            "task '{}' of {owner} comes after task '{name}', which {owner} does not have",
                            task.id
                        )
                    },
                );
                if name == &task.id {
                    d = d.with_help("name the tasks that must be done before it");
                } else if let Some(help) = did_you_mean(name, ids.iter().map(String::as_str)) {
                    d = d.with_help(help);
                }
                cx.push(d);
            }
        }
    }
    out
}

/// A `when` condition (of a task or a deadline): CEL over the case, the actor,
/// the time and the state, checked like a guard.
pub(crate) fn condition(cx: &mut Cx, node: &Node, known: &Known<'_>) -> Option<String> {
    let expression = cx.text(node, "'when'")?;
    let scope = Scope {
        fields: known.fields,
        inputs: None,
        tasks: false,
        what: "condition",
        task_ids: None,
    };
    for d in guard::check(&expression, node.span.clone(), &scope) {
        cx.push(d);
    }
    Some(expression)
}

/// An `escalate` role (of a deadline or a notice): one the file declares.
pub(crate) fn escalate_role(cx: &mut Cx, node: &Node, known: &Known<'_>) -> Option<String> {
    let role = cx.text(node, "'escalate'")?;
    if known.roles.contains(&role) {
        Some(role)
    } else {
        unknown_role(cx, &role, &node.span, known.roles);
        None
    }
}

pub(crate) fn duration(cx: &mut Cx, node: &Node, what: &str) -> Option<Duration> {
    let text = cx.text(node, what)?;
    match Duration::parse(&text) {
        Ok(d) => Some(d),
        Err(err) => {
            cx.error(Code::InvalidDuration, node.span.clone(), err.to_string());
            None
        }
    }
}

fn deadline(
    cx: &mut Cx,
    node: &Node,
    owner: &str,
    known: &Known<'_>,
    own: &[Transition],
    anywhere: &[Transition],
    terminal: bool,
) -> Option<Deadline> {
    let what = format!("the deadline of {owner}");
    let map = cx.map(node, &what, &DEADLINE_KEYS)?;
    let within = cx
        .required(map, "within", &what)
        .and_then(|n| duration(cx, n, "'within'"));
    let warn = map.get("warn").and_then(|n| {
        let warn = duration(cx, n, "'warn'")?;
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)?;
        if let Some(within) = within
            && warn.after(start) >= within.after(start)
        {
            cx.error(
                Code::InvalidDuration,
                n.span.clone(),
                format!(
                    "the warning of {what} ({warn}) does not come before the deadline ({within})"
                ),
            );
            return None;
        }
        Some(warn)
    });
    let when = map.get("when").and_then(|n| condition(cx, n, known));
    let from = map.get("from").and_then(|n| {
        let name = cx.text(n, "'from'")?;
        match known.fields.iter().find(|f| f.name == name) {
            None => {
                unknown_field(cx, &name, &n.span, &what, known.fields);
                None
            }
            Some(Field { ty: FieldType::Date | FieldType::Datetime, .. }) => Some(name),
            Some(field) => {
                cx.error(
                    Code::DeadlineFromNotDate,
                    n.span.clone(),
                    format!("{what} counts from field '{name}', which is of type {}, not a date or datetime", field.ty.name()),
                );
                None
            }
        }
    });
    let escalate = map
        .get("escalate")
        .and_then(|n| escalate_role(cx, n, known));
    let fire = map.get("fire").and_then(|n| {
        let name = cx.text(n, "'fire'")?;
        let available = own.iter().chain(anywhere.iter().filter(|_| !terminal));
        let candidates: Vec<&Transition> = available.collect();
        let Some(transition) = candidates.iter().find(|t| t.name == name) else {
            if !known.transitions.contains(&name) {
                let mut d = Diagnostic::error(
                    Code::UnknownTransition,
                    n.span.clone(),
                    format!("{what} fires transition '{name}', which is not declared anywhere in the process"),
                );
                if let Some(help) = did_you_mean(&name, candidates.iter().map(|t| t.name.as_str())) {
                    d = d.with_help(help);
                }
                cx.push(d);
                return None;
            }
            let mut d = Diagnostic::error(
                Code::FireUnavailable,
                n.span.clone(),
                format!("{what} fires transition '{name}', which is not available in {owner}"),
            );
            if let Some(help) = did_you_mean(&name, candidates.iter().map(|t| t.name.as_str())) {
                d = d.with_help(help);
            }
            cx.push(d);
            return None;
        };
        let required: Vec<&Input> = transition.input.iter().filter(|i| i.required).collect();
        if !required.is_empty() {
            let names: Vec<&str> = required.iter().map(|i| i.name.as_str()).collect();
            cx.push(
                Diagnostic::error(
                    Code::FireNeedsInput,
                    n.span.clone(),
                    format!(
                        "{what} fires '{name}', but the system cannot give its required input: {}",
                        names.join(", ")
                    ),
                )
                .with_help(
                    "make those inputs 'required: false', or fire a transition that needs no input",
                ),
            );
            return None;
        }
        Some(name)
    });
    Some(Deadline {
        within: within?,
        from,
        escalate,
        fire,
        warn,
        when,
    })
}
