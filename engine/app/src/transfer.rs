//! Export and import: the log as JSON Lines, verifiable on the way in.
//!
//! The file is a header line, then one line per event in global order
//! (position, stream, revision, id, type, recorded-at, data, metadata, hash;
//! data and metadata embedded byte for byte as stored, so every hash can be
//! recomputed from the file alone), then one line per subject key, still
//! wrapped by the master key (or erased), then a trailer (the event count,
//! the last event's position and hash, the number of key lines and a SHA-256
//! over them), so a file cut short at a line boundary, added to, or with key
//! lines removed, changed or reordered is refused. Personal data is ciphertext
//! throughout: the file is as confidential as the database, no more.
//!
//! An import loads into an empty store in one transaction, recomputing the
//! chain as it reads; the first broken or out-of-order line is named and
//! nothing is kept. Wake-ups are not exported: they are derived from the
//! cases, folded as the lines are read and written in the same transaction as
//! the events, so an import killed at any point leaves nothing, and one that
//! commits has every wake-up.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use kroonika_engine::case::{self, Case};
use kroonika_engine::{ContentType, EventData, Foreign, Metadata, RecordedEvent, StreamName};
use kroonika_store::chain::{self, ChainRow, Verifier};
use kroonika_store::{Store, SubjectKeyRow};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::checkpoint::Checkpoint;
use crate::command::Request;
use crate::error::{Context, Error, Result};
use crate::permissions::Reading;
use crate::{App, keys};

const FORMAT: &str = "kroonika-export";
/// 2: a trailer ends the file (version 1 had none, so a file cut short at a
/// line boundary could not be told from a whole one).
const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    store_id: String,
    /// Events before this position predate the hash chain.
    chain_from: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    master_key_check: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EventLine<'a> {
    position: u64,
    stream: String,
    revision: u64,
    id: Uuid,
    #[serde(rename = "type")]
    event_type: String,
    recorded_at: DateTime<Utc>,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(borrow)]
    metadata: &'a RawValue,
    hash: Option<String>,
    /// A foreign event's parts (see `kroonika_engine::Foreign`); absent for
    /// Kroonika's own events, so older exports read as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    foreign: Option<ForeignLine>,
}

/// A foreign event's parts in an export: bytes as base64.
#[derive(Debug, Serialize, Deserialize)]
struct ForeignLine {
    content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binary: Option<String>,
    custom_metadata: String,
}

impl ForeignLine {
    fn of(foreign: &Foreign) -> ForeignLine {
        ForeignLine {
            content_type: foreign.content_type.as_str().to_owned(),
            binary: foreign.binary.as_ref().map(|b| BASE64.encode(b)),
            custom_metadata: BASE64.encode(&foreign.custom_metadata),
        }
    }

    fn read(self, place: &str) -> Result<Foreign> {
        let bad = |what: &str| Error::Invalid(format!("{place}: the foreign event's {what}"));
        Ok(Foreign {
            content_type: ContentType::parse(&self.content_type)
                .ok_or_else(|| bad("content type is not one Kroonika keeps"))?,
            binary: self
                .binary
                .map(|b| BASE64.decode(b))
                .transpose()
                .map_err(|_| bad("binary data is not base64"))?,
            custom_metadata: BASE64
                .decode(self.custom_metadata)
                .map_err(|_| bad("custom metadata is not base64"))?,
        })
    }
}

/// The last line: what the file holds, so that a file cut short, added to or
/// with its key lines changed is refused. Not a signature: someone who
/// rewrites the file can rewrite this line too (a signed checkpoint is what
/// proves a log against such a person).
#[derive(Debug, Serialize, Deserialize)]
struct TrailerLine {
    trailer: Trailer,
}

