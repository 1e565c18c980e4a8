//! Group commit: one writer task per store takes the writes queued while the
//! previous transaction commits and appends all of them in one transaction,
//! under one write lock, with one commit (one fsync on SQLite, one WAL flush on
//! PostgreSQL). Round trips and the flush, not the rules, bound a command
//! (BENCHMARKS.md), so many people's commands arriving at once in one server
//! share them.
//!
//! Each write is still judged on its own, against the streams' revisions and
//! the watched categories as the writes before it in the group left them: a
//! write that conflicts or fails its precondition is found out before it
//! writes anything and is answered alone; the others go on. A write that fails
//! after it began writing (an id stored already, a subject key another writer
//! made) sends the group round again with every write in a savepoint, so that
//! it rolls back alone; savepoints cost a statement a write, so the common
//! group goes without. Positions stay
//! gapless and in write order, every hash chains to the one before (the head
//! is carried from write to write in memory: nobody else can write while the
//! group holds the lock), and a retried write is recognised after the commit,
//! when the group's own events are visible to the lookup.
//!
//! If the group's transaction itself fails (a savepoint that cannot be rolled
//! back to, a commit that fails), nothing of it was acknowledged: each of its
//! writes is then written alone, so that each gets its own answer (a retry of
//! a write that did commit after all is recognised as one by its event ids).
//!
//! A write is acknowledged only after the commit that holds it returned, so
//! durability is what it was: `synchronous=FULL` on SQLite, fsync on
//! PostgreSQL. With one writer alone, the group is that one write, written the
//! plain way.

use std::collections::HashMap;
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

use kroonika_engine::StreamName;
use tokio::sync::{mpsc, oneshot};

use chrono::SubsecRound;

use crate::append::{self, AppendResult, Batch};
use crate::backend::{Backend, Head, Plan};
use crate::chain::Hash;
use crate::error::{Error, Result};
use crate::write::{self, Failed, Revisions, Staged, Write, WriteResult};

/// At most this many writes in one group.
const MAX_WRITES: usize = 256;
/// A group stops taking writes once it holds this many events.
const MAX_EVENTS: usize = 10_000;
/// Writes waiting for the writer before a caller waits to queue.
const QUEUE: usize = 1_024;

/// A write waiting for the writer task, and where its outcome goes.
#[derive(Debug)]
pub(crate) struct Job {
    pub write: Write,
    pub reply: oneshot::Sender<Result<WriteResult>>,
}

/// The queue to a store's writer task.
#[derive(Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
    pub(crate) groups: AtomicU64,
    pub(crate) writes: AtomicU64,
}

/// How many groups the writer committed and how many writes they held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    pub groups: u64,
    pub writes: u64,
}

