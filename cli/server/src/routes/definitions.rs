//! Process definitions: the published ones, one version's text, checking a
//! text (the located diagnostics as JSON), publishing, the diagram, and what
//! moving open cases to a version would do.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kroonika_app::definitions::Publishing;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Path, Query, Text, tags};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(list_definitions, publish))
        .routes(routes!(check))
        .routes(routes!(show_definition))
        .routes(routes!(graph))
        .routes(routes!(migrations))
        .routes(routes!(definition_schema))
}

/// The JSON Schema of the definition language, for an editor's completion
/// (what `kroonika def schema` prints; any registered actor).
#[utoipa::path(get, path = "/api/v1/definition-schema", tag = tags::DEFINITIONS,
    responses((status = 200, body = Object), (status = 401, body = ProblemBody)))]
async fn definition_schema(_caller: Caller) -> Json<Value> {
    Json(kroonika_processes::schema::json_schema())
}

/// One published version.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Definition {
    process: String,
    version: u32,
    title: String,
    /// `sha256:` and the hex SHA-256 of the text.
    content_hash: String,
    published_at: DateTime<Utc>,
    published_by: String,
    /// The definition's YAML (only when one version is asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

fn definition(published: &kroonika_app::registry::Published, source: bool) -> Definition {
    let p = &published.publication;
    Definition {
        process: p.process.clone(),
        version: p.version,
        title: p.title.clone(),
        content_hash: p.content_hash.clone(),
        published_at: published.recorded_at,
        published_by: published.by.clone(),
        source: source.then(|| p.source.clone()),
    }
}

/// The latest version of every published process.
#[utoipa::path(get, path = "/api/v1/definitions", tag = tags::DEFINITIONS,
    responses((status = 200, body = Vec<Definition>), (status = 401, body = ProblemBody)))]
async fn list_definitions(
    State(server): State<Server>,
    _caller: Caller,
) -> Result<Json<Vec<Definition>>, Problem> {
    let latest = server.app().published().await?;
    Ok(Json(latest.iter().map(|p| definition(p, false)).collect()))
}

/// Which version.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Version {
    /// A version number (the latest if not given).
    version: Option<u32>,
}

/// One version of a process, with its text.
#[utoipa::path(get, path = "/api/v1/definitions/{process}", tag = tags::DEFINITIONS,
    params(("process" = String, Path, description = "The process id"), Version),
    responses((status = 200, body = Definition), (status = 401, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn show_definition(
    State(server): State<Server>,
    _caller: Caller,
    Path(process): Path<String>,
    Query(query): Query<Version>,
) -> Result<Json<Definition>, Problem> {
    let published = server
        .app()
        .published_version(&process, query.version)
        .await?;
    Ok(Json(definition(&published, true)))
}

/// What checking a definition found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Checked {
    errors: usize,
    warnings: usize,
    /// Each with its place (line, column, byte span), code, message and help.
    #[schema(value_type = Vec<Object>)]
    diagnostics: Vec<Value>,
}

fn checked(source: &str) -> (Checked, bool) {
    let result = kroonika_processes::check(source);
    let count = |severity| {
        result
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let errors = count(kroonika_processes::Severity::Error);
    (
        Checked {
            errors,
            warnings: count(kroonika_processes::Severity::Warning),
            diagnostics: result
                .diagnostics
                .iter()
                .map(|d| d.to_json("definition", source))
                .collect(),
        },
        errors > 0,
    )
}

/// Checks a definition (the YAML as the body) without publishing it: every
/// problem with its place, in plain language.
#[utoipa::path(post, path = "/api/v1/definitions/check", tag = tags::DEFINITIONS,
    request_body(content = String, content_type = "application/yaml"),
    responses((status = 200, body = Checked), (status = 401, body = ProblemBody)))]
async fn check(_caller: Caller, Text(source): Text) -> Result<Json<Checked>, Problem> {
    Ok(Json(checked(&source).0))
}

/// What publishing came to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Published {
    process: String,
    version: u32,
    /// False: the text is the latest version's already.
    changed: bool,
}

