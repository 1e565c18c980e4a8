//! Kroonika's application layer: every operation a front end offers, in one
//! place, over plain values.
//!
//! Front ends (the `kroonika` CLI, later the HTTP and gRPC servers, the demo)
//! parse what their users give, call one method of [`App`], and render what
//! comes back. Nothing here knows clap, a terminal, HTTP or anyhow; every rule
//! that is not the engine's own (reference numbering, "nothing occurs in the
//! future", deadline status, small-cell suppression, recording denials and
//! readings) lives here once, and every error comes back typed ([`Error`],
//! with a [`ErrorKind`] and, for rejections, a stable code).
//!
//! # Layout
//! - [`App`] (this file): the store, the master key, the clock and id source,
//!   and the caches a long-lived process can trust ([`registry`], remembered
//!   cases). Cheap to clone: clones share everything.
//! - `cases/`: case commands through the one write path (load or remember,
//!   decide, seal, write atomically; decide again under the store's write lock
//!   when a race was lost), opening, showing, listing, history.
//! - `privacy.rs`: readings and refusals, erasure, legal holds, retention.
//! - `timers.rs`, `services.rs`: deadlines, and long-running work with a
//!   `run(shutdown)` loop.
//! - `definitions.rs`, `actors.rs`: publishing and the directory.
//! - `auth/`: who is asking: tokens, passwords, sessions, and the
//!   [`auth::Authenticator`] front ends ask; `permissions.rs`: who may read what.
//! - `projections.rs`, `reports.rs`, `audit.rs`, `transfer.rs`: reading the
//!   log back: projections, reports, audit trail, verification, export, import.
//! - `demo/`: years of believable casework, through this same API.

pub mod actors;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod checkpoint;
pub mod command;
pub mod definitions;
pub mod demo;
pub mod derived;
pub mod env;
pub mod error;
pub mod keys;
pub mod labels;
mod limits;
pub mod log;
pub mod permissions;
pub mod privacy;
pub mod projections;
pub mod registry;
pub mod reports;
pub mod scenarios;
pub mod search;
pub mod services;
pub mod setup;
pub mod streams;
pub mod subject;
pub mod time;
pub mod timers;
pub mod transfer;

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use kroonika_engine::Code;
use kroonika_store::{Store, Unchanged};
use kroonika_vault::MasterKey;
use uuid::Uuid;

pub use cases::documents::{Addressee, DocumentAsk, DocumentOffer, Produced};
pub use command::{CaseCommand, Input, Outcome, Request};
pub use env::{Clock, Ids, SetClock, SystemClock, V7Ids};
pub use error::{Error, ErrorKind, Result};
/// What front ends name of the store without holding one: how `init` went,
/// and a chain head written out and read back.
pub use kroonika_store::InitOutcome;
pub use kroonika_store::chain::{Hash, from_hex as hash_from_hex, to_hex as hash_to_hex};
pub use registry::Registry;
pub use time::{Day, When};

use crate::error::reject;

/// How an [`App`] is set up besides its store.
#[derive(Debug, Clone)]
pub struct Options {
    /// The master key (checked against the store once, when the app starts);
    /// None: personal data can be neither recorded nor revealed.
    pub master: Option<MasterKey>,
    /// Where the master key came from, for messages (`KROONIKA_MASTER_KEY`, a path).
    pub key_from: String,
    /// What to tell a user who needs the master key and has none configured,
    /// in the front end's own words (which variable, which flag).
    pub missing_key: String,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    /// How many cases to remember between commands (0: none).
    pub remember: usize,
    /// How signing in and sessions behave.
    pub auth: auth::AuthPolicy,
    /// The longest text a command may carry in one value (an input field, a
    /// reason, a purpose), in bytes: the log keeps everything forever. A
    /// ceiling over the definition's own limits (`max-length`, counted in
    /// characters: 1,024 for a string, 65,536 for a text or a note), which
    /// are what people meet; 4 bytes a character at most.
    pub max_text: usize,
}

/// The default of [`Options::max_text`]: the longest text a definition allows,
/// in the widest UTF-8.
pub const MAX_TEXT: usize = 4 * kroonika_engine::definition::TEXT_MAX;

impl Default for Options {
    fn default() -> Self {
        Options {
            master: None,
            key_from: String::new(),
            missing_key: "personal data needs the master key".to_owned(),
            clock: Arc::new(SystemClock),
            ids: Arc::new(V7Ids),
            remember: 10_000,
            auth: auth::AuthPolicy::default(),
            max_text: MAX_TEXT,
        }
    }
}

/// The application: what every front end calls.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    master: Option<MasterKey>,
    missing_key: String,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
    registry: RwLock<Arc<Registry>>,
    cases: Mutex<cases::cache::Cases>,
    auth: auth::AuthPolicy,
    max_text: usize,
    /// The search index key, once read (or made) with the master key.
    index: tokio::sync::OnceCell<kroonika_vault::IndexKey>,
}

