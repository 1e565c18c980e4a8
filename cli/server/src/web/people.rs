//! The administrator's page: the people registered, their roles (granted
//! and revoked, and those a process's profile gives them), the region they
//! work in, their passwords, and the tokens programs use. Every change
//! is an application command, refused there unless the person is an
//! administrator, and recorded in the log like any other.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kroonika_engine::actors::ActorCommand;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::Person;
use crate::Server;
use crate::problem::Problem;

pub(super) fn routes() -> Router<Server> {
    Router::new()
        .route("/people", get(people).post(register))
        .route("/people/{name}/roles", post(change_role))
        .route("/people/{name}/region", post(set_region))
        .route("/people/{name}/password", post(set_password))
        .route("/people/{name}/tokens", post(issue_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
}

/// One person, as the page lists them.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    roles: Vec<String>,
    /// Roles a process's profile gives them (`mediator (volunteer)`): not
    /// the administrator's to revoke.
    given: Vec<String>,
    region: String,
}

/// One token, as the page lists it (never the secret).
#[derive(Debug, Serialize)]
struct TokenRow {
    id: String,
    actor: String,
    note: String,
    issued: String,
    state: String,
}

/// The page, with `said` (what a change came to) or a refusal.
async fn page(
    server: &Server,
    person: &Person,
    status: StatusCode,
    said: Option<String>,
    refusal: Option<String>,
) -> Response {
    let actors = match server.app().list_actors(&person.request).await {
        Ok(actors) => actors,
        Err(err) => return person.error(&Problem::from(err)),
    };
    let rows: Vec<Row> = actors
        .into_iter()
        .map(|a| Row {
            roles: a
                .actor
                .roles
                .iter()
                .cloned()
                .chain(
                    a.actor
                        .deactivated
                        .as_ref()
                        .map(|_| "(deactivated)".to_owned()),
                )
                .collect(),
            given: a
                .actor
                .profile_roles()
                .into_iter()
                .map(|(role, profile)| format!("{role} ({profile})"))
                .collect(),
            region: a.actor.region.clone().unwrap_or_default(),
            name: a.actor.name,
        })
        .collect();
    let tokens: Vec<TokenRow> = match server.app().list_tokens(&person.request).await {
        Ok(tokens) => tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id.to_string(),
                actor: t.actor,
                note: t.note,
                issued: super::i18n::time(t.issued_at),
                state: format!("{:?}", t.state).to_lowercase(),
            })
            .collect(),
        Err(err) => return person.error(&Problem::from(err)),
    };
    person.page(
        status,
        "people.html",
        context! {
            people => Value::from(Serde(rows)),
            tokens => Value::from(Serde(tokens)),
            said => said,
            refusal => refusal,
        },
    )
}

async fn people(State(server): State<Server>, person: Person) -> Response {
    page(&server, &person, StatusCode::OK, None, None).await
}

/// What a change came to: back to the page (a redirect), or the page with
/// the refusal.
async fn done(
    server: &Server,
    person: &Person,
    result: Result<Option<String>, kroonika_app::Error>,
) -> Response {
    match result {
        Ok(None) => Redirect::to("/people").into_response(),
        Ok(Some(said)) => page(server, person, StatusCode::OK, Some(said), None).await,
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status.is_server_error() {
                return person.error(&problem);
            }
            page(server, person, problem.status, None, Some(problem.detail)).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct Register {
    csrf: Option<String>,
    name: Option<String>,
    roles: Option<String>,
}

async fn register(
    State(server): State<Server>,
    person: Person,
    Form(form): Form<Register>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let command = ActorCommand::Register {
        name: form.name.unwrap_or_default().trim().to_owned(),
        roles: form
            .roles
            .unwrap_or_default()
            .split([',', ' '])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let result = server
        .app()
        .administer(&person.request, &command, false)
        .await;
    done(&server, &person, result.map(|_| None)).await
}

#[derive(Debug, Deserialize)]
struct Role {
    csrf: Option<String>,
    role: Option<String>,
    /// `grant` or `revoke`.
    change: Option<String>,
}

async fn change_role(
    State(server): State<Server>,
    person: Person,
    Path(name): Path<String>,
    Form(form): Form<Role>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let role = form.role.unwrap_or_default().trim().to_owned();
    let command = if form.change.as_deref() == Some("revoke") {
        ActorCommand::Revoke { name, role }
    } else {
        ActorCommand::Grant { name, role }
    };
    let result = server
        .app()
        .administer(&person.request, &command, false)
        .await;
    done(&server, &person, result.map(|_| None)).await
}

#[derive(Debug, Deserialize)]
struct Region {
    csrf: Option<String>,
    region: Option<String>,
}

/// Sets the region a person works in; an empty one clears it (every region).
async fn set_region(
    State(server): State<Server>,
    person: Person,
    Path(name): Path<String>,
    Form(form): Form<Region>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let region = form
        .region
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let result = server
        .app()
        .administer(
            &person.request,
            &ActorCommand::SetRegion { name, region },
            false,
        )
        .await;
    done(&server, &person, result.map(|_| None)).await
}

#[derive(Debug, Deserialize)]
struct Password {
    csrf: Option<String>,
    password: Option<String>,
}

async fn set_password(
    State(server): State<Server>,
    person: Person,
    Path(name): Path<String>,
    Form(form): Form<Password>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let password = form.password.unwrap_or_default();
    let result = server
        .app()
        .set_password(&person.request, &name, &password)
        .await;
    done(&server, &person, result.map(|()| Some(format!("{name} ✓")))).await
}

#[derive(Debug, Deserialize)]
struct Issue {
    csrf: Option<String>,
    note: Option<String>,
}

/// Issues a token: shown once, on this answer only.
async fn issue_token(
    State(server): State<Server>,
    person: Person,
    Path(name): Path<String>,
    Form(form): Form<Issue>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    // The API's default: 90 days.
    let result = match kroonika_app::auth::parse_lifetime("90d", "expires") {
        Ok(lifetime) => {
            server
                .app()
                .issue_token(
                    &person.request,
                    &name,
                    lifetime,
                    form.note.as_deref().unwrap_or_default(),
                )
                .await
        }
        Err(err) => Err(err),
    };
    done(&server, &person, result.map(|issued| Some(issued.token))).await
}

async fn revoke_token(
    State(server): State<Server>,
    person: Person,
    Path(id): Path<uuid::Uuid>,
    Form(form): Form<Issue>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let result = server.app().revoke_token(&person.request, id).await;
    done(&server, &person, result.map(|_| None)).await
}
