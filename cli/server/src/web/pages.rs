//! The pages, by what a person does: sign in, my work and finding a case, a
//! case (read it, tick its checklist, take a step, keep notes, show personal
//! data with a purpose), opening a case. Each handler: parse, one call into
//! the application, render (or, after a change, redirect to the page to read).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kroonika_app::cases::view::InputView;
use kroonika_app::search::FindQuery;
use kroonika_app::{CaseCommand, Input};
use kroonika_engine::case::CaseEvent;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::i18n::{self, Lang};
use super::labels::Labels;
use super::{Person, lang_of, local_path, page, urlencode};
use crate::Server;
use crate::caller::{session_cookie, set_cookie, signed_in_cookie};
use crate::problem::Problem;

pub(super) fn routes() -> Router<Server> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/work") }))
        .route("/login", get(sign_in_page).post(sign_in))
        .route("/logout", post(sign_out))
        .route("/lang/{code}", get(switch_language))
        .route("/work", get(my_work))
        .route("/find", post(find))
        .route("/cases/{reference}", get(case_page))
        .route("/cases/{reference}/reveal", post(reveal))
        .route("/cases/{reference}/diagram.svg", get(diagram))
        .route("/cases/{reference}/tasks/{task}", post(tick))
        .route("/cases/{reference}/tasks/{task}/undo", post(untick))
        .route("/cases/{reference}/steps/{step}", post(take_step))
        .route("/cases/{reference}/notes", post(add_note))
        .route("/cases/{reference}/notices/{notice}", post(send_notice))
        .route(
            "/cases/{reference}/documents/{document}",
            post(produce_document),
        )
        .route("/cases/{reference}/hold", post(hold))
        .route("/open/{process}", get(open_page).post(open_case))
}

/// A form's fields, in order, repeated names kept (a list's values).
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

async fn sign_in_page(headers: HeaderMap, Query(next): Query<Next>) -> Response {
    let lang = lang_of(&headers);
    page(
        StatusCode::OK,
        "login.html",
        lang,
        context! { next => local_path(next.next.as_deref()) },
    )
}

#[derive(Debug, Deserialize)]
struct SignIn {
    name: String,
    password: String,
    next: Option<String>,
}

