//! Signing in and out. A person signs in with their name and password and
//! gets a session cookie (`HttpOnly`, `Secure`, `SameSite=Strict`) and the
//! CSRF token their page echoes on every change. Attempts are limited per
//! client address before any password is checked; the application counts
//! failures per name, slows them down and locks signing in for a while.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kroonika_app::auth::Via;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Body, tags};
use crate::Server;
use crate::caller::{Caller, session_cookie, set_cookie, signed_in_cookie};
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new().routes(routes!(sign_in, who, sign_out))
}

/// A name and password.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SignIn {
    actor: String,
    password: String,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Session {
    actor: String,
    roles: Vec<String>,
    /// `session` or `token`.
    via: String,
    /// For a session: what changes must echo in `X-CSRF-Token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
}

/// Signs in: a session cookie and the CSRF token. Wrong name or password is
/// a 401 (the same for both); locked, or too many attempts, a 429.
#[utoipa::path(post, path = "/api/v1/session", tag = tags::SESSION, request_body = SignIn,
    responses((status = 200, body = Session, headers(("Set-Cookie" = String, description = "kroonika_session"))),
        (status = 401, body = ProblemBody), (status = 429, body = ProblemBody)))]
async fn sign_in(
    State(server): State<Server>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Body(body): Body<SignIn>,
) -> Result<Response, Problem> {
    if let Err(wait) = server.sign_ins().attempt(client.ip()) {
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many sign-in attempts from this address; wait a minute",
        )
        .retry_after(wait));
    }
    let signed = server.app().sign_in(&body.actor, &body.password).await?;
    let cookie = signed_in_cookie(&server, &signed);
    let roles = server
        .app()
        .actor(&signed.actor)
        .await
        .map(|a| a.roles.into_iter().collect())
        .unwrap_or_default();
    let mut response = Json(Session {
        actor: signed.actor,
        roles,
        via: "session".to_owned(),
        csrf_token: Some(signed.csrf),
        expires_at: Some(signed.expires_at),
    })
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Who the credentials prove the caller is, with their roles (and, for a
/// session, the CSRF token).
#[utoipa::path(get, path = "/api/v1/session", tag = tags::SESSION,
    responses((status = 200, body = Session), (status = 401, body = ProblemBody)))]
async fn who(State(server): State<Server>, caller: Caller) -> Result<Json<Session>, Problem> {
    let actor = server.app().actor(&caller.principal.actor).await?;
    let (via, csrf_token) = match caller.principal.via {
        Via::Session { csrf, .. } => ("session", Some(csrf)),
        Via::Token { .. } => ("token", None),
    };
    Ok(Json(Session {
        actor: actor.name,
        roles: actor.roles.into_iter().collect(),
        via: via.to_owned(),
        csrf_token,
        expires_at: None,
    }))
}

/// Signs out: the session ends and its cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = tags::SESSION,
    responses((status = 204), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn sign_out(
    State(server): State<Server>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if let Some(secret) = session_cookie(&headers) {
        server.app().sign_out(&secret).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(None, 0));
    Ok(response)
}
