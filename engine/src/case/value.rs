//! Case data values: parsing what a user typed (`--set participants=3`) or sent
//! (JSON) by the field's type, with one message per problem that names the
//! field, the rule and the value.
//!
//! Values are kept as JSON in a canonical form (dates `2026-11-24`, datetimes
//! RFC 3339 in UTC, lists as arrays), because that is how events store them.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::definition::FieldType;
use crate::rejection::{Code, Rejection};

/// A value as it arrived: text from the command line (possibly repeated, or
/// comma-separated for lists), or JSON from an input file.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(Vec<String>),
    Json(Value),
    /// A sealed personal value from the log, given back when history is replayed
    /// (see [`crate::sealed`]): taken as it is, since it was checked in the
    /// clear when first decided. Never built from a user's input.
    Sealed(Value),
}

/// Parses and checks `raw` as a value of `ty` for the field or input `name`.
/// Whether the actors in a list of actors hold their role is the caller's
/// check: it needs the actor directory.
pub fn parse(name: &str, ty: &FieldType, raw: &RawValue) -> Result<Value, Rejection> {
    match (ty, raw) {
        (FieldType::People { roles }, RawValue::Sealed(value)) => {
            super::people::parse(name, roles, value, true).map(Value::Array)
        }
        (_, RawValue::Sealed(value)) => Ok(value.clone()),
        (FieldType::People { roles }, RawValue::Json(value)) => {
            super::people::parse(name, roles, value, false).map(Value::Array)
        }
        // Each part one person (or a list of them) as JSON: the command
        // line's `--set 'parties={"role": "victim", "name": "Kati"}'`.
        (FieldType::People { roles }, RawValue::Text(parts)) => {
            let mut people = Vec::new();
            for part in parts.iter().filter(|p| !p.trim().is_empty()) {
                let value: Value = serde_json::from_str(part).map_err(|err| {
                    Rejection::new(
                        Code::InvalidInput,
                        format!(
                            "field '{name}' takes each person as JSON ({{\"role\": \"victim\", \"name\": \"…\"}}): {err}"
                        ),
                    )
                })?;
                people.extend(super::people::parse(name, roles, &value, false)?);
            }
            if people.len() > super::people::MAX_PEOPLE {
                return Err(Rejection::new(
                    Code::InvalidInput,
                    format!(
                        "field '{name}' lists at most {} people, got {}",
                        super::people::MAX_PEOPLE,
                        people.len()
                    ),
                ));
            }
            Ok(Value::Array(people))
        }
        (FieldType::List { .. } | FieldType::Actors { .. }, RawValue::Text(parts)) => {
            let items: Vec<String> = parts
                .iter()
                .flat_map(|p| p.split(','))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            let element = element_type(ty);
            let values = items
                .iter()
                .map(|item| scalar(name, &element, &Value::String(item.clone()), true))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(values))
        }
        (
            FieldType::List { .. } | FieldType::Actors { .. },
            RawValue::Json(Value::Array(items)),
        ) => {
            let element = element_type(ty);
            let values = items
                .iter()
                .map(|item| scalar(name, &element, item, false))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(values))
        }
        (FieldType::List { .. } | FieldType::Actors { .. }, RawValue::Json(other)) => {
            Err(wrong(name, "a list", other))
        }
        (_, RawValue::Text(parts)) => {
            let [one] = parts.as_slice() else {
                return Err(Rejection::new(
                    Code::InvalidInput,
                    format!("field '{name}' takes one value, got {}", parts.len()),
                ));
            };
            scalar(name, ty, &Value::String(one.clone()), true)
        }
        (_, RawValue::Json(value)) => scalar(name, ty, value, false),
    }
}

/// " from 2 to 40", " of at least 2", …: the range part of a refusal.
fn range_text<T: std::fmt::Display>(min: Option<T>, max: Option<T>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!(" from {lo} to {hi}"),
        (Some(lo), None) => format!(" of at least {lo}"),
        (None, Some(hi)) => format!(" of at most {hi}"),
        (None, None) => String::new(),
    }
}

fn element_type(ty: &FieldType) -> FieldType {
    match ty {
        FieldType::List { of } => (**of).clone(),
        _ => FieldType::String {
            pattern: None,
            max_length: None,
        },
    }
}

