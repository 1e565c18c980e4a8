//! The server and its store: liveness (no credentials needed), what the store
//! is, and how far each projection has read.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Path, tags};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(status))
        .routes(routes!(projections))
        .routes(routes!(run_timers))
        .routes(routes!(run_retention))
}

/// The chores that read the whole log: a longer time limit.
pub(super) fn long() -> OpenApiRouter<Server> {
    OpenApiRouter::new().routes(routes!(rebuild))
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`, or `unavailable` when the store cannot be reached.
    status: String,
}

/// Whether the server runs and reaches its store (no credentials needed; says
/// nothing about what the store holds).
#[utoipa::path(get, path = "/healthz", tag = tags::SYSTEM,
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(server): State<Server>) -> Response {
    match server.app().status().await {
        Ok(_) => Json(Health {
            status: "ok".to_owned(),
        })
        .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: the store is unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable".to_owned(),
                }),
            )
                .into_response()
        }
    }
}

/// What the store is and how much it holds.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Status {
    backend: String,
    schema_version: i64,
    store_id: String,
    created_at: String,
    /// The number of events.
    events: u64,
    /// This server's group commit so far: transactions committed by its
    /// writer, and the writes they held (more writes than groups: commands
    /// that arrived together shared a commit).
    group_commit: GroupCommit,
}

/// Group commit's figures.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupCommit {
    groups: u64,
    writes: u64,
}

/// The store's details (any registered actor).
#[utoipa::path(get, path = "/api/v1/status", tag = tags::SYSTEM,
    responses((status = 200, body = Status), (status = 401, body = ProblemBody)))]
async fn status(State(server): State<Server>, _caller: Caller) -> Result<Json<Status>, Problem> {
    let status = server.app().status().await?;
    Ok(Json(Status {
        backend: status.backend.to_owned(),
        schema_version: status.schema_version,
        store_id: status.store_id,
        created_at: status.created_at,
        events: status.head,
        group_commit: GroupCommit {
            groups: status.groups.groups,
            writes: status.groups.writes,
        },
    }))
}

/// How far a projection has read.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Projection {
    name: String,
    position: u64,
    behind: u64,
    /// Why it stopped, if it did.
    error: Option<String>,
}

/// Every projection's progress (any registered actor).
#[utoipa::path(get, path = "/api/v1/projections", tag = tags::SYSTEM,
    responses((status = 200, body = Vec<Projection>), (status = 401, body = ProblemBody)))]
async fn projections(
    State(server): State<Server>,
    _caller: Caller,
) -> Result<Json<Vec<Projection>>, Problem> {
    let rows = server.app().projection_status().await?;
    Ok(Json(
        rows.into_iter()
            .map(|p| Projection {
                behind: p.behind(),
                name: p.name,
                position: p.position,
                error: p.error,
            })
            .collect(),
    ))
}

/// What a run of the deadlines did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TimerRun {
    /// Cases acted on.
    handled: usize,
    /// What was recorded, in words: `{reference, event}`.
    recorded: Vec<Done>,
    /// Cases that could not be handled, and why.
    failed: Vec<Done>,
}

/// One case's line in a run.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Done {
    case: String,
    what: String,
}

/// Handles every deadline due now, at once rather than at the background
/// service's next minute (administrators). Safe beside the background service
/// and other servers: each deadline is handled once.
#[utoipa::path(post, path = "/api/v1/timers/run", tag = tags::SYSTEM,
    responses((status = 200, body = TimerRun), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn run_timers(
    State(server): State<Server>,
    caller: Caller,
) -> Result<Json<TimerRun>, Problem> {
    server
        .app()
        .may_administer(&caller.request, "run the timers")
        .await?;
    let run = server.app().run_timers(None).await?;
    Ok(Json(TimerRun {
        handled: run.handled,
        recorded: run
            .recorded
            .iter()
            .map(|(case, event)| Done {
                case: case.clone(),
                what: kroonika_app::cases::describe(event),
            })
            .collect(),
        failed: run
            .failed
            .iter()
            .map(|(case, err)| Done {
                case: case.clone(),
                what: err.to_string(),
            })
            .collect(),
    }))
}

/// Erases the subjects of every case closed longer ago than its definition
/// keeps it, unless held, now rather than at the daily run, recorded as the
/// caller (who needs the definitions' erasure role).
#[utoipa::path(post, path = "/api/v1/retention/run", tag = tags::SYSTEM,
    responses((status = 200, body = Vec<Done>), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn run_retention(
    State(server): State<Server>,
    caller: Caller,
) -> Result<Json<Vec<Done>>, Problem> {
    let rows = server
        .app()
        .run_retention(Some(&caller.request.actor), None)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| Done {
                case: row.case,
                what: format!("{}: {}", row.action, row.detail),
            })
            .collect(),
    ))
}

/// Rebuilds a projection from the first event and swaps it in atomically
/// (administrators); readers see the old one until then.
#[utoipa::path(post, path = "/api/v1/projections/{name}/rebuild", tag = tags::SYSTEM,
    params(("name" = String, Path, description = "The projection")),
    responses((status = 200, body = Projection), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)))]
async fn rebuild(
    State(server): State<Server>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Projection>, Problem> {
    let folds = kroonika_app::App::folds(Some(&name))?;
    server
        .app()
        .may_administer(&caller.request, "rebuild a projection")
        .await?;
    server.app().rebuild(&folds, &mut |_| {}).await?;
    let row = server
        .app()
        .projection_status()
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Problem::not_found(format!("there is no projection '{name}'")))?;
    Ok(Json(Projection {
        behind: row.behind(),
        name: row.name,
        position: row.position,
        error: row.error,
    }))
}
