//! Making a store ready: creating it or bringing its schema up to date,
//! registering (or creating) its master key, and the first administrator; and
//! opening one for an [`App`].

use std::path::PathBuf;

use kroonika_store::{InitOutcome, Store, StoreOptions};

use crate::error::{Context, Result};
use crate::keys::{self, KeySource};
use crate::{App, Options};

/// What `init` did.
#[derive(Debug)]
pub struct Initialised {
    pub location: String,
    pub backend: &'static str,
    pub outcome: InitOutcome,
    pub key: KeySetUp,
    /// The first administrator, if one was registered.
    pub admin: Option<String>,
}

/// What became of the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySetUp {
    /// A configured key, registered with the store (or found to match it).
    Configured { source: String },
    /// A new key file beside the SQLite store.
    Created { path: PathBuf },
    /// None yet (a PostgreSQL store with no key configured).
    None,
}

/// Creates the store if it is missing and brings its schema up to date
/// (idempotent), registers the master key, and registers `admin` as the first
/// administrator (refused if the store has actors already).
pub async fn init(url: &str, source: &KeySource, admin: Option<&str>) -> Result<Initialised> {
    let (store, outcome) = Store::init(url)
        .await
        .map_err(|err| crate::Error::from(err).context("initialising the store"))?;
    let result = set_up(&store, outcome, source, admin).await;
    store.close().await;
    result
}

async fn set_up(
    store: &Store,
    outcome: InitOutcome,
    source: &KeySource,
    admin: Option<&str>,
) -> Result<Initialised> {
    let (master, key) = match keys::find(source)? {
        Some((master, from)) => {
            keys::check(store, &master)
                .await
                .context(|| format!("the master key from {from}"))?;
            (Some(master), KeySetUp::Configured { source: from })
        }
        None => match keys::default_key_file(&source.db) {
            Some(path) => {
                let master = keys::create_key_file(&path)?;
                keys::check(store, &master).await?;
                (Some(master), KeySetUp::Created { path })
            }
            None => (None, KeySetUp::None),
        },
    };
    let mut initialised = Initialised {
        location: store.location().to_owned(),
        backend: store.backend_name(),
        outcome,
        key,
        admin: None,
    };
    if let Some(admin) = admin {
        let app = App::new(
            store.clone(),
            Options {
                master,
                ..Options::default()
            },
        )
        .await?;
        app.register_first_admin(admin).await?;
        initialised.admin = Some(admin.to_owned());
    }
    Ok(initialised)
}

impl App {
    /// Opens the store at `url` (which must exist) and starts an app on it.
    pub async fn open(url: &str, options: Options) -> Result<App> {
        App::open_with(url, StoreOptions::default(), options).await
    }

    pub async fn open_with(url: &str, store: StoreOptions, options: Options) -> Result<App> {
        let store = Store::open_with(url, store)
            .await
            .map_err(|err| crate::Error::from(err).context("opening the store"))?;
        match App::new(store.clone(), options).await {
            Ok(app) => Ok(app),
            Err(err) => {
                store.close().await;
                Err(err)
            }
        }
    }
}
