//! Running projections: read the log in batches, load the documents a batch
//! touches, fold (pure, `kroonika-projections`), and commit the changes with the
//! checkpoint (`Store::commit_projection`, compare-and-set). Several runners,
//! on several machines, may work the same projection: one commits a batch, the
//! others find the checkpoint moved and read on from there.
//!
//! Folds consult the published definitions (which fields are reportable): the
//! catalogue comes from the registry, each version compiled once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use kroonika_engine::{Code, RecordedEvent};
use kroonika_projections::{Catalog, Fold};
use kroonika_store::{DocChanges, ProjectionState, ReadFrom};
use serde_json::Value;

use crate::App;
use crate::error::{Error, Result, reject};

/// Events folded per transaction.
const BATCH: usize = 1_000;

/// The suffix of the staging name a rebuild folds under.
const REBUILDING: &str = "#rebuild";

/// One projection's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionStatus {
    pub name: String,
    pub position: u64,
    pub head: u64,
    pub error: Option<String>,
}

impl ProjectionStatus {
    /// How many positions it is behind the log's head.
    pub fn behind(&self) -> u64 {
        self.head.saturating_sub(self.position)
    }
}

/// What folding one page into one projection came to.
enum Folded {
    /// Documents and checkpoint committed.
    Committed,
    /// The checkpoint was not where the page was read from: another runner
    /// committed it first. Nothing was written.
    Moved,
    /// The fold refused an event (position, reason). Nothing was written.
    Failed(u64, String),
}

impl App {
    /// The catalogue of published definitions, as of the log's head.
    pub async fn catalog(&self) -> Result<Catalog> {
        Ok(self.refresh().await?.catalog())
    }

    /// Every projection's progress against the log's head.
    pub async fn projection_status(&self) -> Result<Vec<ProjectionStatus>> {
        let head = self.inner.store.head_position().await?;
        let states = self.inner.store.projection_states(None).await?;
        let mut rows: Vec<ProjectionStatus> = kroonika_projections::all()
            .iter()
            .map(|fold| {
                let state: Option<&ProjectionState> = states.iter().find(|s| s.name == fold.name());
                ProjectionStatus {
                    name: fold.name().to_owned(),
                    position: state.map_or(0, |s| s.position),
                    head,
                    error: state.and_then(|s| s.error.clone()),
                }
            })
            .collect();
        // A rebuild works under a staging name and swaps it in at the end:
        // one still there was interrupted (or is running now).
        rows.extend(
            states
                .iter()
                .filter(|s| s.name.ends_with(REBUILDING))
                .map(|s| ProjectionStatus {
                    name: s.name.clone(),
                    position: s.position,
                    head,
                    error: Some(format!(
                        "left by a rebuild that did not finish (or is running now, since {}); the projection itself is untouched, and the next `projections rebuild` clears this",
                        s.updated_at.format("%Y-%m-%d %H:%M UTC")
                    )),
                }),
        );
        Ok(rows)
    }

