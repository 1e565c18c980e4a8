//! `kroonika subject forget|access` and `kroonika retention run`.

use std::io::Write;

use kroonika_app::Day;
use serde_json::json;

use crate::args::{Cli, Format};
use crate::{context, output};

/// `kroonika subject forget`.
pub(crate) async fn forget(
    cli: &Cli,
    path: &str,
    subject: &str,
    reason: &str,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let request = context::request(cli, path)?;
    let forgotten = context::with_app(cli, true, async |app| {
        Ok(app.forget(&request, subject, reason).await?)
    })
    .await?;
    if forgotten.erased {
        writeln!(
            out,
            "erased {}/{} (subject {}): their personal data can no longer be read",
            forgotten.reference, forgotten.name, forgotten.subject_id
        )?;
    } else {
        writeln!(
            out,
            "{}/{} was erased already",
            forgotten.reference, forgotten.name
        )?;
    }
    Ok(())
}

/// `kroonika subject access`: the export to standard output or a file of
/// its own (owner only: it holds personal data).
pub(crate) async fn access(
    cli: &Cli,
    path: &str,
    query: &kroonika_app::subject::SubjectQuery,
    format: crate::args::ExportFormat,
    output: Option<&std::path::Path>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let request = context::request(cli, path)?;
    let export = context::with_app(cli, true, async |app| {
        Ok(app.subject_access(&request, query).await?)
    })
    .await?;
    let text = match format {
        crate::args::ExportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&export)?),
        crate::args::ExportFormat::Html => kroonika_app::subject::html(&export),
    };
    match output {
        Some(file) => {
            let mut written = super::transfer::private_file(file)
                .with_context(|| format!("cannot write {}", file.display()))?;
            written.write_all(text.as_bytes())?;
            written.sync_all()?;
            writeln!(
                out,
                "{} case(s) and {} access record(s) exported to {} (the export is recorded in the access log)",
                export.cases.len(),
                export.access.len(),
                file.display()
            )?;
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// `kroonika retention run`: as the system, unless an actor is named (who must
/// then be allowed to erase).
pub(crate) async fn retention(
    cli: &Cli,
    now: Option<&str>,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let now = context::time(now, "--now", Day::Start)?;
    let (rows, today) = context::with_app(cli, true, async |app| {
        let rows = app.run_retention(cli.actor.as_deref(), now).await?;
        Ok((rows, now.unwrap_or_else(|| app.now()).date_naive()))
    })
    .await?;
    match format {
        Format::Json => {
            for row in &rows {
                writeln!(
                    out,
                    "{}",
                    json!({ "case": row.case, "action": row.action, "detail": row.detail })
                )?;
            }
        }
        Format::Table if rows.is_empty() => writeln!(out, "nothing is due for erasure on {today}")?,
        Format::Table | Format::Csv => {
            let mut table = output::table(&["case", "action", "subjects or reason"]);
            for row in &rows {
                table.add_row([&row.case, &row.action, &row.detail]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    // A scheduler must notice a run that left erasures undone.
    let failed = rows.iter().filter(|r| r.action == "failed").count();
    if failed > 0 {
        return Err(crate::exit::Invalid(format!(
            "{failed} case(s) could not be erased (listed above); they are tried again on the next run"
        ))
        .into());
    }
    Ok(())
}
