//! `kroonika def test`: runs a service owner's scenario files through the
//! application layer and says, for each scenario, that it passed or where
//! (file:line, the step) it went otherwise than written. `kroonika def
//! what-if`: what a draft would have done to the cases recorded.

use std::io::Write;

use kroonika_app::scenarios::{self, FileReport};

use anyhow::Context;

use crate::args::{CheckFormat, DefTestArgs, Format};
use crate::exit::Invalid;
use crate::{Cli, context, output};

pub(crate) async fn test(args: &DefTestArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        reports.push(scenarios::run_file(path, &name).await?);
    }
    let coverages = if args.coverage {
        coverages(&reports)
    } else {
        Vec::new()
    };
    let total: usize = reports.iter().map(|r| r.scenarios.len()).sum();
    let failed: usize = reports.iter().map(FileReport::failed).sum();
    match args.format {
        CheckFormat::Json => {
            let doc = serde_json::json!({
                "scenarios": total,
                "passed": total - failed,
                "failed": failed,
                "files": reports,
            });
            let mut doc = doc;
            if args.coverage {
                doc["coverage"] = serde_json::to_value(&coverages)?;
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        CheckFormat::Human => {
            for report in &reports {
                writeln!(out, "{}", report.file)?;
                for scenario in &report.scenarios {
                    match &scenario.failure {
                        None => writeln!(out, "  ok    {}", scenario.name)?,
                        Some(failure) => {
                            writeln!(out, "  FAIL  {}", scenario.name)?;
                            writeln!(
                                out,
                                "        {}:{}: {}",
                                report.file, failure.line, failure.step
                            )?;
                            writeln!(out, "        expected: {}", failure.expected)?;
                            writeln!(out, "        actual:   {}", failure.actual)?;
                        }
                    }
                }
            }
            for coverage in &coverages {
                print_coverage(coverage, out)?;
            }
            writeln!(
                out,
                "{total} scenario{}: {} passed, {failed} failed",
                if total == 1 { "" } else { "s" },
                total - failed
            )?;
        }
    }
    if failed > 0 {
        return Err(Invalid(format!("{failed} of {total} scenarios failed")).into());
    }
    Ok(())
}

/// Coverage per process, over every file that tests it (in the order the
/// processes first appear).
fn coverages(reports: &[FileReport]) -> Vec<scenarios::Coverage> {
    let mut processes: Vec<&str> = Vec::new();
    for report in reports {
        if !processes.contains(&report.process.as_str()) {
            processes.push(&report.process);
        }
    }
    processes
        .into_iter()
        .map(|process| {
            let of: Vec<&FileReport> = reports.iter().filter(|r| r.process == process).collect();
            let traces: Vec<&scenarios::Trace> = of
                .iter()
                .flat_map(|r| r.scenarios.iter().map(|s| &s.trace))
                .collect();
            scenarios::coverage(&of[0].definition, &traces)
        })
        .collect()
}

fn print_coverage(
    coverage: &scenarios::Coverage,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    writeln!(
        out,
        "coverage of {}: {} of {} ({:.0}%)",
        coverage.process,
        coverage.covered,
        coverage.total,
        coverage.percent()
    )?;
    let missing: Vec<&scenarios::Item> = coverage.items.iter().filter(|i| !i.covered).collect();
    if missing.is_empty() {
        writeln!(out, "  every path exercised")?;
        return Ok(());
    }
    writeln!(out, "  not exercised:")?;
    for item in missing {
        match item.outcome {
            Some(outcome) => writeln!(out, "    {:<10}  {}: {outcome}", item.kind, item.name)?,
            None => writeln!(out, "    {:<10}  {}", item.kind, item.name)?,
        }
    }
    Ok(())
}

pub(crate) async fn what_if(
    cli: &Cli,
    file: &std::path::Path,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let draft =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = context::with_app(cli, true, async |app| {
        Ok(app
            .what_if(&context::reader(cli, "def what-if"), &draft)
            .await?)
    })
    .await?;
    match format {
        Format::Json => {
            for outcome in &report.outcomes {
                writeln!(out, "{}", serde_json::to_string(outcome)?)?;
            }
        }
        Format::Table | Format::Csv => {
            let mut table = output::table(&["case", "state", "verdict", "at", "why"]);
            for o in &report.outcomes {
                table.add_row([
                    o.reference.clone(),
                    if o.closed {
                        format!("{} (closed)", o.state)
                    } else {
                        o.state.clone()
                    },
                    o.verdict.as_str().to_owned(),
                    o.step.clone().unwrap_or_default(),
                    o.why.clone().unwrap_or_default(),
                ]);
            }
            if format == Format::Table && report.outcomes.is_empty() {
                writeln!(out, "no case of '{}' is recorded", report.process)?;
            } else {
                writeln!(out, "{}", output::render(&table, format))?;
            }
            if format == Format::Table {
                writeln!(
                    out,
                    "{} cases of '{}': {} the same, {} diverge, {} with other deadlines",
                    report.cases, report.process, report.same, report.diverges, report.deadlines
                )?;
            }
        }
    }
    Ok(())
}
