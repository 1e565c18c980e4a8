//! The hash chain: what makes rewriting history evident.
//!
//! Every event stores `hash = SHA-256(previous event's hash ‖ the event's
//! immutable content)`, so changing, removing, inserting or moving any event
//! breaks the chain from that place on, and an auditor who wrote the head hash
//! down can later prove that today's log still begins with the log they saw.
//!
//! One chain over the whole log, not one per stream: appends are already
//! serialised under the store's write lock (that is how positions stay gapless,
//! see ARCHITECTURE.md), so the writer reads the previous hash under that same
//! lock for free, on PostgreSQL too with any number of machines. A global chain
//! also catches what per-stream chains miss: a whole stream removed, or events
//! moved between streams.
//!
//! The content hashed is exactly what is stored: position, stream, revision,
//! event id, type, the data and metadata JSON text byte for byte, and the
//! recorded-at instant in microseconds; for an event from outside (see
//! `kroonika_engine::Foreign`), also its content type, binary data and custom
//! metadata. Personal data is stored encrypted, so the
//! chain covers ciphertext and erasing a subject's key never breaks it.
//!
//! [`Verifier`] recomputes the chain row by row and reports the first broken
//! place; it is pure, so the same code judges both backends and an import file.

use chrono::{DateTime, Utc};
use kroonika_engine::Foreign;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash the first event chains from.
pub const GENESIS: Hash = [0; 32];

/// Names the hashing scheme, so that a future change of content cannot be
/// confused with this one.
const DOMAIN: &[u8] = b"kroonika.event.v1";

/// Marks the foreign parts of an event in its hashed content (after the
/// fields every event has), so that no Kroonika event's content can encode
/// like a foreign one's.
const FOREIGN: &[u8] = b"kroonika.event.foreign";

/// One stored event exactly as the chain sees it: the raw row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub position: u64,
    pub stream: String,
    pub revision: u64,
    pub id: Uuid,
    pub event_type: String,
    /// The data JSON text as stored.
    pub data: String,
    /// The metadata JSON text as stored.
    pub metadata: String,
    pub recorded_at: DateTime<Utc>,
    /// None for events written before the chain existed (see `chain_from`).
    pub hash: Option<Hash>,
    /// A foreign event's parts (content type, binary data, custom metadata).
    pub foreign: Option<Foreign>,
}

/// The content of one event, borrowed, as the hash covers it.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub position: u64,
    pub stream: &'a str,
    pub revision: u64,
    pub id: Uuid,
    pub event_type: &'a str,
    pub data: &'a str,
    pub metadata: &'a str,
    pub recorded_at_micros: i64,
    /// What a program outside Kroonika sent besides; hashed only when present,
    /// so Kroonika's own events hash as they did before foreign events existed.
    pub foreign: Option<&'a Foreign>,
}

impl ChainRow {
    pub fn content(&self) -> Content<'_> {
        Content {
            position: self.position,
            stream: &self.stream,
            revision: self.revision,
            id: self.id,
            event_type: &self.event_type,
            data: &self.data,
            metadata: &self.metadata,
            recorded_at_micros: self.recorded_at.timestamp_micros(),
            foreign: self.foreign.as_ref(),
        }
    }
}

/// The hash of one event chained to `previous`. Every variable-length field is
/// length-prefixed, so no two different contents can encode alike.
pub fn event_hash(previous: &Hash, content: &Content<'_>) -> Hash {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(previous);
    h.update(content.position.to_be_bytes());
    let text = |h: &mut Sha256, s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    text(&mut h, content.stream);
    h.update(content.revision.to_be_bytes());
    h.update(content.id.as_bytes());
    text(&mut h, content.event_type);
    text(&mut h, content.data);
    text(&mut h, content.metadata);
    h.update(content.recorded_at_micros.to_be_bytes());
    if let Some(foreign) = content.foreign {
        let bytes = |h: &mut Sha256, b: &[u8]| {
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        };
        h.update(FOREIGN);
        text(&mut h, foreign.content_type.as_str());
        match &foreign.binary {
            None => h.update([0]),
            Some(binary) => {
                h.update([1]);
                bytes(&mut h, binary);
            }
        }
        bytes(&mut h, &foreign.custom_metadata);
    }
    h.finalize().into()
}

/// Lower-case hex, the form auditors write down.
pub fn to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// Reads 64 hex digits (either case, surrounding space ignored).
pub fn from_hex(text: &str) -> Option<Hash> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut hash).ok()?;
    Some(hash)
}

/// Converts a stored hash column, refusing one of the wrong length.
pub(crate) fn stored(bytes: Option<Vec<u8>>, position: i64) -> crate::Result<Option<Hash>> {
    bytes
        .map(|b| {
            Hash::try_from(b.as_slice()).map_err(|_| crate::Error::Corrupt {
                position,
                reason: format!("its hash has {} bytes, not 32", b.len()),
            })
        })
        .transpose()
}