/// Publishes a definition (the YAML as the body) as its process's next
/// version (service owners and administrators). One with errors is refused
/// (422, with the diagnostics).
#[utoipa::path(post, path = "/api/v1/definitions", tag = tags::DEFINITIONS,
    request_body(content = String, content_type = "application/yaml"), params(PublishQuery),
    responses((status = 201, body = Published), (status = 200, body = Published, description = "Unchanged"),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn publish(
    State(server): State<Server>,
    caller: Caller,
    Query(query): Query<PublishQuery>,
    Text(source): Text,
) -> Result<Response, Problem> {
    let published = server
        .app()
        .publish(&caller.request, &source, query.force)
        .await
        .map_err(|err| {
            let mut problem = Problem::from(err);
            if problem.code == kroonika_engine::Code::InvalidDefinition.as_str() {
                let (found, _) = checked(&source);
                problem = problem.with(
                    "diagnostics",
                    serde_json::to_value(found.diagnostics).unwrap_or_default(),
                );
            }
            problem
        })?;
    Ok(match published {
        Publishing::New {
            process, version, ..
        } => (
            StatusCode::CREATED,
            Json(Published {
                process,
                version,
                changed: true,
            }),
        )
            .into_response(),
        Publishing::Unchanged { process, version } => Json(Published {
            process,
            version,
            changed: false,
        })
        .into_response(),
    })
}

/// Publishing options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PublishQuery {
    /// Publish the text of an older version again as the newest (a revert).
    #[serde(default)]
    force: bool,
}

/// The diagram's format and version.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct GraphQuery {
    /// `mermaid` (the default), `dot`, or `svg` (a drawing, `image/svg+xml`).
    format: Option<String>,
    /// A version number (the latest if not given).
    version: Option<u32>,
}

/// A published version as a diagram: Mermaid (renders on GitHub and GitLab
/// as it is) or Graphviz DOT, as text, or an SVG drawing.
#[utoipa::path(get, path = "/api/v1/definitions/{process}/graph", tag = tags::DEFINITIONS,
    params(("process" = String, Path, description = "The process id"), GraphQuery),
    responses((status = 200, content((String = "text/plain"), (String = "image/svg+xml"))), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn graph(
    State(server): State<Server>,
    _caller: Caller,
    Path(process): Path<String>,
    Query(query): Query<GraphQuery>,
) -> Result<Response, Problem> {
    let published = server
        .app()
        .published_version(&process, query.version)
        .await?;
    let definition = published.definition()?;
    let (text, content_type) = match query.format.as_deref().unwrap_or("mermaid") {
        "mermaid" => (
            kroonika_processes::graph::mermaid(&definition),
            "text/plain; charset=utf-8",
        ),
        "dot" => (
            kroonika_processes::graph::dot(&definition),
            "text/plain; charset=utf-8",
        ),
        "svg" => (
            kroonika_processes::graph::svg(&definition),
            "image/svg+xml; charset=utf-8",
        ),
        other => {
            return Err(Problem::malformed(format!(
                "format takes mermaid, dot or svg, got '{other}'"
            )));
        }
    };
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// To which version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ToVersion {
    to_version: u32,
}

/// One open case and what moving it would do.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Migration {
    case: String,
    version: u32,
    state: String,
    /// `automatic`, `needs mapping` or `cannot`.
    verdict: String,
    detail: String,
}

/// What moving each open case of a process to a version would do.
#[utoipa::path(get, path = "/api/v1/definitions/{process}/migrations", tag = tags::DEFINITIONS,
    params(("process" = String, Path, description = "The process id"), ToVersion),
    responses((status = 200, body = Vec<Migration>), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)))]
async fn migrations(
    State(server): State<Server>,
    caller: Caller,
    Path(process): Path<String>,
    Query(query): Query<ToVersion>,
) -> Result<Json<Vec<Migration>>, Problem> {
    let rows = server
        .app()
        .migrations(&caller.request, &process, query.to_version)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| Migration {
                case: r.case,
                version: r.version,
                state: r.state,
                verdict: r.verdict.to_owned(),
                detail: r.detail,
            })
            .collect(),
    ))
}
