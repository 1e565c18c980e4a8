//! `kroonika hours`: the hours volunteers gave, by activity and period,
//! across processes; with `--per-volunteer`, each volunteer's own totals
//! (the application checks the role and records the reading). And
//! `kroonika partners`, the partner network those reports break down by.

use std::io::Write;

use kroonika_app::reports::hours::{HoursQuery, activity_label, csv};
use kroonika_app::reports::words::count;
use serde_json::Value;

use crate::args::{Cli, Format, HoursArgs, HoursFormat, PeriodArg};
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    args: &HoursArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let query = HoursQuery {
        from: context::day(&args.from, "--from")?,
        to: context::day(&args.to, "--to")?,
        period: args.period.map(PeriodArg::period),
        per_volunteer: args
            .per_volunteer
            .then(|| args.purpose.clone().unwrap_or_default()),
    };
    let report = context::with_app(cli, false, async |app| {
        Ok(app
            .volunteer_hours(&context::reader(cli, "hours"), &query)
            .await?)
    })
    .await?;
    let text = match args.format {
        HoursFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        HoursFormat::Csv => csv(&report),
        HoursFormat::Table => table(&report, cli.language()),
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

fn hours(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |h| format!("{h}"))
}

fn table(report: &Value, lang: &str) -> String {
    let et = lang == "et";
    let periods = report["period"].is_string();
    let mut header = Vec::new();
    if periods {
        header.push(if et { "periood" } else { "period" });
    }
    header.extend(if et {
        ["tegevus", "tunde", "vabatahtlikke", "kirjeid"]
    } else {
        ["activity", "hours", "volunteers", "entries"]
    });
    let mut table = output::table(&header);
    let rows = report["rows"].as_array().cloned().unwrap_or_default();
    for row in &rows {
        let mut cells = Vec::new();
        if periods {
            cells.push(row["period"].as_str().unwrap_or("").to_owned());
        }
        cells.extend([
            activity_label(row["activity"].as_str().unwrap_or(""), lang).to_owned(),
            hours(&row["hours"]),
            count(&row["volunteers"]),
            row["entries"]
                .as_u64()
                .map_or_else(|| "–".to_owned(), |n| n.to_string()),
        ]);
        table.add_row(cells);
    }
    let mut text = String::new();
    if rows.is_empty() {
        text.push_str(if et {
            "Tunde pole kirja pandud.\n"
        } else {
            "No hours recorded.\n"
        });
    } else {
        text.push_str(&output::trimmed(&table));
        text.push('\n');
    }
    if let Some(people) = report["volunteers"].as_array() {
        let activities: Vec<&str> = report["activities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|a| people.iter().any(|p| !p["hours"][*a].is_null()))
            .collect();
        let mut header: Vec<&str> = vec![if et { "vabatahtlik" } else { "volunteer" }];
        if periods {
            header.push(if et { "periood" } else { "period" });
        }
        header.extend(activities.iter().map(|a| activity_label(a, lang)));
        header.push(if et { "kokku" } else { "total" });
        let mut each = output::table(&header);
        for person in people {
            let mut cells = vec![person["volunteer"].as_str().unwrap_or("").to_owned()];
            if periods {
                cells.push(person["period"].as_str().unwrap_or("").to_owned());
            }
            for activity in &activities {
                let h = &person["hours"][*activity];
                cells.push(if h.is_null() { String::new() } else { hours(h) });
            }
            cells.push(hours(&person["total"]));
            each.add_row(cells);
        }
        text.push('\n');
        text.push_str(&output::trimmed(&each));
        text.push('\n');
    }
    text.push_str(&if et {
        format!(
            "\nalla {} inimese põhjal tehtud arvud on peidetud (<{0}, tunnid –)\n",
            report["suppressed_below"]
        )
    } else {
        format!(
            "\nfigures from fewer than {} people are hidden (<{0}, hours –)\n",
            report["suppressed_below"]
        )
    });
    text
}

pub(crate) async fn partners(
    cli: &Cli,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let found = context::with_app(cli, false, async |app| Ok(app.partner_list().await?)).await?;
    let Some((version, list)) = found else {
        writeln!(
            out,
            "no partner list is published; the service owner publishes one: kroonika def publish processes/partners.yaml"
        )?;
        return Ok(());
    };
    let lang = cli.language();
    if format == Format::Json {
        for p in &list.partners {
            let line = serde_json::json!({
                "id": p.id,
                "kind": p.kind,
                "title": p.title.get(lang),
                "region": p.region,
                "active": p.active,
                "version": version,
            });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let et = lang == "et";
    let header = if et {
        ["partner", "liik", "nimi", "piirkond"]
    } else {
        ["partner", "kind", "name", "region"]
    };
    let mut table = output::table(&header);
    for p in &list.partners {
        let mut name = p.title.get(lang).to_owned();
        if !p.active {
            name.push_str(if et {
                " (ei ole enam aktiivne)"
            } else {
                " (no longer active)"
            });
        }
        table.add_row([
            p.id.clone(),
            list.kind_title(&p.kind, lang).to_owned(),
            name,
            p.region.clone().unwrap_or_default(),
        ]);
    }
    writeln!(
        out,
        "{} ({} {version})",
        list.title.get(lang),
        if et { "versioon" } else { "version" }
    )?;
    writeln!(out, "{}", output::render(&table, format))?;
    Ok(())
}
