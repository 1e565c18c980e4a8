//! The one way to write: a [`Write`] is events for one or more streams, each
//! checked against its expected revision, with the stream's wake-up, the
//! subject keys made or destroyed, the search index entries and the
//! credentials changed with them,
//! committed in one transaction or not at all. A case's opening (its reference, its stream and its subjects' keys),
//! an erasure (the event and the destroyed key) and every other command go
//! through it; there is no other append.
//!
//! Two ways to decide what to write:
//! - **optimistically** ([`Store::write`]): the caller decided on what it read
//!   earlier; the store checks the expectations, and an optional precondition
//!   ([`Unchanged`]: no event of some categories after a position, such as the
//!   actor directory a decision was made against), under the write lock. A
//!   mismatch writes nothing and says why, so the caller can read again.
//! - **under the lock** ([`Store::write_locked`]): the store takes the write
//!   lock, reads what the caller asks for ([`LockedRead`]) inside the
//!   transaction, and lets a synchronous `decide` build the write from that.
//!   Nothing can change in between, so this never conflicts; callers use it
//!   after an optimistic attempt lost a race, so that a command without an
//!   expected version always goes through (or is refused by a rule).
//!
//! Appends are serialised by the store's write lock (that is how positions stay
//! gapless), so writing several streams at once costs no more than one.

use std::collections::HashMap;

use chrono::SubsecRound;
use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, StreamName};
use uuid::Uuid;

use crate::append::{self, AppendResult, Appended, Batch, Retry};
use crate::backend::{AnyBackend, AnyTx, Backend, Head, Plan, PlannedRow, dispatch};
use crate::chain::{self, Hash};
use crate::credentials::{CredentialChange, FailureRow};
use crate::error::{Error, Result};
use crate::group::{self, Job};
use crate::index::IndexChange;
use crate::keys::SubjectKeyRow;
use crate::store::Store;
use crate::timers::Timer;

/// One stream's part of a [`Write`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamWrite {
    pub stream: StreamName,
    pub expected: ExpectedRevision,
    pub events: Vec<NewEvent>,
    /// What becomes of the stream's wake-up.
    pub timer: Timer,
}

/// Everything one atomic write changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Write {
    /// In the order their events take positions.
    pub streams: Vec<StreamWrite>,
    /// Subject keys to store (a subject that has a key already is a conflict).
    pub new_keys: Vec<SubjectKeyRow>,
    /// Subjects whose keys are destroyed (an erasure); their search index
    /// entries go with them.
    pub destroy_keys: Vec<Uuid>,
    /// Changes to the search index: the tokens of the values the events record.
    pub index: Vec<IndexChange>,
    /// Changes to the credential tables, with the events that record them.
    pub credentials: Vec<CredentialChange>,
    /// Write nothing if an event of these categories was written after this
    /// position: what the decision was made against has moved.
    pub unchanged: Option<Unchanged>,
}

/// A precondition: no event of `categories` after `position`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchanged {
    pub categories: Vec<String>,
    pub position: u64,
}

impl Write {
    /// A write of `events` to one stream.
    pub fn append(stream: &StreamName, expected: ExpectedRevision, events: Vec<NewEvent>) -> Write {
        Write::default().with(stream, expected, events, Timer::Keep)
    }

    /// This write, also writing `events` to `stream` (after what it holds).
    pub fn with(
        mut self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: Vec<NewEvent>,
        timer: Timer,
    ) -> Write {
        self.streams.push(StreamWrite {
            stream: stream.clone(),
            expected,
            events,
            timer,
        });
        self
    }

    /// How many events it appends.
    pub fn event_count(&self) -> usize {
        self.streams.iter().map(|s| s.events.len()).sum()
    }
}

/// What a write did: one result per [`StreamWrite`], in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    pub streams: Vec<AppendResult>,
    /// True when every event was stored already by an earlier write with the
    /// same ids: nothing was written and these are the original places.
    pub replayed: bool,
}

