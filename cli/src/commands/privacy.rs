//! Personal data at the terminal: masking and revealing it (`case show`),
//! erasing a subject, legal holds, retention, and the access log.
//!
//! The rules (who may read, erase, hold; when retention is due) are the
//! engine's (`case::privacy`); the cryptography is the vault's; this file finds
//! keys, appends, and records every reading and every refusal.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kroonika_engine::access::{self, AccessEvent};
use kroonika_engine::actors::{self, Actor};
use kroonika_engine::case::{self, Case, CaseEvent, privacy};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::{ExpectedRevision, Rejection};
use kroonika_store::{Direction, ReadFrom, Store};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::args::{Cli, Format};
use crate::commands::case::{
    all_cases, case_stream, definition, events_to_new, fold, metadata, resolve,
};
use crate::context::{self, acting, record_access};
use crate::desk::Desk;
use crate::{output, secrets};

/// What a masked personal field shows.
pub(crate) const HIDDEN: &str = "[hidden]";

/// The case's data as `case show` prints it: personal fields masked, or opened
/// when `reveal` gives a purpose and the actor may read them (recorded either way).
pub(crate) async fn shown_data(
    cli: &Cli,
    store: &Store,
    cx: &case::Context<'_>,
    case: &Case,
    id: Uuid,
    reveal: Option<&str>,
) -> anyhow::Result<BTreeMap<String, Value>> {
    let def = cx.definition;
    let subject_of = |name: &str| def.field(name).and_then(|f| f.personal.clone());
    let Some(purpose) = reveal else {
        return Ok(case
            .data
            .iter()
            .map(|(name, value)| {
                let shown = match subject_of(name) {
                    Some(subject) if case.erased.contains(&subject) => {
                        json!(kroonika_vault::ERASED)
                    }
                    Some(_) => json!(HIDDEN),
                    None => value.clone(),
                };
                (name.clone(), shown)
            })
            .collect());
    };
    if let Err(refused) = privacy::may_reveal(cx, case, purpose) {
        let record = AccessEvent::PermissionDenied {
            command: "case show --reveal".to_owned(),
            reference: Some(case.reference.clone()),
            reason: refused.reason().to_owned(),
        };
        record_access(store, &cx.actor.name, &record).await?;
        // Recorded here, with the case; not again as a denial by `run`.
        return Err(Rejection::new(refused.reason()).into());
    }
    let master = secrets::master(cli, store).await?;
    secrets::require(master.as_ref(), &cli.db)?;
    let ring = secrets::existing_keyring(store, master.as_ref(), id)
        .await?
        .unwrap_or_default();
    let stream = format!("case-{id}");
    let mut subjects: Vec<String> = Vec::new();
    let mut data = BTreeMap::new();
    for (name, value) in &case.data {
        let shown = match subject_of(name) {
            None => value.clone(),
            Some(subject) => match kroonika_vault::open(&ring, &stream, name, value) {
                kroonika_vault::Opened::Plain(plain) => {
                    if !subjects.contains(&subject) {
                        subjects.push(subject);
                    }
                    plain
                }
                kroonika_vault::Opened::Erased => json!(kroonika_vault::ERASED),
                kroonika_vault::Opened::Unreadable => json!("[unreadable]"),
            },
        };
        data.insert(name.clone(), shown);
    }
    if !subjects.is_empty() {
        let record = AccessEvent::PersonalDataRevealed {
            case_id: id,
            reference: case.reference.clone(),
            subjects,
            purpose: purpose.trim().to_owned(),
        };
        // Recorded before anything is shown: no record, no reading.
        record_access(store, &cx.actor.name, &record).await?;
    }
    Ok(data)
}

/// Appends `decide`'s events to case `id` as `actor` decided them, destroying
/// the keys of `erase` in the same transaction. Retries on a conflict.
async fn append_to_case(
    store: &Store,
    actor: &Actor,
    actors: &BTreeMap<String, Actor>,
    id: Uuid,
    command: &Value,
    decide: impl Fn(&case::Context<'_>, &Case) -> Result<Vec<CaseEvent>, Rejection>,
    erase: fn(&[CaseEvent]) -> Vec<Uuid>,
) -> anyhow::Result<(Case, Vec<CaseEvent>)> {
    let stream = case_stream(id)?;
    for _ in 0..kroonika_store::ATTEMPTS {
        let history = store.load_stream(&stream).await?;
        if history.is_empty() {
            return Err(Rejection::new(format!("there is no case '{id}'")).into());
        }
        let case = fold(&history)?;
        let (def, version) = definition(store, &case.process, Some(case.version)).await?;
        let now = Utc::now();
        let cx = case::Context {
            definition: &def,
            version,
            actor,
            actors,
            now,
            occurred_at: now,
        };
        let decided = decide(&cx, &case)?;
        if decided.is_empty() {
            return Ok((case, decided));
        }
        let meta = metadata(
            &actor.name,
            Uuid::now_v7(),
            now,
            now,
            &format!("{}@{version}", def.id),
            command,
        );
        let new = events_to_new(&decided, &meta)?;
        let expected = ExpectedRevision::Exact(history.len() as u64 - 1);
        match store
            .append_erasure(&stream, expected, &new, &erase(&decided))
            .await
        {
            Ok(_) => return Ok((case, decided)),
            Err(err) if err.is_conflict() => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(crate::exit::Conflict(format!("conflict: case {id} kept changing; try again")).into())
}

fn erased_ids(events: &[CaseEvent]) -> Vec<Uuid> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::SubjectErased { subject_id, .. } => Some(*subject_id),
            _ => None,
        })
        .collect()
}