impl Writer {
    /// A writer task for the store `inner` points to; it ends when the store
    /// is dropped (the queue with it).
    pub(crate) fn spawn<S>(store: Weak<S>, run: fn(std::sync::Arc<S>, Vec<Job>) -> Run) -> Writer
    where
        S: Send + Sync + 'static,
    {
        let (queue, mut receiver) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut events = first.write.event_count();
                let mut jobs = vec![first];
                while jobs.len() < MAX_WRITES && events < MAX_EVENTS {
                    match receiver.try_recv() {
                        Ok(job) => {
                            events += job.write.event_count();
                            jobs.push(job);
                        }
                        Err(_) => break,
                    }
                }
                let Some(store) = store.upgrade() else {
                    return;
                };
                run(store, jobs).await;
            }
        });
        Writer {
            queue,
            groups: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    /// Queues `write`; Err(write) when the writer task is gone (its runtime
    /// ended), so the caller writes it itself.
    pub(crate) async fn queue(
        &self,
        write: Write,
    ) -> std::result::Result<oneshot::Receiver<Result<WriteResult>>, Write> {
        let (reply, answer) = oneshot::channel();
        match self.queue.send(Job { write, reply }).await {
            Ok(()) => Ok(answer),
            Err(mpsc::error::SendError(job)) => Err(job.write),
        }
    }

    pub(crate) fn count(&self, writes: usize) {
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes as u64, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> GroupStats {
        GroupStats {
            groups: self.groups.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
}

/// The future a writer task runs for one group.
pub(crate) type Run = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Where one write of a group stands before the commit.
enum Outcome {
    /// Final whatever the commit does: refused before the group began, or
    /// staged (written or nothing to write).
    Done(Result<WriteResult>),
    /// An expectation failed or an id was stored already: judged after the
    /// commit, when the group's own events are visible.
    Judge(Error, Revisions),
}

/// What a committed group did.
pub(crate) struct Committed {
    /// One answer per write, in queue order.
    pub answers: Vec<Result<WriteResult>>,
    /// The last position the group wrote.
    pub last: Option<u64>,
    /// Which writes destroyed keys.
    pub erased: Vec<bool>,
}

/// Writes `writes` in one transaction. Err: the group's transaction failed
/// as a whole and nothing of it is committed.
pub(crate) async fn write_group<B: Backend>(b: &B, writes: &[&Write]) -> Result<Committed> {
    // What needs no database is checked first; a write that fails it is
    // answered without taking part.
    let mut batches: Vec<Option<Vec<Batch<'_>>>> = Vec::with_capacity(writes.len());
    let mut refused: Vec<Option<Error>> = Vec::with_capacity(writes.len());
    for write in writes {
        match append::check_write(write) {
            Ok(checked) => {
                batches.push(Some(checked));
                refused.push(None);
            }
            Err(err) => {
                batches.push(None);
                refused.push(Some(err));
            }
        }
    }
    let mut outcomes: Vec<Option<Outcome>> = Vec::new();
    if let Some(lead) = batches.iter().position(Option::is_some) {
        // Savepoints cost a statement each, and a write that fails before it
        // writes needs none; one that fails after (an id stored already, a key
        // that exists) sends the group round again, each write in a savepoint.
        for savepoints in [false, true] {
            outcomes = writes.iter().map(|_| None).collect();
            // The watched categories are read for the whole group, below.
            let primary = writes[lead].streams.first().map(|s| &s.stream);
            let (mut tx, mut head) = b.begin(primary, None).await?;
            let staged = stage_all(
                b,
                &mut tx,
                &mut head,
                writes,
                &batches,
                lead,
                &mut outcomes,
                savepoints,
            )
            .await;
            match staged {
                Ok(Attempt::Staged) => {
                    B::commit(tx).await?;
                    break;
                }
                Ok(Attempt::Again) if !savepoints => B::rollback(tx).await?,
                Ok(Attempt::Again) => {
                    B::rollback(tx).await.ok();
                    return Err(Error::Corrupt {
                        position: 0,
                        reason: "a write of a group failed after writing, inside its savepoint"
                            .to_owned(),
                    });
                }
                Err(err) => {
                    B::rollback(tx).await.ok();
                    return Err(err);
                }
            }
        }
    }
    let mut committed = Committed {
        answers: Vec::with_capacity(writes.len()),
        last: None,
        erased: Vec::with_capacity(writes.len()),
    };
    for (i, write) in writes.iter().enumerate() {
        let answer = match (
            refused[i].take(),
            outcomes.get_mut(i).and_then(Option::take),
            &batches[i],
        ) {
            (Some(err), _, _) => Err(err),
            (None, Some(Outcome::Done(answer)), _) => answer,
            (None, Some(Outcome::Judge(failure, revisions)), Some(batches)) => {
                write::judge(b, write, batches, &revisions, failure).await
            }
            _ => Err(Error::Corrupt {
                position: 0,
                reason: "a write of a group was left unstaged".to_owned(),
            }),
        };
        let wrote = answer
            .as_ref()
            .ok()
            .filter(|r| !r.replayed)
            .and_then(WriteResult::last_position);
        committed.last = committed.last.max(wrote);
        committed
            .erased
            .push(wrote.is_some() && !write.destroy_keys.is_empty());
        committed.answers.push(answer);
    }
    Ok(committed)
}

/// How staging a group went.
enum Attempt {
    /// Every write staged or answered: commit.
    Staged,
    /// A write failed after writing, without a savepoint to go back to: roll
    /// back and go round again with savepoints.
    Again,
}

/// Stages every write that passed its checks, carrying the head, the streams'
/// revisions and the watched categories' last positions from one to the
/// next (nobody else can write while the group holds the lock). Without
/// `savepoints`, every check is made in memory and the group's events go in
/// one INSERT; with them, each write runs in the savepoint `kroonika_write`
/// and one that fails after writing rolls back to it. Err: the transaction
/// can no longer be used.
#[allow(clippy::too_many_arguments)]
async fn stage_all<B: Backend>(
    b: &B,
    tx: &mut B::Tx,
    head: &mut Head,
    writes: &[&Write],
    batches: &[Option<Vec<Batch<'_>>>],
    lead: usize,
    outcomes: &mut [Option<Outcome>],
    savepoints: bool,
) -> Result<Attempt> {
    let taking: Vec<&Write> = writes
        .iter()
        .zip(batches)
        .filter(|(_, b)| b.is_some())
        .map(|(w, _)| *w)
        .collect();
    // Every stream the group writes: the lead's first came with the lock,
    // the rest in one read.
    let mut known = Revisions::new();
    if let Some(primary) = writes[lead].streams.first() {
        known.insert(primary.stream.clone(), head.stream_revision);
    }
    let mut others: Vec<&StreamName> = Vec::new();
    for write in &taking {
        for part in &write.streams {
            if !known.contains_key(&part.stream) && !others.contains(&&part.stream) {
                others.push(&part.stream);
            }
        }
    }
    if !others.is_empty() {
        for (stream, revision) in others.iter().zip(b.revisions(tx, &others).await?) {
            known.insert((*stream).clone(), revision);
        }
    }
    // Every category a precondition watches: their last positions, in one read.
    let mut categories: Vec<&str> = Vec::new();
    for write in &taking {
        for category in write.unchanged.iter().flat_map(|u| &u.categories) {
            if !categories.contains(&category.as_str()) {
                categories.push(category);
            }
        }
    }
    let positions = b.last_positions(tx, &categories).await?;
    let mut last: HashMap<String, u64> = categories
        .iter()
        .map(|c| (*c).to_owned())
        .zip(positions)
        .collect();
    let mut staging = Staging {
        head,
        known: &mut known,
        last: &mut last,
    };
    if savepoints {
        stage_each(b, tx, &mut staging, writes, batches, outcomes).await
    } else {
        stage_together(b, tx, &mut staging, writes, batches, outcomes).await
    }
}

/// What a group carries from write to write.
struct Staging<'a> {
    head: &'a mut Head,
    known: &'a mut Revisions,
    /// The watched categories' last positions.
    last: &'a mut HashMap<String, u64>,
}

impl Staging<'_> {
    /// The last position of the categories `write`'s precondition watches.
    fn watched(&self, write: &Write) -> Option<u64> {
        let unchanged = write.unchanged.as_ref()?;
        Some(
            unchanged
                .categories
                .iter()
                .filter_map(|c| self.last.get(c))
                .copied()
                .max()
                .unwrap_or(0),
        )
    }

    /// `write` was written as `result`: the streams, categories and head move.
    fn wrote(&mut self, write: &Write, result: &WriteResult, hash: Option<Hash>) {
        for (part, stream) in write.streams.iter().zip(&result.streams) {
            self.known
                .insert(part.stream.clone(), stream.stream_revision);
            if let (Some(at), Some(seen)) = (
                stream.last_position(),
                self.last.get_mut(part.stream.category()),
            ) {
                *seen = at;
            }
        }
        if let (Some(last), Some(hash)) = (result.last_position(), hash) {
            self.head.position = last;
            self.head.hash = Some(hash);
        }
    }
}

/// The common group: each write checked in memory against what the writes
/// before it left (its expectations, its precondition), the events of those
/// that pass planned one after another and inserted in one statement, then
/// their wake-ups, keys, index entries and credentials in write order. A
/// write that would fail only in the database (an id stored already, a key
/// that exists) sends the group round again: [`Attempt::Again`].
async fn stage_together<B: Backend>(
    b: &B,
    tx: &mut B::Tx,
    staging: &mut Staging<'_>,
    writes: &[&Write],
    batches: &[Option<Vec<Batch<'_>>>],
    outcomes: &mut [Option<Outcome>],
) -> Result<Attempt> {
    let mut rows = Vec::new();
    let mut after: Vec<usize> = Vec::new();
    let recorded_at = staging.head.now.trunc_subsecs(6);
    for (i, write) in writes.iter().enumerate() {
        let Some(batches) = &batches[i] else {
            continue;
        };
        if let Some(part) = write
            .streams
            .iter()
            .find(|part| !part.expected.is_satisfied_by(staging.known[&part.stream]))
        {
            let conflict = Error::WrongExpectedRevision {
                stream: part.stream.clone(),
                expected: part.expected,
                actual: staging.known[&part.stream],
            };
            outcomes[i] = Some(Outcome::Judge(conflict, staging.known.clone()));
            continue;
        }
        let events = write.event_count();
        let unchanged = write
            .unchanged
            .as_ref()
            .filter(|_| events > 0 || !write.index.is_empty());
        if let (Some(unchanged), Some(watched)) = (unchanged, staging.watched(write))
            && watched > unchanged.position
        {
            outcomes[i] = Some(Outcome::Done(Err(write::moved(unchanged, watched))));
            continue;
        }
        let mut result = WriteResult {
            streams: write
                .streams
                .iter()
                .map(|part| AppendResult {
                    events: Vec::new(),
                    stream_revision: staging.known[&part.stream],
                    replayed: false,
                })
                .collect(),
            replayed: false,
        };
        let mut hash = None;
        if events > 0 {
            let plan = write::plan(staging.head, write, batches, staging.known, None);
            hash = plan.rows.last().map(|row| row.hash);
            write::record(write, &plan.rows, recorded_at, &mut result.streams);
            rows.extend(plan.rows);
        }
        if write::has_side_tables(write) {
            after.push(i);
        }
        staging.wrote(write, &result, hash);
        outcomes[i] = Some(Outcome::Done(Ok(result)));
    }
    if !rows.is_empty() {
        let count = rows.len();
        let plan = Plan {
            rows,
            recorded_at,
            unchanged: None,
        };
        match b.insert(tx, &plan).await {
            Ok(inserted) if inserted as usize == count => {}
            Ok(_) => {
                return Err(Error::Corrupt {
                    position: 0,
                    reason: "an insert wrote fewer events than it was given".to_owned(),
                });
            }
            Err(err)
                if err
                    .as_database_error()
                    .is_some_and(|db| db.is_unique_violation()) =>
            {
                return Ok(Attempt::Again);
            }
            Err(err) => return Err(Error::Database(err)),
        }
    }
    for i in after {
        match write::side_tables(b, tx, writes[i]).await {
            Ok(()) => {}
            Err(Error::SubjectKeyExists { .. }) => return Ok(Attempt::Again),
            Err(err) => return Err(err),
        }
    }
    Ok(Attempt::Staged)
}

/// The group gone round again: each write staged as a write alone would be,
/// in the savepoint `kroonika_write`, rolled back to it if it fails after
/// writing.
async fn stage_each<B: Backend>(
    b: &B,
    tx: &mut B::Tx,
    staging: &mut Staging<'_>,
    writes: &[&Write],
    batches: &[Option<Vec<Batch<'_>>>],
    outcomes: &mut [Option<Outcome>],
) -> Result<Attempt> {
    let mut open = false;
    for (i, write) in writes.iter().enumerate() {
        let Some(batches) = &batches[i] else {
            continue;
        };
        b.execute_in(
            tx,
            if open {
                "RELEASE SAVEPOINT kroonika_write; SAVEPOINT kroonika_write"
            } else {
                "SAVEPOINT kroonika_write"
            },
        )
        .await?;
        open = true;
        staging.head.watched = staging.watched(write);
        let mut touched = false;
        let staged = write::stage(
            b,
            tx,
            staging.head,
            write,
            batches,
            staging.known.clone(),
            true,
            &mut touched,
        )
        .await;
        outcomes[i] = Some(match staged {
            Ok(Staged::Written(result, hash)) => {
                staging.wrote(write, &result, hash);
                Outcome::Done(Ok(result))
            }
            Ok(Staged::Nothing(result)) => Outcome::Done(Ok(result)),
            Err(failed) => {
                if touched {
                    b.execute_in(tx, "ROLLBACK TO SAVEPOINT kroonika_write")
                        .await?;
                }
                match failed {
                    Failed::Plain(err) => Outcome::Done(Err(err)),
                    Failed::Judge(err, revisions) => Outcome::Judge(err, revisions),
                }
            }
        });
    }
    Ok(Attempt::Staged)
}
