//! `kroonika case list`: the case-list projection, caught up first, filtered,
//! nearest deadline first.

use std::io::Write;

use kroonika_projections::Fold;
use kroonika_store::Store;
use serde_json::Value;

use crate::args::{CaseCommand, Format};
use crate::{output, projector};

pub(crate) async fn run(
    store: &Store,
    command: &CaseCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let CaseCommand::List {
        process,
        state,
        assigned_to,
        overdue,
        outcome,
        open,
        closed,
        as_of,
        format,
    } = command
    else {
        return Ok(());
    };
    let fold = &kroonika_projections::cases::CaseList;
    let (mut cases, today) = match as_of {
        None => {
            projector::catch_up(store, fold, fold.name(), &mut |_| {}).await?;
            let docs = store.projection_docs(fold.name(), None).await?;
            let docs: Vec<Value> = docs.into_iter().map(|(_, doc)| doc).collect();
            (docs, chrono::Utc::now().date_naive().to_string())
        }
        Some(text) => {
            let at = crate::commands::case::as_of(text)?;
            (
                projector::fold_until(store, fold, at).await?,
                at.date_naive().to_string(),
            )
        }
    };
    let text = |doc: &Value, field: &str| doc[field].as_str().unwrap_or_default().to_owned();
    let is_overdue = |doc: &Value| {
        doc["deadline_missed"].as_bool() == Some(true)
            || doc["deadline"]["due_on"]
                .as_str()
                .is_some_and(|due| due < today.as_str())
    };
    cases.retain(|doc| {
        process.as_ref().is_none_or(|p| text(doc, "process") == *p)
            && state.as_ref().is_none_or(|s| text(doc, "state") == *s)
            && outcome.as_ref().is_none_or(|o| text(doc, "outcome") == *o)
            && (!*open || doc["closed"] == Value::Bool(false))
            && (!*closed || doc["closed"] == Value::Bool(true))
            && (!*overdue || (doc["closed"] == Value::Bool(false) && is_overdue(doc)))
            && assigned_to.as_ref().is_none_or(|actor| {
                doc["assigned"].as_object().is_some_and(|fields| {
                    fields.values().any(|names| {
                        names
                            .as_array()
                            .is_some_and(|n| n.iter().any(|v| v.as_str() == Some(actor)))
                    })
                })
            })
    });
    // Nearest deadline first; cases without one after, by reference.
    cases.sort_by(|a, b| {
        let due = |d: &Value| d["deadline"]["due_on"].as_str().map(str::to_owned);
        match (due(a), due(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| text(a, "reference").cmp(&text(b, "reference")))
    });
    match format {
        Format::Json => {
            for doc in &cases {
                writeln!(out, "{doc}")?;
            }
        }
        Format::Table | Format::Csv => {
            if cases.is_empty() && *format == Format::Table {
                writeln!(out, "no cases")?;
                return Ok(());
            }
            let mut table = output::table(&["case", "process", "state", "deadline"]);
            for doc in &cases {
                let deadline = match doc["deadline"]["due_on"].as_str() {
                    None if doc["closed"] == Value::Bool(true) => {
                        format!("closed: {}", text(doc, "outcome"))
                    }
                    None => String::new(),
                    Some(due) if is_overdue(doc) => match doc["deadline"]["escalate"].as_str() {
                        Some(role) => format!("{due} overdue → {role}"),
                        None => format!("{due} overdue"),
                    },
                    Some(due) => due.to_owned(),
                };
                table.add_row([
                    text(doc, "reference"),
                    format!("{}@{}", text(doc, "process"), doc["version"]),
                    text(doc, "state"),
                    deadline,
                ]);
            }
            writeln!(out, "{}", output::render(&table, *format))?;
        }
    }
    Ok(())
}
