//! `kroonika log`: read the event log in order, and optionally follow it.

use std::io::Write;

use anyhow::Context;
use kroonika_app::log::LogQuery;
use kroonika_engine::{RecordedEvent, StreamName};

use crate::args::{Cli, Format, LogArgs};
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    args: &LogArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let stream = args.stream.as_deref().map(StreamName::new).transpose()?;
    let app = context::app(cli, false).await?;
    let query = LogQuery {
        stream,
        category: args.category.clone(),
        from: args.from,
        backwards: args.backwards,
        limit: args.limit,
    };
    let request = context::reader(cli, "log");
    let events = app
        .read_log(&request, &query)
        .await
        .context("reading the log");
    let events = match events {
        Ok(events) => events,
        Err(err) => {
            app.close().await;
            return Err(err);
        }
    };
    print(&events, args.format, true, out)?;
    if args.follow {
        let after = events
            .last()
            .map(|e| e.position)
            .or(args.from.map(|n| n.saturating_sub(1)))
            .unwrap_or(0);
        let mut subscription = app
            .follow(&request, after, args.category.as_deref())
            .await?;
        loop {
            let event = subscription.next().await.context("following the log")?;
            print(std::slice::from_ref(&event), args.format, false, out)?;
            out.flush()?;
        }
    }
    app.close().await;
    Ok(())
}

fn print(
    events: &[RecordedEvent],
    format: Format,
    header: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            for event in events {
                writeln!(out, "{}", kroonika_app::log::event_json(event))?;
            }
        }
        Format::Table | Format::Csv => {
            if events.is_empty() && format == Format::Table {
                if header {
                    writeln!(out, "no events")?;
                }
                return Ok(());
            }
            let mut table =
                output::table(&["pos", "recorded (UTC)", "stream", "rev", "type", "actor"]);
            for event in events {
                table.add_row([
                    event.position.to_string(),
                    event.recorded_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    event.stream.to_string(),
                    event.revision.to_string(),
                    event.event_type.clone(),
                    event.metadata.actor.clone(),
                ]);
            }
            let text = output::render(&table, format);
            let text = if header {
                text.as_str()
            } else {
                // Following: one row per event, without repeating the header.
                text.lines().last().unwrap_or_default()
            };
            writeln!(out, "{text}")?;
        }
    }
    Ok(())
}
