//! For auditors: the audit trail, the access log, the log's head, verifying
//! the whole log, the raw log, and an export (the whole log as JSON Lines,
//! streamed as it is read).

use std::io::Write;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kroonika_app::Day;
use kroonika_app::audit::{TrailFilter, TrailTime};
use kroonika_app::log::LogQuery;
use kroonika_engine::StreamName;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Query, tags, time};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn quick() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(trail))
        .routes(routes!(access))
        .routes(routes!(head))
        .routes(routes!(log))
}

pub(super) fn long() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(verify))
        .routes(routes!(export))
}

/// Which acts the trail shows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrailParams {
    /// Only this case (reference or id).
    case: Option<String>,
    /// Only what this actor did.
    by: Option<String>,
    /// Recorded at or after (RFC 3339, or a date: its start).
    from: Option<String>,
    /// Recorded at or before (RFC 3339, or a date: its end).
    to: Option<String>,
    /// `recorded` (default) or `occurred`: which time `from` and `to` judge.
    time: Option<String>,
    /// At most this many rows (the answer's `total` counts all).
    limit: Option<usize>,
    /// Skip this many rows first.
    offset: Option<usize>,
}

/// Rows, each as the CLI's `--format json` prints them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rows {
    #[schema(value_type = Vec<Object>)]
    rows: Vec<Value>,
    /// How many rows match in all, where the answer is a page.
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<usize>,
}

/// Who did what, when, under which definition version (auditors).
#[utoipa::path(get, path = "/api/v1/audit/trail", tag = tags::AUDIT, params(TrailParams),
    responses((status = 200, body = Rows), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn trail(
    State(server): State<Server>,
    caller: Caller,
    Query(params): Query<TrailParams>,
) -> Result<Json<Rows>, Problem> {
    let which = match params.time.as_deref() {
        None | Some("recorded") => TrailTime::Recorded,
        Some("occurred") => TrailTime::Occurred,
        Some(other) => {
            return Err(Problem::malformed(format!(
                "time '{other}' is neither 'recorded' nor 'occurred'"
            )));
        }
    };
    let filter = TrailFilter {
        case: params.case,
        by: params.by,
        from: time(params.from.as_deref(), "from", Day::Start)?,
        to: time(params.to.as_deref(), "to", Day::End)?,
        time: which,
        offset: params.offset.unwrap_or(0),
        limit: params.limit,
    };
    let trail = server.app().trail(&caller.request, &filter).await?;
    Ok(Json(Rows {
        rows: trail.rows.iter().map(|r| r.to_json()).collect(),
        total: Some(trail.total),
    }))
}

/// Whose access to look at.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AccessParams {
    /// Only readings of this data subject (an id, or CASE/NAME).
    subject: Option<String>,
    /// Only what this actor read or was refused.
    by: Option<String>,
    /// Only this case.
    case: Option<String>,
}

/// Who read personal data in the clear and why, and who was refused (auditors).
#[utoipa::path(get, path = "/api/v1/audit/access", tag = tags::AUDIT, params(AccessParams),
    responses((status = 200, body = Rows), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn access(
    State(server): State<Server>,
    caller: Caller,
    Query(params): Query<AccessParams>,
) -> Result<Json<Rows>, Problem> {
    let rows = server
        .app()
        .access_log(
            &caller.request,
            params.subject.as_deref(),
            params.by.as_deref(),
            params.case.as_deref(),
        )
        .await?;
    Ok(Json(Rows {
        rows: rows.iter().map(|r| r.to_json()).collect(),
        total: None,
    }))
}

/// The log's last position and hash, to write down outside the system.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Head {
    position: u64,
    /// Hex SHA-256 (null for an event from before the chain).
    hash: Option<String>,
    recorded_at: Option<chrono::DateTime<chrono::Utc>>,
    store_id: String,
}

/// The log's head (auditors).
#[utoipa::path(get, path = "/api/v1/audit/head", tag = tags::AUDIT,
    responses((status = 200, body = Head), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn head(State(server): State<Server>, caller: Caller) -> Result<Json<Head>, Problem> {
    let head = server.app().head(&caller.request).await?;
    Ok(Json(match head {
        Some(head) => Head {
            position: head.position,
            hash: head.hash.map(|h| kroonika_app::hash_to_hex(&h)),
            recorded_at: Some(head.recorded_at),
            store_id: head.store_id,
        },
        None => Head {
            position: 0,
            hash: None,
            recorded_at: None,
            store_id: server.app().store_id().await?,
        },
    }))
}

/// A head written down earlier, to prove it is still in the log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Against {
    /// The 64 hex digits `audit head` gave.
    against: Option<String>,
    /// Also fold the projections and wake-ups again and compare them with
    /// the stored ones (`audit verify --derived`).
    #[serde(default)]
    derived: bool,
}

