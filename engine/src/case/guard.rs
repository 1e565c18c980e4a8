//! Evaluating guards and task conditions with the `cel` crate.
//!
//! The variables are built from the case as JSON and converted by hand (JSON
//! integers become CEL `int`, so `case.participants + 1` works), with every
//! declared non-personal field present (`null` when unset) and personal fields
//! absent: the checker refuses guards that read them, and evaluation could not
//! see them anyway.
//!
//! Each expression of a definition is compiled once, the first time any of them
//! is evaluated, and kept with the definition ([`Programs`]): a long-lived process
//! evaluates the same guards thousands of times. The standard CEL environment is
//! built once per process.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, OnceLock};

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

/// The compiled programs of one definition's guards, task conditions and
/// deadline conditions, by expression text. Compiled on first use and shared by
/// clones of the definition; a definition never changes, so neither do they.
/// Memoisation only: no I/O, no clock.
#[derive(Clone, Default)]
pub struct Programs(Arc<OnceLock<HashMap<String, Compiled>>>);

type Compiled = Result<Arc<cel::Program>, String>;

impl Programs {
    /// The program of `expression`, compiling every expression of `definition`
    /// the first time. An expression the definition does not hold (a test's)
    /// is compiled on the spot.
    fn program(&self, definition: &ProcessDefinition, expression: &str) -> Compiled {
        let all = self.0.get_or_init(|| {
            expressions(definition)
                .into_iter()
                .map(|e| (e.to_owned(), compile(e)))
                .collect()
        });
        match all.get(expression) {
            Some(compiled) => compiled.clone(),
            None => compile(expression),
        }
    }
}

impl fmt::Debug for Programs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get() {
            Some(all) => write!(f, "Programs({} compiled)", all.len()),
            None => f.write_str("Programs(not yet compiled)"),
        }
    }
}

/// Programs are derived from the definition: two equal definitions are equal
/// whatever each has compiled so far.
impl PartialEq for Programs {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn compile(expression: &str) -> Compiled {
    cel::Program::compile(expression)
        .map(Arc::new)
        .map_err(|err| err.to_string())
}

/// Every CEL expression a definition holds.
fn expressions(definition: &ProcessDefinition) -> Vec<&str> {
    fn guards(transitions: &[crate::definition::Transition]) -> impl Iterator<Item = &str> {
        transitions
            .iter()
            .filter_map(|t| t.guard.as_ref().map(|g| g.expression.as_str()))
    }
    let mut all: Vec<&str> = guards(&definition.anywhere).collect();
    for state in &definition.states {
        all.extend(guards(&state.transitions));
        all.extend(state.tasks.iter().filter_map(|t| t.when.as_deref()));
        all.extend(state.deadline.as_ref().and_then(|d| d.when.as_deref()));
    }
    all
}

/// The standard environment, built once: building it registers every function.
fn stdlib() -> Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(cel::Env::stdlib())).clone()
}

/// Evaluates `expression`: Ok(true/false), or Err with why it could not be.
pub fn evaluate(expression: &str, scope: &Scope<'_>) -> Result<bool, String> {
    let program = scope
        .definition
        .programs
        .program(scope.definition, expression)?;
    let mut context = cel::Context::with_env(stdlib());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shared<T: Send + Sync>() {}

    #[test]
    fn programs_can_be_shared_between_threads() {
        shared::<Programs>();
        shared::<ProcessDefinition>();
    }

    #[test]
    fn json_values_become_cel_values() {
        assert_eq!(to_cel(&serde_json::json!(3)), cel::Value::Int(3));
        assert_eq!(to_cel(&serde_json::json!(1.5)), cel::Value::Float(1.5));
        assert_eq!(to_cel(&serde_json::json!(null)), cel::Value::Null);
        assert_eq!(
            to_cel(&serde_json::json!(["a"])),
            cel::Value::List(Arc::new(vec![cel::Value::from("a")]))
        );
    }
}
