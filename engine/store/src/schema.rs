//! Is this database a Kroonika store, and is its schema the one this build knows?
//!
//! Migrations are plain `sqlx::migrate!` files, one folder per backend, applied by
//! `kroonika init`. Opening a store never migrates it: several machines may share
//! one PostgreSQL store, and an upgrade should be a deliberate act, not a side
//! effect of whichever machine happened to run a newer build first. So opening
//! checks instead, and refuses a store that is newer than the build (it may hold
//! data this build would misread) or older (it lacks tables this build needs).

use sqlx::migrate::Migrator;

use crate::error::{Error, Result};

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitOutcome {
    Created { version: i64 },
    Upgraded { from: i64, to: i64 },
    UpToDate { version: i64 },
}

/// What an open store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    /// "sqlite" or "postgres".
    pub backend: &'static str,
    pub version: i64,
    /// Random id given to the store when it was created.
    pub store_id: String,
    pub created_at: String,
}

/// What a database holds, as far as telling a store apart goes.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Whether the database (or schema) holds any table besides sqlx's own
    /// `_sqlx_migrations` (which alone means an init killed before its first
    /// migration committed: still an empty store).
    pub any_tables: bool,
    /// The `format` mark in `store_info`, if that table exists.
    pub format: Option<String>,
    /// Rows of `_sqlx_migrations`: (version, success). Empty if the table is absent.
    pub applied: Vec<(i64, bool)>,
}

pub(crate) fn latest(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

fn applied_version(found: &Found) -> i64 {
    found.applied.iter().map(|(v, _)| *v).max().unwrap_or(0)
}

/// Refuses anything but a current Kroonika store.
pub(crate) fn check_open(location: &str, found: &Found, migrator: &Migrator) -> Result<()> {
    if found.format.is_none() && found.applied.is_empty() {
        return Err(if found.any_tables {
            not_a_store(location, "it holds tables, but none of Kroonika's")
        } else {
            Error::NoStore {
                location: location.to_owned(),
            }
        });
    }
    check_common(location, found, migrator)?;
    let (found_version, needed) = (applied_version(found), latest(migrator));
    if found_version < needed {
        return Err(Error::SchemaOutdated {
            location: location.to_owned(),
            found: found_version,
            needed,
        });
    }
    Ok(())
}

/// Refuses to initialise over somebody else's tables or a newer store.
pub(crate) fn check_init(location: &str, found: &Found, migrator: &Migrator) -> Result<()> {
    if found.format.is_none() && found.applied.is_empty() {
        if found.any_tables {
            return Err(not_a_store(
                location,
                "it already holds other tables; give Kroonika a database (or a PostgreSQL schema, with ?options[search_path]=NAME) of its own",
            ));
        }
        return Ok(());
    }
    check_common(location, found, migrator)
}

fn check_common(location: &str, found: &Found, migrator: &Migrator) -> Result<()> {
    match found.format.as_deref() {
        Some("kroonika") => {}
        Some(other) => {
            return Err(not_a_store(
                location,
                &format!("its store_info says format '{other}'"),
            ));
        }
        None => {
            return Err(not_a_store(
                location,
                "it has sqlx migrations but no Kroonika store_info table",
            ));
        }
    }
    let (found_version, supported) = (applied_version(found), latest(migrator));
    if found_version > supported {
        return Err(Error::SchemaTooNew {
            location: location.to_owned(),
            found: found_version,
            supported,
        });
    }
    if let Some((version, _)) = found.applied.iter().find(|(_, success)| !success) {
        return Err(not_a_store(
            location,
            &format!("schema migration {version} failed part-way; restore the store from a backup"),
        ));
    }
    Ok(())
}

fn not_a_store(location: &str, reason: &str) -> Error {
    Error::NotAStore {
        location: location.to_owned(),
        reason: reason.to_owned(),
    }
}

/// What `init` reports, given the schema version before and after migrating.
pub(crate) fn outcome(before: i64, after: i64) -> InitOutcome {
    match before {
        0 => InitOutcome::Created { version: after },
        before if before < after => InitOutcome::Upgraded {
            from: before,
            to: after,
        },
        _ => InitOutcome::UpToDate { version: after },
    }
}

pub(crate) fn version_of(found: &Found) -> i64 {
    applied_version(found)
}

/// Picks the store id and creation time out of `store_info` rows.
pub(crate) fn pick_info(rows: Vec<(String, String)>) -> (String, String) {
    let get = |key: &str| {
        rows.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    (get("store_id"), get("created_at"))
}
