//! The report as a terminal table and as CSV, both rendered from its JSON form.

use serde_json::Value;

use crate::output;

/// A count as printed: `<5` where suppressed.
pub(super) fn count(value: &Value) -> String {
    value
        .as_u64()
        .map_or_else(|| "<5".to_owned(), |n| n.to_string())
}

/// A share as a percentage, `–` where suppressed.
pub(super) fn percent(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |x| format!("{:.1}%", x * 100.0))
}

pub(super) fn number(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |x| format!("{x}"))
}

/// What the cases are: the range and the day figures are judged on.
fn scope(report: &Value) -> String {
    let range = match (report["from"].as_str(), report["to"].as_str()) {
        (None, None) => "all cases".to_owned(),
        (from, to) => format!(
            "from {} to {}",
            from.unwrap_or("the start"),
            to.unwrap_or("now")
        ),
    };
    match report["as_of"].as_str() {
        Some(as_of) => format!("{range}, as recorded by {as_of}"),
        None => format!("{range}, as of {}", report["day"].as_str().unwrap_or("")),
    }
}

/// The value and its basis, in words, of one metric cell.
pub(super) fn describe(kind: &str, cell: &Value) -> (String, String) {
    match kind {
        "count" => (count(&cell["cases"]), "cases".to_owned()),
        "rate" => (
            percent(&cell["rate"]),
            format!("{} of {}", count(&cell["of"]), count(&cell["per"])),
        ),
        "duration" => (
            format!("median {}", number(&cell["median"])),
            format!(
                "p90 {}, mean {}, {} cases",
                number(&cell["p90"]),
                number(&cell["mean"]),
                count(&cell["cases"])
            ),
        ),
        "deadline" => (
            percent(&cell["met_share"]),
            format!(
                "met {}, missed {}, pending {}",
                count(&cell["met"]),
                count(&cell["missed"]),
                count(&cell["pending"])
            ),
        ),
        _ => {
            let mut basis = format!("{} answers", count(&cell["answers"]));
            if let Some(threshold) = cell["threshold"].as_f64() {
                basis.push_str(&format!(
                    ", {} at {threshold} or more",
                    percent(&cell["at_or_above_share"])
                ));
            }
            if !cell["per"].is_null() || cell.get("response_rate").is_some() {
                basis.push_str(&format!(
                    ", responded {} of {} ({})",
                    count(&cell["responded"]),
                    count(&cell["per"]),
                    percent(&cell["response_rate"])
                ));
            }
            (format!("mean {}", number(&cell["mean"])), basis)
        }
    }
}

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
        "\ncounts from 1 to {} are shown as <{}, and figures built on them as –\n",
        report["suppressed_below"].as_u64().unwrap_or(5) - 1,
        report["suppressed_below"]
    ));
    text
}

fn section(text: &mut String, table: &comfy_table::Table) {
    text.push('\n');
    text.push_str(&output::trimmed(table));
    text.push('\n');
}

/// One figure a row: `section,name,period,group,measure,value`, suppressed
/// values as `<5` (counts) or empty (figures built on them).
pub(super) fn csv(report: &Value) -> String {
    let mut text = String::from("section,name,period,group,measure,value\n");
    let mut put = |section: &str,
                   name: &str,
                   period: &str,
                   group: &str,
                   measure: &str,
                   value: &Value,
                   is_count: bool| {
        let value = match value {
            Value::Null if is_count => "<5".to_owned(),
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            field(section),
            field(name),
            field(period),
            field(group),
            field(measure),
            field(&value)
        ));
    };
    for key in ["opened", "open", "overdue", "closed"] {
        put(
            "total",
            key,
            "all",
            "all",
            "cases",
            &report["funnel"][key],
            true,
        );
    }
    for row in report["funnel"]["states"].as_array().into_iter().flatten() {
        let state = row["state"].as_str().unwrap_or("");
        put(
            "state",
            state,
            "all",
            "all",
            "reached",
            &row["reached"],
            true,
        );
        put("state", state, "all", "all", "now", &row["now"], true);
    }
    for row in report["funnel"]["outcomes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let outcome = row["outcome"].as_str().unwrap_or("");
        put(
            "outcome",
            outcome,
            "all",
            "all",
            "cases",
            &row["cases"],
            true,
        );
    }
    for row in report["trend"].as_array().into_iter().flatten() {
        let month = row["month"].as_str().unwrap_or("");
        put(
            "trend",
            "opened",
            month,
            "all",
            "cases",
            &row["opened"],
            true,
        );
    }
    for row in report["deadlines"].as_array().into_iter().flatten() {
        let state = row["state"].as_str().unwrap_or("");
        for measure in ["met", "missed", "pending"] {
            put(
                "deadline",
                state,
                "all",
                "all",
                measure,
                &row[measure],
                true,
            );
        }
        put(
            "deadline",
            state,
            "all",
            "all",
            "met_share",
            &row["met_share"],
            false,
        );
    }
    for metric in report["metrics"].as_array().into_iter().flatten() {
        let id = metric["id"].as_str().unwrap_or("");
        for cell in metric["cells"].as_array().into_iter().flatten() {
            let period = cell["period"].as_str().unwrap_or("");
            let group = cell["group"].as_str().unwrap_or("");
            for (measure, value) in cell.as_object().into_iter().flatten() {
                if matches!(measure.as_str(), "period" | "group" | "distribution") {
                    continue;
                }
                let is_count = matches!(
                    measure.as_str(),
                    "cases"
                        | "of"
                        | "per"
                        | "met"
                        | "missed"
                        | "pending"
                        | "answers"
                        | "at_or_above"
                        | "responded"
                );
                put("metric", id, period, group, measure, value, is_count);
            }
        }
    }
    text
}

/// A CSV field, quoted when it needs to be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
