//! `kroonika def check` and `kroonika def graph`: a service owner's definitions.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use kroonika_processes::{Checked, Severity};

use crate::args::{CheckFormat, DefCheckArgs, DefGraphArgs, GraphFormat};
use crate::exit::Invalid;

/// Reads a definition file; bytes that are not UTF-8 become a diagnostic, not a crash.
pub(crate) fn read(path: &Path) -> anyhow::Result<(String, Checked)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match String::from_utf8(bytes) {
        // A partner list is checked as one (it has no process to draw).
        Ok(source) if kroonika_processes::is_partner_list(&source) => {
            let checked = Checked {
                definition: None,
                diagnostics: kroonika_processes::check_partners(&source).diagnostics,
            };
            Ok((source, checked))
        }
        Ok(source) => {
            let checked = kroonika_processes::check(&source);
            Ok((source, checked))
        }
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let diagnostic = kroonika_processes::Diagnostic::error(
                kroonika_processes::Code::YamlSyntax,
                0..0,
                format!("the file is not UTF-8 text (byte {at} is not valid); save it as UTF-8"),
            );
            let checked = Checked {
                definition: None,
                diagnostics: vec![diagnostic],
            };
            Ok((String::new(), checked))
        }
    }
}

pub(crate) fn check(args: &DefCheckArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let mut errors = 0usize;
    let mut warnings = 0usize;
    let mut json = Vec::new();
    for path in &args.files {
        if is_scenario_file(path) {
            // A scenario file beside the definitions (`processes/*.yaml`
            // names both): its format is checked; `def test` runs it.
            let file = path.display().to_string();
            let source = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            match kroonika_app::scenarios::parse(&source, &file) {
                Ok(_) => {
                    if args.format == CheckFormat::Human {
                        writeln!(
                            out,
                            "{file}: ok (scenarios: `kroonika def test {file}` runs them)"
                        )?;
                    }
                }
                Err(err) => {
                    errors += 1;
                    match args.format {
                        CheckFormat::Json => json.push(serde_json::json!({
                            "file": file,
                            "code": "scenario-file",
                            "severity": "error",
                            "message": err.to_string(),
                        })),
                        CheckFormat::Human => writeln!(out, "{err}")?,
                    }
                }
            }
            continue;
        }
        let (source, checked) = read(path)?;
        let file = path.display().to_string();
        let file_errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let file_warnings = checked.diagnostics.len() - file_errors;
        errors += file_errors;
        warnings += file_warnings;
        match args.format {
            CheckFormat::Json => json.extend(
                checked
                    .diagnostics
                    .iter()
                    .map(|d| d.to_json(&file, &source)),
            ),
            CheckFormat::Human => {
                print_diagnostics(&file, &source, &checked, out)?;
                writeln!(out, "{file}: {}", summary(file_errors, file_warnings))?;
            }
        }
    }
    if args.format == CheckFormat::Json {
        let doc =
            serde_json::json!({ "errors": errors, "warnings": warnings, "diagnostics": json });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    }
    if errors > 0 {
        return Err(Invalid(format!(
            "{} in {} file(s)",
            summary(errors, warnings),
            args.files.len()
        ))
        .into());
    }
    Ok(())
}

/// Scenario files are named `*.test.yaml` (`processes/mediation.test.yaml`).
fn is_scenario_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

/// Draws each diagnostic with an excerpt of the file.
pub(crate) fn print_diagnostics(
    file: &str,
    source: &str,
    checked: &Checked,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let theme = if crate::style::stdout() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1);
    for diagnostic in &checked.diagnostics {
        let mut text = String::new();
        handler
            .render_report(&mut text, &diagnostic.report(file, source))
            .context("rendering a diagnostic")?;
        writeln!(out, "{}", text.trim_end())?;
        writeln!(out)?;
    }
    Ok(())
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "ok".to_owned(),
        (0, w) => format!("ok, {}", plural(w, "warning")),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

pub(crate) async fn graph(
    cli: &crate::args::Cli,
    args: &DefGraphArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let path = Path::new(&args.target);
    let (label, checked) = if path.is_file() {
        if args.version.is_some() {
            return Err(
                Invalid("--version is for a published process, not a file".to_owned()).into(),
            );
        }
        (args.target.clone(), read(path)?.1)
    } else {
        let published = crate::context::with_app(cli, false, async |app| {
            Ok(app.published_version(&args.target, args.version).await?)
        })
        .await?
        .publication
        .clone();
        let label = format!("{} version {}", published.process, published.version);
        (label, kroonika_processes::check(&published.source))
    };
    let Some(definition) = checked.definition else {
        return Err(Invalid(format!(
            "{label} has errors; run `kroonika def check` on it to see them"
        ))
        .into());
    };
    let text = match args.format {
        GraphFormat::Mermaid => kroonika_processes::graph::mermaid(&definition),
        GraphFormat::Dot => kroonika_processes::graph::dot(&definition),
        GraphFormat::Svg => kroonika_processes::graph::svg(&definition),
    };
    write!(out, "{text}")?;
    Ok(())
}

pub(crate) fn schema(out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let schema = kroonika_processes::schema::json_schema();
    writeln!(out, "{}", serde_json::to_string_pretty(&schema)?)?;
    Ok(())
}