/// Refuses a text longer than its type allows, before anything else looks
/// at it (a pattern, the log).
pub fn within(name: &str, ty: &FieldType, text: &str) -> Result<(), Rejection> {
    let Some(max) = ty.max_length() else {
        return Ok(());
    };
    // Counting stops one past the limit: a 10 MB paste costs no more than a
    // value at the limit.
    if text.len() <= max || text.chars().take(max + 1).count() <= max {
        return Ok(());
    }
    Err(Rejection::new(
        Code::InvalidInput,
        format!(
            "field '{name}' holds at most {max} characters, got {}; write a summary, or keep the document elsewhere and record where it is",
            text.chars().count()
        ),
    ))
}

/// A value as a refusal quotes it: a long one cut, so that the message stays
/// a message.
fn shown(value: &Value) -> String {
    const QUOTED: usize = 80;
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.char_indices().nth(QUOTED) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn wrong(name: &str, expected: &str, got: &Value) -> Rejection {
    Rejection::new(
        Code::InvalidInput,
        format!("field '{name}' must be {expected}, got '{}'", shown(got)),
    )
}

/// One scalar value. `from_text` allows numbers and booleans written as text.
fn scalar(name: &str, ty: &FieldType, value: &Value, from_text: bool) -> Result<Value, Rejection> {
    let text = value.as_str();
    match ty {
        FieldType::String { pattern, .. } => {
            let s = text.ok_or_else(|| wrong(name, "text", value))?;
            within(name, ty, s)?;
            if s.contains('\n') {
                return Err(Rejection::new(
                    Code::InvalidInput,
                    format!("field '{name}' is one line of text; use a text field for more"),
                ));
            }
            if let Some(pattern) = pattern {
                let matches = regex::Regex::new(pattern)
                    .map(|re| re.is_match(s))
                    .unwrap_or(false);
                if !matches {
                    return Err(Rejection::new(
                        Code::InvalidInput,
                        format!(
                            "field '{name}' must match the pattern {pattern}, got '{}'",
                            shown(value)
                        ),
                    ));
                }
            }
            Ok(Value::String(s.to_owned()))
        }
        FieldType::Text { .. } => {
            let s = text.ok_or_else(|| wrong(name, "text", value))?;
            within(name, ty, s)?;
            Ok(Value::String(s.to_owned()))
        }
        FieldType::Integer { min, max } => {
            let n = match (value, text) {
                (Value::Number(n), _) => n.as_i64(),
                (_, Some(t)) if from_text => t.trim().parse::<i64>().ok(),
                _ => None,
            };
            let range = range_text(*min, *max);
            let expected = format!("an integer{range}");
            let n = n.ok_or_else(|| wrong(name, &expected, value))?;
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                return Err(wrong(name, &expected, value));
            }
            Ok(Value::from(n))
        }
        FieldType::Number { min, max } => {
            let n = match (value, text) {
                (Value::Number(n), _) => n.as_f64(),
                (_, Some(t)) if from_text => t.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                _ => None,
            };
            let range = range_text(*min, *max);
            let expected = format!("a number{range}");
            let n = n.ok_or_else(|| wrong(name, &expected, value))?;
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                return Err(wrong(name, &expected, value));
            }
            Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
        }
        FieldType::Boolean => match (
            value,
            text.map(|t| t.trim().to_ascii_lowercase()).as_deref(),
        ) {
            (Value::Bool(b), _) => Ok(Value::Bool(*b)),
            (_, Some("true" | "yes" | "1")) if from_text => Ok(Value::Bool(true)),
            (_, Some("false" | "no" | "0")) if from_text => Ok(Value::Bool(false)),
            _ => Err(wrong(name, "true or false (yes/no, 1/0)", value)),
        },
        FieldType::Date => {
            let s = text.ok_or_else(|| wrong(name, "a date like 2026-11-24", value))?;
            let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| wrong(name, "a date like 2026-11-24", value))?;
            Ok(Value::String(date.format("%Y-%m-%d").to_string()))
        }
        FieldType::Datetime => {
            let s = text.ok_or_else(|| {
                wrong(
                    name,
                    "a date and time like 2026-11-24T09:30:00+02:00",
                    value,
                )
            })?;
            let at = DateTime::parse_from_rfc3339(s.trim()).map_err(|_| {
                wrong(
                    name,
                    "a date and time like 2026-11-24T09:30:00+02:00",
                    value,
                )
            })?;
            Ok(Value::String(at.with_timezone(&Utc).to_rfc3339()))
        }
        FieldType::Enum { values } => {
            let s =
                text.ok_or_else(|| wrong(name, &format!("one of {}", values.join(", ")), value))?;
            if values.iter().any(|v| v == s) {
                Ok(Value::String(s.to_owned()))
            } else {
                Err(wrong(name, &format!("one of {}", values.join(", ")), value))
            }
        }
        FieldType::Partner { .. } => {
            let s = text.ok_or_else(|| wrong(name, "a partner's id", value))?;
            let id = s.trim();
            let ok = id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if ok {
                Ok(Value::String(id.to_owned()))
            } else {
                Err(wrong(
                    name,
                    "a partner's id (like pohja-prokuratuur)",
                    value,
                ))
            }
        }
        FieldType::Party { people } => {
            let id = text
                .map(str::trim)
                .filter(|id| !id.is_empty() && id.len() <= 128)
                .ok_or_else(|| {
                    wrong(
                        name,
                        &format!("a person listed in '{people}' (like {people}-1)"),
                        value,
                    )
                })?;
            Ok(Value::String(id.to_owned()))
        }
        FieldType::List { .. } | FieldType::Actors { .. } | FieldType::People { .. } => {
            Err(wrong(name, "a single value", value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> RawValue {
        RawValue::Text(vec![s.to_owned()])
    }

    #[test]
    fn values_are_parsed_by_type_with_clear_refusals() {
        let participants = FieldType::Integer {
            min: Some(2),
            max: Some(40),
        };
        assert_eq!(
            parse("participants", &participants, &text("3")),
            Ok(Value::from(3))
        );
        assert_eq!(
            parse("participants", &participants, &text("1")),
            Err(Rejection::new(
                Code::InvalidInput,
                "field 'participants' must be an integer from 2 to 40, got '1'"
            ))
        );
        assert_eq!(
            parse("referred_on", &FieldType::Date, &text("2026-11-24")),
            Ok(Value::from("2026-11-24"))
        );
        assert_eq!(
            parse("referred_on", &FieldType::Date, &text("24.11.2026")),
            Err(Rejection::new(
                Code::InvalidInput,
                "field 'referred_on' must be a date like 2026-11-24, got '24.11.2026'"
            ))
        );
        let source = FieldType::Enum {
            values: vec!["school".into(), "police".into()],
        };
        assert_eq!(
            parse("source", &source, &text("court")),
            Err(Rejection::new(
                Code::InvalidInput,
                "field 'source' must be one of school, police, got 'court'"
            ))
        );
        let facilitators = FieldType::Actors {
            role: "facilitator".into(),
        };
        assert_eq!(
            parse(
                "facilitators",
                &facilitators,
                &RawValue::Text(vec!["jaan, piret".into(), "kati".into()])
            ),
            Ok(serde_json::json!(["jaan", "piret", "kati"]))
        );
        let phone = FieldType::String {
            pattern: Some("^\\+?[0-9 ]{6,20}$".into()),
            max_length: None,
        };
        assert!(parse("phone", &phone, &text("+372 5555 1234")).is_ok());
        assert_eq!(
            parse("phone", &phone, &text("call me")),
            Err(Rejection::new(
                Code::InvalidInput,
                "field 'phone' must match the pattern ^\\+?[0-9 ]{6,20}$, got 'call me'"
            ))
        );
        assert_eq!(
            parse(
                "flag",
                &FieldType::Boolean,
                &RawValue::Json(Value::Bool(true))
            ),
            Ok(Value::Bool(true))
        );
        assert!(
            parse(
                "flag",
                &FieldType::Boolean,
                &RawValue::Json(Value::from("true"))
            )
            .is_err(),
            "JSON must be typed"
        );
        for (typed, meant) in [
            ("TRUE", true),
            ("Yes", true),
            ("1", true),
            (" no ", false),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(
                parse("flag", &FieldType::Boolean, &text(typed)),
                Ok(Value::Bool(meant)),
                "{typed}"
            );
        }
        assert!(parse("flag", &FieldType::Boolean, &text("maybe")).is_err());
        assert_eq!(
            parse(
                "at",
                &FieldType::Datetime,
                &text("2026-11-24T09:30:00+02:00")
            ),
            Ok(Value::from("2026-11-24T07:30:00+00:00"))
        );
    }
}
