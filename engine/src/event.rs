//! The event envelope: what is appended ([`NewEvent`]) and what is read back
//! ([`RecordedEvent`]).
//!
//! The envelope is a permanent format: events written today are read by auditors
//! years from now. So the payload is kept as the exact JSON text that was stored
//! ([`EventData`]), never re-encoded on the way through, and the metadata that says
//! who did what, when and why is a typed struct ([`Metadata`]) with a fixed JSON
//! shape, snapshotted in tests so that drift shows up in review.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::stream::StreamName;

/// The longest event type name accepted, in bytes.
pub const MAX_EVENT_TYPE_LEN: usize = 100;

/// An event's payload: JSON text exactly as it is (or will be) stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventData(Box<str>);

impl EventData {
    /// Serialises a payload. Serialisation of the same value is deterministic
    /// (object keys are kept in a sorted map), so a retried command produces the
    /// same bytes.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(EventData(serde_json::to_string(value)?.into_boxed_str()))
    }

    /// Accepts JSON text from outside (a file, an import), checking that it parses.
    pub fn from_json_text(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(EventData(text.into_boxed_str()))
    }

    /// Wraps text read back from the store without parsing it again. The store only
    /// ever accepts text built by the constructors above, and the database checks it
    /// is JSON, so the check would be repeated work on the hottest read path.
    pub fn from_stored(text: String) -> Self {
        EventData(text.into_boxed_str())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Deserialises the payload into a typed event.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// Who did what, when and why: the context every event carries.
///
/// `occurred_at` is when the thing happened in the world (a meeting held
/// yesterday, recorded today); the store's `recorded_at` is when it was written.
/// Correlation and causation ids follow the usual messaging convention: the
/// correlation id is shared by everything one request set off, the causation id is
/// the id of the message that directly caused this event (a command's id, or the
/// id of an event a reaction responded to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub actor: String,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// Further context a layer above the store adds (definition name and version,
    /// for instance). Absent from the JSON when empty.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

impl Metadata {
    /// Metadata for an event decided from a command that started a new request:
    /// the command is its own correlation and the direct cause.
    pub fn for_command(
        actor: impl Into<String>,
        command_id: Uuid,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Metadata {
            actor: actor.into(),
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            occurred_at,
            extra: Map::new(),
        }
    }

    pub fn with_correlation(mut self, correlation_id: Uuid) -> Self {
        self.correlation_id = correlation_id;
        self
    }

    pub fn with_causation(mut self, causation_id: Uuid) -> Self {
        self.causation_id = causation_id;
        self
    }

    pub fn with_extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

/// An event to append. Its id is chosen by the caller (a UUIDv7, or one derived
/// from the command) so that a retried append can be recognised and made a no-op.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub event_type: String,
    pub data: EventData,
    pub metadata: Metadata,
    /// What a program outside Kroonika sent besides (see [`Foreign`]); None for
    /// Kroonika's own events.
    pub foreign: Option<Foreign>,
}

/// The longest event type name a program outside Kroonika may use, in bytes.
pub const MAX_FOREIGN_TYPE_LEN: usize = 200;

/// How a foreign event's data is to be read, as its writer declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `application/json`
    Json,
    /// `application/octet-stream`
    Binary,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Binary => "application/octet-stream",
        }
    }

    /// The two content types event store clients send; anything else is None.
    pub fn parse(text: &str) -> Option<ContentType> {
        match text {
            "application/json" => Some(ContentType::Json),
            "application/octet-stream" => Some(ContentType::Binary),
            _ => None,
        }
    }
}

/// What an event appended by a program outside Kroonika (an event store
/// client, over gRPC) carries besides Kroonika's envelope, kept byte for byte.
///
/// Kroonika's own metadata still says who appended it and when (the
/// authenticated actor, the server's clock), so every event reads alike;
/// the writer's own metadata is kept apart, as bytes. JSON data that parses is
/// kept as the event's [`EventData`] text, so it reads like any event's; other
/// data (binary, or bytes that only claim to be JSON) is kept in `binary`, and
/// the `EventData` is then `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub content_type: ContentType,
    /// The data, when it is not kept as JSON text.
    pub binary: Option<Vec<u8>>,
    /// The writer's own metadata, as sent (often empty).
    pub custom_metadata: Vec<u8>,
}

/// Why an event cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    #[error(
        "event type '{0}' is not a valid name: use 1 to {MAX_EVENT_TYPE_LEN} letters, digits, '_', '.' or '-', starting with a letter"
    )]
    BadType(String),
    #[error(
        "event type '{0}' is not a valid name: use 1 to {MAX_FOREIGN_TYPE_LEN} bytes without control characters"
    )]
    BadForeignType(String),
    #[error("event payload of type '{event_type}' cannot be encoded as JSON: {source}")]
    Encode {
        event_type: String,
        source: serde_json::Error,
    },
}

impl NewEvent {
    /// Builds an event from a serialisable payload.
    pub fn new<T: Serialize + ?Sized>(
        id: Uuid,
        event_type: impl Into<String>,
        data: &T,
        metadata: Metadata,
    ) -> Result<Self, EventError> {
        let event_type = event_type.into();
        check_event_type(&event_type)?;
        let data = EventData::from_serialize(data).map_err(|source| EventError::Encode {
            event_type: event_type.clone(),
            source,
        })?;
        Ok(NewEvent {
            id,
            event_type,
            data,
            metadata,
            foreign: None,
        })
    }