impl WriteResult {
    /// The global position of the write's last event, if it had any.
    pub fn last_position(&self) -> Option<u64> {
        self.streams
            .iter()
            .filter_map(AppendResult::last_position)
            .max()
    }
}

/// What [`Store::write_locked`] reads under the lock.
#[derive(Debug, Clone, Default)]
pub struct LockedRead {
    /// Streams read whole.
    pub streams: Vec<StreamName>,
    /// Streams whose revision alone is read.
    pub revisions: Vec<StreamName>,
    /// Events of these categories after this position.
    pub since: Option<Unchanged>,
    /// The subject keys of this stream.
    pub keys_of: Option<StreamName>,
    /// The failed sign-ins of this name (by its hash).
    pub failures_of: Option<Vec<u8>>,
}

/// What was read under the lock, in the order [`LockedRead`] asked.
#[derive(Debug, Clone, Default)]
pub struct Locked {
    pub histories: Vec<Vec<RecordedEvent>>,
    pub revisions: Vec<Option<u64>>,
    pub since: Vec<RecordedEvent>,
    pub keys: Vec<SubjectKeyRow>,
    pub failures: Option<FailureRow>,
    /// The log's head position.
    pub head: u64,
}

/// Why [`Store::write_locked`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum LockedError<E> {
    /// `decide` refused.
    #[error(transparent)]
    Decided(E),
    #[error(transparent)]
    Store(#[from] Error),
}

/// A write whose transaction is still open. See [`Store::prepare_write`].
#[derive(Debug)]
#[must_use = "a pending write is rolled back unless committed"]
pub struct PendingAppend {
    store: Store,
    result: WriteResult,
    tx: Option<AnyTx>,
    /// Keys were destroyed: SQLite empties its write-ahead log after the commit.
    erased: bool,
}

impl PendingAppend {
    /// Where the first stream's events will be once committed.
    pub fn result(&self) -> &AppendResult {
        &self.result.streams[0]
    }

    /// Where every stream's events will be once committed.
    pub fn results(&self) -> &WriteResult {
        &self.result
    }

    /// Commits; the events become visible to readers, in position order.
    pub async fn commit(self) -> Result<WriteResult> {
        if let Some(tx) = self.tx {
            tx.commit().await?;
        }
        if let Some(last) = self.result.last_position() {
            self.store.committed_up_to(last);
        }
        if self.erased
            && let AnyBackend::Sqlite(b) = self.store.backend()
        {
            b.checkpoint().await?;
        }
        Ok(self.result)
    }

    /// Abandons the write; nothing is written.
    pub async fn rollback(self) -> Result<()> {
        match self.tx {
            Some(tx) => tx.rollback().await,
            None => Ok(()),
        }
    }
}

impl Store {
    /// Writes `write` atomically: every stream at its expected revision and the
    /// precondition holding, or nothing is written and the error says which
    /// ([`Error::WrongExpectedRevision`], [`Error::Moved`]). A write whose
    /// events are all stored already, identically and in place, is a retry:
    /// the original places come back with `replayed`.
    ///
    /// With group commit on ([`crate::StoreOptions::group_commit`]), the write
    /// goes to the store's writer task, which commits it with whatever other
    /// writes of this process are queued meanwhile (see `group.rs`); each is
    /// judged on its own and answered after the commit that holds it.
    pub async fn write(&self, write: &Write) -> Result<WriteResult> {
        let Some(writer) = self.writer() else {
            return self.write_alone(write).await;
        };
        match writer.queue(write.clone()).await {
            Ok(answer) => answer.await.unwrap_or_else(|_| {
                Err(Error::Unreachable {
                    location: self.location().to_owned(),
                    reason: "the store's writer stopped before it answered (the process is shutting down); whether the write was committed is unknown, and retrying it is safe".to_owned(),
                })
            }),
            // The writer's runtime is gone: written here instead.
            Err(write) => self.write_alone(&write).await,
        }
    }

    /// One write in a transaction of its own.
    pub(crate) async fn write_alone(&self, write: &Write) -> Result<WriteResult> {
        self.prepare_write(write).await?.commit().await
    }

