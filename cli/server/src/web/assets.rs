//! The pages' stylesheet and script, compiled into the binary and served
//! from `/assets/`: nothing is fetched from elsewhere. htmx (Zero-Clause BSD
//! licence, by Big Sky Software) is its published `htmx.min.js`, unchanged.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::Server;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "kroonika.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/kroonika.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/htmx.min.js"),
    ),
];

pub(super) fn routes() -> Router<Server> {
    Router::new().route("/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, kind, bytes)) = FILES.iter().find(|(name, _, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = (*bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // Assets hold no personal data: a day in the browser's cache.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
