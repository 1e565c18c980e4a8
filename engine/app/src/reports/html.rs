//! The report as one self-contained HTML page: inline CSS and SVG charts (the
//! funnel, cases opened per month, each duration's distribution), no scripts,
//! fonts or images from anywhere. It prints on A4 as it shows on screen.
//!
//! The markup is also well-formed XML (void elements closed, everything
//! escaped), so tests and other tools can parse it with an XML parser.
//!
//! Rendered from the report's JSON form, so it shows exactly what the other
//! formats do; a suppressed count is drawn as a hatched stub labelled `<5`,
//! never as a bar of its true size.

use std::fmt::Write as _;

use serde_json::Value;

use super::words::{self, describe, number, percent};

const STYLE: &str = r#"
:root { --ink: #1b2733; --muted: #5b6670; --bar: #2f6f9f; --outcome: #6a8f3a; --line: #d5dbe0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
p.scope, p.note { color: var(--muted); margin: .2rem 0; }
.figures { display: flex; gap: 1rem; margin: 1rem 0; }
.figure { flex: 1; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.figure b { display: block; font-size: 1.5rem; }
.figure span { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg .muted { fill: var(--muted); }
.chart { margin: .5rem 0 1rem; }
.chart figcaption { color: var(--muted); font-size: .9rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  table, figure, .figures { break-inside: avoid; }
}
@page { size: A4; margin: 15mm; }
"#;

/// Escapes text for HTML content and attributes (the report's page and a
/// person's data export).
pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A count as printed, escaped (`&lt;5` where suppressed).
fn count(value: &Value) -> String {
    esc(&words::count(value))
}

pub fn page(report: &Value) -> String {
    let title = format!("{}: report", report["title"].as_str().unwrap_or("Process"));
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(html, "<h1>{}</h1>", esc(&title));
    let range = match (report["from"].as_str(), report["to"].as_str()) {
        (None, None) => "All cases".to_owned(),
        (from, to) => format!(
            "Cases from {} to {}",
            from.unwrap_or("the start"),
            to.unwrap_or("now")
        ),
    };
    let known = match report["as_of"].as_str() {
        Some(as_of) => format!("as recorded by {as_of}"),
        None => format!("as of {}", report["day"].as_str().unwrap_or("")),
    };
    let _ = writeln!(
        html,
        "<p class=\"scope\">Process <b>{}</b>, definition version {}. {}, {}.</p>",
        esc(report["process"].as_str().unwrap_or("")),
        report["version"],
        esc(&range),
        esc(&known)
    );
    let _ = writeln!(
        html,
        "<p class=\"note\">Counts from 1 to 4 are shown as &lt;5 so that no small group points at a person; a share is shown when what it is a share of counts at least 5 cases, other figures built on a small count as –.</p>"
    );

    let funnel = &report["funnel"];
    html.push_str("<div class=\"figures\">\n");
    for (key, label) in [
        ("opened", "opened"),
        ("open", "open"),
        ("overdue", "overdue"),
        ("closed", "closed"),
    ] {
        let _ = writeln!(
            html,
            "<div class=\"figure\"><b>{}</b><span>{label}</span></div>",
            count(&funnel[key])
        );
    }
    html.push_str("</div>\n");

    html.push_str("<h2>Funnel</h2>\n");
    let mut rows: Vec<(String, Option<u64>, &str)> = Vec::new();
    for row in funnel["states"].as_array().into_iter().flatten() {
        rows.push((
            row["state"].as_str().unwrap_or("").to_owned(),
            row["reached"].as_u64(),
            "#2f6f9f",
        ));
    }
    for row in funnel["outcomes"].as_array().into_iter().flatten() {
        rows.push((
            format!("→ {}", row["outcome"].as_str().unwrap_or("")),
            row["cases"].as_u64(),
            "#6a8f3a",
        ));
    }
    figure(
        &mut html,
        &bars(&rows),
        "Cases that reached each state (blue) and how closed cases ended (green).",
    );

    let trend: Vec<(String, Option<u64>)> = report["trend"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["month"].as_str().unwrap_or("").to_owned(),
                r["opened"].as_u64(),
            )
        })
        .collect();
    if !trend.is_empty() {
        html.push_str("<h2>Cases opened per month</h2>\n");
        figure(
            &mut html,
            &columns(&trend, "cases"),
            "Cases opened each month (by the day they were opened).",
        );
    }

    let deadlines = report["deadlines"].as_array().cloned().unwrap_or_default();
    if !deadlines.is_empty() {
        html.push_str("<h2>Deadline compliance</h2>\n<table>\n<tr><th>Deadline in state</th><th class=\"n\">Met</th><th class=\"n\">Missed</th><th class=\"n\">Pending</th><th class=\"n\">Met share</th></tr>\n");
        for row in &deadlines {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(row["state"].as_str().unwrap_or("")),
                count(&row["met"]),
                count(&row["missed"]),
                count(&row["pending"]),
                percent(&row["met_share"])
            );
        }
        html.push_str("</table>\n");
    }

    let notices = report["notices"].as_array().cloned().unwrap_or_default();
    if !notices.is_empty() {
        html.push_str("<h2>Notices and duties on time</h2>\n<table>\n<tr><th>Notice or duty</th><th class=\"n\">Met</th><th class=\"n\">Missed</th><th class=\"n\">Pending</th><th class=\"n\">Met share</th></tr>\n");
        for row in &notices {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(row["title"]
                    .as_str()
                    .or(row["notice"].as_str())
                    .unwrap_or("")),
                count(&row["met"]),
                count(&row["missed"]),
                count(&row["pending"]),
                percent(&row["met_share"])
            );
        }
        html.push_str("</table>\n");
    }

    let metrics = report["metrics"].as_array().cloned().unwrap_or_default();
    if !metrics.is_empty() {
        html.push_str("<h2>Metrics</h2>\n<table>\n<tr><th>Metric</th>");
        if report["period"].is_string() {
            html.push_str("<th>Period</th>");
        }
        if let Some(by) = report["by"].as_str() {
            let _ = write!(html, "<th>{}</th>", esc(by));
        }
        html.push_str("<th class=\"n\">Value</th><th>Basis</th></tr>\n");
        for metric in &metrics {
            let kind = metric["kind"].as_str().unwrap_or("");
            let cells = metric["cells"].as_array().cloned().unwrap_or_default();
            let mut note = format!("cohort: {}", metric["cohort"].as_str().unwrap_or(""));
            if let Some(mature) = metric["mature"].as_str() {
                let _ = write!(
                    note,
                    "; counts {}",
                    if mature == "closed" {
                        "closed cases".to_owned()
                    } else {
                        format!("cases at least {mature} old")
                    }
                );
            }
            let title = format!(
                "{}<br/><small class=\"note\">{}</small>",
                esc(metric["title"].as_str().unwrap_or("")),
                esc(&note)
            );
            if cells.is_empty() {
                let span = 1
                    + usize::from(report["period"].is_string())
                    + usize::from(report["by"].is_string());
                let _ = writeln!(
                    html,
                    "<tr><td colspan=\"{span}\">{title}</td><td class=\"n\">–</td><td>no cases</td></tr>"
                );
            }
            for (i, cell) in cells.iter().enumerate() {
                let (value, basis) = describe(kind, cell);
                html.push_str("<tr>");
                let _ = write!(
                    html,
                    "<td>{}</td>",
                    if i == 0 { title.as_str() } else { "" }
                );
                if report["period"].is_string() {
                    let _ = write!(
                        html,
                        "<td>{}</td>",
                        esc(cell["period"].as_str().unwrap_or(""))
                    );
                }
                if report["by"].is_string() {
                    let _ = write!(
                        html,
                        "<td>{}</td>",
                        esc(cell["group"].as_str().unwrap_or(""))
                    );
                }
                let _ = writeln!(
                    html,
                    "<td class=\"n\">{}</td><td>{}</td></tr>",
                    esc(&value),
                    esc(&basis)
                );
            }
        }
        html.push_str("</table>\n");

        for metric in metrics.iter().filter(|m| m["kind"] == "duration") {
            let Some(cell) = metric["cells"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["period"] == "all" && c["group"] == "all")
            else {
                continue;
            };
            let bins: Vec<(String, Option<u64>)> = cell["distribution"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let (from, to) = (
                        b["from"].as_i64().unwrap_or(0),
                        b["to"].as_i64().unwrap_or(0),
                    );
                    let label = if from == to {
                        from.to_string()
                    } else {
                        format!("{from}–{to}")
                    };
                    (label, b["cases"].as_u64())
                })
                .collect();
            if bins.is_empty() {
                continue;
            }
            let _ = writeln!(
                html,
                "<h2>{}</h2>",
                esc(metric["title"].as_str().unwrap_or(""))
            );
            let days = match metric["days"].as_str().unwrap_or("calendar") {
                "hours" => "hours",
                "working" => "working days",
                _ => "calendar days",
            };
            figure(
                &mut html,
                &columns(&bins, "cases"),
                &format!(
                    "Cases by {days} taken; median {}, 90th percentile {}.",
                    number(&cell["median"]),
                    number(&cell["p90"])
                ),
            );
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn figure(html: &mut String, svg: &str, caption: &str) {
    let _ = writeln!(
        html,
        "<figure class=\"chart\">\n{svg}<figcaption>{}</figcaption>\n</figure>",
        esc(caption)
    );
}

/// The hatch pattern suppressed cells are drawn with.
fn hatch(id: &str) -> String {
    format!(
        "<defs><pattern id=\"{id}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eef1f4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9aa5ae\" stroke-width=\"2\"/></pattern></defs>"
    )
}

/// Horizontal bars, one per row, scaled to the largest shown value.
fn bars(rows: &[(String, Option<u64>, &str)]) -> String {
    let (label_width, bar_width, row_height) = (230.0, 440.0, 22.0);
    let width = label_width + bar_width + 60.0;
    let height = row_height * rows.len() as f64 + 10.0;
    let max = rows.iter().filter_map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"funnel\">{}",
        hatch("hatch-bars")
    );
    for (i, (label, value, color)) in rows.iter().enumerate() {
        let y = i as f64 * row_height + 5.0;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_width - 8.0,
            y + 15.0,
            esc(label)
        );
        match value {
            Some(n) => {
                let w = if *n == 0 {
                    0.0
                } else {
                    (*n as f64 / max * bar_width).max(2.0)
                };
                let _ = write!(
                    svg,
                    "<rect x=\"{label_width}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{}\">{n}</text>",
                    y + 2.0,
                    row_height - 6.0,
                    label_width + w + 6.0,
                    y + 15.0
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<rect x=\"{label_width}\" y=\"{}\" width=\"14\" height=\"{}\" fill=\"url(#hatch-bars)\"/><text class=\"muted\" x=\"{}\" y=\"{}\">&lt;5</text>",
                    y + 2.0,
                    row_height - 6.0,
                    label_width + 20.0,
                    y + 15.0
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Vertical columns with labels under them (months, duration bins).
fn columns(rows: &[(String, Option<u64>)], unit: &str) -> String {
    let (left, bottom, top, plot_height) = (40.0, 40.0, 20.0, 180.0);
    let step = (680.0 / rows.len().max(1) as f64).clamp(8.0, 60.0);
    let width = left + step * rows.len() as f64 + 20.0;
    let height = top + plot_height + bottom;
    let max = rows.iter().filter_map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let id = format!("hatch-{unit}-{}", rows.len());
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height}\" width=\"{width:.0}\" height=\"{height}\" role=\"img\" aria-label=\"{unit}\">{}",
        hatch(&id)
    );
    let base = top + plot_height;
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"#9aa5ae\"/><text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        width - 10.0,
        left - 6.0,
        top + 4.0,
        max as u64
    );
    // Label every k-th column so labels never overlap.
    let every = ((rows.len() as f64 * 48.0) / 680.0).ceil().max(1.0) as usize;
    for (i, (label, value)) in rows.iter().enumerate() {
        let x = left + i as f64 * step;
        let w = (step * 0.75).max(4.0);
        match value {
            Some(n) => {
                let h = *n as f64 / max * plot_height;
                let _ = write!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"#2f6f9f\"><title>{}: {n}</title></rect>",
                    x + (step - w) / 2.0,
                    base - h,
                    esc(label)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"10\" fill=\"url(#{id})\"><title>{}: fewer than 5</title></rect>",
                    x + (step - w) / 2.0,
                    base - 10.0,
                    esc(label)
                );
            }
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text class=\"muted\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + step / 2.0,
                base + 16.0,
                esc(label)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
