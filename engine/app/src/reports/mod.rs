//! Reports: a process's funnel, deadline compliance and the metrics its
//! definition declares, from the case-facts projection.
//!
//! The report is built once as its JSON form, with every small cell already
//! suppressed (`kroonika_projections::metrics::shown`); front ends render
//! their formats (a table, CSV, HTML) from that JSON, so no format can show
//! what another hides, and the JSON a program reads is exactly what a person
//! sees. Aggregate output only: counts and statistics, never a case, a
//! reference or a person.

pub mod csv;
pub mod hours;
pub mod html;
pub mod words;

use chrono::{DateTime, NaiveDate, Utc};
use kroonika_engine::Code;
use kroonika_engine::definition::{Cohort, FieldType, Maturity, MetricKind, ProcessDefinition};
use kroonika_projections::facts::{CaseFacts, Facts};
use kroonika_projections::metrics::{self, Cell, Measure, Period, Query, SUPPRESS_BELOW, shown};
use kroonika_projections::{Catalog, Fold};
use serde_json::{Value, json};

use crate::App;
use crate::command::Request;
use crate::error::{Error, Result, reject};
use crate::permissions::Reading;

/// What a report is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportQuery {
    pub process: String,
    /// Only cases whose opening (metrics: cohort) date is on or after this.
    pub from: Option<NaiveDate>,
    /// … on or before this.
    pub to: Option<NaiveDate>,
    pub period: Option<Period>,
    /// Break every metric down by this enum or boolean field.
    pub by: Option<String>,
    /// As recorded by then: the time, and how it was written (shown in the report).
    pub as_of: Option<(DateTime<Utc>, String)>,
    /// The language of the definition's words (titles): `et` or `en`
    /// (None: English, or whichever the definition has).
    pub lang: Option<String>,
}

impl App {
    /// A process's report, as its JSON form.
    pub async fn report(&self, request: &Request, asked: &ReportQuery) -> Result<Value> {
        self.reader(request, Reading::Report(&asked.process))
            .await?;
        // Read once: the fold needs it, and so does the report (the metrics).
        let mut catalog = self.catalog().await?;
        let (docs, today) = self
            .documents(
                &mut catalog,
                &CaseFacts,
                asked.as_of.as_ref().map(|(at, _)| *at),
            )
            .await?;
        let Some((version, definition)) = catalog.latest(&asked.process) else {
            return Err(reject(
                Code::NotFound,
                format!(
                    "there is no published process '{}'; `kroonika def list` shows them",
                    asked.process
                ),
            ));
        };
        let mut regroup = None;
        let by = match &asked.by {
            None => None,
            Some(by) => {
                let mut allowed: Vec<String> = metrics::breakdown_fields(definition)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let partner_fields: Vec<&str> = definition
                    .fields
                    .iter()
                    .filter(|f| matches!(f.ty, FieldType::Partner { .. }))
                    .map(|f| f.name.as_str())
                    .collect();
                allowed.extend(partner_fields.iter().map(|f| format!("{f}.kind")));
                if !allowed.contains(by) {
                    return Err(reject(
                        Code::InvalidInput,
                        format!(
                            "--by {by}: a report breaks down by an enum, boolean or partner field that is not personal, or a partner's kind (FIELD.kind); {} has: {}",
                            asked.process,
                            allowed.join(", ")
                        ),
                    ));
                }
                match by.strip_suffix(".kind") {
                    // By kind of partner: each partner's id grouped under its
                    // kind in the list in force.
                    Some(field) if partner_fields.contains(&field) => {
                        let list = self.registry().partners()?;
                        regroup = Some(
                            list.iter()
                                .flat_map(|l| l.partners.iter())
                                .map(|p| (p.id.clone(), p.kind.clone()))
                                .collect(),
                        );
                        Some(field.to_owned())
                    }
                    _ => Some(by.clone()),
                }
            }
        };
        let query = Query {
            from: asked.from,
            to: asked.to,
            period: asked.period,
            by,
            regroup,
            today,
        };
        let mut facts: Vec<Facts> = Vec::new();
        for doc in docs {
            let case = Facts::from_doc(doc).map_err(Error::Invalid)?;
            if case.process == asked.process {
                facts.push(case);
            }
        }
        let mut report = build(definition, version, &facts, &query, asked);
        if let Some(by) = &asked.by {
            report["group_titles"] =
                json!(self.group_titles(definition, by, asked.lang.as_deref())?);
        }
        Ok(report)
    }

