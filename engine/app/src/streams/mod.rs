//! The event store surface for programs: streams that event store clients
//! (KurrentDB's protocol, served by `kroonika serve --grpc`) append, read and
//! follow, beside Kroonika's own streams, which stay writable only through
//! Kroonika's rules.
//!
//! Who may do what is decided here, once, for any front end that speaks such a
//! protocol:
//!
//! - **appends** go only to categories an actor is granted ([`Grants`], the
//!   server's configuration), and never to Kroonika's own ([`OWN_CATEGORIES`]);
//! - **reads** of the whole log (`$all`) and of Kroonika's own streams are an
//!   auditor's, as every reading of the raw log is; a granted category is also
//!   readable by those granted it. Personal data is sealed in the log, so a
//!   case stream reads as ciphertext, never plaintext;
//! - every refusal is recorded in the access log, as the CLI's are.
//!
//! Deleting follows KurrentDB through stream metadata: a client's `$$name`
//! (the metadata of `name`) is kept in Kroonika's stream `streammeta-name`; a
//! soft delete writes metadata whose `$tb` (truncate before) hides the
//! stream's events from stream reads, a tombstone writes `$streamDeleted`
//! there and ends the stream for good. Nothing leaves the hash-chained log:
//! `$all` still holds every event.

pub mod filter;
mod subscribe;

use std::collections::{BTreeMap, BTreeSet};

use kroonika_engine::{
    Code, ContentType, ExpectedRevision, Metadata, NewEvent, RecordedEvent, StreamName, access,
    actors, auth, case, publishing,
};
use kroonika_store::{Timer, Write};
use uuid::Uuid;

use crate::App;
use crate::command::Request;
use crate::error::{Error, Result, reject};
use crate::permissions::Reading;

pub use filter::{Filter, FilterOn};
pub use kroonika_store::{Direction, ReadFrom};
pub use subscribe::StreamSubscription;

/// The category that keeps a client's stream metadata (`$$name`).
pub const META_CATEGORY: &str = "streammeta";

/// Kroonika's own categories: readable by auditors, never appended to by a
/// client, whatever the configuration says.
pub const OWN_CATEGORIES: &[&str] = &[
    case::CATEGORY,
    case::REFERENCE_CATEGORY,
    actors::CATEGORY,
    publishing::CATEGORY,
    kroonika_engine::partners::CATEGORY,
    access::CATEGORY,
    auth::CATEGORY,
    META_CATEGORY,
];

/// The event type of stream metadata, as KurrentDB names it.
pub const METADATA_TYPE: &str = "$metadata";
/// The event type that ends a stream for good (a tombstone).
pub const TOMBSTONE_TYPE: &str = "$streamDeleted";
/// Metadata's "truncate before" key: revisions before it are hidden.
const TRUNCATE_BEFORE: &str = "$tb";

/// The most one append may carry (data, custom metadata and types), in bytes:
/// KurrentDB's default, which clients expect.
pub const MAX_APPEND_BYTES: usize = 1024 * 1024;

/// Which actors may append to which categories (the server's configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    appends: BTreeMap<String, BTreeSet<String>>,
}

impl Grants {
    /// Adds `actor=category[,category…]`, refusing Kroonika's own categories.
    pub fn grant(&mut self, spec: &str) -> Result<()> {
        let bad = |why: String| Error::Invalid(format!("stream grant '{spec}': {why}"));
        let (actor, categories) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected ACTOR=CATEGORY[,CATEGORY…]".to_owned()))?;
        let actor = actor.trim();
        if actor.is_empty() {
            return Err(bad("no actor named before '='".to_owned()));
        }
        let mut granted = Vec::new();
        for category in categories.split(',').map(str::trim) {
            let valid = !category.is_empty()
                && category
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !valid {
                return Err(bad(format!(
                    "'{category}' is not a category: use letters, digits, '_' or '.'"
                )));
            }
            if OWN_CATEGORIES.contains(&category) {
                return Err(bad(format!(
                    "'{category}' is Kroonika's own category, written only through its rules"
                )));
            }
            granted.push(category.to_owned());
        }
        self.appends
            .entry(actor.to_owned())
            .or_default()
            .extend(granted);
        Ok(())
    }

