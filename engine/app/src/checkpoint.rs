//! Signed checkpoints: an auditor's signed statement that, at a time, the log
//! of one store held `position` events ending in a given hash.
//!
//! The hash chain proves that nothing in the log changed *relative to its
//! head*; someone with full access to the database can still rewrite the log
//! and recompute every hash after the change, or cut the log back. A
//! checkpoint signed with a key the store never sees (the auditor's, kept
//! apart) pins the head: `audit verify --checkpoint` and `import --checkpoint`
//! prove that today's log still extends it, which no one without that key
//! can fake.
//!
//! The format is a C2SP signed note (<https://c2sp.org/signed-note>), shaped
//! like a transparency-log checkpoint: an origin line, the position, the head
//! hash in base64, and a `time` extension line; then the Ed25519 signature
//! line. Keys are the note formats too (`PRIVATE+KEY+name+id+…` to sign,
//! `name+id+…` to verify), so the standard tools read them. The hash is the
//! chain's head, not a Merkle root: a checkpoint proves a prefix by replaying
//! the chain, not by an inclusion proof.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use kroonika_store::chain::Hash;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};

use crate::App;
use crate::audit::Expected;
use crate::command::Request;
use crate::error::{Context as _, Error, Result};

/// The origin line's prefix; the store's id follows.
const ORIGIN: &str = "kroonika/";

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub store_id: String,
    /// How many events the log held (the head's position).
    pub position: u64,
    /// The hash of the event at `position`.
    pub hash: Hash,
    /// When it was signed.
    pub time: DateTime<Utc>,
    /// The name of the key that signed it (known once opened).
    pub signer: String,
}

/// How messages name a checkpoint: "the checkpoint NAME signed at TIME".
impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the checkpoint {} signed at {}",
            self.signer,
            self.time.format("%Y-%m-%d %H:%M UTC")
        )
    }
}

impl Checkpoint {
    /// The note's text, the part the signature covers.
    fn text(&self) -> String {
        format!(
            "{ORIGIN}{}\n{}\n{}\ntime {}\n",
            self.store_id,
            self.position,
            BASE64.encode(self.hash),
            self.time.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }

    /// The signed note, signed with `signer_key` (`PRIVATE+KEY+…`).
    pub fn sign(&self, signer_key: &str) -> Result<String> {
        let signer = StandardSigner::new(signer_key.trim()).map_err(|_| bad_signer())?;
        let mut note = Note::new(self.text().as_bytes(), &[])
            .map_err(|err| Error::Invalid(format!("the checkpoint cannot be a note: {err}")))?;
        note.add_sigs(&[&signer])
            .map_err(|err| Error::Invalid(format!("the checkpoint cannot be signed: {err}")))?;
        Ok(String::from_utf8_lossy(&note.to_bytes()).into_owned())
    }

    /// Opens a signed checkpoint: its signature must verify under
    /// `verifier_key` (`name+id+…`), or it is an integrity failure; a note
    /// that is not a Kroonika checkpoint at all is invalid input. `place`
    /// names the file in messages.
    pub fn open(note: &str, verifier_key: &str, place: &str) -> Result<Checkpoint> {
        let verifier = verifier(verifier_key)?;
        let name = signed_note::Verifier::name(&verifier).to_owned();
        let parsed = Note::from_bytes(note.as_bytes()).map_err(|_| {
            Error::Invalid(format!(
                "{place} is not a signed checkpoint (a note, a blank line, a signature line)"
            ))
        })?;
        parsed
            .verify(&VerifierList::new(vec![Box::new(verifier)]))
            .map_err(|err| match err {
                signed_note::NoteError::UnverifiedNote => Error::Integrity(format!(
                    "{place} is not signed by the key {name}: it cannot vouch for anything"
                )),
                _ => Error::Integrity(format!(
                    "{place}: the signature of {name} does not verify: the checkpoint was changed after it was signed, or forged"
                )),
            })?;
        let text = String::from_utf8_lossy(parsed.text()).into_owned();
        Checkpoint::read(&text, place).map(|checkpoint| Checkpoint {
            signer: name,
            ..checkpoint
        })
    }

    /// The statement in a note's (verified) text.
    fn read(text: &str, place: &str) -> Result<Checkpoint> {
        let bad = |what: &str| Error::Invalid(format!("{place}: {what}"));
        let mut lines = text.lines();
        let store_id = lines
            .next()
            .and_then(|line| line.strip_prefix(ORIGIN))
            .filter(|id| !id.is_empty())
            .ok_or_else(|| bad("the first line is not kroonika/<store id>"))?;
        let position = lines
            .next()
            .and_then(|line| line.parse::<u64>().ok())
            .ok_or_else(|| bad("the second line is not a position"))?;
        let hash = lines
            .next()
            .and_then(|line| BASE64.decode(line).ok())
            .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok())
            .ok_or_else(|| bad("the third line is not a base64 SHA-256 hash"))?;
        let time = lines
            .next()
            .and_then(|line| line.strip_prefix("time "))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .ok_or_else(|| bad("the fourth line is not 'time <RFC 3339>'"))?
            .with_timezone(&Utc);
        Ok(Checkpoint {
            store_id: store_id.to_owned(),
            position,
            hash,
            time,
            signer: String::new(),
        })
    }
}