    /// What the writer task does with one group: a group of one is written
    /// the plain way; a larger one in one transaction, or, if that
    /// transaction fails as a whole, each write alone.
    pub(crate) async fn run_group(&self, mut jobs: Vec<Job>) {
        if let Some(writer) = self.writer() {
            writer.count(jobs.len());
        }
        if jobs.len() == 1 {
            let job = jobs.remove(0);
            let answer = self.write_alone(&job.write).await;
            let _ = job.reply.send(answer);
            return;
        }
        let writes: Vec<&Write> = jobs.iter().map(|j| &j.write).collect();
        let grouped = dispatch!(self, b => group::write_group(b, &writes).await);
        let committed = match grouped {
            Ok(committed) => committed,
            // The database cannot be reached: every write hears so at once,
            // rather than each waiting out the same timeout again.
            Err(err) if err.is_unavailable() => {
                for job in jobs {
                    let _ = job.reply.send(Err(Error::Unreachable {
                        location: self.location().to_owned(),
                        reason: err.to_string(),
                    }));
                }
                return;
            }
            Err(_) => {
                for job in jobs {
                    let answer = self.write_alone(&job.write).await;
                    let _ = job.reply.send(answer);
                }
                return;
            }
        };
        if let Some(last) = committed.last {
            self.committed_up_to(last);
        }
        // Keys were destroyed: SQLite empties its write-ahead log, as after a
        // write alone, and the write that destroyed them hears if that failed.
        for ((job, mut answer), erased) in jobs
            .into_iter()
            .zip(committed.answers)
            .zip(committed.erased)
        {
            if erased
                && let AnyBackend::Sqlite(b) = self.backend()
                && let Err(err) = b.checkpoint().await
            {
                answer = Err(err);
            }
            let _ = job.reply.send(answer);
        }
    }

    /// Appends `events` to one stream: a [`Write`] of one stream. An empty
    /// batch only checks the expectation.
    pub async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
    ) -> Result<AppendResult> {
        let mut result = self
            .write(&Write::append(stream, expected, events.to_vec()))
            .await?;
        Ok(result.streams.remove(0))
    }

    /// The first half of [`Store::write`]: everything up to the commit, which
    /// the returned [`PendingAppend`] holds open. Until it commits, no reader
    /// sees the events and every other write waits for it. Dropping it rolls
    /// back. For the tests that hold a writer open on purpose.
    pub async fn prepare_write(&self, write: &Write) -> Result<PendingAppend> {
        let batches = append::check_write(write)?;
        let (result, tx) = match self.backend() {
            AnyBackend::Sqlite(b) => {
                let (result, tx) = optimistic(b, write, &batches).await?;
                (result, tx.map(AnyTx::Sqlite))
            }
            AnyBackend::Postgres(b) => {
                let (result, tx) = optimistic(b, write, &batches).await?;
                (result, tx.map(AnyTx::Postgres))
            }
        };
        Ok(PendingAppend {
            store: self.clone(),
            erased: tx.is_some() && !write.destroy_keys.is_empty(),
            result,
            tx,
        })
    }

    /// [`Store::prepare_write`] of one stream.
    pub async fn prepare_append(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
    ) -> Result<PendingAppend> {
        self.prepare_write(&Write::append(stream, expected, events.to_vec()))
            .await
    }

    /// Takes the write lock, reads what `read` asks for inside the transaction,
    /// lets `decide` build the write from it (None: nothing to write), and
    /// writes it in the same transaction. `decide` is synchronous and should be
    /// quick: every other writer waits while it runs. A precondition in the
    /// write is not checked (nothing can move under the lock); expectations
    /// are, so a write `decide` got wrong is still refused.
    pub async fn write_locked<E, F>(
        &self,
        read: &LockedRead,
        decide: F,
    ) -> std::result::Result<Option<WriteResult>, LockedError<E>>
    where
        F: FnOnce(&Locked) -> std::result::Result<Option<Write>, E>,
    {
        let staged = match self.backend() {
            AnyBackend::Sqlite(b) => locked(b, read, decide)
                .await?
                .map(|(result, tx, erased)| (result, tx.map(AnyTx::Sqlite), erased)),
            AnyBackend::Postgres(b) => locked(b, read, decide)
                .await?
                .map(|(result, tx, erased)| (result, tx.map(AnyTx::Postgres), erased)),
        };
        let Some((result, tx, erased)) = staged else {
            return Ok(None);
        };
        let pending = PendingAppend {
            store: self.clone(),
            erased: tx.is_some() && erased,
            result,
            tx,
        };
        Ok(Some(pending.commit().await?))
    }
}