async fn sign_in(
    State(server): State<Server>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let lang = lang_of(&headers);
    let next = local_path(form.next.as_deref());
    let again = |status: StatusCode, key: &str| {
        page(
            status,
            "login.html",
            lang,
            context! { next => &next, name => &form.name, failed => key },
        )
    };
    if server.sign_ins().attempt(client.ip()).is_err() {
        return again(StatusCode::TOO_MANY_REQUESTS, "too_many");
    }
    match server.app().sign_in(form.name.trim(), &form.password).await {
        Ok(signed) => {
            let mut response = Redirect::to(&next).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, signed_in_cookie(&server, &signed));
            response
        }
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status == StatusCode::TOO_MANY_REQUESTS {
                again(StatusCode::TOO_MANY_REQUESTS, "too_many")
            } else {
                again(StatusCode::UNAUTHORIZED, "bad_sign_in")
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct Token {
    csrf: Option<String>,
}

async fn sign_out(
    State(server): State<Server>,
    person: Person,
    headers: HeaderMap,
    Form(form): Form<Token>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    if let Some(secret) = session_cookie(&headers)
        && let Err(err) = server.app().sign_out(&secret).await
    {
        return person.error(&Problem::from(err));
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(None, 0));
    response
}

/// Chooses the interface's language (a cookie, a year), and goes back.
async fn switch_language(Path(code): Path<String>, Query(next): Query<Next>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Et);
    let mut response = Redirect::to(&local_path(next.next.as_deref())).into_response();
    let cookie = format!(
        "{}={}; Path=/; SameSite=Strict; Max-Age=31536000",
        i18n::COOKIE,
        lang.code()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Deserialize)]
struct WorkFilter {
    process: Option<String>,
    state: Option<String>,
}

/// One row of my work, as the page shows it.
#[derive(Debug, Serialize)]
struct WorkRow {
    item: kroonika_app::cases::work::WorkItem,
    due: Option<String>,
    /// The state's guidance in the reader's language, its first line.
    guidance: Option<String>,
}

async fn my_work(
    State(server): State<Server>,
    person: Person,
    Query(filter): Query<WorkFilter>,
) -> Response {
    let items = match server.app().my_work(&person.request).await {
        Ok(items) => items,
        Err(err) => return person.error(&Problem::from(err)),
    };
    fn chosen(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.is_empty())
    }
    let mut processes: Vec<String> = items.iter().map(|i| i.process.clone()).collect();
    processes.sort();
    processes.dedup();
    let labels = labels_by_process(&server, person.lang);
    // Each state once, with its title (of the first process that has it).
    let states: BTreeMap<&str, &str> = items
        .iter()
        .rev()
        .map(|i| {
            let title = labels
                .get(&i.process)
                .map_or(i.state.as_str(), |l| l.state(&i.state));
            (i.state.as_str(), title)
        })
        .collect();
    let states: Vec<(String, String)> = states
        .into_iter()
        .map(|(id, title)| (id.to_owned(), title.to_owned()))
        .collect();
    let rows: Vec<WorkRow> = items
        .into_iter()
        .filter(|i| chosen(&filter.process).is_none_or(|p| i.process == p))
        .filter(|i| chosen(&filter.state).is_none_or(|s| i.state == s))
        .map(|item| WorkRow {
            due: item.due_on.map(i18n::date),
            guidance: labels
                .get(&item.process)
                .and_then(|l| l.guidance.get(&item.state))
                .and_then(|g| g.trim().lines().next())
                .map(str::to_owned)
                .or_else(|| item.guidance.clone()),
            item,
        })
        .collect();
    let openable = openable(&server, &person);
    person.page(
        StatusCode::OK,
        "work.html",
        context! {
            rows => Value::from(Serde(&rows)),
            processes => processes,
            states => states,
            process => chosen(&filter.process),
            state => chosen(&filter.state),
            openable => openable,
            labels => Value::from(Serde(&labels)),
        },
    )
}

/// The words of every process's latest version, by process id (for pages
/// that list cases of several).
fn labels_by_process(server: &Server, lang: i18n::Lang) -> BTreeMap<String, Labels> {
    server
        .app()
        .registry()
        .latest_versions()
        .filter_map(|published| published.definition().ok())
        .map(|def| (def.id.clone(), Labels::of(&def, None, lang.code())))
        .collect()
}

/// The processes whose cases this person may open: id and title.
fn openable(server: &Server, person: &Person) -> Vec<(String, String)> {
    let registry = server.app().registry();
    let Ok(actor) = registry.acting(&person.actor) else {
        return Vec::new();
    };
    registry
        .latest_versions()
        .filter_map(|published| published.definition().ok())
        .filter(|def| {
            def.open.roles.iter().any(|role| match role {
                kroonika_engine::definition::RoleRef::Role { role }
                | kroonika_engine::definition::RoleRef::Assigned { role, .. } => {
                    actor.has_role(role)
                }
            })
        })
        .map(|def| (def.id.clone(), def.title.get(person.lang.code()).to_owned()))
        .collect()
}

#[derive(Debug, Deserialize)]
struct Find {
    csrf: Option<String>,
    reference: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    purpose: Option<String>,
}

