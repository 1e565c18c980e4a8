//! The pages of those who oversee the work: the service owner's definitions
//! (versions, diagrams, the report, an editor that checks with located
//! diagnostics and publishes) and the auditor's log (the audit trail, the
//! access log, verification with the head hash to write down). Who may do
//! what is the application's to say; a refusal is shown as the page.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use kroonika_app::audit::TrailFilter;
use kroonika_app::definitions::Publishing;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::Person;
use crate::Server;
use crate::problem::Problem;

/// At most this many rows of the trail or the access log on a page (the
/// newest): the whole log is for `audit trail` and the API.
const ROWS: usize = 300;

pub(super) fn routes() -> Router<Server> {
    Router::new()
        .route("/definitions", get(definitions).post(check_or_publish))
        .route("/audit", get(trail))
        .route("/audit/access", get(access))
}

/// Routes that read the whole log, under the longer time limit.
pub(super) fn long() -> Router<Server> {
    Router::new()
        .route("/audit/verify", get(verify))
        .route("/definitions/{process}/migrations", get(migration_plan))
}

/// The migration plan: what moving each running case on an older version
/// to the process's latest would do (as `kroonika case migrate --plan`).
async fn migration_plan(
    State(server): State<Server>,
    person: Person,
    axum::extract::Path(process): axum::extract::Path<String>,
) -> Response {
    let app = server.app();
    let (definition, version) = match app.definition(&process, None).await {
        Ok(found) => found,
        Err(err) => return person.error(&Problem::from(err)),
    };
    let labels = super::labels::Labels::of(&definition, None, person.lang.code());
    // Who may read the cases sees them; the service owner, who may read the
    // report but not the cases, sees how many in each state.
    let (rows, groups) = match app.migrations(&person.request, &process, version).await {
        Ok(rows) => (rows, Vec::new()),
        Err(err) if err.code() == Some(kroonika_engine::Code::Denied) => {
            match app
                .migration_summary(&person.request, &process, version)
                .await
            {
                Ok(groups) => (Vec::new(), groups),
                Err(err) => return person.error(&Problem::from(err)),
            }
        }
        Err(err) => return person.error(&Problem::from(err)),
    };
    person.page(
        StatusCode::OK,
        "migrations.html",
        context! {
            process => &process,
            title => &labels.process,
            version => version,
            rows => Value::from(Serde(&rows)),
            groups => Value::from(Serde(&groups)),
            labels => Value::from(Serde(&labels)),
        },
    )
}

/// One published process, as the list shows it.
#[derive(Debug, Serialize)]
struct Process {
    id: String,
    title: String,
    version: u32,
    by: String,
    published_on: String,
}

