//! A process's report: its funnel, deadline compliance and declared metrics,
//! small cells suppressed, as JSON, CSV or one self-contained HTML page; and
//! the volunteer hours across processes.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kroonika_app::Day;
use kroonika_app::reports::ReportQuery;
use kroonika_app::reports::hours::HoursQuery;
use kroonika_projections::metrics::Period;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Path, Query, tags, time};
use crate::Server;
use crate::caller::Caller;
use crate::problem::{Problem, ProblemBody};

pub(super) fn routes() -> OpenApiRouter<Server> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(hours))
}

/// The report's filters (as `kroonika report`).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportParams {
    /// `json` (the default), `csv` or `html`.
    pub format: Option<String>,
    /// Cases opened on or after this date.
    pub from: Option<String>,
    /// … on or before this date.
    pub to: Option<String>,
    /// Break figures down by `month`, `quarter` or `year`.
    pub period: Option<String>,
    /// Break every metric down by this enum or boolean field.
    pub by: Option<String>,
    /// The report as it could have been made then (recorded by then).
    pub as_of: Option<String>,
    /// The language of the definition's words (titles): `et` or `en`.
    pub lang: Option<String>,
}

impl ReportParams {
    /// The filters as a report query, and the format asked for; a malformed
    /// one names the parameter.
    pub(crate) fn query(self, process: String) -> Result<(ReportQuery, &'static str), Problem> {
        let date = |text: &Option<String>, name: &str| {
            Ok::<_, Problem>(time(text.as_deref(), name, Day::Noon)?.map(|at| at.date_naive()))
        };
        let period = period(self.period.as_deref())?;
        let as_of = match self.as_of.as_deref().filter(|t| !t.is_empty()) {
            Some(text) => Some((
                kroonika_app::time::parse(text, "as_of", Day::End)?,
                text.to_owned(),
            )),
            None => None,
        };
        let lang = match self.lang.as_deref() {
            None | Some("") => None,
            Some(lang @ ("et" | "en")) => Some(lang.to_owned()),
            Some(other) => {
                return Err(Problem::malformed(format!(
                    "lang takes et or en, got '{other}'"
                )));
            }
        };
        let format = match self.format.as_deref().unwrap_or("json") {
            "json" => "json",
            "csv" => "csv",
            "html" => "html",
            other => {
                return Err(Problem::malformed(format!(
                    "format takes json, csv or html, got '{other}'"
                )));
            }
        };
        let given = |text: Option<String>| text.filter(|t| !t.is_empty());
        let (from, to) = (given(self.from), given(self.to));
        let query = ReportQuery {
            process,
            from: date(&from, "from")?,
            to: date(&to, "to")?,
            period,
            by: given(self.by),
            as_of,
            lang,
        };
        Ok((query, format))
    }
}

/// A process's report (for those holding a role the process names, its
/// service owner, auditors).
#[utoipa::path(get, path = "/api/v1/reports/{process}", tag = tags::REPORTS,
    params(("process" = String, Path, description = "The process id"), ReportParams),
    responses((status = 200, description = "The report: JSON, CSV (text/csv) or HTML (text/html)", body = Object),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)))]
async fn report(
    State(server): State<Server>,
    caller: Caller,
    Path(process): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, Problem> {
    let (query, format) = params.query(process)?;
    let report = server.app().report(&caller.request, &query).await?;
    let (text, kind) = match format {
        "csv" => (
            kroonika_app::reports::csv::csv(&report),
            "text/csv; charset=utf-8",
        ),
        "html" => (
            kroonika_app::reports::html::page(&report),
            "text/html; charset=utf-8",
        ),
        _ => return Ok(Json(report).into_response()),
    };
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    Ok(response)
}

/// `month`, `quarter` or `year`, or none.
fn period(text: Option<&str>) -> Result<Option<Period>, Problem> {
    match text {
        None | Some("") => Ok(None),
        Some("month") => Ok(Some(Period::Month)),
        Some("quarter") => Ok(Some(Period::Quarter)),
        Some("year") => Ok(Some(Period::Year)),
        Some(other) => Err(Problem::malformed(format!(
            "period takes month, quarter or year, got '{other}'"
        ))),
    }
}

/// The volunteer hours report's filters (as `kroonika hours`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HoursParams {
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
    /// Hours given on or after this date.
    pub from: Option<String>,
    /// … on or before this date.
    pub to: Option<String>,
    /// Break the hours down by `month`, `quarter` or `year`.
    pub period: Option<String>,
    /// Why each volunteer's own totals are read (coordinators; recorded in
    /// the access log). Without it, aggregates only.
    pub per_volunteer_purpose: Option<String>,
}

/// The hours volunteers gave, by activity and period, across every process
/// whose steps record hours; a figure from fewer than five people is hidden.
/// With `per_volunteer_purpose`, each volunteer's own totals too
/// (coordinators only; the reading is recorded).
#[utoipa::path(get, path = "/api/v1/hours", tag = tags::REPORTS, params(HoursParams),
    responses((status = 200, description = "The hours: JSON or CSV (text/csv)", body = Object),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
async fn hours(
    State(server): State<Server>,
    caller: Caller,
    Query(params): Query<HoursParams>,
) -> Result<Response, Problem> {
    let date = |text: &Option<String>, name: &str| {
        Ok::<_, Problem>(time(text.as_deref(), name, Day::Noon)?.map(|at| at.date_naive()))
    };
    let query = HoursQuery {
        from: date(&params.from, "from")?,
        to: date(&params.to, "to")?,
        period: period(params.period.as_deref())?,
        per_volunteer: params.per_volunteer_purpose.clone(),
    };
    let csv = match params.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(Problem::malformed(format!(
                "format takes json or csv, got '{other}'"
            )));
        }
    };
    let report = server
        .app()
        .volunteer_hours(&caller.request, &query)
        .await?;
    if !csv {
        return Ok(Json(report).into_response());
    }
    let mut response = kroonika_app::reports::hours::csv(&report).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(response)
}
