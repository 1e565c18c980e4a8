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

/// Brings projection `name` (folded by `fold`) up to the head of the log.
/// Returns the number of events folded. `progress` is told each batch's last
/// position.
pub(crate) async fn catch_up(
    store: &Store,
    fold: &dyn Fold,
    name: &str,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<u64> {
    let mut folded = 0u64;
    let mut catalog = catalog(store).await?;
    // A definition published after the catalog was read: read it again, once.
    let mut reloaded = false;
    'restart: loop {
        let mut position = store
            .projection_states(Some(name))
            .await?
            .first()
            .map_or(0, |s| s.position);
        let mut scan = store.scan(Some(fold.category()), ReadFrom::At(position + 1), BATCH);
        while let Some(page) = scan.next_page().await? {
            let keys: BTreeSet<String> = page.iter().filter_map(|e| fold.key(e)).collect();
            let keys: Vec<String> = keys.into_iter().collect();
            let mut docs: BTreeMap<String, Option<Value>> = store
                .projection_docs(name, Some(&keys))
                .await?
                .into_iter()
                .map(|(k, d)| (k, Some(d)))
                .collect();
            // Every touched key present: None where there is no document yet.
            for key in &keys {
                docs.entry(key.clone()).or_insert(None);
            }
            if let Err((position, reason)) = fold.apply_batch(&catalog, &mut docs, &page) {
                if !reloaded {
                    reloaded = true;
                    catalog = self::catalog(store).await?;
                    continue 'restart;
                }
                store.record_projection_error(name, &reason).await?;
                anyhow::bail!("projection {name} stopped at event {position}: {reason}");
            }
            let touched: BTreeSet<String> = keys.iter().cloned().collect();
            let mut changes = DocChanges::default();
            for key in touched {
                match docs.remove(&key).flatten() {
                    Some(doc) => changes.put.push((key, doc)),
                    None => changes.delete.push(key),
                }
            }
            let last = page.last().map_or(position, |e| e.position);
            if !store
                .commit_projection(name, position, last, &changes)
                .await?
            {
                // Another runner applied this batch first: read on from its checkpoint.
                continue 'restart;
            }
            folded += page.len() as u64;
            position = last;
            progress(position);
        }
        return Ok(folded);
    }
}

/// Catches every projection up (what commands that read a projection do first).
pub(crate) async fn catch_up_all(store: &Store) -> anyhow::Result<()> {
    for fold in kroonika_projections::all() {
        catch_up(store, fold, fold.name(), &mut |_| {}).await?;
    }
    Ok(())
}

/// Rebuilds a projection from the first event under a staging name, then swaps
/// it in atomically; readers see the old one until the swap.
pub(crate) async fn rebuild(
    store: &Store,
    fold: &dyn Fold,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<u64> {
    let staging = format!("{}#rebuild", fold.name());
    store.drop_projection(&staging).await?;
    let folded = catch_up(store, fold, &staging, progress).await?;
    store.swap_projection(&staging, fold.name()).await?;
    // Events that arrived during the rebuild are folded on the next catch-up.
    catch_up(store, fold, fold.name(), progress).await?;
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
                .apply(&catalog, current, &event)
                .map_err(|reason| anyhow::anyhow!(reason))?
            {
                docs.insert(key, next);
            }
        }
    }
    Ok(docs.into_values().collect())
}
