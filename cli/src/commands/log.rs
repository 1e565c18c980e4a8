//! `kroonika log`: read the event log in order, and optionally follow it.

use std::io::Write;

use anyhow::Context;
use kroonika_engine::{RecordedEvent, StreamName};
use kroonika_store::{Direction, ReadFrom};

use crate::args::{Cli, Format, LogArgs};
use crate::output;

pub(crate) async fn run(
    cli: &Cli,
    args: &LogArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = crate::context::open(cli).await?;
    let direction = if args.backwards {
        Direction::Backwards
    } else {
        Direction::Forwards
    };
    let from = match (args.from, direction) {
        (Some(n), _) => ReadFrom::At(n),
        (None, Direction::Forwards) => ReadFrom::Start,
        (None, Direction::Backwards) => ReadFrom::End,
    };
    let events = match (&args.stream, &args.category) {
        (Some(stream), _) => {
            let stream = StreamName::new(stream.as_str())?;
            store
                .read_stream(&stream, from, direction, args.limit)
                .await
        }
        (None, Some(category)) => {
            store
                .read_category(category, from, direction, args.limit)
                .await
        }
        (None, None) => store.read_all(from, direction, args.limit).await,
    }
    .context("reading the log")?;
    print(&events, args.format, true, out)?;

    if args.follow {
        let after = events
            .last()
            .map(|e| e.position)
            .or(args.from.map(|n| n.saturating_sub(1)))
            .unwrap_or(0);
        let mut subscription = match &args.category {
            Some(category) => store.subscribe_category(category, after),
            None => store.subscribe(after),
        };
        loop {
            let event = subscription.next().await.context("following the log")?;
            print(std::slice::from_ref(&event), args.format, false, out)?;
            out.flush()?;
        }
    }
    store.close().await;
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
                writeln!(out, "{}", output::event_json(event))?;
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
