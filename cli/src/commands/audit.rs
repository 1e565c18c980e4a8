//! `kroonika audit trail`: every recorded act in log order, in words.
//!
//! Read straight from the log (not from a projection): an auditor must see what
//! was recorded, not what a fold made of it.

use std::collections::HashMap;
use std::io::Write;

use kroonika_engine::RecordedEvent;
use kroonika_engine::actors::ActorEvent;
use kroonika_engine::case::CaseEvent;
use kroonika_engine::publishing::DefinitionPublished;
use kroonika_store::ReadFrom;
use serde_json::json;

use crate::args::{AuditCommand, Cli, Format};
use crate::commands::case::describe;
use crate::{context, output};

/// What an event says, in words, and the case reference it concerns.
fn what(event: &RecordedEvent, references: &HashMap<String, String>) -> (String, String) {
    let stream = event.stream.to_string();
    let reference = references.get(&stream).cloned().unwrap_or_default();
    let text = match event.stream.category() {
        "case" => CaseEvent::from_parts(&event.event_type, event.data.as_str())
            .map_or_else(|_| event.event_type.clone(), |e| describe(&e)),
        "actor" => match ActorEvent::from_parts(&event.event_type, event.data.as_str()) {
            Ok(ActorEvent::ActorRegistered { name, roles }) => {
                format!("registered actor {name} ({})", roles.join(", "))
            }
            Ok(ActorEvent::RoleGranted { role }) => {
                format!("granted {role} to {}", event.stream.id())
            }
            Ok(ActorEvent::RoleRevoked { role }) => {
                format!("revoked {role} from {}", event.stream.id())
            }
            Err(_) => event.event_type.clone(),
        },
        "definition" => match event.data.decode::<DefinitionPublished>() {
            Ok(p) => format!(
                "published {} version {} ({})",
                p.process, p.version, p.content_hash
            ),
            Err(_) => event.event_type.clone(),
        },
        "caseref" => {
            let data = event.data.to_value().unwrap_or_default();
            format!(
                "allocated reference {}",
                data["reference"].as_str().unwrap_or_default()
            )
        }
        _ => event.event_type.clone(),
    };
    (reference, text)
}

pub(crate) async fn run(
    cli: &Cli,
    command: &AuditCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match command {
        AuditCommand::Trail {
            case,
            by,
            from,
            to,
            format,
        } => {
            trail(
                cli,
                case.as_deref(),
                by.as_deref(),
                from.as_deref(),
                to.as_deref(),
                *format,
                out,
            )
            .await
        }
        AuditCommand::Verify { against, format } => {
            crate::commands::verify::verify(cli, against.as_deref(), *format, out).await
        }
        AuditCommand::Head { format } => crate::commands::verify::head(cli, *format, out).await,
        AuditCommand::Access {
            subject,
            by,
            case,
            format,
        } => {
            crate::commands::privacy::access_log(
                cli,
                subject.as_deref(),
                by.as_deref(),
                case.as_deref(),
                *format,
                out,
            )
            .await
        }
    }
}

async fn trail(
    cli: &Cli,
    case: Option<&str>,
    by: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let from = from
        .map(|t| context::parse_time(t, "--from", context::START_OF_DAY))
        .transpose()?;
    let to = to
        .map(|t| context::parse_time(t, "--to", context::END_OF_DAY))
        .transpose()?;
    let only_stream = match case {
        Some(case) => Some(format!(
            "case-{}",
            crate::commands::case::resolve_id(&store, case).await?
        )),
        None => None,
    };
    let mut references: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::new();
    let mut scan = store.scan(None, ReadFrom::Start, 1_000);
    while let Some(page) = scan.next_page().await? {
        for event in page {
            if event.event_type == "CaseOpened"
                && let Ok(CaseEvent::CaseOpened { reference, .. }) =
                    CaseEvent::from_parts(&event.event_type, event.data.as_str())
            {
                references.insert(event.stream.to_string(), reference);
            }
            let wanted = only_stream
                .as_ref()
                .is_none_or(|s| *s == event.stream.as_str())
                && by.is_none_or(|b| b == event.metadata.actor)
                && from.is_none_or(|f| event.recorded_at >= f)
                && to.is_none_or(|t| event.recorded_at <= t);
            if wanted {
                let (reference, text) = what(&event, &references);
                rows.push((event, reference, text));
            }
        }
    }
    match format {
        Format::Json => {
            for (event, reference, text) in &rows {
                let doc = json!({
                    "position": event.position,
                    "recorded_at": event.recorded_at,
                    "occurred_at": event.metadata.occurred_at,
                    "actor": event.metadata.actor,
                    "case": if reference.is_empty() { None } else { Some(reference) },
                    "stream": event.stream,
                    "what": text,
                    "definition": event.metadata.extra.get("definition"),
                    "command_id": event.metadata.command_id,
                });
                writeln!(out, "{doc}")?;
            }
        }
        Format::Table | Format::Csv => {
            if rows.is_empty() && format == Format::Table {
                writeln!(out, "nothing recorded matches")?;
            } else {
                let mut table = output::table(&["recorded (UTC)", "actor", "case", "what"]);
                for (event, reference, text) in &rows {
                    table.add_row([
                        event.recorded_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        event.metadata.actor.clone(),
                        reference.clone(),
                        text.clone(),
                    ]);
                }
                writeln!(out, "{}", output::render(&table, format))?;
            }
        }
    }
    store.close().await;
    Ok(())
}
