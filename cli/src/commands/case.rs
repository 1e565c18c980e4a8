//! `kroonika case open|do|task|notice|document|note|update|migrate|show|hold|release|history|list|mine|find|reindex`:
//! what the user typed, to one call of the application, to what it prints.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context as _;
use kroonika_app::cases::view;
use kroonika_app::cases::view::{CaseFilter, CaseView};
use kroonika_app::labels::Labels;
use kroonika_app::{App, CaseCommand, Day, Input, Outcome};
use kroonika_engine::case::{RawInput, RawValue};
use kroonika_engine::{Code, Rejection};
use serde_json::Value;

use crate::args::{CaseCommand as Args, Cli, CommandArgs, DocFormat, Format};
use crate::context;
use crate::{output, words};

pub(crate) async fn run(
    cli: &Cli,
    path: &str,
    command: &Args,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let with_key = !matches!(
        command,
        Args::List { .. } | Args::History { reveal: false, .. } | Args::Mine { .. }
    );
    context::with_app(cli, with_key, async |app| {
        run_on(app, cli, path, command, out).await
    })
    .await
}

async fn run_on(
    app: &App,
    cli: &Cli,
    path: &str,
    command: &Args,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match command {
        Args::Open { process, command } => {
            let request = context::command_request(cli, path, command)?;
            let input = read_input(command)?;
            let open = CaseCommand::Open {
                open: process.clone(),
                input,
            };
            match app.execute(&request, None, open).await? {
                Outcome::AlreadyOpened {
                    reference, case_id, ..
                } => writeln!(out, "already opened: {reference} (case {case_id})")?,
                Outcome::Opened {
                    reference, case_id, ..
                } => writeln!(out, "opened {reference} (case {case_id})")?,
                other => writeln!(out, "{}", other.reference())?,
            }
        }
        Args::Do {
            case,
            transition,
            expect_version,
            command,
        } => {
            let mut request = context::command_request(cli, path, command)?;
            request.expected_version = *expect_version;
            let take = CaseCommand::Take {
                step: transition.clone(),
                input: read_input(command)?,
            };
            let outcome = app.execute(&request, Some(case), take).await?;
            said(
                &outcome,
                |reference, state, version| {
                    format!("{reference}: {transition} → {state} (version {version})")
                },
                out,
            )?;
        }
        Args::Task {
            case,
            task,
            undo,
            reason,
            command,
        } => {
            let request = context::command_request(cli, path, command)?;
            if !read_input(command)?.is_empty() {
                return Err(kroonika_app::Error::Rejected(Rejection::new(
                    Code::InvalidInput,
                    "completing a task takes no --set or --input-file",
                ))
                .into());
            }
            let command = match (undo, reason) {
                (true, Some(reason)) => CaseCommand::Untick {
                    untick: task.clone(),
                    reason: reason.clone(),
                },
                _ => CaseCommand::Task { task: task.clone() },
            };
            let outcome = app.execute(&request, Some(case), command).await?;
            let done = if *undo { "undone" } else { "done" };
            said(
                &outcome,
                |reference, _, version| {
                    format!("{reference}: task {task} {done} (version {version})")
                },
                out,
            )?;
        }
        Args::Notice {
            case,
            notice,
            sent_on,
            reference,
            command,
        } => {
            let request = context::command_request(cli, path, command)?;
            if !read_input(command)?.is_empty() {
                return Err(invalid(
                    "recording a notice sent takes --sent-on and --reference, not --set or --input-file"
                        .to_owned(),
                ));
            }
            let command = CaseCommand::Notice {
                notice: notice.clone(),
                sent_on: *sent_on,
                reference: reference.clone(),
            };
            let outcome = app.execute(&request, Some(case), command).await?;
            said(
                &outcome,
                |reference, _, version| {
                    format!("{reference}: notice {notice} recorded sent (version {version})")
                },
                out,
            )?;
        }
        Args::Document {
            case,
            document,
            language,
            to,
            out: file,
            command,
        } => {
            let request = context::command_request(cli, path, command)?;
            if !read_input(command)?.is_empty() {
                return Err(invalid(
                    "a document takes --language and --to, not --set or --input-file".to_owned(),
                ));
            }
            let ask = kroonika_app::DocumentAsk {
                document: document.clone(),
                language: language.clone(),
                to: to.clone(),
            };
            // The file is made before anything is produced, so that a path
            // that cannot be written records no production.
            let partial = match file {
                None => None,
                Some(file) => Some(
                    Partial::create(file).with_context(|| format!("writing {}", file.display()))?,
                ),
            };
            let produced = app.produce_document(&request, case, &ask).await?;
            match (file, partial) {
                (Some(file), Some(partial)) => {
                    partial
                        .finish(produced.html.as_bytes())
                        .with_context(|| format!("writing {}", file.display()))?;
                    writeln!(
                        out,
                        "{}: {} ({}) written to {}",
                        produced.reference,
                        produced.document,
                        produced.language,
                        file.display()
                    )?;
                }
                _ => out.write_all(produced.html.as_bytes())?,
            }
        }
        Args::Note {
            case,
            text,
            command,
        } => {
            let request = context::command_request(cli, path, command)?;
            if !read_input(command)?.is_empty() {
                return Err(invalid(
                    "a note takes its text, not --set or --input-file".to_owned(),
                ));
            }
            let note = match text {
                Some(text) => text.clone(),
                None => {
                    // Bounded: past the application's limit it is refused anyway,
                    // and an endless pipe must not fill the memory first.
                    let mut text = String::new();
                    std::io::Read::read_to_string(
                        &mut std::io::Read::take(std::io::stdin(), 1 << 20),
                        &mut text,
                    )
                    .map_err(|err| {
                        invalid(format!(
                            "the note cannot be read from standard input: {err}"
                        ))
                    })?;
                    text
                }
            };
            let outcome = app
                .execute(&request, Some(case), CaseCommand::Note { note })
                .await?;
            said(
                &outcome,
                |reference, _, version| format!("{reference}: note added (version {version})"),
                out,
            )?;
        }
        Args::Update {
            case,
            reason,
            request: answers,
            command,
        } => {
            let request = context::command_request(cli, path, command)?;
            let correct = CaseCommand::Correct {
                update: read_input(command)?,
                reason: reason.clone(),
                request: answers.clone(),
            };
            let outcome = app.execute(&request, Some(case), correct).await?;
            said(
                &outcome,
                |reference, _, version| format!("{reference}: data corrected (version {version})"),
                out,
            )?;
        }
        Args::Migrate {
            case,
            to_version,
            map,
            command,
        } => {
            let request = context::command_request(cli, path, command)?;
            let migrate = CaseCommand::Migrate {
                migrate: *to_version,
                map: state_map(map)?,
            };
            let outcome = app.execute(&request, Some(case), migrate).await?;
            said(
                &outcome,
                |reference, state, _| {
                    format!("{reference}: now on version {to_version} in state {state}")
                },
                out,
            )?;
        }
        Args::Show {
            case,
            as_of,
            reveal,
            purpose,
            format,
        } => {
            let shown = if *reveal {
                format!("{path} --reveal")
            } else {
                path.to_owned()
            };
            let request = context::request(cli, &shown)?;
            let as_of = context::time(as_of.as_deref(), "--as-of", Day::End)?;
            let reveal = reveal.then(|| purpose.as_deref().unwrap_or_default());
            let view = app.show_case(&request, case, as_of, reveal).await?;
            let lang = cli.chosen_language();
            let labels = match lang {
                Some(lang) => {
                    let (def, _) = app.definition(&view.process, Some(view.version)).await?;
                    let partners = app.partner_list().await?.map(|(_, list)| list);
                    Some(Labels::of(&def, Some(&view.state), lang).with_partners(
                        &def,
                        partners.as_deref(),
                        lang,
                    ))
                }
                None => None,
            };
            show(&view, labels.as_ref(), lang, *format, out)?;
        }
        Args::Hold { case, reason } | Args::Release { case, reason } => {
            let place = matches!(command, Args::Hold { .. });
            let request = context::request(cli, path)?;
            let outcome = app.hold(&request, case, place, reason).await?;
            let done = matches!(outcome, Outcome::Done { .. });
            let said = match (place, done) {
                (true, true) => "legal hold placed: nothing of it is erased until it is released",
                (true, false) => "is under a legal hold already",
                (false, true) => "legal hold released",
                (false, false) => "has no legal hold",
            };
            writeln!(out, "{}: {said}", outcome.reference())?;
        }
        Args::History {
            case,
            reveal: _,
            purpose,
            format,
        } => {
            let events = app
                .case_history(&context::reader(cli, "case history"), case)
                .await?;
            let notes = match purpose {
                Some(purpose) => {
                    app.note_texts(&context::request(cli, path)?, case, purpose)
                        .await?
                }
                None => BTreeMap::new(),
            };
            match format {
                Format::Json => {
                    for event in &events {
                        let mut json = kroonika_app::log::event_json(event);
                        // Revealed: the note's text beside its sealed form.
                        if let Some(text) = notes.get(&event.position) {
                            json["note_text"] = serde_json::json!(text);
                        }
                        writeln!(out, "{json}")?;
                    }
                }
                Format::Table | Format::Csv => {
                    let mut table = output::table(&["ver", "occurred (UTC)", "actor", "what"]);
                    for event in &events {
                        table.add_row([
                            (event.revision + 1).to_string(),
                            event
                                .metadata
                                .occurred_at
                                .format("%Y-%m-%d %H:%M")
                                .to_string(),
                            event.metadata.actor.clone(),
                            match notes.get(&event.position) {
                                Some(Some(text)) => format!("note: {text}"),
                                Some(None) => "note: [erased]".to_owned(),
                                None => view::describe_recorded(event),
                            },
                        ]);
                    }
                    writeln!(out, "{}", output::render(&table, *format))?;
                }
            }
        }
        Args::Mine { format } => {
            let items = app.my_work(&context::request(cli, path)?).await?;
            mine(&items, *format, out)?;
        }
        Args::Find {
            name,
            phone,
            purpose,
            format,
        } => {
            let query = kroonika_app::search::FindQuery {
                name: name.clone(),
                phone: phone.clone(),
            };
            let found = app
                .find_cases(&context::request(cli, path)?, &query, purpose)
                .await?;
            found_cases(&found, *format, out)?;
        }
        Args::Reindex => {
            let done = app.reindex(&context::reader(cli, path)).await?;
            writeln!(
                out,
                "search index rebuilt: {} case(s), {} token(s)",
                done.cases, done.entries
            )?;
        }
        Args::List {
            process,
            state,
            assigned_to,
            overdue,
            outcome,
            open,
            closed,
            as_of,
            format,
        } => {
            let filter = CaseFilter {
                process: process.clone(),
                state: state.clone(),
                assigned_to: assigned_to.clone(),
                overdue: *overdue,
                outcome: outcome.clone(),
                open: *open,
                closed: *closed,
                as_of: context::time(as_of.as_deref(), "--as-of", Day::End)?,
            };
            let list = app
                .list_cases(&context::reader(cli, "case list"), &filter)
                .await?;
            list_cases(&list, *format, out)?;
        }
    }
    Ok(())
}