/// A subject named by its id or as CASE/NAME: (case id, reference, subject name).
async fn resolve_subject(store: &Store, text: &str) -> anyhow::Result<(Uuid, String)> {
    if let Some((case, name)) = text.rsplit_once('/') {
        let (id, _) = resolve(store, case).await?;
        return Ok((id, name.to_owned()));
    }
    let subject = Uuid::parse_str(text).map_err(|_| {
        Rejection::new(format!(
            "'{text}' is neither a subject id nor CASE/NAME (e.g. LE-2026-0001/victim)"
        ))
    })?;
    let row = store.subject_key(subject).await?.ok_or_else(|| {
        Rejection::new(format!(
            "no data subject {subject} holds personal data here; name it as CASE/NAME"
        ))
    })?;
    let id = row
        .stream
        .strip_prefix("case-")
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| {
            anyhow::anyhow!("subject {subject} belongs to '{}', not a case", row.stream)
        })?;
    Ok((id, row.name))
}

/// `kroonika subject forget`.
pub(crate) async fn forget(
    cli: &Cli,
    target: &str,
    reason: &str,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let actor = acting(cli, &store).await?;
    let desk = Desk::load(&store).await?;
    let (id, name) = resolve_subject(&store, target).await?;
    let subject_id = kroonika_vault::subject_id(id, &name);
    let command = json!({ "forget": subject_id });
    let (case, decided) = append_to_case(
        &store,
        &actor,
        &desk.actors,
        id,
        &command,
        |cx, case| privacy::erase(cx, case, &name, subject_id, reason),
        erased_ids,
    )
    .await?;
    if decided.is_empty() {
        writeln!(out, "{}/{name} was erased already", case.reference)?;
    } else {
        writeln!(
            out,
            "erased {}/{name} (subject {subject_id}): their personal data can no longer be read",
            case.reference
        )?;
    }
    store.close().await;
    Ok(())
}

/// `kroonika case hold` (place) and `case release`.
pub(crate) async fn hold(
    cli: &Cli,
    store: &Store,
    target: &str,
    place: bool,
    reason: &str,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let actor = acting(cli, store).await?;
    let desk = Desk::load(store).await?;
    let (id, _) = resolve(store, target).await?;
    let command = json!({ "hold": place, "reason": reason });
    let (case, decided) = append_to_case(
        store,
        &actor,
        &desk.actors,
        id,
        &command,
        |cx, case| {
            if place {
                privacy::hold(cx, case, reason)
            } else {
                privacy::release(cx, case, reason)
            }
        },
        |_| Vec::new(),
    )
    .await?;
    let said = match (place, decided.is_empty()) {
        (true, false) => "legal hold placed: nothing of it is erased until it is released",
        (true, true) => "is under a legal hold already",
        (false, false) => "legal hold released",
        (false, true) => "has no legal hold",
    };
    writeln!(out, "{}: {said}", case.reference)?;
    Ok(())
}

