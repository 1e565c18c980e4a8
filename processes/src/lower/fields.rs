//! Fields, their types, and inputs (what a command carries).

use std::collections::HashSet;

use std::collections::BTreeMap;

use kroonika_engine::definition::{
    Field, FieldType, Input, InputSource, LENGTH_CEILING, Subject, Text,
};

use super::cx::{Cx, IdStyle, Map};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;
use crate::tree::{Kind, Node};

pub(crate) const TYPES: [&str; 12] = [
    "string", "text", "integer", "number", "boolean", "date", "datetime", "enum", "list",
    "partner", "people", "party",
];
pub(crate) const FIELD_KEYS: [&str; 15] = [
    "people",
    "type",
    "kinds",
    "title",
    "labels",
    "values",
    "of",
    "role",
    "personal",
    "pattern",
    "min",
    "max",
    "max-length",
    "past",
    "searchable",
];

/// How far back a `past: true` date may lie.
pub(crate) const PAST_DEFAULT: &str = "10 years";

/// Lowers the `fields:` map.
pub(crate) fn fields(
    cx: &mut Cx,
    node: &Node,
    roles: &HashSet<String>,
    subjects: &[Subject],
) -> Vec<Field> {
    let Some(map) = cx.named(node, "fields") else {
        return Vec::new();
    };
    let mut out: Vec<Field> = Vec::new();
    let mut pending = Vec::new();
    for (key, spec) in map.entries {
        let what = format!("field '{}'", key.name);
        let name_ok = cx.id(&key.name, &key.span, "field", IdStyle::Snake);
        if out.iter().any(|f| f.name == key.name) {
            cx.error(
                Code::DuplicateId,
                key.span.clone(),
                format!("field '{}' is declared twice", key.name),
            );
            continue;
        }
        let Some(spec) = cx.map(spec, &what, &FIELD_KEYS) else {
            cx.broken.insert(key.name.clone());
            continue;
        };
        let Some(ty) = field_type(cx, spec, &what, roles) else {
            cx.broken.insert(key.name.clone());
            continue;
        };
        let personal = spec.get("personal").and_then(|node| {
            if let FieldType::People { .. } = ty {
                cx.push(
                    Diagnostic::error(
                        Code::UnknownKey,
                        node.span.clone(),
                        format!("'personal' does not apply to {what}: each person it lists is a data subject of their own"),
                    )
                    .with_help("drop 'personal'; their names and contacts are sealed under their own keys"),
                );
                return None;
            }
            let subject = cx.text(node, "'personal'")?;
            if subjects.iter().any(|s| s.name == subject) {
                Some(subject)
            } else {
                let mut d = Diagnostic::error(
                    Code::UnknownSubject,
                    node.span.clone(),
                    format!("{what} is personal data of '{subject}', but no such subject is declared under 'subjects'"),
                );
                if let Some(help) = did_you_mean(&subject, subjects.iter().map(|s| s.name.as_str())) {
                    d = d.with_help(help);
                }
                cx.push(d);
                None
            }
        });
        let past = spec.get("past").and_then(|node| past(cx, node, &what, &ty));
        let searchable = spec.get("searchable").is_some_and(|node| {
            let personal = spec.has("personal") || matches!(ty, FieldType::People { .. });
            searchable(cx, node, &what, &ty, personal)
        });
        let (title, labels) = words(cx, spec, &what, &ty);
        if name_ok {
            let span = spec
                .get("type")
                .map_or(key.span.clone(), |n| n.span.clone());
            pending.push((what.clone(), ty.clone(), span));
            out.push(Field {
                name: key.name.clone(),
                title,
                ty,
                personal,
                past,
                searchable,
                labels,
            });
        }
    }
    for (what, ty, span) in pending {
        check_party(cx, &out, &what, &ty, span);
    }
    out
}