    /// Builds an event a program outside Kroonika sent: its data and its own
    /// metadata as bytes, kept exactly (see [`Foreign`]).
    pub fn foreign(
        id: Uuid,
        event_type: impl Into<String>,
        content_type: ContentType,
        data: Vec<u8>,
        custom_metadata: Vec<u8>,
        metadata: Metadata,
    ) -> Result<Self, EventError> {
        let event_type = event_type.into();
        check_foreign_type(&event_type)?;
        let json = match content_type {
            ContentType::Json => String::from_utf8(data)
                .map_err(|err| err.into_bytes())
                .and_then(|text| match EventData::from_json_text(text.clone()) {
                    Ok(data) => Ok(data),
                    Err(_) => Err(text.into_bytes()),
                }),
            ContentType::Binary => Err(data),
        };
        let (data, binary) = match json {
            Ok(data) => (data, None),
            Err(bytes) => (EventData(Box::from("null")), Some(bytes)),
        };
        Ok(NewEvent {
            id,
            event_type,
            data,
            metadata,
            foreign: Some(Foreign {
                content_type,
                binary,
                custom_metadata,
            }),
        })
    }

    /// The data as bytes, as its writer sent it.
    pub fn payload(&self) -> &[u8] {
        payload(&self.data, self.foreign.as_ref())
    }
}

fn payload<'a>(data: &'a EventData, foreign: Option<&'a Foreign>) -> &'a [u8] {
    match foreign.and_then(|f| f.binary.as_deref()) {
        Some(bytes) => bytes,
        None => data.as_str().as_bytes(),
    }
}

/// Checks a foreign event's type: any text of 1 to [`MAX_FOREIGN_TYPE_LEN`]
/// bytes without control characters (event store clients use names such as
/// `$metadata` or `order-placed`).
pub fn check_foreign_type(event_type: &str) -> Result<(), EventError> {
    if !event_type.is_empty()
        && event_type.len() <= MAX_FOREIGN_TYPE_LEN
        && !event_type.chars().any(char::is_control)
    {
        Ok(())
    } else {
        Err(EventError::BadForeignType(event_type.to_owned()))
    }
}

/// Checks an event type name: a letter, then letters, digits, `_`, `.` or `-`.
pub fn check_event_type(event_type: &str) -> Result<(), EventError> {
    let mut chars = event_type.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if starts_with_letter && rest_ok && event_type.len() <= MAX_EVENT_TYPE_LEN {
        Ok(())
    } else {
        Err(EventError::BadType(event_type.to_owned()))
    }
}

/// A stored event that does not read as the event its stream holds: the
/// database was changed outside Kroonika, or by a newer build.
#[derive(Debug, thiserror::Error)]
#[error("reading event {position} of stream '{stream}'")]
pub struct DecodeError {
    pub position: u64,
    pub stream: String,
    #[source]
    pub source: serde_json::Error,
}

/// An event as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Place in the global log (`$all`): 1, 2, 3, … in commit order, without gaps.
    pub position: u64,
    pub stream: StreamName,
    /// Place in its stream: 0, 1, 2, …
    pub revision: u64,
    pub id: Uuid,
    pub event_type: String,
    pub data: EventData,
    pub metadata: Metadata,
    /// When the store wrote it (the store's clock, never the caller's).
    pub recorded_at: DateTime<Utc>,
    /// What a program outside Kroonika sent besides; None for Kroonika's own.
    pub foreign: Option<Foreign>,
}

impl RecordedEvent {
    /// The data as bytes, as its writer sent it.
    pub fn payload(&self) -> &[u8] {
        payload(&self.data, self.foreign.as_ref())
    }

    /// How the data is to be read: JSON for every Kroonika event.
    pub fn content_type(&self) -> ContentType {
        self.foreign
            .as_ref()
            .map_or(ContentType::Json, |f| f.content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> Metadata {
        let command_id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
        let occurred_at = DateTime::parse_from_rfc3339("2026-11-24T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Metadata::for_command("mari", command_id, occurred_at)
    }

    #[test]
    fn metadata_json_shape_is_stable() {
        insta::assert_json_snapshot!(metadata(), @r#"
        {
          "actor": "mari",
          "command_id": "01930000-0000-7000-8000-000000000001",
          "correlation_id": "01930000-0000-7000-8000-000000000001",
          "causation_id": "01930000-0000-7000-8000-000000000001",
          "occurred_at": "2026-11-24T09:30:00Z"
        }
        "#);
        let with_extra = metadata().with_extra("definition", serde_json::json!("mediation@2"));
        let text = serde_json::to_string(&with_extra).unwrap();
        assert!(
            text.ends_with(r#","extra":{"definition":"mediation@2"}}"#),
            "{text}"
        );
        let back: Metadata = serde_json::from_str(&text).unwrap();
        assert_eq!(back, with_extra);
    }

    #[test]
    fn event_types_are_checked() {
        for good in ["CaseOpened", "case.opened", "Deadline-Missed_2"] {
            check_event_type(good).unwrap();
        }
        for bad in ["", "1Case", "Case Opened", "Käsk", &"x".repeat(101)] {
            assert!(check_event_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn payload_serialisation_is_deterministic() {
        let a = serde_json::json!({"b": 1, "a": [1, 2, {"z": null, "y": "ü"}]});
        let b: Value = serde_json::from_str(r#"{"a":[1,2,{"y":"ü","z":null}],"b":1}"#).unwrap();
        assert_eq!(
            EventData::from_serialize(&a).unwrap(),
            EventData::from_serialize(&b).unwrap()
        );
        assert!(EventData::from_json_text("{not json").is_err());
    }
}