/// How a staged write turned out, before commit.
pub(crate) enum Staged {
    /// Rows written in the open transaction, and the last one's hash (None
    /// when it wrote no events).
    Written(WriteResult, Option<Hash>),
    /// Nothing to write (no events, wake-ups or keys): only the checks ran.
    Nothing(WriteResult),
}

/// Why staging stopped. Either way the transaction is rolled back.
pub(crate) enum Failed {
    /// An expectation failed or an id is stored already: maybe a retry.
    Judge(Error, Revisions),
    Plain(Error),
}

/// The streams' revisions, as read under the lock.
pub(crate) type Revisions = HashMap<StreamName, Option<u64>>;

async fn optimistic<B: Backend>(
    b: &B,
    write: &Write,
    batches: &[Batch<'_>],
) -> Result<(WriteResult, Option<B::Tx>)> {
    let watched = write.unchanged.as_ref().map(|u| u.categories.as_slice());
    let primary = write.streams.first().map(|s| &s.stream);
    let (mut tx, head) = b.begin(primary, watched).await?;
    let mut known = Revisions::new();
    if let Some(primary) = primary {
        known.insert(primary.clone(), head.stream_revision);
    }
    let staged = stage(b, &mut tx, &head, write, batches, known, true, &mut false).await;
    finish(b, tx, write, batches, staged).await
}

/// The transaction's outcome: kept open when rows were written, else rolled
/// back (and a failed expectation judged as a possible retry).
async fn finish<B: Backend>(
    b: &B,
    tx: B::Tx,
    write: &Write,
    batches: &[Batch<'_>],
    staged: std::result::Result<Staged, Failed>,
) -> Result<(WriteResult, Option<B::Tx>)> {
    match staged {
        Ok(Staged::Written(result, _)) => Ok((result, Some(tx))),
        Ok(Staged::Nothing(result)) => {
            B::rollback(tx).await?;
            Ok((result, None))
        }
        Err(Failed::Plain(err)) => {
            B::rollback(tx).await?;
            Err(err)
        }
        Err(Failed::Judge(failure, revisions)) => {
            B::rollback(tx).await?;
            let replayed = judge(b, write, batches, &revisions, failure).await?;
            Ok((replayed, None))
        }
    }
}

async fn locked<B: Backend, E, F>(
    b: &B,
    read: &LockedRead,
    decide: F,
) -> std::result::Result<Option<(WriteResult, Option<B::Tx>, bool)>, LockedError<E>>
where
    F: FnOnce(&Locked) -> std::result::Result<Option<Write>, E>,
{
    let primary = read.streams.first().or(read.revisions.first());
    let (mut tx, head) = b.begin(primary, None).await?;
    let reads = read_locked(b, &mut tx, &head, read, primary).await;
    let (view, known) = match reads {
        Ok(reads) => reads,
        Err(err) => {
            B::rollback(tx).await?;
            return Err(err.into());
        }
    };
    let write = match decide(&view) {
        Ok(Some(write)) => write,
        Ok(None) => {
            B::rollback(tx).await?;
            return Ok(None);
        }
        Err(refused) => {
            B::rollback(tx).await?;
            return Err(LockedError::Decided(refused));
        }
    };
    let batches = match append::check_write(&write) {
        Ok(batches) => batches,
        Err(err) => {
            B::rollback(tx).await?;
            return Err(err.into());
        }
    };
    let staged = stage(
        b, &mut tx, &head, &write, &batches, known, false, &mut false,
    )
    .await;
    let erased = !write.destroy_keys.is_empty();
    let (result, tx) = finish(b, tx, &write, &batches, staged).await?;
    Ok(Some((result, tx, erased)))
}

/// The reads of [`Store::write_locked`], inside its transaction.
async fn read_locked<B: Backend>(
    b: &B,
    tx: &mut B::Tx,
    head: &Head,
    read: &LockedRead,
    primary: Option<&StreamName>,
) -> Result<(Locked, Revisions)> {
    let mut known = Revisions::new();
    if let Some(primary) = primary {
        known.insert(primary.clone(), head.stream_revision);
    }
    let mut view = Locked {
        head: head.position,
        ..Locked::default()
    };
    for stream in &read.streams {
        let history = b.stream_in(tx, stream).await?;
        known.insert(stream.clone(), history.last().map(|e| e.revision));
        view.histories.push(history);
    }
    let unknown: Vec<&StreamName> = read
        .revisions
        .iter()
        .filter(|s| !known.contains_key(*s))
        .collect();
    if !unknown.is_empty() {
        for (stream, revision) in unknown.iter().zip(b.revisions(tx, &unknown).await?) {
            known.insert((*stream).clone(), revision);
        }
    }
    view.revisions = read.revisions.iter().map(|s| known[s]).collect();
    if let Some(since) = &read.since {
        view.since = b
            .categories_in(tx, &since.categories, since.position)
            .await?;
    }
    if let Some(stream) = &read.keys_of {
        view.keys = b.keys_in(tx, stream.as_str()).await?;
    }
    if let Some(name_hash) = &read.failures_of {
        view.failures = b.failures_in(tx, name_hash).await?;
    }
    Ok((view, known))
}

/// Checks and writes `write` in the open transaction. `optimistic`: the
/// precondition is checked (under the lock nothing can have moved).
/// `touched` is set once a statement that writes has run: a failure after it
/// may have left part of the write in the transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn stage<B: Backend>(
    b: &B,
    tx: &mut B::Tx,
    head: &Head,
    write: &Write,
    batches: &[Batch<'_>],
    mut known: Revisions,
    optimistic: bool,
    touched: &mut bool,
) -> std::result::Result<Staged, Failed> {
    let unknown: Vec<&StreamName> = write
        .streams
        .iter()
        .map(|s| &s.stream)
        .filter(|s| !known.contains_key(*s))
        .collect();
    if !unknown.is_empty() {
        let revisions = b.revisions(tx, &unknown).await.map_err(Failed::Plain)?;
        for (stream, revision) in unknown.into_iter().zip(revisions) {
            known.insert(stream.clone(), revision);
        }
    }
    for part in &write.streams {
        let actual = known[&part.stream];
        if !part.expected.is_satisfied_by(actual) {
            let conflict = Error::WrongExpectedRevision {
                stream: part.stream.clone(),
                expected: part.expected,
                actual,
            };
            return Err(Failed::Judge(conflict, known));
        }
    }
    let events = write.event_count();
    // Checked for writes that change what was decided on: events, and
    // search index entries made from what was read.
    let unchanged = write
        .unchanged
        .as_ref()
        .filter(|_| optimistic && (events > 0 || !write.index.is_empty()));
    if let (Some(unchanged), Some(watched)) = (unchanged, head.watched)
        && watched > unchanged.position
    {
        return Err(Failed::Plain(moved(unchanged, watched)));
    }
    // Without events there is no INSERT to check the precondition (which is
    // where PostgreSQL checks it): asked here, under the lock, in a statement
    // of its own, which sees every commit made before the lock was taken.
    if let Some(unchanged) = unchanged.filter(|_| events == 0) {
        let after = b
            .categories_in(tx, &unchanged.categories, unchanged.position)
            .await
            .map_err(Failed::Plain)?;
        if let Some(last) = after.last() {
            return Err(Failed::Plain(moved(unchanged, last.position)));
        }
    }
    // What each stream is left at: its new events, or where it was.
    let mut results: Vec<AppendResult> = write
        .streams
        .iter()
        .map(|part| AppendResult {
            events: Vec::new(),
            stream_revision: known[&part.stream],
            replayed: false,
        })
        .collect();
    if events == 0 && !has_side_tables(write) {
        return Ok(Staged::Nothing(WriteResult {
            streams: results,
            replayed: false,
        }));
    }
    let mut last_hash = None;
    *touched = true;
    if events > 0 {
        let plan = plan(head, write, batches, &known, unchanged);
        last_hash = plan.rows.last().map(|row| row.hash);
        match b.insert(tx, &plan).await {
            Ok(inserted) if inserted as usize == plan.rows.len() => {}
            Ok(_) => {
                let unchanged = unchanged.ok_or_else(|| {
                    Failed::Plain(Error::Corrupt {
                        position: 0,
                        reason: "an insert wrote fewer events than it was given".to_owned(),
                    })
                })?;
                // The insert checked the precondition and inserted nothing.
                *touched = false;
                return Err(Failed::Plain(Error::Moved {
                    categories: unchanged.categories.clone(),
                    position: unchanged.position,
                    head: None,
                }));
            }
            Err(err)
                if err
                    .as_database_error()
                    .is_some_and(|db| db.is_unique_violation()) =>
            {
                return Err(Failed::Judge(Error::Database(err), known));
            }
            Err(err) => return Err(Failed::Plain(Error::Database(err))),
        }
        record(write, &plan.rows, plan.recorded_at, &mut results);
    }
    side_tables(b, tx, write).await.map_err(Failed::Plain)?;
    Ok(Staged::Written(
        WriteResult {
            streams: results,
            replayed: false,
        },
        last_hash,
    ))
}

/// Whether `write` changes anything beside the events: wake-ups, keys, the
/// search index, credentials.
pub(crate) fn has_side_tables(write: &Write) -> bool {
    write.streams.iter().any(|s| s.timer != Timer::Keep)
        || !write.new_keys.is_empty()
        || !write.destroy_keys.is_empty()
        || !write.index.is_empty()
        || !write.credentials.is_empty()
}

/// Writes what `write` changes beside its events, in the open transaction:
/// its streams' wake-ups, new and destroyed keys, index entries, credentials.
/// A new key for a subject that has one is [`Error::SubjectKeyExists`].
pub(crate) async fn side_tables<B: Backend>(b: &B, tx: &mut B::Tx, write: &Write) -> Result<()> {
    for part in &write.streams {
        let due = match part.timer {
            Timer::Keep => continue,
            Timer::Set(due) => Some(due),
            Timer::Clear => None,
        };
        b.set_timer(tx, &part.stream, due).await?;
    }
    if !write.new_keys.is_empty()
        && let Err(err) = b.insert_keys(tx, &write.new_keys).await
    {
        let exists = err
            .as_database_error()
            .is_some_and(|db| db.is_unique_violation());
        return Err(if exists {
            Error::SubjectKeyExists {
                subjects: write.new_keys.iter().map(|k| k.subject).collect(),
            }
        } else {
            Error::Database(err)
        });
    }
    if !write.index.is_empty() {
        b.change_index(tx, &write.index).await?;
    }
    if !write.destroy_keys.is_empty() {
        b.destroy_keys(tx, &write.destroy_keys).await?;
    }
    if !write.credentials.is_empty() {
        b.change_credentials(tx, &write.credentials).await?;
    }
    Ok(())
}

/// Puts each planned row's place in its stream's result.
pub(crate) fn record(
    write: &Write,
    rows: &[PlannedRow<'_>],
    recorded_at: chrono::DateTime<chrono::Utc>,
    results: &mut [AppendResult],
) {
    for row in rows {
        let part = write
            .streams
            .iter()
            .position(|s| &s.stream == row.stream)
            .unwrap_or_default();
        results[part].events.push(Appended {
            id: row.batch.events[row.index].id,
            revision: row.revision,
            position: row.position,
            recorded_at,
        });
        results[part].stream_revision = Some(row.revision);
    }
}

pub(crate) fn moved(unchanged: &Unchanged, head: u64) -> Error {
    Error::Moved {
        categories: unchanged.categories.clone(),
        position: unchanged.position,
        head: Some(head),
    }
}

/// The rows of a write: positions after the head in write order, revisions
/// after each stream's, every hash chained to the one before.
pub(crate) fn plan<'a>(
    head: &Head,
    write: &'a Write,
    batches: &'a [Batch<'a>],
    known: &Revisions,
    unchanged: Option<&'a Unchanged>,
) -> Plan<'a> {
    let recorded_at = head.now.trunc_subsecs(6);
    let recorded_at_micros = recorded_at.timestamp_micros();
    let mut previous: Hash = head.hash.unwrap_or(chain::GENESIS);
    let mut position = head.position;
    let mut rows = Vec::with_capacity(write.event_count());
    for (part, batch) in write.streams.iter().zip(batches) {
        let first_revision = ExpectedRevision::next_revision(known[&part.stream]);
        for (index, event) in batch.events.iter().enumerate() {
            position += 1;
            let revision = first_revision + index as u64;
            let content = chain::Content {
                position,
                stream: part.stream.as_str(),
                revision,
                id: event.id,
                event_type: &event.event_type,
                data: event.data.as_str(),
                metadata: &batch.metadata[index],
                recorded_at_micros,
                foreign: event.foreign.as_ref(),
            };
            previous = chain::event_hash(&previous, &content);
            rows.push(PlannedRow {
                stream: &part.stream,
                batch,
                index,
                position,
                revision,
                hash: previous,
            });
        }
    }
    Plan {
        rows,
        recorded_at,
        unchanged: unchanged.map(|u| (u.categories.as_slice(), u.position)),
    }
}

