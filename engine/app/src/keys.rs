//! The master key and the keys of one case's subjects.
//!
//! Where a front end finds the master key: `KROONIKA_MASTER_KEY` (64 hex
//! digits); a key file it names; and, for an SQLite store, the file `kroonika
//! init` creates beside it (`<store>.key`, mode 0600). The first key used with a
//! store is registered in it as a check value, so a wrong key is refused before
//! anything is written or shown, never turned into garbage. [`crate::App`]
//! checks its key once, when it starts.
//!
//! Subject keys are made only inside the write that first seals data under
//! them, and read back (unwrapped) only to reveal or to check that sealed data
//! fits a new definition version.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use kroonika_engine::case;
use kroonika_store::{Store, SubjectKeyRow};
use kroonika_vault::{IndexKey, Keyring, MasterKey, SubjectKey, subject_id};
use uuid::Uuid;

use crate::error::{Context, Error, Result};

/// The environment variable that holds the master key.
pub const ENV: &str = "KROONIKA_MASTER_KEY";
/// The store information key of the master key's check value.
pub(crate) const CHECK: &str = "master_key_check";
/// The store information key of the search index key (wrapped).
pub(crate) const INDEX_KEY: &str = "search_index_key";

/// Where a front end may have a master key: the environment variable's value,
/// a key file it names (which must then exist), and the store (whose default
/// key file is looked for when no file is named).
#[derive(Debug, Clone, Default)]
pub struct KeySource {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
    pub db: String,
}

/// The key file beside an SQLite store: `kroonika.db` → `kroonika.db.key`.
pub fn default_key_file(db: &str) -> Option<PathBuf> {
    let path = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(format!("{path}.key")))
}