#[derive(Debug, Serialize, Deserialize)]
struct Trailer {
    events: u64,
    /// The last event's position and hash (None: no events).
    head: Option<TrailerHead>,
    keys: usize,
    /// SHA-256 over the key lines as written, each with its line feed.
    keys_sha256: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct TrailerHead {
    position: u64,
    hash: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyLine {
    subject_key: KeyRecord,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyRecord {
    subject: Uuid,
    stream: String,
    name: String,
    wrapped: Option<String>,
    created_at: DateTime<Utc>,
    erased_at: Option<DateTime<Utc>>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub events: u64,
    pub keys: usize,
}

/// What an import loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub events: u64,
    pub keys: usize,
    pub location: String,
    /// The chain's head, `position N, hash H`, or `empty`.
    pub head: String,
    /// Open cases whose wake-ups were set.
    pub woken: usize,
}

impl App {
    /// Writes the whole log and the wrapped subject keys to `sink`.
    /// `progress` is told the total, then positions as it goes.
    pub async fn export(
        &self,
        request: &Request,
        sink: &mut (dyn Write + Send),
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<Exported> {
        self.reader(request, Reading::Log).await?;
        let store = &self.inner.store;
        let header = Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            store_id: store.info().await?.store_id,
            chain_from: store.chain_from().await?,
            master_key_check: store.info_value(keys::CHECK).await?,
        };
        writeln!(sink, "{}", serde_json::to_string(&header)?)?;
        let total = store.head_position().await?;
        let mut from = 1;
        let mut events = 0u64;
        let mut last_row: Option<(u64, Option<String>)> = None;
        loop {
            const PAGE: usize = 2_000;
            let page = store.read_chain(from, PAGE).await?;
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            for row in &page {
                let line = EventLine {
                    position: row.position,
                    stream: row.stream.clone(),
                    revision: row.revision,
                    id: row.id,
                    event_type: row.event_type.clone(),
                    recorded_at: row.recorded_at,
                    data: raw(&row.data, row.position)?,
                    metadata: raw(&row.metadata, row.position)?,
                    hash: row.hash.as_ref().map(chain::to_hex),
                    foreign: row.foreign.as_ref().map(ForeignLine::of),
                };
                writeln!(sink, "{}", serde_json::to_string(&line)?)?;
                events += 1;
                last_row = Some((row.position, row.hash.as_ref().map(chain::to_hex)));
            }
            progress(total, from - 1);
            if page.len() < PAGE {
                break;
            }
        }
        let keys = store.subject_keys(None).await?;
        let mut digest = Sha256::new();
        for key in &keys {
            let line = KeyLine {
                subject_key: KeyRecord {
                    subject: key.subject,
                    stream: key.stream.clone(),
                    name: key.name.clone(),
                    wrapped: key.wrapped.as_deref().map(hex::encode),
                    created_at: key.created_at,
                    erased_at: key.erased_at,
                },
            };
            let text = serde_json::to_string(&line)?;
            digest.update(text.as_bytes());
            digest.update(b"\n");
            writeln!(sink, "{text}")?;
        }
        let trailer = TrailerLine {
            trailer: Trailer {
                events,
                head: last_row.map(|(position, hash)| TrailerHead { position, hash }),
                keys: keys.len(),
                keys_sha256: hex::encode(digest.finalize()),
            },
        };
        writeln!(sink, "{}", serde_json::to_string(&trailer)?)?;
        sink.flush()?;
        Ok(Exported {
            events,
            keys: keys.len(),
        })
    }
}

/// The longest line an export may hold: an event at the append limit,
/// escaped, with room to spare. A longer one is refused before it is read
/// whole, so a runaway file cannot take the memory.
const MAX_LINE: u64 = 8 * 1024 * 1024;

/// An export's lines, each at most [`MAX_LINE`] bytes and UTF-8.
struct Lines<R> {
    reader: R,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        use std::io::{ErrorKind, Read};
        let mut bytes = Vec::new();
        match (&mut self.reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut bytes)
        {
            Ok(0) => return None,
            Ok(_) => {}
            Err(err) => return Some(Err(err)),
        }
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        } else if bytes.len() as u64 > MAX_LINE {
            return Some(Err(std::io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "the line is longer than {} MiB, more than any exported event",
                    MAX_LINE >> 20
                ),
            )));
        }
        Some(String::from_utf8(bytes).map_err(|err| {
            std::io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "byte {} of the line is not UTF-8",
                    err.utf8_error().valid_up_to() + 1
                ),
            )
        }))
    }
}

/// Loads an export into the store at `url` (created if missing; it must hold
/// no events), verifying the chain line by line. `progress` is told how many
/// events were read. All or nothing.
pub async fn import(
    url: &str,
    path: &Path,
    checkpoints: &[Checkpoint],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Imported> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(path).context(|| format!("opening {}", path.display()))?,
    );
    let mut lines = Lines { reader };
    let place = |n: usize| format!("{} line {n}", path.display());
    let first = lines.next().transpose()?.ok_or_else(|| {
        Error::Invalid(format!(
            "{} is empty, not a Kroonika export",
            path.display()
        ))
    })?;
    let header: Header = serde_json::from_str(&first)
        .ok()
        .filter(|h: &Header| h.format == FORMAT)
        .ok_or_else(|| Error::Invalid(format!("{}: not a Kroonika export header", place(1))))?;
    if header.version == 1 {
        return Err(Error::Invalid(format!(
            "{}: export format version 1 has no trailer, so a file cut short cannot be told from a whole one; export the store again with this build",
            place(1)
        )));
    }
    if header.version != VERSION {
        return Err(Error::Invalid(format!(
            "{}: export format version {} is not known to this build (it reads {VERSION})",
            place(1),
            header.version
        )));
    }
    let (store, _) = Store::init(url)
        .await
        .map_err(|err| Error::from(err).context("opening the store to import into"))?;
    let result = load(&store, &header, lines, &place, checkpoints, progress).await;
    store.close().await;
    result
}

