//! The report as CSV: one figure a row, rendered from its JSON form.

use serde_json::Value;

/// One figure a row: `section,name,period,group,measure,value`, suppressed
/// values as `<5` (counts) or empty (figures built on them).
pub fn csv(report: &Value) -> String {
    let mut text = String::from("section,name,period,group,measure,value\n");
    let mut put = |section: &str,
                   name: &str,
                   period: &str,
                   group: &str,
                   measure: &str,
                   value: &Value,
                   is_count: bool| {
        row(
            &mut text,
            [section, name, period, group, measure],
            value,
            is_count,
        );
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
    for row in report["notices"].as_array().into_iter().flatten() {
        let notice = row["notice"].as_str().unwrap_or("");
        for measure in ["met", "missed", "pending"] {
            put("notice", notice, "all", "all", measure, &row[measure], true);
        }
        put(
            "notice",
            notice,
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
/// One row: the given columns, then `value` (a suppressed count as `<5`, a
/// figure built on one empty), each quoted where it must be.
pub(crate) fn row<const N: usize>(
    text: &mut String,
    columns: [&str; N],
    value: &Value,
    is_count: bool,
) {
    let value = match value {
        Value::Null if is_count => "<5".to_owned(),
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for column in columns {
        text.push_str(&field(column));
        text.push(',');
    }
    text.push_str(&field(&value));
    text.push('\n');
}

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