    /// Whether `actor` may append to (and read) `category`.
    pub fn allows(&self, actor: &str, category: &str) -> bool {
        self.appends
            .get(actor)
            .is_some_and(|categories| categories.contains(category))
    }

    pub fn is_empty(&self) -> bool {
        self.appends.is_empty()
    }
}

/// A stream as an event store client names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `$all`: the whole log.
    All,
    /// A stream.
    Stream(StreamName),
    /// `$$name`: the metadata of a stream.
    Meta(StreamName),
}

impl Target {
    /// Reads a client's stream name. Kroonika's names are `<category>-<id>`,
    /// so a name without a category is refused, saying so.
    pub fn parse(name: &str) -> Result<Target> {
        if name == "$all" {
            return Ok(Target::All);
        }
        let (meta, plain) = match name.strip_prefix("$$") {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        if plain.starts_with('$') {
            return Err(reject(
                Code::InvalidInput,
                format!(
                    "stream '{name}' is a system stream Kroonika does not keep; only $all and $$<stream> are served"
                ),
            ));
        }
        let stream =
            StreamName::new(plain).map_err(|err| reject(Code::InvalidInput, err.to_string()))?;
        Ok(if meta {
            Target::Meta(stream)
        } else {
            Target::Stream(stream)
        })
    }

    /// The stream whose category decides who may touch this target.
    fn subject(&self) -> Option<&StreamName> {
        match self {
            Target::All => None,
            Target::Stream(stream) | Target::Meta(stream) => Some(stream),
        }
    }

    /// Where the target's events are stored.
    fn stored(&self) -> Result<StreamName> {
        match self {
            Target::All => Err(reject(
                Code::InvalidInput,
                "$all is the whole log: events are appended to a stream",
            )),
            Target::Stream(stream) => Ok(stream.clone()),
            Target::Meta(stream) => meta_stream(stream),
        }
    }
}

/// The stream that keeps `stream`'s metadata.
fn meta_stream(stream: &StreamName) -> Result<StreamName> {
    StreamName::from_parts(META_CATEGORY, stream).map_err(|err| {
        reject(
            Code::InvalidInput,
            format!("{err} (as metadata of '{stream}')"),
        )
    })
}

/// The name a client knows a stored stream by: `$$name` for the metadata of
/// `name`, every other stream by its own name.
pub fn client_name(stream: &StreamName) -> String {
    if stream.category() == META_CATEGORY {
        format!("$${}", stream.id())
    } else {
        stream.as_str().to_owned()
    }
}

/// An event as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignEvent {
    pub id: Uuid,
    pub event_type: String,
    pub content_type: ContentType,
    pub data: Vec<u8>,
    pub custom_metadata: Vec<u8>,
}

/// What an append came to, short of an error: the protocol answers each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Written (or already written with these event ids): the stream's last
    /// revision and the last event's position (None: nothing appended to a
    /// stream that has no events).
    Appended {
        revision: Option<u64>,
        position: Option<u64>,
    },
    /// The stream is not where the client expected: its last revision as
    /// the client sees it (None: no stream).
    WrongExpected { current: Option<u64> },
    /// The stream was tombstoned: it takes no more events.
    Deleted,
    /// The append carries more than [`MAX_APPEND_BYTES`]: nothing written.
    TooLarge { size: usize, max: usize },
}

/// What a stream's metadata says about reading and appending to it.
#[derive(Debug, Clone, Default)]
struct Meta {
    /// The metadata stream's last revision.
    revision: Option<u64>,
    tombstoned: bool,
    /// Revisions before this are hidden (a soft delete).
    hidden_before: u64,
    /// The last metadata object, to keep when a delete adds `$tb`.
    last: serde_json::Map<String, serde_json::Value>,
}

