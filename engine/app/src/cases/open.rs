//! Opening a case: numbering its reference, sealing its personal data under
//! fresh subject keys, and writing the reference's allocation, the case's first
//! events, its wake-up and its subjects' keys in one atomic write.
//!
//! Opening is decided inside the store's write lock from the start: the next
//! reference number is "one more than the last", which every concurrent open
//! wants, so an optimistic attempt would mostly lose. Under the lock the
//! numbering stream's revision is read, the case decided and written, and
//! nothing is left behind if the process dies at any point before the commit: no
//! reference without its case, no key that no event names.

use chrono::Datelike;
use kroonika_engine::Code;
use kroonika_engine::case::{self, Case, ReferenceAllocated};
use kroonika_store::{ExpectedRevision, LockedError, LockedRead, StreamWrite, Write};

use super::cache::Remembered;
use super::decide::{self, Deciding, metadata, to_new};
use crate::command::{Input, Outcome, Request};
use crate::error::{Error, Result, reject};
use crate::{App, CaseCommand, time};

impl App {
    /// Opens a case of the latest published version of `process`.
    pub(crate) async fn open_case(
        &self,
        request: &Request,
        process: &str,
        input: &Input,
    ) -> Result<Outcome> {
        let (_, registry) = self.acting(&request.actor).await?;
        let registry = match registry.version(process, None) {
            Ok(_) => registry,
            // Published meanwhile by another process?
            Err(_) => self.refresh().await?,
        };
        let (definition, _) = registry.definition(process, None)?;
        let now = self.now();
        let occurred_at = time::occurred(request.occurred_at.as_ref(), now)?;
        let year = occurred_at.year();
        let numbering = case::reference_stream(&definition.reference, year).ok_or_else(|| {
            reject(
                Code::InvalidDefinition,
                format!("'{}' cannot prefix a reference", definition.reference),
            )
        })?;
        let command = CaseCommand::Open {
            open: process.to_owned(),
            input: input.clone(),
        };
        let print = command.fingerprint();
        let command_id = request.command_id.unwrap_or_else(|| self.new_id());
        let case_id = self.new_id();
        let stream = case::stream(case_id);
        // With a command id, the numbering stream is read whole, under the
        // lock, to find an earlier run of the same command.
        let read = LockedRead {
            streams: request
                .command_id
                .iter()
                .map(|_| numbering.clone())
                .collect(),
            revisions: vec![numbering.clone()],
            since: Some(App::unchanged(&registry)),
            keys_of: None,
            failures_of: None,
        };
        let index = self.index_key().await?;
        let mut result = None;
        let written = self
            .inner
            .store
            .write_locked(&read, |view| -> Result<Option<Write>> {
                let registry = registry.with(&view.since)?;
                let actor = registry.acting(&request.actor)?;
                if request.command_id.is_some() {
                    let earlier = view.histories[0]
                        .iter()
                        .find(|e| e.metadata.command_id == command_id);
                    if let Some(done) = earlier {
                        let hash = done
                            .metadata
                            .extra
                            .get("command_hash")
                            .and_then(|h| h.as_str());
                        if hash != Some(print.as_str()) {
                            return Err(decide::reused(command_id, ""));
                        }
                        let allocated: ReferenceAllocated = done.data.decode()?;
                        result = Some((
                            Outcome::AlreadyOpened {
                                reference: allocated.reference,
                                case_id: allocated.case_id,
                                version: 0,
                            },
                            None,
                            registry,
                        ));
                        return Ok(None);
                    }
                }
                let (definition, version) = registry.definition(process, None)?;
                let last = view.revisions[0];
                let reference = case::reference(&definition.reference, year, last);
                let cx = case::Context {
                    definition: &definition,
                    version,
                    actor: &actor,
                    actors: registry.actors(),
                    now,
                    occurred_at,
                };
                let mut events = case::open(&cx, &reference, &input.0)?;
                super::partners::check(&registry, &definition, &events)?;
                let deciding = Deciding {
                    registry: &registry,
                    actor: &actor,
                    now,
                    occurred_at,
                    occurred_given: false,
                    master: self.master_key(),
                    missing_key: &self.inner.missing_key,
                    // A new case has no keys yet.
                    keys: Some(&[]),
                    index,
                };
                let sealed =
                    decide::seal(&deciding, &definition, case_id, &mut events)?.unwrap_or_default();
                let meta = metadata(
                    &actor.name,
                    command_id,
                    occurred_at,
                    now,
                    &format!("{}@{version}", definition.id),
                    &print,
                );
                let allocation = kroonika_engine::NewEvent::new(
                    self.new_id(),
                    case::REFERENCE_ALLOCATED,
                    &ReferenceAllocated {
                        reference: reference.clone(),
                        case_id,
                    },
                    meta.clone(),
                )
                .map_err(|err| Error::Invalid(err.to_string()))?;
                let after = Case::default().after(&events, occurred_at);
                let timer = decide::timer(Case::default().wake_after(&after));
                let write = Write {
                    streams: vec![
                        StreamWrite {
                            stream: numbering.clone(),
                            expected: last
                                .map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact),
                            events: vec![allocation],
                            timer: kroonika_store::Timer::Keep,
                        },
                        StreamWrite {
                            stream: stream.clone(),
                            expected: ExpectedRevision::NoStream,
                            events: to_new(&events, &meta, || self.new_id())?,
                            timer,
                        },
                    ],
                    new_keys: sealed.new_keys,
                    destroy_keys: Vec::new(),
                    index: sealed.index,
                    credentials: Vec::new(),
                    unchanged: None,
                };
                let remembered =
                    Remembered::default().after(after, &events, Some(command_id), &print);
                result = Some((
                    Outcome::Opened {
                        reference: reference.clone(),
                        case_id,
                        version: events.len() as u64,
                    },
                    Some((reference, remembered)),
                    registry,
                ));
                Ok(Some(write))
            })
            .await;
        match written {
            Ok(_) => {}
            Err(LockedError::Decided(err)) => return Err(err),
            Err(LockedError::Store(err)) => return Err(err.into()),
        }
        let Some((outcome, opened, registry)) = result else {
            return Err(Error::Invalid("opening decided nothing".to_owned()));
        };
        self.adopt(registry);
        if let Some((reference, remembered)) = opened {
            let mut cases = self.cases();
            cases.put_reference(&reference, case_id);
            cases.put(case_id, remembered);
        }
        Ok(outcome)
    }
}