/// By reference: to the case. By name or phone: the cases found, the search
/// recorded with its purpose.
async fn find(State(server): State<Server>, person: Person, Form(form): Form<Find>) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if let Some(reference) = given(&form.reference) {
        return Redirect::to(&format!("/cases/{}", urlencode(&reference))).into_response();
    }
    let query = FindQuery {
        name: given(&form.name),
        phone: given(&form.phone),
    };
    let purpose = form.purpose.unwrap_or_default();
    match server
        .app()
        .find_cases(&person.request, &query, &purpose)
        .await
    {
        Ok(found) => person.page(
            StatusCode::OK,
            "found.html",
            context! {
                found => Value::from(Serde(&found)),
                labels => Value::from(Serde(labels_by_process(&server, person.lang))),
            },
        ),
        Err(err) => person.error(&Problem::from(err)),
    }
}

async fn case_page(
    State(server): State<Server>,
    person: Person,
    Path(reference): Path<String>,
) -> Response {
    show(&server, &person, &reference, None, None).await
}

/// What went wrong on the case page, shown where it happened.
#[derive(Debug, Serialize)]
struct Refusal {
    /// The step, task, `note` or `reveal` it concerns.
    at: String,
    /// The problem's code (`guard-failed`, …).
    code: String,
    message: String,
}

/// The case page: revealed with `purpose`, or with a refusal shown in place.
async fn show(
    server: &Server,
    person: &Person,
    reference: &str,
    purpose: Option<&str>,
    refusal: Option<Refusal>,
) -> Response {
    let view = match server
        .app()
        .show_case(&person.request, reference, None, purpose)
        .await
    {
        Ok(view) => view,
        Err(err) => {
            let problem = Problem::from(err);
            // A refused reading is shown on the page, masked.
            if purpose.is_some() && problem.status != StatusCode::NOT_FOUND {
                return Box::pin(show(
                    server,
                    person,
                    reference,
                    None,
                    Some(Refusal {
                        at: "reveal".to_owned(),
                        code: problem.code,
                        message: problem.detail,
                    }),
                ))
                .await;
            }
            return person.error(&problem);
        }
    };
    let labels = match server
        .app()
        .registry()
        .definition(&view.process, Some(view.version))
    {
        Ok((definition, _)) => Labels::of(&definition, Some(&view.state), person.lang.code())
            .with_partners(
                &definition,
                server.app().registry().partners().ok().flatten().as_deref(),
                person.lang.code(),
            ),
        Err(_) => Labels::default(),
    };
    // A rule's refusal in the reader's language: the step's message as the
    // definition words it, where it does.
    let refusal = refusal.map(|mut refusal| {
        if refusal.code == "guard-failed"
            && let Some(message) = refusal
                .at
                .strip_prefix("step:")
                .and_then(|step| labels.messages.get(step))
        {
            refusal.message = message.clone();
        }
        refusal
    });
    let actors = actors_by_role(server);
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let documents = server
        .app()
        .document_offers(&person.request, reference, person.lang.code())
        .await
        .unwrap_or_default();
    let due = view.deadline.as_ref().map(|d| i18n::date(d.due_on));
    let history = match server.app().case_history(&person.request, reference).await {
        Ok(events) => events
            .iter()
            .map(|event| {
                context! {
                    occurred => i18n::time(event.metadata.occurred_at),
                    recorded => i18n::time(event.recorded_at),
                    by => &event.metadata.actor,
                    what => CaseEvent::from_parts(&event.event_type, event.data.as_str())
                        .map_or_else(|_| event.event_type.clone(), |e| labels.describe(&e, person.lang.code())),
                    definition => Value::from(Serde(event.metadata.extra.get("definition"))),
                }
            })
            .collect::<Vec<_>>(),
        Err(_) => Vec::new(),
    };
    person.page(
        status,
        "case.html",
        context! {
            case => Value::from(Serde(&view)),
            due => due,
            revealed => purpose.is_some(),
            refusal => Value::from(Serde(&refusal)),
            actors => Value::from(Serde(&actors)),
            history => history,
            documents => Value::from(Serde(&documents)),
            labels => Value::from(Serde(&labels)),
        },
    )
}