/// `kroonika retention run`.
pub(crate) async fn retention(
    cli: &Cli,
    now: Option<&str>,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    // The retention rule is the definition's: it runs as the system unless an
    // actor is named (who must then be allowed to erase).
    let actor = match cli.actor {
        Some(_) => acting(cli, &store).await?,
        None => Actor {
            name: actors::SYSTEM.to_owned(),
            ..Actor::default()
        },
    };
    let desk = Desk::load(&store).await?;
    let now: DateTime<Utc> = match now {
        Some(text) => context::parse_time(text, "--now", context::START_OF_DAY)?,
        None => Utc::now(),
    };
    let today = now.date_naive();
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut defs: HashMap<(String, u32), Arc<ProcessDefinition>> = HashMap::new();
    for (id, case) in all_cases(&store).await? {
        let key = (case.process.clone(), case.version);
        let def = match defs.get(&key) {
            Some(def) => def.clone(),
            None => {
                let (def, _) = definition(&store, &case.process, Some(case.version)).await?;
                let def = Arc::new(def);
                defs.insert(key, def.clone());
                def
            }
        };
        let Some(keep) = def.retention else { continue };
        if !case.closed {
            continue;
        }
        if let Some(hold) = &case.hold {
            let unheld = Case {
                hold: None,
                ..case.clone()
            };
            if !privacy::retention_due(&def, &unheld, today).is_empty() {
                rows.push((
                    case.reference.clone(),
                    "kept".to_owned(),
                    format!("legal hold: {hold}"),
                ));
            }
            continue;
        }
        let due = privacy::retention_due(&def, &case, today);
        if due.is_empty() {
            continue;
        }
        let closed = case
            .entered_at
            .map(|t| t.date_naive().to_string())
            .unwrap_or_default();
        let reason = format!("retention: closed {closed}, kept {keep}");
        let command = json!({ "retention": now });
        append_to_case(
            &store,
            &actor,
            &desk.actors,
            id,
            &command,
            |cx, case| {
                let mut all = Vec::new();
                for name in &due {
                    all.extend(privacy::erase(
                        cx,
                        case,
                        name,
                        kroonika_vault::subject_id(id, name),
                        &reason,
                    )?);
                }
                Ok(all)
            },
            erased_ids,
        )
        .await?;
        rows.push((case.reference.clone(), "erased".to_owned(), due.join(", ")));
    }
    match format {
        Format::Json => {
            for (case, action, detail) in &rows {
                writeln!(
                    out,
                    "{}",
                    json!({ "case": case, "action": action, "detail": detail })
                )?;
            }
        }
        Format::Table if rows.is_empty() => writeln!(out, "nothing is due for erasure on {today}")?,
        Format::Table | Format::Csv => {
            let mut table = output::table(&["case", "action", "subjects or reason"]);
            for (case, action, detail) in &rows {
                table.add_row([case, action, detail]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    store.close().await;
    Ok(())
}

/// `kroonika audit access`.
pub(crate) async fn access_log(
    cli: &Cli,
    subject: Option<&str>,
    by: Option<&str>,
    case: Option<&str>,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    // The case's id and reference, found once: reveal records carry both,
    // refusals only the reference.
    let only_case = match case {
        Some(c) => {
            let (id, _) = resolve(&store, c).await?;
            let reference = fold(&store.load_stream(&case_stream(id)?).await?)?.reference;
            Some((id, reference))
        }
        None => None,
    };
    let only_subject = match subject {
        Some(s) => Some(resolve_subject(&store, s).await?),
        None => None,
    };
    let mut rows = Vec::new();
    let mut from = ReadFrom::Start;
    loop {
        let page = store
            .read_category(access::CATEGORY, from, Direction::Forwards, 1_000)
            .await?;
        let Some(last) = page.last() else { break };
        from = ReadFrom::At(last.position + 1);
        for event in &page {
            let Ok(record) = AccessEvent::from_parts(&event.event_type, event.data.as_str()) else {
                continue;
            };
            let actor = &event.metadata.actor;
            if by.is_some_and(|b| b != actor) {
                continue;
            }
            let (what, reference, case_id, detail, subjects) = match &record {
                AccessEvent::PersonalDataRevealed {
                    case_id,
                    reference,
                    subjects,
                    purpose,
                } => (
                    "revealed",
                    reference.clone(),
                    Some(*case_id),
                    purpose.clone(),
                    subjects.clone(),
                ),
                AccessEvent::PermissionDenied {
                    command,
                    reference,
                    reason,
                } => (
                    "refused",
                    reference.clone().unwrap_or_default(),
                    None,
                    format!("{command}: {reason}"),
                    Vec::new(),
                ),
            };
            if let Some((id, wanted)) = &only_case
                && case_id != Some(*id)
                && reference != *wanted
            {
                continue;
            }
            if let Some((c, name)) = &only_subject
                && !(case_id == Some(*c) && subjects.contains(name))
            {
                continue;
            }
            rows.push((
                event.recorded_at,
                actor.clone(),
                what,
                reference,
                subjects.join(", "),
                detail,
            ));
        }
        if page.len() < 1_000 {
            break;
        }
    }
    match format {
        Format::Json => {
            for (at, actor, what, case, subjects, detail) in &rows {
                writeln!(
                    out,
                    "{}",
                    json!({ "recorded_at": at, "actor": actor, "what": what, "case": case, "subjects": subjects, "purpose_or_reason": detail })
                )?;
            }
        }
        Format::Table if rows.is_empty() => writeln!(out, "no access recorded matches")?,
        Format::Table | Format::Csv => {
            let mut table = output::table(&["recorded (UTC)", "actor", "case", "what"]);
            for (at, actor, what, case, subjects, detail) in &rows {
                let said = if subjects.is_empty() {
                    format!("{what} {detail}")
                } else {
                    format!("{what} {subjects}: {detail}")
                };
                table.add_row([
                    at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    actor.clone(),
                    case.clone(),
                    said,
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    store.close().await;
    Ok(())
}
