//! Document templates: the one place that says how a definition's
//! `documents` are read, so that the checker that accepts a template and the
//! application that renders it agree on the language (minijinja, every value
//! HTML-escaped), the filters and the names a template may use.
//!
//! A template sees the case as a person reads it, never the engine's
//! internals: [`CONTEXT`] is the whole list of names, checked at publish.

use std::collections::BTreeMap;

use kroonika_engine::definition::{Field, FieldType, ProcessDefinition};
use minijinja::{Environment, UndefinedBehavior, Value};
use serde_json::json;

/// The names a template may read.
pub const CONTEXT: [&str; 11] = [
    // field → value (personal data in the clear; null when not recorded)
    "case",
    // field → value → the value's label in the document's language
    "labels",
    // field → the field's title in the document's language
    "titles",
    // partner field → the partner's name
    "partners",
    // the case's reference, the process's title, the definition's version
    "reference",
    "process",
    "version",
    // the title of the state the case is in
    "state",
    // the day it is produced (ISO; `|date` writes it as people do)
    "today",
    // who produced it
    "produced_by",
    // whom it is addressed to: { id, title } (a subject, or a partner
    // field's partner), or none
    "to",
];

/// The context names whose second part is a field name.
const BY_FIELD: [&str; 4] = ["case", "labels", "titles", "partners"];

/// At most this many bytes in one template: an agreement is a page or two.
pub const TEMPLATE_MAX: usize = 64 * 1024;

/// Elements a document may not hold: it is printed, and loads and runs
/// nothing (the page's own policy forbids it too, but a template that tries
/// is a mistake to name at publish).
const FORBIDDEN: [&str; 9] = [
    "script", "iframe", "object", "embed", "link", "meta", "base", "form", "style",
];

/// The environment every document is checked and rendered in. Every value
/// is HTML-escaped; a missing value renders as nothing.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_filter("date", date);
    env
}

/// `2026-03-04` (or a time on that day) as people write it: `04.03.2026`.
/// Anything else is left as it is; none stays none.
fn date(value: Value) -> Value {
    let Some(text) = value.as_str() else {
        return value;
    };
    let day = text.get(..10).unwrap_or(text);
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(day) => Value::from(day.format("%d.%m.%Y").to_string()),
        Err(_) => value,
    }
}

/// A problem with a template, and the line of the template it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub line: Option<usize>,
    pub message: String,
}

/// Checks a template's text against the definition's fields: it parses, it
/// reads only the names a template has, and it renders on a case of sample
/// values (so that an unknown filter is found now, not when a coordinator
/// prints). Every problem at once.
pub fn check_template(source: &str, fields: &[Field]) -> Vec<TemplateProblem> {
    if source.len() > TEMPLATE_MAX {
        return vec![TemplateProblem {
            line: None,
            message: format!(
                "the template is {} bytes; a template may be at most {TEMPLATE_MAX}",
                source.len()
            ),
        }];
    }
    let env = environment();
    let template = match env.template_from_str(source) {
        Ok(template) => template,
        Err(err) => {
            return vec![TemplateProblem {
                line: err.line(),
                message: format!("the template does not parse: {}", detail(&err)),
            }];
        }
    };
    let mut problems = Vec::new();
    let lower = source.to_lowercase();
    for tag in FORBIDDEN {
        let open = format!("<{tag}");
        if let Some(at) = lower.find(&open).filter(|&at| {
            lower[at + open.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '>' || c == '/')
        }) {
            problems.push(TemplateProblem {
                line: Some(lower[..at].matches('\n').count() + 1),
                message: format!(
                    "the template holds a <{tag}> element; a document is printed and loads and runs nothing (its style is the page's own)"
                ),
            });
        }
    }
    let mut names: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    names.sort();
    for name in names {
        let mut parts = name.split('.');
        let first = parts.next().unwrap_or_default();
        if !CONTEXT.contains(&first) {
            problems.push(TemplateProblem {
                line: line_of(source, first),
                message: format!(
                    "the template reads '{first}', which a document does not have; it has {}",
                    CONTEXT.join(", ")
                ),
            });
            continue;
        }
        let Some(field) = parts.next().filter(|_| BY_FIELD.contains(&first)) else {
            continue;
        };
        match fields.iter().find(|f| f.name == field) {
            None => problems.push(TemplateProblem {
                line: line_of(source, &format!("{first}.{field}")),
                message: format!(
                    "the template reads '{first}.{field}', but the process has no field '{field}'"
                ),
            }),
            Some(f) if first == "partners" && !matches!(f.ty, FieldType::Partner { .. }) => {
                problems.push(TemplateProblem {
                    line: line_of(source, &format!("{first}.{field}")),
                    message: format!(
                        "the template reads 'partners.{field}', but field '{field}' is of type {}, not a partner",
                        f.ty.name()
                    ),
                })
            }
            Some(_) => {}
        }
    }
    if problems.is_empty()
        && let Err(err) = template.render(sample(fields))
    {
        problems.push(TemplateProblem {
            line: err.line(),
            message: format!("the template cannot be rendered: {}", detail(&err)),
        });
    }
    problems
}