/// The case's process drawn, its current state and the states it went
/// through marked (for whoever may read the case).
async fn diagram(
    State(server): State<Server>,
    person: Person,
    Path(reference): Path<String>,
) -> Response {
    let app = server.app();
    let (view, events) = match (
        app.show_case(&person.request, &reference, None, None).await,
        app.case_history(&person.request, &reference).await,
    ) {
        (Ok(view), Ok(events)) => (view, events),
        (Err(err), _) | (_, Err(err)) => return person.error(&Problem::from(err)),
    };
    let visited = events
        .iter()
        .filter_map(|e| {
            match kroonika_engine::case::CaseEvent::from_parts(&e.event_type, e.data.as_str()) {
                Ok(kroonika_engine::case::CaseEvent::CaseOpened { state, .. }) => Some(state),
                Ok(kroonika_engine::case::CaseEvent::TransitionTaken { to, .. }) => Some(to),
                _ => None,
            }
        })
        .collect();
    let registry = app.registry();
    let definition = match registry.definition(&view.process, Some(view.version)) {
        Ok((definition, _)) => definition,
        Err(err) => return person.error(&Problem::from(err)),
    };
    let words = person.lang.messages();
    let word = |key: &str| words.get(key).copied().unwrap_or(key).to_owned();
    let marks = kroonika_processes::graph::Marks {
        current: Some(view.state.clone()),
        visited,
        current_word: word("now"),
        lang: Some(person.lang.code().to_owned()),
        any_state: word("any_open_state"),
    };
    let svg = kroonika_processes::graph::svg_marked(&definition, &marks);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml"),
        )],
        svg,
    )
        .into_response()
}

/// Who holds each role, for the choice of actors a step's list takes.
fn actors_by_role(server: &Server) -> BTreeMap<String, Vec<String>> {
    let registry = server.app().registry();
    let mut by_role: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, actor) in registry.actors() {
        for role in &actor.roles {
            by_role.entry(role.clone()).or_default().push(name.clone());
        }
    }
    by_role
}

#[derive(Debug, Deserialize)]
struct Reveal {
    csrf: Option<String>,
    purpose: Option<String>,
}

async fn reveal(
    State(server): State<Server>,
    person: Person,
    Path(reference): Path<String>,
    Form(form): Form<Reveal>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let purpose = form.purpose.unwrap_or_default();
    show(&server, &person, &reference, Some(&purpose), None).await
}

/// Runs `command` on the case; back to the case page, or the page with the
/// refusal shown at `at`.
async fn command(
    server: &Server,
    person: &Person,
    reference: &str,
    at: &str,
    command: CaseCommand,
) -> Response {
    match server
        .app()
        .execute(&person.request, Some(reference), command)
        .await
    {
        Ok(outcome) => {
            Redirect::to(&format!("/cases/{}", urlencode(outcome.reference()))).into_response()
        }
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status == StatusCode::NOT_FOUND || problem.status.is_server_error() {
                return person.error(&problem);
            }
            show(
                server,
                person,
                reference,
                None,
                Some(Refusal {
                    at: at.to_owned(),
                    code: problem.code,
                    message: problem.detail,
                }),
            )
            .await
        }
    }
}

async fn tick(
    State(server): State<Server>,
    person: Person,
    Path((reference, task)): Path<(String, String)>,
    Form(form): Form<Token>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let at = format!("task:{task}");
    command(
        &server,
        &person,
        &reference,
        &at,
        CaseCommand::Task { task },
    )
    .await
}

#[derive(Debug, Deserialize)]
struct Untick {
    csrf: Option<String>,
    reason: Option<String>,
}

async fn untick(
    State(server): State<Server>,
    person: Person,
    Path((reference, task)): Path<(String, String)>,
    Form(form): Form<Untick>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let at = format!("task:{task}");
    let undo = CaseCommand::Untick {
        untick: task,
        reason: form.reason.unwrap_or_default(),
    };
    command(&server, &person, &reference, &at, undo).await
}

