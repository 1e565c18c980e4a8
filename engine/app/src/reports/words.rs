//! A report's figures in words, shared by every rendering (the CLI's table,
//! CSV, the HTML page): a suppressed count is `<5` everywhere, a share a
//! percentage, so no format can show what another hides.

use serde_json::Value;

/// A count as printed: `<5` where suppressed.
pub fn count(value: &Value) -> String {
    value
        .as_u64()
        .map_or_else(|| "<5".to_owned(), |n| n.to_string())
}

/// A share as a percentage, `–` where suppressed.
pub fn percent(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |x| format!("{:.1}%", x * 100.0))
}

pub fn number(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |x| format!("{x}"))
}

/// What the cases are: the range and the day figures are judged on.
pub fn scope(report: &Value) -> String {
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
pub fn describe(kind: &str, cell: &Value) -> (String, String) {
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
        "total" => (
            number(&cell["total"]),
            format!(
                "in {} cases ({} entries)",
                count(&cell["cases"]),
                number(&cell["steps"])
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