/// What a step came to, in words: `done` says a recorded step.
fn said(
    outcome: &Outcome,
    done: impl Fn(&str, &str, u64) -> String,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match outcome {
        Outcome::Already {
            reference, version, ..
        } => writeln!(out, "already done: {reference} (version {version})")?,
        Outcome::Nothing {
            reference, version, ..
        } => writeln!(out, "{reference}: nothing to do (version {version})")?,
        Outcome::Done {
            reference,
            state,
            version,
            ..
        } => writeln!(out, "{}", done(reference, state, *version))?,
        Outcome::Opened { reference, .. } | Outcome::AlreadyOpened { reference, .. } => {
            writeln!(out, "{reference}")?
        }
    }
    Ok(())
}

/// `--set` and `--input-file` into the command's input.
fn read_input(args: &CommandArgs) -> anyhow::Result<Input> {
    let mut input: RawInput = BTreeMap::new();
    if let Some(path) = &args.input_file {
        let text = context::read_file(path)?;
        let value: Value = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?
        } else {
            serde_saphyr::from_str(&text)
                .map_err(|err| anyhow::anyhow!("{} is not valid YAML: {err}", path.display()))?
        };
        let Value::Object(map) = value else {
            return Err(invalid(format!(
                "{} must hold a map of field names to values",
                path.display()
            )));
        };
        for (name, value) in map {
            input.insert(name, RawValue::Json(value));
        }
    }
    for set in &args.set {
        let Some((name, value)) = set.split_once('=') else {
            return Err(invalid(format!("--set takes FIELD=VALUE, got '{set}'")));
        };
        match input
            .entry(name.trim().to_owned())
            .or_insert_with(|| RawValue::Text(Vec::new()))
        {
            RawValue::Text(values) => values.push(value.to_owned()),
            RawValue::Json(_) | RawValue::Sealed(_) => {
                return Err(invalid(format!(
                    "'{name}' is given both in the input file and with --set"
                )));
            }
        }
    }
    Ok(Input(input))
}

