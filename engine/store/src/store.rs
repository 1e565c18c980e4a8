//! [`Store`]: the façade over the two backends, and the append flow they share.
//!
//! The flow is written once, generically over [`Backend`], so that SQLite and
//! PostgreSQL cannot drift apart in the rules that matter: when a conflict is
//! declared, when a retry is recognised, what is returned. The backends only
//! supply SQL: take the write lock and read the head, insert rows, look ids up,
//! read pages.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use kroonika_engine::{ExpectedRevision, NewEvent, RecordedEvent, StreamName};
use tokio::sync::watch;
use uuid::Uuid;

use crate::append::{self, AppendResult, Appended, Batch, Retry};
use crate::chain::{self, ChainRow, Hash};
use crate::connect::{self, Target};
use crate::error::{Error, Result};
use crate::keys::SubjectKeyRow;
use crate::postgres::PgBackend;
use crate::read::{Direction, ReadFrom};
use crate::scan::Scan;
use crate::schema::{self, InitOutcome, SchemaInfo};
use crate::sqlite::SqliteBackend;
use crate::subscription::Subscription;

/// Tuning knobs; the defaults suit a coordinator's laptop and a small server.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections for reads (PostgreSQL: for reads and appends).
    pub max_connections: u32,
    /// How long to wait for a pooled connection, and on SQLite for another
    /// process's write lock, before giving up.
    pub timeout: Duration,
    /// How often a caught-up subscription looks for events written by another
    /// process when no notification arrives.
    pub poll_interval: Duration,
    /// SQLite: each commit reaches the disk before append returns (true, the
    /// default). False leaves that to WAL checkpoints: a power cut may lose the
    /// last commits but never corrupts the store; for bulk loads such as the demo.
    pub durable: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            durable: true,
        }
    }
}

/// An open event store. Cheap to clone; clones share the connections.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: AnyBackend,
    location: String,
    options: StoreOptions,
    /// The last position this process committed, so that subscriptions in the
    /// same process wake at once instead of at their next poll.
    committed: watch::Sender<u64>,
}

#[derive(Debug)]
enum AnyBackend {
    Sqlite(SqliteBackend),
    Postgres(PgBackend),
}

macro_rules! dispatch {
    ($store:expr, $backend:ident => $body:expr) => {
        match &$store.inner.backend {
            AnyBackend::Sqlite($backend) => $body,
            AnyBackend::Postgres($backend) => $body,
        }
    };
}

/// What an append does to its stream's pending wake-up (see `timers` in the
/// migrations): the engine decides it as data, the store writes it in the same
/// transaction as the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timer {
    /// Leave the wake-up as it is.
    #[default]
    Keep,
    /// Wake the stream up at this time.
    Set(DateTime<Utc>),
    /// Nothing left to wake up for.
    Clear,
}

/// The head of the log and of one stream, read under the write lock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub position: u64,
    pub stream_revision: Option<u64>,
    /// The time to record: the store's clock, never before the last event's.
    pub now: DateTime<Utc>,
    /// The last event's hash (None for an empty log, or one that predates the chain).
    pub hash: Option<Hash>,
}

/// The rows one append writes.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub stream: &'a StreamName,
    pub batch: &'a Batch<'a>,
    pub first_position: u64,
    pub first_revision: u64,
    pub recorded_at: DateTime<Utc>,
    /// Each event's chained hash, in batch order.
    pub hashes: Vec<Hash>,
}

