//! The personal-data vault: who may read a victim's name is a matter of keys.
//!
//! Every data subject of a case (the victim, the offender, a child, …) gets a
//! random data key of its own. Personal fields are sealed (XChaCha20-Poly1305,
//! RustCrypto's `chacha20poly1305`) under their subject's key before their event
//! is appended, so the log, its hash chain, exports and backups only ever hold
//! ciphertext. Subject keys are stored wrapped by one master key, which lives
//! outside the database (an environment variable or a key file). Erasing a
//! subject destroys its wrapped key: the ciphertext stays, the chain still
//! verifies, and nothing can read the data again ("crypto-shredding").
//!
//! Every ciphertext is bound to its place with associated data (the case stream
//! and field for values, the subject id for keys), so a sealed value copied into
//! another case or field does not open.
//!
//! No I/O here but the operating system's random source; the store keeps the
//! wrapped keys, the CLI finds the master key.

mod index;

pub use index::{HOME_COUNTRY, IndexKey, Kind, Token, normal_phone, normal_text};

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use kroonika_engine::case::CaseEvent;
use kroonika_engine::case::people;
use kroonika_engine::definition::{FieldType, ProcessDefinition};
use kroonika_engine::sealed::{SEALED, is_sealed, sealed_text};
use serde_json::{Value, json};
use uuid::Uuid;

const NONCE: usize = 24;
const VALUE_AAD: &str = "kroonika.seal.v1";
const KEY_AAD: &str = "kroonika.key.v1";
const CHECK_AAD: &[u8] = b"kroonika.check.v1";
const CHECK_TEXT: &[u8] = b"kroonika master key";

/// What is shown instead of an erased subject's data.
pub const ERASED: &str = "[erased]";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("the master key must be 64 hexadecimal digits (32 bytes); {0}")]
    BadMasterKey(String),
    #[error(
        "the master key does not open this store's keys: it is not the key this store was set up with"
    )]
    WrongMasterKey,
    #[error("subject {subject} ({name}) was erased; its personal data can no longer be recorded")]
    Erased { subject: Uuid, name: String },
    #[error("a stored key or sealed value is damaged: {0}")]
    Damaged(String),
}

/// The key that wraps every subject key. Never printed by `Debug`.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A fresh random master key.
    pub fn generate() -> MasterKey {
        MasterKey(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Reads 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<MasterKey, Error> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(Error::BadMasterKey(format!(
                "this one has {} characters",
                text.chars().count()
            )));
        }
        let mut key = [0u8; 32];
        hex::decode_to_slice(text, &mut key).map_err(|_| {
            Error::BadMasterKey("it contains characters that are not hex digits".into())
        })?;
        Ok(MasterKey(key))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// A value stored beside the keys that only this master key opens, so a
    /// wrong key is recognised before anything is written or shown.
    pub fn check_value(&self) -> Vec<u8> {
        seal_bytes(&self.cipher(), CHECK_TEXT, CHECK_AAD)
    }

    /// Whether `check` (from [`MasterKey::check_value`]) was made by this key.
    pub fn verify(&self, check: &[u8]) -> Result<(), Error> {
        match open_bytes(&self.cipher(), check, CHECK_AAD) {
            Some(text) if text == CHECK_TEXT => Ok(()),
            _ => Err(Error::WrongMasterKey),
        }
    }

    /// Wraps a subject's key for storage.
    pub fn wrap(&self, subject: Uuid, key: &SubjectKey) -> Vec<u8> {
        seal_bytes(&self.cipher(), &key.0, &key_aad(subject))
    }

    /// Unwraps a stored subject key.
    pub fn unwrap(&self, subject: Uuid, wrapped: &[u8]) -> Result<SubjectKey, Error> {
        let bytes =
            open_bytes(&self.cipher(), wrapped, &key_aad(subject)).ok_or(Error::WrongMasterKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::Damaged(format!("the key of subject {subject} has the wrong size"))
        })?;
        Ok(SubjectKey(key))
    }
}

fn key_aad(subject: Uuid) -> Vec<u8> {
    let mut aad = KEY_AAD.as_bytes().to_vec();
    aad.extend_from_slice(subject.as_bytes());
    aad
}

