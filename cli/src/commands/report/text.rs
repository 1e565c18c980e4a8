//! The report as a terminal table, rendered from its JSON form (CSV and HTML
//! are the application's: `kroonika_app::reports`).

use kroonika_app::reports::words::{count, describe, percent, scope};
use serde_json::Value;

use crate::output;

pub(super) fn table(report: &Value) -> String {
    let mut text = String::new();
    let rows = [
        (
            "process",
            format!(
                "{} (version {}): {}",
                report["process"].as_str().unwrap_or(""),
                report["version"],
                report["title"].as_str().unwrap_or("")
            ),
        ),
        ("cases", scope(report)),
        ("opened", count(&report["funnel"]["opened"])),
        ("open", count(&report["funnel"]["open"])),
        ("of which overdue", count(&report["funnel"]["overdue"])),
        ("closed", count(&report["funnel"]["closed"])),
    ];
    text.push_str(&output::key_values(&rows));
    text.push('\n');

    let mut states = output::table(&["state", "reached", "in it now"]);
    for row in report["funnel"]["states"].as_array().into_iter().flatten() {
        states.add_row([
            row["state"].as_str().unwrap_or("").to_owned(),
            count(&row["reached"]),
            count(&row["now"]),
        ]);
    }
    section(&mut text, &states);
    let mut outcomes = output::table(&["outcome", "cases"]);
    for row in report["funnel"]["outcomes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        outcomes.add_row([
            row["outcome"].as_str().unwrap_or("").to_owned(),
            count(&row["cases"]),
        ]);
    }
    section(&mut text, &outcomes);
    let deadlines = report["deadlines"].as_array().cloned().unwrap_or_default();
    if !deadlines.is_empty() {
        let mut table = output::table(&["deadline in", "met", "missed", "pending", "met share"]);
        for row in &deadlines {
            table.add_row([
                row["state"].as_str().unwrap_or("").to_owned(),
                count(&row["met"]),
                count(&row["missed"]),
                count(&row["pending"]),
                percent(&row["met_share"]),
            ]);
        }
        section(&mut text, &table);
    }
    let metrics = report["metrics"].as_array().cloned().unwrap_or_default();
    if !metrics.is_empty() {
        let mut header = vec!["metric"];
        if report["period"].is_string() {
            header.push("period");
        }
        if let Some(by) = report["by"].as_str() {
            header.push(by);
        }
        header.extend(["value", "basis"]);
        let mut table = output::table(&header);
        for metric in &metrics {
            let kind = metric["kind"].as_str().unwrap_or("");
            let title = metric["title"].as_str().unwrap_or("").to_owned();
            let cells = metric["cells"].as_array().cloned().unwrap_or_default();
            if cells.is_empty() {
                let mut row = vec![title.clone()];
                row.resize(header.len() - 2, String::new());
                row.extend(["–".to_owned(), "no cases".to_owned()]);
                table.add_row(row);
            }
            for (i, cell) in cells.iter().enumerate() {
                let (value, basis) = describe(kind, cell);
                let mut row = vec![if i == 0 { title.clone() } else { String::new() }];
                if report["period"].is_string() {
                    row.push(cell["period"].as_str().unwrap_or("").to_owned());
                }
                if report["by"].is_string() {
                    row.push(cell["group"].as_str().unwrap_or("").to_owned());
                }
                row.extend([value, basis]);
                table.add_row(row);
            }
        }
        section(&mut text, &table);
    }
    text.push_str(&format!(
        "\ncounts from 1 to {} are shown as <{}; a share is shown when what it is a share of counts at least {} cases, other figures built on a small count as –\n",
        report["suppressed_below"].as_u64().unwrap_or(5) - 1,
        report["suppressed_below"],
        report["suppressed_below"]
    ));
    text
}

fn section(text: &mut String, table: &comfy_table::Table) {
    text.push('\n');
    text.push_str(&output::trimmed(table));
    text.push('\n');
}
