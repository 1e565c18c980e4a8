//! Evaluating guards and task conditions with the `cel` crate.
//!
//! The variables are built from the case as JSON and converted by hand (JSON
//! integers become CEL `int`, so `case.participants + 1` works), with every
//! declared non-personal field present (`null` when unset) and personal fields
//! absent: the checker refuses guards that read them, and evaluation could not
//! see them anyway.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::actors::Actor;
use crate::definition::ProcessDefinition;

/// Everything a guard or condition can read.
#[derive(Debug)]
pub struct Scope<'a> {
    pub definition: &'a ProcessDefinition,
    pub data: &'a BTreeMap<String, Value>,
    pub input: Option<&'a BTreeMap<String, Value>>,
    pub tasks: Option<(bool, Vec<String>)>,
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub state: &'a str,
    pub entered_at: Option<DateTime<Utc>>,
}

/// Evaluates `expression`: Ok(true/false), or Err with why it could not be.
pub fn evaluate(expression: &str, scope: &Scope<'_>) -> Result<bool, String> {
    let program = cel::Program::compile(expression).map_err(|err| err.to_string())?;
    let mut context = cel::Context::default();
    let case: HashMap<String, cel::Value> = scope
        .definition
        .fields
        .iter()
        .filter(|f| f.personal.is_none())
        .map(|f| {
            (
                f.name.clone(),
                scope.data.get(&f.name).map_or(cel::Value::Null, to_cel),
            )
        })
        .collect();
    context.add_variable_from_value("case", case);
    if let Some(input) = scope.input {
        let input: HashMap<String, cel::Value> =
            input.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
        context.add_variable_from_value("input", input);
    }
    if let Some((complete, done)) = &scope.tasks {
        let tasks: HashMap<String, cel::Value> = HashMap::from([
            ("complete".to_owned(), cel::Value::Bool(*complete)),
            (
                "done".to_owned(),
                cel::Value::List(Arc::new(
                    done.iter().map(|d| cel::Value::from(d.as_str())).collect(),
                )),
            ),
        ]);
        context.add_variable_from_value("tasks", tasks);
    }
    let roles: Vec<cel::Value> = scope
        .actor
        .roles
        .iter()
        .map(|r| cel::Value::from(r.as_str()))
        .collect();
    let actor: HashMap<String, cel::Value> = HashMap::from([
        (
            "name".to_owned(),
            cel::Value::from(scope.actor.name.as_str()),
        ),
        ("roles".to_owned(), cel::Value::List(Arc::new(roles))),
    ]);
    context.add_variable_from_value("actor", actor);
    context.add_variable_from_value("now", cel::Value::Timestamp(scope.now.fixed_offset()));
    let entered = scope.entered_at.map_or(cel::Value::Null, |at| {
        cel::Value::Timestamp(at.fixed_offset())
    });
    let state: HashMap<String, cel::Value> = HashMap::from([
        ("name".to_owned(), cel::Value::from(scope.state)),
        ("entered_at".to_owned(), entered),
    ]);
    context.add_variable_from_value("state", state);
    match program.execute(&context) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("it gave {other:?}, not true or false")),
        Err(err) => Err(err.to_string()),
    }
}

fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(cel::Value::Int)
            .unwrap_or_else(|| cel::Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => cel::Value::from(s.as_str()),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let map: HashMap<String, cel::Value> =
                map.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            cel::Value::from(map)
        }
    }
}