/// The personal fields a template reads (`case.victim_name`): producing it
/// reads their subjects' data in the clear.
pub fn personal_fields(
    template: &minijinja::Template<'_, '_>,
    definition: &ProcessDefinition,
) -> Vec<String> {
    let read = template.undeclared_variables(true);
    let whole_case = read.contains("case");
    definition
        .fields
        .iter()
        .filter(|f| f.holds_personal())
        .filter(|f| whole_case || read.contains(&format!("case.{}", f.name)))
        .map(|f| f.name.clone())
        .collect()
}

/// What minijinja says, without its own location suffix.
fn detail(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(detail) => format!("{} ({detail})", err.kind()),
        None => err.kind().to_string(),
    }
}

/// The first line of `source` that mentions `name`.
fn line_of(source: &str, name: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| line.contains(name))
        .map(|i| i + 1)
}

/// A context of sample values, one of each field's type.
fn sample(fields: &[Field]) -> Value {
    let mut case = BTreeMap::new();
    let mut labels = BTreeMap::new();
    let mut titles = BTreeMap::new();
    let mut partners = BTreeMap::new();
    for field in fields {
        case.insert(field.name.clone(), sample_value(&field.ty));
        titles.insert(field.name.clone(), json!(field.name));
        if let Some(values) = enum_values(&field.ty) {
            let by: BTreeMap<&String, &String> = values.iter().map(|v| (v, v)).collect();
            labels.insert(field.name.clone(), json!(by));
        }
        if matches!(field.ty, FieldType::Partner { .. }) {
            partners.insert(field.name.clone(), json!("Partner"));
        }
    }
    Value::from(minijinja::value::Serde(json!({
        "case": case,
        "labels": labels,
        "titles": titles,
        "partners": partners,
        "reference": "XX-2026-0001",
        "process": "Process",
        "version": 1,
        "state": "State",
        "today": "2026-01-01",
        "produced_by": "someone",
        "to": { "id": "someone", "title": "Someone" },
    })))
}

fn sample_value(ty: &FieldType) -> serde_json::Value {
    match ty {
        FieldType::String { .. } | FieldType::Text { .. } => json!("text"),
        FieldType::Integer { .. } => json!(1),
        FieldType::Number { .. } => json!(1.5),
        FieldType::Boolean => json!(true),
        FieldType::Date => json!("2026-01-01"),
        FieldType::Datetime => json!("2026-01-01T12:00:00Z"),
        FieldType::Enum { values } => json!(values.first()),
        FieldType::List { of } => json!([sample_value(of)]),
        FieldType::Actors { .. } => json!(["someone"]),
        FieldType::People { roles } => json!([{
            "id": "people-1", "role": roles.first(), "name": "text",
            "contact": "text", "minor": false, "represents": "people-2",
        }]),
        FieldType::Party { .. } => json!("people-1"),
        _ => json!("value"),
    }
}

/// The values of an enum field, or of a list of them.
pub fn enum_values(ty: &FieldType) -> Option<&[String]> {
    match ty {
        FieldType::Enum { values } | FieldType::People { roles: values } => Some(values),
        FieldType::List { of } => enum_values(of),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<Field> {
        let checked = crate::check(include_str!("../mediation.yaml"));
        checked.definition.expect("mediation checks").fields
    }

    #[test]
    fn a_template_reading_known_names_passes() {
        let source = "<p>{{ case.victim_name }}, {{ labels.track[case.track] }}, {{ today|date }}</p>\n{% for t in case.agreement_terms %}{{ labels.agreement_terms[t] }}{% endfor %}";
        assert_eq!(check_template(source, &fields()), vec![]);
    }

    #[test]
    fn unknown_names_fields_and_filters_are_each_found() {
        let problems = check_template("{{ case.victim_nam }}\n{{ secret }}", &fields());
        let said: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 2, "{said:?}");
        assert!(said[0].contains("'case.victim_nam'"), "{said:?}");
        assert_eq!(problems[0].line, Some(1));
        assert!(said[1].contains("'secret'"), "{said:?}");
        assert_eq!(problems[1].line, Some(2));
        let filter = check_template("\n{{ today|shout }}", &fields());
        assert_eq!(filter.len(), 1, "{filter:?}");
        assert!(filter[0].message.contains("shout"), "{filter:?}");
        assert_eq!(filter[0].line, Some(2));
        let script = check_template("<p>{{ reference }}</p>\n<SCRIPT src=x></script>", &fields());
        assert_eq!(script.len(), 1, "{script:?}");
        assert!(script[0].message.contains("<script>"), "{script:?}");
        assert_eq!(script[0].line, Some(2));
        assert_eq!(check_template("<p>a <scripture> b</p>", &fields()), vec![]);
        let syntax = check_template("<p>\n{% if case.track %}", &fields());
        assert!(syntax[0].message.contains("does not parse"), "{syntax:?}");
        assert_eq!(syntax[0].line, Some(2));
    }

    #[test]
    fn values_are_escaped_and_dates_written_as_people_do() {
        let env = environment();
        let out = env
            .render_str(
                "{{ name }} {{ day|date }}",
                Value::from(minijinja::value::Serde(
                    json!({"name": "<b>Mari</b>", "day": "2026-03-04"}),
                )),
            )
            .unwrap();
        assert_eq!(out, "&lt;b&gt;Mari&lt;&#x2f;b&gt; 04.03.2026");
    }
}
