//! The second stage: the spanned tree into a validated `ProcessDefinition`,
//! reporting every problem at once.
//!
//! Sections are lowered in dependency order (roles and subjects, then fields,
//! then what refers to them), each problem becomes a diagnostic at its place,
//! and lowering carries on past it. The model is returned only if there was no
//! error: a `ProcessDefinition` is always a valid one.

pub(crate) mod cx;
pub(crate) mod documents;
pub(crate) mod fields;
pub(crate) mod hours;
pub(crate) mod metrics;
pub(crate) mod notices;
pub(crate) mod profile;
pub(crate) mod states;

use std::collections::HashSet;
use std::ops::Range;

use kroonika_engine::definition::{Open, Privacy, ProcessDefinition, State, Subject, Text};

use self::cx::{Cx, IdStyle};
use self::states::Known;
use crate::analysis;
use crate::diagnostic::{Code, Diagnostic};
use crate::tree::Node;

pub(crate) const TOP_KEYS: [&str; 19] = [
    "process",
    "title",
    "description",
    "reference",
    "roles",
    "subjects",
    "fields",
    "open",
    "initial",
    "anywhere",
    "states",
    "corrections",
    "metrics",
    "privacy",
    "retention",
    "notices",
    "profile",
    "region",
    "documents",
];

/// Lowers a parsed file. Returns the definition (if error-free) and every diagnostic.
pub(crate) fn lower(root: &Node, source: &str) -> (Option<ProcessDefinition>, Vec<Diagnostic>) {
    let mut cx = Cx {
        source: source.to_owned(),
        ..Cx::default()
    };
    let definition = lower_root(&mut cx, root);
    let definition = definition.filter(|_| !cx.has_errors());
    (definition, cx.diagnostics)
}