#[derive(Debug, Deserialize)]
struct Hold {
    csrf: Option<String>,
    /// `place` or `release`.
    change: Option<String>,
    reason: Option<String>,
}

/// Places or releases the case's legal hold, with a reason.
async fn hold(
    State(server): State<Server>,
    person: Person,
    Path(reference): Path<String>,
    Form(form): Form<Hold>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let command = CaseCommand::Hold {
        hold: form.change.as_deref() != Some("release"),
        reason: form.reason.unwrap_or_default(),
    };
    self::command(&server, &person, &reference, "hold", command).await
}

/// A step or opening form's inputs as the application takes them: each
/// `in.NAME` field (repeated for a list), empty ones left out; a boolean's
/// checkbox left unticked is `false` (its `bool.NAME` marker says it was on
/// the form).
fn inputs(fields: &Fields) -> Input {
    let people = people_rows(fields);
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix("in.")?, value.trim())))
        .filter(|(_, value)| !value.is_empty())
        .chain(
            people
                .iter()
                .map(|(name, row)| (name.as_str(), row.as_str())),
        )
        .collect();
    for (key, _) in fields {
        if let Some(name) = key.strip_prefix("bool.")
            && !pairs.iter().any(|(n, _)| *n == name)
        {
            pairs.push((name, "false"));
        }
    }
    Input::texts(pairs)
}

/// The rows of a list of people as the form sends them
/// (`person.NAME.ROW.KEY`), each row as one person's JSON; a row with no
/// name and no role left out (the blank rows a form offers).
fn people_rows(fields: &Fields) -> Vec<(String, String)> {
    let mut rows: BTreeMap<(String, u32), serde_json::Map<String, serde_json::Value>> =
        BTreeMap::new();
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix("person.") else {
            continue;
        };
        let mut parts = rest.splitn(3, '.');
        let (Some(name), Some(Ok(row)), Some(part)) = (
            parts.next(),
            parts.next().map(str::parse::<u32>),
            parts.next(),
        ) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let value = match part {
            "minor" => serde_json::Value::Bool(value == "true"),
            _ => serde_json::Value::String(value.to_owned()),
        };
        rows.entry((name.to_owned(), row))
            .or_default()
            .insert(part.to_owned(), value);
    }
    rows.into_iter()
        .filter(|(_, row)| row.contains_key("name") || row.contains_key("role"))
        .map(|((name, _), row)| (name, serde_json::Value::Object(row).to_string()))
        .collect()
}

async fn take_step(
    State(server): State<Server>,
    person: Person,
    Path((reference, step)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refused) = person.refuse_form(field(&fields, "csrf")) {
        return refused;
    }
    let at = format!("step:{step}");
    let take = CaseCommand::Take {
        step,
        input: inputs(&fields),
    };
    command(&server, &person, &reference, &at, take).await
}

#[derive(Debug, Deserialize)]
struct Note {
    csrf: Option<String>,
    text: Option<String>,
}

async fn add_note(
    State(server): State<Server>,
    person: Person,
    Path(reference): Path<String>,
    Form(form): Form<Note>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let note = CaseCommand::Note {
        note: form.text.unwrap_or_default(),
    };
    command(&server, &person, &reference, "note", note).await
}

#[derive(Debug, Deserialize)]
struct NoticeForm {
    csrf: Option<String>,
    sent_on: Option<String>,
    reference: Option<String>,
}

async fn send_notice(
    State(server): State<Server>,
    person: Person,
    Path((reference, notice)): Path<(String, String)>,
    Form(form): Form<NoticeForm>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    // An empty date field: today. A date the browser did not send as one
    // is the engine's to refuse, named.
    let sent_on = match form.sent_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(day) => match day.parse::<chrono::NaiveDate>() {
            Ok(day) => Some(day),
            Err(_) => {
                return show(
                    &server,
                    &person,
                    &reference,
                    None,
                    Some(Refusal {
                        at: "notice".to_owned(),
                        code: "invalid-input".to_owned(),
                        message: format!("'{day}' is not a date (2026-11-30)"),
                    }),
                )
                .await;
            }
        },
    };
    let sent = CaseCommand::Notice {
        notice,
        sent_on,
        reference: form.reference.filter(|r| !r.trim().is_empty()),
    };
    command(&server, &person, &reference, "notice", sent).await
}

