//! Cases: list, open, show (personal data masked), history, steps, tasks,
//! corrections, migration, legal holds, revealing personal data on purpose,
//! erasing a data subject. Each is one call into the application.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kroonika_app::cases::CaseView;
use kroonika_app::cases::view::CaseFilter;
use kroonika_app::{CaseCommand, Day, Input, Outcome, When};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Body, Path, Query, tags, time};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(show_case))
        .routes(routes!(case_history))
        .routes(routes!(take_step))
        .routes(routes!(complete_task))
        .routes(routes!(undo_task))
        .routes(routes!(add_note))
        .routes(routes!(send_notice))
        .routes(routes!(correct_data))
        .routes(routes!(migrate_case))
        .routes(routes!(place_hold))
        .routes(routes!(release_hold))
        .routes(routes!(reveal))
        .routes(routes!(erase_subject))
        .routes(routes!(my_work))
        .routes(routes!(find_cases))
        .routes(routes!(rebuild_search_index))
}

/// My work: the open cases the caller can act on now, or that escalate to
/// them, overdue first, then due soon, then the rest (as `kroonika case mine`).
#[utoipa::path(get, path = "/api/v1/work", tag = tags::CASES,
    responses((status = 200, body = Vec<kroonika_app::cases::work::WorkItem>), (status = 401, body = ProblemBody)))]
async fn my_work(
    State(server): State<Server>,
    caller: Caller,
) -> Result<Json<Vec<kroonika_app::cases::work::WorkItem>>, Problem> {
    Ok(Json(server.app().my_work(&caller.request).await?))
}

/// Which cases to list (as `kroonika case list`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only cases of this process.
    process: Option<String>,
    /// Only cases in this state.
    state: Option<String>,
    /// Only cases that name this actor in an actor-list field.
    assigned_to: Option<String>,
    /// Only open cases past their deadline.
    #[serde(default)]
    overdue: bool,
    /// Only cases closed with this outcome.
    outcome: Option<String>,
    /// Only open cases.
    #[serde(default)]
    open: bool,
    /// Only closed cases.
    #[serde(default)]
    closed: bool,
    /// As recorded by then (RFC 3339, or a date: its end).
    as_of: Option<String>,
}

/// A case list: nearest deadline first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CaseList {
    /// The day overdue is judged on.
    today: chrono::NaiveDate,
    /// The case list's documents (reference, process, state, deadline, …;
    /// personal fields never appear in it).
    #[schema(value_type = Vec<Object>)]
    cases: Vec<Value>,
}

/// The cases the caller may read (those of processes naming one of their roles).
#[utoipa::path(get, path = "/api/v1/cases", tag = tags::CASES, params(ListQuery),
    responses((status = 200, body = CaseList), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn list_cases(
    State(server): State<Server>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<CaseList>, Problem> {
    let filter = CaseFilter {
        process: query.process,
        state: query.state,
        assigned_to: query.assigned_to,
        overdue: query.overdue,
        outcome: query.outcome,
        open: query.open,
        closed: query.closed,
        as_of: time(query.as_of.as_deref(), "as_of", Day::End)?,
    };
    let list = server.app().list_cases(&caller.request, &filter).await?;
    Ok(Json(CaseList {
        today: list.today,
        cases: list.cases,
    }))
}

/// A new case.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct OpenCase {
    /// The process (its latest version is used).
    process: String,
    /// The opening inputs, by field name (JSON values, checked by each field's type).
    #[serde(default)]
    #[schema(value_type = Object)]
    input: Input,
    /// When it happened, if not now (never in the future).
    occurred_at: Option<String>,
}

/// A case opened.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Opened {
    reference: String,
    id: Uuid,
    /// The case's version (how many events it has).
    version: u64,
}

/// Opens a case. With `Idempotency-Key`, a retry answers with the case the
/// first request opened.
#[utoipa::path(post, path = "/api/v1/cases", tag = tags::CASES, request_body = OpenCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "The command id: a retry records nothing more")),
    responses((status = 201, body = Opened), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn open_case(
    State(server): State<Server>,
    mut caller: Caller,
    Body(body): Body<OpenCase>,
) -> Result<Response, Problem> {
    caller.request.occurred_at = when(body.occurred_at.as_deref())?;
    let outcome = server
        .app()
        .execute(
            &caller.request,
            None,
            CaseCommand::Open {
                open: body.process,
                input: body.input,
            },
        )
        .await?;
    let (reference, id, version) = match outcome {
        Outcome::Opened {
            reference,
            case_id,
            version,
        }
        | Outcome::AlreadyOpened {
            reference,
            case_id,
            version,
        } => (reference, case_id, version),
        other => (other.reference().to_owned(), Uuid::nil(), 0),
    };
    let location = format!("/api/v1/cases/{reference}");
    let mut response = (
        StatusCode::CREATED,
        Json(Opened {
            reference,
            id,
            version,
        }),
    )
        .into_response();
    put(response.headers_mut(), header::LOCATION, &location);
    put(
        response.headers_mut(),
        header::ETAG,
        &format!("\"{version}\""),
    );
    Ok(response)
}

/// As of when.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AsOf {
    /// As recorded by then (RFC 3339, or a date: its end).
    as_of: Option<String>,
}

