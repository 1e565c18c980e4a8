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
//!
//! Besides CEL's own functions, guards have `add_months(DATE, N)`: the date
//! (`2026-01-31`) N calendar months later, on the same day of the month or the
//! month's last day, as a date text, so the law's "at most 6 months" reads
//! `input.terms_due_on <= add_months(input.decided_on, 6)` (dates compare as
//! text).

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
    /// Every registered actor: guards read the profiles of those a step
    /// names (`people['kaja'].volunteer.state`).
    pub actors: &'a BTreeMap<String, Actor>,
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

/// `add_months(DATE, N)`: the date N calendar months after DATE (a date or
/// the date part of a datetime), clamped to the month's last day.
fn add_months(date: Arc<String>, months: i64) -> Result<cel::Value, cel::ExecutionError> {
    let day = date
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            cel::ExecutionError::function_error("add_months", format!("'{date}' is not a date"))
        })?;
    let shifted = u32::try_from(months.unsigned_abs())
        .ok()
        .map(chrono::Months::new)
        .and_then(|m| {
            if months >= 0 {
                day.checked_add_months(m)
            } else {
                day.checked_sub_months(m)
            }
        })
        .ok_or_else(|| {
            cel::ExecutionError::function_error(
                "add_months",
                format!("{months} months is out of range"),
            )
        })?;
    Ok(cel::Value::from(shifted.to_string()))
}

/// A value as a guard reads it: a list of people without their names and
/// contacts (personal data no rule may turn on).
fn public(def: &ProcessDefinition, name: &str, value: &serde_json::Value) -> serde_json::Value {
    match def.field(name).map(|f| &f.ty) {
        Some(crate::definition::FieldType::People { .. }) => super::people::public(value),
        _ => value.clone(),
    }
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
                scope.data.get(&f.name).map_or(cel::Value::Null, |v| {
                    to_cel(&public(scope.definition, &f.name, v))
                }),
            )
        })
        .collect();
    context.add_variable_from_value("case", case);
    if let Some(input) = scope.input {
        let input: HashMap<String, cel::Value> = input
            .iter()
            .map(|(k, v)| (k.clone(), to_cel(&public(scope.definition, k, v))))
            .collect();
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
        .roles_in_effect()
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
    if expression.contains("people") {
        context.add_variable_from_value("people", people(scope.actors));
    }
    context.add_variable_from_value("now", cel::Value::Timestamp(scope.now.fixed_offset()));
    context.add_variable_from_value("today", scope.now.date_naive().to_string());
    let entered = scope.entered_at.map_or(cel::Value::Null, |at| {
        cel::Value::Timestamp(at.fixed_offset())
    });
    let state: HashMap<String, cel::Value> = HashMap::from([
        ("name".to_owned(), cel::Value::from(scope.state)),
        ("entered_at".to_owned(), entered),
    ]);
    context.add_variable_from_value("state", state);
    // The name is ours, not the standard library's: it cannot collide.
    let _ = context.add_function("add_months", add_months);
    match program.execute(&context) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("it gave {other:?}, not true or false")),
        Err(err) => Err(err.to_string()),
    }
}

