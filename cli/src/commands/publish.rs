//! `kroonika def publish|list|show|migrations`: versions of process
//! definitions in the store.

use std::io::Write;
use std::path::Path;

use kroonika_app::definitions::Publishing;
use kroonika_engine::{Code, Rejection};
use serde_json::json;

use crate::args::{Cli, Format};
use crate::commands::def;
use crate::{context, output, words};

pub(crate) async fn publish(
    cli: &Cli,
    path: &str,
    file: &Path,
    force: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let (source, checked) = def::read(file)?;
    // A partner list has no definition; it is fit to publish without errors.
    let fit = checked.definition.is_some()
        || (kroonika_processes::is_partner_list(&source) && !checked.has_errors());
    if !fit {
        def::print_diagnostics(&file.display().to_string(), &source, &checked, out)?;
        return Err(kroonika_app::Error::Rejected(Rejection::new(
            Code::InvalidDefinition,
            format!(
                "{} has errors (shown above) and was not published",
                file.display()
            ),
        ))
        .into());
    }
    let request = context::request(cli, path)?;
    let published = context::with_app(cli, false, async |app| {
        Ok(app.publish(&request, &source, force).await?)
    })
    .await?;
    match published {
        Publishing::New {
            process,
            version,
            content_hash,
        } => writeln!(
            out,
            "published {process} version {version} ({content_hash})"
        )?,
        Publishing::Unchanged { process, version } => writeln!(
            out,
            "{process} is unchanged: identical to the published version {version}; no new version"
        )?,
    }
    Ok(())
}

pub(crate) async fn list(
    cli: &Cli,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let latest = context::with_app(cli, false, async |app| Ok(app.published().await?)).await?;
    match format {
        Format::Json => {
            for published in &latest {
                let p = &published.publication;
                let doc = json!({
                    "process": p.process,
                    "version": p.version,
                    "title": p.title,
                    "content_hash": p.content_hash,
                    "published_at": published.recorded_at,
                    "published_by": published.by,
                });
                writeln!(out, "{doc}")?;
            }
        }
        Format::Table | Format::Csv => {
            if latest.is_empty() && format == Format::Table {
                writeln!(out, "no definitions are published yet")?;
            } else {
                let mut table = output::table(&["process", "version", "title", "published", "by"]);
                for published in &latest {
                    let p = &published.publication;
                    table.add_row([
                        p.process.clone(),
                        p.version.to_string(),
                        p.title.clone(),
                        published.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                        published.by.clone(),
                    ]);
                }
                writeln!(out, "{}", output::render(&table, format))?;
            }
        }
    }
    Ok(())
}

pub(crate) async fn show(
    cli: &Cli,
    name: &str,
    wanted: Option<u32>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let published = context::with_app(cli, false, async |app| {
        Ok(app.published_version(name, wanted).await?)
    })
    .await?;
    let p = &published.publication;
    let lang = cli.chosen_language();
    let w = |english: &'static str| words::word(lang, english);
    let definition = match lang {
        Some(_) => Some(published.definition()?),
        None => None,
    };
    let title = match (&definition, lang) {
        (Some(def), Some(lang)) => def.title.get(lang).to_owned(),
        _ => p.title.clone(),
    };
    let rows = [
        (w("process"), p.process.clone()),
        (w("version"), p.version.to_string()),
        (w("title"), title),
        (w("content hash"), p.content_hash.clone()),
        (w("published"), published.recorded_at.to_rfc3339()),
        (w("by"), published.by.clone()),
    ];
    writeln!(out, "{}", output::key_values(&rows))?;
    writeln!(out)?;
    if let (Some(def), Some(lang)) = (&definition, lang) {
        overview(def, lang, out)?;
        writeln!(out, "{}", w("source"))?;
    }
    write!(out, "{}", p.source)?;
    if !p.source.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

/// The process in the reader's language: each state with its title,
/// deadline and guidance, and each step with its title and where it leads.
fn overview(
    def: &kroonika_engine::definition::ProcessDefinition,
    lang: &str,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let w = |english: &'static str| words::word(Some(lang), english);
    let labels = kroonika_app::labels::Labels::of(def, None, lang);
    writeln!(out, "{}", w("states"))?;
    for state in &def.states {
        let mut line = format!("  {}  {}", state.name, labels.state(&state.name));
        if state.terminal {
            line.push_str(&format!(" ({})", w("terminal")));
        }
        if let Some(deadline) = &state.deadline {
            line.push_str(&format!(
                "; {}: {}",
                w("deadline"),
                words::duration(Some(lang), &deadline.within)
            ));
        }
        writeln!(out, "{line}")?;
        if let Some(guidance) = labels.guidance.get(&state.name) {
            writeln!(out, "      {}", guidance.trim())?;
        }
        for step in def.transitions_in(state) {
            let goes = step.to.as_ref().map_or(w("(stays)").to_owned(), |to| {
                format!("→ {}", labels.state(to))
            });
            writeln!(
                out,
                "      {}  {} {goes}",
                step.name,
                labels.step(&step.name)
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}

pub(crate) async fn migrations(
    cli: &Cli,
    process: &str,
    to_version: u32,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let rows = context::with_app(cli, true, async |app| {
        Ok(app
            .migrations(&context::reader(cli, "def migrations"), process, to_version)
            .await?)
    })
    .await?;
    match format {
        Format::Json => {
            for row in &rows {
                writeln!(
                    out,
                    "{}",
                    json!({ "case": row.case, "version": row.version, "state": row.state, "verdict": row.verdict, "detail": row.detail })
                )?;
            }
        }
        Format::Table | Format::Csv => {
            if rows.is_empty() && format == Format::Table {
                writeln!(
                    out,
                    "no open case of '{process}' is on a version before {to_version}"
                )?;
            } else {
                let mut table = output::table(&["case", "version", "state", "verdict", "why"]);
                for row in rows {
                    table.add_row([
                        row.case,
                        row.version.to_string(),
                        row.state,
                        row.verdict.to_owned(),
                        row.detail,
                    ]);
                }
                writeln!(out, "{}", output::render(&table, format))?;
            }
        }
    }
    Ok(())
}
