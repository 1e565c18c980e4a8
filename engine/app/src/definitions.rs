//! Process definitions in the store: publishing versions, listing them,
//! reading one back, and what moving open cases to a new version would do.
//!
//! Publishing and the directory (`actors.rs`) are registry writes: decided
//! inside the store's write lock on the registry as it is then, so two
//! publications never number the same version and a revoked service owner
//! never publishes.

use std::collections::BTreeMap;
use std::sync::Arc;

use kroonika_engine::case::{self, Case};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::partners::{self, PartnerList};
use kroonika_engine::publishing::{self, Publication};
use kroonika_engine::{Code, ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::{LockedError, LockedRead, Write};

use crate::command::Request;
use crate::error::{Error, Result, reject};
use crate::registry::{Published, Registry};
use crate::{App, keys};
use kroonika_projections::Fold as _;
use uuid::Uuid;

/// What publishing came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publishing {
    /// A new version.
    New {
        process: String,
        version: u32,
        content_hash: String,
    },
    /// The text is the latest version's already: no new version.
    Unchanged { process: String, version: u32 },
}

/// How many open cases in one version and state a migration would move, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationGroup {
    pub version: u32,
    pub state: String,
    /// `automatic`, `needs mapping` or `cannot`.
    pub verdict: &'static str,
    pub detail: String,
    pub cases: usize,
}

/// One open case and what moving it to a version would do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationRow {
    pub case: String,
    pub version: u32,
    pub state: String,
    /// `automatic`, `needs mapping` or `cannot`.
    pub verdict: &'static str,
    pub detail: String,
}

impl App {
    /// Publishes `source` as the next version of its process (or finds it is
    /// the latest already). A definition with errors is refused.
    /// Publishes `source` as its process's next version. The text of an older
    /// version is refused unless `revert` says it is meant.
    pub async fn publish(
        &self,
        request: &Request,
        source: &str,
        revert: bool,
    ) -> Result<Publishing> {
        let done = self.publish_checked(request, source, revert).await;
        self.recorded(request, None, done).await
    }

    async fn publish_checked(
        &self,
        request: &Request,
        source: &str,
        revert: bool,
    ) -> Result<Publishing> {
        if kroonika_processes::is_partner_list(source) {
            return self.publish_partners(request, source).await;
        }
        let Some(definition) = kroonika_processes::check(source).definition else {
            return Err(reject(
                Code::InvalidDefinition,
                "the definition has errors (`kroonika def check` shows them) and was not published",
            ));
        };
        let (_, registry) = self.acting(&request.actor).await?;
        let hash = kroonika_processes::content_hash(source);
        let stream = StreamName::from_parts(publishing::CATEGORY, &definition.id)
            .map_err(kroonika_store::Error::from)?;
        let command_id = request.command_id.unwrap_or_else(|| self.new_id());
        let (outcome, _) = self
            .registry_write(&registry, &stream, |registry, revision| {
                let by = registry.acting(&request.actor)?;
                let history: Vec<_> = registry
                    .versions(&definition.id)
                    .iter()
                    .map(|p| p.publication.clone())
                    .collect();
                match publishing::decide(
                    &history,
                    &by,
                    &definition.id,
                    definition.title.as_str(),
                    source,
                    &hash,
                    revert,
                )? {
                    Publication::Unchanged { version } => Ok((
                        Publishing::Unchanged {
                            process: definition.id.clone(),
                            version,
                        },
                        None,
                    )),
                    Publication::New(event) => {
                        let write = self.publication(
                            &stream,
                            revision,
                            &by.name,
                            command_id,
                            publishing::PUBLISHED,
                            &event,
                        )?;
                        Ok((
                            Publishing::New {
                                process: event.process,
                                version: event.version,
                                content_hash: event.content_hash,
                            },
                            Some(write),
                        ))
                    }
                }
            })
            .await?;
        Ok(outcome)
    }