/// A refusal of what was typed.
fn invalid(reason: String) -> anyhow::Error {
    kroonika_app::Error::Rejected(Rejection::new(Code::InvalidInput, reason)).into()
}

/// `--map OLD=NEW` pairs.
fn state_map(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
                .ok_or_else(|| invalid(format!("--map takes OLD_STATE=NEW_STATE, got '{pair}'")))
        })
        .collect()
}

/// `labels`: the definition's words in the language asked for (`lang`);
/// None shows ids, as commands take them.
fn show(
    view: &CaseView,
    labels: Option<&Labels>,
    lang: Option<&str>,
    format: DocFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let w = |english: &'static str| words::word(lang, english);
    match format {
        DocFormat::Json => {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&serde_json::to_value(view)?)?
            )?;
        }
        DocFormat::Table => {
            let since = view
                .since
                .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let process = match labels {
                Some(l) => format!(
                    "{} ({} {} {})",
                    l.process,
                    view.process,
                    w("version"),
                    view.version
                ),
                None => format!("{} version {}", view.process, view.version),
            };
            let state = labels.map_or(view.state.as_str(), |l| l.state(&view.state));
            let mut rows = vec![
                (w("case"), format!("{} ({})", view.reference, view.case_id)),
                (w("process"), process),
                (w("state"), format!("{state} {} {since}", w("since"))),
            ];
            let guidance = match labels {
                Some(l) => l.guidance.get(&view.state).cloned(),
                None => view.guidance.clone(),
            };
            if let Some(guidance) = guidance {
                rows.push((w("guidance"), guidance.trim().to_owned()));
            }
            if let Some(outcome) = &view.outcome {
                let outcome = labels
                    .and_then(|l| l.outcomes.get(outcome))
                    .unwrap_or(outcome);
                rows.push((w("outcome"), outcome.clone()));
            }
            if let Some(deadline) = &view.deadline {
                let to = deadline
                    .escalate
                    .as_ref()
                    .map(|r| format!(", {} {r}", w("escalates to")))
                    .unwrap_or_default();
                let left = match (deadline.working_days_left, lang) {
                    (0, _) => w("due today").to_owned(),
                    (1, None) => "1 working day left".to_owned(),
                    (-1, None) => "1 working day late".to_owned(),
                    (n, _) if n > 0 => format!("{n} {}", w("working days left")),
                    (n, _) => format!("{} {}", -n, w("working days late")),
                };
                rows.push((
                    w("deadline"),
                    format!(
                        "{} ({}, {left}{to})",
                        deadline.due_on,
                        w(deadline.status.as_str())
                    ),
                ));
            }
            for notice in &view.notices {
                let title = labels.map_or(notice.notice.as_str(), |l| l.notice(&notice.notice));
                let to = notice
                    .to
                    .as_ref()
                    .map(|partner| format!(" → {partner}"))
                    .unwrap_or_default();
                rows.push((
                    w("notice due"),
                    format!(
                        "{title}{to}: {} ({}; case notice {} {})",
                        notice.due_on,
                        w(notice.status.as_str()),
                        view.reference,
                        notice.notice
                    ),
                ));
            }
            if let Some(hold) = &view.legal_hold {
                rows.push((w("legal hold"), hold.clone()));
            }
            writeln!(out, "{}", output::key_values(&rows))?;
            let data: Vec<(&str, String)> = match labels {
                Some(l) => {
                    // In the definition's order, with its words.
                    let mut names: Vec<&String> = l
                        .field_order
                        .iter()
                        .filter(|f| view.data.contains_key(*f))
                        .collect();
                    names.extend(view.data.keys().filter(|k| !l.field_order.contains(k)));
                    names
                        .into_iter()
                        .map(|name| (l.field(name), worded(l, lang, name, &view.data[name])))
                        .collect()
                }
                None => view
                    .data
                    .iter()
                    .map(|(k, v)| (k.as_str(), shown(v)))
                    .collect(),
            };
            if !data.is_empty() {
                writeln!(out, "\n{}", w("data"))?;
                writeln!(out, "{}", output::key_values(&data))?;
            }
            if !view.subjects.is_empty() {
                writeln!(out, "\n{}", w("data subjects"))?;
                let rows: Vec<(&str, String)> = view
                    .subjects
                    .iter()
                    .map(|s| {
                        let erased = if s.erased { " (erased)" } else { "" };
                        let name = labels
                            .and_then(|l| l.subjects.get(&s.name))
                            .map_or(s.name.as_str(), String::as_str);
                        (name, format!("{}{erased}", s.id))
                    })
                    .collect();
                writeln!(out, "{}", output::key_values(&rows))?;
            }
            if !view.tasks.is_empty() {
                writeln!(out, "\n{}", w("tasks"))?;
                let rows: Vec<(&str, String)> = view
                    .tasks
                    .iter()
                    .map(|task| {
                        let mark = match (task.done, task.required) {
                            (true, _) => w("done"),
                            (false, true) => w("required"),
                            (false, false) => w("not required"),
                        };
                        let title = labels.map_or(task.title.as_str(), |l| l.task(&task.id));
                        (task.id.as_str(), format!("{mark}: {title}"))
                    })
                    .collect();
                writeln!(out, "{}", output::key_values(&rows))?;
                if view.may_tick && view.tasks.iter().any(|t| !t.done) {
                    writeln!(
                        out,
                        "  tick one: kroonika case task {} TASK",
                        view.reference
                    )?;
                }
            }
            if !view.notes.is_empty() {
                writeln!(out, "\n{}", w("notes"))?;
                let rows: Vec<(String, String)> = view
                    .notes
                    .iter()
                    .map(|note| {
                        let text = match (&note.text, note.erased) {
                            (Some(text), _) => text.clone(),
                            (None, true) => "[erased]".to_owned(),
                            (None, false) => "[hidden: --reveal --purpose … to read]".to_owned(),
                        };
                        (
                            format!("{} {}", note.at.format("%Y-%m-%d %H:%M"), note.by),
                            text,
                        )
                    })
                    .collect();
                let rows: Vec<(&str, String)> =
                    rows.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                writeln!(out, "{}", output::key_values(&rows))?;
            }
            steps(view, labels, lang, out)?;
        }
    }
    Ok(())
}