/// What is wrong at the first broken place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breakage {
    /// Positions jump: the events between were removed.
    Missing { expected: u64 },
    /// The event's content no longer matches its hash, while the next event still
    /// chains from that hash: this event was changed after it was written.
    Changed,
    /// The stored hash neither follows from the previous event nor leads to the
    /// next: an event was inserted, removed or moved here.
    OutOfPlace,
    /// The last event does not match its hash: changed, or appended by hand.
    LastDoesNotMatch,
    /// An event written after the chain began has no hash.
    NoHash,
    /// An event without a hash after one with a hash.
    HashedBefore,
}

/// The first broken place in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub position: u64,
    pub stream: String,
    pub revision: u64,
    pub event_type: String,
    pub what: Breakage,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = format!(
            "position {} (stream {}, revision {}, {})",
            self.position, self.stream, self.revision, self.event_type
        );
        match &self.what {
            Breakage::Missing { expected } => write!(
                f,
                "position {expected} is missing: the log goes from {} to {place}; events were removed",
                expected.saturating_sub(1)
            ),
            Breakage::Changed => write!(
                f,
                "{place} was changed after it was written: its content no longer matches its hash"
            ),
            Breakage::OutOfPlace => write!(
                f,
                "{place} does not follow from position {}: an event was inserted, removed or moved here",
                self.position.saturating_sub(1)
            ),
            Breakage::LastDoesNotMatch => write!(
                f,
                "{place}, the last event, does not match its hash: it was changed or added outside Kroonika"
            ),
            Breakage::NoHash => write!(f, "{place} has no hash"),
            Breakage::HashedBefore => write!(
                f,
                "{place} has no hash, but events before it have: the chain was cut"
            ),
        }
    }
}

/// Recomputes the chain over rows fed in position order.
///
/// A row whose hash does not match is held until the next row shows whether the
/// stored hash is genuine (the next row chains from it: the content changed) or
/// not (something was inserted, removed or moved).
#[derive(Debug)]
pub struct Verifier {
    /// Rows below this position predate the chain and have no hash.
    chain_from: u64,
    previous: Option<Hash>,
    expected_position: u64,
    suspect: Option<Break>,
    /// The hash of the last row verified.
    head: Option<(u64, Hash)>,
    checked: u64,
    unchained: u64,
    broken: Option<Break>,
}

impl Verifier {
    pub fn new(chain_from: u64) -> Verifier {
        Verifier {
            chain_from: chain_from.max(1),
            previous: None,
            expected_position: 1,
            suspect: None,
            head: None,
            checked: 0,
            unchained: 0,
            broken: None,
        }
    }

    /// The first break found so far.
    pub fn broken(&self) -> Option<&Break> {
        self.broken.as_ref()
    }

    /// The last position and hash verified (the head once `finish` is clean).
    pub fn head(&self) -> Option<(u64, Hash)> {
        self.head
    }