/// The master key and where it came from, or None when none is configured.
pub fn find(source: &KeySource) -> Result<Option<(MasterKey, String)>> {
    if let Some(text) = source.env.as_deref().filter(|t| !t.trim().is_empty()) {
        let key = MasterKey::from_hex(text).context(|| format!("reading {ENV}"))?;
        return Ok(Some((key, ENV.to_owned())));
    }
    let (path, required) = match &source.file {
        Some(path) => (path.clone(), true),
        None => match default_key_file(&source.db) {
            Some(path) => (path, false),
            None => return Ok(None),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = MasterKey::from_hex(&text)
                .context(|| format!("reading the master key file {}", path.display()))?;
            Ok(Some((key, path.display().to_string())))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(err) => {
            Err(Error::from(err).context(format!("reading the master key file {}", path.display())))
        }
    }
}

/// Refuses a master key file that others than its owner can read or write:
/// whoever reads it reads every victim's name. Checked where a key serves
/// many people (the server), which then does not start.
pub fn check_private(source: &KeySource) -> Result<()> {
    if source.env.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        return Ok(());
    }
    let Some(path) = source.file.clone().or_else(|| default_key_file(&source.db)) else {
        return Ok(());
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(&path) {
            Ok(meta) => meta.permissions().mode() & 0o777,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => {
                return Err(Error::from(err)
                    .context(format!("reading the master key file {}", path.display())));
            }
        };
        if mode & 0o077 != 0 {
            return Err(Error::Invalid(format!(
                "the master key file {} can be read by others than its owner (mode {mode:o}); \
                 whoever reads it can read every person's data. Run `chmod 600 {}` first",
                path.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// Creates a key file with a fresh key, readable by its owner only. Refuses to
/// overwrite one.
pub fn create_key_file(path: &Path) -> Result<MasterKey> {
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .context(|| format!("creating the master key file {}", path.display()))?;
    writeln!(file, "{}", key.to_hex())?;
    file.sync_all()?;
    Ok(key)
}

/// Checks `key` against the store's check value, registering it there if the
/// store has none yet (its first key).
pub async fn check(store: &Store, key: &MasterKey) -> Result<()> {
    let stored = match store.info_value(CHECK).await? {
        Some(stored) => stored,
        None => {
            store
                .put_info_once(CHECK, &hex::encode(key.check_value()))
                .await?
        }
    };
    let bytes = hex::decode(&stored)
        .map_err(|_| Error::Integrity("the stored master key check is damaged".to_owned()))?;
    key.verify(&bytes)?;
    Ok(())
}

/// The search index key: unwrapped from the store's information, or made,
/// wrapped and stored there if the store has none yet (two processes making
/// one at once both end up with the one stored first).
pub(crate) async fn index_key(store: &Store, master: &MasterKey) -> Result<IndexKey> {
    let stored = match store.info_value(INDEX_KEY).await? {
        Some(stored) => stored,
        None => {
            let fresh = hex::encode(master.wrap_index(&IndexKey::generate()));
            store.put_info_once(INDEX_KEY, &fresh).await?
        }
    };
    unwrap_index(master, &stored)
}

/// The stored search index key, without making one (for a search, which
/// writes nothing: a store without a key has no index either).
pub(crate) async fn stored_index_key(
    store: &Store,
    master: &MasterKey,
) -> Result<Option<IndexKey>> {
    match store.info_value(INDEX_KEY).await? {
        Some(stored) => Ok(Some(unwrap_index(master, &stored)?)),
        None => Ok(None),
    }
}

fn unwrap_index(master: &MasterKey, stored: &str) -> Result<IndexKey> {
    let bytes = hex::decode(stored)
        .map_err(|_| Error::Integrity("the stored search index key is damaged".to_owned()))?;
    Ok(master.unwrap_index(&bytes)?)
}

/// The keyring of one case from its stored key rows: unwrapped, None for
/// erased subjects.
pub(crate) fn keyring(master: &MasterKey, rows: &[SubjectKeyRow]) -> Result<Keyring> {
    let mut ring = Keyring::default();
    for row in rows {
        match &row.wrapped {
            Some(wrapped) => ring.insert(
                row.subject,
                &row.name,
                Some(master.unwrap(row.subject, wrapped)?),
            ),
            None => ring.insert(row.subject, &row.name, None),
        }
    }
    Ok(ring)
}

/// Adds fresh keys to `ring` for the subjects `names` of case `case_id` that
/// have none, returning the rows to store with the write that seals under them.
pub(crate) fn add_new_keys(
    ring: &mut Keyring,
    existing: &[SubjectKeyRow],
    master: &MasterKey,
    case_id: Uuid,
    names: &[String],
    now: DateTime<Utc>,
) -> Vec<SubjectKeyRow> {
    let stream = case::stream(case_id).to_string();
    let mut rows = Vec::new();
    for name in names {
        let subject = subject_id(case_id, name);
        if existing.iter().any(|row| row.subject == subject) {
            continue;
        }
        let key = SubjectKey::generate();
        rows.push(SubjectKeyRow {
            subject,
            stream: stream.clone(),
            name: name.clone(),
            wrapped: Some(master.wrap(subject, &key)),
            created_at: now,
            erased_at: None,
        });
        ring.insert(subject, name, Some(key));
    }
    rows
}

/// The keyring of an existing case, read from the store (no keys made).
pub(crate) async fn existing(store: &Store, master: &MasterKey, case_id: Uuid) -> Result<Keyring> {
    let rows = store
        .subject_keys(Some(case::stream(case_id).as_str()))
        .await?;
    keyring(master, &rows)
}

/// Opens the sealed values of case `case_id`'s data in place, where the keyring
/// can; erased or unreadable ones stay sealed. For checks the system makes
/// (does the data fit a new version), never for display.
pub(crate) fn open_data(
    ring: &Keyring,
    case_id: Uuid,
    data: &mut std::collections::BTreeMap<String, serde_json::Value>,
) {
    let stream = case::stream(case_id).to_string();
    for (name, value) in data.iter_mut() {
        if value.is_array() {
            // A list of people: each person's name and contact.
            *value = kroonika_vault::open_people(ring, &stream, name, value).0;
        } else if let kroonika_vault::Opened::Plain(plain) =
            kroonika_vault::open(ring, &stream, name, value)
        {
            *value = plain;
        }
    }
}