/// What each backend provides to the shared append flow.
pub(crate) trait Backend {
    type Tx;
    /// Begins the write transaction, takes the store's write lock and reads the head.
    async fn begin_append(&self, stream: &StreamName) -> Result<(Self::Tx, Head)>;
    /// Inserts the planned rows in the open transaction. The raw sqlx error is
    /// returned so the caller can tell a unique-key violation from the rest.
    async fn insert(&self, tx: &mut Self::Tx, plan: &Plan<'_>) -> Result<(), sqlx::Error>;
    async fn rollback(&self, tx: Self::Tx) -> Result<()>;
    /// Destroys these subjects' wrapped keys in the open transaction.
    async fn destroy_keys(&self, tx: &mut Self::Tx, subjects: &[Uuid]) -> Result<(), sqlx::Error>;
    /// Sets (Some) or clears (None) the stream's wake-up in the open transaction.
    async fn set_timer(
        &self,
        tx: &mut Self::Tx,
        stream: &StreamName,
        due: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error>;
    /// The stored events carrying any of these ids.
    async fn lookup(&self, ids: &[Uuid]) -> Result<Vec<RecordedEvent>>;
}

/// An open transaction of either backend.
#[derive(Debug)]
pub(crate) enum AnyTx {
    Sqlite(<SqliteBackend as Backend>::Tx),
    Postgres(<PgBackend as Backend>::Tx),
}

impl Store {
    /// Opens an existing store and checks its schema. Never creates or migrates.
    pub async fn open(url: &str) -> Result<Store> {
        Self::open_with(url, StoreOptions::default()).await
    }

    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Store> {
        let (store, found) = Self::connect(url, options, false).await?;
        dispatch!(store, backend => schema::check_open(&store.inner.location, &found, backend.migrator()))?;
        Ok(store)
    }

    /// Creates the store if missing and brings its schema up to date. Idempotent,
    /// and safe to run from several machines at once (migrations take a lock).
    pub async fn init(url: &str) -> Result<(Store, InitOutcome)> {
        Self::init_with(url, StoreOptions::default()).await
    }

    pub async fn init_with(url: &str, options: StoreOptions) -> Result<(Store, InitOutcome)> {
        let (store, found) = Self::connect(url, options, true).await?;
        let location = store.inner.location.clone();
        let after = dispatch!(store, backend => {
            schema::check_init(&location, &found, backend.migrator())?;
            backend.migrate(&location).await?;
            schema::latest(backend.migrator())
        });
        Ok((store, schema::outcome(schema::version_of(&found), after)))
    }

    async fn connect(
        url: &str,
        options: StoreOptions,
        create: bool,
    ) -> Result<(Store, schema::Found)> {
        let (target, location) = connect::parse(url)?;
        let backend = match target {
            Target::Sqlite {
                options: connect,
                path,
            } => AnyBackend::Sqlite(
                SqliteBackend::connect(connect, &path, &location, create, &options).await?,
            ),
            Target::Postgres { options: connect } => AnyBackend::Postgres(
                PgBackend::connect(connect, &location, create, &options).await?,
            ),
        };
        let found = match &backend {
            AnyBackend::Sqlite(b) => b.found().await?,
            AnyBackend::Postgres(b) => b.found().await?,
        };
        let (committed, _) = watch::channel(0);
        let store = Store {
            inner: Arc::new(Inner {
                backend,
                location,
                options,
                committed,
            }),
        };
        Ok((store, found))
    }

    /// Where the store is, for messages (never includes a password).
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// "sqlite" or "postgres".
    pub fn backend_name(&self) -> &'static str {
        match self.inner.backend {
            AnyBackend::Sqlite(_) => "sqlite",
            AnyBackend::Postgres(_) => "postgres",
        }
    }

    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    pub async fn info(&self) -> Result<SchemaInfo> {
        let found = dispatch!(self, b => b.found().await)?;
        let (store_id, created_at) = dispatch!(self, b => b.store_info().await)?;
        Ok(SchemaInfo {
            backend: self.backend_name(),
            version: schema::version_of(&found),
            store_id,
            created_at,
        })
    }

    /// Appends `events` to `stream` atomically, if the stream is at `expected`.
    ///
    /// On a mismatch nothing is written and [`Error::WrongExpectedRevision`] carries
    /// the actual revision, unless the batch turns out to be stored already (a
    /// retry), in which case the original places come back with `replayed: true`.
    /// An empty batch only checks the expectation.
    pub async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
    ) -> Result<AppendResult> {
        self.append_scheduled(stream, expected, events, Timer::Keep)
            .await
    }

    /// [`Store::append`], also setting or clearing the stream's wake-up in the
    /// same transaction. With no events, only the wake-up changes (after the
    /// expectation is checked). A replayed batch changes nothing.
    pub async fn append_scheduled(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
        timer: Timer,
    ) -> Result<AppendResult> {
        self.prepare_append_scheduled(stream, expected, events, timer)
            .await?
            .commit()
            .await
    }

    /// The first half of [`Store::append`]: everything up to the commit, which the
    /// returned [`PendingAppend`] holds open. Until it commits, no reader sees the
    /// events and every other append waits for it. Dropping it rolls back. Used
    /// where something must happen between deciding the places and committing,
    /// and by the tests that hold a writer open on purpose.
    pub async fn prepare_append(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
    ) -> Result<PendingAppend> {
        self.prepare_append_scheduled(stream, expected, events, Timer::Keep)
            .await
    }

