//! The scenario file, as a service owner writes it (the contract: see
//! `processes/README.md`), read with the line of every scenario and step so
//! that a failure points at the line to look at. Checked before anything
//! runs: each step does one thing, by an actor the file names, at a time that
//! does not go back.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kroonika_engine::Code;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::error::{Result, reject};

/// When a scenario starts if its `open` gives no `at`: a Monday morning.
pub const DEFAULT_START: &str = "2026-01-05T09:00:00Z";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    definition: String,
    #[serde(default)]
    actors: BTreeMap<String, Vec<String>>,
    scenarios: Vec<Spanned<RawScenario>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    open: Spanned<RawOpen>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
    then: Option<Spanned<Then>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpen {
    #[serde(rename = "as")]
    actor: String,
    at: Option<String>,
    #[serde(default)]
    input: BTreeMap<String, Value>,
    expect: Option<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(rename = "do")]
    take: Option<String>,
    task: Option<String>,
    notice: Option<String>,
    timers: Option<String>,
    #[serde(rename = "as")]
    actor: Option<String>,
    at: Option<String>,
    #[serde(default)]
    input: BTreeMap<String, Value>,
    expect: Option<Expect>,
}

/// What a step is expected to do: be refused with a code, or leave the case
/// in a state.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub rejected: Option<String>,
    pub state: Option<String>,
}

/// How the case must stand when the steps are done.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Then {
    pub state: Option<String>,
    pub outcome: Option<String>,
    /// `none`, `due`, `warned` or `overdue`.
    pub deadline: Option<String>,
    /// Event types that must have been recorded on the case.
    #[serde(default)]
    pub events: Vec<String>,
    /// The notices still due (unsent), exactly; left out: not checked.
    pub notices: Option<Vec<String>>,
}

/// A scenario file, checked.
#[derive(Debug, Clone)]
pub struct File {
    pub definition: String,
    pub actors: BTreeMap<String, Vec<String>>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub line: usize,
    pub open: Open,
    pub steps: Vec<Step>,
    pub then: Option<(usize, Then)>,
}

#[derive(Debug, Clone)]
pub struct Open {
    pub line: usize,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub input: BTreeMap<String, Value>,
    pub expect: Expect,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    pub act: Act,
    /// When it is taken (None: a minute after the step before).
    pub at: Option<DateTime<Utc>>,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Take {
        step: String,
        actor: String,
        input: BTreeMap<String, Value>,
    },
    Task {
        task: String,
        actor: String,
    },
    /// A due notice recorded sent (`input`: `sent_on`, `reference`).
    Notice {
        notice: String,
        actor: String,
        sent_on: Option<chrono::NaiveDate>,
        reference: Option<String>,
    },
    /// Deadlines handled as of this time.
    Timers(DateTime<Utc>),
}

impl Step {
    /// The step as the file says it, for messages: `do: assign as mari`.
    pub fn describe(&self) -> String {
        match &self.act {
            Act::Take { step, actor, .. } => format!("do: {step} as {actor}"),
            Act::Task { task, actor } => format!("task: {task} as {actor}"),
            Act::Notice { notice, actor, .. } => format!("notice: {notice} as {actor}"),
            Act::Timers(at) => format!("timers: {}", stamp(*at)),
        }
    }
}