/// Verifies the whole log (auditors): the hash chain, every event against
/// the rules it claims, that a head written down earlier is still in it,
/// and with `derived=true` the stored projections and wake-ups.
/// The answer is the verdict (`verified` false on any break or finding).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = tags::AUDIT, params(Against),
    responses((status = 200, body = Object, description = "The verdict, as `audit verify --format json`"),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn verify(
    State(server): State<Server>,
    caller: Caller,
    Query(params): Query<Against>,
) -> Result<Json<Value>, Problem> {
    let against = match &params.against {
        Some(text) => Some(kroonika_app::hash_from_hex(text).ok_or_else(|| {
            Problem::malformed(format!(
                "against takes the 64 hex digits the head gave; '{text}' is not one"
            ))
        })?),
        None => None,
    };
    let verified = server
        .app()
        .verify(
            &caller.request,
            &kroonika_app::audit::Expected {
                against,
                derived: params.derived,
                ..Default::default()
            },
            &mut |_| {},
        )
        .await?;
    Ok(Json(verified.to_json()))
}

/// Which events to read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LogParams {
    /// One stream, by name.
    stream: Option<String>,
    /// One category (when no stream is named).
    category: Option<String>,
    /// From this position (a stream: revision), inclusive.
    from: Option<u64>,
    /// Newest first.
    #[serde(default)]
    backwards: bool,
    /// At most this many (1 to 1000; 100 if not given).
    limit: Option<usize>,
}

/// Events of the log, in order (auditors).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Events {
    #[schema(value_type = Vec<Object>)]
    events: Vec<Value>,
}

/// The raw log: every event as `kroonika log --format json` prints it (auditors).
#[utoipa::path(get, path = "/api/v1/log", tag = tags::AUDIT, params(LogParams),
    responses((status = 200, body = Events), (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)))]
async fn log(
    State(server): State<Server>,
    caller: Caller,
    Query(params): Query<LogParams>,
) -> Result<Json<Events>, Problem> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::malformed("limit takes 1 to 1000"));
    }
    let stream = params
        .stream
        .as_deref()
        .map(StreamName::new)
        .transpose()
        .map_err(|err| Problem::malformed(err.to_string()))?;
    let query = LogQuery {
        stream,
        category: params.category,
        from: params.from,
        backwards: params.backwards,
        limit,
    };
    let events = server.app().read_log(&caller.request, &query).await?;
    Ok(Json(Events {
        events: events.iter().map(kroonika_app::log::event_json).collect(),
    }))
}

/// The whole log as JSON Lines, as `kroonika export` writes it (auditors):
/// every event with its hash, personal data as ciphertext, then the wrapped
/// subject keys. Streamed as it is read.
#[utoipa::path(get, path = "/api/v1/export", tag = tags::AUDIT,
    responses((status = 200, body = String, content_type = "application/x-ndjson"),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn export(State(server): State<Server>, caller: Caller) -> Result<Response, Problem> {
    // Refused before anything is streamed.
    server.app().head(&caller.request).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let app = server.app().clone();
    tokio::spawn(async move {
        let mut sink = Chunks {
            buffer: Vec::with_capacity(CHUNK),
            sender: sender.clone(),
        };
        let done = app
            .export(&caller.request, &mut sink, &mut |_, _| {})
            .await
            .map_err(|err| std::io::Error::other(err.to_string()))
            .and_then(|_| sink.flush());
        if let Err(err) = done {
            tracing::error!(error = %err, "the export stopped part-way");
            // The client sees the body end in an error, not a short file.
            let _ = sender.send(Err(err)).await;
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"kroonika-export.jsonl\""),
    );
    Ok(response)
}

const CHUNK: usize = 64 * 1024;

/// The export's sink: fills chunks and hands each to the response as it
/// fills, waiting (off the async threads) while the client is slow.
struct Chunks {
    buffer: Vec<u8>,
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        let sender = &self.sender;
        tokio::task::block_in_place(|| sender.blocking_send(Ok(chunk)))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}