    /// Checks the next row. Returns false once the chain is broken (feeding more
    /// changes nothing).
    pub fn feed(&mut self, row: &ChainRow) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let place = |what| Break {
            position: row.position,
            stream: row.stream.clone(),
            revision: row.revision,
            event_type: row.event_type.clone(),
            what,
        };
        if let Some(suspect) = self.suspect.take() {
            // The held row's stored hash was taken on trust; does this row chain from it?
            let genuine = row
                .hash
                .is_some_and(|h| Some(h) == self.previous.map(|p| event_hash(&p, &row.content())));
            self.broken = Some(Break {
                what: if genuine {
                    Breakage::Changed
                } else {
                    Breakage::OutOfPlace
                },
                ..suspect
            });
            return false;
        }
        if row.position != self.expected_position {
            self.broken = Some(place(Breakage::Missing {
                expected: self.expected_position,
            }));
            return false;
        }
        self.expected_position = row.position + 1;
        self.checked += 1;
        let Some(stored) = row.hash else {
            if row.position >= self.chain_from {
                self.broken = Some(place(Breakage::NoHash));
                return false;
            }
            if self.previous.is_some() {
                self.broken = Some(place(Breakage::HashedBefore));
                return false;
            }
            self.unchained += 1;
            return true;
        };
        let previous = self.previous.unwrap_or(GENESIS);
        let computed = event_hash(&previous, &row.content());
        self.previous = Some(stored);
        if computed != stored {
            self.suspect = Some(place(Breakage::LastDoesNotMatch));
            return true;
        }
        self.head = Some((row.position, stored));
        true
    }

    /// Ends the check.
    pub fn finish(mut self) -> ChainReport {
        if self.broken.is_none() {
            self.broken = self.suspect.take();
        }
        ChainReport {
            broken: self.broken,
            head: self.head,
            checked: self.checked,
            unchained: self.unchained,
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The first broken place; None when the chain holds.
    pub broken: Option<Break>,
    /// The last position and hash that verified.
    pub head: Option<(u64, Hash)>,
    /// Events looked at, and of those the ones that predate the chain.
    pub checked: u64,
    pub unchained: u64,
}

impl crate::store::Store {
    /// Up to `max_count` raw rows of the log from position `from`, with their
    /// stored hashes, exactly as stored: what `audit verify` and `export` read.
    pub async fn read_chain(&self, from: u64, max_count: usize) -> crate::Result<Vec<ChainRow>> {
        crate::backend::dispatch!(self, b => b.read_chain(from, max_count).await)
    }

    /// The position the hash chain begins at: 1, unless the store held events
    /// before the chain was introduced (those have no hash).
    pub async fn chain_from(&self) -> crate::Result<u64> {
        let value = self.info_value("chain_from").await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(1))
    }

    /// Recomputes the whole hash chain, page by page, handing every row to
    /// `each` as it goes (for checks of its own, and progress). Stops at the
    /// first break, which the report names.
    pub async fn verify_chain(
        &self,
        mut each: impl FnMut(&ChainRow),
    ) -> crate::Result<ChainReport> {
        const PAGE: usize = 2_000;
        let mut verifier = Verifier::new(self.chain_from().await?);
        let mut from = 1;
        loop {
            let page = self.read_chain(from, PAGE).await?;
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            for row in &page {
                each(row);
                if !verifier.feed(row) {
                    return Ok(verifier.finish());
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
        Ok(verifier.finish())
    }

    /// The last event's position and stored hash (None for an empty log).
    pub async fn chain_head(&self) -> crate::Result<Option<ChainRow>> {
        let head = self.head_position().await?;
        if head == 0 {
            return Ok(None);
        }
        Ok(self.read_chain(head, 1).await?.pop())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rows(n: u64) -> Vec<ChainRow> {
        let mut previous = GENESIS;
        (1..=n)
            .map(|position| {
                let mut row = ChainRow {
                    position,
                    stream: format!("case-{}", position % 2),
                    revision: position / 2,
                    id: Uuid::from_u128(u128::from(position)),
                    event_type: "Happened".into(),
                    data: format!("{{\"n\":{position}}}"),
                    metadata: "{}".into(),
                    recorded_at: DateTime::from_timestamp_micros(1_000 * position as i64).unwrap(),
                    hash: None,
                    foreign: None,
                };
                let hash = event_hash(&previous, &row.content());
                row.hash = Some(hash);
                previous = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[ChainRow]) -> Option<Break> {
        let mut v = Verifier::new(1);
        for row in rows {
            v.feed(row);
        }
        v.finish().broken
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&rows(5)), None);
        assert_eq!(verify(&[]), None);
    }

    #[test]
    fn a_changed_event_is_named() {
        let mut r = rows(5);
        r[2].data = "{\"n\":99}".into();
        let b = verify(&r).unwrap();
        assert_eq!((b.position, b.what), (3, Breakage::Changed));
    }

    #[test]
    fn a_changed_last_event_is_named() {
        let mut r = rows(5);
        r[4].metadata = "{\"actor\":\"x\"}".into();
        let b = verify(&r).unwrap();
        assert_eq!((b.position, b.what), (5, Breakage::LastDoesNotMatch));
    }

    #[test]
    fn a_gap_is_named() {
        let mut r = rows(5);
        r.remove(2);
        let b = verify(&r).unwrap();
        assert_eq!((b.position, b.what), (4, Breakage::Missing { expected: 3 }));
    }

    #[test]
    fn moved_events_are_named() {
        let mut r = rows(5);
        r.swap(1, 2);
        r[1].position = 2;
        r[2].position = 3;
        let b = verify(&r).unwrap();
        assert_eq!((b.position, b.what), (2, Breakage::OutOfPlace));
    }

    #[test]
    fn a_kroonika_events_hash_is_what_it_was_before_foreign_events() {
        // Computed before migration 8 existed: old chains must still verify.
        assert_eq!(
            to_hex(&rows(1)[0].hash.unwrap()),
            "12cbbef8eef0efac16163c69547adfc6754d44ec0ef5e2204692952fdbbaa408"
        );
    }

    #[test]
    fn every_foreign_part_is_covered() {
        use kroonika_engine::{ContentType, Foreign};
        let mut r = rows(3);
        let foreign = Foreign {
            content_type: ContentType::Binary,
            binary: Some(vec![0, 1, 2]),
            custom_metadata: b"{}".to_vec(),
        };
        r[1].foreign = Some(foreign.clone());
        let mut previous = r[0].hash.unwrap();
        for row in &mut r[1..] {
            let hash = event_hash(&previous, &row.content());
            row.hash = Some(hash);
            previous = hash;
        }
        assert_eq!(verify(&r), None);
        let changes: [fn(&mut Foreign); 4] = [
            |f| f.content_type = ContentType::Json,
            |f| f.binary = None,
            |f| f.binary = Some(vec![0, 1, 3]),
            |f| f.custom_metadata.clear(),
        ];
        for change in changes {
            let mut changed = r.clone();
            change(changed[1].foreign.as_mut().unwrap());
            assert_eq!(verify(&changed).unwrap().position, 2);
        }
        let mut dropped = r.clone();
        dropped[1].foreign = None;
        assert_eq!(verify(&dropped).unwrap().position, 2);
    }

    #[test]
    fn hex_round_trips() {
        let h = rows(1)[0].hash.unwrap();
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(from_hex("xyz"), None);
    }
}
