//! `kroonika case open|do|task|show|history`.
//!
//! Glue only: load the case's events, fold them, decide with the engine, append
//! with the exact revision (re-deciding on a conflict, or refusing with exit 3
//! under `--expect-version`). A case lives in the stream `case-<uuid>`; its
//! reference (SC-2026-0042) is allocated in `caseref-<PREFIX>.<YEAR>`, whose
//! revision is the number, and which also serves to find a case by reference.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use kroonika_engine::actors::{self, Actor};
use kroonika_engine::case::{self, Case, CaseEvent, RawInput, RawValue};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::{Metadata, NewEvent, RecordedEvent, Rejection, StreamName};
use kroonika_store::{ReadFrom, Store, Timer};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::args::{CaseCommand, Cli, CommandArgs, DocFormat, Format};
use crate::commands::publish;
use crate::context::{self, acting};
use crate::desk::{Act, Change, Desk, Opened, Stepped};
use crate::exit::lift;
use crate::output;

const CASE_CATEGORY: &str = "case";
const REFERENCE_CATEGORY: &str = "caseref";
pub(crate) const REFERENCE_ALLOCATED: &str = "ReferenceAllocated";

pub(crate) async fn run(
    cli: &Cli,
    command: &CaseCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let result = match command {
        CaseCommand::Open { process, command } => open(cli, &store, process, command, out).await,
        CaseCommand::Migrate {
            case,
            to_version,
            map,
            command,
        } => migrate(cli, &store, case, *to_version, map, command, out).await,
        CaseCommand::Do {
            case,
            transition,
            expect_version,
            command,
        } => {
            change(
                cli,
                &store,
                case,
                Change::Take(transition),
                *expect_version,
                command,
                out,
            )
            .await
        }
        CaseCommand::Task {
            case,
            task,
            command,
        } => change(cli, &store, case, Change::Task(task), None, command, out).await,
        CaseCommand::Update {
            case,
            reason,
            command,
        } => {
            change(
                cli,
                &store,
                case,
                Change::Correct(reason),
                None,
                command,
                out,
            )
            .await
        }
        CaseCommand::Show {
            case,
            as_of,
            reveal,
            purpose,
            format,
        } => {
            let reveal = reveal.then(|| purpose.as_deref().unwrap_or_default());
            show(cli, &store, case, as_of.as_deref(), reveal, *format, out).await
        }
        CaseCommand::Hold { case, reason } => {
            crate::commands::privacy::hold(cli, &store, case, true, reason, out).await
        }
        CaseCommand::Release { case, reason } => {
            crate::commands::privacy::hold(cli, &store, case, false, reason, out).await
        }
        CaseCommand::History { case, format } => history(&store, case, *format, out).await,
        CaseCommand::List { .. } => crate::commands::list::run(&store, command, out).await,
    };
    store.close().await;
    result
}

/// `--set` and `--input-file` into raw inputs.
fn read_input(args: &CommandArgs) -> anyhow::Result<RawInput> {
    let mut input: RawInput = BTreeMap::new();
    if let Some(path) = &args.input_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: Value = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?
        } else {
            serde_saphyr::from_str(&text)
                .map_err(|err| anyhow::anyhow!("{} is not valid YAML: {err}", path.display()))?
        };
        let Value::Object(map) = value else {
            return Err(Rejection::new(format!(
                "{} must hold a map of field names to values",
                path.display()
            ))
            .into());
        };
        for (name, value) in map {
            input.insert(name, RawValue::Json(value));
        }
    }
    for set in &args.set {
        let Some((name, value)) = set.split_once('=') else {
            return Err(Rejection::new(format!("--set takes FIELD=VALUE, got '{set}'")).into());
        };
        match input
            .entry(name.trim().to_owned())
            .or_insert_with(|| RawValue::Text(Vec::new()))
        {
            RawValue::Text(values) => values.push(value.to_owned()),
            RawValue::Json(_) | RawValue::Sealed(_) => {
                return Err(Rejection::new(format!(
                    "'{name}' is given both in the input file and with --set"
                ))
                .into());
            }
        }
    }
    Ok(input)
}