/// A field's or an input's `title`, and its `labels`: the words a form shows
/// for each value of an enum (or a list of enums), each naming a declared value.
fn words(
    cx: &mut Cx,
    spec: Map<'_>,
    what: &str,
    ty: &FieldType,
) -> (Option<Text>, BTreeMap<String, Text>) {
    let title = spec.get("title").and_then(|n| cx.words(n, "'title'"));
    let mut labels = BTreeMap::new();
    let Some(node) = spec.get("labels") else {
        return (title, labels);
    };
    let values = match ty {
        FieldType::Enum { values } | FieldType::People { roles: values } => values,
        FieldType::List { of } => match of.as_ref() {
            FieldType::Enum { values } => values,
            _ => &Vec::new(),
        },
        _ => &Vec::new(),
    };
    if values.is_empty() {
        cx.push(
            Diagnostic::error(
                Code::UnknownKey,
                node.span.clone(),
                format!(
                    "'labels' does not apply to {what}, which is not an enum or a list of enums"
                ),
            )
            .with_help("labels name the values of an enum; give this field a 'title' instead"),
        );
        return (title, labels);
    }
    let Some(map) = cx.named(node, &format!("the labels of {what}")) else {
        return (title, labels);
    };
    for (key, text) in map.entries {
        if !values.contains(&key.name) {
            let mut d = Diagnostic::error(
                Code::InvalidEnum,
                key.span.clone(),
                format!(
                    "'{}' in the labels of {what} is not one of its values",
                    key.name
                ),
            );
            d = match did_you_mean(&key.name, values.iter().map(String::as_str)) {
                Some(help) => d.with_help(help),
                None => d.with_help(format!("its values are: {}", values.join(", "))),
            };
            cx.push(d);
            continue;
        }
        if let Some(text) = cx.words(text, &format!("the label of '{}'", key.name)) {
            labels.insert(key.name.clone(), text);
        }
    }
    (title, labels)
}

/// `past: true` (at most ten years back) or `past: N years|months|…`: a date
/// of something that happened. Only for dates and datetimes.
fn past(
    cx: &mut Cx,
    node: &Node,
    what: &str,
    ty: &FieldType,
) -> Option<kroonika_engine::calendar::Duration> {
    if !matches!(ty, FieldType::Date | FieldType::Datetime) {
        cx.error(
            Code::UnknownKey,
            node.span.clone(),
            format!("'past' does not apply to {what}, which is not a date or datetime"),
        );
        return None;
    }
    let text = match &node.kind {
        Kind::Bool(true) => PAST_DEFAULT.to_owned(),
        Kind::Bool(false) => return None,
        _ => cx.text(node, "'past'")?,
    };
    match kroonika_engine::calendar::Duration::parse(&text) {
        Ok(duration) => Some(duration),
        Err(_) => {
            cx.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    node.span.clone(),
                    format!(
                        "'past' of {what} takes true, or how far back it may lie, got '{text}'"
                    ),
                )
                .with_help("for example: past: true (ten years), or past: 2 years"),
            );
            None
        }
    }
}

/// `searchable: true`: a personal string or text a case can be found by.
/// Only personal data is worth a blind index: anything else is searchable in
/// the case list as it is.
fn searchable(cx: &mut Cx, node: &Node, what: &str, ty: &FieldType, personal: bool) -> bool {
    let Some(on) = cx.bool(node, "'searchable'") else {
        return false;
    };
    if !on {
        return false;
    }
    if !matches!(
        ty,
        FieldType::String { .. } | FieldType::Text { .. } | FieldType::People { .. }
    ) {
        cx.error(
            Code::UnknownKey,
            node.span.clone(),
            format!("'searchable' does not apply to {what}, which is not a string, text or people"),
        );
        return false;
    }
    if !personal {
        cx.push(
            Diagnostic::error(
                Code::UnknownKey,
                node.span.clone(),
                format!("'searchable' applies to personal data only, and {what} is not personal"),
            )
            .with_help("name its data subject with 'personal: <subject>', or drop 'searchable'"),
        );
        return false;
    }
    true
}