/// One case: state, data (personal fields masked), checklist, deadline, the
/// steps the caller can take. The `ETag` is the case version, for `If-Match`.
#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = tags::CASES,
    params(("reference" = String, Path, description = "The case reference (or id)"), AsOf),
    responses((status = 200, body = CaseView), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn show_case(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(query): Query<AsOf>,
) -> Result<Response, Problem> {
    let as_of = time(query.as_of.as_deref(), "as_of", Day::End)?;
    let view = server
        .app()
        .show_case(&caller.request, &reference, as_of, None)
        .await?;
    Ok(with_etag(view))
}

fn with_etag(view: CaseView) -> Response {
    let etag = format!("\"{}\"", view.case_version);
    let mut response = Json(view).into_response();
    put(response.headers_mut(), header::ETAG, &etag);
    response
}

/// A case's recorded events.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct History {
    reference: String,
    /// Each event as `kroonika log --format json` prints it (personal data
    /// as ciphertext).
    #[schema(value_type = Vec<Object>)]
    events: Vec<Value>,
}

/// Every recorded event of a case, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/history", tag = tags::CASES,
    params(("reference" = String, Path, description = "The case reference (or id)")),
    responses((status = 200, body = History), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn case_history(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Json<History>, Problem> {
    let events = server
        .app()
        .case_history(&caller.request, &reference)
        .await?;
    Ok(Json(History {
        reference,
        events: events.iter().map(kroonika_app::log::event_json).collect(),
    }))
}

/// A step to take.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TakeStep {
    /// The step (a transition of the case's current state).
    transition: String,
    /// Its inputs, by field name.
    #[serde(default)]
    #[schema(value_type = Object)]
    input: Input,
    /// When it happened, if not now.
    occurred_at: Option<String>,
}

/// What a change to a case came to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Changed {
    reference: String,
    state: String,
    /// The case's version after it (its `ETag`).
    version: u64,
    /// Whether anything was recorded (false: nothing to do, or a retry).
    changed: bool,
    /// True when this is a retry of a command done before: the first answer again.
    replayed: bool,
    /// What was recorded, in words.
    events: Vec<Recorded>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Recorded {
    #[serde(rename = "type")]
    kind: String,
    description: String,
}

fn changed(outcome: Outcome) -> Response {
    let (reference, state, version, events, changed, replayed) = match outcome {
        Outcome::Done {
            reference,
            state,
            version,
            events,
        } => (reference, state, version, events, true, false),
        Outcome::Already {
            reference,
            state,
            version,
            events,
        } => (reference, state, version, events, false, true),
        Outcome::Nothing {
            reference,
            state,
            version,
        } => (reference, state, version, Vec::new(), false, false),
        Outcome::Opened {
            reference, version, ..
        }
        | Outcome::AlreadyOpened {
            reference, version, ..
        } => (reference, String::new(), version, Vec::new(), false, false),
    };
    let etag = format!("\"{version}\"");
    let mut response = Json(Changed {
        reference,
        state,
        version,
        changed,
        replayed,
        events: events
            .iter()
            .map(|e| Recorded {
                kind: e.event_type().to_owned(),
                description: kroonika_app::cases::describe(e),
            })
            .collect(),
    })
    .into_response();
    put(response.headers_mut(), header::ETAG, &etag);
    response
}

const REFERENCE: &str = "The case reference (or id)";

/// Takes a step. `If-Match: <version>` refuses it (409) if the case moved on.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/steps", tag = tags::CASES, request_body = TakeStep,
    params(("reference" = String, Path, description = REFERENCE),
        ("If-Match" = Option<String>, Header, description = "The case version the step expects"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id: a retry records nothing more")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn take_step(
    State(server): State<Server>,
    mut caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<TakeStep>,
) -> Result<Response, Problem> {
    caller.request.occurred_at = when(body.occurred_at.as_deref())?;
    let command = CaseCommand::Take {
        step: body.transition,
        input: body.input,
    };
    command_on(&server, &caller, &reference, command).await
}

/// When a task was done, if not now.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct Occurred {
    occurred_at: Option<String>,
}

/// Ticks a checklist task of the current state (the body may be empty).
#[utoipa::path(post, path = "/api/v1/cases/{reference}/tasks/{task}", tag = tags::CASES, request_body = Occurred,
    params(("reference" = String, Path, description = REFERENCE), ("task" = String, Path, description = "The task's id"),
        ("If-Match" = Option<String>, Header, description = "The case version it expects"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn complete_task(
    State(server): State<Server>,
    mut caller: Caller,
    Path((reference, task)): Path<(String, String)>,
    Body(body): Body<Occurred>,
) -> Result<Response, Problem> {
    caller.request.occurred_at = when(body.occurred_at.as_deref())?;
    command_on(&server, &caller, &reference, CaseCommand::Task { task }).await
}

/// Unticks a task ticked by mistake, while its state is current, with the
/// reason recorded.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/tasks/{task}/undo", tag = tags::CASES, request_body = Reason,
    params(("reference" = String, Path, description = REFERENCE), ("task" = String, Path, description = "The task's id"),
        ("If-Match" = Option<String>, Header, description = "The case version it expects"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn undo_task(
    State(server): State<Server>,
    caller: Caller,
    Path((reference, task)): Path<(String, String)>,
    Body(body): Body<Reason>,
) -> Result<Response, Problem> {
    let command = CaseCommand::Untick {
        untick: task,
        reason: body.reason,
    };
    command_on(&server, &caller, &reference, command).await
}

/// A note's text.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Note {
    /// The note (personal data: sealed for the case's data subjects).
    text: String,
    /// When what it tells of happened, if not now.
    occurred_at: Option<String>,
}

/// Adds a note to the case's journal (read back with `reveal`).
#[utoipa::path(post, path = "/api/v1/cases/{reference}/notes", tag = tags::CASES, request_body = Note,
    params(("reference" = String, Path, description = REFERENCE),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn add_note(
    State(server): State<Server>,
    mut caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<Note>,
) -> Result<Response, Problem> {
    caller.request.occurred_at = when(body.occurred_at.as_deref())?;
    command_on(
        &server,
        &caller,
        &reference,
        CaseCommand::Note { note: body.text },
    )
    .await
}

/// A notice recorded sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticeSent {
    /// The day it was sent (default: today).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    sent_on: Option<chrono::NaiveDate>,
    /// The service's reference of the letter or document.
    #[serde(default)]
    reference: Option<String>,
}

/// Records a notice the case owes (to the referring prosecutor or court) as
/// sent; allowed on a closed case. The case's `notices` list those due.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/notices/{notice}", tag = tags::CASES, request_body = NoticeSent,
    params(("reference" = String, Path, description = REFERENCE),
        ("notice" = String, Path, description = "The notice's id in the definition"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn send_notice(
    State(server): State<Server>,
    caller: Caller,
    Path((reference, notice)): Path<(String, String)>,
    Body(body): Body<NoticeSent>,
) -> Result<Response, Problem> {
    command_on(
        &server,
        &caller,
        &reference,
        CaseCommand::Notice {
            notice,
            sent_on: body.sent_on,
            reference: body.reference,
        },
    )
    .await
}

/// A correction of case data outside any step.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Correct {
    /// The fields to correct, by name.
    #[schema(value_type = Object)]
    update: Input,
    /// Why (recorded).
    reason: String,
    /// The request it answers (a data subject's request for rectification).
    #[serde(default)]
    request: Option<String>,
}

/// Corrects case data, with the reason recorded.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/corrections", tag = tags::CASES, request_body = Correct,
    params(("reference" = String, Path, description = REFERENCE),
        ("If-Match" = Option<String>, Header, description = "The case version it expects"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn correct_data(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<Correct>,
) -> Result<Response, Problem> {
    let command = CaseCommand::Correct {
        update: body.update,
        reason: body.reason,
        request: body.request,
    };
    command_on(&server, &caller, &reference, command).await
}

/// Moving a case to a newer version of its definition.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Migrate {
    to_version: u32,
    /// States the new version lacks, renamed: old → new.
    #[serde(default)]
    map: BTreeMap<String, String>,
}

/// Moves a case to a newer version of its definition.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/migration", tag = tags::CASES, request_body = Migrate,
    params(("reference" = String, Path, description = REFERENCE),
        ("If-Match" = Option<String>, Header, description = "The case version it expects"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn migrate_case(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<Migrate>,
) -> Result<Response, Problem> {
    let command = CaseCommand::Migrate {
        migrate: body.to_version,
        map: body.map,
    };
    command_on(&server, &caller, &reference, command).await
}

/// A reason, recorded.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Reason {
    reason: String,
}

/// Places a legal hold: nothing of the case is erased until it is released.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/hold", tag = tags::CASES, request_body = Reason,
    params(("reference" = String, Path, description = REFERENCE), ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn place_hold(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<Reason>,
) -> Result<Response, Problem> {
    let outcome = server
        .app()
        .hold(&caller.request, &reference, true, &body.reason)
        .await?;
    Ok(changed(outcome))
}

/// Releases a legal hold.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/release", tag = tags::CASES, request_body = Reason,
    params(("reference" = String, Path, description = REFERENCE), ("Idempotency-Key" = Option<String>, Header, description = "The command id")),
    responses((status = 200, body = Changed), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn release_hold(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<Reason>,
) -> Result<Response, Problem> {
    let outcome = server
        .app()
        .hold(&caller.request, &reference, false, &body.reason)
        .await?;
    Ok(changed(outcome))
}

/// Whom to look for, and why. In the body, not the address: a name in a
/// URL ends up in logs.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct FindCases {
    /// A name (or another searchable text, such as an e-mail address); case,
    /// accents and word order do not matter.
    name: Option<String>,
    /// A phone number, however written.
    phone: Option<String>,
    /// Why (recorded in the access log with the search).
    purpose: String,
}

/// Finds a person's cases by name or phone number: the cases whose personal
/// data the caller may read, open ones first; never the name. The search is
/// recorded (by what, why, what it showed) before the answer is sent.
#[utoipa::path(post, path = "/api/v1/cases/search", tag = tags::CASES, request_body = FindCases,
    responses((status = 200, body = Vec<kroonika_app::search::FoundCase>), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn find_cases(
    State(server): State<Server>,
    caller: Caller,
    Body(body): Body<FindCases>,
) -> Result<Json<Vec<kroonika_app::search::FoundCase>>, Problem> {
    let query = kroonika_app::search::FindQuery {
        name: body.name,
        phone: body.phone,
    };
    Ok(Json(
        server
            .app()
            .find_cases(&caller.request, &query, &body.purpose)
            .await?,
    ))
}

/// Builds the search index anew from the log (administrators).
#[utoipa::path(post, path = "/api/v1/cases/search/rebuild", tag = tags::CASES,
    responses((status = 200, body = kroonika_app::search::Reindexed), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)))]
async fn rebuild_search_index(
    State(server): State<Server>,
    caller: Caller,
) -> Result<Json<kroonika_app::search::Reindexed>, Problem> {
    Ok(Json(server.app().reindex(&caller.request).await?))
}

/// Why personal data is to be shown.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Purpose {
    /// The purpose, recorded in the access log with the reading.
    purpose: String,
}

/// The case with its personal data in the clear, if the caller may read it:
/// the reading (with its purpose) is recorded before anything is sent; a
/// refusal is recorded too.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/reveal", tag = tags::CASES, request_body = Purpose,
    params(("reference" = String, Path, description = REFERENCE)),
    responses((status = 200, body = CaseView), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn reveal(
    State(server): State<Server>,
    caller: Caller,
    Path(reference): Path<String>,
    Body(body): Body<Purpose>,
) -> Result<Response, Problem> {
    let view = server
        .app()
        .show_case(&caller.request, &reference, None, Some(&body.purpose))
        .await?;
    Ok(with_etag(view))
}

/// What erasing a data subject came to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Erased {
    reference: String,
    subject: String,
    subject_id: Uuid,
    /// False: they were erased already.
    erased: bool,
}

/// Erases a data subject of a case: their key is destroyed, so their
/// personal data can never be read again.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/subjects/{subject}/erasure", tag = tags::CASES, request_body = Reason,
    params(("reference" = String, Path, description = REFERENCE), ("subject" = String, Path, description = "The subject's name in the definition (victim, offender, …)")),
    responses((status = 200, body = Erased), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn erase_subject(
    State(server): State<Server>,
    caller: Caller,
    Path((reference, subject)): Path<(String, String)>,
    Body(body): Body<Reason>,
) -> Result<Json<Erased>, Problem> {
    let forgotten = server
        .app()
        .forget(
            &caller.request,
            &format!("{reference}/{subject}"),
            &body.reason,
        )
        .await?;
    Ok(Json(Erased {
        reference: forgotten.reference,
        subject: forgotten.name,
        subject_id: forgotten.subject_id,
        erased: forgotten.erased,
    }))
}

async fn command_on(
    server: &Server,
    caller: &Caller,
    reference: &str,
    command: CaseCommand,
) -> Result<Response, Problem> {
    let outcome = server
        .app()
        .execute(&caller.request, Some(reference), command)
        .await?;
    Ok(changed(outcome))
}

fn when(text: Option<&str>) -> Result<Option<When>, Problem> {
    text.map(|t| When::parse(t, "occurred_at"))
        .transpose()
        .map_err(Problem::from)
}

fn put(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
