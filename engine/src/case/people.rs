//! People a case is about, listed: several victims, offenders or pupils in
//! one restorative conference, a supporter, a minor's legal representative.
//!
//! A people field's value is a list of items, each one person and a data
//! subject of their own: `{"id": "parties-2", "role": "victim", "name": …,
//! "contact": …, "minor": true, "represents": "parties-1"}`. The name and the
//! contact are personal data, sealed under that person's key (so one of them
//! can be erased, exported or found without the others); the role, whether
//! they are a minor and whom they represent are facts about the process that
//! guards read (`case.parties.all(p, !p.minor || …)`).
//!
//! A command gives only the people it adds or changes: an item without an
//! `id` is added and numbered next (`parties-3`), one with an `id` changes
//! the keys it gives. Nobody is taken off the list (a person's data is
//! erased instead), so a number, and the key behind it, is never used twice.
//! The event records the whole list as it then stands, so folding it needs
//! no definition and replaying it decides the same list again.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::definition::{FieldType, Input, InputSource, ProcessDefinition, STRING_MAX};
use crate::rejection::{Code, Rejection};

/// The person's name: personal data.
pub const NAME: &str = "name";
/// How to reach them: personal data.
pub const CONTACT: &str = "contact";
/// The keys of an item that are personal data, sealed under the person's key.
pub const PERSONAL: [&str; 2] = [NAME, CONTACT];
/// The keys an item may have.
const KEYS: [&str; 6] = ["id", "role", NAME, CONTACT, "minor", "represents"];
/// The most people one field lists: a large circle, not a register.
pub const MAX_PEOPLE: usize = 40;

/// An item's key as text, when it has one that is not empty.
pub fn text<'a>(item: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    item.get(key)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
}

/// The id, and data subject name, of the `n`th person of `field`: `parties-2`.
pub fn subject(field: &str, n: u64) -> String {
    format!("{field}-{n}")
}

/// The number in an id of `field` (`parties-2` → 2).
fn number(field: &str, id: &str) -> Option<u64> {
    id.strip_prefix(field)?.strip_prefix('-')?.parse().ok()
}

