//! `kroonika report PROCESS`: the funnel of a process from the case list.
//!
//! Aggregate output only: counts, never a case or a person. A count from 1 to 4
//! is suppressed (shown as `<5`), so a small region or month cannot point at
//! someone. Periods filter on when cases were opened (occurred-at); `--as-of`
//! answers from what had been recorded by then.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context as _;
use kroonika_projections::Fold;
use serde_json::{Value, json};

use crate::args::{Cli, ReportArgs, ReportFormat};
use crate::{context, output, projector};

/// Counts below this (and above zero) are not shown.
pub(crate) const SUPPRESS_BELOW: u64 = 5;

/// A count as aggregate output may show it.
fn cell(count: u64) -> Option<u64> {
    (count == 0 || count >= SUPPRESS_BELOW).then_some(count)
}

fn shown(count: u64) -> String {
    cell(count).map_or_else(|| format!("<{SUPPRESS_BELOW}"), |c| c.to_string())
}

pub(crate) async fn run(
    cli: &Cli,
    args: &ReportArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let fold = &kroonika_projections::cases::CaseList;
    let cases: Vec<Value> = match &args.as_of {
        None => {
            projector::catch_up(&store, fold, fold.name(), &mut |_| {}).await?;
            store
                .projection_docs(fold.name(), None)
                .await?
                .into_iter()
                .map(|(_, d)| d)
                .collect()
        }
        Some(text) => {
            projector::fold_until(
                &store,
                fold,
                context::parse_time(text, "--as-of", context::END_OF_DAY)?,
            )
            .await?
        }
    };
    let from = args
        .from
        .as_deref()
        .map(|t| context::parse_time(t, "--from", context::START_OF_DAY))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|t| context::parse_time(t, "--to", context::END_OF_DAY))
        .transpose()?;
    let opened_at = |doc: &Value| {
        doc["opened_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
    };
    let cases: Vec<&Value> = cases
        .iter()
        .filter(|doc| doc["process"] == args.process.as_str())
        .filter(|doc| from.is_none_or(|f| opened_at(doc).is_some_and(|at| at >= f)))
        .filter(|doc| to.is_none_or(|t| opened_at(doc).is_some_and(|at| at <= t)))
        .collect();
    let mut states: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut overdue = 0u64;
    for doc in &cases {
        if doc["closed"] == Value::Bool(true) {
            *outcomes
                .entry(doc["outcome"].as_str().unwrap_or("(none)").to_owned())
                .or_default() += 1;
        } else {
            *states
                .entry(doc["state"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
            if doc["deadline_missed"] == Value::Bool(true) {
                overdue += 1;
            }
        }
    }
    let opened = cases.len() as u64;
    let open: u64 = states.values().sum();
    let closed: u64 = outcomes.values().sum();

    let mut text = String::new();
    match args.format {
        ReportFormat::Json => {
            let rows = |counts: &BTreeMap<String, u64>, label: &str| -> Vec<Value> {
                counts.iter().map(|(name, n)| json!({ label: name, "cases": cell(*n), "suppressed": cell(*n).is_none() })).collect()
            };
            let doc = json!({
                "process": args.process,
                "from": args.from,
                "to": args.to,
                "as_of": args.as_of,
                "suppressed_below": SUPPRESS_BELOW,
                "opened": cell(opened),
                "open": cell(open),
                "closed": cell(closed),
                "overdue": cell(overdue),
                "states": rows(&states, "state"),
                "outcomes": rows(&outcomes, "outcome"),
            });
            text.push_str(&serde_json::to_string_pretty(&doc)?);
            text.push('\n');
        }
        ReportFormat::Csv => {
            text.push_str("kind,name,cases\n");
            for (kind, name, n) in [
                ("total", "opened", opened),
                ("total", "open", open),
                ("total", "closed", closed),
                ("total", "overdue", overdue),
            ] {
                text.push_str(&format!("{kind},{name},{}\n", shown(n)));
            }
            for (name, n) in &states {
                text.push_str(&format!("state,{name},{}\n", shown(*n)));
            }
            for (name, n) in &outcomes {
                text.push_str(&format!("outcome,{name},{}\n", shown(*n)));
            }
        }
        ReportFormat::Table => {
            let period = match (&args.from, &args.to) {
                (None, None) => "all cases".to_owned(),
                (from, to) => format!(
                    "opened {} to {}",
                    from.as_deref().unwrap_or("the start"),
                    to.as_deref().unwrap_or("now")
                ),
            };
            let rows = [
                ("process", args.process.clone()),
                ("cases", period),
                ("opened", shown(opened)),
                ("open", shown(open)),
                ("of which overdue", shown(overdue)),
                ("closed", shown(closed)),
            ];
            text.push_str(&output::key_values(&rows));
            text.push('\n');
            for (title, counts) in [
                ("open, by state", &states),
                ("closed, by outcome", &outcomes),
            ] {
                if !counts.is_empty() {
                    let mut table = output::table(&[title, "cases"]);
                    for (name, n) in counts.iter() {
                        table.add_row([name.clone(), shown(*n)]);
                    }
                    text.push('\n');
                    text.push_str(&output::trimmed(&table));
                    text.push('\n');
                }
            }
            text.push_str(&format!(
                "\ncounts from 1 to {} are shown as <{SUPPRESS_BELOW}\n",
                SUPPRESS_BELOW - 1
            ));
        }
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => out.write_all(text.as_bytes())?,
    }
    store.close().await;
    Ok(())
}