async fn load(
    store: &Store,
    header: &Header,
    lines: Lines<std::io::BufReader<std::fs::File>>,
    place: &(dyn Fn(usize) -> String + Sync),
    checkpoints: &[Checkpoint],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Imported> {
    // The hash read at each checkpoint's position.
    let mut at_checkpoints: HashMap<u64, Option<chain::Hash>> =
        checkpoints.iter().map(|c| (c.position, None)).collect();
    let mut import = store.begin_import().await?;
    let mut verifier = Verifier::new(header.chain_from);
    let mut batch: Vec<ChainRow> = Vec::with_capacity(1_000);
    let mut keys: Vec<SubjectKeyRow> = Vec::new();
    let mut cases: BTreeMap<Uuid, Case> = BTreeMap::new();
    let mut events = 0u64;
    // The lines the last two events came from: a break is found at the event
    // just read, or (a changed event) at the one before it.
    let mut recent: [(u64, usize); 2] = [(0, 0); 2];
    let mut digest = Sha256::new();
    let mut subjects: HashMap<Uuid, usize> = HashMap::new();
    let mut trailer: Option<(Trailer, usize)> = None;
    let mut last_line = 1;
    let mut broke = false;
    for (index, line) in lines.enumerate() {
        let n = index + 2;
        last_line = n;
        let line = line.map_err(|err| Error::Invalid(format!("{}: {err}", place(n))))?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some((_, at)) = &trailer {
            return Err(Error::Integrity(format!(
                "{}: a line after the trailer (line {at}): something was added to the export; nothing was imported",
                place(n)
            )));
        }
        if let Ok(found) = serde_json::from_str::<TrailerLine>(&line) {
            trailer = Some((found.trailer, n));
            continue;
        }
        if let Ok(key) = serde_json::from_str::<KeyLine>(&line) {
            if let Some(first) = subjects.insert(key.subject_key.subject, n) {
                return Err(Error::Invalid(format!(
                    "{}: subject {} has a key line already (line {first})",
                    place(n),
                    key.subject_key.subject
                )));
            }
            digest.update(line.as_bytes());
            digest.update(b"\n");
            keys.push(key_row(key.subject_key, &place(n))?);
            continue;
        }
        if !keys.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: an event after the subject keys",
                place(n)
            )));
        }
        let event: EventLine<'_> = serde_json::from_str(&line)
            .map_err(|err| Error::Invalid(format!("{}: not an exported event: {err}", place(n))))?;
        let hash = match &event.hash {
            None => None,
            Some(text) => Some(chain::from_hex(text).ok_or_else(|| {
                Error::Invalid(format!("{}: the hash is not 64 hex digits", place(n)))
            })?),
        };
        let row = ChainRow {
            position: event.position,
            stream: event.stream,
            revision: event.revision,
            id: event.id,
            event_type: event.event_type,
            data: event.data.get().to_owned(),
            metadata: event.metadata.get().to_owned(),
            recorded_at: event.recorded_at,
            hash,
            foreign: event.foreign.map(|f| f.read(&place(n))).transpose()?,
        };
        recent = [recent[1], (row.position, n)];
        if let Some(slot) = at_checkpoints.get_mut(&row.position) {
            *slot = row.hash;
        }
        if !verifier.feed(&row) {
            broke = true;
            break;
        }
        fold_case(&mut cases, &row, &place(n))?;
        batch.push(row);
        events += 1;
        if batch.len() == 1_000 {
            import.insert(&batch).await?;
            batch.clear();
            progress(events);
        }
    }
    let report = verifier.finish();
    if report.broken.is_none() && report.unchained > 0 {
        drop(import);
        return Err(Error::Integrity(format!(
            "{}: {}; nothing was imported",
            place(2),
            crate::audit::unchained(report.unchained)
        )));
    }
    if let Some(broken) = &report.broken {
        let line = recent
            .iter()
            .find(|(position, _)| *position == broken.position)
            .map_or(0, |(_, line)| *line);
        // Dropping the import rolls back everything inserted so far.
        drop(import);
        return Err(Error::Integrity(format!(
            "{}: {broken}; nothing was imported",
            place(line)
        )));
    }
    if !broke {
        let refused = |why: String| Error::Integrity(format!("{why}; nothing was imported"));
        let Some((trailer, at)) = trailer else {
            return Err(refused(format!(
                "{}: the export ends here without its trailer: it was cut short",
                place(last_line)
            )));
        };
        if trailer.events != events {
            return Err(refused(format!(
                "{}: the trailer says the export holds {} events, but {events} were read: events were removed or added",
                place(at),
                trailer.events
            )));
        }
        let head = report.head.map(|(position, hash)| TrailerHead {
            position,
            hash: Some(chain::to_hex(&hash)),
        });
        let unchained_head = (report.head.is_none() && events > 0).then_some(TrailerHead {
            position: events,
            hash: None,
        });
        if trailer.head != head.or(unchained_head) {
            return Err(refused(format!(
                "{}: the trailer's head is not the last event read: the file was cut short or rewritten",
                place(at)
            )));
        }
        if trailer.keys != keys.len() || trailer.keys_sha256 != hex::encode(digest.finalize()) {
            return Err(refused(format!(
                "{}: the subject key lines are not the ones exported ({} listed, {} read): removed, changed or reordered",
                place(at),
                trailer.keys,
                keys.len()
            )));
        }
        let verified_to = report.head.map_or(0, |(p, _)| p);
        for checkpoint in checkpoints {
            let stored = at_checkpoints.get(&checkpoint.position).copied().flatten();
            if let Some(wrong) = crate::audit::against_checkpoint(
                checkpoint,
                &header.store_id,
                stored,
                events,
                verified_to,
            ) {
                return Err(refused(format!(
                    "{checkpoint} (position {}): {wrong}",
                    checkpoint.position
                )));
            }
        }
    }
    import.insert(&batch).await?;
    import.insert_keys(&keys).await?;
    // Each open case's wake-up, as its events leave it: in this transaction.
    let timers: Vec<(StreamName, DateTime<Utc>)> = cases
        .iter()
        .filter_map(|(id, case)| Some((case::stream(*id), case.next_wake()?)))
        .collect();
    import.set_timers(&timers).await?;
    import
        .commit(header.chain_from, header.master_key_check.as_deref())
        .await?;
    let head = report.head.map_or_else(
        || "empty".to_owned(),
        |(p, h)| format!("position {p}, hash {}", chain::to_hex(&h)),
    );
    Ok(Imported {
        events,
        keys: keys.len(),
        location: store.location().to_owned(),
        head,
        woken: timers.len(),
    })
}