impl App {
    /// Verifies the whole log and, if it holds, signs a checkpoint of its head
    /// with `signer_key`: (the checkpoint, the signed note). A log that does
    /// not verify is not vouched for: its failure is returned instead.
    pub async fn checkpoint(
        &self,
        request: &Request,
        signer_key: &str,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<(Checkpoint, String)> {
        // The key first: a wrong one is found before the log is read.
        StandardSigner::new(signer_key.trim()).map_err(|_| bad_signer())?;
        let verified = self.verify(request, &Expected::default(), progress).await?;
        if let Some(failure) = verified.failure() {
            return Err(failure);
        }
        let (position, hash) = verified.head.unwrap_or((0, [0; 32]));
        let checkpoint = Checkpoint {
            store_id: self.store_id().await?,
            position,
            hash,
            time: self.inner.clock.now(),
            signer: String::new(),
        };
        let note = checkpoint.sign(signer_key)?;
        Ok((checkpoint, note))
    }
}

/// Where and how often a long-running process signs checkpoints.
#[derive(Debug, Clone)]
pub struct Publishing {
    /// The signing key's text (`audit keygen`).
    pub key: String,
    /// Each checkpoint is written here as `checkpoint-<position>.note`.
    pub dir: std::path::PathBuf,
    pub every: std::time::Duration,
}

/// What one round of publishing came to.
#[derive(Debug)]
pub enum Published {
    /// Signed and written.
    Signed(Checkpoint, std::path::PathBuf),
    /// The log did not verify: nothing was signed (the reason).
    Refused(Error),
}

impl App {
    /// Signs a checkpoint every `publishing.every` while the log has moved
    /// since the last one, until `shutdown`; `each` hears every round that
    /// did something. A log that does not verify is reported, not signed,
    /// and tried again a round later.
    pub async fn run_checkpoints(
        &self,
        shutdown: &crate::services::Shutdown,
        publishing: &Publishing,
        each: &mut (dyn FnMut(Published) + Send),
    ) -> Result<()> {
        StandardSigner::new(publishing.key.trim()).map_err(|_| bad_signer())?;
        std::fs::create_dir_all(&publishing.dir).context(|| {
            format!(
                "creating the checkpoint folder {}",
                publishing.dir.display()
            )
        })?;
        let mut signed_at: Option<u64> = None;
        while !shutdown.is_stopped() {
            let head = self.inner.store.head_position().await?;
            if signed_at != Some(head) {
                let request = Request::operator("checkpoint");
                match self
                    .checkpoint(&request, &publishing.key, &mut |_| {})
                    .await
                {
                    Ok((checkpoint, note)) => {
                        let file = publishing
                            .dir
                            .join(format!("checkpoint-{:012}.note", checkpoint.position));
                        write_whole(&file, &note)?;
                        signed_at = Some(checkpoint.position);
                        each(Published::Signed(checkpoint, file));
                    }
                    Err(err) if err.kind() == crate::ErrorKind::Integrity => {
                        each(Published::Refused(err));
                    }
                    Err(err) => return Err(err),
                }
            }
            if shutdown.sleep_or_stop(publishing.every).await {
                break;
            }
        }
        Ok(())
    }
}

/// Writes `text` to `file` whole or not at all (a temporary file renamed).
fn write_whole(file: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let partial = file.with_extension("partial");
    let written = (|| -> std::io::Result<()> {
        let mut out = std::fs::File::create(&partial)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
        std::fs::rename(&partial, file)
    })();
    written.context(|| format!("writing {}", file.display()))
}

fn bad_signer() -> Error {
    Error::Invalid(
        "the signing key is not a key `kroonika audit keygen` wrote (PRIVATE+KEY+name+id+key)"
            .to_owned(),
    )
}

/// A new auditor's key pair named `name`: (signing key, verifier key). The
/// signing key is secret and belongs away from the store.
pub fn generate_key(name: &str) -> Result<(String, String)> {
    if !signed_note::is_key_name_valid(name) {
        return Err(Error::Invalid(format!(
            "'{name}' cannot name a key: use letters, digits, '.', '-' or '/', with no spaces or '+'"
        )));
    }
    Ok(signed_note::generate_key(&mut rand_core_06::OsRng, name))
}

fn verifier(key: &str) -> Result<StandardVerifier> {
    let key = key.trim();
    if key.starts_with("PRIVATE+KEY+") {
        return Err(Error::Invalid(
            "that is a signing key; checking takes its public half (the .pub file `audit keygen` wrote), and the signing key stays with the auditor"
                .to_owned(),
        ));
    }
    StandardVerifier::new(key).map_err(|_| {
        Error::Invalid(
            "the verifier key is not one `kroonika audit keygen` wrote (name+id+key)".to_owned(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            store_id: "0193a1b2-0000-7000-8000-000000000001".into(),
            position: 1456,
            hash: [7; 32],
            time: DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            signer: String::new(),
        }
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_no_other() {
        let (skey, vkey) = generate_key("auditor.example/anu").unwrap();
        let note = checkpoint().sign(&skey).unwrap();
        assert!(
            note.starts_with("kroonika/0193a1b2-0000-7000-8000-000000000001\n1456\n"),
            "{note}"
        );
        assert!(note.contains("\n\n— auditor.example/anu "), "{note}");
        let opened = Checkpoint::open(&note, &vkey, "cp").unwrap();
        assert_eq!(
            opened,
            Checkpoint {
                signer: "auditor.example/anu".into(),
                ..checkpoint()
            }
        );
        // Another key (even of the same name) does not vouch for it.
        let (_, other) = generate_key("auditor.example/anu").unwrap();
        let err = Checkpoint::open(&note, &other, "cp").unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        // A changed position fails the signature.
        let changed = note.replacen("\n1456\n", "\n1455\n", 1);
        let err = Checkpoint::open(&changed, &vkey, "cp").unwrap_err();
        assert!(
            matches!(&err, Error::Integrity(m) if m.contains("does not verify")),
            "{err}"
        );
        // The signing key is refused where the public one belongs.
        assert!(matches!(
            Checkpoint::open(&note, &skey, "cp"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            Checkpoint::open("not a note", &vkey, "cp"),
            Err(Error::Invalid(_))
        ));
        assert!(generate_key("two words").is_err());
    }
}
