//! The API, one file per area. Every handler is declared once, with its
//! `#[utoipa::path]`, and registered with `routes!`: the router and the
//! OpenAPI document are made from the same list, so no route can be served
//! without being documented.
//!
//! Extractors here turn what axum refuses into problems: a body that is not
//! JSON or has the wrong shape is a 400, a body over the limit a 413, a body
//! that is not `application/json` a 415.

mod audit;
mod cases;
mod definitions;
mod directory;
mod documents;
pub(crate) mod reports;
mod session;
mod subjects;
mod system;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

use crate::Server;
use crate::problem::Problem;

/// The routes answered within the ordinary time limit.
pub(crate) fn quick() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .merge(session::routes())
        .merge(cases::routes())
        .merge(documents::routes())
        .merge(definitions::routes())
        .merge(directory::routes())
        .merge(audit::quick())
        .merge(system::routes())
}

/// The routes that read the whole log (verification, export, reports): a
/// longer time limit.
pub(crate) fn long() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .merge(audit::long())
        .merge(reports::routes())
        .merge(system::long())
        .merge(subjects::routes())
}

/// A JSON body. An empty body reads as `{}` (so a command with nothing to say
/// needs no body); anything else must be `application/json`.
#[derive(Debug)]
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json") || t.contains("+json"));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|err| body_problem(err.status(), &err.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return serde_json::from_str("{}").map(Body).map_err(|err| {
                Problem::malformed(format!("the request needs a JSON body: {err}"))
            });
        }
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "malformed-request",
                "send the body as JSON, with Content-Type: application/json",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|err| Problem::malformed(format!("the body is not the JSON expected: {err}")))
    }
}

/// A text body (a definition's YAML).
#[derive(Debug)]
pub(crate) struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|err| body_problem(err.status(), &err.body_text()))?;
        String::from_utf8(bytes.to_vec())
            .map(Text)
            .map_err(|_| Problem::malformed("the body is not UTF-8 text"))
    }
}

fn body_problem(status: StatusCode, text: &str) -> Problem {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "the body is larger than this server takes",
        )
    } else {
        Problem::malformed(format!("the body cannot be read: {text}"))
    }
}

/// Query parameters, a 400 when they do not read.
#[derive(Debug)]
pub(crate) struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|err| Problem::malformed(err.body_text()))
    }
}

/// Path parameters, a 400 when they do not read.
#[derive(Debug)]
pub(crate) struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|err| Problem::malformed(err.body_text()))
    }
}

/// A time a client gives (RFC 3339 or a date), as the application reads it.
pub(crate) fn time(
    text: Option<&str>,
    name: &str,
    day: kroonika_app::Day,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
    text.map(|t| kroonika_app::time::parse(t, name, day))
        .transpose()
        .map_err(Problem::from)
}

/// The tags the document groups routes by.
pub(crate) mod tags {
    pub const SESSION: &str = "session";
    pub const CASES: &str = "cases";
    pub const DEFINITIONS: &str = "definitions";
    pub const REPORTS: &str = "reports";
    pub const AUDIT: &str = "audit";
    pub const DIRECTORY: &str = "directory";
    pub const SYSTEM: &str = "system";
}
