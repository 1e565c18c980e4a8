//! For administrators: actors and their roles, passwords, and programs'
//! bearer tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kroonika_app::auth::{TokenInfo, parse_lifetime};
use kroonika_engine::actors::{Actor as Directory, ActorCommand};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Body, Path, Query, tags};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(list_actors, register_actor))
        .routes(routes!(grant_role, revoke_role))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(set_region))
        .routes(routes!(set_password))
        .routes(routes!(list_tokens, issue_token))
        .routes(routes!(revoke_token))
}

/// An actor and their roles.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Actor {
    name: String,
    roles: Vec<String>,
    /// False while deactivated (answers only; ignored in a registration).
    #[serde(default = "yes")]
    active: bool,
    /// Why the actor was deactivated, while they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deactivated: Option<String>,
    /// The region they work in (a regional lead sees that region's overdue
    /// cases); absent: every region (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    /// Roles cases' profiles give them (a volunteer's onboarding), besides
    /// `roles` (answers only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    profile_roles: Vec<String>,
    /// When the actor last had anything recorded (in the list only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_active: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

fn actor(directory: &Directory) -> Actor {
    Actor {
        name: directory.name.clone(),
        roles: directory.roles.iter().cloned().collect(),
        active: directory.is_active(),
        deactivated: directory.deactivated.clone(),
        region: directory.region.clone(),
        profile_roles: directory
            .profile_roles()
            .into_iter()
            .map(|(role, _)| role.to_owned())
            .collect(),
        last_active: None,
    }
}

/// Whether a registration or grant may give a role no published definition
/// declares.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub(crate) struct Force {
    #[serde(default)]
    force: bool,
}

/// Why an actor is deactivated.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Deactivation {
    reason: String,
}