/// Reads `type` and the keys that go with it.
pub(crate) fn field_type(
    cx: &mut Cx,
    spec: Map<'_>,
    what: &str,
    roles: &HashSet<String>,
) -> Option<FieldType> {
    let type_node = cx.required(spec, "type", what)?;
    let name = cx.text(type_node, "'type'")?;
    let applies: &[&str] = match name.as_str() {
        "string" => &["pattern", "max-length"],
        "text" => &["max-length"],
        "integer" | "number" => &["min", "max"],
        "enum" => &["values"],
        "list" => &["of", "role", "values", "max-length", "people"],
        "partner" => &["kinds"],
        "people" => &["values"],
        "party" => &["people"],
        _ => &[],
    };
    for key in [
        "people",
        "kinds",
        "values",
        "of",
        "role",
        "pattern",
        "min",
        "max",
        "max-length",
    ] {
        if spec.has(key) && !applies.contains(&key) && TYPES.contains(&name.as_str()) {
            let span = spec
                .entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map_or(0..0, |(k, _)| k.span.clone());
            cx.error(
                Code::UnknownKey,
                span,
                format!("'{key}' does not apply to {what}, which is of type {name}"),
            );
        }
    }
    let ty = match name.as_str() {
        "string" => {
            let pattern = spec.get("pattern").and_then(|node| {
                let pattern = cx.text(node, "'pattern'")?;
                match regex::Regex::new(&pattern) {
                    Ok(_) => Some(pattern),
                    Err(err) => {
                        let reason = err.to_string();
                        let reason = reason.lines().last().unwrap_or(&reason).trim();
                        let reason = reason.strip_prefix("error: ").unwrap_or(reason).to_owned();
                        cx.push(
                            Diagnostic::error(Code::InvalidRegex, node.span.clone(), format!("the pattern of {what} is not a valid regular expression: {reason}"))
                                .with_help("patterns use Rust regex syntax; quote them in single quotes, e.g. '^\\+?[0-9 ]{6,20}$'"),
                        );
                        None
                    }
                }
            });
            FieldType::String {
                pattern,
                max_length: max_length(cx, spec, what),
            }
        }
        "text" => FieldType::Text {
            max_length: max_length(cx, spec, what),
        },
        "boolean" => FieldType::Boolean,
        "date" => FieldType::Date,
        "datetime" => FieldType::Datetime,
        "integer" => {
            let (min, max) = bounds(cx, spec, what, integer);
            FieldType::Integer { min, max }
        }
        "number" => {
            let (min, max) = bounds(cx, spec, what, number);
            FieldType::Number { min, max }
        }
        "enum" => FieldType::Enum {
            values: enum_values(cx, spec, what)?,
        },
        // The roles people take in the case (whether the field names a
        // people field is checked once all fields are read).
        "people" => FieldType::People {
            roles: enum_values(cx, spec, what)?,
        },
        "party" => FieldType::Party {
            people: people_of(cx, spec, what)?,
        },
        // Which kinds are listed is the partner list's to say, and it may
        // change; only their form is checked here.
        "partner" => FieldType::Partner {
            kinds: match spec.get("kinds") {
                None => Vec::new(),
                Some(node) => cx
                    .id_list(node, "partner kind", IdStyle::Kebab)
                    .into_iter()
                    .map(|(kind, _)| kind)
                    .collect(),
            },
        },
        "list" => {
            let of_node = cx.required(spec, "of", what)?;
            let of = cx.text(of_node, "'of'")?;
            if of == "actor" {
                let role_node = cx.required(spec, "role", what)?;
                let role = cx.text(role_node, "'role'")?;
                if !roles.contains(&role) {
                    unknown_role(cx, &role, &role_node.span, roles);
                    return None;
                }
                FieldType::Actors { role }
            } else {
                let element = match of.as_str() {
                    "string" => FieldType::String {
                        pattern: None,
                        max_length: max_length(cx, spec, what),
                    },
                    "text" => FieldType::Text {
                        max_length: max_length(cx, spec, what),
                    },
                    "integer" => FieldType::Integer {
                        min: None,
                        max: None,
                    },
                    "number" => FieldType::Number {
                        min: None,
                        max: None,
                    },
                    "boolean" => FieldType::Boolean,
                    "date" => FieldType::Date,
                    "datetime" => FieldType::Datetime,
                    "enum" => FieldType::Enum {
                        values: enum_values(cx, spec, what)?,
                    },
                    "party" => FieldType::Party {
                        people: people_of(cx, spec, what)?,
                    },
                    _ => {
                        invalid_type(cx, &of, &of_node.span, what, true);
                        return None;
                    }
                };
                FieldType::List {
                    of: Box::new(element),
                }
            }
        }
        _ => {
            invalid_type(cx, &name, &type_node.span, what, false);
            return None;
        }
    };
    Some(ty)
}

/// `people: FIELD`: the people field a party is one of.
fn people_of(cx: &mut Cx, spec: Map<'_>, what: &str) -> Option<String> {
    let node = cx.required(spec, "people", what)?;
    cx.text(node, "'people'")
}

/// Refuses a party (or a list of parties) whose `people` is not a people
/// field of the process.
pub(crate) fn check_party(
    cx: &mut Cx,
    fields: &[Field],
    what: &str,
    ty: &FieldType,
    span: std::ops::Range<usize>,
) {
    let Some(people) = ty.party_of() else {
        return;
    };
    let listed: Vec<&str> = fields
        .iter()
        .filter(|f| matches!(f.ty, FieldType::People { .. }))
        .map(|f| f.name.as_str())
        .collect();
    if !listed.contains(&people) {
        cx.push(
            Diagnostic::error(
                Code::UnknownField,
                span,
                format!("{what} is one of the people of '{people}', but the process has no people field '{people}'"),
            )
            .with_help(if listed.is_empty() {
                "declare a field of type people (several victims, offenders or pupils) first".to_owned()
            } else {
                format!("its people fields: {}", listed.join(", "))
            }),
        );
    }
}