/// The steps the reader can take now, each with the command that takes it
/// and its inputs; then the others, with why not.
fn steps(
    view: &CaseView,
    labels: Option<&Labels>,
    lang: Option<&str>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let w = |english: &'static str| words::word(lang, english);
    let (now, later): (Vec<_>, Vec<_>) = view.transitions.iter().partition(|s| s.available);
    let width = view
        .transitions
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    if !now.is_empty() {
        writeln!(out, "\n{}", w("you can now"))?;
        for step in now {
            let mut command = format!("kroonika case do {} {}", view.reference, step.name);
            for input in step.inputs.iter().filter(|i| i.required) {
                command.push_str(&format!(" --set {}={}", input.name, placeholder(input)));
            }
            let goes = step.to.as_ref().map_or(w("(stays)").to_owned(), |to| {
                format!("→ {}", labels.map_or(to.as_str(), |l| l.state(to)))
            });
            match labels {
                Some(l) => {
                    writeln!(out, "  {:<width$}  {}", step.name, l.step(&step.name))?;
                    writeln!(out, "  {:<width$}  {goes}: {command}", "")?;
                }
                None => writeln!(out, "  {:<width$}  {goes}: {command}", step.name)?,
            }
            let described: Vec<String> = step.inputs.iter().map(describe_input).collect();
            if !described.is_empty() {
                writeln!(
                    out,
                    "  {:<width$}  {}: {}",
                    "",
                    w("inputs"),
                    described.join("; ")
                )?;
            }
        }
    }
    if !later.is_empty() {
        writeln!(out, "\n{}", w("not now"))?;
        for step in later {
            let why = match labels {
                // The step's rule's own message in the language (as the web
                // page shows it); else why, in English.
                Some(l) => l
                    .messages
                    .get(&step.name)
                    .cloned()
                    .or_else(|| step.reason.clone())
                    .unwrap_or_default(),
                None => step.reason.clone().unwrap_or_default(),
            };
            writeln!(out, "  {:<width$}  {why}", step.name)?;
        }
    }
    Ok(())
}