/// Folds an imported row into its case, if it is a case event.
fn fold_case(cases: &mut BTreeMap<Uuid, Case>, row: &ChainRow, place: &str) -> Result<()> {
    let Ok(stream) = StreamName::new(row.stream.clone()) else {
        return Ok(());
    };
    let Some(id) = case::id_of(&stream) else {
        return Ok(());
    };
    let metadata: Metadata = serde_json::from_str(&row.metadata)
        .map_err(|err| Error::Invalid(format!("{place}: the metadata is not Kroonika's: {err}")))?;
    let event = RecordedEvent {
        position: row.position,
        stream,
        revision: row.revision,
        id: row.id,
        event_type: row.event_type.clone(),
        data: EventData::from_stored(row.data.clone()),
        metadata,
        recorded_at: row.recorded_at,
        foreign: row.foreign.clone(),
    };
    cases
        .entry(id)
        .or_default()
        .apply(&event)
        .map_err(|err| Error::Invalid(format!("{place}: {err}")))
}

/// Stored JSON text as a raw value; refuses text that would break the line.
fn raw(text: &str, position: u64) -> Result<&RawValue> {
    if text.contains(['\n', '\r']) {
        return Err(Error::Integrity(format!(
            "the event at position {position} holds a line break outside a string; it was not written by Kroonika"
        )));
    }
    serde_json::from_str(text).map_err(|err| {
        Error::Integrity(format!(
            "the event at position {position} is not valid JSON: {err}"
        ))
    })
}

fn key_row(key: KeyRecord, place: &str) -> Result<SubjectKeyRow> {
    let wrapped = match key.wrapped {
        None => None,
        Some(text) => Some(
            hex::decode(&text)
                .ok()
                .ok_or_else(|| Error::Invalid(format!("{place}: a wrapped key is not hex")))?,
        ),
    };
    Ok(SubjectKeyRow {
        subject: key.subject,
        stream: key.stream,
        name: key.name,
        wrapped,
        created_at: key.created_at,
        erased_at: key.erased_at,
    })
}
