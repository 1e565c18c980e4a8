//! Running a scenario file: one throw-away store and application per
//! scenario, every step through [`App::execute`] and [`App::run_timers`],
//! each outcome compared with what the file expects.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use kroonika_engine::actors::ActorCommand;
use kroonika_engine::case::{Case, CaseEvent};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::{Code, RecordedEvent};
use kroonika_store::StoreOptions;
use serde::Serialize;
use serde_json::Value;

use super::format::{self, Act, Expect, Scenario, Then};
use crate::command::{CaseCommand, Input, Outcome, Request};
use crate::env::SetClock;
use crate::error::{Error, Result, reject};
use crate::keys::KeySource;
use crate::{App, Options};

/// Who sets each scenario's store up; no file may name it.
const SETTER: &str = "scenario-admin";

/// A scenario file's results.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file, as it was named.
    pub file: String,
    /// The process the file tests.
    pub process: String,
    #[serde(skip)]
    pub definition: Arc<ProcessDefinition>,
    pub scenarios: Vec<ScenarioReport>,
}

impl FileReport {
    pub fn failed(&self) -> usize {
        self.scenarios
            .iter()
            .filter(|s| s.failure.is_some())
            .count()
    }
}

/// One scenario: passed when it has no failure.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub line: usize,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// What the engine recorded and refused, for coverage.
    #[serde(skip)]
    pub trace: Trace,
}

/// What a scenario's case went through: its events with who recorded each,
/// and the guards that refused a step (state, transition).
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub events: Vec<(String, CaseEvent)>,
    pub guards_refused: Vec<(String, String)>,
}

/// Where a scenario went otherwise than written.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// The line of the step (or of `open`, `then`).
    pub line: usize,
    /// The step as the file says it: `do: assign as mari`, `open`, `then`.
    pub step: String,
    pub expected: String,
    pub actual: String,
}

/// Reads the scenario file at `path` and runs every scenario in it; `name`
/// is how messages call the file. The definition is read relative to the
/// file. A file that cannot run (unreadable, not a scenario file, a
/// definition that does not check) is an error; a scenario that fails is a
/// report.
pub async fn run_file(path: &Path, name: &str) -> Result<FileReport> {
    let source = std::fs::read_to_string(path).map_err(|err| {
        reject(
            Code::InvalidInput,
            format!("{name}: cannot read the scenario file: {err}"),
        )
    })?;
    let file = format::parse(&source, name)?;
    let definition_path = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(&file.definition);
    let definition = std::fs::read_to_string(&definition_path).map_err(|err| {
        reject(
            Code::InvalidInput,
            format!(
                "{name}: cannot read the definition {} ({}): {err}",
                file.definition,
                definition_path.display()
            ),
        )
    })?;
    let checked = kroonika_processes::check(&definition);
    if let Some(error) = checked.first_error() {
        let line = definition[..error.span.start.min(definition.len())]
            .matches('\n')
            .count()
            + 1;
        return Err(reject(
            Code::InvalidDefinition,
            format!(
                "{name}: the definition {} has errors, the first at its line {line}: {} (`kroonika def check` shows them all)",
                file.definition, error.message
            ),
        ));
    }
    let Some(process) = checked.definition.map(Arc::new) else {
        return Err(reject(
            Code::InvalidDefinition,
            format!("{name}: the definition {} does not check", file.definition),
        ));
    };
    if file.actors.contains_key(SETTER) {
        return Err(reject(
            Code::InvalidInput,
            format!("{name}: the actor name '{SETTER}' is the runner's own; call yours otherwise"),
        ));
    }
    let mut scenarios = Vec::new();
    for scenario in &file.scenarios {
        let (failure, trace) = run_scenario(&file, &definition, scenario)
            .await
            .map_err(|err| err.context(format!("{name}:{}: {}", scenario.line, scenario.name)))?;
        scenarios.push(ScenarioReport {
            name: scenario.name.clone(),
            line: scenario.line,
            passed: failure.is_none(),
            failure,
            trace,
        });
    }
    Ok(FileReport {
        file: name.to_owned(),
        process: process.id.clone(),
        definition: process,
        scenarios,
    })
}

/// One scenario on a store of its own: its first failure, if any, and what
/// its case went through.
async fn run_scenario(
    file: &format::File,
    definition: &str,
    scenario: &Scenario,
) -> Result<(Option<Failure>, Trace)> {
    let dir = tempfile::tempdir()
        .map_err(|err| Error::Invalid(format!("a temporary directory for the scenario: {err}")))?;
    let url = format!("sqlite://{}", dir.path().join("scenario.db").display());
    let key = kroonika_vault::MasterKey::generate();
    let keys = KeySource {
        env: Some(key.to_hex()),
        file: None,
        db: url.clone(),
    };
    crate::setup::init(&url, &keys, Some(SETTER)).await?;
    let clock = Arc::new(SetClock::new(scenario.open.at));
    let app = App::open_with(
        &url,
        StoreOptions {
            durable: false,
            ..StoreOptions::default()
        },
        Options {
            master: Some(key),
            clock: clock.clone(),
            ..Options::default()
        },
    )
    .await?;
    let mut run = Run {
        app: &app,
        clock: &clock,
        now: scenario.open.at,
        case: None,
        trace: Trace::default(),
    };
    let result: Result<Option<Failure>> = async {
        let failure = run.scenario(file, definition, scenario).await?;
        if let Some(case) = run.case.clone() {
            let (history, _) = run.case(&case).await?;
            for event in &history {
                let decoded = CaseEvent::from_parts(&event.event_type, event.data.as_str())
                    .map_err(|err| Error::Invalid(format!("a recorded event: {err}")))?;
                run.trace
                    .events
                    .push((event.metadata.actor.clone(), decoded));
            }
        }
        Ok(failure)
    }
    .await;
    app.close().await;
    Ok((result?, run.trace))
}