impl App {
    /// Starts the application on an open store: checks the master key against
    /// the store (registering it if the store has none yet), and reads the
    /// actor directory and the published definitions.
    pub async fn new(store: Store, options: Options) -> Result<App> {
        if let Some(key) = &options.master {
            keys::check(&store, key).await.map_err(|err| {
                if options.key_from.is_empty() {
                    err
                } else {
                    err.context(format!("the master key from {}", options.key_from))
                }
            })?;
        }
        let app = App {
            inner: Arc::new(Inner {
                store,
                master: options.master,
                missing_key: options.missing_key,
                clock: options.clock,
                ids: options.ids,
                registry: RwLock::new(Arc::new(Registry::default())),
                cases: Mutex::new(cases::cache::Cases::new(options.remember)),
                auth: options.auth,
                max_text: options.max_text,
                index: tokio::sync::OnceCell::new(),
            }),
        };
        // A registry that cannot be read (an event changed outside Kroonika)
        // must not stop an auditor from verifying the log: commands that need
        // it read it again, and fail then, with the reason.
        if let Err(err) = app.refresh().await
            && err.kind() != ErrorKind::Integrity
        {
            return Err(err);
        }
        Ok(app)
    }

    /// Where the store is, for messages (never a password).
    pub fn location(&self) -> &str {
        self.inner.store.location()
    }

    /// The time now, by the app's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn new_id(&self) -> Uuid {
        self.inner.ids.new_id()
    }

    /// The registry as this app last saw it.
    pub fn registry(&self) -> Arc<Registry> {
        self.inner
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Moves the registry forward to the log's head, reading only what is new.
    pub async fn refresh(&self) -> Result<Arc<Registry>> {
        let mut current = self.registry();
        loop {
            const PAGE: usize = 1_000;
            let events = self
                .inner
                .store
                .read_categories(&registry::categories(), current.position() + 1, PAGE)
                .await?;
            if events.is_empty() {
                return Ok(current);
            }
            let full = events.len() == PAGE;
            current = self.adopt(current.with_any(&events));
            if !full {
                return Ok(current);
            }
        }
    }

    /// Keeps `next` if it is newer than the registry held now; returns the newest.
    pub(crate) fn adopt(&self, next: Registry) -> Arc<Registry> {
        let mut held = self
            .inner
            .registry
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if next.position() > held.position() {
            *held = Arc::new(next);
        }
        held.clone()
    }

    /// The precondition every decision made against `registry` is written with.
    pub(crate) fn unchanged(registry: &Registry) -> Unchanged {
        Unchanged {
            categories: registry::categories(),
            position: registry.position(),
        }
    }

    /// The acting actor, looking again in the log once if the name is not known
    /// (registered meanwhile by another process).
    pub(crate) async fn acting(
        &self,
        name: &str,
    ) -> Result<(kroonika_engine::actors::Actor, Arc<Registry>)> {
        let (actor, registry) = self.acting_on_any(name).await?;
        if let Some(why) = registry.unreadable() {
            return Err(Error::Integrity(why.to_owned()));
        }
        Ok((actor, registry))
    }

    /// [`App::acting`], even on a directory with an unreadable event: for
    /// reading the log, which is how an auditor finds it.
    pub(crate) async fn acting_on_any(
        &self,
        name: &str,
    ) -> Result<(kroonika_engine::actors::Actor, Arc<Registry>)> {
        if name.trim().is_empty() {
            return Err(reject(
                Code::UnknownActor,
                "say who is acting: --actor NAME (or set KROONIKA_ACTOR)",
            ));
        }
        let registry = self.registry();
        match registry.acting(name) {
            Ok(actor) => Ok((actor, registry)),
            Err(_) => {
                let registry = self.refresh().await?;
                Ok((registry.acting(name)?, registry))
            }
        }
    }

    /// The registered actor `name` (the directory read again once if the name
    /// is not known), or the refusal.
    /// A lookup, not a decision: it answers even when the directory has an
    /// unreadable event (every decision refuses then, see [`App::acting`]).
    pub async fn actor(&self, name: &str) -> Result<kroonika_engine::actors::Actor> {
        Ok(self.acting_on_any(name).await?.0)
    }

    /// The master key, or the refusal that says how to provide one.
    pub(crate) fn master(&self) -> Result<&MasterKey> {
        self.inner
            .master
            .as_ref()
            .ok_or_else(|| reject(Code::MasterKeyNeeded, self.inner.missing_key.clone()))
    }

    pub(crate) fn master_key(&self) -> Option<&MasterKey> {
        self.inner.master.as_ref()
    }

    /// The search index key, for writing: read from the store, or made and
    /// stored there on first use. None without a master key (nothing personal
    /// can be recorded then, so nothing is indexed).
    pub(crate) async fn index_key(&self) -> Result<Option<&kroonika_vault::IndexKey>> {
        let Some(master) = self.master_key() else {
            return Ok(None);
        };
        let key = self
            .inner
            .index
            .get_or_try_init(|| keys::index_key(&self.inner.store, master))
            .await?;
        Ok(Some(key))
    }

    /// Closes the store's connections.
    pub async fn close(&self) {
        self.inner.store.close().await;
    }
}