fn processes(server: &Server, lang: super::i18n::Lang) -> Vec<Process> {
    server
        .app()
        .registry()
        .latest_versions()
        .map(|published| Process {
            id: published.publication.process.clone(),
            title: published
                .definition()
                .map(|d| d.title.get(lang.code()).to_owned())
                .unwrap_or_default(),
            version: published.publication.version,
            by: published.by.clone(),
            published_on: super::i18n::date(published.recorded_at.date_naive()),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct Edit {
    edit: Option<String>,
}

async fn definitions(
    State(server): State<Server>,
    person: Person,
    Query(edit): Query<Edit>,
) -> Response {
    let source = edit
        .edit
        .as_deref()
        .and_then(|process| {
            server
                .app()
                .registry()
                .versions(process)
                .last()
                .map(|p| p.publication.source.clone())
        })
        .unwrap_or_default();
    person.page(
        StatusCode::OK,
        "definitions.html",
        context! {
            processes => Value::from(Serde(processes(&server, person.lang))),
            source => source,
        },
    )
}

/// One line of the source, with what the checker says of it.
#[derive(Debug, Serialize)]
struct Line {
    number: usize,
    text: String,
    problems: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Source {
    csrf: Option<String>,
    source: Option<String>,
    /// `check` or `publish`.
    action: Option<String>,
}

async fn check_or_publish(
    State(server): State<Server>,
    person: Person,
    Form(form): Form<Source>,
) -> Response {
    if let Some(refused) = person.refuse_form(form.csrf.as_deref()) {
        return refused;
    }
    let source = form.source.unwrap_or_default();
    let checked = kroonika_processes::check(&source);
    let diagnostics: Vec<serde_json::Value> = checked
        .diagnostics
        .iter()
        .map(|d| d.to_json("definition", &source))
        .collect();
    let errors = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == kroonika_processes::Severity::Error)
        .count();
    let mut lines: Vec<Line> = source
        .lines()
        .enumerate()
        .map(|(i, text)| Line {
            number: i + 1,
            text: text.to_owned(),
            problems: Vec::new(),
        })
        .collect();
    for d in &diagnostics {
        let at = d["line"].as_u64().unwrap_or(1).max(1) as usize;
        if let Some(line) = lines.get_mut(at - 1) {
            line.problems
                .push(d["message"].as_str().unwrap_or_default().to_owned());
        }
    }
    let mut outcome = None;
    let mut status = if errors > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if form.action.as_deref() == Some("publish") && errors == 0 {
        match server.app().publish(&person.request, &source, false).await {
            Ok(Publishing::New {
                process, version, ..
            }) => outcome = Some(format!("{process} {version}")),
            Ok(Publishing::Unchanged { process, version }) => {
                outcome = Some(format!("{process} {version} (=)"));
            }
            Err(err) => {
                let problem = Problem::from(err);
                if problem.status.is_server_error() {
                    return person.error(&problem);
                }
                status = problem.status;
                outcome = Some(problem.detail);
            }
        }
    }
    person.page(
        status,
        "definitions.html",
        context! {
            processes => Value::from(Serde(processes(&server, person.lang))),
            source => source,
            checked => true,
            errors => errors,
            diagnostics => Value::from(Serde(diagnostics)),
            lines => Value::from(Serde(lines)),
            published => outcome,
        },
    )
}

#[derive(Debug, Deserialize)]
struct TrailQuery {
    case: Option<String>,
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// A row of the trail or the access log, in words.
#[derive(Debug, Serialize)]
struct Row {
    at: String,
    by: String,
    case: String,
    what: String,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn when(
    text: Option<String>,
    name: &str,
    day: kroonika_app::Day,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
    crate::routes::time(text.as_deref(), name, day)
}

async fn trail(
    State(server): State<Server>,
    person: Person,
    Query(query): Query<TrailQuery>,
) -> Response {
    let filter = match (
        when(given(&query.from), "from", kroonika_app::Day::Start),
        when(given(&query.to), "to", kroonika_app::Day::End),
    ) {
        (Ok(from), Ok(to)) => TrailFilter {
            case: given(&query.case),
            by: given(&query.by),
            from,
            to,
            ..TrailFilter::default()
        },
        (Err(problem), _) | (_, Err(problem)) => return person.error(&problem),
    };
    let rows = match server.app().trail(&person.request, &filter).await {
        Ok(trail) => trail.rows,
        Err(err) => return person.error(&Problem::from(err)),
    };
    let total = rows.len();
    let shown: Vec<Row> = rows
        .iter()
        .rev()
        .take(ROWS)
        .map(|row| Row {
            at: super::i18n::time(row.event.recorded_at),
            by: row.event.metadata.actor.clone(),
            case: row.reference.clone(),
            what: row.what.clone(),
        })
        .collect();
    person.page(
        StatusCode::OK,
        "audit.html",
        context! {
            view => "trail",
            rows => Value::from(Serde(shown)),
            total => total,
            case => given(&query.case),
            by => given(&query.by),
            from => given(&query.from),
            to => given(&query.to),
        },
    )
}

#[derive(Debug, Deserialize)]
struct AccessQuery {
    case: Option<String>,
    by: Option<String>,
}

async fn access(
    State(server): State<Server>,
    person: Person,
    Query(query): Query<AccessQuery>,
) -> Response {
    let case = given(&query.case);
    let by = given(&query.by);
    let rows = match server
        .app()
        .access_log(&person.request, None, by.as_deref(), case.as_deref())
        .await
    {
        Ok(rows) => rows,
        Err(err) => return person.error(&Problem::from(err)),
    };
    let total = rows.len();
    let shown: Vec<Row> = rows
        .iter()
        .rev()
        .take(ROWS)
        .map(|row| Row {
            at: super::i18n::time(row.recorded_at),
            by: row.actor.clone(),
            case: row.case.clone(),
            what: format!(
                "{} {}: {}",
                row.what,
                row.subjects.join(", "),
                row.purpose_or_reason
            ),
        })
        .collect();
    person.page(
        StatusCode::OK,
        "audit.html",
        context! {
            view => "access",
            rows => Value::from(Serde(shown)),
            total => total,
            case => case,
            by => by,
        },
    )
}

async fn verify(State(server): State<Server>, person: Person) -> Response {
    let verified = match server
        .app()
        .verify(&person.request, &Default::default(), &mut |_| {})
        .await
    {
        Ok(verified) => verified,
        Err(err) => return person.error(&Problem::from(err)),
    };
    let failure = verified.failure().map(|err| err.to_string());
    let status = if failure.is_some() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    person.page(
        status,
        "audit.html",
        context! {
            view => "verify",
            holds => verified.holds(),
            failure => failure,
            result => Value::from(Serde(verified.to_json())),
        },
    )
}
