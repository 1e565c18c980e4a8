//! `kroonika report PROCESS`: the funnel, deadline compliance and declared
//! metrics of a process, from the case-facts projection.
//!
//! The report is built once as its JSON form, with every small cell already
//! suppressed (`kroonika_projections::metrics::shown`), and the table, CSV and
//! HTML are rendered from that JSON: no format can show what another hides, and
//! the JSON a program reads is exactly what a person sees. Aggregate output only:
//! counts and statistics, never a case, a reference or a person.

mod html;
mod text;

use std::io::Write;

use anyhow::Context as _;
use chrono::NaiveDate;
use kroonika_engine::Rejection;
use kroonika_engine::definition::{Cohort, Maturity, MetricKind, ProcessDefinition};
use kroonika_projections::Fold;
use kroonika_projections::facts::{CaseFacts, Facts};
use kroonika_projections::metrics::{self, Cell, Measure, Period, Query, SUPPRESS_BELOW, shown};
use serde_json::{Value, json};

use crate::args::{Cli, PeriodArg, ReportArgs, ReportFormat};
use crate::{context, projector};

pub(crate) async fn run(
    cli: &Cli,
    args: &ReportArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let fold = &CaseFacts;
    // Read once: the fold needs it, and so does the report (the metrics).
    let mut catalog = projector::catalog(&store).await?;
    let (docs, today): (Vec<Value>, NaiveDate) = match &args.as_of {
        None => {
            projector::catch_up_with(&store, &mut catalog, fold, fold.name(), &mut |_| {}).await?;
            let docs = store.projection_docs(fold.name(), None).await?;
            (
                docs.into_iter().map(|(_, d)| d).collect(),
                chrono::Utc::now().date_naive(),
            )
        }
        Some(text) => {
            let at = context::parse_time(text, "--as-of", context::END_OF_DAY)?;
            (
                projector::fold_until_with(&store, &catalog, fold, at).await?,
                at.date_naive(),
            )
        }
    };
    store.close().await;
    let Some((version, definition)) = catalog.latest(&args.process) else {
        return Err(Rejection::new(format!(
            "there is no published process '{}'; `kroonika def list` shows them",
            args.process
        ))
        .into());
    };
    let date = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<NaiveDate>> {
        text.as_deref()
            .map(|t| context::parse_time(t, flag, context::NOON).map(|at| at.date_naive()))
            .transpose()
    };
    if let Some(by) = &args.by {
        let allowed = metrics::breakdown_fields(definition);
        if !allowed.contains(&by.as_str()) {
            return Err(Rejection::new(format!(
                "--by {by}: a report breaks down by an enum or boolean field that is not personal; {} has: {}",
                args.process,
                allowed.join(", ")
            ))
            .into());
        }
    }
    let query = Query {
        from: date(&args.from, "--from")?,
        to: date(&args.to, "--to")?,
        period: args.period.map(|p| match p {
            PeriodArg::Month => Period::Month,
            PeriodArg::Quarter => Period::Quarter,
            PeriodArg::Year => Period::Year,
        }),
        by: args.by.clone(),
        today,
    };
    let mut facts: Vec<Facts> = Vec::new();
    for doc in docs {
        let case = Facts::from_doc(doc).map_err(|reason| anyhow::anyhow!(reason))?;
        if case.process == args.process {
            facts.push(case);
        }
    }
    let report = build(definition, version, &facts, &query, args);
    let text = match args.format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ReportFormat::Csv => text::csv(&report),
        ReportFormat::Table => text::table(&report),
        ReportFormat::Html => html::page(&report),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// The report's JSON form, suppression applied. Stable: keys are only added.
fn build(
    def: &ProcessDefinition,
    version: u32,
    facts: &[Facts],
    query: &Query,
    args: &ReportArgs,
) -> Value {
    let funnel = metrics::funnel(def, facts, query);
    let states: Vec<Value> = funnel
        .states
        .iter()
        .map(|(state, reached, now)| json!({ "state": state, "reached": shown(*reached), "now": shown(*now) }))
        .collect();
    let outcomes: Vec<Value> = funnel
        .outcomes
        .iter()
        .map(|(outcome, n)| json!({ "outcome": outcome, "cases": shown(*n) }))
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
            };
            let cohort = match &metric.cohort {
                Cohort::Opened => "opened".to_owned(),
                Cohort::Field { field } => field.clone(),
            };
            let mature = metric.mature.as_ref().map(|m| match m {
                Maturity::Closed => "closed".to_owned(),
                Maturity::After { after } => after.to_string(),
            });
            let days = match &metric.kind {
                MetricKind::Duration { working_days, .. } => {
                    Some(if *working_days { "working" } else { "calendar" })
                }
                _ => None,
            };
            let cells: Vec<Value> = result.cells.iter().map(cell).collect();
            let mut doc = json!({
                "id": metric.id,
                "title": metric.title,
                "kind": kind,
                "cohort": cohort,
                "mature": mature,
                "cells": cells,
            });
            if let Some(description) = &metric.description {
                doc["description"] = json!(description);
            }
            if let Some(days) = days {
                doc["days"] = json!(days);
            }
            doc
        })
        .collect();
    json!({
        "process": def.id,
        "title": def.title,
        "version": version,
        "from": query.from,
        "to": query.to,
        "period": args.period.map(|p| format!("{p:?}").to_lowercase()),
        "by": query.by,
        "as_of": args.as_of,
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
    })
}

/// A share of two counts, shown only when both counts are.
fn share(of: u64, per: u64) -> Option<f64> {
    match (shown(of), shown(per)) {
        (Some(of), Some(per)) if per > 0 => Some(round(of as f64 / per as f64, 4)),
        _ => None,
    }
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

fn deadline_values(row: &mut Value, met: u64, missed: u64, pending: u64) {
    row["met"] = json!(shown(met));
    row["missed"] = json!(shown(missed));
    row["pending"] = json!(shown(pending));
    // Both counts the share is read against must be shown.
    row["met_share"] = json!(shown(missed).and(share(met, met + missed)));
}

/// One metric cell, suppressed.
fn cell(cell: &Cell) -> Value {
    let mut row = json!({ "period": cell.period, "group": cell.group });
    match &cell.measure {
        Measure::Count { cases } => row["cases"] = json!(shown(*cases)),
        Measure::Rate { of, per } => {
            row["of"] = json!(shown(*of));
            row["per"] = json!(shown(*per));
            row["rate"] = json!(share(*of, *per));
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