    /// The projections named (all if None), or the refusal naming the known ones.
    pub fn folds(name: Option<&str>) -> Result<Vec<&'static dyn Fold>> {
        let folds: Vec<_> = kroonika_projections::all()
            .into_iter()
            .filter(|f| name.is_none_or(|n| n == f.name()))
            .collect();
        if folds.is_empty() {
            let names: Vec<&str> = kroonika_projections::all()
                .iter()
                .map(|f| f.name())
                .collect();
            return Err(reject(
                Code::NotFound,
                format!(
                    "there is no projection '{}'; the projections are: {}",
                    name.unwrap_or_default(),
                    names.join(", ")
                ),
            ));
        }
        Ok(folds)
    }

    /// Brings one projection up to the head of the log. Returns the number of
    /// events folded; `progress` is told each batch's last position.
    pub async fn catch_up(
        &self,
        fold: &dyn Fold,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let mut catalog = self.catalog().await?;
        self.catch_up_with(&mut catalog, fold, fold.name(), progress)
            .await
    }

    /// Catches every projection up (what reading a projection does first).
    pub async fn catch_up_all(&self) -> Result<()> {
        let mut catalog = self.catalog().await?;
        // One projection that cannot catch up does not hold the others back;
        // the run still fails, naming how many and the first reason.
        let mut failed: Vec<(&str, Error)> = Vec::new();
        let all = kroonika_projections::all();
        for fold in &all {
            if let Err(err) = self
                .catch_up_with(&mut catalog, *fold, fold.name(), &mut |_| {})
                .await
            {
                failed.push((fold.name(), err));
            }
        }
        let count = failed.len();
        match failed.into_iter().next() {
            None => Ok(()),
            Some((name, err)) if count == all.len() => Err(err.context(format!(
                "none of the {count} projections could catch up; the first, {name}"
            ))),
            Some((name, err)) => Err(err.context(format!(
                "{count} of {} projections could not catch up (the others are up to date); the first, {name}",
                all.len()
            ))),
        }
    }

    /// [`App::catch_up`] with a catalogue the caller read (and may use after).
    pub(crate) async fn catch_up_with(
        &self,
        catalog: &mut Catalog,
        fold: &dyn Fold,
        name: &str,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let store = &self.inner.store;
        let mut folded = 0u64;
        'restart: loop {
            let mut position = store
                .projection_states(Some(name))
                .await?
                .first()
                .map_or(0, |s| s.position);
            let mut scan = store.scan(Some(fold.category()), ReadFrom::At(position + 1), BATCH);
            while let Some(page) = scan.next_page().await? {
                if !self
                    .fold_page_or_stop(catalog, fold, name, position, &page)
                    .await?
                {
                    // Another runner applied this batch first: read on from its checkpoint.
                    continue 'restart;
                }
                folded += page.len() as u64;
                position = page.last().map_or(position, |e| e.position);
                progress(position);
            }
            return Ok(folded);
        }
    }

    /// Folds one page of the log into projection `name`, whose checkpoint is
    /// at `from`, and commits documents and checkpoint together.
    async fn fold_page(
        &self,
        catalog: &Catalog,
        fold: &dyn Fold,
        name: &str,
        from: u64,
        page: &[RecordedEvent],
    ) -> Result<Folded> {
        let store = &self.inner.store;
        let keys: BTreeSet<String> = page.iter().filter_map(|e| fold.key(e)).collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let mut docs: BTreeMap<String, Option<Value>> = BTreeMap::new();
        if !keys.is_empty() {
            docs.extend(
                store
                    .projection_docs(name, Some(&keys))
                    .await?
                    .into_iter()
                    .map(|(k, d)| (k, Some(d))),
            );
        }
        // Every touched key present: None where there is no document yet.
        for key in &keys {
            docs.entry(key.clone()).or_insert(None);
        }
        if let Err((position, reason)) = fold.apply_batch(catalog, &mut docs, page) {
            return Ok(Folded::Failed(position, reason));
        }
        let mut changes = DocChanges::default();
        for key in keys {
            match docs.remove(&key).flatten() {
                Some(doc) => changes.put.push((key, doc)),
                None => changes.delete.push(key),
            }
        }
        let last = page.last().map_or(from, |e| e.position);
        Ok(
            if store.commit_projection(name, from, last, &changes).await? {
                Folded::Committed
            } else {
                Folded::Moved
            },
        )
    }

    /// Folds a page, reading the catalogue again once if the fold met a
    /// definition published after it was read. A fold that still refuses stops
    /// the projection, with the reason recorded for `projections status`.
    async fn fold_page_or_stop(
        &self,
        catalog: &mut Catalog,
        fold: &dyn Fold,
        name: &str,
        from: u64,
        page: &[RecordedEvent],
    ) -> Result<bool> {
        let mut outcome = self.fold_page(catalog, fold, name, from, page).await?;
        if let Folded::Failed(..) = outcome {
            *catalog = self.catalog().await?;
            outcome = self.fold_page(catalog, fold, name, from, page).await?;
        }
        match outcome {
            Folded::Committed => Ok(true),
            Folded::Moved => Ok(false),
            Folded::Failed(position, reason) => {
                self.inner
                    .store
                    .record_projection_error(name, &reason)
                    .await?;
                Err(Error::Invalid(format!(
                    "projection {name} stopped at event {position}: {reason}"
                )))
            }
        }
    }

    /// Rebuilds projections from the first event under staging names, reading
    /// the log once for all of them, then swaps each in atomically; readers see
    /// the old ones until the swap. Returns the events folded into each.
    pub async fn rebuild(
        &self,
        folds: &[&dyn Fold],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<u64>> {
        let store = &self.inner.store;
        let staging: Vec<String> = folds
            .iter()
            .map(|f| format!("{}{REBUILDING}", f.name()))
            .collect();
        for name in &staging {
            store.drop_projection(name).await?;
        }
        let catalog = self.catalog().await?;
        // Each fold keeps its own copy (definitions are shared behind Arcs), so
        // the folds can work on a page at the same time.
        let mut catalogs = vec![catalog; folds.len()];
        // One scan: of the folds' category when they share one, else of everything.
        let category = folds
            .first()
            .map(|f| f.category())
            .filter(|c| folds.iter().all(|f| f.category() == *c));
        let mut positions = vec![0u64; folds.len()];
        let mut folded = vec![0u64; folds.len()];
        let mut scan = store.scan(category, ReadFrom::Start, rebuild_page(store));
        while let Some(page) = scan.next_page().await? {
            let own: Vec<Option<Vec<RecordedEvent>>> = folds
                .iter()
                .map(|fold| {
                    category.is_none().then(|| {
                        page.iter()
                            .filter(|e| e.stream.category() == fold.category())
                            .cloned()
                            .collect()
                    })
                })
                .collect();
            // The folds of one page run together: one folds while another's
            // documents are read or written.
            let work = folds
                .iter()
                .zip(catalogs.iter_mut())
                .zip(&staging)
                .zip(&own)
                .zip(&positions)
                .map(|((((fold, catalog), name), own), from)| {
                    let events: &[RecordedEvent] = own.as_deref().unwrap_or(&page);
                    async move {
                        if events.is_empty() {
                            return Ok::<_, Error>(None);
                        }
                        if !self
                            .fold_page_or_stop(catalog, *fold, name, *from, events)
                            .await?
                        {
                            return Err(Error::Invalid(format!(
                                "another rebuild of {} is running; let it finish, then try again",
                                fold.name()
                            )));
                        }
                        Ok(events.last().map(|e| (e.position, events.len() as u64)))
                    }
                });
            let done = futures_util::future::try_join_all(work).await?;
            for (i, result) in done.into_iter().enumerate() {
                if let Some((position, count)) = result {
                    positions[i] = position;
                    folded[i] += count;
                }
            }
            if let Some(last) = page.last() {
                progress(last.position);
            }
        }
        for ((fold, name), catalog) in folds.iter().zip(&staging).zip(catalogs.iter_mut()) {
            store.swap_projection(name, fold.name()).await?;
            // Events that arrived during the rebuild are folded on this catch-up.
            self.catch_up_with(catalog, *fold, fold.name(), progress)
                .await?;
        }
        Ok(folded)
    }

    /// The documents of `fold` as they were at `at`: folded in memory from the
    /// events recorded up to then ("what did we know then"). Reads the category.
    pub async fn fold_until(&self, fold: &dyn Fold, at: DateTime<Utc>) -> Result<Vec<Value>> {
        let catalog = self.catalog().await?;
        self.fold_until_with(&catalog, fold, at).await
    }

    pub(crate) async fn fold_until_with(
        &self,
        catalog: &Catalog,
        fold: &dyn Fold,
        at: DateTime<Utc>,
    ) -> Result<Vec<Value>> {
        let mut docs: BTreeMap<String, Value> = BTreeMap::new();
        let mut scan = self
            .inner
            .store
            .scan(Some(fold.category()), ReadFrom::Start, BATCH);
        'pages: while let Some(page) = scan.next_page().await? {
            for event in page {
                // recorded_at never decreases along the log: nothing later can be earlier.
                if event.recorded_at > at {
                    break 'pages;
                }
                let Some(key) = fold.key(&event) else {
                    continue;
                };
                let current = docs.remove(&key);
                if let Some(next) = fold
                    .apply(catalog, current, &event)
                    .map_err(Error::Invalid)?
                {
                    docs.insert(key, next);
                }
            }
        }
        Ok(docs.into_values().collect())
    }
}

/// The page a rebuild reads, by backend: on SQLite larger pages mean fewer
/// commits and document loads per event (5,000: ~205k events/s against ~150k
/// with 1,000 at 1M events); on PostgreSQL the same change made rebuilds three
/// times slower (44k against 156k), so it keeps 1,000. Memory stays bounded by
/// the page, not the log. Measured in BENCHMARKS.md.
fn rebuild_page(store: &kroonika_store::Store) -> usize {
    match store.backend_name() {
        "postgres" => 1_000,
        _ => 5_000,
    }
}
