//! Documents produced from a case (the agreement, the report to the
//! authority, an information sheet): which ones the caller may produce now,
//! and producing one as a printable HTML page. One call into the application
//! each; producing is a command (recorded in the case, and in the access log
//! where it prints names), so it is a POST with an optional command id.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use kroonika_app::{DocumentAsk, DocumentOffer};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Body, Path, Query, tags};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

const REFERENCE: &str = "The case reference (or id)";

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(document_offers))
        .routes(routes!(produce_document))
}

/// In which language the titles are.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct OffersQuery {
    /// `et` (default) or `en`.
    #[serde(default)]
    lang: Option<String>,
}

/// The documents the caller may produce on the case now (by its state and
/// their roles), with the languages each is written in and whom it may be
/// addressed to.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/documents", tag = tags::CASES,
    params(("reference" = String, Path, description = REFERENCE), OffersQuery),
    responses((status = 200, body = Vec<DocumentOffer>), (status = 401, body = ProblemBody),
        (status = 404, body = ProblemBody)))]
async fn document_offers(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(query): Query<OffersQuery>,
) -> Result<Json<Vec<DocumentOffer>>, Problem> {
    let lang = match query.lang.as_deref() {
        None | Some("et") => "et",
        Some("en") => "en",
        Some(other) => {
            return Err(Problem::malformed(format!(
                "lang '{other}' is neither 'et' nor 'en'"
            )));
        }
    };
    Ok(Json(
        server
            .app()
            .document_offers(&caller.request, &reference, lang)
            .await?,
    ))
}

/// Which document to produce, in which language, for whom.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Produce {
    /// `et` (default), `ru` or `en`.
    #[serde(default)]
    language: Option<String>,
    /// A subject of the case (`victim`) or a partner field (`referred_by`).
    #[serde(default)]
    to: Option<String>,
}

/// Produces a document from the case as one self-contained printable HTML
/// page and records it in the case (which template, which language, for
/// whom); a document that prints names is also recorded in the access log.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/documents/{document}", tag = tags::CASES, request_body = Produce,
    params(("reference" = String, Path, description = REFERENCE),
        ("document" = String, Path, description = "The document's id in the definition"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, content_type = "text/html", body = String, description = "The page"),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn produce_document(
    State(server): State<Server>,
    caller: Caller,
    Path((reference, document)): Path<(String, String)>,
    Body(body): Body<Produce>,
) -> Result<Response, Problem> {
    let ask = DocumentAsk {
        document,
        language: body.language.unwrap_or_else(|| "et".to_owned()),
        to: body.to,
    };
    let produced = server
        .app()
        .produce_document(&caller.request, &reference, &ask)
        .await?;
    let mut response = Html(produced.html).into_response();
    let headers = response.headers_mut();
    if let Ok(value) =
        HeaderValue::from_str(&format!("inline; filename=\"{}\"", produced.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&produced.template) {
        headers.insert("x-kroonika-template", value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
