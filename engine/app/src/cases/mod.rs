//! Cases: finding one by its reference, and every command on one through the
//! one write path ([`App::execute`]).
//!
//! A command's walk: resolve the reference (remembered once read); take the
//! case as this process last left it, or read and fold it (one read); decide
//! (pure, `decide.rs`); write the events, the wake-up and any new or destroyed
//! subject keys in one atomic write, with the case's exact revision and the
//! registry's position as preconditions. If another writer got there first,
//! the case is decided again inside the store's write lock (`write_locked`),
//! where nothing can change under it: a command without an expected version
//! never surfaces a conflict, and one with an expected version gets exactly the
//! conflict it asked for.

pub(crate) mod cache;
pub(crate) mod decide;
pub mod documents;
mod open;
mod partners;
mod profiles;
pub mod view;
pub mod work;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{self, Case, CaseEvent, ReferenceAllocated};
use kroonika_engine::{Code, RecordedEvent};
use kroonika_store::{
    Direction, ErrorKind as StoreKind, ExpectedRevision, LockedError, LockedRead, ReadFrom,
    StreamWrite, Write,
};
use uuid::Uuid;

use self::cache::Remembered;
use self::decide::{Decided, Deciding, Decision, Step};
use crate::command::{CaseCommand, Outcome, Request, SystemCommand, fingerprint};
use crate::error::{Error, Result, reject};
use crate::registry::Registry;
use crate::{App, time};

pub use view::{CaseView, describe};

impl App {
    /// Runs a command on a case (or opens one): the one entry point every
    /// front end and the demo use. `case` is a reference (`SC-2026-0042`) or a
    /// case id; None for [`CaseCommand::Open`].
    pub async fn execute(
        &self,
        request: &Request,
        case: Option<&str>,
        command: CaseCommand,
    ) -> Result<Outcome> {
        let done = match (self.within_limits(&command), &command, case) {
            (Err(err), _, _) => Err(err),
            (_, CaseCommand::Open { open, input }, _) => self.open_case(request, open, input).await,
            (_, _, Some(case)) => match self.case_id(case).await {
                Ok(id) => self.step(request, case, id, Step::Command(command)).await,
                Err(err) => Err(err),
            },
            (_, _, None) => Err(reject(Code::InvalidInput, "say which case")),
        };
        let done = match (done, request.command_id) {
            (Ok(Outcome::Already { reference, .. }), Some(command_id)) => {
                self.replayed(&reference, command_id).await
            }
            (
                Ok(Outcome::AlreadyOpened {
                    reference, case_id, ..
                }),
                Some(command_id),
            ) => self
                .replayed(&reference, command_id)
                .await
                .map(|first| Outcome::AlreadyOpened {
                    reference,
                    case_id,
                    version: match first {
                        Outcome::Already { version, .. } => version,
                        _ => 0,
                    },
                }),
            (done, _) => done,
        };
        self.recorded(request, None, done).await
    }