/// Whether a stream can be read, as a client will be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// It has events to read (hidden ones aside).
    Live,
    /// It has no events, or every event is hidden by a soft delete.
    NotFound,
    /// It was tombstoned.
    Deleted,
}

/// A stream opened for reading by an actor allowed to.
#[derive(Debug, Clone)]
pub struct StreamReader {
    app: App,
    stream: StreamName,
    hidden_before: u64,
    state: StreamState,
    last: Option<u64>,
}

impl StreamReader {
    pub fn state(&self) -> StreamState {
        self.state
    }

    /// The stream's last revision when it was opened.
    pub fn last_revision(&self) -> Option<u64> {
        self.last
    }

    /// The first revision a reader sees (after a soft delete, the first kept).
    pub fn first_revision(&self) -> u64 {
        self.hidden_before
    }

    /// Up to `max` events from revision `from`, in `direction`, hidden ones
    /// left out.
    pub async fn page(
        &self,
        from: ReadFrom,
        direction: Direction,
        max: usize,
    ) -> Result<Vec<RecordedEvent>> {
        if self.state != StreamState::Live {
            return Ok(Vec::new());
        }
        let from = match (from, direction) {
            (ReadFrom::Start, Direction::Forwards) => ReadFrom::At(self.hidden_before),
            (ReadFrom::At(n), Direction::Forwards) => ReadFrom::At(n.max(self.hidden_before)),
            (ReadFrom::At(n), Direction::Backwards) if n < self.hidden_before => {
                return Ok(Vec::new());
            }
            (from, _) => from,
        };
        let mut events = self
            .app
            .inner
            .store
            .read_stream(&self.stream, from, direction, max)
            .await?;
        events.retain(|event| event.revision >= self.hidden_before);
        Ok(events)
    }

    /// Every event after revision `after` (None: from the first kept), then
    /// each new one as it commits.
    pub async fn subscribe(&self, after: Option<u64>) -> Result<StreamSubscription> {
        let next = after.map_or(self.hidden_before, |r| (r + 1).max(self.hidden_before));
        Ok(StreamSubscription::new(
            self.app.inner.store.clone(),
            self.stream.clone(),
            next,
        ))
    }
}

