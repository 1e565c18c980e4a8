//! How much text one command may carry. The log keeps every value for as long
//! as the store lives, so a 10 MB paste is refused at the door with the
//! field's name, not stored forever.

use kroonika_engine::{Code, Rejection};
use serde_json::Value;

use crate::App;
use crate::command::CaseCommand;
use crate::error::Result;

impl App {
    /// Refuses a command holding a text longer than the limit.
    pub(crate) fn within_limits(&self, command: &CaseCommand) -> Result<()> {
        let value = serde_json::to_value(command).map_err(|err| {
            Rejection::new(
                Code::InvalidInput,
                format!("the command cannot be read: {err}"),
            )
        })?;
        longest(&value, &mut String::new(), self.inner.max_text).map_err(Into::into)
    }

    /// Refuses a single text (a purpose, a note) longer than the limit.
    pub(crate) fn text_within(&self, what: &str, text: &str) -> Result<()> {
        too_long(what, text, self.inner.max_text).map_err(Into::into)
    }
}

fn longest(value: &Value, path: &mut String, max: usize) -> Result<(), Rejection> {
    match value {
        Value::String(text) => too_long(path, text, max),
        Value::Array(items) => items.iter().try_for_each(|item| longest(item, path, max)),
        Value::Object(fields) => fields.iter().try_for_each(|(name, item)| {
            let before = path.len();
            // The command's own wrapping (`input`, the command's tag) says
            // nothing to the person who typed the value: name the field.
            path.clear();
            path.push_str(name);
            let done = longest(item, path, max);
            path.truncate(before.min(path.len()));
            done
        }),
        _ => Ok(()),
    }
}

fn too_long(what: &str, text: &str, max: usize) -> Result<(), Rejection> {
    if text.len() <= max {
        return Ok(());
    }
    Err(Rejection::new(
        Code::InvalidInput,
        format!(
            "'{what}' is {} long; a value may be at most {} (write a summary, or keep the document elsewhere and record where it is)",
            size(text.len()),
            size(max)
        ),
    ))
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_that_is_too_long() {
        let value = serde_json::json!({"open": {"process": "p"}, "input": {"notes": "x".repeat(70_000), "n": 3}});
        let err = longest(&value, &mut String::new(), 64 * 1024).unwrap_err();
        assert_eq!(err.code(), Code::InvalidInput);
        assert!(
            err.reason().contains("'notes' is 68 KiB long"),
            "{}",
            err.reason()
        );
        assert!(longest(&value, &mut String::new(), 100_000).is_ok());
    }
}