/// The command's input as JSON, to recognise a repeated command by its id.
fn input_json(input: &RawInput) -> Value {
    input
        .iter()
        .map(|(name, raw)| {
            let value = match raw {
                RawValue::Text(parts) => json!(parts),
                RawValue::Json(value) | RawValue::Sealed(value) => value.clone(),
            };
            (name.clone(), value)
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// When it happened: `--occurred-at` (RFC 3339 or a date), never in the future.
fn occurred_at(args: &CommandArgs, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    let Some(text) = &args.occurred_at else {
        return Ok(now);
    };
    let at = context::parse_time(text, "--occurred-at", context::NOON)?;
    if at > now {
        return Err(Rejection::new(format!(
            "--occurred-at {text} is in the future; record what has happened"
        ))
        .into());
    }
    Ok(at)
}

pub(crate) async fn definition(
    store: &Store,
    process: &str,
    version: Option<u32>,
) -> anyhow::Result<(ProcessDefinition, u32)> {
    let (published, _) = publish::version(store, process, version).await?;
    Ok((publish::compile(&published)?, published.version))
}

pub(crate) fn case_stream(id: Uuid) -> anyhow::Result<StreamName> {
    Ok(StreamName::from_parts(CASE_CATEGORY, id)?)
}

pub(crate) fn reference_stream(prefix: &str, year: i32) -> anyhow::Result<StreamName> {
    Ok(StreamName::from_parts(
        REFERENCE_CATEGORY,
        format!("{prefix}.{year}"),
    )?)
}

/// A reference (SC-2026-0042) or a case id, to the case's id.
pub(crate) async fn resolve(store: &Store, text: &str) -> anyhow::Result<(Uuid, String)> {
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok((id, text.to_owned()));
    }
    let not_found = || {
        Rejection::new(format!(
            "there is no case '{text}'; give a reference like SC-2026-0042 or a case id"
        ))
    };
    let parts: Vec<&str> = text.split('-').collect();
    let [prefix, year, number] = parts.as_slice() else {
        return Err(not_found().into());
    };
    let (Ok(year), Ok(number)) = (year.parse::<i32>(), number.parse::<u64>()) else {
        return Err(not_found().into());
    };
    if number == 0 {
        return Err(not_found().into());
    }
    let stream = reference_stream(prefix, year).map_err(|_| not_found())?;
    let events = store
        .read_stream(
            &stream,
            ReadFrom::At(number - 1),
            kroonika_store::Direction::Forwards,
            1,
        )
        .await?;
    let event = events
        .first()
        .filter(|e| e.revision == number - 1)
        .ok_or_else(not_found)?;
    let data = event.data.to_value()?;
    let id = data["case_id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(not_found)?;
    Ok((id, text.to_owned()))
}

/// A case's id from a reference or an id (for other commands).
pub(crate) async fn resolve_id(store: &Store, text: &str) -> anyhow::Result<Uuid> {
    Ok(resolve(store, text).await?.0)
}

/// Folds a case's events; each event's occurred-at comes from its metadata.
pub(crate) fn fold(events: &[RecordedEvent]) -> anyhow::Result<Case> {
    let mut case = Case::default();
    for event in events {
        fold_one(&mut case, event)?;
    }
    Ok(case)
}

fn fold_one(case: &mut Case, event: &RecordedEvent) -> anyhow::Result<()> {
    let decoded =
        CaseEvent::from_parts(&event.event_type, event.data.as_str()).with_context(|| {
            format!(
                "reading event {} of stream '{}'",
                event.position, event.stream
            )
        })?;
    case.evolve(&decoded, event.metadata.occurred_at, event.revision);
    Ok(())
}

/// Every case as its events leave it, by id: one scan of the case category,
/// folded as it is read, so memory holds the cases and not their histories.
pub(crate) async fn all_cases(store: &Store) -> anyhow::Result<BTreeMap<Uuid, Case>> {
    let mut cases: BTreeMap<Uuid, Case> = BTreeMap::new();
    let mut scan = store.scan(Some(CASE_CATEGORY), kroonika_store::ReadFrom::Start, 1_000);
    while let Some(page) = scan.next_page().await? {
        for event in &page {
            let Ok(id) = Uuid::parse_str(event.stream.id()) else {
                continue;
            };
            fold_one(cases.entry(id).or_default(), event)?;
        }
    }
    Ok(cases)
}

/// An event's metadata. `decided_at` is the time the rules were applied at
/// (guards' `now`); it is recorded only when it differs from `occurred_at` (a
/// backdated command), so a conformance replay can decide again exactly.
pub(crate) fn metadata(
    actor: &str,
    command_id: Uuid,
    occurred_at: DateTime<Utc>,
    decided_at: DateTime<Utc>,
    definition: &str,
    command: &Value,
) -> Metadata {
    let meta = Metadata::for_command(actor, command_id, occurred_at)
        .with_extra("definition", json!(definition))
        .with_extra("command_hash", json!(command_hash(command)));
    if decided_at == occurred_at {
        meta
    } else {
        meta.with_extra(kroonika_engine::conformance::DECIDED_AT, json!(decided_at))
    }
}

/// A fingerprint of a command, to tell a retry (same id, same command) from an
/// id reused for another command. A hash, not the command: the command's input
/// may hold personal data, and metadata is never encrypted.
fn command_hash(command: &Value) -> String {
    kroonika_processes::content_hash(&command.to_string())
}

/// The event an earlier run of this command recorded, if any: a retry with the
/// same id and the same command (answered with the original result), or a
/// refusal when the id was used for another command. `on` names the case.
pub(crate) fn previous_run<'a>(
    events: &'a [RecordedEvent],
    command_id: Uuid,
    command: &Value,
    on: &str,
) -> Result<Option<&'a RecordedEvent>, Rejection> {
    match events.iter().find(|e| e.metadata.command_id == command_id) {
        Some(done) if !same_command(done, command) => Err(Rejection::new(format!(
            "command id {command_id} was already used{on} for a different command"
        ))),
        found => Ok(found),
    }
}

/// Whether an event was recorded for this very command.
fn same_command(event: &RecordedEvent, command: &Value) -> bool {
    event
        .metadata
        .extra
        .get("command_hash")
        .and_then(Value::as_str)
        == Some(command_hash(command).as_str())
}

pub(crate) fn events_to_new(
    events: &[CaseEvent],
    metadata: &Metadata,
) -> Result<Vec<NewEvent>, Rejection> {
    events
        .iter()
        .map(|e| {
            NewEvent::new(Uuid::now_v7(), e.event_type(), &e.data(), metadata.clone())
                .map_err(|err| Rejection::new(err.to_string()))
        })
        .collect()
}

async fn open(
    cli: &Cli,
    store: &Store,
    process: &str,
    args: &CommandArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let actor = acting(cli, store).await?;
    let mut desk = Desk::load(store).await?.with_master(cli, store).await?;
    let now = Utc::now();
    let act = Act {
        actor: &actor,
        now,
        occurred_at: occurred_at(args, now)?,
        command_id: args.command_id,
    };
    let input = read_input(args)?;
    let command = json!({ "open": process, "input": input_json(&input) });
    match desk.open(store, act, process, &input, &command).await? {
        Opened::New { reference, case_id } => writeln!(out, "opened {reference} (case {case_id})")?,
        Opened::Already { reference, case_id } => {
            writeln!(out, "already opened: {reference} (case {case_id})")?
        }
    }
    Ok(())
}

async fn change(
    cli: &Cli,
    store: &Store,
    target: &str,
    change: Change<'_>,
    expect_version: Option<u64>,
    args: &CommandArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let actor = acting(cli, store).await?;
    let mut desk = Desk::load(store).await?.with_master(cli, store).await?;
    let (id, _) = resolve(store, target).await?;
    let now = Utc::now();
    let act = Act {
        actor: &actor,
        now,
        occurred_at: occurred_at(args, now)?,
        command_id: args.command_id,
    };
    let input = read_input(args)?;
    let command = match change {
        Change::Take(t) => json!({ "do": t, "input": input_json(&input) }),
        Change::Task(t) => json!({ "task": t }),
        Change::Correct(reason) => json!({ "update": input_json(&input), "reason": reason }),
    };
    if matches!(change, Change::Task(_)) && !input.is_empty() {
        return Err(Rejection::new("completing a task takes no --set or --input-file").into());
    }
    let stepped = desk
        .step(store, act, id, change, &input, &command, expect_version)
        .await
        .map_err(|err| match err.downcast_ref::<Rejection>() {
            Some(r) if r.to_string().starts_with("there is no case '") => {
                Rejection::new(format!("there is no case '{target}'")).into()
            }
            _ => err,
        })?;
    match (change, stepped) {
        (_, Stepped::Already { reference, version }) => {
            writeln!(out, "already done: {reference} (version {version})")?
        }
        (_, Stepped::Nothing { reference, version }) => {
            writeln!(out, "{reference}: nothing to do (version {version})")?
        }
        (
            Change::Take(t),
            Stepped::Done {
                reference,
                state,
                version,
            },
        ) => writeln!(out, "{reference}: {t} → {state} (version {version})")?,
        (
            Change::Task(t),
            Stepped::Done {
                reference, version, ..
            },
        ) => writeln!(out, "{reference}: task {t} done (version {version})")?,
        (
            Change::Correct(_),
            Stepped::Done {
                reference, version, ..
            },
        ) => writeln!(out, "{reference}: data corrected (version {version})")?,
    }
    Ok(())
}

/// `--as-of`: an RFC 3339 time, or a date meaning the end of that day (UTC).
pub(crate) fn as_of(text: &str) -> anyhow::Result<DateTime<Utc>> {
    context::parse_time(text, "--as-of", context::END_OF_DAY)
}

#[allow(clippy::too_many_arguments)]
async fn show(
    cli: &Cli,
    store: &Store,
    target: &str,
    at: Option<&str>,
    reveal: Option<&str>,
    format: DocFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let actor = acting(cli, store).await?;
    let desk = Desk::load(store).await?;
    let (id, _) = resolve(store, target).await?;
    let mut history = store.load_stream(&case_stream(id)?).await?;
    if history.is_empty() {
        return Err(Rejection::new(format!("there is no case '{target}'")).into());
    }
    // As of a time: what had been recorded by then, judged at that time.
    let now = match at {
        Some(text) => as_of(text)?,
        None => Utc::now(),
    };
    history.retain(|e| e.recorded_at <= now);
    if history.is_empty() {
        return Err(Rejection::new(format!("case '{target}' was not yet opened at {now}")).into());
    }
    let case = fold(&history)?;
    let (def, version) = definition(store, &case.process, Some(case.version)).await?;
    let cx = case::Context {
        definition: &def,
        version,
        actor: &actor,
        actors: &desk.actors,
        now,
        occurred_at: now,
    };
    let (tasks, steps) = if case.closed {
        (Vec::new(), Vec::new())
    } else {
        (case::tasks(&cx, &case)?, case::availability(&cx, &case)?)
    };
    let data = crate::commands::privacy::shown_data(cli, store, &cx, &case, id, reveal).await?;
    let subjects: Vec<Value> = def
        .subjects
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "id": kroonika_vault::subject_id(id, &s.name),
                "erased": case.erased.contains(&s.name),
            })
        })
        .collect();
    let today = now.date_naive();
    let deadline = case.deadline.as_ref().map(|d| {
        let status = if case.deadline_missed || d.due_on < today {
            "overdue"
        } else if case.deadline_warned || d.warn_on.is_some_and(|w| w <= today) {
            "warned"
        } else {
            "due"
        };
        (d.due_on, status, d.escalate.clone())
    });
    match format {
        DocFormat::Json => {
            let doc = json!({
                "reference": case.reference,
                "case_id": id,
                "process": case.process,
                "version": case.version,
                "case_version": history.len(),
                "state": case.state,
                "since": case.entered_at,
                "closed": case.closed,
                "outcome": case.outcome,
                "data": data,
                "subjects": subjects,
                "legal_hold": case.hold,
                "tasks": tasks.iter().map(|(id, title, done, required)| json!({"id": id, "title": title, "done": done, "required": required})).collect::<Vec<_>>(),
                "deadline": deadline.as_ref().map(|(due, status, escalate)| json!({"due_on": due, "status": status, "escalate": escalate})),
                "transitions": steps.iter().map(|(name, reason)| json!({"name": name, "available": reason.is_none(), "reason": reason})).collect::<Vec<_>>(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        DocFormat::Table => {
            let since = case
                .entered_at
                .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let mut rows = vec![
                ("case", format!("{} ({id})", case.reference)),
                (
                    "process",
                    format!("{} version {}", case.process, case.version),
                ),
                ("state", format!("{} since {since}", case.state)),
            ];
            if let Some(outcome) = &case.outcome {
                rows.push(("outcome", outcome.clone()));
            }
            if let Some((due, status, escalate)) = &deadline {
                let to = escalate
                    .as_ref()
                    .map(|r| format!(", escalates to {r}"))
                    .unwrap_or_default();
                rows.push(("deadline", format!("{due} ({status}{to})")));
            }
            if let Some(hold) = &case.hold {
                rows.push(("legal hold", hold.clone()));
            }
            writeln!(out, "{}", output::key_values(&rows))?;
            let data: Vec<(&str, String)> =
                data.iter().map(|(k, v)| (k.as_str(), shown(v))).collect();
            if !data.is_empty() {
                writeln!(out, "\ndata")?;
                writeln!(out, "{}", output::key_values(&data))?;
            }
            if !def.subjects.is_empty() {
                writeln!(out, "\ndata subjects")?;
                let rows: Vec<(&str, String)> = def
                    .subjects
                    .iter()
                    .map(|s| {
                        let erased = if case.erased.contains(&s.name) {
                            " (erased)"
                        } else {
                            ""
                        };
                        (
                            s.name.as_str(),
                            format!("{}{erased}", kroonika_vault::subject_id(id, &s.name)),
                        )
                    })
                    .collect();
                writeln!(out, "{}", output::key_values(&rows))?;
            }
            if !tasks.is_empty() {
                writeln!(out, "\ntasks")?;
                let rows: Vec<(&str, String)> = tasks
                    .iter()
                    .map(|(id, title, done, required)| {
                        let mark = match (done, required) {
                            (true, _) => "done",
                            (false, true) => "required",
                            (false, false) => "not required",
                        };
                        (id.as_str(), format!("{mark}: {title}"))
                    })
                    .collect();
                writeln!(out, "{}", output::key_values(&rows))?;
            }
            if !steps.is_empty() {
                writeln!(out, "\nyou can")?;
                let rows: Vec<(&str, String)> = steps
                    .iter()
                    .map(|(name, reason)| {
                        (
                            name.as_str(),
                            reason
                                .as_ref()
                                .map_or("available".to_owned(), |r| format!("not now: {r}")),
                        )
                    })
                    .collect();
                writeln!(out, "{}", output::key_values(&rows))?;
            }
        }
    }
    Ok(())
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

async fn history(
    store: &Store,
    target: &str,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let (id, _) = resolve(store, target).await?;
    let events = store.load_stream(&case_stream(id)?).await?;
    if events.is_empty() {
        return Err(Rejection::new(format!("there is no case '{target}'")).into());
    }
    match format {
        Format::Json => {
            for event in &events {
                writeln!(out, "{}", output::event_json(event))?;
            }
        }
        Format::Table | Format::Csv => {
            let mut table = output::table(&["ver", "occurred (UTC)", "actor", "what"]);
            for event in &events {
                let what = CaseEvent::from_parts(&event.event_type, event.data.as_str())
                    .map_or_else(|_| event.event_type.clone(), |e| describe(&e));
                table.add_row([
                    (event.revision + 1).to_string(),
                    event
                        .metadata
                        .occurred_at
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    event.metadata.actor.clone(),
                    what,
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    Ok(())
}

pub(crate) fn describe(event: &CaseEvent) -> String {
    match event {
        CaseEvent::CaseOpened {
            reference, state, ..
        } => format!("opened {reference} in {state}"),
        CaseEvent::TransitionTaken {
            transition,
            from,
            to,
            ..
        } if from == to => format!("{transition} (stays in {to})"),
        CaseEvent::TransitionTaken { transition, to, .. } => format!("{transition} → {to}"),
        CaseEvent::TaskCompleted { task, .. } => format!("task {task} done"),
        CaseEvent::CaseMigrated {
            from_version,
            to_version,
            from_state,
            to_state,
            ..
        } if from_state == to_state => {
            format!("migrated from version {from_version} to {to_version}")
        }
        CaseEvent::CaseMigrated {
            from_version,
            to_version,
            to_state,
            ..
        } => {
            format!("migrated from version {from_version} to {to_version}, now in {to_state}")
        }
        CaseEvent::DeadlineWarned { state, due_on } => {
            format!("warned: the deadline of {state} is {due_on}")
        }
        CaseEvent::DeadlineMissed {
            state,
            due_on,
            escalate,
        } => match escalate {
            Some(role) => format!("deadline of {state} missed ({due_on}); overdue for {role}"),
            None => format!("deadline of {state} missed ({due_on})"),
        },
        CaseEvent::CaseDataCorrected { data, reason } => {
            let fields: Vec<&str> = data.keys().map(String::as_str).collect();
            format!("corrected {} ({reason})", fields.join(", "))
        }
        CaseEvent::SubjectErased {
            subject, reason, ..
        } => format!("erased the personal data of {subject} ({reason})"),
        CaseEvent::LegalHoldPlaced { reason } => format!("legal hold placed ({reason})"),
        CaseEvent::LegalHoldReleased { reason } if reason.is_empty() => {
            "legal hold released".to_owned()
        }
        CaseEvent::LegalHoldReleased { reason } => format!("legal hold released ({reason})"),
    }
}

/// The case's wake-up after `new` events: set to its next deadline moment, or
/// cleared when there is none (closed, no deadline, already overdue).
pub(crate) fn wake_after(case: &Case, new: &[CaseEvent]) -> Timer {
    let mut after = case.clone();
    let base = case.revision.map_or(0, |r| r + 1);
    for (i, event) in new.iter().enumerate() {
        after.evolve(event, Utc::now(), base + i as u64);
    }
    // The stored wake-up always equals the case's `next_wake` (every append
    // writes it), so an unchanged one needs no write.
    match after.next_wake() {
        wake if wake == case.next_wake() && case.revision.is_some() => Timer::Keep,
        Some(at) => Timer::Set(at),
        None => Timer::Clear,
    }
}

/// `--map OLD=NEW` pairs.
fn state_map(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
                .ok_or_else(|| {
                    Rejection::new(format!("--map takes OLD_STATE=NEW_STATE, got '{pair}'")).into()
                })
        })
        .collect()
}

async fn migrate(
    cli: &Cli,
    store: &Store,
    target: &str,
    to_version: u32,
    map: &[String],
    args: &CommandArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let actor = acting(cli, store).await?;
    let desk = Desk::load(store).await?;
    let (id, _) = resolve(store, target).await?;
    let stream = case_stream(id)?;
    let map = state_map(map)?;
    let history = store.load_stream(&stream).await?;
    if history.is_empty() {
        return Err(Rejection::new(format!("there is no case '{target}'")).into());
    }
    let process = fold(&history)?.process;
    let (def, version) = definition(store, &process, Some(to_version)).await?;
    let now = Utc::now();
    let at = occurred_at(args, now)?;
    let command_id = args.command_id.unwrap_or_else(Uuid::now_v7);
    let command = json!({ "migrate": to_version, "map": map });
    let master = crate::secrets::master(cli, store).await?;
    let ring = crate::secrets::existing_keyring(store, master.as_ref(), id).await?;
    store
        .execute_scheduled(&stream, |events| {
            let mut case = fold(events).map_err(|err| Rejection::new(format!("{err:#}")))?;
            if let Some(ring) = &ring {
                crate::secrets::open_data(ring, id, &mut case.data);
            }
            let cx = case::Context {
                definition: &def,
                version,
                actor: &actor,
                actors: &desk.actors,
                now,
                occurred_at: at,
            };
            let decided = case::migrate(&cx, &case, &map)?;
            let meta = metadata(
                &actor.name,
                command_id,
                at,
                now,
                &format!("{}@{version}", def.id),
                &command,
            );
            Ok((events_to_new(&decided, &meta)?, wake_after(&case, &decided)))
        })
        .await
        .map_err(lift)?;
    let after = fold(&store.load_stream(&stream).await?)?;
    writeln!(
        out,
        "{}: now on version {} in state {}",
        after.reference, after.version, after.state
    )?;
    Ok(())
}

pub(crate) async fn migrations(
    cli: &Cli,
    process: &str,
    to_version: u32,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let (def, version) = definition(&store, process, Some(to_version)).await?;
    let master = crate::secrets::master(cli, &store).await?;
    let mut rows = Vec::new();
    for (id, mut case) in all_cases(&store).await? {
        if case.process != process || case.closed || case.version >= version {
            continue;
        }
        if let Some(ring) = crate::secrets::existing_keyring(&store, master.as_ref(), id).await? {
            crate::secrets::open_data(&ring, id, &mut case.data);
        }
        let (verdict, detail) = match case::migration_target(&case, &def, version, &BTreeMap::new())
        {
            Ok(state) => ("automatic", format!("stays in {state}")),
            Err(case::Migration::NeedsMapping(why)) => ("needs mapping", why),
            Err(case::Migration::Impossible(why)) => ("cannot", why),
        };
        rows.push((case.reference, case.version, case.state, verdict, detail));
    }
    match format {
        Format::Json => {
            for (reference, from, state, verdict, detail) in &rows {
                writeln!(
                    out,
                    "{}",
                    json!({ "case": reference, "version": from, "state": state, "verdict": verdict, "detail": detail })
                )?;
            }
        }
        Format::Table | Format::Csv => {
            if rows.is_empty() && format == Format::Table {
                writeln!(
                    out,
                    "no open case of '{process}' is on a version before {version}"
                )?;
            } else {
                let mut table = output::table(&["case", "version", "state", "verdict", "why"]);
                for (reference, from, state, verdict, detail) in rows {
                    table.add_row([
                        reference,
                        from.to_string(),
                        state,
                        verdict.to_owned(),
                        detail,
                    ]);
                }
                writeln!(out, "{}", output::render(&table, format))?;
            }
        }
    }
    store.close().await;
    Ok(())
}

/// `timers run`: every due wake-up, each handled once even when several runners
/// race (the exact expected revision makes the second a no-op on re-decision).
pub(crate) async fn run_timers(
    cli: &Cli,
    now: Option<&str>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let now = match now {
        None => Utc::now(),
        Some(text) => context::parse_time(text, "--now", context::NOON)?,
    };
    let handled = fire_due(&store, now, out).await?;
    writeln!(
        out,
        "handled {handled} due deadline(s) as of {}",
        now.format("%Y-%m-%d %H:%M UTC")
    )?;
    store.close().await;
    Ok(())
}

/// Handles every deadline due at `now`, as the system; says what it did on
/// `out`, one line per case. Returns how many cases it acted on.
pub(crate) async fn fire_due(
    store: &Store,
    now: DateTime<Utc>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<usize> {
    const PAGE: usize = 500;
    let system = Actor {
        name: actors::SYSTEM.to_owned(),
        roles: Default::default(),
    };
    let directory = BTreeMap::new();
    let mut definitions: BTreeMap<(String, u32), ProcessDefinition> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut handled = 0usize;
    loop {
        let due = store.due_timers(now, PAGE + seen.len()).await?;
        let fresh: Vec<StreamName> = due
            .into_iter()
            .map(|(s, _)| s)
            .filter(|s| !seen.contains(s))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for stream in fresh {
            seen.insert(stream.clone());
            let first = fold(&store.load_stream(&stream).await?)?;
            let key = (first.process.clone(), first.version);
            if !definitions.contains_key(&key) {
                let (def, _) = definition(store, &first.process, Some(first.version)).await?;
                definitions.insert(key.clone(), def);
            }
            let def = &definitions[&key];
            let command_id = Uuid::now_v7();
            let mut decided_events = Vec::new();
            let result = store
                .execute_scheduled(&stream, |events| {
                    let case = fold(events).map_err(|err| Rejection::new(format!("{err:#}")))?;
                    if case.version != first.version {
                        return Err(Rejection::new(
                            "the case moved to another version meanwhile; run again",
                        ));
                    }
                    let cx = case::Context {
                        definition: def,
                        version: case.version,
                        actor: &system,
                        actors: &directory,
                        now,
                        occurred_at: now,
                    };
                    let decided = case::on_timer(&cx, &case)?;
                    let meta = metadata(
                        actors::SYSTEM,
                        command_id,
                        now,
                        now,
                        &format!("{}@{}", def.id, case.version),
                        &json!({ "timer": now }),
                    );
                    let timer = wake_after(&case, &decided);
                    decided_events.clone_from(&decided);
                    Ok((events_to_new(&decided, &meta)?, timer))
                })
                .await;
            match result {
                Ok(Some(_)) => {
                    handled += 1;
                    for event in &decided_events {
                        writeln!(out, "{}: {}", first.reference, describe(event))?;
                    }
                }
                Ok(None) => {}
                Err(err) => writeln!(
                    out,
                    "{}: not handled: {}",
                    first.reference,
                    crate::exit::describe(&lift(err))
                )?,
            }
        }
    }
    Ok(handled)
}
