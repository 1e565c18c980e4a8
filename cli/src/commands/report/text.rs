//! The report as a terminal table, rendered from its JSON form (CSV and HTML
//! are the application's: `kroonika_app::reports`).

use kroonika_app::reports::words::{count, describe_in, percent, scope_in};
use serde_json::Value;

use crate::output;
use crate::words::word;

/// `lang`: the language asked for (None: ids and English, as always).
pub(super) fn table(report: &Value, lang: Option<&str>) -> String {
    let w = |english: &'static str| word(lang, english);
    // A state's or outcome's words where a language was asked for.
    let name = |row: &Value, id: &str| -> String {
        match lang {
            Some(_) => row["title"]
                .as_str()
                .or(row[id].as_str())
                .unwrap_or("")
                .to_owned(),
            None => row[id].as_str().unwrap_or("").to_owned(),
        }
    };
    let mut text = String::new();
    let rows = [
        (
            w("process"),
            format!(
                "{} ({} {}): {}",
                report["process"].as_str().unwrap_or(""),
                w("version"),
                report["version"],
                report["title"].as_str().unwrap_or("")
            ),
        ),
        (w("cases"), scope_in(report, lang.unwrap_or("en"))),
        (w("opened"), count(&report["funnel"]["opened"])),
        (w("open"), count(&report["funnel"]["open"])),
        (w("of which overdue"), count(&report["funnel"]["overdue"])),
        (w("closed"), count(&report["funnel"]["closed"])),
    ];
    text.push_str(&output::key_values(&rows));
    text.push('\n');

    let mut states = output::table(&[w("state"), w("reached"), w("in it now")]);
    for row in report["funnel"]["states"].as_array().into_iter().flatten() {
        states.add_row([
            name(row, "state"),
            count(&row["reached"]),
            count(&row["now"]),
        ]);
    }
    section(&mut text, &states);
    let mut outcomes = output::table(&[w("outcome"), w("cases")]);
    for row in report["funnel"]["outcomes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        outcomes.add_row([name(row, "outcome"), count(&row["cases"])]);
    }
    section(&mut text, &outcomes);
    let deadlines = report["deadlines"].as_array().cloned().unwrap_or_default();
    if !deadlines.is_empty() {
        let mut table = output::table(&[
            w("deadline in"),
            w("met"),
            w("missed"),
            w("pending"),
            w("met share"),
        ]);
        let titles: std::collections::BTreeMap<&str, String> = report["funnel"]["states"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|row| (row["state"].as_str().unwrap_or(""), name(row, "state")))
            .collect();
        for row in &deadlines {
            let state = row["state"].as_str().unwrap_or("");
            table.add_row([
                titles
                    .get(state)
                    .cloned()
                    .unwrap_or_else(|| state.to_owned()),
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
        let mut header = vec![w("metric")];
        if report["period"].is_string() {
            header.push(w("period"));
        }
        if let Some(by) = report["by"].as_str() {
            header.push(by);
        }
        header.extend([w("value"), w("basis")]);
        let mut table = output::table(&header);
        for metric in &metrics {
            let kind = metric["kind"].as_str().unwrap_or("");
            let title = metric["title"].as_str().unwrap_or("").to_owned();
            let cells = metric["cells"].as_array().cloned().unwrap_or_default();
            if cells.is_empty() {
                let mut row = vec![title.clone()];
                row.resize(header.len() - 2, String::new());
                row.extend(["–".to_owned(), w("no cases").to_owned()]);
                table.add_row(row);
            }
            for (i, cell) in cells.iter().enumerate() {
                let (value, basis) = describe_in(kind, cell, lang.unwrap_or("en"));
                let mut row = vec![if i == 0 { title.clone() } else { String::new() }];
                if report["period"].is_string() {
                    row.push(cell["period"].as_str().unwrap_or("").to_owned());
                }
                if report["by"].is_string() {
                    let group = cell["group"].as_str().unwrap_or("");
                    let title = report["group_titles"][group]
                        .as_str()
                        .filter(|_| lang.is_some());
                    row.push(title.unwrap_or(group).to_owned());
                }
                row.extend([value, basis]);
                table.add_row(row);
            }
        }
        section(&mut text, &table);
    }
    let below = report["suppressed_below"].as_u64().unwrap_or(5);
    text.push_str(&if lang == Some("et") {
        format!(
            "\narvud 1 kuni {} on näidatud kui <{below}; osakaal on näidatud, kui see on vähemalt {below} juhtumi osakaal, muud väikesel arvul põhinevad arvud kui –\n",
            below - 1
        )
    } else {
        format!(
            "\ncounts from 1 to {} are shown as <{below}; a share is shown when what it is a share of counts at least {below} cases, other figures built on a small count as –\n",
            below - 1
        )
    });
    text
}

fn section(text: &mut String, table: &comfy_table::Table) {
    text.push('\n');
    text.push_str(&output::trimmed(table));
    text.push('\n');
}
