//! The OpenAPI 3.1 document, generated from the handlers' own declarations
//! (`routes/`), and the router made from the same declarations, with the
//! server's middleware around it.

use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, SecurityRequirement};
use utoipa::{Modify, OpenApi};

use crate::Server;
use crate::problem::Problem;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kroonika",
        description = "The HTTP API of `kroonika serve`: case workflows for victim support, every change an event in a hash-chained log. Authenticate with a bearer token (`kroonika token issue`) or a session (`POST /api/v1/session`; changes then need `X-CSRF-Token`). Errors are `application/problem+json` with a stable `code`.",
        license(name = "EUPL-1.2")
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "cases", description = "Cases and their steps"),
        (name = "definitions", description = "Process definitions"),
        (name = "reports", description = "Reports"),
        (name = "audit", description = "For auditors: the whole log"),
        (name = "directory", description = "For administrators: actors, passwords, tokens"),
        (name = "system", description = "The server and its store")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("kroonika_<id>_<secret>")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::caller::COOKIE))),
        );
        // Liveness, signing in and the document itself need no credentials.
        if let Some(item) = doc.paths.paths.get_mut("/healthz")
            && let Some(op) = item.get.as_mut()
        {
            op.security = Some(vec![SecurityRequirement::default()]);
        }
        if let Some(item) = doc.paths.paths.get_mut("/api/v1/session")
            && let Some(op) = item.post.as_mut()
        {
            op.security = Some(vec![SecurityRequirement::default()]);
        }
    }
}

/// The document and the routes, made from the same declarations.
pub fn document_and_router(server: &Server) -> (Document, Router) {
    let limits = server.limits().clone();
    let (quick, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::quick())
        .split_for_parts();
    let (long, long_doc) = routes::long().split_for_parts();
    let long = long.merge(crate::web::long_routes());
    // The web application's pages, within the ordinary time limit.
    let quick = quick.merge(crate::web::routes());
    let mut doc = doc;
    doc.merge(long_doc);
    Security.modify(&mut doc);
    let quick = quick.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(timed_out))
            .timeout(limits.timeout),
    );
    let long = long.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(timed_out))
            .timeout(limits.long_timeout),
    );
    let document = doc.clone();
    let router = quick
        .merge(long)
        .route(
            "/openapi.json",
            get(move || {
                let doc = document.clone();
                async move { axum::Json(doc) }
            }),
        )
        .fallback(|| async {
            Problem::not_found("there is no such route; GET /openapi.json lists them")
        })
        .with_state(server.clone())
        .layer(DefaultBodyLimit::max(limits.body))
        .layer(middleware::from_fn(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    // The route's template, never the path or query (which
                    // may name a case or carry a search).
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("-", MatchedPath::as_str)
                        .to_owned();
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_request(())
                .on_response(
                    |response: &Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            ms = latency.as_millis() as u64,
                            "answered"
                        );
                    },
                ),
        )
        .layer(tower::limit::ConcurrencyLimitLayer::new(limits.concurrency))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "technical",
                "the server failed on this request; the failure is in its log",
            )
            .into_response()
        }));
    (doc, router)
}

/// Past the time limit the answer is a 503 (what was committed before stays
/// committed; a retry with the same Idempotency-Key returns it).
async fn timed_out(_: tower::BoxError) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "the request took too long; what was committed stays, and a retry with the same Idempotency-Key returns it",
    )
}

/// Headers every answer carries: nothing is cached (answers hold personal
/// data), sniffed, framed or allowed to load from elsewhere.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    response
}