    /// [`Store::prepare_append`] with a wake-up change; see [`Store::append_scheduled`].
    pub async fn prepare_append_scheduled(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
        timer: Timer,
    ) -> Result<PendingAppend> {
        let batch = append::check_batch(events)?;
        let (result, tx) = match &self.inner.backend {
            AnyBackend::Sqlite(b) => {
                let (result, tx) = prepare(b, stream, expected, &batch, timer).await?;
                (result, tx.map(AnyTx::Sqlite))
            }
            AnyBackend::Postgres(b) => {
                let (result, tx) = prepare(b, stream, expected, &batch, timer).await?;
                (result, tx.map(AnyTx::Postgres))
            }
        };
        Ok(PendingAppend {
            store: self.clone(),
            result,
            tx,
        })
    }

    /// Reads up to `max_count` events of one stream, from a revision.
    pub async fn read_stream(
        &self,
        stream: &StreamName,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        dispatch!(self, b => b.read_stream(stream, from, direction, max_count).await)
    }

    /// Reads up to `max_count` events of the global log (`$all`), from a position.
    pub async fn read_all(
        &self,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        dispatch!(self, b => b.read_all(None, from, direction, max_count).await)
    }

    /// Reads up to `max_count` events of every stream in `category`, in global order.
    pub async fn read_category(
        &self,
        category: &str,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        dispatch!(self, b => b.read_all(Some(category), from, direction, max_count).await)
    }

    /// The stream's last revision, or None if it has no events.
    pub async fn stream_revision(&self, stream: &StreamName) -> Result<Option<u64>> {
        dispatch!(self, b => b.stream_revision(stream).await)
    }

