//! Errors as `application/problem+json` (RFC 9457), with the status chosen by
//! the kind of the application's error and its stable code, never its text:
//!
//! | status | when |
//! |---|---|
//! | 400 | the request itself is malformed: JSON that does not parse or has the wrong shape, a bad query or header (`malformed-request`) |
//! | 401 | no valid credentials (`unauthenticated`) |
//! | 403 | a denial (`denied`, recorded in the access log like the CLI's), or a cookie-authenticated write without its CSRF token (`csrf`) |
//! | 404 | an unknown case, process, actor, subject, token or route (`not-found`) |
//! | 409 | a version conflict (`conflict`, with `expected` and `current_version`); retrying after reading again may succeed |
//! | 413 | the body is larger than the server takes (`too-large`) |
//! | 422 | any other rejection, with its code (`guard-failed`, `invalid-input`, …) |
//! | 429 | sign-in locked (`locked-out`) or too many sign-in attempts from one address (`rate-limited`), with `Retry-After` |
//! | 500 | stored history is not what Kroonika wrote (`integrity-failure`), or a technical failure (`technical`) |
//! | 503 | the store cannot be reached, or the request took too long (`unavailable`, `timeout`) |
//!
//! The body: `type` (`urn:kroonika:problem:<code>`), `title`, `status`,
//! `detail` (the message, for people), `code` (for programs), and members a
//! code adds. Technical details stay in the server's log, never in a response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kroonika_app::{Error, ErrorKind};
use kroonika_engine::Code;
use serde::Serialize;
use serde_json::{Map, Value};

/// An error response.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    /// Members the code adds (a conflict's versions, a definition's diagnostics).
    pub extra: Map<String, Value>,
    pub retry_after: Option<u64>,
}

/// The body's shape, for the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// `urn:kroonika:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// Stable, for programs: a rejection code (`guard-failed`, `denied`, …) or
    /// one of the server's (`malformed-request`, `csrf`, `too-large`,
    /// `rate-limited`, `conflict`, `integrity-failure`, `technical`,
    /// `unavailable`, `timeout`).
    pub code: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            code: code.into(),
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn malformed(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "malformed-request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, Code::NotFound.as_str(), detail)
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Problem {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }
}

/// The status a rejection's code answers with.
pub fn status_of(code: Code) -> StatusCode {
    match code {
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Denied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::LockedOut => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<Error> for Problem {
    fn from(err: Error) -> Problem {
        match err.kind() {
            ErrorKind::Rejected => {
                let code = err.code().unwrap_or(Code::Rule);
                let problem = Problem::new(status_of(code), code.as_str(), err.to_string());
                if code == Code::LockedOut {
                    problem.retry_after(60)
                } else {
                    problem
                }
            }
            ErrorKind::Conflict => {
                let mut problem = Problem::new(StatusCode::CONFLICT, "conflict", err.to_string());
                if let Some((expected, actual)) = versions(&err) {
                    problem = problem
                        .with("expected", expected)
                        .with("current_version", actual);
                }
                problem
            }
            ErrorKind::Integrity => {
                tracing::error!(error = %err, "integrity failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "integrity-failure",
                    err.to_string(),
                )
            }
            ErrorKind::Technical => technical(&err),
        }
    }
}

/// A conflict's expected and actual versions.
fn versions(err: &Error) -> Option<(u64, u64)> {
    match err {
        Error::Conflict {
            expected, actual, ..
        } => Some((*expected, *actual)),
        Error::Context { source, .. } => versions(source),
        _ => None,
    }
}

/// A technical failure: the store unreachable (503) or anything else (500).
/// The message goes to the log; the response says only what kind it was,
/// unless it is a mistake in what the client sent.
fn technical(err: &Error) -> Problem {
    if err.is_unavailable() {
        tracing::error!(error = %err, "the store is unreachable");
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the store cannot be reached; try again shortly",
        )
        .retry_after(5);
    }
    if let Some(invalid) = invalid_input(err) {
        return Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input", invalid);
    }
    tracing::error!(error = %err, "request failed");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "technical",
        "the server could not complete the request; the failure is in its log",
    )
}

/// The message of an input no rule judged (a file that is no export, JSON that
/// is no event), which the client can act on.
fn invalid_input(err: &Error) -> Option<String> {
    match err {
        Error::Invalid(message) => Some(message.clone()),
        Error::Json(json) => Some(json.to_string()),
        Error::Context { source, .. } => invalid_input(source).map(|_| err.to_string()),
        _ => None,
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let mut body = Map::new();
        body.insert(
            "type".to_owned(),
            Value::from(format!("urn:kroonika:problem:{}", self.code)),
        );
        body.insert("title".to_owned(), Value::from(title));
        body.insert("status".to_owned(), Value::from(self.status.as_u16()));
        body.insert("detail".to_owned(), Value::from(self.detail));
        body.insert("code".to_owned(), Value::from(self.code));
        body.extend(self.extra);
        let mut response = (self.status, Value::Object(body).to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"kroonika\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