impl App {
    /// Appends a client's events to `target`, as `request`'s actor, if they
    /// are granted its category. Idempotent by event id: events stored
    /// before with the same ids are answered with their places.
    pub async fn append_foreign(
        &self,
        request: &Request,
        target: &Target,
        expected: ExpectedRevision,
        events: Vec<ForeignEvent>,
        grants: &Grants,
    ) -> Result<AppendOutcome> {
        let checked = self.stream_writer(request, target, grants).await;
        let actor = self.recorded(request, None, checked).await?;
        let size: usize = events
            .iter()
            .map(|e| e.data.len() + e.custom_metadata.len() + e.event_type.len())
            .sum();
        if size > MAX_APPEND_BYTES {
            return Ok(AppendOutcome::TooLarge {
                size,
                max: MAX_APPEND_BYTES,
            });
        }
        let stored = target.stored()?;
        let subject = target
            .subject()
            .cloned()
            .ok_or_else(|| reject(Code::InvalidInput, "events are appended to a stream"))?;
        let now = self.now();
        let command_id = request
            .command_id
            .unwrap_or_else(|| self.inner.ids.new_id());
        let mut new_events = Vec::with_capacity(events.len());
        for (index, event) in events.into_iter().enumerate() {
            let metadata =
                Metadata::for_command(actor.as_str(), command_id, now).with_causation(event.id);
            let new = NewEvent::foreign(
                event.id,
                event.event_type,
                event.content_type,
                event.data,
                event.custom_metadata,
                metadata,
            )
            .map_err(|err| reject(Code::InvalidInput, format!("event {index}: {err}")))?;
            new_events.push(new);
        }
        let meta_of = meta_stream(&subject)?;
        // A delete between reading the metadata and writing is a conflict on
        // the metadata stream: look again, a few times.
        for _ in 0..5 {
            let meta = self.meta(&subject).await?;
            if meta.tombstoned {
                return Ok(AppendOutcome::Deleted);
            }
            let hidden = match target {
                Target::Stream(_) => meta.hidden_before,
                _ => 0,
            };
            let mut expected = expected;
            if hidden > 0 {
                let current = self.inner.store.stream_revision(&stored).await?;
                let visible = current.filter(|c| *c >= hidden);
                match expected {
                    // The client sees no stream: appending continues its revisions.
                    ExpectedRevision::NoStream if visible.is_none() => {
                        expected =
                            current.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                    }
                    ExpectedRevision::StreamExists if visible.is_none() => {
                        return Ok(AppendOutcome::WrongExpected { current: None });
                    }
                    _ => {}
                }
            }
            let mut write = Write::append(&stored, expected, new_events.clone());
            if meta_of != stored {
                let meta_expected = meta
                    .revision
                    .map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                write = write.with(&meta_of, meta_expected, Vec::new(), Timer::Keep);
            }
            match self.inner.store.write(&write).await {
                Ok(result) => {
                    let appended = &result.streams[0];
                    return Ok(AppendOutcome::Appended {
                        revision: appended.stream_revision,
                        position: appended.last_position(),
                    });
                }
                Err(kroonika_store::Error::WrongExpectedRevision { stream, .. })
                    if stream == meta_of && meta_of != stored => {}
                Err(kroonika_store::Error::WrongExpectedRevision { actual, .. }) => {
                    return Ok(AppendOutcome::WrongExpected {
                        current: actual.filter(|c| *c >= hidden),
                    });
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::Store(kroonika_store::Error::Moved {
            categories: vec![META_CATEGORY.to_owned()],
            position: 0,
            head: None,
        }))
    }

    /// Deletes a stream as KurrentDB does: `hard` (a tombstone) ends it for
    /// good; otherwise its events are hidden from stream reads until more
    /// are appended. Every event stays in the log.
    pub async fn delete_foreign(
        &self,
        request: &Request,
        target: &Target,
        expected: ExpectedRevision,
        hard: bool,
        grants: &Grants,
    ) -> Result<AppendOutcome> {
        let checked = self.stream_writer(request, target, grants).await;
        let actor = self.recorded(request, None, checked).await?;
        let Target::Stream(stream) = target else {
            return Err(reject(
                Code::InvalidInput,
                "only a stream can be deleted (not $all, not a stream's metadata)",
            ));
        };
        let meta_of = meta_stream(stream)?;
        let command_id = request
            .command_id
            .unwrap_or_else(|| self.inner.ids.new_id());
        for _ in 0..5 {
            let meta = self.meta(stream).await?;
            if meta.tombstoned {
                return Ok(AppendOutcome::Deleted);
            }
            let current = self.inner.store.stream_revision(stream).await?;
            let visible = current.filter(|c| *c >= meta.hidden_before);
            let expected_holds = match expected {
                ExpectedRevision::Any => true,
                ExpectedRevision::NoStream => visible.is_none(),
                ExpectedRevision::StreamExists => visible.is_some(),
                ExpectedRevision::Exact(n) => visible == Some(n),
            };
            if !expected_holds || (!hard && visible.is_none()) {
                return Ok(AppendOutcome::WrongExpected { current: visible });
            }
            let (event_type, data) = if hard {
                (TOMBSTONE_TYPE, b"{}".to_vec())
            } else {
                let mut metadata = meta.last.clone();
                let next = current.map_or(0, |c| c + 1);
                metadata.insert(TRUNCATE_BEFORE.to_owned(), next.into());
                (METADATA_TYPE, serde_json::to_vec(&metadata)?)
            };
            let metadata = Metadata::for_command(actor.as_str(), command_id, self.now());
            let event = NewEvent::foreign(
                self.inner.ids.new_id(),
                event_type,
                ContentType::Json,
                data,
                Vec::new(),
                metadata,
            )
            .map_err(|err| reject(Code::InvalidInput, err.to_string()))?;
            let stream_expected =
                current.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
            let meta_expected = meta
                .revision
                .map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
            let write = Write::append(stream, stream_expected, Vec::new()).with(
                &meta_of,
                meta_expected,
                vec![event],
                Timer::Keep,
            );
            match self.inner.store.write(&write).await {
                Ok(result) => {
                    return Ok(AppendOutcome::Appended {
                        revision: current,
                        position: result.last_position(),
                    });
                }
                // The stream or its metadata moved: judge again.
                Err(kroonika_store::Error::WrongExpectedRevision { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::Store(kroonika_store::Error::Moved {
            categories: vec![stream.category().to_owned()],
            position: 0,
            head: None,
        }))
    }

    /// Opens `target` (a stream or a stream's metadata) for reading, if
    /// `request`'s actor may read it; a refusal is recorded.
    pub async fn stream_reader(
        &self,
        request: &Request,
        target: &Target,
        grants: &Grants,
    ) -> Result<StreamReader> {
        let checked = self.stream_read_allowed(request, target, grants).await;
        self.recorded(request, None, checked).await?;
        let stored = target.stored()?;
        let subject = target.subject().cloned().unwrap_or_else(|| stored.clone());
        let meta = self.meta(&subject).await?;
        let hidden_before = match target {
            Target::Stream(_) => meta.hidden_before,
            _ => 0,
        };
        let last = self.inner.store.stream_revision(&stored).await?;
        let state = if meta.tombstoned {
            StreamState::Deleted
        } else if last.is_none_or(|l| l < hidden_before) {
            StreamState::NotFound
        } else {
            StreamState::Live
        };
        Ok(StreamReader {
            app: self.clone(),
            stream: stored,
            hidden_before,
            state,
            last,
        })
    }

    /// Whether `request`'s actor may append to `target`: granted its category.
    async fn stream_writer(
        &self,
        request: &Request,
        target: &Target,
        grants: &Grants,
    ) -> Result<String> {
        let (actor, _) = self.acting(&request.actor).await?;
        let Some(subject) = target.subject() else {
            return Err(reject(
                Code::InvalidInput,
                "$all is the whole log: events are appended to a stream",
            ));
        };
        let category = subject.category();
        if OWN_CATEGORIES.contains(&category) {
            return Err(Error::Rejected(kroonika_engine::Rejection::denied(
                format!(
                    "'{subject}' is one of Kroonika's own streams, written only through its rules"
                ),
            )));
        }
        if !grants.allows(&actor.name, category) {
            return Err(Error::Rejected(kroonika_engine::Rejection::denied(
                format!(
                    "'{}' is not granted appends to category '{category}'",
                    actor.name
                ),
            )));
        }
        Ok(actor.name)
    }

    async fn stream_read_allowed(
        &self,
        request: &Request,
        target: &Target,
        grants: &Grants,
    ) -> Result<()> {
        let (actor, _) = self.acting(&request.actor).await?;
        if let Some(subject) = target.subject()
            && !OWN_CATEGORIES.contains(&subject.category())
            && grants.allows(&actor.name, subject.category())
        {
            return Ok(());
        }
        Ok(self.may_read(&actor, Reading::Log)?)
    }

    /// What `stream`'s metadata says: its last metadata event decides.
    async fn meta(&self, stream: &StreamName) -> Result<Meta> {
        let meta_of = meta_stream(stream)?;
        let last = self
            .inner
            .store
            .read_stream(&meta_of, ReadFrom::End, Direction::Backwards, 1)
            .await?;
        let Some(event) = last.first() else {
            return Ok(Meta::default());
        };
        let mut meta = Meta {
            revision: Some(event.revision),
            ..Meta::default()
        };
        if event.event_type == TOMBSTONE_TYPE {
            meta.tombstoned = true;
        } else if let Ok(serde_json::Value::Object(map)) = event.data.to_value() {
            meta.hidden_before = map
                .get(TRUNCATE_BEFORE)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            meta.last = map;
        }
        Ok(meta)
    }
}