/// One data subject's key. Never printed by `Debug`.
#[derive(Clone)]
pub struct SubjectKey([u8; 32]);

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubjectKey(..)")
    }
}

impl SubjectKey {
    pub fn generate() -> SubjectKey {
        SubjectKey(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }
}

fn seal_bytes(cipher: &XChaCha20Poly1305, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    // Encryption with a fresh nonce cannot fail for inputs of this size.
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap_or_default();
    out.extend(ciphertext);
    out
}

fn open_bytes(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE);
    let nonce: [u8; NONCE] = nonce.try_into().ok()?;
    cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

/// A subject's id: derived from the case and the subject's name (UUID v5), so it
/// is the same wherever it is computed and reveals nothing about the person.
pub fn subject_id(case_id: Uuid, name: &str) -> Uuid {
    Uuid::new_v5(&case_id, name.as_bytes())
}

fn value_aad(stream: &str, field: &str) -> Vec<u8> {
    format!("{VALUE_AAD}\0{stream}\0{field}").into_bytes()
}

/// Seals one value of `field` in case stream `stream` under the subject's key.
pub fn seal(key: &SubjectKey, subject: Uuid, stream: &str, field: &str, value: &Value) -> Value {
    let plaintext = value.to_string();
    let sealed = seal_bytes(
        &key.cipher(),
        plaintext.as_bytes(),
        &value_aad(stream, field),
    );
    json!({ SEALED: format!("v1.{subject}.{}", B64.encode(sealed)) })
}

/// The subject a sealed value belongs to.
pub fn sealed_subject(value: &Value) -> Option<Uuid> {
    let text = sealed_text(value)?;
    let mut parts = text.splitn(3, '.');
    (parts.next()? == "v1").then_some(())?;
    Uuid::parse_str(parts.next()?).ok()
}

/// The keys of one case's subjects: Some(key), or None once erased.
#[derive(Debug, Default, Clone)]
pub struct Keyring {
    keys: HashMap<Uuid, (String, Option<SubjectKey>)>,
}

impl Keyring {
    pub fn insert(&mut self, subject: Uuid, name: &str, key: Option<SubjectKey>) {
        self.keys.insert(subject, (name.to_owned(), key));
    }

    pub fn is_erased(&self, subject: Uuid) -> bool {
        matches!(self.keys.get(&subject), Some((_, None)))
    }
}

/// What a sealed value reads as.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    Plain(Value),
    /// The subject's key was destroyed.
    Erased,
    /// The value could not be opened (no key here, or damaged).
    Unreadable,
}

/// Opens a sealed value of `field` in `stream`. A value that is not sealed is
/// returned as it is (data written before sealing, or not personal).
pub fn open(keyring: &Keyring, stream: &str, field: &str, value: &Value) -> Opened {
    let Some(text) = sealed_text(value) else {
        return Opened::Plain(value.clone());
    };
    let Some(subject) = sealed_subject(value) else {
        return Opened::Unreadable;
    };
    match keyring.keys.get(&subject) {
        Some((_, None)) => Opened::Erased,
        None => Opened::Unreadable,
        Some((_, Some(key))) => {
            let Some(blob) = text.rsplit('.').next().and_then(|b| B64.decode(b).ok()) else {
                return Opened::Unreadable;
            };
            open_bytes(&key.cipher(), &blob, &value_aad(stream, field))
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .map_or(Opened::Unreadable, Opened::Plain)
        }
    }
}

/// The field name a note is sealed as (its place in the associated data).
pub const NOTE: &str = "note";

/// The subjects whose personal fields appear in these events (by name); a
/// note concerns every subject of the case.
pub fn subjects_in(def: &ProcessDefinition, events: &[CaseEvent]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for event in events {
        if let CaseEvent::NoteAdded { .. } = event {
            for subject in &def.subjects {
                if !names.contains(&subject.name) {
                    names.push(subject.name.clone());
                }
            }
        }
        for (name, value) in data_of(event).into_iter().flatten() {
            let Some(field) = def.field(name) else {
                continue;
            };
            let people = if let FieldType::People { .. } = field.ty {
                people::ids(value)
            } else {
                Vec::new()
            };
            for subject in field.personal.iter().cloned().chain(people) {
                if !names.contains(&subject) {
                    names.push(subject);
                }
            }
        }
    }
    names
}

