//! The desk: what commands on cases decide against (the actors and the
//! published definitions), loaded once, and the two things coordinators do all
//! day: open a case and take a step on one.
//!
//! One CLI command sets up a desk for itself; `kroonika demo` keeps one for
//! thousands of commands, so the demo goes through exactly the code a
//! coordinator's command does (decide with the engine, append with the exact
//! revision, schedule the wake-up), without reloading the directory and
//! re-checking the definition for every step.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{self, Case, RawInput};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, Rejection};
use kroonika_store::{Store, Timer};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::commands::case::{
    REFERENCE_ALLOCATED, case_stream, events_to_new, fold, metadata, previous_run,
    reference_stream, wake_after,
};
use crate::commands::publish;
use crate::context::fold_actor;
use crate::exit::{Conflict, lift};
use kroonika_vault::{Keyring, MasterKey};

/// A step on a case.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change<'a> {
    Take(&'a str),
    Task(&'a str),
    Correct(&'a str),
}

/// What opening came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Opened {
    New {
        reference: String,
        case_id: Uuid,
    },
    /// The same command ran before (same id): its result.
    Already {
        reference: String,
        case_id: Uuid,
    },
}

/// What a step came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stepped {
    Done {
        reference: String,
        state: String,
        version: u64,
    },
    /// Nothing to record (a task already done, data already so).
    Nothing { reference: String, version: u64 },
    /// The same command ran before (same id).
    Already { reference: String, version: u64 },
}

/// A command's who, when and which.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Act<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub occurred_at: DateTime<Utc>,
    /// Given by the user (`--command-id`): an earlier run with it is looked for.
    pub command_id: Option<Uuid>,
}

#[derive(Debug, Default)]
pub(crate) struct Desk {
    pub actors: BTreeMap<String, Actor>,
    definitions: BTreeMap<(String, u32), Arc<ProcessDefinition>>,
    /// Processes whose every published version is loaded.
    loaded: std::collections::HashSet<String>,
    /// The process of each case this desk has met.
    processes: HashMap<Uuid, String>,
    /// Opens subject keys, so personal fields are sealed before they are
    /// appended. None: a case with personal data is refused.
    pub master: Option<MasterKey>,
    /// Needed only to say how to provide a missing master key.
    pub db: String,
    /// Open cases' histories as this desk last appended them, so a long-lived
    /// desk (the demo's) does not read a case again before each step. A stale
    /// one costs a conflict and a read; closed cases are forgotten.
    histories: HashMap<Uuid, Vec<RecordedEvent>>,
}

impl Desk {
    /// A desk with the directory of actors read from the store.
    pub(crate) async fn load(store: &Store) -> anyhow::Result<Desk> {
        let by_stream =
            crate::context::streams_of(store, kroonika_engine::actors::CATEGORY).await?;
        let mut actors = BTreeMap::new();
        for events in by_stream.values() {
            if let Some(a) = fold_actor(events)? {
                actors.insert(a.name.clone(), a);
            }
        }
        Ok(Desk {
            actors,
            ..Desk::default()
        })
    }

    /// Adds the master key the command line gives (checked against the store),
    /// for commands that may record personal data.
    pub(crate) async fn with_master(
        mut self,
        cli: &crate::args::Cli,
        store: &Store,
    ) -> anyhow::Result<Desk> {
        self.master = crate::secrets::master(cli, store).await?;
        self.db.clone_from(&cli.db);
        Ok(self)
    }

    /// Reads every published version of `process` (again: after a publication).
    pub(crate) async fn load_process(
        &mut self,
        store: &Store,
        process: &str,
    ) -> anyhow::Result<()> {
        for (published, _) in publish::versions(store, process).await? {
            let key = (process.to_owned(), published.version);
            if self.definitions.contains_key(&key) {
                continue;
            }
            self.definitions
                .insert(key, Arc::new(publish::compile(&published)?));
        }
        self.loaded.insert(process.to_owned());
        Ok(())
    }