/// Every registered actor (administrators).
#[utoipa::path(get, path = "/api/v1/actors", tag = tags::DIRECTORY,
    responses((status = 200, body = Vec<Actor>), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn list_actors(
    State(server): State<Server>,
    caller: Caller,
) -> Result<Json<Vec<Actor>>, Problem> {
    let actors = server.app().list_actors(&caller.request).await?;
    Ok(Json(
        actors
            .iter()
            .map(|row| Actor {
                last_active: row.last_active,
                ..actor(&row.actor)
            })
            .collect(),
    ))
}

/// Registers an actor with roles (administrators).
#[utoipa::path(post, path = "/api/v1/actors", tag = tags::DIRECTORY, request_body = Actor, params(Force),
    responses((status = 201, body = Actor), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn register_actor(
    State(server): State<Server>,
    caller: Caller,
    Query(force): Query<Force>,
    Body(body): Body<Actor>,
) -> Result<Response, Problem> {
    let done = server
        .app()
        .administer(
            &caller.request,
            &ActorCommand::Register {
                name: body.name,
                roles: body.roles,
            },
            force.force,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(actor(&done.actor))).into_response())
}

/// Gives an actor a role (administrators).
#[utoipa::path(put, path = "/api/v1/actors/{name}/roles/{role}", tag = tags::DIRECTORY,
    params(("name" = String, Path, description = "The actor"), ("role" = String, Path, description = "The role"), Force),
    responses((status = 200, body = Actor), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn grant_role(
    State(server): State<Server>,
    caller: Caller,
    Path((name, role)): Path<(String, String)>,
    Query(force): Query<Force>,
) -> Result<Json<Actor>, Problem> {
    let done = server
        .app()
        .administer(
            &caller.request,
            &ActorCommand::Grant { name, role },
            force.force,
        )
        .await?;
    Ok(Json(actor(&done.actor)))
}

/// Takes a role from an actor (administrators; not one's own `admin`).
#[utoipa::path(delete, path = "/api/v1/actors/{name}/roles/{role}", tag = tags::DIRECTORY,
    params(("name" = String, Path, description = "The actor"), ("role" = String, Path, description = "The role")),
    responses((status = 200, body = Actor), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn revoke_role(
    State(server): State<Server>,
    caller: Caller,
    Path((name, role)): Path<(String, String)>,
) -> Result<Json<Actor>, Problem> {
    let done = server
        .app()
        .administer(&caller.request, &ActorCommand::Revoke { name, role }, false)
        .await?;
    Ok(Json(actor(&done.actor)))
}

/// Deactivates an actor (administrators; not oneself): they can do nothing
/// until reactivated, their tokens are revoked and their sessions end; their
/// history stays.
#[utoipa::path(post, path = "/api/v1/actors/{name}/deactivate", tag = tags::DIRECTORY, request_body = Deactivation,
    params(("name" = String, Path, description = "The actor")),
    responses((status = 200, body = Actor), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn deactivate(
    State(server): State<Server>,
    caller: Caller,
    Path(name): Path<String>,
    Body(body): Body<Deactivation>,
) -> Result<Json<Actor>, Problem> {
    let command = ActorCommand::Deactivate {
        name,
        reason: body.reason,
    };
    let done = server
        .app()
        .administer(&caller.request, &command, false)
        .await?;
    Ok(Json(actor(&done.actor)))
}

/// Reactivates a deactivated actor (administrators): their roles are in
/// effect again; revoked tokens stay revoked.
#[utoipa::path(post, path = "/api/v1/actors/{name}/reactivate", tag = tags::DIRECTORY,
    params(("name" = String, Path, description = "The actor")),
    responses((status = 200, body = Actor), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)))]
async fn reactivate(
    State(server): State<Server>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Actor>, Problem> {
    let done = server
        .app()
        .administer(&caller.request, &ActorCommand::Reactivate { name }, false)
        .await?;
    Ok(Json(actor(&done.actor)))
}

/// The region an actor works in; null: every region.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Region {
    region: Option<String>,
}

/// Sets the region an actor works in (administrators): a regional lead then
/// sees the overdue cases of that region only; null clears it.
#[utoipa::path(put, path = "/api/v1/actors/{name}/region", tag = tags::DIRECTORY, request_body = Region,
    params(("name" = String, Path, description = "The actor")),
    responses((status = 200, body = Actor), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn set_region(
    State(server): State<Server>,
    caller: Caller,
    Path(name): Path<String>,
    Body(body): Body<Region>,
) -> Result<Json<Actor>, Problem> {
    let command = ActorCommand::SetRegion {
        name,
        region: body.region,
    };
    let done = server
        .app()
        .administer(&caller.request, &command, false)
        .await?;
    Ok(Json(actor(&done.actor)))
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Password {
    password: String,
}

/// Sets the password a person signs in with (administrators). Their
/// sessions end; a lock on their sign-in is lifted.
#[utoipa::path(put, path = "/api/v1/actors/{name}/password", tag = tags::DIRECTORY, request_body = Password,
    params(("name" = String, Path, description = "The actor")),
    responses((status = 204), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn set_password(
    State(server): State<Server>,
    caller: Caller,
    Path(name): Path<String>,
    Body(body): Body<Password>,
) -> Result<StatusCode, Problem> {
    server
        .app()
        .set_password(&caller.request, &name, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A token, never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Token {
    id: Uuid,
    actor: String,
    /// `active`, `expired` or `revoked`.
    state: String,
    note: String,
    issued_by: String,
    issued_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn token(info: TokenInfo) -> Token {
    Token {
        id: info.id,
        actor: info.actor,
        state: info.state.as_str().to_owned(),
        note: info.note,
        issued_by: info.issued_by,
        issued_at: info.issued_at,
        expires_at: info.expires_at,
        revoked_at: info.revoked_at,
    }
}

/// Every token, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/tokens", tag = tags::DIRECTORY,
    responses((status = 200, body = Vec<Token>), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn list_tokens(
    State(server): State<Server>,
    caller: Caller,
) -> Result<Json<Vec<Token>>, Problem> {
    let tokens = server.app().list_tokens(&caller.request).await?;
    Ok(Json(tokens.into_iter().map(token).collect()))
}

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct IssueToken {
    /// The actor the program acts as.
    actor: String,
    /// Lifetime: `30m`, `12h`, `90d`, `12w` or `never` (90d if not given).
    expires: Option<String>,
    /// What it is for.
    #[serde(default)]
    note: String,
}

/// A token just issued: the only time its text is shown.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Issued {
    id: Uuid,
    actor: String,
    /// The whole token, for `Authorization: Bearer …`. Not stored anywhere.
    token: String,
    expires_at: Option<DateTime<Utc>>,
}

/// Issues a token for a program (administrators).
#[utoipa::path(post, path = "/api/v1/tokens", tag = tags::DIRECTORY, request_body = IssueToken,
    responses((status = 201, body = Issued), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn issue_token(
    State(server): State<Server>,
    caller: Caller,
    Body(body): Body<IssueToken>,
) -> Result<Response, Problem> {
    let lifetime = parse_lifetime(body.expires.as_deref().unwrap_or("90d"), "expires")?;
    let issued = server
        .app()
        .issue_token(&caller.request, &body.actor, lifetime, &body.note)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Issued {
            id: issued.id,
            actor: issued.actor,
            token: issued.token,
            expires_at: issued.expires_at,
        }),
    )
        .into_response())
}

/// What revoking came to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Revoked {
    id: Uuid,
    /// False: it was revoked already.
    revoked: bool,
}

/// Revokes a token: it stops working at once (administrators).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = tags::DIRECTORY,
    params(("id" = Uuid, Path, description = "The token's id")),
    responses((status = 200, body = Revoked), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)))]
async fn revoke_token(
    State(server): State<Server>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Revoked>, Problem> {
    let revoked = server.app().revoke_token(&caller.request, id).await?;
    Ok(Json(Revoked { id, revoked }))
}