fn invalid_type(cx: &mut Cx, name: &str, span: &std::ops::Range<usize>, what: &str, list: bool) {
    let mut known: Vec<&str> = TYPES.to_vec();
    if list {
        known.retain(|t| *t != "list");
        known.push("actor");
    }
    let mut d = Diagnostic::error(
        Code::InvalidFieldType,
        span.clone(),
        format!("'{name}' is not a field type ({what})"),
    );
    d = match did_you_mean(name, known.iter().copied()) {
        Some(help) => d.with_help(help),
        None => d.with_help(format!("the types are: {}", known.join(", "))),
    };
    cx.push(d);
}

pub(crate) fn unknown_role(
    cx: &mut Cx,
    role: &str,
    span: &std::ops::Range<usize>,
    roles: &HashSet<String>,
) {
    if cx.broken.contains(super::cx::ROLES_BROKEN) {
        return;
    }
    let mut d = Diagnostic::error(
        Code::UnknownRole,
        span.clone(),
        format!("role '{role}' is not declared under 'roles'"),
    );
    let mut known: Vec<&str> = roles.iter().map(String::as_str).collect();
    known.sort_unstable();
    d = match did_you_mean(role, known.iter().copied()) {
        Some(help) => d.with_help(help),
        None => d.with_help(format!(
            "add it to 'roles' (declared: {})",
            known.join(", ")
        )),
    };
    cx.push(d);
}

fn enum_values(cx: &mut Cx, spec: Map<'_>, what: &str) -> Option<Vec<String>> {
    let node = cx.required(spec, "values", what)?;
    let items = cx.list(node, "'values'")?;
    let mut values: Vec<String> = Vec::new();
    for item in items {
        let Some(value) = cx.text(item, "an enum value") else {
            continue;
        };
        if values.contains(&value) {
            cx.error(
                Code::InvalidEnum,
                item.span.clone(),
                format!("value '{value}' is listed twice in {what}"),
            );
        } else {
            values.push(value);
        }
    }
    if values.is_empty() {
        cx.error(
            Code::InvalidEnum,
            node.span.clone(),
            format!("{what} has no values to choose from"),
        );
        return None;
    }
    Some(values)
}

/// Reads `min` and `max` with `read`, reporting a min above the max.
/// `max-length: N`: how many characters a string or text (or each in a list
/// of them) may hold, from 1 to [`LENGTH_CEILING`].
fn max_length(cx: &mut Cx, spec: Map<'_>, what: &str) -> Option<usize> {
    let node = spec.get("max-length")?;
    let n = integer(cx, node, "'max-length'")?;
    match usize::try_from(n) {
        Ok(n @ 1..=LENGTH_CEILING) => Some(n),
        _ => {
            cx.push(
                Diagnostic::error(
                    Code::InvalidBounds,
                    node.span.clone(),
                    format!("the max-length of {what} must be from 1 to {LENGTH_CEILING} characters, not {n}"),
                )
                .with_help("the log keeps every value for good: keep documents elsewhere and record where they are"),
            );
            None
        }
    }
}

fn bounds<T: PartialOrd + std::fmt::Display + Copy>(
    cx: &mut Cx,
    spec: Map<'_>,
    what: &str,
    read: fn(&mut Cx, &Node, &str) -> Option<T>,
) -> (Option<T>, Option<T>) {
    let min = spec.get("min").and_then(|n| read(cx, n, "'min'"));
    let max = spec.get("max").and_then(|n| read(cx, n, "'max'"));
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        cx.error(
            Code::InvalidBounds,
            spec.span.clone(),
            format!("{what} has min {lo} above max {hi}"),
        );
    }
    (min, max)
}

fn integer(cx: &mut Cx, node: &Node, what: &str) -> Option<i64> {
    match node.kind {
        Kind::Int(i) => Some(i),
        _ => {
            cx.error(
                Code::WrongType,
                node.span.clone(),
                format!(
                    "{what} should be a whole number, not {}",
                    node.kind.describe()
                ),
            );
            None
        }
    }
}

fn number(cx: &mut Cx, node: &Node, what: &str) -> Option<f64> {
    match node.kind {
        Kind::Int(i) => Some(i as f64),
        Kind::Float(f) if f.is_finite() => Some(f),
        _ => {
            cx.error(
                Code::WrongType,
                node.span.clone(),
                format!("{what} should be a number, not {}", node.kind.describe()),
            );
            None
        }
    }
}

