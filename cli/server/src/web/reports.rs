//! The report page: a process's report in the reader's language, with the
//! filters `kroonika report` takes (period, by, from/to, as-of), and the same
//! report as CSV and as a printable page.
//!
//! The figures are the report's JSON form (`App::report`), small counts
//! already suppressed there, so this page cannot show what the CSV hides.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use kroonika_engine::definition::FieldType;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::Person;
use super::labels::Labels;
use crate::Server;
use crate::problem::Problem;
use crate::routes::reports::ReportParams;

/// Reading the whole log: with the long routes.
pub(super) fn routes() -> Router<Server> {
    Router::new().route("/reports", get(report_page))
}

/// The filters, as the form sends them (empty: not given).
#[derive(Debug, Default, Deserialize, Serialize)]
struct Filters {
    process: Option<String>,
    from: Option<String>,
    to: Option<String>,
    period: Option<String>,
    by: Option<String>,
    as_of: Option<String>,
}

impl Filters {
    /// The same filters as a query string, for the CSV and printable links.
    fn query_string(&self, format: &str) -> String {
        let mut parts = vec![format!("format={format}")];
        for (name, value) in [
            ("from", &self.from),
            ("to", &self.to),
            ("period", &self.period),
            ("by", &self.by),
            ("as_of", &self.as_of),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{name}={}", super::urlencode(value)));
            }
        }
        parts.join("&")
    }
}

async fn report_page(
    State(server): State<Server>,
    person: Person,
    Query(filters): Query<Filters>,
) -> Response {
    let lang = person.lang;
    let definitions: Vec<_> = server
        .app()
        .registry()
        .latest_versions()
        .filter_map(|published| published.definition().ok())
        .collect();
    let processes: Vec<(String, String)> = definitions
        .iter()
        .map(|d| (d.id.clone(), d.title.get(lang.code()).to_owned()))
        .collect();
    let chosen = filters
        .process
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| processes.first().map(|(id, _)| id.clone()));
    let Some(process) = chosen else {
        return person.page(
            StatusCode::OK,
            "report.html",
            context! { processes => processes, filters => Value::from(Serde(&filters)) },
        );
    };
    let Some(definition) = definitions.iter().find(|d| d.id == process) else {
        return person.error(&Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("there is no published process '{process}'"),
        ));
    };
    let labels = Labels::of(definition, None, lang);
    // What a report may be broken down by: enum and boolean fields.
    let by_fields: Vec<(String, String)> = definition
        .fields
        .iter()
        .filter(|f| f.personal.is_none())
        .filter(|f| matches!(f.ty, FieldType::Enum { .. } | FieldType::Boolean))
        .map(|f| (f.name.clone(), labels.field(&f.name).to_owned()))
        .collect();
    let params = ReportParams {
        format: None,
        from: filters.from.clone(),
        to: filters.to.clone(),
        period: filters.period.clone(),
        by: filters.by.clone(),
        as_of: filters.as_of.clone(),
    };
    let result = match params.query(process.clone()) {
        Ok((query, _)) => server
            .app()
            .report(&person.request, &query)
            .await
            .map_err(Problem::from),
        Err(problem) => Err(problem),
    };
    let (status, report, refusal) = match result {
        Ok(report) => (StatusCode::OK, Some(report), None),
        Err(problem) if problem.status.is_server_error() => return person.error(&problem),
        Err(problem) => (problem.status, None, Some(problem.detail)),
    };
    person.page(
        status,
        "report.html",
        context! {
            processes => processes,
            process => &process,
            filters => Value::from(Serde(&filters)),
            by_fields => by_fields,
            report => Value::from(Serde(&report)),
            refusal => refusal,
            labels => Value::from(Serde(&labels)),
            metrics => Value::from(Serde(metric_titles(definition, lang))),
            csv => format!("/api/v1/reports/{}?{}", super::urlencode(&process), filters.query_string("csv")),
            printable => format!("/api/v1/reports/{}?{}", super::urlencode(&process), filters.query_string("html")),
        },
    )
}

/// Each metric's title and description in the reader's language, by id.
fn metric_titles(
    definition: &kroonika_engine::definition::ProcessDefinition,
    lang: super::i18n::Lang,
) -> std::collections::BTreeMap<String, (String, Option<String>)> {
    definition
        .metrics
        .iter()
        .map(|m| {
            (
                m.id.clone(),
                (
                    m.title.get(lang.code()).to_owned(),
                    m.description
                        .as_ref()
                        .map(|d| d.get(lang.code()).to_owned()),
                ),
            )
        })
        .collect()
}

/// `{{ share|percent }}`: a share (0.455) as the reader writes it: `45,5 %`
/// in Estonian, `45.5%` in English; `–` where suppressed.
pub(super) fn percent(state: &minijinja::State, value: Value) -> String {
    match f64::try_from(value) {
        Ok(x) => {
            let text = format!("{:.1}", x * 100.0);
            if is_et(state) {
                format!("{} %", text.replace('.', ","))
            } else {
                format!("{text}%")
            }
        }
        Err(_) => "–".to_owned(),
    }
}

/// `{{ x|number }}`: a number with the reader's decimal mark; `–` where none.
pub(super) fn number(state: &minijinja::State, value: Value) -> String {
    match f64::try_from(value) {
        Ok(x) => {
            let text = format!("{x}");
            if is_et(state) {
                text.replace('.', ",")
            } else {
                text
            }
        }
        Err(_) => "–".to_owned(),
    }
}

/// `{{ n|count }}`: a count; `<5` where suppressed (a small group).
pub(super) fn count(value: Value) -> String {
    match u64::try_from(value) {
        Ok(n) => n.to_string(),
        Err(_) => "<5".to_owned(),
    }
}

fn is_et(state: &minijinja::State) -> bool {
    state
        .lookup("lang")
        .is_none_or(|l| l.as_str() != Some("en"))
}