/// What to type for an input on the command line.
fn placeholder(input: &kroonika_app::cases::view::InputView) -> String {
    match input.kind.as_str() {
        "enum" if input.values.len() <= 4 => input.values.join("|"),
        "enum" => format!("{}|…", input.values[..3].join("|")),
        "boolean" => "yes|no".to_owned(),
        "date" => "YYYY-MM-DD".to_owned(),
        "datetime" => "YYYY-MM-DDTHH:MM:SS+02:00".to_owned(),
        "integer" | "number" => "N".to_owned(),
        "actors" | "list" => "NAME,NAME".to_owned(),
        "people" => format!(
            "'{{\"role\": \"{}\", \"name\": \"…\"}}'",
            input.values.first().map_or("…", String::as_str)
        ),
        "party" => "ID".to_owned(),
        "parties" => "ID,ID".to_owned(),
        _ => "'…'".to_owned(),
    }
}

/// An input in words: its type and bounds, required or optional.
fn describe_input(input: &kroonika_app::cases::view::InputView) -> String {
    let mut kind = match input.kind.as_str() {
        "enum" => format!("one of {}", input.values.join(", ")),
        "actors" => format!(
            "names of actors with role {}",
            input.role.as_deref().unwrap_or("?")
        ),
        "people" => format!(
            "people as JSON: role ({}), name, contact, minor, represents; each a data subject",
            input.values.join(", ")
        ),
        "party" | "parties" => format!(
            "ids of people listed in {}",
            input.people.as_deref().unwrap_or("?")
        ),
        other => other.to_owned(),
    };
    match (input.min, input.max) {
        (Some(min), Some(max)) => {
            kind.push_str(&format!(" {min}–{max}"));
        }
        (Some(min), None) => {
            kind.push_str(&format!(" ≥ {min}"));
        }
        (None, Some(max)) => {
            kind.push_str(&format!(" ≤ {max}"));
        }
        (None, None) => {}
    }
    if input.personal.is_some() {
        kind.push_str(", personal");
    }
    let need = if input.required { "" } else { ", optional" };
    format!("{} ({kind}{need})", input.name)
}