/// The people guards may read, by actor name: their roles in effect and
/// their profiles (each the case's state and the recorded fields). Someone
/// deactivated has no roles and no profile here.
fn people(actors: &BTreeMap<String, Actor>) -> HashMap<String, cel::Value> {
    actors
        .iter()
        .map(|(name, actor)| {
            let mut person: HashMap<String, cel::Value> = HashMap::new();
            let roles: Vec<cel::Value> = actor
                .roles_in_effect()
                .iter()
                .map(|r| cel::Value::from(r.as_str()))
                .collect();
            person.insert("roles".to_owned(), cel::Value::List(Arc::new(roles)));
            if actor.is_active() {
                for (profile, recorded) in &actor.profiles {
                    let values: HashMap<String, cel::Value> = recorded
                        .values
                        .iter()
                        .map(|(k, v)| (k.clone(), to_cel(v)))
                        .collect();
                    person.insert(profile.clone(), cel::Value::from(values));
                }
            }
            (name.clone(), cel::Value::from(person))
        })
        .collect()
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

    static NOBODY: std::sync::LazyLock<BTreeMap<String, Actor>> =
        std::sync::LazyLock::new(BTreeMap::new);

    #[test]
    fn guards_read_the_profiles_of_the_people_a_step_names() {
        use crate::actors::ActorEvent;
        let definition = crate::case::fixture::definition();
        let mut kaja = Actor::default();
        kaja.evolve(&ActorEvent::ActorRegistered {
            name: "kaja".to_owned(),
            roles: vec!["facilitator".to_owned()],
        });
        kaja.evolve(&ActorEvent::ProfileRecorded {
            profile: "volunteer".to_owned(),
            process: "volunteer-onboarding".to_owned(),
            case: "VA-2026-0001".to_owned(),
            values: [
                ("state".to_owned(), serde_json::json!("active")),
                ("checked_on".to_owned(), serde_json::json!("2025-12-01")),
            ]
            .into(),
            roles: vec!["mediator".to_owned()],
        });
        let staff = crate::case::fixture::actors()["mari"].clone();
        let actors = BTreeMap::from([
            ("kaja".to_owned(), kaja.clone()),
            ("mari".to_owned(), staff),
        ]);
        let data = BTreeMap::new();
        let input: BTreeMap<String, Value> = [(
            "facilitators".to_owned(),
            serde_json::json!(["kaja", "mari"]),
        )]
        .into();
        let mut scope = scope(&definition, &data, Some(&input), &kaja);
        scope.actors = &actors;
        let holds = |expression: &str| evaluate(expression, &scope);
        assert_eq!(
            holds("people['kaja'].volunteer.state == 'active'"),
            Ok(true)
        );
        assert_eq!(holds("'mediator' in people['kaja'].roles"), Ok(true));
        // Someone without the profile is told apart from someone with it.
        assert_eq!(
            holds(
                "input.facilitators.all(m, !('volunteer' in people[m]) || people[m].volunteer.state == 'active')"
            ),
            Ok(true)
        );
        // A check valid for 12 months, judged against today (2026-…).
        assert_eq!(
            holds("add_months(people['kaja'].volunteer.checked_on, 12) > today"),
            Ok(true)
        );
        assert_eq!(holds("'mediator' in actor.roles"), Ok(true));
    }

    fn scope<'a>(
        definition: &'a ProcessDefinition,
        data: &'a BTreeMap<String, Value>,
        input: Option<&'a BTreeMap<String, Value>>,
        actor: &'a Actor,
    ) -> Scope<'a> {
        Scope {
            definition,
            data,
            input,
            tasks: Some((false, vec!["consent".to_owned()])),
            actor,
            actors: &NOBODY,
            now: crate::case::fixture::monday(),
            state: "meeting",
            entered_at: None,
        }
    }

    #[test]
    fn guards_read_the_case_the_input_the_checklist_and_the_actor() {
        let definition = crate::case::fixture::definition();
        let actor = crate::case::fixture::actors()["mari"].clone();
        let data: BTreeMap<String, Value> = [
            ("minor_involved".to_owned(), serde_json::json!(true)),
            // Personal fields are never in scope, whatever the case holds.
            ("victim_name".to_owned(), serde_json::json!("Mari Maasikas")),
        ]
        .into();
        let input: BTreeMap<String, Value> =
            [("facilitators".to_owned(), serde_json::json!(["jaan"]))].into();
        let scope = scope(&definition, &data, Some(&input), &actor);
        let holds = |expression: &str| evaluate(expression, &scope);
        assert_eq!(holds("size(input.facilitators) >= 2"), Ok(false));
        assert_eq!(
            holds("case.minor_involved && case.participants == null"),
            Ok(true)
        );
        assert_eq!(
            holds("'consent' in tasks.done && !tasks.complete"),
            Ok(true)
        );
        assert_eq!(
            holds("'coordinator' in actor.roles && state.name == 'meeting'"),
            Ok(true)
        );
        assert_eq!(holds("now > timestamp('2026-01-01T00:00:00Z')"), Ok(true));
        assert_eq!(holds("has(case.victim_name)"), Ok(false));
        // Not a condition, or not an expression: a reason, never a panic.
        assert!(holds("1 + 1").unwrap_err().contains("not true or false"));
        assert!(holds("size(").is_err());
    }

    #[test]
    fn a_definitions_programs_are_compiled_once_and_shared_by_its_clones() {
        let definition = crate::case::fixture::definition();
        assert_eq!(
            format!("{:?}", definition.programs),
            "Programs(not yet compiled)"
        );
        let actor = crate::case::fixture::actors()["mari"].clone();
        let data = BTreeMap::new();
        let clone = definition.clone();
        evaluate("tasks.complete", &scope(&definition, &data, None, &actor)).unwrap();
        // Calendar months, clamped to the month's end; dates compare as text.
        for (expression, expected) in [
            ("add_months('2026-01-05', 6) == '2026-07-05'", true),
            ("add_months('2026-08-31', 6) == '2027-02-28'", true),
            ("add_months('2026-03-31', -1) == '2026-02-28'", true),
            ("'2026-07-06' <= add_months('2026-01-05', 6)", false),
        ] {
            let scope = scope(&definition, &data, None, &actor);
            assert_eq!(evaluate(expression, &scope), Ok(expected), "{expression}");
        }
        let scope = scope(&definition, &data, None, &actor);
        assert!(
            evaluate("add_months('soon', 1) == ''", &scope)
                .unwrap_err()
                .contains("'soon' is not a date")
        );
        // Every guard, task condition and deadline condition of the
        // definition, at once; visible through the clone made before.
        assert_eq!(format!("{:?}", clone.programs), "Programs(3 compiled)");
        assert_eq!(
            definition, clone,
            "programs are not part of a definition's equality"
        );
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