/// Lowers an `input:` list of case-field names, or map of name → spec.
pub(crate) fn inputs(
    cx: &mut Cx,
    node: &Node,
    what: &str,
    fields: &[Field],
    roles: &HashSet<String>,
) -> Vec<Input> {
    let mut out: Vec<Input> = Vec::new();
    let mut push = |cx: &mut Cx, input: Input, span: &std::ops::Range<usize>| {
        if out.iter().any(|i| i.name == input.name) {
            cx.error(
                Code::DuplicateId,
                span.clone(),
                format!("input '{}' is listed twice in {what}", input.name),
            );
        } else {
            out.push(input);
        }
    };
    match &node.kind {
        Kind::Seq(items) => {
            for item in items {
                let Some(name) = cx.text(item, "an input name") else {
                    continue;
                };
                if fields.iter().any(|f| f.name == name) {
                    push(
                        cx,
                        Input {
                            name,
                            required: true,
                            source: InputSource::CaseField,
                            title: None,
                            labels: BTreeMap::new(),
                        },
                        &item.span,
                    );
                } else {
                    unknown_field(cx, &name, &item.span, what, fields);
                }
            }
        }
        Kind::Map(entries) => {
            for (key, spec) in entries {
                let is_field = fields.iter().any(|f| f.name == key.name);
                let input_what = format!("input '{}' of {what}", key.name);
                if is_field {
                    let Some(spec) = cx.map(spec, &input_what, &["required"]) else {
                        continue;
                    };
                    let required = spec
                        .get("required")
                        .and_then(|n| cx.bool(n, "'required'"))
                        .unwrap_or(true);
                    push(
                        cx,
                        Input {
                            name: key.name.clone(),
                            required,
                            source: InputSource::CaseField,
                            title: None,
                            labels: BTreeMap::new(),
                        },
                        &key.span,
                    );
                } else {
                    if !cx.id(&key.name, &key.span, "input", IdStyle::Snake) {
                        continue;
                    }
                    let mut keys = FIELD_KEYS.to_vec();
                    keys.push("required");
                    let Some(spec_map) = cx.map(spec, &input_what, &keys) else {
                        continue;
                    };
                    if !spec_map.has("type")
                        && spec_map.entries.iter().all(|(k, _)| k.name == "required")
                    {
                        // `{}` or `{ required: false }` on a name that is not a field.
                        unknown_field(cx, &key.name, &key.span, what, fields);
                        continue;
                    }
                    let required = spec_map
                        .get("required")
                        .and_then(|n| cx.bool(n, "'required'"))
                        .unwrap_or(true);
                    let Some(ty) = field_type(cx, spec_map, &input_what, roles) else {
                        continue;
                    };
                    if let FieldType::People { .. } = ty {
                        cx.push(
                            Diagnostic::error(
                                Code::InvalidFieldType,
                                key.span.clone(),
                                format!("{input_what} is a list of people, which only a case field can be (each person is a data subject of the case)"),
                            )
                            .with_help("declare it under 'fields' and name it as the step's input"),
                        );
                        continue;
                    }
                    check_party(cx, fields, &input_what, &ty, key.span.clone());
                    let (title, labels) = words(cx, spec_map, &input_what, &ty);
                    push(
                        cx,
                        Input {
                            name: key.name.clone(),
                            required,
                            source: InputSource::Local { ty },
                            title,
                            labels,
                        },
                        &key.span,
                    );
                }
            }
        }
        Kind::Null => {}
        _ => cx.error(
            Code::WrongType,
            node.span.clone(),
            format!(
                "the input of {what} should be a list of field names or a map of inputs, not {}",
                node.kind.describe()
            ),
        ),
    }
    out
}

pub(crate) fn unknown_field(
    cx: &mut Cx,
    name: &str,
    span: &std::ops::Range<usize>,
    what: &str,
    fields: &[Field],
) {
    if cx.broken.contains(name) {
        return;
    }
    let mut d = Diagnostic::error(
        Code::UnknownField,
        span.clone(),
        format!("{what} names field '{name}', which is not declared under 'fields'"),
    );
    if let Some(help) = did_you_mean(name, fields.iter().map(|f| f.name.as_str())) {
        d = d.with_help(help);
    } else {
        d = d.with_help("declare it under 'fields', or give it a type here to make it an input of this step only");
    }
    cx.push(d);
}
