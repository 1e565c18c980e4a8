//! `kroonika timers run`: every due deadline handled once, as the system; with
//! `--follow`, again every minute until interrupted. `timers repair`: the
//! wake-ups set again from the log.

use std::io::Write;
use std::time::Duration;

use kroonika_app::Day;
use kroonika_app::timers::TimerRun;

use crate::args::Cli;
use crate::{context, exit};

pub(crate) async fn run(
    cli: &Cli,
    now: Option<&str>,
    follow: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let at = context::time(now, "--now", Day::Noon)?;
    // Listening for the stop before anything else, so no signal is missed.
    let shutdown = follow.then(crate::commands::projections::on_signal);
    let app = context::app(cli, false).await?;
    let result = if let Some(shutdown) = shutdown {
        let mut failed = None;
        let served = app
            .run_timers_service(&shutdown, Duration::from_secs(60), &mut |run| {
                if let Err(err) = report(run, out) {
                    failed = Some(err);
                    shutdown.stop();
                }
            })
            .await;
        served
            .map_err(anyhow::Error::from)
            .and_then(|()| failed.map_or(Ok(()), Err))
    } else {
        match app.run_timers(at).await {
            Ok(run) => {
                let (handled, failed) = (run.handled, run.failed.len());
                report(run, out).and_then(|()| {
                    let when = at.unwrap_or_else(|| app.now());
                    writeln!(
                        out,
                        "handled {handled} due deadline(s) as of {}",
                        when.format("%Y-%m-%d %H:%M UTC")
                    )?;
                    // A scheduler (cron, a systemd timer) must notice a run
                    // that left deadlines unhandled.
                    if failed > 0 {
                        return Err(exit::Invalid(format!(
                            "{failed} due deadline(s) could not be handled (listed above); they are tried again on the next run"
                        ))
                        .into());
                    }
                    Ok(())
                })
            }
            Err(err) => Err(err.into()),
        }
    };
    app.close().await;
    result
}

/// What a run did, one line per event recorded or case not handled.
fn report(run: TimerRun, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    for (reference, event) in &run.recorded {
        writeln!(out, "{reference}: {}", kroonika_app::cases::describe(event))?;
    }
    for (reference, err) in run.failed {
        let line = exit::describe(&anyhow::Error::from(err));
        writeln!(out, "{reference}: not handled: {line}")?;
    }
    out.flush()?;
    Ok(())
}

/// `timers repair`: every case's wake-up set to what its events give.
pub(crate) async fn repair(cli: &Cli, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    context::with_app(cli, false, async |app| {
        let request = context::reader(cli, "timers repair");
        let fixed = app.repair_wake_ups(&request).await?;
        match fixed {
            0 => writeln!(
                out,
                "every wake-up is what the log gives; nothing to repair"
            )?,
            n => writeln!(out, "{n} wake-up(s) set from the log")?,
        }
        Ok(())
    })
    .await
}
