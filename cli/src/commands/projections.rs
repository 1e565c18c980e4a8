//! `kroonika projections status|rebuild|run`.

use std::io::Write;
use std::time::Duration;

use kroonika_engine::Rejection;
use serde_json::json;

use crate::args::{Cli, Format, ProjectionsCommand};
use crate::{context, output, projector};

pub(crate) async fn run(
    cli: &Cli,
    command: &ProjectionsCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    match command {
        ProjectionsCommand::Status { format } => {
            let head = store.head_position().await?;
            let states = store.projection_states(None).await?;
            let rows: Vec<(String, u64, u64, Option<String>)> = kroonika_projections::all()
                .iter()
                .map(|fold| {
                    let state = states.iter().find(|s| s.name == fold.name());
                    let position = state.map_or(0, |s| s.position);
                    (
                        fold.name().to_owned(),
                        position,
                        head.saturating_sub(position),
                        state.and_then(|s| s.error.clone()),
                    )
                })
                .collect();
            match format {
                Format::Json => {
                    for (name, position, lag, error) in &rows {
                        writeln!(
                            out,
                            "{}",
                            json!({ "name": name, "position": position, "head": head, "lag": lag, "error": error })
                        )?;
                    }
                }
                Format::Table | Format::Csv => {
                    let mut table =
                        output::table(&["projection", "position", "behind", "last error"]);
                    for (name, position, lag, error) in rows {
                        table.add_row([
                            name,
                            position.to_string(),
                            lag.to_string(),
                            error.unwrap_or_default(),
                        ]);
                    }
                    writeln!(out, "{}", output::render(&table, *format))?;
                }
            }
        }
        ProjectionsCommand::Rebuild { name } => {
            let folds: Vec<_> = kroonika_projections::all()
                .into_iter()
                .filter(|f| name.as_deref().is_none_or(|n| n == f.name()))
                .collect();
            if folds.is_empty() {
                let names: Vec<&str> = kroonika_projections::all()
                    .iter()
                    .map(|f| f.name())
                    .collect();
                return Err(Rejection::new(format!(
                    "there is no projection '{}'; the projections are: {}",
                    name.as_deref().unwrap_or(""),
                    names.join(", ")
                ))
                .into());
            }
            let head = store.head_position().await?;
            let names: Vec<&str> = folds.iter().map(|f| f.name()).collect();
            let bar = output::progress(head, &names.join(", "));
            let folded =
                projector::rebuild(&store, &folds, &mut |position| bar.set_position(position))
                    .await?;
            bar.finish_and_clear();
            for (fold, folded) in folds.iter().zip(folded) {
                writeln!(out, "rebuilt {} from {folded} events", fold.name())?;
            }
        }
        ProjectionsCommand::Run { follow } => {
            projector::catch_up_all(&store).await?;
            writeln!(
                out,
                "projections are up to date at position {}",
                store.head_position().await?
            )?;
            if *follow {
                let mut subscription = store.subscribe(store.head_position().await?);
                loop {
                    // Wait for a commit (here, from another process, or a poll), then catch up.
                    let _ = tokio::time::timeout(Duration::from_secs(5), subscription.next()).await;
                    projector::catch_up_all(&store).await?;
                    out.flush()?;
                }
            }
        }
    }
    store.close().await;
    Ok(())
}
