//! A transition's `hours:` key: the step records hours people gave (a crisis
//! shift, an outreach event, a mediation meeting), so the volunteer hours
//! report can total them across processes.
//!
//! ```yaml
//! hours: { who: input.volunteers, hours: hours, activity: crisis }
//! ```
//!
//! `who` is `actor` (whoever takes the step, the default), `input.NAME` (a
//! list of actors given with the step) or `case.NAME` (a list-of-actors case
//! field); `hours` names a number input of the step; `activity` is one of the
//! shared activities or `input.NAME`, an enum input whose values all are.
//! Every name is checked here, so the report never meets hours it cannot read.

use std::ops::Range;

use kroonika_engine::definition::{
    ACTIVITIES, ActivityOf, Field, FieldType, HoursSpec, Input, InputSource, Who,
};

use super::cx::Cx;
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;
use crate::tree::Node;

pub(crate) const HOURS_KEYS: [&str; 3] = ["who", "hours", "activity"];

/// Lowers `hours:` of the transition described by `what`.
pub(crate) fn hours(
    cx: &mut Cx,
    node: &Node,
    what: &str,
    inputs: &[Input],
    fields: &[Field],
) -> Option<HoursSpec> {
    let what = format!("'hours' of {what}");
    let map = cx.map(node, &what, &HOURS_KEYS)?;
    let type_of = |name: &str| -> Option<FieldType> {
        let input = inputs.iter().find(|i| i.name == name)?;
        match &input.source {
            InputSource::Local { ty } => Some(ty.clone()),
            InputSource::CaseField => fields.iter().find(|f| f.name == name).map(|f| f.ty.clone()),
        }
    };
    let input_names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let who = match map.get("who") {
        None => Some(Who::Actor),
        Some(n) => {
            let text = cx.text(n, "'who'")?;
            if text == "actor" {
                Some(Who::Actor)
            } else if let Some(name) = text.strip_prefix("input.") {
                match type_of(name) {
                    Some(FieldType::Actors { .. }) => Some(Who::Input(name.to_owned())),
                    Some(ty) => wrong(
                        cx,
                        &n.span,
                        &what,
                        &format!(
                            "input '{name}' is of type {}, not a list of actors",
                            ty.name()
                        ),
                        "name an input of type 'list, of: actor'",
                    ),
                    None => missing(cx, &n.span, &what, name, &input_names),
                }
            } else if let Some(name) = text.strip_prefix("case.") {
                match fields.iter().find(|f| f.name == name) {
                    Some(Field {
                        ty: FieldType::Actors { .. },
                        ..
                    }) => Some(Who::Field(name.to_owned())),
                    Some(field) => wrong(
                        cx,
                        &n.span,
                        &what,
                        &format!(
                            "field '{name}' is of type {}, not a list of actors",
                            field.ty.name()
                        ),
                        "name a field of type 'list, of: actor'",
                    ),
                    None => {
                        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                        let mut d = Diagnostic::error(
                            Code::InvalidHours,
                            n.span.clone(),
                            format!("{what} names field '{name}', which the process does not have"),
                        );
                        if let Some(help) = did_you_mean(name, names.iter().copied()) {
                            d = d.with_help(help);
                        }
                        cx.push(d);
                        None
                    }
                }
            } else {
                wrong(
                    cx,
                    &n.span,
                    &what,
                    &format!("'who: {text}' is not whose hours they are"),
                    "write 'actor' (whoever takes the step), 'input.NAME' or 'case.NAME' (a list of actors)",
                )
            }
        }
    };
    let hours = cx.required(map, "hours", &what).and_then(|n| {
        let name = cx.text(n, "'hours'")?;
        match type_of(&name) {
            Some(FieldType::Number { .. } | FieldType::Integer { .. }) => Some(name),
            Some(ty) => wrong(cx, &n.span, &what, &format!("input '{name}' is of type {}, not a number", ty.name()), "the hours are a number input of the step: 'hours: { type: number, min: 0.25, max: 24 }'"),
            None => missing(cx, &n.span, &what, &name, &input_names),
        }
    });
    let activity = cx.required(map, "activity", &what).and_then(|n| {
        let text = cx.text(n, "'activity'")?;
        match text.strip_prefix("input.") {
            None if ACTIVITIES.contains(&text.as_str()) => Some(ActivityOf::Fixed(text)),
            None => {
                let mut d = Diagnostic::error(
                    Code::InvalidHours,
                    n.span.clone(),
                    format!(
                        "{what} says activity '{text}', which is not one the hours report knows"
                    ),
                );
                d = match did_you_mean(&text, ACTIVITIES.iter().copied()) {
                    Some(help) => d.with_help(help),
                    None => d.with_help(format!(
                        "write one of: {}, or 'input.NAME' for an enum input",
                        ACTIVITIES.join(", ")
                    )),
                };
                cx.push(d);
                None
            }
            Some(name) => match type_of(name) {
                Some(FieldType::Enum { values }) => {
                    let strays: Vec<&str> = values
                        .iter()
                        .map(String::as_str)
                        .filter(|v| !ACTIVITIES.contains(v))
                        .collect();
                    if strays.is_empty() {
                        Some(ActivityOf::Input(name.to_owned()))
                    } else {
                        wrong(
                            cx,
                            &n.span,
                            &what,
                            &format!(
                                "input '{name}' has values the hours report does not know: {}",
                                strays.join(", ")
                            ),
                            &format!("its values must be among: {}", ACTIVITIES.join(", ")),
                        )
                    }
                }
                Some(ty) => wrong(
                    cx,
                    &n.span,
                    &what,
                    &format!("input '{name}' is of type {}, not an enum", ty.name()),
                    "the activity is a fixed name or an enum input of the step",
                ),
                None => missing(cx, &n.span, &what, name, &input_names),
            },
        }
    });
    Some(HoursSpec {
        who: who?,
        hours: hours?,
        activity: activity?,
    })
}

fn wrong<T>(cx: &mut Cx, span: &Range<usize>, what: &str, problem: &str, help: &str) -> Option<T> {
    cx.push(
        Diagnostic::error(
            Code::InvalidHours,
            span.clone(),
            format!("{what}: {problem}"),
        )
        .with_help(help),
    );
    None
}

fn missing<T>(
    cx: &mut Cx,
    span: &Range<usize>,
    what: &str,
    name: &str,
    inputs: &[&str],
) -> Option<T> {
    let mut d = Diagnostic::error(
        Code::InvalidHours,
        span.clone(),
        format!("{what} names input '{name}', which the step does not have"),
    );
    d = match did_you_mean(name, inputs.iter().copied()) {
        Some(help) => d.with_help(help),
        None if inputs.is_empty() => {
            d.with_help("the step has no inputs; give it the hours (and whose) as inputs")
        }
        None => d.with_help(format!("the step has: {}", inputs.join(", "))),
    };
    cx.push(d);
    None
}
