//! `kroonika projections status|rebuild|run`.

use std::io::Write;
use std::time::Duration;

use kroonika_app::App;
use kroonika_app::services::Shutdown;
use serde_json::json;

use crate::args::{Cli, Format, ProjectionsCommand};
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    command: &ProjectionsCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    context::with_app(cli, false, async |app| run_on(app, command, out).await).await
}

async fn run_on(
    app: &App,
    command: &ProjectionsCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match command {
        ProjectionsCommand::Status { format } => {
            let rows = app.projection_status().await?;
            match format {
                Format::Json => {
                    for row in &rows {
                        writeln!(
                            out,
                            "{}",
                            json!({ "name": row.name, "position": row.position, "head": row.head, "lag": row.behind(), "error": row.error })
                        )?;
                    }
                }
                Format::Table | Format::Csv => {
                    let mut table =
                        output::table(&["projection", "position", "behind", "last error"]);
                    for row in rows {
                        table.add_row([
                            row.name.clone(),
                            row.position.to_string(),
                            row.behind().to_string(),
                            row.error.clone().unwrap_or_default(),
                        ]);
                    }
                    writeln!(out, "{}", output::render(&table, *format))?;
                }
            }
        }
        ProjectionsCommand::Rebuild { name } => {
            let folds = App::folds(name.as_deref())?;
            let head = app.status().await?.head;
            let names: Vec<&str> = folds.iter().map(|f| f.name()).collect();
            let bar = output::progress(head, &names.join(", "));
            let folded = app
                .rebuild(&folds, &mut |position| bar.set_position(position))
                .await?;
            bar.finish_and_clear();
            for (fold, folded) in folds.iter().zip(folded) {
                writeln!(out, "rebuilt {} from {folded} events", fold.name())?;
            }
        }
        ProjectionsCommand::Run { follow } => {
            // Listening for the stop before anything else, so no signal is missed.
            let shutdown = follow.then(on_signal);
            app.catch_up_all().await?;
            writeln!(
                out,
                "projections are up to date at position {}",
                app.status().await?.head
            )?;
            out.flush()?;
            if let Some(shutdown) = shutdown {
                app.run_projections(&shutdown, Duration::from_secs(5))
                    .await?;
            }
        }
    }
    Ok(())
}

/// A shutdown signalled by Ctrl-C or SIGTERM: services finish what they are
/// doing and return.
pub(crate) fn on_signal() -> Shutdown {
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        stop.stop();
    });
    shutdown
}
