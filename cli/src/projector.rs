//! The projection runner: reads the log in batches, loads the documents the
//! batch touches, folds (pure, `kroonika-projections`), and commits changes and
//! checkpoint together (`Store::commit_projection`, compare-and-set). Several
//! runners, on several machines, may work the same projection: one commits a
//! batch, the others find the checkpoint moved and read on from there.

use std::collections::{BTreeMap, BTreeSet};

use kroonika_engine::publishing;
use kroonika_projections::{Catalog, Fold};
use kroonika_store::{DocChanges, ReadFrom, Store};
use serde_json::Value;

use crate::commands::publish;

/// Events folded per transaction.
const BATCH: usize = 1_000;

/// The page a rebuild reads, by backend: on SQLite larger pages mean fewer
/// commits and document loads per event (5,000: ~205k events/s against ~150k
/// with 1,000 at 1M events); on PostgreSQL the same change made rebuilds three
/// times slower (44k against 156k), so it keeps 1,000. Memory stays bounded by
/// the page, not the log. Measured in BENCHMARKS.md.
fn rebuild_page(store: &Store) -> usize {
    match store.backend_name() {
        "postgres" => 1_000,
        _ => 5_000,
    }
}

/// Every published definition that still checks, for folds to consult.
pub(crate) async fn catalog(store: &Store) -> anyhow::Result<Catalog> {
    let mut catalog = Catalog::default();
    let mut scan = store.scan(Some(publishing::CATEGORY), ReadFrom::Start, BATCH);
    while let Some(page) = scan.next_page().await? {
        for event in page {
            let published = publish::decode(&event)?;
            if let Some(definition) = kroonika_processes::check(&published.source).definition {
                catalog.insert(published.version, definition);
            }
        }
    }
    Ok(catalog)
}

/// What folding one page into one projection came to.
enum Outcome {
    /// Documents and checkpoint committed.
    Committed,
    /// The checkpoint was not where the page was read from: another runner
    /// committed it first. Nothing was written.
    Moved,
    /// The fold refused an event (position, reason). Nothing was written.
    Failed(u64, String),
}

/// Folds one page of the log into projection `name`, whose checkpoint is at
/// `from`, and commits documents and checkpoint together (compare-and-set).
async fn fold_page(
    store: &Store,
    catalog: &Catalog,
    fold: &dyn Fold,
    name: &str,
    from: u64,
    page: &[kroonika_engine::RecordedEvent],
) -> anyhow::Result<Outcome> {
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
        return Ok(Outcome::Failed(position, reason));
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
            Outcome::Committed
        } else {
            Outcome::Moved
        },
    )
}

/// Folds a page, reading the catalog again once if the fold met a definition
/// published after the catalog was read. A fold that still refuses stops the
/// projection, with the reason recorded for `projections status`.
async fn fold_page_or_stop(
    store: &Store,
    catalog: &mut Catalog,
    fold: &dyn Fold,
    name: &str,
    from: u64,
    page: &[kroonika_engine::RecordedEvent],
) -> anyhow::Result<bool> {
    let mut outcome = fold_page(store, catalog, fold, name, from, page).await?;
    if let Outcome::Failed(..) = outcome {
        *catalog = self::catalog(store).await?;
        outcome = fold_page(store, catalog, fold, name, from, page).await?;
    }
    match outcome {
        Outcome::Committed => Ok(true),
        Outcome::Moved => Ok(false),
        Outcome::Failed(position, reason) => {
            store.record_projection_error(name, &reason).await?;
            anyhow::bail!("projection {name} stopped at event {position}: {reason}")
        }
    }
}

/// Brings projection `name` (folded by `fold`) up to the head of the log.
/// Returns the number of events folded. `progress` is told each batch's last
/// position.
pub(crate) async fn catch_up(
    store: &Store,
    fold: &dyn Fold,
    name: &str,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<u64> {
    let mut catalog = catalog(store).await?;
    catch_up_with(store, &mut catalog, fold, name, progress).await
}

/// [`catch_up`] with a catalog the caller has already read (and may use after).
pub(crate) async fn catch_up_with(
    store: &Store,
    catalog: &mut Catalog,
    fold: &dyn Fold,
    name: &str,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<u64> {
    let mut folded = 0u64;
    'restart: loop {
        let mut position = store
            .projection_states(Some(name))
            .await?
            .first()
            .map_or(0, |s| s.position);
        let mut scan = store.scan(Some(fold.category()), ReadFrom::At(position + 1), BATCH);
        while let Some(page) = scan.next_page().await? {
            if !fold_page_or_stop(store, catalog, fold, name, position, &page).await? {
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

/// Catches every projection up (what commands that read a projection do first).
pub(crate) async fn catch_up_all(store: &Store) -> anyhow::Result<()> {
    let mut catalog = catalog(store).await?;
    for fold in kroonika_projections::all() {
        catch_up_with(store, &mut catalog, fold, fold.name(), &mut |_| {}).await?;
    }
    Ok(())
}

/// Rebuilds projections from the first event under staging names, reading the
/// log once for all of them, then swaps each in atomically; readers see the old
/// ones until the swap. Returns the events folded into each.
pub(crate) async fn rebuild(
    store: &Store,
    folds: &[&dyn Fold],
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<Vec<u64>> {
    let staging: Vec<String> = folds
        .iter()
        .map(|f| format!("{}#rebuild", f.name()))
        .collect();
    for name in &staging {
        store.drop_projection(name).await?;
    }
    let catalog = catalog(store).await?;
    // Each fold keeps its own copy (definitions are shared behind Arcs), so the
    // folds can work on a page at the same time.
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
        let own: Vec<Option<Vec<kroonika_engine::RecordedEvent>>> = folds
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
                let events: &[kroonika_engine::RecordedEvent] = own.as_deref().unwrap_or(&page);
                async move {
                    if events.is_empty() {
                        return Ok::<_, anyhow::Error>(None);
                    }
                    if !fold_page_or_stop(store, catalog, *fold, name, *from, events).await? {
                        anyhow::bail!(
                            "another rebuild of {} is running; let it finish, then try again",
                            fold.name()
                        );
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
        catch_up_with(store, catalog, *fold, fold.name(), progress).await?;
    }
    Ok(folded)
}

/// The documents of `fold` as they were at `at`: folded in memory from the
/// events recorded up to then ("what did we know then"). Reads the category.
pub(crate) async fn fold_until(
    store: &Store,
    fold: &dyn Fold,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Value>> {
    let catalog = catalog(store).await?;
    fold_until_with(store, &catalog, fold, at).await
}

/// [`fold_until`] with a catalog the caller has already read.
pub(crate) async fn fold_until_with(
    store: &Store,
    catalog: &Catalog,
    fold: &dyn Fold,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Value>> {
    let mut docs: BTreeMap<String, Value> = BTreeMap::new();
    let mut scan = store.scan(Some(fold.category()), ReadFrom::Start, BATCH);
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
                .map_err(|reason| anyhow::anyhow!(reason))?
            {
                docs.insert(key, next);
            }
        }
    }
    Ok(docs.into_values().collect())
}