#[derive(Debug, Deserialize)]
struct DocumentForm {
    csrf: Option<String>,
    language: Option<String>,
    to: Option<String>,
}

/// Produces a document: the page itself (opened beside the case), or the
/// case page with the refusal.
async fn produce_document(
    State(server): State<Server>,
    person: Person,
    Path((reference, document)): Path<(String, String)>,
    Form(form): Form<DocumentForm>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let ask = kroonika_app::DocumentAsk {
        document,
        language: form
            .language
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| person.lang.code().to_owned()),
        to: form.to.filter(|t| !t.is_empty()),
    };
    match server
        .app()
        .produce_document(&person.request, &reference, &ask)
        .await
    {
        Ok(produced) => {
            let mut response = axum::response::Html(produced.html).into_response();
            let headers = response.headers_mut();
            // The page's own style is inline; it loads nothing and runs nothing.
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ),
            );
            if let Ok(value) =
                HeaderValue::from_str(&format!("inline; filename=\"{}\"", produced.file_name))
            {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status == StatusCode::NOT_FOUND && problem.code != "not-found" {
                return person.error(&problem);
            }
            show(
                &server,
                &person,
                &reference,
                None,
                Some(Refusal {
                    at: "document".to_owned(),
                    code: problem.code,
                    message: problem.detail,
                }),
            )
            .await
        }
    }
}

/// The opening form of a process: its `open.input`, typed.
fn opening(
    server: &Server,
    process: &str,
    lang: i18n::Lang,
) -> Result<(String, Vec<InputView>), Problem> {
    let registry = server.app().registry();
    let (definition, _) = registry.definition(process, None)?;
    Ok((
        definition.title.get(lang.code()).to_owned(),
        InputView::of(
            &definition,
            &definition.open.input,
            registry.partners()?.as_deref(),
        ),
    ))
}

async fn open_page(
    State(server): State<Server>,
    person: Person,
    Path(process): Path<String>,
) -> Response {
    match opening(&server, &process, person.lang) {
        Ok((title, inputs)) => person.page(
            StatusCode::OK,
            "open.html",
            context! { process => process, title => title, inputs => Value::from(Serde(&inputs)), actors => Value::from(Serde(actors_by_role(&server))) },
        ),
        Err(problem) => person.error(&problem),
    }
}

async fn open_case(
    State(server): State<Server>,
    person: Person,
    Path(process): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refused) = person.refuse_form(field(&fields, "csrf")) {
        return refused;
    }
    let open = CaseCommand::Open {
        open: process.clone(),
        input: inputs(&fields),
    };
    match server.app().execute(&person.request, None, open).await {
        Ok(outcome) => {
            Redirect::to(&format!("/cases/{}", urlencode(outcome.reference()))).into_response()
        }
        Err(err) => {
            let problem = Problem::from(err);
            match opening(&server, &process, person.lang) {
                Ok((title, inputs)) if !problem.status.is_server_error() => {
                    let given: BTreeMap<&str, &str> = fields
                        .iter()
                        .filter_map(|(k, v)| Some((k.strip_prefix("in.")?, v.as_str())))
                        .collect();
                    person.page(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "open.html",
                        context! {
                            process => process,
                            title => title,
                            inputs => Value::from(Serde(&inputs)),
                            actors => Value::from(Serde(actors_by_role(&server))),
                            given => Value::from(Serde(&given)),
                            refusal => problem.detail,
                        },
                    )
                }
                _ => person.error(&problem),
            }
        }
    }
}
