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

use kroonika_app::reports::words;

use super::Person;
use super::i18n::Lang;
use super::labels::Labels;
use crate::Server;
use crate::problem::Problem;
use crate::routes::reports::ReportParams;

/// Reading the whole log: with the long routes.
pub(super) fn routes() -> Router<Server> {
    Router::new().route("/reports", get(report_page))
}

/// The filters, as the form sends them (empty: not given): the API's, and
/// the process chosen.
#[derive(Debug, Default, Deserialize, Serialize)]
struct Filters {
    process: Option<String>,
    #[serde(flatten)]
    report: ReportParams,
}

impl Filters {
    /// The same filters as a query string, for the CSV and printable links.
    fn query_string(&self, format: &str) -> String {
        let r = &self.report;
        let mut parts = vec![format!("format={format}")];
        for (name, value) in [
            ("from", &r.from),
            ("to", &r.to),
            ("period", &r.period),
            ("by", &r.by),
            ("as_of", &r.as_of),
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
    let labels = Labels::of(definition, None, lang.code());
    // What a report may be broken down by: enum and boolean fields.
    let mut by_fields: Vec<(String, String)> = Vec::new();
    for f in definition.fields.iter().filter(|f| !f.holds_personal()) {
        match f.ty {
            FieldType::Enum { .. } | FieldType::Boolean => {
                by_fields.push((f.name.clone(), labels.field(&f.name).to_owned()));
            }
            FieldType::Partner { .. } => {
                let title = labels.field(&f.name);
                let kind = if lang.code() == "et" { "liik" } else { "kind" };
                by_fields.push((f.name.clone(), title.to_owned()));
                by_fields.push((format!("{}.kind", f.name), format!("{title} ({kind})")));
            }
            _ => {}
        }
    }
    let params = ReportParams {
        format: None,
        lang: Some(lang.code().to_owned()),
        ..filters.report.clone()
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

/// A template value as the report's JSON holds it (a count, a share, a
/// number, or null where suppressed), for the report's own words.
fn json(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// `{{ share|percent }}`: a share (0.455) as [`words::percent`] writes it,
/// with the Estonian decimal comma and space (`45,5 %`) on an Estonian page.
pub(super) fn percent(state: &minijinja::State, value: Value) -> String {
    let text = words::percent(&json(&value));
    match Lang::of_page(state) {
        Lang::Et => text.replace('.', ",").replace('%', " %"),
        Lang::En => text,
    }
}

/// `{{ x|number }}`: [`words::number`] with the reader's decimal mark.
pub(super) fn number(state: &minijinja::State, value: Value) -> String {
    let text = words::number(&json(&value));
    match Lang::of_page(state) {
        Lang::Et => text.replace('.', ","),
        Lang::En => text,
    }
}

/// `{{ n|count }}`: [`words::count`]: `<5` where suppressed.
pub(super) fn count(value: Value) -> String {
    words::count(&json(&value))
}

#[cfg(test)]
mod tests {
    use minijinja::{Environment, context};

    #[test]
    fn figures_are_written_the_readers_way_and_small_counts_hidden() {
        let mut env = Environment::new();
        env.add_filter("percent", super::percent);
        env.add_filter("number", super::number);
        env.add_filter("count", super::count);
        let shown = |lang: &str| {
            env.render_str(
                "{{ 0.455|percent }} {{ 2.5|number }} {{ 12|count }} {{ none|count }} {{ none|percent }}",
                context! { lang => lang },
            )
            .unwrap()
        };
        assert_eq!(shown("et"), "45,5 % 2,5 12 <5 –");
        assert_eq!(shown("en"), "45.5% 2.5 12 <5 –");
    }
}