/// A value in the definition's words: an enum's label, yes or no.
fn worded(labels: &Labels, lang: Option<&str>, field: &str, value: &Value) -> String {
    match value {
        Value::String(s) => labels.value(field, s).to_owned(),
        Value::Bool(true) => words::word(lang, "yes").to_owned(),
        Value::Bool(false) => words::word(lang, "no").to_owned(),
        // A list of people: one after another, each by role and number.
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => items
            .iter()
            .map(|v| worded(labels, lang, field, v))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(items) => items
            .iter()
            .map(|v| worded(labels, lang, field, v))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(person) => {
            let mut text = labels.person(field, person);
            let said: Vec<&str> = ["name", "contact"]
                .into_iter()
                .filter_map(|key| person.get(key).and_then(Value::as_str))
                .filter(|v| !v.is_empty())
                .collect();
            if !said.is_empty() {
                text = format!("{text}: {}", said.join(", "));
            }
            if person.get("minor") == Some(&Value::Bool(true)) {
                text.push_str(&format!(" ({})", words::word(lang, "minor")));
            }
            if let Some(whom) = person.get("represents").and_then(Value::as_str) {
                text.push_str(&format!(" ({} {whom})", words::word(lang, "represents")));
            }
            text
        }
        other => other.to_string(),
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            items.iter().map(shown).collect::<Vec<_>>().join("; ")
        }
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        // A person listed: their id and role, then what is known of them.
        Value::Object(person) if person.contains_key("id") => {
            let text = |key: &str| person.get(key).and_then(Value::as_str).unwrap_or_default();
            let mut out = format!("{} {}", text("id"), text("role"));
            let said: Vec<&str> = ["name", "contact"]
                .into_iter()
                .map(text)
                .filter(|v| !v.is_empty())
                .collect();
            if !said.is_empty() {
                out = format!("{out}: {}", said.join(", "));
            }
            if person.get("minor") == Some(&Value::Bool(true)) {
                out.push_str(" (minor)");
            }
            if !text("represents").is_empty() {
                out.push_str(&format!(" (represents {})", text("represents")));
            }
            out
        }
        other => other.to_string(),
    }
}