/// Reads and checks a scenario file; `name` is how messages call it.
pub fn parse(source: &str, name: &str) -> Result<File> {
    let invalid = |line: usize, message: String| {
        reject(
            Code::InvalidInput,
            if line > 0 {
                format!("{name}:{line}: {message}")
            } else {
                format!("{name}: {message}")
            },
        )
    };
    let raw: RawFile = serde_saphyr::from_str(source).map_err(|err| {
        let line = err.location().map_or(0, |l| l.line() as usize);
        let text = err.to_string();
        let text = text.lines().next().unwrap_or(&text);
        // The place is said once, in front: drop the parser's own.
        let text = text
            .strip_prefix("error: ")
            .unwrap_or(text)
            .split_once(": ")
            .filter(|(place, _)| place.starts_with("line "))
            .map_or(text, |(_, rest)| rest);
        invalid(line, format!("this is not a scenario file: {text}"))
    })?;
    if raw.scenarios.is_empty() {
        return Err(invalid(0, "`scenarios` lists no scenario".to_owned()));
    }
    for (actor, roles) in &raw.actors {
        kroonika_engine::actors::check_name(actor)
            .map_err(|r| invalid(0, format!("actor '{actor}': {}", r.reason())))?;
        if roles.is_empty() {
            return Err(invalid(
                0,
                format!("actor '{actor}' has no role; give at least one: {actor}: [coordinator]"),
            ));
        }
    }
    let known = |actor: &str, line: usize| {
        if raw.actors.contains_key(actor) {
            Ok(actor.to_owned())
        } else {
            Err(invalid(
                line,
                format!(
                    "`as: {actor}` names no actor of this file; add it under `actors` with its roles"
                ),
            ))
        }
    };
    let mut scenarios = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for spanned in raw.scenarios {
        let line = spanned.referenced.line() as usize;
        let s = spanned.value;
        if !names.insert(s.name.clone()) {
            return Err(invalid(
                line,
                format!("a scenario named '{}' comes twice; name each once", s.name),
            ));
        }
        let open_line = s.open.referenced.line() as usize;
        let at = time(s.open.value.at.as_deref().unwrap_or(DEFAULT_START))
            .map_err(|m| invalid(open_line, m))?;
        let open = Open {
            line: open_line,
            actor: known(&s.open.value.actor, open_line)?,
            at,
            input: s.open.value.input,
            expect: s.open.value.expect.unwrap_or_default(),
        };
        let mut clock = at;
        let mut steps = Vec::new();
        for raw_step in s.steps {
            let line = raw_step.referenced.line() as usize;
            let r = raw_step.value;
            let chosen = [
                r.take.is_some(),
                r.task.is_some(),
                r.notice.is_some(),
                r.timers.is_some(),
            ]
            .iter()
            .filter(|c| **c)
            .count();
            if chosen != 1 {
                return Err(invalid(
                    line,
                    "a step says one of `do: TRANSITION`, `task: TASK`, `notice: NOTICE` or `timers: TIME`"
                        .to_owned(),
                ));
            }
            let act = if let Some(timers) = &r.timers {
                if r.actor.is_some() || !r.input.is_empty() || r.at.is_some() {
                    return Err(invalid(
                        line,
                        "`timers` runs as the system at its own time: it takes no `as`, `at` or `input`"
                            .to_owned(),
                    ));
                }
                Act::Timers(time(timers).map_err(|m| invalid(line, m))?)
            } else {
                let Some(actor) = r.actor.as_deref() else {
                    return Err(invalid(
                        line,
                        "say who takes the step: `as: NAME`".to_owned(),
                    ));
                };
                let actor = known(actor, line)?;
                match (r.take, r.task, r.notice) {
                    (Some(step), _, _) => Act::Take {
                        step,
                        actor,
                        input: r.input,
                    },
                    (_, _, Some(notice)) => {
                        let mut input = r.input;
                        let sent_on = match input.remove("sent_on") {
                            None => None,
                            Some(value) => Some(
                                value
                                    .as_str()
                                    .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                                    .ok_or_else(|| {
                                        invalid(
                                            line,
                                            format!(
                                                "`sent_on` is a date (2026-01-05), not {value}"
                                            ),
                                        )
                                    })?,
                            ),
                        };
                        let reference = input
                            .remove("reference")
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
                        if let Some(other) = input.keys().next() {
                            return Err(invalid(
                                line,
                                format!(
                                    "recording a notice sent takes `sent_on` and `reference` as input, not `{other}`"
                                ),
                            ));
                        }
                        Act::Notice {
                            notice,
                            actor,
                            sent_on,
                            reference,
                        }
                    }
                    (_, Some(task), _) => {
                        if !r.input.is_empty() {
                            return Err(invalid(
                                line,
                                "ticking a task takes no `input`".to_owned(),
                            ));
                        }
                        Act::Task { task, actor }
                    }
                    _ => unreachable!("one of do, task, notice or timers was checked"),
                }
            };
            let at =
                r.at.as_deref()
                    .map(time)
                    .transpose()
                    .map_err(|m| invalid(line, m))?;
            let when = match (&act, at) {
                (Act::Timers(t), _) => Some(*t),
                (_, at) => at,
            };
            if let Some(when) = when {
                if when < clock {
                    return Err(invalid(
                        line,
                        format!(
                            "this step's time {} is before the step before it ({}); time only goes forward",
                            stamp(when),
                            stamp(clock)
                        ),
                    ));
                }
                clock = when;
            } else {
                // As the runner does: a minute after the step before.
                clock += chrono::Duration::minutes(1);
            }
            let expect = r.expect.unwrap_or_default();
            check_expect(&expect).map_err(|m| invalid(line, m))?;
            steps.push(Step {
                line,
                act,
                at,
                expect,
            });
        }
        check_expect(&open.expect).map_err(|m| invalid(open_line, m))?;
        let then = match s.then {
            Some(then) => {
                let line = then.referenced.line() as usize;
                if let Some(deadline) = &then.value.deadline
                    && !["none", "due", "warned", "overdue"].contains(&deadline.as_str())
                {
                    return Err(invalid(
                        line,
                        format!(
                            "`deadline: {deadline}` is not a deadline status; say none, due, warned or overdue"
                        ),
                    ));
                }
                Some((line, then.value))
            }
            None => None,
        };
        scenarios.push(Scenario {
            name: s.name,
            line,
            open,
            steps,
            then,
        });
    }
    Ok(File {
        definition: raw.definition,
        actors: raw.actors,
        scenarios,
    })
}

fn check_expect(expect: &Expect) -> std::result::Result<(), String> {
    if let Some(code) = &expect.rejected {
        if expect.state.is_some() {
            return Err("`expect` says either `rejected: CODE` or `state: STATE`, not both".into());
        }
        if Code::parse(code).is_none() {
            return Err(format!(
                "`rejected: {code}` is not a rejection code; say one of {}",
                Code::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(())
}

/// A time as a file writes it: `2026-01-05T09:00:00Z`.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A time as the file writes it: `2026-01-05T09:00:00Z` (RFC 3339), or a
/// day, `2026-01-05`, meaning its start in UTC.
fn time(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(format!(
        "'{text}' is not a time; write 2026-01-05T09:00:00Z or 2026-01-05"
    ))
}