    /// Publishes the partner list's next version (the same text again is no
    /// new version). A list with errors is refused.
    async fn publish_partners(&self, request: &Request, source: &str) -> Result<Publishing> {
        let Some(list) = kroonika_processes::check_partners(source).list else {
            return Err(reject(
                Code::InvalidDefinition,
                "the partner list has errors (`kroonika def check` shows them) and was not published",
            ));
        };
        let (_, registry) = self.acting(&request.actor).await?;
        let hash = kroonika_processes::content_hash(source);
        let stream = StreamName::from_parts(partners::CATEGORY, partners::STREAM_ID)
            .map_err(kroonika_store::Error::from)?;
        let command_id = request.command_id.unwrap_or_else(|| self.new_id());
        let (outcome, _) = self
            .registry_write(&registry, &stream, |registry, revision| {
                let by = registry.acting(&request.actor)?;
                let history: Vec<_> = registry
                    .partner_versions()
                    .iter()
                    .map(|p| p.publication.clone())
                    .collect();
                let title = list.title.as_str();
                let Some(event) = partners::decide(&history, &by, title, source, &hash)? else {
                    let version = history.last().map_or(0, |p| p.version);
                    let process = "partners".to_owned();
                    return Ok((Publishing::Unchanged { process, version }, None));
                };
                let write = self.publication(
                    &stream,
                    revision,
                    &by.name,
                    command_id,
                    partners::PUBLISHED,
                    &event,
                )?;
                Ok((
                    Publishing::New {
                        process: "partners".to_owned(),
                        version: event.version,
                        content_hash: event.content_hash,
                    },
                    Some(write),
                ))
            })
            .await?;
        Ok(outcome)
    }

    /// The write of one publication event on `stream`, after `revision`.
    fn publication(
        &self,
        stream: &StreamName,
        revision: Option<u64>,
        by: &str,
        command_id: Uuid,
        event_type: &str,
        event: &impl serde::Serialize,
    ) -> Result<Write> {
        let metadata = Metadata::for_command(by, command_id, self.now());
        let new = NewEvent::new(self.new_id(), event_type, event, metadata)
            .map_err(|err| Error::Invalid(err.to_string()))?;
        let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
        Ok(Write::append(stream, expected, vec![new]))
    }

    /// The partner list in force and its version, if one is published.
    pub async fn partner_list(&self) -> Result<Option<(u32, Arc<PartnerList>)>> {
        let registry = self.refresh().await?;
        let Some(latest) = registry.partner_versions().last() else {
            return Ok(None);
        };
        Ok(Some((latest.publication.version, latest.list()?)))
    }

    /// A registry write decided inside the store's write lock: `decide` gets
    /// the registry as it is then and the revision of `stream`, and says what
    /// came of it and what to write. The registry moves past the write after.
    pub(crate) async fn registry_write<T>(
        &self,
        registry: &Registry,
        stream: &StreamName,
        decide: impl FnOnce(&Registry, Option<u64>) -> Result<(T, Option<Write>)>,
    ) -> Result<(T, Arc<Registry>)> {
        let read = LockedRead {
            revisions: vec![stream.clone()],
            since: Some(App::unchanged(registry)),
            ..LockedRead::default()
        };
        let mut outcome = None;
        let written = self
            .inner
            .store
            .write_locked(&read, |view| -> Result<Option<Write>> {
                let current = registry.with(&view.since)?;
                let (said, write) = decide(&current, view.revisions[0])?;
                outcome = Some((said, current));
                Ok(write)
            })
            .await;
        match written {
            Ok(_) => {}
            Err(LockedError::Decided(err)) => return Err(err),
            Err(LockedError::Store(err)) => return Err(err.into()),
        }
        let (said, current) =
            outcome.ok_or_else(|| Error::Invalid("a registry write decided nothing".to_owned()))?;
        self.adopt(current);
        // Our own write moved the registry: read it back.
        let registry = self.refresh().await?;
        Ok((said, registry))
    }

    /// The latest version of every published process, by process id.
    pub async fn published(&self) -> Result<Vec<Arc<Published>>> {
        let registry = self.refresh().await?;
        Ok(registry.latest_versions().cloned().collect())
    }

    /// One published version (the latest if `version` is None).
    pub async fn published_version(
        &self,
        process: &str,
        version: Option<u32>,
    ) -> Result<Arc<Published>> {
        let registry = self.refresh().await?;
        Ok(registry.version(process, version)?.clone())
    }

