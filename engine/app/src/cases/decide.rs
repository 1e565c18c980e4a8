//! Deciding a command on a case: the engine's rules (`kroonika_engine::case`),
//! with what only the application knows around them: which published version
//! decides, which subjects' keys seal the new personal data, what becomes of the
//! wake-up, what goes in the metadata. Synchronous and free of I/O, so the same
//! function decides optimistically and under the store's write lock.

use chrono::{DateTime, Utc};
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{self, Case, CaseEvent, Wake, privacy};
use kroonika_engine::{Code, Metadata, NewEvent, Rejection};
use kroonika_store::{IndexChange, SubjectKeyRow, Timer};
use kroonika_vault::{IndexKey, MasterKey, subject_id};
use serde_json::json;
use uuid::Uuid;

use crate::command::CaseCommand;
use crate::error::{Error, Result, reject};
use crate::keys;
use crate::registry::Registry;

/// What is decided on an existing case.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// A person's command.
    Command(CaseCommand),
    /// The case's wake-up came (it is decided as of then): warn, mark
    /// overdue, or fire.
    Timer(DateTime<Utc>),
    /// Retention erases what is due on that day.
    Retention(DateTime<Utc>),
}

/// Everything a decision is made with besides the case.
#[derive(Debug)]
pub(crate) struct Deciding<'a> {
    pub registry: &'a Registry,
    pub actor: &'a Actor,
    /// When the rules are applied (guards' `now`).
    pub now: DateTime<Utc>,
    /// When it happened in the world; deadlines count from it.
    pub occurred_at: DateTime<Utc>,
    /// Whether the person said when (a time given, not the moment of deciding).
    pub occurred_given: bool,
    pub master: Option<&'a MasterKey>,
    /// What to say when the master key is needed and missing.
    pub missing_key: &'a str,
    /// The case's stored subject keys, when they were read.
    pub keys: Option<&'a [SubjectKeyRow]>,
    /// The search index key (present whenever the master key is).
    pub index: Option<&'a IndexKey>,
}

/// A decision, ready to be written.
#[derive(Debug)]
pub(crate) struct Decided {
    /// The events, personal fields sealed.
    pub events: Vec<CaseEvent>,
    /// The case after them.
    pub after: Case,
    pub timer: Timer,
    /// `<process>@<version>`: the published version that decided.
    pub definition: String,
    pub new_keys: Vec<SubjectKeyRow>,
    pub destroy: Vec<Uuid>,
    /// The search index's new tokens for the values the events record.
    pub index: Vec<IndexChange>,
}

/// A decision, or the news that it needs the case's subject keys read first.
#[derive(Debug)]
pub(crate) enum Decision {
    Decided(Box<Decided>),
    NeedsKeys,
}