    /// What a breakdown's groups are called in `lang`: an enum's labels, a
    /// partner's name, a kind of partner's name.
    fn group_titles(
        &self,
        def: &ProcessDefinition,
        by: &str,
        lang: Option<&str>,
    ) -> Result<std::collections::BTreeMap<String, String>> {
        let lang = lang.unwrap_or("en");
        let (field, kinds) = match by.strip_suffix(".kind") {
            Some(field) => (field, true),
            None => (by, false),
        };
        let mut titles = std::collections::BTreeMap::new();
        match def.field(field).map(|f| &f.ty) {
            Some(FieldType::Partner { .. }) => {
                if let Some(list) = self.registry().partners()? {
                    if kinds {
                        for kind in &list.kinds {
                            titles.insert(kind.id.clone(), kind.title.get(lang).to_owned());
                        }
                    } else {
                        for partner in &list.partners {
                            titles.insert(partner.id.clone(), partner.title.get(lang).to_owned());
                        }
                    }
                }
            }
            Some(_) => {
                if let Some(f) = def.field(field) {
                    for (value, text) in &f.labels {
                        titles.insert(value.clone(), text.get(lang).to_owned());
                    }
                }
            }
            None => {}
        }
        Ok(titles)
    }
}

impl App {
    /// A projection's documents, caught up with the log (or folded from it
    /// up to `as_of`, or on a read-only store), and the day its figures are
    /// judged on.
    pub(crate) async fn documents(
        &self,
        catalog: &mut Catalog,
        fold: &dyn Fold,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<(Vec<Value>, NaiveDate)> {
        if let Some(at) = as_of {
            return Ok((
                self.fold_until_with(catalog, fold, at).await?,
                at.date_naive(),
            ));
        }
        match self
            .catch_up_with(catalog, fold, fold.name(), &mut |_| {})
            .await
        {
            Ok(_) => {
                let docs = self.inner.store.projection_docs(fold.name(), None).await?;
                Ok((
                    docs.into_iter().map(|(_, d)| d).collect(),
                    self.now().date_naive(),
                ))
            }
            // A read-only store: the same figures, folded from the log.
            Err(err) if err.is_read_only() => {
                let now = self.now();
                Ok((
                    self.fold_until_with(catalog, fold, now).await?,
                    now.date_naive(),
                ))
            }
            Err(err) => Err(err),
        }
    }
}

/// The report's JSON form, suppression applied. Stable: keys are only added.
fn build(
    def: &ProcessDefinition,
    version: u32,
    facts: &[Facts],
    query: &Query,
    asked: &ReportQuery,
) -> Value {
    let lang = asked.lang.as_deref().unwrap_or("en");
    let funnel = metrics::funnel(def, facts, query);
    let states: Vec<Value> = funnel
        .states
        .iter()
        .map(|(state, reached, now)| json!({ "state": state, "title": def.state_title(state, lang), "reached": shown(*reached), "now": shown(*now) }))
        .collect();
    let outcomes: Vec<Value> = funnel
        .outcomes
        .iter()
        .map(|(outcome, n)| json!({ "outcome": outcome, "title": def.outcome_title(outcome, lang), "cases": shown(*n) }))
        .collect();
    let trend: Vec<Value> = funnel
        .trend
        .iter()
        .map(|(month, n)| json!({ "month": month, "opened": shown(*n) }))
        .collect();
    let deadlines: Vec<Value> = funnel
        .deadlines
        .iter()
        .map(|(state, met, missed, pending)| {
            let mut row = json!({ "state": state });
            deadline_values(&mut row, *met, *missed, *pending);
            row
        })
        .collect();
    let notices: Vec<Value> = funnel
        .notices
        .iter()
        .map(|(notice, met, missed, pending)| {
            let title = def
                .notice(notice)
                .and_then(|n| n.title.as_ref())
                .map(|t| t.get(lang).to_owned());
            let mut row = json!({ "notice": notice, "title": title });
            deadline_values(&mut row, *met, *missed, *pending);
            row
        })
        .collect();
    let metrics: Vec<Value> = metrics::metrics(def, facts, query)
        .into_iter()
        .map(|result| {
            let metric = &result.metric;
            let kind = match &metric.kind {
                MetricKind::Count { .. } => "count",
                MetricKind::Rate { .. } => "rate",
                MetricKind::Duration { .. } => "duration",
                MetricKind::Deadline { .. } => "deadline",
                MetricKind::Score { .. } => "score",
                MetricKind::Total { .. } => "total",
            };
            let cohort = match &metric.cohort {
                Cohort::Opened => "opened".to_owned(),
                Cohort::Field { field } => field.clone(),
            };
            let mature = metric.mature.as_ref().map(|m| match m {
                Maturity::Closed => "closed".to_owned(),
                Maturity::After { after } => after.to_string(),
            });
            let (days, hours) = match &metric.kind {
                MetricKind::Duration { hours: true, .. } => (Some("hours"), true),
                MetricKind::Duration { working_days, .. } => (
                    Some(if *working_days { "working" } else { "calendar" }),
                    false,
                ),
                _ => (None, false),
            };
            let cells: Vec<Value> = result.cells.iter().map(|c| cell(c, hours)).collect();
            let mut doc = json!({
                "id": metric.id,
                "title": metric.title.get(lang),
                "kind": kind,
                "cohort": cohort,
                "mature": mature,
                "cells": cells,
            });
            if let Some(description) = &metric.description {
                doc["description"] = json!(description.get(lang));
            }
            if let Some(days) = days {
                doc["days"] = json!(days);
            }
            doc
        })
        .collect();
    let mut report = json!({
        "process": def.id,
        "title": def.title.get(lang),
        "lang": asked.lang,
        "version": version,
        "from": query.from,
        "to": query.to,
        "period": asked.period.map(|p| format!("{p:?}").to_lowercase()),
        "by": asked.by,
        "as_of": asked.as_of.as_ref().map(|(_, text)| text),
        "day": query.today,
        "suppressed_below": SUPPRESS_BELOW,
        "funnel": {
            "opened": shown(funnel.opened),
            "open": shown(funnel.open),
            "overdue": shown(funnel.overdue),
            "closed": shown(funnel.closed),
            "states": states,
            "outcomes": outcomes,
        },
        "trend": trend,
        "deadlines": deadlines,
        "metrics": metrics,
    });
    // Only a process that owes notices has the table (reports of the others
    // read as they always did).
    if !notices.is_empty()
        && let Some(report) = report.as_object_mut()
    {
        report.insert("notices".to_owned(), Value::Array(notices));
    }
    report
}

/// A share, shown when what it is a share of is not a small group (at least
/// [`SUPPRESS_BELOW`] cases), however small its own count: "met 1025, missed
/// <5" still shows its met share. Suppression protects the people in small
/// groups; it does not blank a figure computed over a thousand cases.
fn share(of: u64, per: u64) -> Option<f64> {
    (per >= SUPPRESS_BELOW).then(|| round(of as f64 / per as f64, 4))
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

fn deadline_values(row: &mut Value, met: u64, missed: u64, pending: u64) {
    row["met"] = json!(shown(met));
    row["missed"] = json!(shown(missed));
    row["pending"] = json!(shown(pending));
    row["met_share"] = json!(share(met, met + missed));
}

/// One metric cell, suppressed. `hours`: a duration's values are minutes,
/// shown as hours.
fn cell(cell: &Cell, hours: bool) -> Value {
    let mut row = json!({ "period": cell.period, "group": cell.group });
    match &cell.measure {
        Measure::Count { cases } => row["cases"] = json!(shown(*cases)),
        Measure::Rate { of, per } => {
            row["of"] = json!(shown(*of));
            row["per"] = json!(shown(*per));
            row["rate"] = json!(share(*of, *per));
        }
        Measure::Duration { days } if hours => {
            let n = days.len() as u64;
            row["cases"] = json!(shown(n));
            let stats = (n >= SUPPRESS_BELOW)
                .then(|| metrics::summary(days))
                .flatten();
            row["median"] = json!(stats.map(|s| round(s.0 / 60.0, 1)));
            row["p90"] = json!(stats.map(|s| round(s.1 / 60.0, 1)));
            row["mean"] = json!(stats.map(|s| round(s.2 / 60.0, 1)));
            let whole: Vec<i64> = days.iter().map(|m| m / 60).collect();
            row["distribution"] = json!(stats.map(|_| distribution(&whole)).unwrap_or_default());
        }
        Measure::Duration { days } => {
            let n = days.len() as u64;
            row["cases"] = json!(shown(n));
            let stats = (n >= SUPPRESS_BELOW)
                .then(|| metrics::summary(days))
                .flatten();
            row["median"] = json!(stats.map(|s| s.0));
            row["p90"] = json!(stats.map(|s| s.1));
            row["mean"] = json!(stats.map(|s| round(s.2, 1)));
            row["distribution"] = json!(stats.map(|_| distribution(days)).unwrap_or_default());
        }
        Measure::Total { sum, steps, cases } => {
            // A sum over fewer than five cases is a figure about a few people.
            row["cases"] = json!(shown(*cases));
            row["steps"] = json!((*cases >= SUPPRESS_BELOW).then_some(*steps));
            row["total"] = json!((*cases >= SUPPRESS_BELOW).then(|| round(*sum, 2)));
        }
        Measure::Deadline {
            met,
            missed,
            pending,
        } => deadline_values(&mut row, *met, *missed, *pending),
        Measure::Score {
            answers,
            threshold,
            per,
        } => {
            let n = answers.len() as u64;
            let enough = n >= SUPPRESS_BELOW;
            row["answers"] = json!(shown(n));
            row["mean"] = json!(enough.then(|| round(answers.iter().sum::<f64>() / n as f64, 2)));
            if let Some(threshold) = threshold {
                let above = answers.iter().filter(|a| **a >= *threshold).count() as u64;
                row["threshold"] = json!(threshold);
                row["at_or_above"] = json!(shown(above));
                row["at_or_above_share"] = json!(share(above, n));
            }
            if let Some((cases, answered)) = per {
                row["per"] = json!(shown(*cases));
                row["responded"] = json!(shown(*answered));
                row["response_rate"] = json!(share(*answered, *cases));
            }
        }
    }
    row
}

/// A histogram of durations in about ten bins of a round width; each bin's count
/// suppressed like any other.
fn distribution(sorted: &[i64]) -> Vec<Value> {
    let Some(max) = sorted.last().copied() else {
        return Vec::new();
    };
    let width = [1, 2, 5, 7, 10, 14, 21, 30, 60, 90, 180, 365]
        .into_iter()
        .find(|w| (max + 1) as f64 / *w as f64 <= 10.0)
        .unwrap_or(((max + 1) / 10).max(1));
    let bins = max / width + 1;
    (0..bins)
        .map(|k| {
            let (from, to) = (k * width, k * width + width - 1);
            let n = sorted.iter().filter(|d| (from..=to).contains(*d)).count() as u64;
            json!({ "from": from, "to": to, "cases": shown(n) })
        })
        .collect()
}