    /// The first answer to a command done before: the events it recorded, and
    /// the state and version they left the case at.
    async fn replayed(&self, reference: &str, command_id: Uuid) -> Result<Outcome> {
        let id = self.case_id(reference).await?;
        let history = self.history_of(id, reference).await?;
        let last = history
            .iter()
            .rposition(|e| e.metadata.command_id == command_id)
            .unwrap_or(0);
        let case = Case::fold(&history[..=last])?;
        let events = history[..=last]
            .iter()
            .filter(|e| e.metadata.command_id == command_id)
            .map(|e| {
                CaseEvent::from_parts(&e.event_type, e.data.as_str()).map_err(|source| {
                    Error::from(kroonika_engine::event::DecodeError {
                        position: e.position,
                        stream: e.stream.to_string(),
                        source,
                    })
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Outcome::Already {
            reference: case.reference.clone(),
            state: case.state,
            version: last as u64 + 1,
            events,
        })
    }

    /// The case a reference (`SC-2026-0042`) or a case id names (a case id
    /// is taken as it is; whether the case exists is for the command to find).
    pub async fn case_id(&self, text: &str) -> Result<Uuid> {
        if let Ok(id) = Uuid::parse_str(text) {
            return Ok(id);
        }
        let remembered = self.cases().reference(text);
        match remembered {
            Some(id) => Ok(id),
            None => self.look_up_reference(text).await,
        }
    }

    async fn look_up_reference(&self, text: &str) -> Result<Uuid> {
        let not_found = || {
            reject(
                Code::NotFound,
                format!(
                    "there is no case '{text}'; give a reference like SC-2026-0042 or a case id"
                ),
            )
        };
        let Some((stream, revision)) = case::parse_reference(text) else {
            return Err(not_found());
        };
        let events = self
            .inner
            .store
            .read_stream(&stream, ReadFrom::At(revision), Direction::Forwards, 1)
            .await?;
        let event = events
            .first()
            .filter(|e| e.revision == revision)
            .ok_or_else(not_found)?;
        let allocated: ReferenceAllocated = event.data.decode().map_err(|_| not_found())?;
        self.cases().put_reference(text, allocated.case_id);
        Ok(allocated.case_id)
    }

    pub(crate) fn cases(&self) -> std::sync::MutexGuard<'_, cache::Cases> {
        self.inner.cases.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The case's recorded history, or the refusal naming `target`.
    pub(crate) async fn history_of(&self, id: Uuid, target: &str) -> Result<Vec<RecordedEvent>> {
        let history = self.inner.store.load_stream(&case::stream(id)).await?;
        if history.is_empty() {
            return Err(reject(
                Code::NotFound,
                format!("there is no case '{target}'"),
            ));
        }
        Ok(history)
    }

    /// The case as this process last left it (taken out of the cache for the
    /// command's while: a second command on it meanwhile reads it again), or
    /// read and folded.
    async fn remembered(&self, id: Uuid, target: &str) -> Result<Remembered> {
        let taken = self.cases().take(id);
        match taken {
            Some(known) => Ok(known),
            None => self.reread(id, target).await,
        }
    }

    async fn reread(&self, id: Uuid, target: &str) -> Result<Remembered> {
        Remembered::fold(&self.history_of(id, target).await?)
    }

    /// A registry that holds the version `case` is on (a registry that does not
    /// is older than the case: it moves forward).
    pub(crate) async fn registry_for(&self, process: &str, version: u32) -> Result<Arc<Registry>> {
        let registry = self.registry();
        if registry.versions(process).len() >= version as usize {
            return Ok(registry);
        }
        self.refresh().await
    }

    /// Decides `step` on case `id` and writes it; see the module's documentation.
    pub(crate) async fn step(
        &self,
        request: &Request,
        target: &str,
        id: Uuid,
        step: Step,
    ) -> Result<Outcome> {
        let (actor, _) = self.acting(&request.actor).await?;
        let now = match step {
            Step::Timer(at) => at,
            _ => self.now(),
        };
        let occurred_at = time::occurred(request.occurred_at.as_ref(), now)?;
        let command_id = request.command_id.unwrap_or_else(|| self.new_id());
        let print = match &step {
            Step::Command(command) => command.fingerprint(),
            Step::Timer(at) => fingerprint(&SystemCommand::Timer { timer: *at }),
            Step::Retention(at) => fingerprint(&SystemCommand::Retention { retention: *at }),
        };
        let act = Act {
            actor: &actor,
            now,
            occurred_at,
            command_id,
            given_id: request.command_id.is_some(),
            given_time: request.occurred_at.is_some(),
            expected: request.expected_version,
            fingerprint: &print,
        };
        let mut known = self.remembered(id, target).await?;
        // Boxed: deciding and writing make large futures, and a front end
        // awaiting several commands in one task would hold them all inline.
        match Box::pin(self.optimistic(target, id, &step, &act, &mut known)).await {
            Ok(Attempt::Written(next, outcome)) => {
                self.cases().put(id, *next);
                Ok(outcome)
            }
            Ok(Attempt::Settled(outcome)) => {
                self.cases().put(id, known);
                Ok(outcome)
            }
            // Another writer got there first: decided again under the lock.
            Ok(Attempt::Raced) => Box::pin(self.step_locked(target, id, &step, &act)).await,
            Err(err) => {
                // A refusal was checked against the store: what is known holds.
                if err.kind() == crate::ErrorKind::Rejected {
                    self.cases().put(id, known);
                }
                Err(err)
            }
        }
    }

    /// Decides on what `known` says and writes, unless another writer got
    /// there first. `known` is left as the case was decided on.
    async fn optimistic(
        &self,
        target: &str,
        id: Uuid,
        step: &Step,
        act: &Act<'_>,
        known: &mut Remembered,
    ) -> Result<Attempt> {
        if let Some(expected) = act.expected
            && known.version() != expected
        {
            // What this process remembers may be stale: ask the store.
            *known = self.reread(id, target).await?;
        }
        // A retry returns its first answer, even though the case has moved
        // past the version the first attempt expected.
        if let Some(done) = already(known, act)? {
            return Ok(Attempt::Settled(done));
        }
        if let Some(expected) = act.expected
            && known.version() != expected
        {
            return Err(conflict(known, expected, known.version()));
        }
        let mut keys = None;
        let index = self.index_key().await?;
        // A refusal, or nothing to do, decided on what this process
        // remembers is checked against the store before it is believed: the
        // case or the directory may have moved (a write would have found out;
        // these do not write).
        let mut checked = false;
        loop {
            let registry = self
                .registry_for(&known.case.process, known.case.version)
                .await?;
            let deciding = Deciding {
                registry: &registry,
                actor: act.actor,
                now: act.now,
                occurred_at: act.occurred_at,
                occurred_given: act.given_time,
                master: self.master_key(),
                missing_key: &self.inner.missing_key,
                keys: keys.as_deref(),
                index,
            };
            let decision = match decide::decide(&deciding, &known.case, id, step) {
                Ok(Decision::NeedsKeys) => {
                    let stream = case::stream(id);
                    keys = Some(self.inner.store.subject_keys(Some(stream.as_str())).await?);
                    continue;
                }
                Ok(Decision::Decided(decided)) => Ok(*decided),
                Err(err) => Err(err),
            };
            let settled = match &decision {
                Err(Error::Rejected(_)) => true,
                Ok(decided) => {
                    decided.events.is_empty() && decided.timer == kroonika_store::Timer::Keep
                }
                Err(_) => false,
            };
            if settled && !checked {
                checked = true;
                let stored = self.inner.store.stream_revision(&case::stream(id)).await?;
                let moved = self.refresh().await?.position() != registry.position();
                if stored != known.case.revision {
                    *known = self.reread(id, target).await?;
                    if let Some(done) = already(known, act)? {
                        return Ok(Attempt::Settled(done));
                    }
                    if let Some(expected) = act.expected
                        && known.version() != expected
                    {
                        return Err(conflict(known, expected, known.version()));
                    }
                    continue;
                }
                if moved {
                    continue;
                }
            }
            let decided = decision?;
            if decided.events.is_empty() && decided.timer == kroonika_store::Timer::Keep {
                return Ok(Attempt::Settled(Outcome::Nothing {
                    reference: known.case.reference.clone(),
                    state: known.case.state.clone(),
                    version: known.version(),
                }));
            }
            let write = self.case_write(act, known, id, &decided, &registry)?;
            return match self.inner.store.write(&write).await {
                Ok(_) => {
                    if records_profile(&decided.events) {
                        // A profile was recorded on actors: the registry
                        // reads it now rather than at the next write's
                        // precondition.
                        self.refresh().await?;
                    }
                    let (next, outcome) = stepped(std::mem::take(known), decided, act);
                    Ok(Attempt::Written(Box::new(next), outcome))
                }
                // Decided again under the lock, which tells a retry (the
                // first answer) from a case that moved (a conflict).
                Err(err) if err.kind() == StoreKind::Conflict => Ok(Attempt::Raced),
                Err(err) => Err(err.into()),
            };
        }
    }

    /// The write of a decision on case `id`, at the revision it was decided on.
    fn case_write(
        &self,
        act: &Act<'_>,
        known: &Remembered,
        id: Uuid,
        decided: &Decided,
        registry: &Registry,
    ) -> Result<Write> {
        let meta = decide::metadata(
            &act.actor.name,
            act.command_id,
            act.occurred_at,
            act.now,
            &decided.definition,
            act.fingerprint,
        );
        let events = decide::to_new(&decided.events, &meta, || self.new_id())?;
        let expected = known
            .case
            .revision
            .map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
        let mut streams = vec![StreamWrite {
            stream: case::stream(id),
            expected,
            events,
            timer: decided.timer,
        }];
        streams.extend(profiles::writes(
            &decided.events,
            &known.case,
            &meta,
            || self.new_id(),
        )?);
        Ok(Write {
            streams,
            new_keys: decided.new_keys.clone(),
            destroy_keys: decided.destroy.clone(),
            index: decided.index.clone(),
            credentials: Vec::new(),
            unchanged: Some(App::unchanged(registry)),
        })
    }

    /// Decides `step` again inside the store's write lock, on the case and the
    /// registry as they are: nothing can change until the write commits.
    async fn step_locked(
        &self,
        target: &str,
        id: Uuid,
        step: &Step,
        act: &Act<'_>,
    ) -> Result<Outcome> {
        let stream = case::stream(id);
        let mut with_keys = false;
        let index = self.index_key().await?;
        loop {
            let registry = self.registry();
            let read = LockedRead {
                streams: vec![stream.clone()],
                since: Some(App::unchanged(&registry)),
                keys_of: with_keys.then(|| stream.clone()),
                ..LockedRead::default()
            };
            let mut result: Option<Locked> = None;
            let written = self
                .inner
                .store
                .write_locked(&read, |view| -> Result<Option<Write>> {
                    let registry = registry.with(&view.since)?;
                    let history = &view.histories[0];
                    if history.is_empty() {
                        return Err(reject(
                            Code::NotFound,
                            format!("there is no case '{target}'"),
                        ));
                    }
                    let known = Remembered::fold(history)?;
                    if let Some(done) = already(&known, act)? {
                        result = Some((done, None, registry));
                        return Ok(None);
                    }
                    if let Some(expected) = act.expected
                        && known.version() != expected
                    {
                        return Err(conflict(&known, expected, known.version()));
                    }
                    let actor = registry.acting(&act.actor.name)?;
                    let deciding = Deciding {
                        registry: &registry,
                        actor: &actor,
                        now: act.now,
                        occurred_at: act.occurred_at,
                        occurred_given: act.given_time,
                        master: self.master_key(),
                        missing_key: &self.inner.missing_key,
                        keys: with_keys.then_some(view.keys.as_slice()),
                        index,
                    };
                    let decided = match decide::decide(&deciding, &known.case, id, step)? {
                        Decision::Decided(decided) => *decided,
                        Decision::NeedsKeys => return Err(Error::Invalid(NEEDS_KEYS.to_owned())),
                    };
                    let nothing = Outcome::Nothing {
                        reference: known.case.reference.clone(),
                        state: known.case.state.clone(),
                        version: known.version(),
                    };
                    if decided.events.is_empty() && decided.timer == kroonika_store::Timer::Keep {
                        result = Some((nothing, None, registry));
                        return Ok(None);
                    }
                    let mut write = self.case_write(act, &known, id, &decided, &registry)?;
                    write.unchanged = None;
                    result = Some((nothing, Some((known, decided)), registry));
                    Ok(Some(write))
                })
                .await;
            match written {
                Ok(_) => {
                    let Some((outcome, decided, registry)) = result else {
                        return Err(Error::Invalid("a command decided nothing".to_owned()));
                    };
                    self.adopt(registry);
                    if decided
                        .as_ref()
                        .is_some_and(|(_, d)| records_profile(&d.events))
                    {
                        self.refresh().await?;
                    }
                    return Ok(match decided {
                        Some((known, decided)) => {
                            let (next, outcome) = stepped(known, decided, act);
                            self.cases().put(id, next);
                            outcome
                        }
                        None => outcome,
                    });
                }
                Err(LockedError::Decided(Error::Invalid(why)))
                    if why == NEEDS_KEYS && !with_keys =>
                {
                    with_keys = true;
                }
                Err(LockedError::Decided(err)) => return Err(err),
                Err(LockedError::Store(err)) => return Err(err.into()),
            }
        }
    }

    /// Records a refusal for want of a right (so auditors see attempted
    /// misuse), then passes the result on.
    pub(crate) async fn recorded<T>(
        &self,
        request: &Request,
        reference: Option<&str>,
        result: Result<T>,
    ) -> Result<T> {
        if let Err(Error::Rejected(rejection)) = &result
            && rejection.is_denial()
            && self.registry().actor(&request.actor).is_some()
        {
            self.record_refusal(request, reference, rejection).await?;
        }
        result
    }
}

/// How an optimistic attempt ended.
enum Attempt {
    /// Written: the case after it, and what it did.
    Written(Box<Remembered>, Outcome),
    /// Nothing written, and nothing to write: the answer.
    Settled(Outcome),
    /// Another writer got there first.
    Raced,
}

/// The case as a written decision left it, and what the decision did.
fn records_profile(events: &[CaseEvent]) -> bool {
    events.iter().any(|e| e.profile_record().is_some())
}

fn stepped(known: Remembered, decided: Decided, act: &Act<'_>) -> (Remembered, Outcome) {
    let next = known.after(
        decided.after,
        &decided.events,
        act.given_id.then_some(act.command_id),
        act.fingerprint,
    );
    let outcome = if decided.events.is_empty() {
        Outcome::Nothing {
            reference: next.case.reference.clone(),
            state: next.case.state.clone(),
            version: next.version(),
        }
    } else {
        Outcome::Done {
            reference: next.case.reference.clone(),
            state: next.case.state.clone(),
            version: next.version(),
            events: decided.events,
        }
    };
    (next, outcome)
}

/// What a decision under the lock came to: the outcome (if nothing was
/// written), or the case and decision written; and the registry it was made on.
type Locked = (Outcome, Option<(Remembered, Decided)>, Registry);

/// Marks a decision that needs the case's keys, inside the lock.
const NEEDS_KEYS: &str = "the case's keys are needed";

/// A command's who, when and which.
#[derive(Debug)]
pub(crate) struct Act<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub occurred_at: DateTime<Utc>,
    pub command_id: Uuid,
    /// The id was given (a retry is looked for).
    pub given_id: bool,
    /// When it happened was given (not "now").
    pub given_time: bool,
    pub expected: Option<u64>,
    pub fingerprint: &'a str,
}

/// The answer to a command done before (same id, same command), or the
/// refusal of an id used for another command.
fn already(known: &Remembered, act: &Act<'_>) -> Result<Option<Outcome>> {
    if !act.given_id {
        return Ok(None);
    }
    match known.commands.get(&act.command_id) {
        None => Ok(None),
        Some((hash, _)) if hash.as_deref() != Some(act.fingerprint) => Err(decide::reused(
            act.command_id,
            &format!(" on {}", known.case.reference),
        )),
        // What it did is read back by `App::execute`.
        Some(_) => Ok(Some(Outcome::Already {
            reference: known.case.reference.clone(),
            state: String::new(),
            version: 0,
            events: Vec::new(),
        })),
    }
}

fn conflict(known: &Remembered, expected: u64, actual: u64) -> Error {
    Error::Conflict {
        reference: known.case.reference.clone(),
        expected,
        actual,
    }
}
