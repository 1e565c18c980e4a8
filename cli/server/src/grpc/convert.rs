//! Between the protocol's messages and the application's values: ids,
//! expected revisions, recorded events, positions, and errors as statuses.

use std::collections::HashMap;

use kroonika_app::streams::client_name;
use kroonika_app::{Error, ErrorKind};
use kroonika_engine::{Code, RecordedEvent};
use tonic::Status;

use super::proto::event_store::client::streams::read_resp;
use super::proto::event_store::client::uuid as proto_uuid;
use super::proto::event_store::client::{StreamIdentifier, Uuid as ProtoUuid};

/// A client's event id, as a UUID (structured or text).
pub fn event_id(id: Option<&ProtoUuid>) -> Result<uuid::Uuid, Status> {
    match id.and_then(|id| id.value.as_ref()) {
        Some(proto_uuid::Value::String(text)) => uuid::Uuid::parse_str(text)
            .map_err(|_| Status::invalid_argument(format!("event id '{text}' is not a UUID"))),
        Some(proto_uuid::Value::Structured(s)) => Ok(uuid::Uuid::from_u64_pair(
            s.most_significant_bits as u64,
            s.least_significant_bits as u64,
        )),
        None => Err(Status::invalid_argument("an event has no id")),
    }
}

/// An id as the client asked ids to be given (`structured`: two halves).
pub fn proto_id(id: uuid::Uuid, structured: bool) -> ProtoUuid {
    let value = if structured {
        let (most, least) = id.as_u64_pair();
        proto_uuid::Value::Structured(proto_uuid::Structured {
            most_significant_bits: most as i64,
            least_significant_bits: least as i64,
        })
    } else {
        proto_uuid::Value::String(id.to_string())
    };
    ProtoUuid { value: Some(value) }
}

/// The stream a message names, as text.
pub fn stream_name(identifier: Option<&StreamIdentifier>) -> Result<String, Status> {
    let identifier =
        identifier.ok_or_else(|| Status::invalid_argument("no stream identifier given"))?;
    String::from_utf8(identifier.stream_name.clone())
        .map_err(|_| Status::invalid_argument("the stream name is not UTF-8"))
}

pub fn identifier(name: &str) -> StreamIdentifier {
    StreamIdentifier {
        stream_name: name.as_bytes().to_vec(),
    }
}

/// A recorded event as the protocol carries it. A Kroonika event's metadata
/// (who, when, which command) is its custom metadata; a foreign event's own
/// custom metadata is given back as it was sent.
pub fn read_event(event: &RecordedEvent, structured: bool) -> read_resp::ReadEvent {
    let mut metadata = HashMap::with_capacity(3);
    metadata.insert("type".to_owned(), event.event_type.clone());
    metadata.insert(
        "content-type".to_owned(),
        event.content_type().as_str().to_owned(),
    );
    // .NET ticks (100 ns) since the Unix epoch, as KurrentDB gives them.
    metadata.insert(
        "created".to_owned(),
        (event.recorded_at.timestamp_micros() * 10).to_string(),
    );
    let custom_metadata = match &event.foreign {
        Some(foreign) => foreign.custom_metadata.clone(),
        None => serde_json::to_vec(&event.metadata).unwrap_or_default(),
    };
    read_resp::ReadEvent {
        event: Some(read_resp::read_event::RecordedEvent {
            id: Some(proto_id(event.id, structured)),
            stream_identifier: Some(identifier(&client_name(&event.stream))),
            stream_revision: event.revision,
            prepare_position: event.position,
            commit_position: event.position,
            metadata,
            custom_metadata: custom_metadata.into(),
            data: event.payload().to_vec().into(),
        }),
        link: None,
        position: Some(read_resp::read_event::Position::CommitPosition(
            event.position,
        )),
    }
}

/// The application's errors as gRPC statuses, by kind and code, never by
/// message text. A technical failure's message stays in the server's log.
pub fn status(err: Error) -> Status {
    match err.kind() {
        ErrorKind::Rejected => {
            let message = err.to_string();
            match err.code() {
                Some(Code::Unauthenticated) | Some(Code::UnknownActor) => {
                    Status::unauthenticated(message)
                }
                Some(Code::Denied) => Status::permission_denied(message),
                Some(Code::LockedOut) => Status::resource_exhausted(message),
                Some(Code::NotFound) => Status::not_found(message),
                _ => Status::invalid_argument(message),
            }
        }
        ErrorKind::Conflict => Status::aborted(err.to_string()),
        ErrorKind::Integrity => {
            tracing::error!(error = %err, "integrity failure");
            Status::internal("integrity failure: the stored log is not what Kroonika wrote")
        }
        ErrorKind::Technical if err.is_unavailable() => {
            tracing::warn!(error = %err, "store unavailable");
            Status::unavailable("the store is unavailable; try again")
        }
        ErrorKind::Technical => {
            tracing::error!(error = %err, "technical failure");
            Status::internal("the server could not do this; see its log")
        }
    }
}

/// KurrentDB's answer to a read or append of a tombstoned stream.
pub fn stream_deleted(name: &str) -> Status {
    let mut status = Status::failed_precondition(format!("Event stream '{name}' is deleted."));
    status.metadata_mut().insert(
        "exception",
        tonic::metadata::MetadataValue::from_static("stream-deleted"),
    );
    if let Ok(value) = name.parse() {
        status.metadata_mut().insert("stream-name", value);
    }
    status
}