fn lower_root(cx: &mut Cx, root: &Node) -> Option<ProcessDefinition> {
    let map = cx.map(root, "the process definition", &TOP_KEYS)?;
    let what = "the process definition";

    let id = cx.required(map, "process", what).and_then(|n| {
        let id = cx.text(n, "'process'")?;
        cx.id(&id, &n.span, "process", IdStyle::Kebab).then_some(id)
    });
    let title = cx
        .required(map, "title", what)
        .and_then(|n| cx.words(n, "'title'"));
    let reference = cx.required(map, "reference", what).and_then(|n| {
        let reference = cx.text(n, "'reference'")?;
        let ok = (1..=8).contains(&reference.len())
            && reference.starts_with(|c: char| c.is_ascii_uppercase())
            && reference.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !ok {
            cx.push(
                Diagnostic::error(Code::InvalidId, n.span.clone(), format!("'{reference}' is not a valid case reference prefix"))
                    .with_help("use 1 to 8 capital letters or digits, starting with a letter (e.g. 'SC' gives SC-2026-0042)"),
            );
            return None;
        }
        Some(reference)
    });

    let roles_node = cx.required(map, "roles", what);
    if roles_node
        .is_some_and(|n| !matches!(n.kind, crate::tree::Kind::Seq(_) | crate::tree::Kind::Null))
    {
        // Reported once as the wrong type; do not report every use of a role too.
        cx.broken.insert(cx::ROLES_BROKEN.to_owned());
    }
    let role_list = roles_node
        .map(|n| cx.id_list(n, "role", IdStyle::Kebab))
        .unwrap_or_default();
    let roles: HashSet<String> = role_list.iter().map(|(r, _)| r.clone()).collect();

    let subjects = map
        .get("subjects")
        .map(|n| subjects(cx, n))
        .unwrap_or_default();
    let fields = map
        .get("fields")
        .map(|n| fields::fields(cx, n, &roles, &subjects))
        .unwrap_or_default();

    // State names first, so transitions anywhere can be checked against them.
    let states_node = cx.required(map, "states", what);
    let state_entries = states_node.and_then(|n| cx.named(n, "states"));
    let mut state_names: Vec<String> = Vec::new();
    let mut state_spans: Vec<(String, Range<usize>)> = Vec::new();
    for (key, _) in state_entries.map(|m| m.entries).unwrap_or_default() {
        if !cx.id(&key.name, &key.span, "state", IdStyle::Kebab) {
            cx.broken.insert(key.name.clone());
            continue;
        }
        if state_names.contains(&key.name) {
            cx.error(
                Code::DuplicateId,
                key.span.clone(),
                format!("state '{}' is declared twice", key.name),
            );
            continue;
        }
        state_names.push(key.name.clone());
        state_spans.push((key.name.clone(), key.span.clone()));
    }
    let transition_names = transition_names(map.get("anywhere"), state_entries);
    let known = Known {
        roles: &roles,
        fields: &fields,
        states: &state_names,
        transitions: &transition_names,
    };

    let open = cx.required(map, "open", what).and_then(|n| {
        let open = cx.map(n, "'open'", &["roles", "input"])?;
        let roles = cx
            .required(open, "roles", "'open'")
            .map(|r| states::role_refs(cx, r, "opening a case", &known))
            .unwrap_or_default();
        let input = open
            .get("input")
            .map(|i| fields::inputs(cx, i, "opening a case", &fields, known.roles))
            .unwrap_or_default();
        Some(Open { roles, input })
    });

    // Who may correct case data; coordinators unless the definition says otherwise.
    let corrections = match map.get("corrections") {
        Some(n) => cx
            .map(n, "'corrections'", &["roles"])
            .map_or_else(Vec::new, |c| {
                cx.required(c, "roles", "'corrections'")
                    .map(|r| states::role_refs(cx, r, "correcting case data", &known))
                    .unwrap_or_default()
            }),
        None => vec![kroonika_engine::definition::RoleRef::Role {
            role: "coordinator".to_owned(),
        }],
    };

    // Who may read personal data in the clear (default: those who correct it)
    // and who may erase it (administrators always may).
    let privacy = match map.get("privacy") {
        Some(n) => cx
            .map(n, "'privacy'", &["read", "erase", "export"])
            .map_or_else(Privacy::default, |p| Privacy {
                read: p
                    .get("read")
                    .map(|r| states::role_refs(cx, r, "reading personal data", &known))
                    .unwrap_or_else(|| corrections.clone()),
                erase: p
                    .get("erase")
                    .map(|r| states::role_refs(cx, r, "erasing personal data", &known))
                    .unwrap_or_default(),
                export: p
                    .get("export")
                    .map(|r| states::role_refs(cx, r, "exporting a data subject's data", &known))
                    .unwrap_or_default(),
            }),
        None => Privacy {
            read: corrections.clone(),
            erase: Vec::new(),
            export: Vec::new(),
        },
    };
    let retention = map.get("retention").and_then(|n| {
        let r = cx.map(n, "'retention'", &["after_closed"])?;
        let node = cx.required(r, "after_closed", "'retention'")?;
        states::duration(cx, node, "'after_closed'")
    });

    let anywhere = map
        .get("anywhere")
        .map(|n| states::transition_map(cx, n, "'anywhere'", &known, None))
        .unwrap_or_default();

    let mut states: Vec<State> = Vec::new();
    for (key, node) in state_entries.map(|m| m.entries).unwrap_or_default() {
        if !state_names.contains(&key.name) || states.iter().any(|s| s.name == key.name) {
            continue;
        }
        if let Some(state) = states::state(cx, key, node, &known, &anywhere) {
            states.push(state);
        }
    }

    let initial = cx.required(map, "initial", what).and_then(|n| {
        let initial = cx.text(n, "'initial'")?;
        if !states::state_ref(cx, &initial, &n.span, "'initial'", &known) {
            return None;
        }
        if states.iter().any(|s| s.name == initial && s.terminal) {
            cx.error(Code::UnknownState, n.span.clone(), format!("the initial state '{initial}' is terminal, so a case would end as soon as it opens"));
            return None;
        }
        Some(initial)
    });

    let metrics = map
        .get("metrics")
        .map(|n| {
            let scope = metrics::Scope {
                known: &known,
                states: &states,
                anywhere: &anywhere,
            };
            metrics::metrics(cx, n, &scope)
        })
        .unwrap_or_default();

    let notices = map
        .get("notices")
        .map(|n| notices::notices(cx, n, &known, &corrections))
        .unwrap_or_default();

    let profile = map
        .get("profile")
        .and_then(|n| profile::profile(cx, n, &known));

    let region = map.get("region").and_then(|n| region(cx, n, &fields));

    let documents = map
        .get("documents")
        .map(|n| documents::documents(cx, n, &known, &subjects, &corrections))
        .unwrap_or_default();

    let definition = ProcessDefinition {
        id: id?,
        title: title?,
        reference: reference?,
        roles: role_list.into_iter().map(|(r, _)| r).collect(),
        subjects,
        fields,
        open: open?,
        corrections,
        initial: initial?,
        anywhere,
        states,
        metrics,
        privacy,
        retention,
        notices,
        region,
        profile,
        documents,
        programs: Default::default(),
    };
    if !cx.has_errors() {
        for diagnostic in analysis::check(&definition, &state_spans) {
            cx.push(diagnostic);
        }
    }
    Some(definition)
}

