//! [`Store`]: the façade over the two backends. This file holds its life:
//! opening, initialising, what it is, closing. What it does lives by concern:
//! writes in `write.rs`, reads in `read.rs`, the chain in `chain.rs`, keys in
//! `keys.rs`, wake-ups in `timers.rs`, projections in `projection.rs`, imports
//! in `import.rs`; each an `impl Store` block over the backends' SQL.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::backend::{AnyBackend, dispatch};
use crate::connect::{self, Target};
use crate::error::{Error, Result};
use crate::group::{GroupStats, Job, Run, Writer};
use crate::postgres::PgBackend;
use crate::read::ReadFrom;
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
    /// Writes of this process queued while another commits are committed
    /// together, in one transaction with one flush (true, the default; see
    /// `group.rs`). False: every write takes the lock and commits alone.
    pub group_commit: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            durable: true,
            group_commit: true,
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
    /// The writer task of group commit, started by the first write.
    writer: OnceLock<Writer>,
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
                writer: OnceLock::new(),
            }),
        };
        Ok((store, found))
    }

    pub(crate) fn backend(&self) -> &AnyBackend {
        &self.inner.backend
    }

    /// The writer task of group commit (started here on first use), or None
    /// when group commit is off.
    pub(crate) fn writer(&self) -> Option<&Writer> {
        if !self.inner.options.group_commit {
            return None;
        }
        Some(self.inner.writer.get_or_init(|| {
            fn run(inner: Arc<Inner>, jobs: Vec<Job>) -> Run {
                Box::pin(async move { Store { inner }.run_group(jobs).await })
            }
            Writer::spawn(Arc::downgrade(&self.inner), run)
        }))
    }

    /// How many groups this process's writer committed, and how many writes
    /// they held (zero when group commit is off or nothing was written).
    pub fn group_stats(&self) -> GroupStats {
        self.inner
            .writer
            .get()
            .map(Writer::stats)
            .unwrap_or_default()
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

    /// Stores `value` under `key` in the store's own information unless a value
    /// is there already, and returns the stored one (the master key's check value).
    pub async fn put_info_once(&self, key: &str, value: &str) -> Result<String> {
        dispatch!(self, b => b.put_info_once(key, value).await)
    }

    /// A value of the store's own information.
    pub async fn info_value(&self, key: &str) -> Result<Option<String>> {
        dispatch!(self, b => b.info_value(key).await)
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

    /// Tells this process's subscribers that the log reaches `position`.
    pub(crate) fn committed_up_to(&self, position: u64) {
        self.inner.committed.send_if_modified(|seen| {
            let newer = position > *seen;
            if newer {
                *seen = position;
            }
            newer
        });
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