/// The ids of the people a value lists, in order.
pub fn ids(value: &Value) -> Vec<String> {
    items(value)
        .filter_map(|item| item.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The items of a value (nothing for anything but a list of objects).
pub fn items(value: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// Calls `f` with each listed person's id, the personal key (`name`,
/// `contact`) and its value, for every one they have; the first error stops
/// it. What sealing, opening and masking a list of people share.
pub fn try_each_personal<E>(
    value: &mut Value,
    mut f: impl FnMut(&str, &'static str, &mut Value) -> Result<(), E>,
) -> Result<(), E> {
    for item in value.as_array_mut().into_iter().flatten() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for key in PERSONAL {
            if let Some(personal) = item.get_mut(key) {
                f(&id, key, personal)?;
            }
        }
    }
    Ok(())
}

/// As [`try_each_personal`], for a walk that cannot fail.
pub fn each_personal(value: &mut Value, mut f: impl FnMut(&str, &'static str, &mut Value)) {
    let walked: Result<(), std::convert::Infallible> = try_each_personal(value, |id, key, v| {
        f(id, key, v);
        Ok(())
    });
    let Ok(()) = walked;
}

/// Every data subject of a case with `data`: the ones the definition names,
/// then each person its people fields list (by id), in field order.
pub fn subjects(def: &ProcessDefinition, data: &BTreeMap<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = def.subjects.iter().map(|s| s.name.clone()).collect();
    for field in &def.fields {
        if let FieldType::People { .. } = field.ty
            && let Some(value) = data.get(&field.name)
        {
            names.extend(ids(value));
        }
    }
    names
}

/// The people field listing the person `id`, and their item.
pub fn find<'a>(
    def: &ProcessDefinition,
    data: &'a BTreeMap<String, Value>,
    id: &str,
) -> Option<(&'a str, &'a Map<String, Value>)> {
    data.iter()
        .filter(|(name, _)| {
            def.field(name)
                .is_some_and(|f| matches!(f.ty, FieldType::People { .. }))
        })
        .find_map(|(name, value)| {
            items(value)
                .find(|item| item.get("id").and_then(Value::as_str) == Some(id))
                .map(|item| (name.as_str(), item))
        })
}

/// The value as guards and reports may see it: without names and contacts.
pub fn public(value: &Value) -> Value {
    Value::Array(
        items(value)
            .map(|item| {
                let mut item = item.clone();
                for key in PERSONAL {
                    item.remove(key);
                }
                Value::Object(item)
            })
            .collect(),
    )
}

/// Parses people as given: one item, or a list of them, each an object with
/// the keys an item has (`role` one of `roles`). Sealed names and contacts
/// are taken only when `sealed` (history replayed).
pub(crate) fn parse(
    name: &str,
    roles: &[String],
    value: &Value,
    sealed: bool,
) -> Result<Vec<Value>, Rejection> {
    let given: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        other => {
            return Err(invalid(format!(
                "field '{name}' lists people as objects ({{\"role\": …, \"name\": …}}), got '{other}'"
            )));
        }
    };
    if given.len() > MAX_PEOPLE {
        return Err(invalid(format!(
            "field '{name}' lists at most {MAX_PEOPLE} people, got {}",
            given.len()
        )));
    }
    given
        .into_iter()
        .enumerate()
        .map(|(i, item)| parse_item(name, roles, i + 1, item, sealed))
        .collect()
}

fn parse_item(
    name: &str,
    roles: &[String],
    position: usize,
    item: &Value,
    sealed: bool,
) -> Result<Value, Rejection> {
    let at = format!("person {position} of field '{name}'");
    let Some(object) = item.as_object() else {
        return Err(invalid(format!(
            "{at} must be an object ({{\"role\": …, \"name\": …}}), got '{item}'"
        )));
    };
    let mut out = Map::new();
    for (key, value) in object {
        if !KEYS.contains(&key.as_str()) {
            return Err(invalid(format!(
                "{at} has no key '{key}'; a person has: {}",
                KEYS.join(", ")
            )));
        }
        let checked = match (key.as_str(), value) {
            // Nothing given: the key is left as it is (an empty text clears it).
            (_, Value::Null) if key != "role" && key != NAME => continue,
            (NAME | CONTACT, v) if sealed && crate::sealed::is_sealed(v) => v.clone(),
            ("role", Value::String(role)) if roles.contains(role) => value.clone(),
            ("role", _) => {
                return Err(invalid(format!(
                    "{at}: role must be one of {}, got '{}'",
                    roles.join(", "),
                    plain(value)
                )));
            }
            (NAME, Value::String(text)) if text.trim().is_empty() => {
                return Err(invalid(format!("{at}: the name is empty")));
            }
            (NAME | CONTACT | "id" | "represents", Value::String(text)) => {
                let text = text.trim();
                if text.chars().take(STRING_MAX + 1).count() > STRING_MAX {
                    return Err(invalid(format!(
                        "{at}: '{key}' holds at most {STRING_MAX} characters"
                    )));
                }
                if text.chars().any(char::is_control) {
                    return Err(invalid(format!(
                        "{at}: '{key}' may not hold control characters"
                    )));
                }
                Value::String(text.to_owned())
            }
            ("minor", Value::Bool(_)) => value.clone(),
            ("minor", Value::String(text)) if text == "true" || text == "false" => {
                Value::Bool(text == "true")
            }
            _ => {
                let expected = if key == "minor" {
                    "true or false"
                } else {
                    "text"
                };
                return Err(invalid(format!(
                    "{at}: '{key}' must be {expected}, got '{}'",
                    plain(value)
                )));
            }
        };
        out.insert(key.clone(), checked);
    }
    Ok(Value::Object(out))
}

/// The whole list of `field` once `given` (parsed people) is applied to
/// `current` (the case's list, if any): new people numbered next, the keys
/// given of existing ones changed, nobody dropped; every `represents` names
/// someone else on the list.
pub fn settle_list(
    field: &str,
    current: Option<&Value>,
    given: &[Value],
) -> Result<Value, Rejection> {
    let mut list: Vec<Map<String, Value>> =
        current.map(items).into_iter().flatten().cloned().collect();
    let mut next = list
        .iter()
        .filter_map(|item| number(field, item.get("id")?.as_str()?))
        .max()
        .unwrap_or(0)
        + 1;
    for item in given.iter().filter_map(Value::as_object) {
        let id = item.get("id").and_then(Value::as_str);
        let existing = id.and_then(|id| {
            list.iter()
                .position(|p| p.get("id").and_then(Value::as_str) == Some(id))
        });
        match (id, existing) {
            (_, Some(at)) => {
                for (key, value) in item {
                    list[at].insert(key.clone(), value.clone());
                }
            }
            (Some(id), None) if number(field, id) != Some(next) => {
                let known = list
                    .iter()
                    .filter_map(|p| p.get("id").and_then(Value::as_str))
                    .collect::<Vec<_>>();
                return Err(invalid(format!(
                    "field '{field}' lists nobody '{id}' (listed: {}); leave out the id to add a person",
                    if known.is_empty() {
                        "nobody yet".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            (_, None) => {
                let mut person = item.clone();
                if !person.contains_key("role") || !person.contains_key(NAME) {
                    return Err(Rejection::new(
                        Code::MissingInput,
                        format!("a person added to field '{field}' needs a role and a name"),
                    ));
                }
                person.insert("id".to_owned(), Value::String(subject(field, next)));
                next += 1;
                list.push(person);
            }
        }
    }
    if list.len() > MAX_PEOPLE {
        return Err(invalid(format!(
            "field '{field}' lists at most {MAX_PEOPLE} people, would list {}",
            list.len()
        )));
    }
    let all: Vec<&str> = list
        .iter()
        .filter_map(|p| p.get("id").and_then(Value::as_str))
        .collect();
    for person in &list {
        if let Some(represented) = person
            .get("represents")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
        {
            let id = person.get("id").and_then(Value::as_str).unwrap_or_default();
            if represented == id || !all.contains(&represented) {
                return Err(invalid(format!(
                    "{id} of field '{field}' represents '{represented}', who is not someone else on the list ({})",
                    all.join(", ")
                )));
            }
        }
    }
    Ok(Value::Array(list.into_iter().map(Value::Object).collect()))
}

/// Numbers the people a command gives in `data` against the case's current
/// data (each people field becomes its whole list), then checks that every
/// party a value names (`data`, and the step's own inputs `local` typed by
/// `specs`) is listed in the case once the command is applied.
pub fn settle(
    def: &ProcessDefinition,
    current: &BTreeMap<String, Value>,
    specs: &[Input],
    data: &mut BTreeMap<String, Value>,
    local: &BTreeMap<String, Value>,
) -> Result<(), Rejection> {
    for (name, value) in data.iter_mut() {
        if let Some(field) = def.field(name)
            && let FieldType::People { .. } = field.ty
        {
            let given: Vec<Value> = value.as_array().cloned().unwrap_or_default();
            *value = settle_list(name, current.get(name), &given)?;
        }
    }
    let typed = data
        .iter()
        .filter_map(|(name, value)| Some((name, &def.field(name)?.ty, value)))
        .chain(local.iter().filter_map(|(name, value)| {
            let spec = specs.iter().find(|s| &s.name == name)?;
            match &spec.source {
                InputSource::Local { ty } => Some((name, ty, value)),
                InputSource::CaseField => None,
            }
        }));
    for (name, ty, value) in typed {
        let Some(people) = ty.party_of() else {
            continue;
        };
        let listed = data
            .get(people)
            .or_else(|| current.get(people))
            .map(ids)
            .unwrap_or_default();
        let named: Vec<&str> = match value {
            Value::String(id) => vec![id],
            other => other
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect(),
        };
        for id in named {
            if !listed.iter().any(|l| l == id) {
                return Err(invalid(format!(
                    "'{name}' names '{id}', who is not listed in '{people}' ({})",
                    if listed.is_empty() {
                        "nobody is yet".to_owned()
                    } else {
                        listed.join(", ")
                    }
                )));
            }
        }
    }
    Ok(())
}

/// A value as a refusal quotes it: text as it is, anything else as JSON,
/// cut short.
fn plain(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    text.chars().take(80).collect()
}

fn invalid(reason: String) -> Rejection {
    Rejection::new(Code::InvalidInput, reason)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn roles() -> Vec<String> {
        vec!["victim".into(), "offender".into(), "representative".into()]
    }

    #[test]
    fn people_are_numbered_in_turn_and_never_renumbered() {
        let given = parse("parties", &roles(), &json!([{"role": "victim", "name": " Kati "}, {"role": "offender", "name": "Jaan", "minor": true}]), false).unwrap();
        let list = settle_list("parties", None, &given).unwrap();
        assert_eq!(ids(&list), ["parties-1", "parties-2"]);
        assert_eq!(list[0]["name"], "Kati");
        let more = parse(
            "parties",
            &roles(),
            &json!({"role": "representative", "name": "Ema", "represents": "parties-2"}),
            false,
        )
        .unwrap();
        let change = parse(
            "parties",
            &roles(),
            &json!({"id": "parties-1", "contact": "5550"}),
            false,
        )
        .unwrap();
        let list = settle_list("parties", Some(&list), &[more, change].concat()).unwrap();
        assert_eq!(ids(&list), ["parties-1", "parties-2", "parties-3"]);
        assert_eq!(list[0]["contact"], "5550");
        assert_eq!(
            public(&list)[0],
            json!({"id": "parties-1", "role": "victim"})
        );
        // Replaying the list as recorded decides it again unchanged.
        let again = settle_list("parties", Some(&list), &list.as_array().unwrap().clone()).unwrap();
        assert_eq!(again, list);
    }

    #[test]
    fn bad_people_are_refused_with_what_is_wrong() {
        let refused = |value: Value| {
            parse("parties", &roles(), &value, false)
                .unwrap_err()
                .reason()
                .to_owned()
        };
        assert!(
            refused(json!([{"role": "judge", "name": "X"}]))
                .contains("role must be one of victim, offender, representative")
        );
        assert!(refused(json!([{"role": "victim", "name": "  "}])).contains("the name is empty"));
        assert!(
            refused(json!([{"role": "victim", "name": "X", "age": 3}]))
                .contains("has no key 'age'")
        );
        assert!(
            refused(json!([{"role": "victim", "name": {"$sealed": "v1.x.y"}}]))
                .contains("'name' must be text")
        );
        assert!(refused(json!("Kati")).contains("lists people as objects"));
        let unknown = settle_list(
            "parties",
            None,
            &parse(
                "parties",
                &roles(),
                &json!({"id": "parties-7", "name": "X"}),
                false,
            )
            .unwrap(),
        )
        .unwrap_err();
        assert!(
            unknown.reason().contains("lists nobody 'parties-7'"),
            "{}",
            unknown.reason()
        );
        let nameless = settle_list(
            "parties",
            None,
            &parse("parties", &roles(), &json!({"role": "victim"}), false).unwrap(),
        )
        .unwrap_err();
        assert_eq!(nameless.code(), Code::MissingInput);
        let lone = settle_list(
            "parties",
            None,
            &parse(
                "parties",
                &roles(),
                &json!({"role": "representative", "name": "E", "represents": "parties-1"}),
                false,
            )
            .unwrap(),
        )
        .unwrap_err();
        assert!(
            lone.reason().contains("not someone else on the list"),
            "{}",
            lone.reason()
        );
    }
}