struct Run<'a> {
    app: &'a App,
    clock: &'a SetClock,
    now: DateTime<Utc>,
    /// The scenario's case, once opened.
    case: Option<String>,
    trace: Trace,
}

impl Run<'_> {
    async fn scenario(
        &mut self,
        file: &format::File,
        definition: &str,
        scenario: &Scenario,
    ) -> Result<Option<Failure>> {
        let setter = Request::new(SETTER, "def test");
        for (name, roles) in &file.actors {
            let command = ActorCommand::Register {
                name: name.clone(),
                roles: roles.clone(),
            };
            self.app.administer(&setter, &command, true).await?;
        }
        let process = match self.app.publish(&setter, definition, false).await {
            Ok(
                crate::definitions::Publishing::New { process, .. }
                | crate::definitions::Publishing::Unchanged { process, .. },
            ) => process,
            Err(err) => {
                return Err(reject(
                    Code::InvalidDefinition,
                    format!("the definition {} does not publish: {err}", file.definition),
                ));
            }
        };
        // Open.
        let open = &scenario.open;
        self.clock.set(open.at);
        let opened = self
            .app
            .execute(
                &Request::new(&open.actor, "case open"),
                None,
                CaseCommand::Open {
                    open: process,
                    input: input(&open.input),
                },
            )
            .await;
        let case = match opened {
            Ok(Outcome::Opened { case_id, .. } | Outcome::AlreadyOpened { case_id, .. }) => {
                case_id.to_string()
            }
            Ok(_) => return Err(Error::Invalid("opening a case answered otherwise".into())),
            Err(err) => {
                return Ok(judge_refusal(open.line, "open", &open.expect, &err));
            }
        };
        self.case = Some(case.clone());
        if let Some(code) = &open.expect.rejected {
            return Ok(Some(Failure {
                line: open.line,
                step: "open".into(),
                expected: format!("rejected: {code}"),
                actual: "the case was opened".into(),
            }));
        }
        if let Some(failure) = self
            .expect_state(open.line, "open", &open.expect, &case)
            .await?
        {
            return Ok(Some(failure));
        }
        // The steps.
        for step in &scenario.steps {
            let described = step.describe();
            let at = match (&step.act, step.at) {
                (Act::Timers(at), _) => *at,
                (_, Some(at)) => at,
                (_, None) => self.now + Duration::minutes(1),
            };
            self.now = at;
            self.clock.set(at);
            let done = match &step.act {
                Act::Take {
                    step: name,
                    actor,
                    input: given,
                } => self
                    .app
                    .execute(
                        &Request::new(actor, "case do"),
                        Some(&case),
                        CaseCommand::Take {
                            step: name.clone(),
                            input: input(given),
                        },
                    )
                    .await
                    .map(|_| ()),
                Act::Task { task, actor } => self
                    .app
                    .execute(
                        &Request::new(actor, "case task"),
                        Some(&case),
                        CaseCommand::Task { task: task.clone() },
                    )
                    .await
                    .map(|_| ()),
                Act::Notice {
                    notice,
                    actor,
                    sent_on,
                    reference,
                } => self
                    .app
                    .execute(
                        &Request::new(actor, "case notice"),
                        Some(&case),
                        CaseCommand::Notice {
                            notice: notice.clone(),
                            sent_on: *sent_on,
                            reference: reference.clone(),
                        },
                    )
                    .await
                    .map(|_| ()),
                Act::Timers(at) => {
                    let run = self.app.run_timers(Some(*at)).await?;
                    if let Some((reference, err)) = run.failed.into_iter().next() {
                        return Err(err.context(format!("the deadline of {reference}")));
                    }
                    Ok(())
                }
            };
            if let Err(err) = done {
                // A guard said no (`tasks.complete` says it as an incomplete
                // checklist).
                if let (
                    Act::Take { step: name, .. },
                    Some(Code::GuardFailed | Code::ChecklistIncomplete),
                ) = (&step.act, err.code())
                {
                    let (_, before) = self.case(&case).await?;
                    self.trace.guards_refused.push((before.state, name.clone()));
                }
                if let Some(failure) = judge_refusal(step.line, &described, &step.expect, &err) {
                    return Ok(Some(failure));
                }
                continue;
            }
            if let Some(code) = &step.expect.rejected {
                let (_, now) = self.case(&case).await?;
                return Ok(Some(Failure {
                    line: step.line,
                    step: described,
                    expected: format!("rejected: {code}"),
                    actual: format!("taken; the case is in {}", now.state),
                }));
            }
            if let Some(failure) = self
                .expect_state(step.line, &described, &step.expect, &case)
                .await?
            {
                return Ok(Some(failure));
            }
        }
        match &scenario.then {
            Some((line, then)) => self.then(*line, then, &case).await,
            None => Ok(None),
        }
    }

    /// The case's recorded events (read as the store's operator: a scenario
    /// reads its own throw-away case) and the case they fold into.
    async fn case(&self, case: &str) -> Result<(Vec<RecordedEvent>, Case)> {
        let history = self
            .app
            .case_history(&Request::operator("def test"), case)
            .await?;
        let folded = Case::fold(&history)?;
        Ok((history, folded))
    }

    async fn expect_state(
        &self,
        line: usize,
        step: &str,
        expect: &Expect,
        case: &str,
    ) -> Result<Option<Failure>> {
        let Some(state) = &expect.state else {
            return Ok(None);
        };
        let (_, now) = self.case(case).await?;
        Ok((&now.state != state).then(|| Failure {
            line,
            step: step.to_owned(),
            expected: format!("state: {state}"),
            actual: format!("state: {}", now.state),
        }))
    }

    /// The case against `then`: every difference, in one failure.
    async fn then(&self, line: usize, then: &Then, case: &str) -> Result<Option<Failure>> {
        let (history, view) = self.case(case).await?;
        let mut expected = Vec::new();
        let mut actual = Vec::new();
        if let Some(state) = &then.state
            && &view.state != state
        {
            expected.push(format!("state: {state}"));
            actual.push(format!("state: {}", view.state));
        }
        if let Some(outcome) = &then.outcome
            && view.outcome.as_ref() != Some(outcome)
        {
            expected.push(format!("outcome: {outcome}"));
            actual.push(format!(
                "outcome: {}",
                view.outcome.as_deref().unwrap_or("none (the case is open)")
            ));
        }
        if let Some(deadline) = &then.deadline {
            let status = deadline_status(&view);
            if status != deadline {
                expected.push(format!("deadline: {deadline}"));
                actual.push(format!("deadline: {status}"));
            }
        }
        if let Some(notices) = &then.notices {
            let mut wanted: Vec<&str> = notices.iter().map(String::as_str).collect();
            wanted.sort_unstable();
            let due: Vec<&str> = view.notices.keys().map(String::as_str).collect();
            if wanted != due {
                let list = |l: &[&str]| {
                    if l.is_empty() {
                        "none".to_owned()
                    } else {
                        l.join(", ")
                    }
                };
                expected.push(format!("notices due: {}", list(&wanted)));
                actual.push(format!("notices due: {}", list(&due)));
            }
        }
        if !then.events.is_empty() {
            let missing: Vec<&String> = then
                .events
                .iter()
                .filter(|t| !history.iter().any(|e| &e.event_type == *t))
                .collect();
            if !missing.is_empty() {
                let mut recorded: Vec<&str> = Vec::new();
                for event in &history {
                    if !recorded.contains(&event.event_type.as_str()) {
                        recorded.push(&event.event_type);
                    }
                }
                expected.push(format!(
                    "events: {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                actual.push(format!("recorded: {}", recorded.join(", ")));
            }
        }
        Ok((!expected.is_empty()).then(|| Failure {
            line,
            step: "then".into(),
            expected: expected.join("; "),
            actual: actual.join("; "),
        }))
    }
}

/// Where the case stands against its deadline, as recorded: `overdue` once
/// missed, `warned` once warned, `due` while one runs, `none` without one.
fn deadline_status(case: &Case) -> &'static str {
    match (&case.deadline, case.deadline_missed, case.deadline_warned) {
        (None, _, _) => "none",
        (Some(_), true, _) => "overdue",
        (Some(_), false, true) => "warned",
        (Some(_), false, false) => "due",
    }
}

/// A step was refused: a pass when the file expected that code (None), a
/// failure otherwise. A refusal that is not a rule's (the store failing) is
/// reported as what happened, not hidden.
fn judge_refusal(line: usize, step: &str, expect: &Expect, err: &Error) -> Option<Failure> {
    let code = err.code().map(Code::as_str);
    if let (Some(wanted), Some(code)) = (&expect.rejected, code)
        && wanted == code
    {
        return None;
    }
    Some(Failure {
        line,
        step: step.to_owned(),
        expected: match (&expect.rejected, &expect.state) {
            (Some(code), _) => format!("rejected: {code}"),
            (None, Some(state)) => format!("taken; state: {state}"),
            (None, None) => "taken".into(),
        },
        actual: match code {
            Some(code) => format!("rejected: {code} ({err})"),
            None => format!("failed: {err}"),
        },
    })
}

/// The file's input values, as a program sends them (JSON, checked by each
/// field's type).
fn input(values: &BTreeMap<String, Value>) -> Input {
    Input(
        values
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    kroonika_engine::case::RawValue::Json(value.clone()),
                )
            })
            .collect(),
    )
}
