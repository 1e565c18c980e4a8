//! `kroonika def publish|list|show|migrations`: versions of process
//! definitions in the store.

use std::io::Write;
use std::path::Path;

use kroonika_app::definitions::Publishing;
use kroonika_engine::{Code, Rejection};
use serde_json::json;

use crate::args::{Cli, Format};
use crate::commands::def;
use crate::{context, output};

pub(crate) async fn publish(
    cli: &Cli,
    path: &str,
    file: &Path,
    force: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let (source, checked) = def::read(file)?;
    if checked.definition.is_none() {
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
    let rows = [
        ("process", p.process.clone()),
        ("version", p.version.to_string()),
        ("title", p.title.clone()),
        ("content hash", p.content_hash.clone()),
        ("published", published.recorded_at.to_rfc3339()),
        ("by", published.by.clone()),
    ];
    writeln!(out, "{}", output::key_values(&rows))?;
    writeln!(out)?;
    write!(out, "{}", p.source)?;
    if !p.source.ends_with('\n') {
        writeln!(out)?;
    }
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