/// After a failed expectation or a duplicate id: a retry of a stored write (its
/// original places), an id reused, or `failure` as it was.
pub(crate) async fn judge<B: Backend>(
    b: &B,
    write: &Write,
    batches: &[Batch<'_>],
    revisions: &Revisions,
    failure: Error,
) -> Result<WriteResult> {
    let ids: Vec<Uuid> = batches
        .iter()
        .flat_map(|batch| batch.events.iter().map(|e| e.id))
        .collect();
    if ids.is_empty() {
        return Err(failure);
    }
    let stored = b.lookup(&ids).await?;
    if stored.is_empty() {
        return Err(failure);
    }
    let mut streams = Vec::with_capacity(write.streams.len());
    for (part, batch) in write.streams.iter().zip(batches) {
        let actual = revisions.get(&part.stream).copied().flatten();
        if batch.events.is_empty() {
            streams.push(AppendResult {
                events: Vec::new(),
                stream_revision: actual,
                replayed: true,
            });
            continue;
        }
        let mine: Vec<RecordedEvent> = stored
            .iter()
            .filter(|s| batch.events.iter().any(|e| e.id == s.id))
            .cloned()
            .collect();
        match append::judge_retry(&part.stream, part.expected, batch.events, mine, actual) {
            Retry::Replayed(result) => streams.push(result),
            Retry::NotStored => {
                let first = &stored[0];
                return Err(Error::EventIdReused {
                    id: first.id,
                    detail: format!(
                        "it is stored in stream '{}' at revision {}, but the events of this write for '{}' are not; a write is stored whole or not at all, so this is a different write",
                        first.stream, first.revision, part.stream
                    ),
                });
            }
            Retry::Reused(err) => return Err(err),
            Retry::Misplaced(err) if !failure.is_conflict() => return Err(err),
            Retry::Misplaced(_) => return Err(failure),
        }
    }
    Ok(WriteResult {
        streams,
        replayed: true,
    })
}