/// Every transition name in the file (of `anywhere` and of each state), read
/// before lowering so that a `fire` can tell "declared elsewhere" from "nowhere".
fn transition_names(anywhere: Option<&Node>, states: Option<cx::Map<'_>>) -> Vec<String> {
    let names_in = |node: &Node| -> Vec<String> {
        match &node.kind {
            crate::tree::Kind::Map(entries) => {
                entries.iter().map(|(k, _)| k.name.clone()).collect()
            }
            _ => Vec::new(),
        }
    };
    let mut names: Vec<String> = anywhere.map(names_in).unwrap_or_default();
    for (_, state) in states.map(|m| m.entries).unwrap_or_default() {
        if let crate::tree::Kind::Map(entries) = &state.kind
            && let Some((_, transitions)) = entries.iter().find(|(k, _)| k.name == "transitions")
        {
            names.extend(names_in(transitions));
        }
    }
    names
}

/// `region`: the field holding a case's region, an enum or a text that is
/// not personal (overdue cases escalate to that region's leads).
fn region(
    cx: &mut Cx,
    node: &Node,
    fields: &[kroonika_engine::definition::Field],
) -> Option<String> {
    use kroonika_engine::definition::FieldType;
    let name = cx.text(node, "'region'")?;
    let Some(field) = fields.iter().find(|f| f.name == name) else {
        fields::unknown_field(cx, &name, &node.span, "'region'", fields);
        return None;
    };
    if field.holds_personal() {
        cx.error(
            Code::GuardPersonalField,
            node.span.clone(),
            format!("'region' names '{name}', which is personal data; a case's region is a fact about the work"),
        );
        return None;
    }
    if !matches!(field.ty, FieldType::Enum { .. } | FieldType::String { .. }) {
        cx.error(
            Code::InvalidFieldType,
            node.span.clone(),
            format!(
                "'region' names '{name}', of type {}; a region is an enum (north, south, …) or a text",
                field.ty.name()
            ),
        );
        return None;
    }
    Some(name)
}

fn subjects(cx: &mut Cx, node: &Node) -> Vec<Subject> {
    let Some(map) = cx.named(node, "subjects") else {
        return Vec::new();
    };
    let mut out: Vec<Subject> = Vec::new();
    for (key, spec) in cx.declared(map, "subject", "") {
        let what = format!("subject '{}'", key.name);
        let Some(spec) = cx.map(spec, &what, &["title"]) else {
            continue;
        };
        let title = spec
            .get("title")
            .and_then(|n| cx.words(n, "'title'"))
            .unwrap_or_else(|| Text::from(key.name.as_str()));
        out.push(Subject {
            name: key.name.clone(),
            title,
        });
    }
    out
}
