//! `kroonika report PROCESS`: the funnel, deadline compliance and declared
//! metrics of a process. The application builds the report once as JSON
//! (`kroonika_app::reports`, every small cell already suppressed); this module
//! renders it as a table, CSV or self-contained HTML, so no format can show what
//! another hides.

mod text;

use std::io::Write;

use anyhow::Context as _;
use kroonika_app::Day;
use kroonika_app::reports::ReportQuery;

use crate::args::{Cli, PeriodArg, ReportArgs, ReportFormat};
use crate::context;

pub(crate) async fn run(
    cli: &Cli,
    args: &ReportArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let as_of = match &args.as_of {
        Some(text) => Some((
            kroonika_app::time::parse(text, "--as-of", Day::End)?,
            text.clone(),
        )),
        None => None,
    };
    let query = ReportQuery {
        process: args.process.clone(),
        from: context::day(&args.from, "--from")?,
        to: context::day(&args.to, "--to")?,
        period: args.period.map(PeriodArg::period),
        by: args.by.clone(),
        as_of,
        lang: cli.chosen_language().map(str::to_owned),
    };
    let report = context::with_app(cli, false, async |app| {
        Ok(app.report(&context::reader(cli, "report"), &query).await?)
    })
    .await?;
    let text = match args.format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ReportFormat::Csv => kroonika_app::reports::csv::csv(&report),
        ReportFormat::Table => text::table(&report, cli.chosen_language()),
        ReportFormat::Html => kroonika_app::reports::html::page(&report),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}