fn data_of(event: &CaseEvent) -> Option<&BTreeMap<String, Value>> {
    match event {
        CaseEvent::CaseOpened { data, .. }
        | CaseEvent::TransitionTaken { data, .. }
        | CaseEvent::CaseDataCorrected { data, .. } => Some(data),
        _ => None,
    }
}

fn data_of_mut(event: &mut CaseEvent) -> Option<&mut BTreeMap<String, Value>> {
    match event {
        CaseEvent::CaseOpened { data, .. }
        | CaseEvent::TransitionTaken { data, .. }
        | CaseEvent::CaseDataCorrected { data, .. } => Some(data),
        _ => None,
    }
}

/// Seals every personal field in `events` (decided for case `case_id`) under
/// its subject's key from `keyring`. Refuses data of an erased subject.
pub fn seal_events(
    def: &ProcessDefinition,
    case_id: Uuid,
    keyring: &Keyring,
    events: &mut [CaseEvent],
) -> Result<(), Error> {
    let stream = kroonika_engine::case::stream(case_id).to_string();
    for event in events.iter_mut() {
        if let CaseEvent::NoteAdded { note } = event {
            *note = seal_note(def, case_id, keyring, &stream, note)?;
            continue;
        }
        let Some(data) = data_of_mut(event) else {
            continue;
        };
        for (name, value) in data.iter_mut() {
            if let Some(FieldType::People { .. }) = def.field(name).map(|f| &f.ty) {
                seal_people(case_id, keyring, &stream, name, value)?;
                continue;
            }
            let Some(subject_name) = def.field(name).and_then(|f| f.personal.as_deref()) else {
                continue;
            };
            if value.is_null() {
                continue;
            }
            let subject = subject_id(case_id, subject_name);
            match keyring.keys.get(&subject) {
                Some((_, Some(key))) => *value = seal(key, subject, &stream, name, value),
                Some((_, None)) => {
                    return Err(Error::Erased {
                        subject,
                        name: subject_name.to_owned(),
                    });
                }
                None => {
                    return Err(Error::Damaged(format!(
                        "no key was prepared for subject '{subject_name}'"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The key of the subject `name` of case `case_id`, for sealing.
fn key_for<'a>(
    keyring: &'a Keyring,
    case_id: Uuid,
    name: &str,
) -> Result<(Uuid, &'a SubjectKey), Error> {
    let subject = subject_id(case_id, name);
    match keyring.keys.get(&subject) {
        Some((_, Some(key))) => Ok((subject, key)),
        Some((_, None)) => Err(Error::Erased {
            subject,
            name: name.to_owned(),
        }),
        None => Err(Error::Damaged(format!(
            "no key was prepared for subject '{name}'"
        ))),
    }
}

/// Where a person's name or contact is sealed: `parties.name`.
fn person_field(field: &str, key: &str) -> String {
    format!("{field}.{key}")
}

/// Seals the names and contacts of a list of people, each under the key of
/// the person (`parties-2`); those sealed already are left as they are.
fn seal_people(
    case_id: Uuid,
    keyring: &Keyring,
    stream: &str,
    field: &str,
    value: &mut Value,
) -> Result<(), Error> {
    people::try_each_personal(value, |id, key, plain| {
        if is_sealed(plain) || id.is_empty() {
            return Ok(());
        }
        let (subject, secret) = key_for(keyring, case_id, id)?;
        *plain = seal(secret, subject, stream, &person_field(field, key), plain);
        Ok(())
    })
}

/// A list of people with their names and contacts opened where the keyring
/// can (an erased person's read `[erased]`), and the people read in the clear.
pub fn open_people(
    keyring: &Keyring,
    stream: &str,
    field: &str,
    value: &Value,
) -> (Value, Vec<String>) {
    let mut read: Vec<String> = Vec::new();
    let mut opened = value.clone();
    people::each_personal(&mut opened, |id, key, sealed| {
        *sealed = match open(keyring, stream, &person_field(field, key), sealed) {
            Opened::Plain(plain) => {
                if !read.iter().any(|r| r == id) {
                    read.push(id.to_owned());
                }
                plain
            }
            Opened::Erased => Value::from(ERASED),
            Opened::Unreadable => Value::from("[unreadable]"),
        };
    });
    (opened, read)
}

/// A note sealed under each subject of the case in turn (the innermost under
/// the first), so that erasing any one of them makes it unreadable. Subjects
/// erased already are left out; with all of them erased, the note is refused.
fn seal_note(
    def: &ProcessDefinition,
    case_id: Uuid,
    keyring: &Keyring,
    stream: &str,
    note: &Value,
) -> Result<Value, Error> {
    if kroonika_engine::sealed::is_sealed(note) {
        return Ok(note.clone());
    }
    let mut sealed = note.clone();
    let mut any = None;
    // The subjects the definition names, then the people listed in the case
    // (whose keys the keyring holds), by name.
    let mut listed: Vec<&String> = keyring
        .keys
        .values()
        .map(|(name, _)| name)
        .filter(|name| !def.subjects.iter().any(|s| &s.name == *name))
        .collect();
    listed.sort();
    let names = def.subjects.iter().map(|s| &s.name).chain(listed);
    for name in names {
        let id = subject_id(case_id, name);
        match keyring.keys.get(&id) {
            Some((_, Some(key))) => {
                sealed = seal(key, id, stream, NOTE, &sealed);
                any = Some(());
            }
            Some((_, None)) => {}
            None => {
                return Err(Error::Damaged(format!(
                    "no key was prepared for subject '{name}'"
                )));
            }
        }
    }
    match (any, def.subjects.first()) {
        (Some(()), _) => Ok(sealed),
        (None, Some(first)) => Err(Error::Erased {
            subject: subject_id(case_id, &first.name),
            name: first.name.clone(),
        }),
        (None, None) => Err(Error::Damaged("a note needs a data subject".to_owned())),
    }
}

/// Opens a note: each layer in turn; erased when any subject it was sealed
/// for is.
pub fn open_note(keyring: &Keyring, stream: &str, note: &Value) -> Opened {
    let mut value = note.clone();
    // One layer per subject; a bound keeps a hostile value from looping.
    for _ in 0..64 {
        if !kroonika_engine::sealed::is_sealed(&value) {
            return Opened::Plain(value);
        }
        match open(keyring, stream, NOTE, &value) {
            Opened::Plain(inner) => value = inner,
            other => return other,
        }
    }
    Opened::Unreadable
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_in_its_place_with_its_key() {
        let key = SubjectKey::generate();
        let case = Uuid::now_v7();
        let subject = subject_id(case, "victim");
        let mut ring = Keyring::default();
        ring.insert(subject, "victim", Some(key.clone()));
        let sealed = seal(
            &key,
            subject,
            "case-1",
            "victim_name",
            &json!("Mari Maasikas"),
        );
        assert!(!sealed.to_string().contains("Mari"));
        assert_eq!(sealed_subject(&sealed), Some(subject));
        assert_eq!(
            open(&ring, "case-1", "victim_name", &sealed),
            Opened::Plain(json!("Mari Maasikas"))
        );
        assert_eq!(
            open(&ring, "case-2", "victim_name", &sealed),
            Opened::Unreadable
        );
        assert_eq!(
            open(&ring, "case-1", "offender_name", &sealed),
            Opened::Unreadable
        );
        ring.insert(subject, "victim", None);
        assert_eq!(
            open(&ring, "case-1", "victim_name", &sealed),
            Opened::Erased
        );
    }

    #[test]
    fn keys_wrap_under_the_master_key_only() {
        let master = MasterKey::generate();
        let other = MasterKey::generate();
        let subject = Uuid::now_v7();
        let key = SubjectKey::generate();
        let wrapped = master.wrap(subject, &key);
        assert!(master.unwrap(subject, &wrapped).is_ok());
        assert!(matches!(
            other.unwrap(subject, &wrapped),
            Err(Error::WrongMasterKey)
        ));
        assert!(master.unwrap(Uuid::now_v7(), &wrapped).is_err());
        let check = master.check_value();
        assert!(master.verify(&check).is_ok());
        assert!(other.verify(&check).is_err());
        assert_eq!(
            MasterKey::from_hex(&master.to_hex()).unwrap().to_hex(),
            master.to_hex()
        );
        assert!(MasterKey::from_hex("abc").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
        assert_eq!(format!("{master:?}"), "MasterKey(..)");
    }
}