    /// Every projection's checkpoint (or one's), by name.
    pub async fn projection_states(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<crate::projection::ProjectionState>> {
        dispatch!(self, b => b.projection_states(name).await)
    }

    /// A projection's documents: all of them (by key), or those with these keys.
    pub async fn projection_docs(
        &self,
        projection: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<(String, serde_json::Value)>> {
        dispatch!(self, b => b.projection_docs(projection, keys).await)
    }

    /// Writes a batch's document changes and moves the checkpoint from `from` to
    /// `to`, in one transaction, only if the checkpoint is still at `from`.
    /// Returns false (writing nothing) when another runner moved it first.
    pub async fn commit_projection(
        &self,
        name: &str,
        from: u64,
        to: u64,
        changes: &crate::projection::DocChanges,
    ) -> Result<bool> {
        dispatch!(self, b => b.commit_projection(name, from, to, changes).await)
    }

    /// Records why a projection could not fold an event (shown by `projections status`).
    pub async fn record_projection_error(&self, name: &str, error: &str) -> Result<()> {
        dispatch!(self, b => b.record_projection_error(name, error).await)
    }

    /// Swaps a rebuilt projection in: readers see the old one or the new one, never a mix.
    pub async fn swap_projection(&self, staging: &str, name: &str) -> Result<()> {
        dispatch!(self, b => b.swap_projection(staging, name).await)
    }

    /// Removes a projection's documents and checkpoint.
    pub async fn drop_projection(&self, name: &str) -> Result<()> {
        dispatch!(self, b => b.drop_projection(name).await)
    }

    /// Streams whose wake-up is at or before `now`, earliest first, at most `limit`.
    pub async fn due_timers(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(StreamName, DateTime<Utc>)>> {
        dispatch!(self, b => b.due_timers(now, limit).await)
    }

    /// The position of the last event in the log (0 when the log is empty).
    pub async fn head_position(&self) -> Result<u64> {
        dispatch!(self, b => b.head_position().await)
    }

    /// Up to `max_count` raw rows of the log from position `from`, with their
    /// stored hashes, exactly as stored: what `audit verify` and `export` read.
    pub async fn read_chain(&self, from: u64, max_count: usize) -> Result<Vec<ChainRow>> {
        dispatch!(self, b => b.read_chain(from, max_count).await)
    }

    /// The position the hash chain begins at: 1, unless the store held events
    /// before the chain was introduced (those have no hash).
    pub async fn chain_from(&self) -> Result<u64> {
        let value = dispatch!(self, b => b.info_value("chain_from").await)?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(1))
    }

    /// Recomputes the whole hash chain, page by page, handing every row to
    /// `each` as it goes (for checks of its own, and progress). Stops at the
    /// first break, which the report names.
    pub async fn verify_chain(
        &self,
        mut each: impl FnMut(&ChainRow),
    ) -> Result<chain::ChainReport> {
        const PAGE: usize = 2_000;
        let mut verifier = chain::Verifier::new(self.chain_from().await?);
        let mut from = 1;
        loop {
            let page = self.read_chain(from, PAGE).await?;
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            for row in &page {
                each(row);
                if !verifier.feed(row) {
                    return Ok(verifier.finish());
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
        Ok(verifier.finish())
    }

    /// The last event's position and stored hash (None for an empty log).
    pub async fn chain_head(&self) -> Result<Option<ChainRow>> {
        let head = self.head_position().await?;
        if head == 0 {
            return Ok(None);
        }
        Ok(self.read_chain(head, 1).await?.pop())
    }

    /// The subject keys of one case stream (or all), erased ones included.
    pub async fn subject_keys(&self, stream: Option<&str>) -> Result<Vec<SubjectKeyRow>> {
        dispatch!(self, b => b.subject_keys(stream, None).await)
    }

    /// One subject's key row.
    pub async fn subject_key(&self, subject: Uuid) -> Result<Option<SubjectKeyRow>> {
        Ok(dispatch!(self, b => b.subject_keys(None, Some(subject)).await)?.pop())
    }

    /// Stores a subject's wrapped key unless one is stored already, and returns
    /// the stored row: two writers preparing the same subject agree on one key.
    pub async fn put_subject_key(
        &self,
        subject: Uuid,
        stream: &str,
        name: &str,
        wrapped: &[u8],
    ) -> Result<SubjectKeyRow> {
        dispatch!(self, b => b.put_subject_key(subject, stream, name, wrapped).await)?;
        self.subject_key(subject)
            .await?
            .ok_or_else(|| Error::Corrupt {
                position: 0,
                reason: format!("subject key {subject} vanished after it was stored"),
            })
    }

    /// Stores the keys of subjects that have none yet (a new case's), in one
    /// statement. A subject that has a key already is an error: use
    /// [`Store::put_subject_key`] where one may exist.
    pub async fn new_subject_keys(&self, keys: &[SubjectKeyRow]) -> Result<()> {
        dispatch!(self, b => b.new_subject_keys(keys).await)
    }

    /// Stores `value` under `key` in the store's own information unless a value
    /// is there already, and returns the stored one (the master key's check value).
    pub async fn put_info_once(&self, key: &str, value: &str) -> Result<String> {
        dispatch!(self, b => b.put_info_once(key, value).await)
    }

    /// A value of the store's own information.
    pub async fn info_value(&self, key: &str) -> Result<Option<String>> {
        dispatch!(self, b => b.info_value(key).await)
    }

    /// Appends `events` (the record of an erasure) and destroys the subjects'
    /// keys in the same transaction: the erasure is recorded if and only if it
    /// happened. On SQLite the write-ahead log is then emptied, so the old key
    /// is not left in it.
    pub async fn append_erasure(
        &self,
        stream: &StreamName,
        expected: ExpectedRevision,
        events: &[NewEvent],
        subjects: &[Uuid],
    ) -> Result<AppendResult> {
        let mut pending = self.prepare_append(stream, expected, events).await?;
        // No transaction: a replayed erasure, whose keys went with the original.
        match (&self.inner.backend, &mut pending.tx) {
            (AnyBackend::Sqlite(b), Some(AnyTx::Sqlite(tx))) => {
                b.destroy_keys(tx, subjects).await?
            }
            (AnyBackend::Postgres(b), Some(AnyTx::Postgres(tx))) => {
                b.destroy_keys(tx, subjects).await?
            }
            _ => {}
        }
        let result = pending.commit().await?;
        if let AnyBackend::Sqlite(b) = &self.inner.backend {
            b.checkpoint().await?;
        }
        Ok(result)
    }

    /// The write transaction and lock an import works under, with the head.
    pub(crate) async fn begin_raw_write(&self) -> Result<(AnyTx, u64)> {
        Ok(match &self.inner.backend {
            AnyBackend::Sqlite(b) => {
                let (tx, head) = b.begin_import().await?;
                (AnyTx::Sqlite(tx), head)
            }
            AnyBackend::Postgres(b) => {
                let (tx, head) = b.begin_import().await?;
                (AnyTx::Postgres(tx), head)
            }
        })
    }

    pub(crate) async fn import_rows(&self, tx: &mut AnyTx, rows: &[ChainRow]) -> Result<()> {
        match tx {
            AnyTx::Sqlite(tx) => SqliteBackend::import_rows(tx, rows).await,
            AnyTx::Postgres(tx) => PgBackend::import_rows(tx, rows).await,
        }
    }

    pub(crate) async fn import_keys(&self, tx: &mut AnyTx, keys: &[SubjectKeyRow]) -> Result<()> {
        match tx {
            AnyTx::Sqlite(tx) => SqliteBackend::import_keys(tx, keys).await,
            AnyTx::Postgres(tx) => PgBackend::import_keys(tx, keys).await,
        }
    }

    pub(crate) async fn import_info(&self, tx: &mut AnyTx, info: &[(&str, String)]) -> Result<()> {
        match tx {
            AnyTx::Sqlite(tx) => SqliteBackend::import_info(tx, info).await,
            AnyTx::Postgres(tx) => PgBackend::import_info(tx, info).await,
        }
    }

    /// Reads the whole log (or one category) forwards from `from`, page by page,
    /// with the next page read ahead while the caller works: the way to replay.
    pub fn scan(&self, category: Option<&str>, from: ReadFrom, page_size: usize) -> Scan {
        Scan::new(self.clone(), category.map(str::to_owned), from, page_size)
    }

    /// A catch-up subscription to the global log: every event after position
    /// `after` (0 for the whole log), then each new one as it commits.
    pub fn subscribe(&self, after: u64) -> Subscription {
        Subscription::new(self.clone(), None, after)
    }

    /// A catch-up subscription to one category.
    pub fn subscribe_category(&self, category: &str, after: u64) -> Subscription {
        Subscription::new(self.clone(), Some(category.to_owned()), after)
    }

    pub(crate) fn committed(&self) -> watch::Receiver<u64> {
        self.inner.committed.subscribe()
    }

    /// A listener for other processes' commits, where the backend has one.
    pub(crate) async fn listener(&self) -> Option<sqlx::postgres::PgListener> {
        match &self.inner.backend {
            AnyBackend::Sqlite(_) => None,
            AnyBackend::Postgres(b) => b.listener().await.ok(),
        }
    }

    /// Removes this store from its PostgreSQL schema: every table and function
    /// Kroonika made, events included, in one transaction. For `kroonika demo
    /// --force` only: an SQLite store is replaced by deleting its file, and
    /// nothing else in Kroonika ever removes an event.
    pub async fn destroy(self) -> Result<()> {
        match &self.inner.backend {
            AnyBackend::Postgres(b) => b.destroy().await?,
            AnyBackend::Sqlite(_) => {
                return Err(Error::InvalidUrl {
                    url: self.location().to_owned(),
                    reason: "an SQLite store is replaced by removing its file".into(),
                });
            }
        }
        self.close().await;
        Ok(())
    }

    /// Closes every connection, waiting for them to finish.
    pub async fn close(&self) {
        dispatch!(self, b => b.close().await)
    }
}

/// The shared append flow: lock, check, insert, or judge a retry.
async fn prepare<B: Backend>(
    backend: &B,
    stream: &StreamName,
    expected: ExpectedRevision,
    batch: &Batch<'_>,
    timer: Timer,
) -> Result<(AppendResult, Option<B::Tx>)> {
    let (mut tx, head) = backend.begin_append(stream).await?;
    let actual = head.stream_revision;
    if !expected.is_satisfied_by(actual) {
        backend.rollback(tx).await?;
        let conflict = Error::WrongExpectedRevision {
            stream: stream.clone(),
            expected,
            actual,
        };
        return judge(backend, stream, expected, batch, actual, conflict).await;
    }
    if batch.events.is_empty() {
        let result = AppendResult {
            events: Vec::new(),
            stream_revision: actual,
            replayed: false,
        };
        return match timer {
            Timer::Keep => {
                backend.rollback(tx).await?;
                Ok((result, None))
            }
            Timer::Set(_) | Timer::Clear => {
                apply_timer(backend, &mut tx, stream, timer).await?;
                Ok((result, Some(tx)))
            }
        };
    }
    let mut plan = Plan {
        stream,
        batch,
        first_position: head.position + 1,
        first_revision: ExpectedRevision::next_revision(actual),
        recorded_at: head.now.trunc_subsecs(6),
        hashes: Vec::with_capacity(batch.events.len()),
    };
    plan.hashes = chain_hashes(&plan, head.hash.unwrap_or(chain::GENESIS));
    if let Err(err) = backend.insert(&mut tx, &plan).await {
        backend.rollback(tx).await?;
        let unique = err
            .as_database_error()
            .is_some_and(|db| db.is_unique_violation());
        if unique {
            return judge(
                backend,
                stream,
                expected,
                batch,
                actual,
                Error::Database(err),
            )
            .await;
        }
        return Err(Error::Database(err));
    }
    apply_timer(backend, &mut tx, stream, timer).await?;
    let events = batch
        .events
        .iter()
        .zip(0u64..)
        .map(|(event, i)| Appended {
            id: event.id,
            revision: plan.first_revision + i,
            position: plan.first_position + i,
            recorded_at: plan.recorded_at,
        })
        .collect::<Vec<_>>();
    let result = AppendResult {
        stream_revision: events.last().map(|e| e.revision),
        events,
        replayed: false,
    };
    Ok((result, Some(tx)))
}

/// The planned events' hashes, each chained to the one before.
fn chain_hashes(plan: &Plan<'_>, mut previous: Hash) -> Vec<Hash> {
    let recorded_at_micros = plan.recorded_at.timestamp_micros();
    plan.batch
        .events
        .iter()
        .zip(&plan.batch.metadata)
        .zip(0u64..)
        .map(|((event, metadata), i)| {
            let content = chain::Content {
                position: plan.first_position + i,
                stream: plan.stream.as_str(),
                revision: plan.first_revision + i,
                id: event.id,
                event_type: &event.event_type,
                data: event.data.as_str(),
                metadata,
                recorded_at_micros,
            };
            previous = chain::event_hash(&previous, &content);
            previous
        })
        .collect()
}

/// Writes a wake-up change in the open transaction.
async fn apply_timer<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    stream: &StreamName,
    timer: Timer,
) -> Result<()> {
    match timer {
        Timer::Keep => Ok(()),
        Timer::Set(due) => Ok(backend.set_timer(tx, stream, Some(due)).await?),
        Timer::Clear => Ok(backend.set_timer(tx, stream, None).await?),
    }
}

/// After a failed fast path: a retry of a stored batch, an id reused, or `failure`.
async fn judge<B: Backend>(
    backend: &B,
    stream: &StreamName,
    expected: ExpectedRevision,
    batch: &Batch<'_>,
    actual: Option<u64>,
    failure: Error,
) -> Result<(AppendResult, Option<B::Tx>)> {
    if batch.events.is_empty() {
        return Err(failure);
    }
    let ids = batch.events.iter().map(|e| e.id).collect::<Vec<_>>();
    let stored = backend.lookup(&ids).await?;
    match append::judge_retry(stream, expected, batch.events, stored, actual) {
        Retry::NotStored => Err(failure),
        Retry::Replayed(result) => Ok((result, None)),
        Retry::Reused(err) => Err(err),
        Retry::Misplaced(err) if !failure.is_conflict() => Err(err),
        Retry::Misplaced(_) => Err(failure),
    }
}

/// An append whose transaction is still open. See [`Store::prepare_append`].
#[derive(Debug)]
#[must_use = "a pending append is rolled back unless committed"]
pub struct PendingAppend {
    store: Store,
    result: AppendResult,
    tx: Option<AnyTx>,
}

impl PendingAppend {
    /// Where the events will be once committed.
    pub fn result(&self) -> &AppendResult {
        &self.result
    }

    /// Commits; the events become visible to readers, in position order.
    pub async fn commit(self) -> Result<AppendResult> {
        match self.tx {
            None => {}
            Some(AnyTx::Sqlite(tx)) => tx.commit().await?,
            Some(AnyTx::Postgres(tx)) => tx.commit().await?,
        }
        if let Some(last) = self.result.last_position() {
            self.store.inner.committed.send_if_modified(|seen| {
                let newer = last > *seen;
                if newer {
                    *seen = last;
                }
                newer
            });
        }
        Ok(self.result)
    }

    /// Abandons the append; nothing is written.
    pub async fn rollback(self) -> Result<()> {
        match self.tx {
            None => {}
            Some(AnyTx::Sqlite(tx)) => tx.rollback().await?,
            Some(AnyTx::Postgres(tx)) => tx.rollback().await?,
        }
        Ok(())
    }
}
