//! The master key, where the CLI finds it, and the keys of one case's subjects.
//!
//! Looked for, in order: `KROONIKA_MASTER_KEY` (64 hex digits); the key file
//! named by `--master-key-file`, `KROONIKA_MASTER_KEY_FILE` or `master_key_file`
//! in kroonika.toml; and, for an SQLite store, the file `kroonika init` creates
//! beside it (`<store>.key`, mode 0600). The first key used with a store is
//! registered in it as a check value, so a wrong key is refused before anything
//! is written or shown, never turned into garbage.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use kroonika_engine::Rejection;
use kroonika_store::Store;
use kroonika_vault::{Keyring, MasterKey, SubjectKey, subject_id};
use uuid::Uuid;

use crate::args::Cli;

pub(crate) const ENV: &str = "KROONIKA_MASTER_KEY";
const CHECK: &str = "master_key_check";

/// The key file beside an SQLite store: `kroonika.db` → `kroonika.db.key`.
pub(crate) fn default_key_file(db: &str) -> Option<PathBuf> {
    let path = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(format!("{path}.key")))
}

/// The master key and where it came from, or None when none is configured.
pub(crate) fn find(cli: &Cli) -> anyhow::Result<Option<(MasterKey, String)>> {
    if let Ok(text) = std::env::var(ENV)
        && !text.trim().is_empty()
    {
        let key = MasterKey::from_hex(&text).with_context(|| format!("reading {ENV}"))?;
        return Ok(Some((key, ENV.to_owned())));
    }
    let (path, required) = match &cli.master_key_file {
        Some(path) => (path.clone(), true),
        None => match default_key_file(&cli.db) {
            Some(path) => (path, false),
            None => return Ok(None),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = MasterKey::from_hex(&text)
                .with_context(|| format!("reading the master key file {}", path.display()))?;
            Ok(Some((key, path.display().to_string())))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(err) => Err(anyhow::Error::from(err)
            .context(format!("reading the master key file {}", path.display()))),
    }
}

/// The master key, checked against the store (registered there on first use).
pub(crate) async fn master(cli: &Cli, store: &Store) -> anyhow::Result<Option<MasterKey>> {
    let Some((key, source)) = find(cli)? else {
        return Ok(None);
    };
    check(store, &key)
        .await
        .with_context(|| format!("the master key from {source}"))?;
    Ok(Some(key))
}

/// Registers the key's check value if the store has none, else verifies it.
pub(crate) async fn check(store: &Store, key: &MasterKey) -> anyhow::Result<()> {
    let mine = hex::encode(key.check_value());
    let stored = store.put_info_once(CHECK, &mine).await?;
    let bytes = hex::decode(&stored)
        .ok()
        .ok_or_else(|| anyhow::anyhow!("the stored key check is damaged"))?;
    key.verify(&bytes)?;
    Ok(())
}

/// The master key, or a refusal that says how to provide one.
pub(crate) fn require<'a>(
    master: Option<&'a MasterKey>,
    db: &str,
) -> anyhow::Result<&'a MasterKey> {
    master.ok_or_else(|| Rejection::new(missing(db)).into())
}

/// What to say when the master key is needed and not found.
pub(crate) fn missing(db: &str) -> String {
    let beside = default_key_file(db)
        .map(|p| format!(", or the file {} that `kroonika init` creates", p.display()))
        .unwrap_or_default();
    format!(
        "personal data needs the master key: set {ENV} (64 hex digits), or master_key_file in kroonika.toml or --master-key-file{beside}"
    )
}

/// Creates a key file with a fresh key, readable by its owner only. Refuses to
/// overwrite one.
pub(crate) fn create_key_file(path: &Path) -> anyhow::Result<MasterKey> {
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
        .with_context(|| format!("creating the master key file {}", path.display()))?;
    writeln!(file, "{}", key.to_hex())?;
    file.sync_all()?;
    Ok(key)
}

/// The keys of case `case_id`'s subjects `names`: unwrapped, None for erased
/// ones. With `create`, a subject without a key gets one (stored before any
/// data is sealed under it).
pub(crate) async fn keyring(
    store: &Store,
    master: &MasterKey,
    case_id: Uuid,
    names: &[String],
    create: bool,
) -> anyhow::Result<Keyring> {
    let stream = format!("case-{case_id}");
    let rows = store.subject_keys(Some(&stream)).await?;
    let mut ring = Keyring::default();
    for name in names {
        let subject = subject_id(case_id, name);
        let row = match rows.iter().find(|r| r.subject == subject) {
            Some(row) => Some(row.clone()),
            None if create => {
                let wrapped = master.wrap(subject, &SubjectKey::generate());
                Some(
                    store
                        .put_subject_key(subject, &stream, name, &wrapped)
                        .await?,
                )
            }
            None => None,
        };
        match row.map(|r| r.wrapped) {
            Some(Some(wrapped)) => {
                ring.insert(subject, name, Some(master.unwrap(subject, &wrapped)?))
            }
            Some(None) => ring.insert(subject, name, None),
            None => {}
        }
    }
    Ok(ring)
}

/// Fresh keys for the subjects `names` of a case that has none yet (one that
/// is being opened), stored in one statement.
pub(crate) async fn new_keyring(
    store: &Store,
    master: &MasterKey,
    case_id: Uuid,
    names: &[String],
) -> anyhow::Result<Keyring> {
    let stream = format!("case-{case_id}");
    let mut ring = Keyring::default();
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        let subject = subject_id(case_id, name);
        let key = SubjectKey::generate();
        rows.push(kroonika_store::SubjectKeyRow {
            subject,
            stream: stream.clone(),
            name: name.clone(),
            wrapped: Some(master.wrap(subject, &key)),
            created_at: chrono::Utc::now(),
            erased_at: None,
        });
        ring.insert(subject, name, Some(key));
    }
    store.new_subject_keys(&rows).await?;
    Ok(ring)
}

/// Opens the sealed values of case `case_id`'s data in place, where the keyring
/// can; erased or unreadable ones stay sealed. For checks the system makes
/// (does the data fit a new version), never for display.
pub(crate) fn open_data(
    ring: &Keyring,
    case_id: Uuid,
    data: &mut std::collections::BTreeMap<String, serde_json::Value>,
) {
    let stream = format!("case-{case_id}");
    for (name, value) in data.iter_mut() {
        if let kroonika_vault::Opened::Plain(plain) =
            kroonika_vault::open(ring, &stream, name, value)
        {
            *value = plain;
        }
    }
}

/// The keyring of an existing case (no keys made), when a master key is at hand.
pub(crate) async fn existing_keyring(
    store: &Store,
    master: Option<&MasterKey>,
    case_id: Uuid,
) -> anyhow::Result<Option<Keyring>> {
    let Some(master) = master else {
        return Ok(None);
    };
    let rows = store.subject_keys(Some(&format!("case-{case_id}"))).await?;
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    Ok(Some(keyring(store, master, case_id, &names, false).await?))
}
