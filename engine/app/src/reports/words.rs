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
    scope_in(report, "en")
}

/// [`scope`] in `lang` (`et` or English).
pub fn scope_in(report: &Value, lang: &str) -> String {
    let et = lang == "et";
    let range = match (report["from"].as_str(), report["to"].as_str()) {
        (None, None) if et => "kõik juhtumid".to_owned(),
        (None, None) => "all cases".to_owned(),
        (from, to) if et => format!(
            "{} kuni {}",
            from.unwrap_or("algusest"),
            to.unwrap_or("praeguseni")
        ),
        (from, to) => format!(
            "from {} to {}",
            from.unwrap_or("the start"),
            to.unwrap_or("now")
        ),
    };
    match (report["as_of"].as_str(), et) {
        (Some(as_of), true) => format!("{range}, nagu kirjas {as_of} seisuga"),
        (Some(as_of), false) => format!("{range}, as recorded by {as_of}"),
        (None, true) => format!("{range}, {} seisuga", report["day"].as_str().unwrap_or("")),
        (None, false) => format!("{range}, as of {}", report["day"].as_str().unwrap_or("")),
    }
}

/// The value and its basis, in words, of one metric cell.
pub fn describe(kind: &str, cell: &Value) -> (String, String) {
    describe_in(kind, cell, "en")
}

/// [`describe`] in `lang` (`et` or English).
pub fn describe_in(kind: &str, cell: &Value, lang: &str) -> (String, String) {
    let et = lang == "et";
    let pick = |e: &'static str, n: &'static str| if et { e } else { n };
    match kind {
        "count" => (count(&cell["cases"]), pick("juhtumit", "cases").to_owned()),
        "rate" => (
            percent(&cell["rate"]),
            format!(
                "{} {} {}",
                count(&cell["of"]),
                pick("/", "of"),
                count(&cell["per"])
            ),
        ),
        "duration" => (
            format!("{} {}", pick("mediaan", "median"), number(&cell["median"])),
            format!(
                "p90 {}, {} {}, {} {}",
                number(&cell["p90"]),
                pick("keskmine", "mean"),
                number(&cell["mean"]),
                count(&cell["cases"]),
                pick("juhtumit", "cases")
            ),
        ),
        "total" => (
            number(&cell["total"]),
            if et {
                format!(
                    "{} juhtumist ({} kirjet)",
                    count(&cell["cases"]),
                    number(&cell["steps"])
                )
            } else {
                format!(
                    "in {} cases ({} entries)",
                    count(&cell["cases"]),
                    number(&cell["steps"])
                )
            },
        ),
        "deadline" => (
            percent(&cell["met_share"]),
            format!(
                "{} {}, {} {}, {} {}",
                pick("peetud", "met"),
                count(&cell["met"]),
                pick("ületatud", "missed"),
                count(&cell["missed"]),
                pick("ootel", "pending"),
                count(&cell["pending"])
            ),
        ),
        _ => {
            let mut basis = format!("{} {}", count(&cell["answers"]), pick("vastust", "answers"));
            if let Some(threshold) = cell["threshold"].as_f64() {
                let share = percent(&cell["at_or_above_share"]);
                basis.push_str(&if et {
                    format!(", {share} vähemalt {threshold}")
                } else {
                    format!(", {share} at {threshold} or more")
                });
            }
            if !cell["per"].is_null() || cell.get("response_rate").is_some() {
                basis.push_str(&format!(
                    ", {} {} {} {} ({})",
                    pick("vastas", "responded"),
                    count(&cell["responded"]),
                    pick("/", "of"),
                    count(&cell["per"]),
                    percent(&cell["response_rate"])
                ));
            }
            (
                format!("{} {}", pick("keskmine", "mean"), number(&cell["mean"])),
                basis,
            )
        }
    }
}
