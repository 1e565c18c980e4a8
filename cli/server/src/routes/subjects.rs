//! A person's rights over their data: the subject access export, for the
//! administrators and the roles a definition's `privacy: export` names. The
//! person is named in the body, never the address (a name in a URL ends up
//! in logs); the answer holds personal data, so it is never cached.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kroonika_app::subject::SubjectQuery;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Body, tags};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new().routes(routes!(subject_access))
}

/// Whose data, why, and in which form.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SubjectAccess {
    /// Subjects by id or as `CASE/NAME`.
    #[serde(default)]
    subjects: Vec<String>,
    /// A name to find the person's cases by (through the search index).
    name: Option<String>,
    /// Why (recorded in the access log).
    purpose: String,
    /// `et` (default) or `en`: the words of the export.
    lang: Option<String>,
    /// `json` (default) or `html` (the person's page).
    format: Option<String>,
}

/// Everything the cases hold about one person, and who has seen it (GDPR
/// art. 15): recorded in the access log with its purpose before it is sent.
#[utoipa::path(post, path = "/api/v1/subjects/access", tag = tags::CASES, request_body = SubjectAccess,
    responses((status = 200, description = "The export: JSON, or the person's page (text/html)", body = Object),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn subject_access(
    State(server): State<Server>,
    caller: Caller,
    Body(body): Body<SubjectAccess>,
) -> Result<Response, Problem> {
    let lang = match body.lang.as_deref() {
        None | Some("et") => "et",
        Some("en") => "en",
        Some(other) => {
            return Err(Problem::malformed(format!(
                "lang '{other}' is neither 'et' nor 'en'"
            )));
        }
    };
    let html = match body.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(other) => {
            return Err(Problem::malformed(format!(
                "format '{other}' is neither 'json' nor 'html'"
            )));
        }
    };
    let query = SubjectQuery {
        subjects: body.subjects,
        name: body.name,
        purpose: body.purpose,
        lang: lang.to_owned(),
    };
    let export = server.app().subject_access(&caller.request, &query).await?;
    let mut response = if html {
        let mut page = kroonika_app::subject::html(&export).into_response();
        page.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        page
    } else {
        Json(export).into_response()
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
