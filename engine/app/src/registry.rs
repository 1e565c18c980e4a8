//! What every decision is made against, besides the case: the actor directory
//! and the catalogue of published definitions, folded from the log's `actor-`
//! and `definition-` streams.
//!
//! A [`Registry`] is an immutable snapshot at a log position. The application
//! keeps one and moves it forward when the log moves: it reads only the
//! registry's events after that position (one indexed query), never the whole
//! directory again. Writes carry the snapshot's position as a precondition
//! ([`kroonika_store::Unchanged`]), so a decision made against a directory that
//! has since changed (a role revoked, a version published by another machine)
//! is never appended: the write is refused, the registry moves forward, and
//! the command is decided again.
//!
//! Published versions never change, so each is compiled once (its CEL
//! programs too, see `kroonika_engine::case::guard`), the first time a case
//! needs it, and shared by every later snapshot.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use kroonika_engine::actors::{self, Actor, ActorEvent};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::event::DecodeError;
use kroonika_engine::partners::{self, PartnerList, PartnersPublished};
use kroonika_engine::publishing::{self, DefinitionPublished};
use kroonika_engine::{Code, RecordedEvent};
use kroonika_projections::Catalog;

use crate::error::{Result, reject};

/// The stream categories the registry folds.
pub fn categories() -> Vec<String> {
    vec![
        actors::CATEGORY.to_owned(),
        publishing::CATEGORY.to_owned(),
        partners::CATEGORY.to_owned(),
    ]
}

/// One published version of a process, compiled when first needed.
#[derive(Debug)]
pub struct Published {
    pub publication: DefinitionPublished,
    pub recorded_at: DateTime<Utc>,
    /// Who published it.
    pub by: String,
    compiled: OnceLock<std::result::Result<Arc<ProcessDefinition>, String>>,
}

impl Published {
    /// The validated model of this version: checked again from its text (only
    /// the text is stored), once.
    pub fn definition(&self) -> Result<Arc<ProcessDefinition>> {
        self.compiled
            .get_or_init(|| {
                kroonika_processes::check(&self.publication.source)
                    .definition
                    .map(Arc::new)
                    .ok_or_else(|| {
                        format!(
                            "published version {} of '{}' no longer checks",
                            self.publication.version, self.publication.process
                        )
                    })
            })
            .clone()
            .map_err(|why| reject(Code::InvalidDefinition, why))
    }
}

/// One published version of the partner list, checked when first needed.
#[derive(Debug)]
pub struct PublishedPartners {
    pub publication: PartnersPublished,
    pub recorded_at: DateTime<Utc>,
    pub by: String,
    compiled: OnceLock<std::result::Result<Arc<PartnerList>, String>>,
}

impl PublishedPartners {
    /// The validated list of this version (only the text is stored).
    pub fn list(&self) -> Result<Arc<PartnerList>> {
        self.compiled
            .get_or_init(|| {
                kroonika_processes::check_partners(&self.publication.source)
                    .list
                    .map(Arc::new)
                    .ok_or_else(|| {
                        format!(
                            "published version {} of the partner list no longer checks",
                            self.publication.version
                        )
                    })
            })
            .clone()
            .map_err(|why| reject(Code::InvalidDefinition, why))
    }
}

/// The actor directory and the published definitions, as of a log position.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    position: u64,
    actors: BTreeMap<String, Actor>,
    /// Process id → its versions, oldest first (version n at index n - 1).
    definitions: BTreeMap<String, Vec<Arc<Published>>>,
    /// The partner list's versions, oldest first.
    partners: Vec<Arc<PublishedPartners>>,
    /// The first registry event that did not read as what its stream holds
    /// (changed outside Kroonika): skipped, so that an auditor can still open
    /// the store and verify it, while no one acts on a directory with a hole.
    unreadable: Option<Arc<String>>,
}

impl Registry {
    /// The log position this snapshot is current to.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Folds registry events (in log order) into a new snapshot to act on:
    /// refused if one of them (or an earlier one) did not read.
    pub(crate) fn with(&self, events: &[RecordedEvent]) -> Result<Registry> {
        let next = self.with_any(events);
        match next.unreadable() {
            Some(why) => Err(crate::Error::Integrity(why.to_owned())),
            None => Ok(next),
        }
    }

    /// Folds registry events (in log order) into a new snapshot, skipping
    /// any that does not read (and remembering the first).
    pub(crate) fn with_any(&self, events: &[RecordedEvent]) -> Registry {
        let mut next = self.clone();
        for event in events {
            if event.position <= next.position {
                continue;
            }
            if let Err(err) = next.fold(event) {
                next.unreadable.get_or_insert_with(|| {
                    Arc::new(format!(
                        "{err}: {}; the log was changed outside Kroonika (or by a newer build): `kroonika audit verify` finds where",
                        std::error::Error::source(&err).map_or(String::new(), ToString::to_string)
                    ))
                });
            }
            next.position = event.position;
        }
        next
    }

    /// Why this directory cannot be acted on, if a registry event was unreadable.
    pub fn unreadable(&self) -> Option<&str> {
        self.unreadable.as_deref().map(String::as_str)
    }

