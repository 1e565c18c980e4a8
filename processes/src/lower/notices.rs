//! `notices`: what the service owes someone outside it once a step is taken
//! (the referring prosecutor or court told of every ending), each checked
//! against the steps, fields and roles the file declares.

use kroonika_engine::definition::{FieldType, Notice, RoleRef};

use super::cx::Cx;
use super::fields::unknown_field;
use super::states::{Known, condition, duration, escalate_role, role_refs};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;
use crate::tree::Node;

pub(crate) const NOTICE_KEYS: [&str; 8] = [
    "title", "after", "to", "within", "escalate", "roles", "when", "renew",
];

/// Lowers the `notices` map; `corrections` are who records a notice sent
/// when it does not say.
pub(crate) fn notices(
    cx: &mut Cx,
    node: &Node,
    known: &Known<'_>,
    corrections: &[RoleRef],
) -> Vec<Notice> {
    let Some(map) = cx.named(node, "notices") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, spec) in cx.declared(map, "notice", "") {
        let what = format!("notice '{}'", key.name);
        let Some(spec) = cx.map(spec, &what, &NOTICE_KEYS) else {
            continue;
        };
        let title = spec.get("title").and_then(|n| cx.words(n, "'title'"));
        let after = cx
            .required(spec, "after", &what)
            .map(|n| steps(cx, n, &what, known))
            .unwrap_or_default();
        let within = cx
            .required(spec, "within", &what)
            .and_then(|n| duration(cx, n, "'within'"));
        let to = spec.get("to").and_then(|n| {
            let name = cx.text(n, "'to'")?;
            match known.fields.iter().find(|f| f.name == name) {
                None => {
                    unknown_field(cx, &name, &n.span, &what, known.fields);
                    None
                }
                Some(field) if matches!(field.ty, FieldType::Partner { .. }) => Some(name),
                Some(field) => {
                    cx.error(
                        Code::InvalidFieldType,
                        n.span.clone(),
                        format!(
                            "{what} goes to field '{name}', which is of type {}, not a partner",
                            field.ty.name()
                        ),
                    );
                    None
                }
            }
        });
        let escalate = spec
            .get("escalate")
            .and_then(|n| escalate_role(cx, n, known));
        let roles = spec
            .get("roles")
            .map(|n| role_refs(cx, n, &format!("recording {what} sent"), known))
            .unwrap_or_else(|| corrections.to_vec());
        let when = spec.get("when").and_then(|n| condition(cx, n, known));
        let renew = spec
            .get("renew")
            .and_then(|n| cx.bool(n, "'renew'"))
            .unwrap_or(false);
        let (Some(within), false) = (within, after.is_empty()) else {
            continue;
        };
        out.push(Notice {
            id: key.name.clone(),
            title,
            after,
            to,
            within,
            escalate,
            roles,
            when,
            renew,
        });
    }
    out
}

/// The steps of `after`: each must be a transition declared in the file.
fn steps(cx: &mut Cx, node: &Node, what: &str, known: &Known<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, span) in cx.id_list(node, "transition", super::cx::IdStyle::Kebab) {
        if known.transitions.contains(&name) {
            if !out.contains(&name) {
                out.push(name);
            }
            continue;
        }
        let mut d = Diagnostic::error(
            Code::UnknownTransition,
            span,
            format!(
                "{what} is due after step '{name}', which is not declared anywhere in the process"
            ),
        );
        if let Some(help) = did_you_mean(&name, known.transitions.iter().map(String::as_str)) {
            d = d.with_help(help);
        }
        cx.push(d);
    }
    if out.is_empty() && !cx.has_errors() {
        cx.error(
            Code::MissingKey,
            node.span.clone(),
            format!("{what} names no step after which it is due"),
        );
    }
    out
}