fn mine(
    items: &[kroonika_app::cases::work::WorkItem],
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    use kroonika_app::cases::work::Urgency;
    match format {
        Format::Json => {
            for item in items {
                writeln!(out, "{}", serde_json::to_string(item)?)?;
            }
        }
        Format::Table | Format::Csv => {
            if items.is_empty() && format == Format::Table {
                writeln!(out, "nothing waits for you")?;
                return Ok(());
            }
            let mut table = output::table(&["case", "state", "deadline", "needs", "you can"]);
            for item in items {
                let deadline = match (item.due_on, item.working_days_left) {
                    (Some(due), Some(0)) => format!("{due} (today)"),
                    (Some(due), Some(left)) if left < 0 => format!("{due} ({} late)", -left),
                    (Some(due), Some(left)) => format!("{due} ({left} left)"),
                    _ => String::new(),
                };
                table.add_row([
                    item.reference.clone(),
                    item.state.clone(),
                    deadline,
                    item.needs
                        .iter()
                        .cloned()
                        .chain(item.notices.iter().map(|n| format!("notice {n}")))
                        .collect::<Vec<_>>()
                        .join(", "),
                    item.steps.join(", "),
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
            if format == Format::Table {
                let late = items
                    .iter()
                    .filter(|i| i.urgency == Urgency::Overdue)
                    .count();
                let soon = items
                    .iter()
                    .filter(|i| i.urgency == Urgency::DueSoon)
                    .count();
                writeln!(
                    out,
                    "{} case(s): {late} overdue, {soon} due within 5 working days; `case show REF` says how",
                    items.len()
                )?;
            }
        }
    }
    Ok(())
}

fn found_cases(
    found: &[kroonika_app::search::FoundCase],
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            for case in found {
                writeln!(out, "{}", serde_json::to_string(case)?)?;
            }
        }
        Format::Table | Format::Csv => {
            if found.is_empty() && format == Format::Table {
                writeln!(
                    out,
                    "no case found that you may see (the search was recorded)"
                )?;
                return Ok(());
            }
            let mut table = output::table(&["case", "process", "state", "matched"]);
            for case in found {
                let state = if case.closed {
                    format!("{} (closed)", case.state)
                } else {
                    case.state.clone()
                };
                table.add_row([
                    case.reference.clone(),
                    case.process.clone(),
                    state,
                    case.subjects.join(", "),
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    Ok(())
}

fn list_cases(
    list: &view::CaseList,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let text = |doc: &Value, field: &str| doc[field].as_str().unwrap_or_default().to_owned();
    match format {
        Format::Json => {
            for doc in &list.cases {
                writeln!(out, "{doc}")?;
            }
        }
        Format::Table | Format::Csv => {
            if list.cases.is_empty() && format == Format::Table {
                writeln!(out, "no cases")?;
                return Ok(());
            }
            let mut table = output::table(&["case", "process", "state", "deadline"]);
            for doc in &list.cases {
                let deadline = match doc["deadline"]["due_on"].as_str() {
                    None if doc["closed"] == Value::Bool(true) => {
                        format!("closed: {}", text(doc, "outcome"))
                    }
                    None => String::new(),
                    Some(due) if list.is_overdue(doc) => match doc["deadline"]["escalate"].as_str()
                    {
                        Some(role) => format!("{due} overdue → {role}"),
                        None => format!("{due} overdue"),
                    },
                    Some(due) => due.to_owned(),
                };
                table.add_row([
                    text(doc, "reference"),
                    format!("{}@{}", text(doc, "process"), doc["version"]),
                    text(doc, "state"),
                    deadline,
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
            if let (Some(note), Format::Table) = (&list.note, format) {
                writeln!(out, "note: {note}")?;
            }
        }
    }
    Ok(())
}

/// A file written whole or not at all: made beside its path first, renamed
/// over it once complete, removed if never completed, so a crash or an error
/// leaves no half a document.
struct Partial {
    path: std::path::PathBuf,
    partial: std::path::PathBuf,
    file: Option<std::fs::File>,
}

impl Partial {
    fn create(path: &std::path::Path) -> std::io::Result<Partial> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let partial = path.with_file_name(format!(".{name}.partial"));
        let file = std::fs::File::create(&partial)?;
        Ok(Partial {
            path: path.to_owned(),
            partial,
            file: Some(file),
        })
    }

    fn finish(mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("finished twice"))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&self.partial, &self.path)
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // Not finished, or the rename failed: nothing half-written stays.
        // (Once renamed, there is no partial file left to remove.)
        let _ = std::fs::remove_file(&self.partial);
    }
}
