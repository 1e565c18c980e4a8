//! What each backend provides to the write path, which is written once
//! ([`crate::write`]) so that SQLite and PostgreSQL cannot disagree on when a
//! conflict is declared, a retry recognised or a precondition failed. The
//! backends supply SQL only: take the write lock and read the head, read under
//! the lock, insert rows, change the side tables, look ids up.

use chrono::{DateTime, Utc};
use kroonika_engine::{RecordedEvent, StreamName};
use uuid::Uuid;

use crate::append::Batch;
use crate::chain::Hash;
use crate::credentials::{CredentialChange, FailureRow};
use crate::error::Result;
use crate::index::IndexChange;
use crate::keys::SubjectKeyRow;
use crate::postgres::PgBackend;
use crate::sqlite::SqliteBackend;

/// The head of the log, read under the write lock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub position: u64,
    /// The revision of the stream `begin` was asked about.
    pub stream_revision: Option<u64>,
    /// The time to record: the store's clock, never before the last event's.
    pub now: DateTime<Utc>,
    /// The last event's hash (None for an empty log, or one that predates the chain).
    pub hash: Option<Hash>,
    /// The last position of the watched categories, where the backend reads it
    /// with the head (SQLite); None where the check rides on the insert
    /// (PostgreSQL) or nothing is watched.
    pub watched: Option<u64>,
}

/// The rows one write inserts, across its streams, in position order.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub rows: Vec<PlannedRow<'a>>,
    pub recorded_at: DateTime<Utc>,
    /// Insert nothing if an event of these categories is after this position
    /// (checked by the insert itself where the backend does so).
    pub unchanged: Option<(&'a [String], u64)>,
}

/// One event of a plan.
#[derive(Debug)]
pub(crate) struct PlannedRow<'a> {
    pub stream: &'a StreamName,
    pub batch: &'a Batch<'a>,
    /// The event's index in its stream's batch.
    pub index: usize,
    pub position: u64,
    pub revision: u64,
    pub hash: Hash,
}

/// What each backend provides to the shared write flow.
pub(crate) trait Backend {
    type Tx: Send;

    /// Begins the write transaction, takes the store's write lock and reads the
    /// head, the revision of `stream` (if given) and, where the backend can in
    /// the same statement, the last position of the `watched` categories.
    async fn begin(
        &self,
        stream: Option<&StreamName>,
        watched: Option<&[String]>,
    ) -> Result<(Self::Tx, Head)>;
    /// The revisions of more streams, under the lock.
    async fn revisions(
        &self,
        tx: &mut Self::Tx,
        streams: &[&StreamName],
    ) -> Result<Vec<Option<u64>>>;
    /// A whole stream, under the lock.
    async fn stream_in(&self, tx: &mut Self::Tx, stream: &StreamName)
    -> Result<Vec<RecordedEvent>>;
    /// The events of `categories` after `position`, under the lock.
    async fn categories_in(
        &self,
        tx: &mut Self::Tx,
        categories: &[String],
        position: u64,
    ) -> Result<Vec<RecordedEvent>>;
    /// The subject keys of one stream, under the lock.
    async fn keys_in(&self, tx: &mut Self::Tx, stream: &str) -> Result<Vec<SubjectKeyRow>>;
    /// Inserts the planned rows; returns how many went in (fewer only when the
    /// insert itself checks the plan's precondition and it failed). The raw sqlx
    /// error is returned so the caller can tell a unique-key violation.
    async fn insert(&self, tx: &mut Self::Tx, plan: &Plan<'_>) -> Result<u64, sqlx::Error>;
    /// Stores new subject keys (a subject that has one is a unique violation).
    async fn insert_keys(
        &self,
        tx: &mut Self::Tx,
        keys: &[SubjectKeyRow],
    ) -> Result<(), sqlx::Error>;
    /// Destroys these subjects' wrapped keys, and their search index entries.
    async fn destroy_keys(&self, tx: &mut Self::Tx, subjects: &[Uuid]) -> Result<(), sqlx::Error>;
    /// Changes the search index.
    async fn change_index(
        &self,
        tx: &mut Self::Tx,
        changes: &[IndexChange],
    ) -> Result<(), sqlx::Error>;
    /// A name's failed sign-ins, under the lock.
    async fn failures_in(&self, tx: &mut Self::Tx, name_hash: &[u8]) -> Result<Option<FailureRow>>;
    /// Changes the credential tables.
    async fn change_credentials(
        &self,
        tx: &mut Self::Tx,
        changes: &[CredentialChange],
    ) -> Result<(), sqlx::Error>;
    /// Sets (Some) or clears (None) a stream's wake-up.
    async fn set_timer(
        &self,
        tx: &mut Self::Tx,
        stream: &StreamName,
        due: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error>;
    /// Runs statements without parameters (savepoints) in the transaction.
    async fn execute_in(&self, tx: &mut Self::Tx, sql: &'static str) -> Result<()>;
    /// Each category's last position (0 when it has none), under the lock,
    /// in a statement of its own (on PostgreSQL its snapshot is taken after
    /// the lock was granted): what a group checks its writes' preconditions
    /// against.
    async fn last_positions(&self, tx: &mut Self::Tx, categories: &[&str]) -> Result<Vec<u64>>;
    async fn commit(tx: Self::Tx) -> Result<()>;
    async fn rollback(tx: Self::Tx) -> Result<()>;
    /// The stored events carrying any of these ids.
    async fn lookup(&self, ids: &[Uuid]) -> Result<Vec<RecordedEvent>>;
}

/// The backend a store runs on.
#[derive(Debug)]
pub(crate) enum AnyBackend {
    Sqlite(SqliteBackend),
    Postgres(PgBackend),
}

/// An open write transaction of either backend.
#[derive(Debug)]
pub(crate) enum AnyTx {
    Sqlite(<SqliteBackend as Backend>::Tx),
    Postgres(<PgBackend as Backend>::Tx),
}

impl AnyTx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            AnyTx::Sqlite(tx) => SqliteBackend::commit(tx).await,
            AnyTx::Postgres(tx) => PgBackend::commit(tx).await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            AnyTx::Sqlite(tx) => SqliteBackend::rollback(tx).await,
            AnyTx::Postgres(tx) => PgBackend::rollback(tx).await,
        }
    }
}

/// Runs `$body` with `$backend` bound to the store's backend, whichever it is.
macro_rules! dispatch {
    ($store:expr, $backend:ident => $body:expr) => {
        match $store.backend() {
            $crate::backend::AnyBackend::Sqlite($backend) => $body,
            $crate::backend::AnyBackend::Postgres($backend) => $body,
        }
    };
}
pub(crate) use dispatch;