    fn fold(&mut self, event: &RecordedEvent) -> std::result::Result<(), DecodeError> {
        let decode = |source| DecodeError {
            position: event.position,
            stream: event.stream.to_string(),
            source,
        };
        match event.stream.category() {
            actors::CATEGORY => {
                let decoded = ActorEvent::from_parts(&event.event_type, event.data.as_str())
                    .map_err(decode)?;
                self.actors
                    .entry(event.stream.id().to_owned())
                    .or_default()
                    .evolve(&decoded);
            }
            publishing::CATEGORY => {
                let publication: DefinitionPublished = event.data.decode().map_err(decode)?;
                self.definitions
                    .entry(publication.process.clone())
                    .or_default()
                    .push(Arc::new(Published {
                        publication,
                        recorded_at: event.recorded_at,
                        by: event.metadata.actor.clone(),
                        compiled: OnceLock::new(),
                    }));
            }
            partners::CATEGORY => {
                let publication: PartnersPublished = event.data.decode().map_err(decode)?;
                self.partners.push(Arc::new(PublishedPartners {
                    publication,
                    recorded_at: event.recorded_at,
                    by: event.metadata.actor.clone(),
                    compiled: OnceLock::new(),
                }));
            }
            _ => {}
        }
        Ok(())
    }

    /// The partner list's versions, oldest first.
    pub fn partner_versions(&self) -> &[Arc<PublishedPartners>] {
        &self.partners
    }

    /// The partner list in force (the latest version), if one is published.
    pub fn partners(&self) -> Result<Option<Arc<PartnerList>>> {
        self.partners.last().map(|p| p.list()).transpose()
    }

    /// Every registered actor, by name.
    pub fn actors(&self) -> &BTreeMap<String, Actor> {
        &self.actors
    }

    pub fn actor(&self, name: &str) -> Option<&Actor> {
        self.actors.get(name)
    }

    /// The actor a request names, or the refusal a front end shows.
    pub fn acting(&self, name: &str) -> Result<Actor> {
        if name == actors::SYSTEM {
            return Ok(system());
        }
        let actor = self.actors.get(name).cloned().ok_or_else(|| {
            reject(
                Code::UnknownActor,
                format!(
                    "unknown actor '{name}'; an administrator registers actors with `kroonika actor add`"
                ),
            )
        })?;
        if let Some(reason) = &actor.deactivated {
            return Err(crate::Error::Rejected(kroonika_engine::Rejection::denied(
                format!(
                    "actor '{name}' is deactivated ({reason}); an administrator reactivates them with `kroonika actor reactivate`"
                ),
            )));
        }
        Ok(actor)
    }

    /// The roles an actor may be given: the built-in ones and those some
    /// published version of some process declares. None when nothing is
    /// published yet (then there is nothing to judge a role by).
    pub fn known_roles(&self) -> Option<std::collections::BTreeSet<String>> {
        if self.definitions.is_empty() {
            return None;
        }
        let mut roles: std::collections::BTreeSet<String> =
            [actors::ADMIN, actors::SERVICE_OWNER, actors::AUDITOR]
                .into_iter()
                .map(str::to_owned)
                .collect();
        for versions in self.definitions.values() {
            for published in versions {
                if let Ok(definition) = published.definition() {
                    roles.extend(definition.roles.iter().cloned());
                }
            }
        }
        Some(roles)
    }

    /// Every published version of a process, oldest first.
    pub fn versions(&self, process: &str) -> &[Arc<Published>] {
        self.definitions.get(process).map_or(&[], Vec::as_slice)
    }

    /// The latest published version of every process, by process id.
    pub fn latest_versions(&self) -> impl Iterator<Item = &Arc<Published>> {
        self.definitions.values().filter_map(|v| v.last())
    }

    /// One published version (the latest if `version` is None), or the refusal.
    pub fn version(&self, process: &str, version: Option<u32>) -> Result<&Arc<Published>> {
        let all = self.versions(process);
        let Some(latest) = all.last() else {
            let hint = kroonika_processes::suggest::did_you_mean(
                process,
                self.definitions.keys().map(String::as_str),
            )
            .map(|h| format!("{h} "))
            .unwrap_or_default();
            return Err(reject(
                Code::NotFound,
                format!(
                    "no process '{process}' is published; {hint}`kroonika def list` shows what is"
                ),
            ));
        };
        match version {
            None => Ok(latest),
            Some(n) if n >= 1 && (n as usize) <= all.len() => Ok(&all[n as usize - 1]),
            Some(n) => Err(reject(
                Code::NotFound,
                format!(
                    "process '{process}' has no version {n}; its versions are 1 to {}",
                    all.len()
                ),
            )),
        }
    }

    /// Every role any published version of a process names.
    pub fn process_roles(&self, process: &str) -> std::collections::BTreeSet<String> {
        self.versions(process)
            .iter()
            .filter_map(|published| published.definition().ok())
            .flat_map(|definition| definition.roles.clone())
            .collect()
    }

    /// The compiled definition of a version (the latest if None), with its number.
    pub fn definition(
        &self,
        process: &str,
        version: Option<u32>,
    ) -> Result<(Arc<ProcessDefinition>, u32)> {
        let published = self.version(process, version)?;
        Ok((published.definition()?, published.publication.version))
    }

    /// Every published version that still checks, for projections and the
    /// conformance replay.
    pub fn catalog(&self) -> Catalog {
        let mut catalog = Catalog::default();
        for versions in self.definitions.values() {
            for published in versions {
                if let Ok(definition) = published.definition() {
                    catalog.insert_shared(published.publication.version, definition);
                }
            }
        }
        catalog
    }
}

/// The system: who acts for deadlines and retention; never a registered actor.
pub fn system() -> Actor {
    Actor {
        name: actors::SYSTEM.to_owned(),
        ..Actor::default()
    }
}