/// Decides `step` on `case` (the case with id `case_id`).
pub(crate) fn decide(
    d: &Deciding<'_>,
    case: &Case,
    case_id: Uuid,
    step: &Step,
) -> Result<Decision> {
    let version = match step {
        Step::Command(CaseCommand::Migrate { migrate, .. }) => *migrate,
        _ => case.version,
    };
    let (definition, version) = d.registry.definition(&case.process, Some(version))?;
    let cx = case::Context {
        definition: &definition,
        version,
        actor: d.actor,
        actors: d.registry.actors(),
        now: d.now,
        occurred_at: d.occurred_at,
    };
    // A person's record goes after what the case already holds: one dated
    // earlier would make its history run backwards.
    if let (Step::Command(_), Some(last), true) = (step, case.last_occurred_at, d.occurred_given)
        && d.occurred_at < last
    {
        return Err(reject(
            Code::InvalidInput,
            format!(
                "it happened at {}, before the case's last recorded event ({}); record what happened in order, or correct the data with a reason",
                d.occurred_at.format("%Y-%m-%d %H:%M UTC"),
                last.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    let mut destroy = Vec::new();
    // A migration indexes the case anew under the version it moves to.
    let mut reindexed = Vec::new();
    let mut events = match step {
        Step::Command(CaseCommand::Take { step, input }) => case::take(&cx, case, step, &input.0)?,
        Step::Command(CaseCommand::Task { task }) => case::complete_task(&cx, case, task)?,
        Step::Command(CaseCommand::Notice {
            notice,
            sent_on,
            reference,
        }) => {
            let sent_on = sent_on.unwrap_or_else(|| d.occurred_at.date_naive());
            case::send_notice(&cx, case, notice, sent_on, reference.as_deref())?
        }
        Step::Command(CaseCommand::Document {
            document,
            language,
            to,
        }) => case::documents::produce(&cx, case, document, language, to.as_deref())?,
        Step::Command(CaseCommand::Untick { untick, reason }) => {
            case::undo_task(&cx, case, untick, reason)?
        }
        Step::Command(CaseCommand::Note { note }) => {
            privacy::add_note(&cx, case, &serde_json::Value::String(note.clone()))?
        }
        Step::Command(CaseCommand::Correct {
            update,
            reason,
            request,
        }) => case::correct(&cx, case, &update.0, reason, request.as_deref())?,
        Step::Command(CaseCommand::Migrate { map, .. }) => {
            // Sealed data is judged in the clear where the key is at hand.
            let mut opened = case.clone();
            if let Some(master) = d.master {
                let Some(rows) = d.keys else {
                    return Ok(Decision::NeedsKeys);
                };
                keys::open_data(&keys::keyring(master, rows)?, case_id, &mut opened.data);
                reindexed =
                    crate::search::case_changes(d.index, &definition, case_id, &opened.data)?;
            }
            case::migrate(&cx, &opened, map)?
        }
        Step::Command(CaseCommand::Hold { hold: true, reason }) => {
            privacy::hold(&cx, case, reason)?
        }
        Step::Command(CaseCommand::Hold {
            hold: false,
            reason,
        }) => privacy::release(&cx, case, reason)?,
        Step::Command(CaseCommand::Erase { erase, reason }) => {
            let events = privacy::erase(&cx, case, erase, subject_id(case_id, erase), reason)?;
            destroy = erased(&events);
            events
        }
        Step::Command(CaseCommand::Open { .. }) => {
            return Err(reject(
                Code::InvalidInput,
                "a case is opened once; take a step on it instead",
            ));
        }
        Step::Timer(_) => case::on_timer(&cx, case)?,
        Step::Retention(at) => {
            let due = privacy::retention_due(&definition, case, at.date_naive());
            let closed = case
                .entered_at
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default();
            let kept = definition
                .retention
                .map(|keep| keep.to_string())
                .unwrap_or_default();
            let reason = format!("retention: closed {closed}, kept {kept}");
            let mut all = Vec::new();
            for name in &due {
                all.extend(privacy::erase(
                    &cx,
                    case,
                    name,
                    subject_id(case_id, name),
                    &reason,
                )?);
            }
            destroy = erased(&all);
            all
        }
    };
    super::partners::check(d.registry, &definition, &events)?;
    let Some(Sealed {
        new_keys,
        index: sealed_index,
    }) = seal(d, &definition, case_id, &mut events)?
    else {
        return Ok(Decision::NeedsKeys);
    };
    let index = if events.is_empty() {
        Vec::new()
    } else {
        reindexed.extend(sealed_index);
        reindexed
    };
    let after = case.after(&events, d.occurred_at);
    let timer = if events.is_empty() && !matches!(step, Step::Timer(_)) {
        Timer::Keep
    } else {
        timer(case.wake_after(&after))
    };
    Ok(Decision::Decided(Box::new(Decided {
        events,
        after,
        timer,
        definition: format!("{}@{version}", definition.id),
        new_keys,
        destroy,
        index,
    })))
}

/// What sealing a decision's events comes to besides the sealed events.
#[derive(Debug, Default)]
pub(crate) struct Sealed {
    /// Keys made for subjects that had none, to be stored with the write.
    pub new_keys: Vec<SubjectKeyRow>,
    /// The search index tokens of the searchable values, made in the clear.
    pub index: Vec<IndexChange>,
}

/// Seals the personal fields of `events` under their subjects' keys, making
/// keys for subjects that have none (returned, to be stored with the write),
/// and the search index tokens of the searchable ones before they are sealed.
/// None when the case's keys are needed and were not read.
pub(crate) fn seal(
    d: &Deciding<'_>,
    definition: &kroonika_engine::definition::ProcessDefinition,
    case_id: Uuid,
    events: &mut [CaseEvent],
) -> Result<Option<Sealed>> {
    let subjects = kroonika_vault::subjects_in(definition, events);
    if subjects.is_empty() {
        return Ok(Some(Sealed::default()));
    }
    let Some(master) = d.master else {
        return Err(reject(Code::MasterKeyNeeded, d.missing_key));
    };
    let Some(rows) = d.keys else {
        return Ok(None);
    };
    let mut ring = keys::keyring(master, rows)?;
    let new_keys = keys::add_new_keys(&mut ring, rows, master, case_id, &subjects, d.now);
    let index = crate::search::index_changes(d.index, definition, case_id, events)?;
    kroonika_vault::seal_events(definition, case_id, &ring, events).map_err(|err| match err {
        kroonika_vault::Error::Erased { .. } => reject(Code::Erased, err.to_string()),
        other => Error::from(other),
    })?;
    Ok(Some(Sealed { new_keys, index }))
}

/// The subjects a decision erases.
fn erased(events: &[CaseEvent]) -> Vec<Uuid> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::SubjectErased { subject_id, .. } => Some(*subject_id),
            _ => None,
        })
        .collect()
}

pub(crate) fn timer(wake: Wake) -> Timer {
    match wake {
        Wake::Keep => Timer::Keep,
        Wake::At(at) => Timer::Set(at),
        Wake::Clear => Timer::Clear,
    }
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
    fingerprint: &str,
) -> Metadata {
    let meta = Metadata::for_command(actor, command_id, occurred_at)
        .with_extra("definition", json!(definition))
        .with_extra("command_hash", json!(fingerprint));
    if decided_at == occurred_at {
        meta
    } else {
        meta.with_extra(kroonika_engine::conformance::DECIDED_AT, json!(decided_at))
    }
}

/// Case events as events to append, each with a fresh id.
pub(crate) fn to_new(
    events: &[CaseEvent],
    metadata: &Metadata,
    mut new_id: impl FnMut() -> Uuid,
) -> Result<Vec<NewEvent>> {
    events
        .iter()
        .map(|e| {
            NewEvent::new(new_id(), e.event_type(), &e.data(), metadata.clone())
                .map_err(|err| Error::Invalid(err.to_string()))
        })
        .collect()
}

/// A rejection for a command id used before for another command.
pub(crate) fn reused(command_id: Uuid, on: &str) -> Error {
    Error::Rejected(Rejection::new(
        Code::CommandIdReused,
        format!("command id {command_id} was already used{on} for a different command"),
    ))
}