    /// The validated model of a published version (the latest if None), and its number.
    pub async fn definition(
        &self,
        process: &str,
        version: Option<u32>,
    ) -> Result<(Arc<ProcessDefinition>, u32)> {
        self.refresh().await?.definition(process, version)
    }

    /// What moving each open case of `process` on an older version to
    /// `to_version` would do: automatic, needs a state mapping, or impossible.
    /// It names open cases: for those who may read the process's cases.
    pub async fn migrations(
        &self,
        request: &Request,
        process: &str,
        to_version: u32,
    ) -> Result<Vec<MigrationRow>> {
        self.reader(request, crate::permissions::Reading::Cases(process))
            .await?;
        self.migration_rows(process, to_version).await
    }

    /// [`App::migrations`] without the cases: how many open cases in each
    /// version and state would move how. For those who may read the process's
    /// report (its service owner), who may not read its cases.
    pub async fn migration_summary(
        &self,
        request: &Request,
        process: &str,
        to_version: u32,
    ) -> Result<Vec<MigrationGroup>> {
        self.reader(request, crate::permissions::Reading::Report(process))
            .await?;
        let mut groups: Vec<MigrationGroup> = Vec::new();
        for row in self.migration_rows(process, to_version).await? {
            match groups.iter_mut().find(|g| {
                (g.version, &g.state, g.verdict, &g.detail)
                    == (row.version, &row.state, row.verdict, &row.detail)
            }) {
                Some(group) => group.cases += 1,
                None => groups.push(MigrationGroup {
                    version: row.version,
                    state: row.state,
                    verdict: row.verdict,
                    detail: row.detail,
                    cases: 1,
                }),
            }
        }
        groups.sort_by(|a, b| (a.version, &a.state).cmp(&(b.version, &b.state)));
        Ok(groups)
    }

    /// The open cases on an older version than `to_version`, each judged.
    /// The case list (caught up) says which those are, so only their streams
    /// are read; a read-only store folds every case from the log instead.
    async fn migration_rows(&self, process: &str, to_version: u32) -> Result<Vec<MigrationRow>> {
        let (definition, version) = self.definition(process, Some(to_version)).await?;
        let fold = &kroonika_projections::cases::CaseList;
        let cases: Vec<(Uuid, Case)> = match self.catch_up(fold, &mut |_| {}).await {
            Ok(_) => {
                let mut cases = Vec::new();
                for (_, doc) in self.inner.store.projection_docs(fold.name(), None).await? {
                    let candidate = doc["process"] == process
                        && doc["closed"] != serde_json::Value::Bool(true)
                        && doc["version"]
                            .as_u64()
                            .is_some_and(|v| v < u64::from(version));
                    let id = doc["case_id"]
                        .as_str()
                        .and_then(|id| id.parse::<Uuid>().ok());
                    if let (true, Some(id)) = (candidate, id) {
                        let history = self.history_of(id, &id.to_string()).await?;
                        cases.push((id, Case::fold(&history)?));
                    }
                }
                cases
            }
            Err(err) if err.is_read_only() => self.all_cases().await?.into_iter().collect(),
            Err(err) => return Err(err),
        };
        let mut rows = Vec::new();
        for (id, mut case) in cases {
            if case.process != process || case.closed || case.version >= version {
                continue;
            }
            if let Some(master) = self.master_key() {
                let ring = keys::existing(&self.inner.store, master, id).await?;
                keys::open_data(&ring, id, &mut case.data);
            }
            let (verdict, detail) =
                match case::migration_target(&case, &definition, version, &BTreeMap::new()) {
                    Ok(state) => ("automatic", format!("stays in {state}")),
                    Err(case::Migration::NeedsMapping(why)) => ("needs mapping", why),
                    Err(case::Migration::Impossible(why)) => ("cannot", why),
                };
            rows.push(MigrationRow {
                case: case.reference,
                version: case.version,
                state: case.state,
                verdict,
                detail,
            });
        }
        Ok(rows)
    }
}
