//! `documents`: what a case can be printed as (the agreement, the report to
//! the authority, the information sheet), each template checked against the
//! fields, states, roles and subjects the file declares.

use std::collections::BTreeMap;

use kroonika_engine::definition::{DOCUMENT_LANGUAGES, Document, FieldType, RoleRef, Subject};

use super::cx::{Cx, IdStyle};
use super::states::{Known, named_state, role_refs};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;
use crate::tree::Node;

pub(crate) const DOCUMENT_KEYS: [&str; 5] = ["title", "in", "roles", "to", "templates"];

/// Lowers the `documents` map; `corrections` are who produces a document
/// when it does not say.
pub(crate) fn documents(
    cx: &mut Cx,
    node: &Node,
    known: &Known<'_>,
    subjects: &[Subject],
    corrections: &[RoleRef],
) -> Vec<Document> {
    let Some(map) = cx.named(node, "documents") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, spec) in cx.declared(map, "document", "") {
        let what = format!("document '{}'", key.name);
        let Some(spec) = cx.map(spec, &what, &DOCUMENT_KEYS) else {
            continue;
        };
        let title = cx
            .required(spec, "title", &what)
            .and_then(|n| cx.words(n, "'title'"));
        let states = spec
            .get("in")
            .map(|n| {
                let mut states = Vec::new();
                for (name, span) in cx.id_list(n, "state", IdStyle::Kebab) {
                    if named_state(cx, &name, &span, &format!("{what} is produced in"), known) {
                        states.push(name);
                    }
                }
                states
            })
            .unwrap_or_default();
        let roles = spec
            .get("roles")
            .map(|n| role_refs(cx, n, &format!("producing {what}"), known))
            .unwrap_or_else(|| corrections.to_vec());
        let to = spec
            .get("to")
            .map(|n| addressees(cx, n, &what, known, subjects))
            .unwrap_or_default();
        let templates = cx
            .required(spec, "templates", &what)
            .map(|n| templates(cx, n, &what, known))
            .unwrap_or_default();
        let (Some(title), false) = (title, templates.is_empty()) else {
            continue;
        };
        out.push(Document {
            id: key.name.clone(),
            title,
            states,
            roles,
            to,
            templates,
        });
    }
    out
}

/// `to`: subjects of the case, people fields (any person listed), or partner
/// fields.
fn addressees(
    cx: &mut Cx,
    node: &Node,
    what: &str,
    known: &Known<'_>,
    subjects: &[Subject],
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, span) in cx.id_list(node, "addressee", IdStyle::Snake) {
        let partner = known.fields.iter().any(|f| {
            f.name == name && matches!(f.ty, FieldType::Partner { .. } | FieldType::People { .. })
        });
        if partner || subjects.iter().any(|s| s.name == name) {
            out.push(name);
            continue;
        }
        let mut d = Diagnostic::error(
            Code::UnknownSubject,
            span,
            format!(
                "{what} is addressed to '{name}', which is neither a subject under 'subjects' nor a people or partner field"
            ),
        );
        let names = subjects.iter().map(|s| s.name.as_str()).chain(
            known
                .fields
                .iter()
                .filter(|f| matches!(f.ty, FieldType::Partner { .. } | FieldType::People { .. }))
                .map(|f| f.name.as_str()),
        );
        if let Some(help) = did_you_mean(&name, names) {
            d = d.with_help(help);
        }
        cx.push(d);
    }
    out
}

/// `templates: { et: …, ru: …, en: … }`, each checked.
fn templates(cx: &mut Cx, node: &Node, what: &str, known: &Known<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(map) = cx.map(
        node,
        &format!("the templates of {what} (one in each language)"),
        &DOCUMENT_LANGUAGES,
    ) else {
        return out;
    };
    for (key, value) in map.entries {
        if !DOCUMENT_LANGUAGES.contains(&key.name.as_str()) {
            continue;
        }
        let Some(source) = cx.text(value, &format!("the '{}' template of {what}", key.name)) else {
            continue;
        };
        let problems = crate::documents::check_template(&source, known.fields);
        for problem in &problems {
            let at = problem
                .line
                .map(|l| format!(" (line {l} of the template)"))
                .unwrap_or_default();
            let span = problem
                .line
                .map_or_else(|| value.span.clone(), |l| cx.line_in(&value.span, l));
            cx.error(
                Code::InvalidTemplate,
                span,
                format!(
                    "the '{}' template of {what}{at}: {}",
                    key.name, problem.message
                ),
            );
        }
        if problems.is_empty() {
            out.insert(key.name.clone(), source);
        }
    }
    if map.entries.is_empty() {
        cx.error(
            Code::MissingKey,
            node.span.clone(),
            format!(
                "{what} has no template; write one in {}",
                DOCUMENT_LANGUAGES.join(", ")
            ),
        );
    }
    out
}