    /// A published version of a process (the latest if `version` is None).
    pub(crate) async fn definition(
        &mut self,
        store: &Store,
        process: &str,
        version: Option<u32>,
    ) -> anyhow::Result<(Arc<ProcessDefinition>, u32)> {
        if !self.loaded.contains(process) {
            self.load_process(store, process).await?;
        }
        let found = match version {
            Some(v) => self.definitions.get_key_value(&(process.to_owned(), v)),
            None => self
                .definitions
                .range((process.to_owned(), 0)..=(process.to_owned(), u32::MAX))
                .next_back(),
        };
        match found {
            Some(((_, v), def)) => Ok((def.clone(), *v)),
            // Not loaded yet (published meanwhile), or not there: ask the store.
            None => {
                let (published, _) = publish::version(store, process, version).await?;
                self.load_process(store, process).await?;
                self.definitions
                    .get(&(process.to_owned(), published.version))
                    .map(|d| (d.clone(), published.version))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "version {} of '{process}' does not check",
                            published.version
                        )
                    })
            }
        }
    }

    /// Seals the personal fields of a new case's events under fresh subject keys.
    async fn seal(
        &self,
        store: &Store,
        def: &ProcessDefinition,
        case_id: Uuid,
        events: &mut [case::CaseEvent],
    ) -> anyhow::Result<()> {
        let names = kroonika_vault::subjects_in(def, events);
        if names.is_empty() {
            return Ok(());
        }
        let master = crate::secrets::require(self.master.as_ref(), &self.db)?;
        // The case id is new (UUIDv7), so its subjects have no keys yet.
        let ring = crate::secrets::new_keyring(store, master, case_id, &names).await?;
        kroonika_vault::seal_events(def, case_id, &ring, events)?;
        Ok(())
    }

    /// The keys a step on case `id` with `input` may seal under: the subjects
    /// of the personal fields the input names, in any loaded version of the
    /// case's process (keys made as needed). None when the input holds no
    /// personal data (most steps: no key is read) or no master key is at hand
    /// (a step that records personal data is then refused).
    async fn step_keyring(
        &self,
        store: &Store,
        id: Uuid,
        input: &RawInput,
    ) -> anyhow::Result<Option<Keyring>> {
        let Some(process) = self.processes.get(&id) else {
            return Ok(None);
        };
        let mut names: Vec<String> = Vec::new();
        for ((p, _), def) in &self.definitions {
            if p != process {
                continue;
            }
            for field in def.fields.iter().filter(|f| input.contains_key(&f.name)) {
                if let Some(subject) = &field.personal
                    && !names.contains(subject)
                {
                    names.push(subject.clone());
                }
            }
        }
        match (&self.master, names.is_empty()) {
            (Some(master), false) => Ok(Some(
                crate::secrets::keyring(store, master, id, &names, true).await?,
            )),
            _ => Ok(None),
        }
    }

    /// Opens a case of the latest version of `process`, allocating its reference.
    pub(crate) async fn open(
        &mut self,
        store: &Store,
        act: Act<'_>,
        process: &str,
        input: &RawInput,
        command: &Value,
    ) -> anyhow::Result<Opened> {
        let (def, version) = self.definition(store, process, None).await?;
        let year = chrono::Datelike::year(&act.occurred_at);
        let refs = reference_stream(&def.reference, year)?;
        let command_id = act.command_id.unwrap_or_else(Uuid::now_v7);
        for _ in 0..kroonika_store::ATTEMPTS {
            // The whole allocation history only to look for an earlier run of a
            // given command id; otherwise the last number is enough.
            let allocated = if act.command_id.is_some() {
                store.load_stream(&refs).await?
            } else {
                Vec::new()
            };
            let last = match allocated.last() {
                Some(event) => Some(event.revision),
                None if act.command_id.is_some() => None,
                None => store.stream_revision(&refs).await?,
            };
            if act.command_id.is_some()
                && let Some(done) = previous_run(&allocated, command_id, command, "")?
            {
                let data = done.data.to_value()?;
                return Ok(Opened::Already {
                    reference: data["reference"].as_str().unwrap_or("").to_owned(),
                    case_id: data["case_id"]
                        .as_str()
                        .and_then(|s| Uuid::parse_str(s).ok())
                        .unwrap_or_default(),
                });
            }
            let number = last.map_or(1, |r| r + 2);
            let reference = format!("{}-{year}-{number:04}", def.reference);
            let cx = case::Context {
                definition: &def,
                version,
                actor: act.actor,
                actors: &self.actors,
                now: act.now,
                occurred_at: act.occurred_at,
            };
            let mut events = case::open(&cx, &reference, input)?;
            let case_id = Uuid::now_v7();
            self.seal(store, &def, case_id, &mut events).await?;
            let meta = metadata(
                &act.actor.name,
                command_id,
                act.occurred_at,
                act.now,
                &format!("{}@{version}", def.id),
                command,
            );
            let allocation = NewEvent::new(
                Uuid::now_v7(),
                REFERENCE_ALLOCATED,
                &json!({ "reference": reference, "case_id": case_id }),
                meta.clone(),
            )?;
            let expected = last.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
            match store.append(&refs, expected, &[allocation]).await {
                Ok(_) => {}
                Err(err) if err.is_conflict() => continue,
                Err(err) => return Err(err.into()),
            }
            store
                .append_scheduled(
                    &case_stream(case_id)?,
                    ExpectedRevision::NoStream,
                    &events_to_new(&events, &meta)?,
                    wake_after(&Case::default(), &events),
                )
                .await?;
            self.processes.insert(case_id, process.to_owned());
            return Ok(Opened::New { reference, case_id });
        }
        Err(Conflict(format!(
            "conflict: references of {} kept changing; try again",
            def.reference
        ))
        .into())
    }

    /// Takes a step on case `id`: decided on the case as it is when appended
    /// (re-decided on a conflict), or refused with exit 3 under `expect_version`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn step(
        &mut self,
        store: &Store,
        act: Act<'_>,
        id: Uuid,
        change: Change<'_>,
        input: &RawInput,
        command: &Value,
        expect_version: Option<u64>,
    ) -> anyhow::Result<Stepped> {
        let stream = case_stream(id)?;
        let command_id = act.command_id.unwrap_or_else(Uuid::now_v7);
        // The case's history is read first only when something needs it before
        // deciding: a given command id, an expected version, or a case this desk
        // has not met (to know its process).
        let history: Option<Vec<RecordedEvent>> = if act.command_id.is_some()
            || expect_version.is_some()
            || !self.processes.contains_key(&id)
        {
            let events = store.load_stream(&stream).await?;
            if events.is_empty() {
                return Err(Rejection::new(format!("there is no case '{id}'")).into());
            }
            Some(events)
        } else {
            None
        };
        let first = history.as_deref().map(fold).transpose()?;
        if let (Some(history), Some(first)) = (&history, &first) {
            if act.command_id.is_some()
                && let Some(done) = previous_run(
                    history,
                    command_id,
                    command,
                    &format!(" on {}", first.reference),
                )?
            {
                return Ok(Stepped::Already {
                    reference: first.reference.clone(),
                    version: done.revision + 1,
                });
            }
            self.processes.insert(id, first.process.clone());
            // Make sure the version the case is on is loaded.
            self.definition(store, &first.process, Some(first.version))
                .await?;
        }
        // Every version of the case's process is loaded now: by `definition`
        // above, or when this desk opened the case.
        let keyring = self.step_keyring(store, id, input).await?;
        let definitions = &self.definitions;
        let actors = &self.actors;
        let db = self.db.as_str();
        let mut after: Option<Case> = None;
        let mut decide = |events: &[RecordedEvent]| -> Result<(Vec<NewEvent>, Timer), Rejection> {
            let case = fold(events).map_err(|err| Rejection::new(format!("{err:#}")))?;
            let def = definitions
                .get(&(case.process.clone(), case.version))
                .ok_or_else(|| {
                    Rejection::new(format!(
                        "version {} of '{}' was published meanwhile; try again",
                        case.version, case.process
                    ))
                })?;
            let cx = case::Context {
                definition: def,
                version: case.version,
                actor: act.actor,
                actors,
                now: act.now,
                occurred_at: act.occurred_at,
            };
            let mut decided = match change {
                Change::Take(t) => case::take(&cx, &case, t, input)?,
                Change::Task(t) => case::complete_task(&cx, &case, t)?,
                Change::Correct(reason) => case::correct(&cx, &case, input, reason)?,
            };
            match &keyring {
                Some(ring) => kroonika_vault::seal_events(def, id, ring, &mut decided)
                    .map_err(|err| Rejection::new(err.to_string()))?,
                None if !kroonika_vault::subjects_in(def, &decided).is_empty() => {
                    return Err(Rejection::new(crate::secrets::missing(db)));
                }
                None => {}
            }
            let meta = metadata(
                &act.actor.name,
                command_id,
                act.occurred_at,
                act.now,
                &format!("{}@{}", def.id, case.version),
                command,
            );
            let timer = if decided.is_empty() {
                Timer::Keep
            } else {
                wake_after(&case, &decided)
            };
            let mut next = case.clone();
            let base = case.revision.map_or(0, |r| r + 1);
            for (i, event) in decided.iter().enumerate() {
                next.evolve(event, act.occurred_at, base + i as u64);
            }
            after = Some(next);
            Ok((events_to_new(&decided, &meta)?, timer))
        };
        let appended = match (expect_version, &history) {
            (Some(expected), Some(history)) => {
                let current = history.len() as u64;
                let reference = first
                    .as_ref()
                    .map_or_else(String::new, |c| c.reference.clone());
                if current != expected {
                    return Err(Conflict(format!(
                        "conflict: {reference} changed since version {expected} (now {current})"
                    ))
                    .into());
                }
                let (new, timer) = decide(history)?;
                if new.is_empty() {
                    None
                } else {
                    let revision = ExpectedRevision::Exact(expected.saturating_sub(1));
                    match store.append_scheduled(&stream, revision, &new, timer).await {
                        Ok(result) => Some(result),
                        Err(err) if err.is_conflict() => {
                            let now_at = store.stream_revision(&stream).await?.map_or(0, |r| r + 1);
                            return Err(Conflict(format!(
                                "conflict: {reference} changed since version {expected} (now {now_at})"
                            ))
                            .into());
                        }
                        Err(err) => return Err(err.into()),
                    }
                }
            }
            _ => {
                let mut known = match history {
                    Some(history) => history,
                    None => self.histories.remove(&id).unwrap_or_default(),
                };
                let result = store
                    .execute_scheduled_cached(&stream, &mut known, &mut decide)
                    .await
                    .map_err(lift)?;
                if after.as_ref().is_some_and(|c| !c.closed) {
                    self.histories.insert(id, known);
                }
                result
            }
        };
        let after = after.ok_or_else(|| anyhow::anyhow!("case {id} could not be read"))?;
        let version = after.revision.map_or(0, |r| r + 1);
        Ok(match appended {
            None => Stepped::Nothing {
                reference: after.reference,
                version,
            },
            Some(_) => Stepped::Done {
                reference: after.reference,
                state: after.state,
                version,
            },
        })
    }
}
