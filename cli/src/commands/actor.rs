//! `kroonika actor add|grant|revoke|list`, and registering the first
//! administrator for `init --admin`.

use std::io::Write;

use kroonika_engine::actors::{self, ActorCommand as Decide, ActorEvent};
use kroonika_store::Store;
use uuid::Uuid;

use crate::args::{ActorCommand, Cli, Format};
use crate::context::{self, acting, actor_stream, fold_actor, new_event};
use crate::exit::lift;
use crate::output;

pub(crate) async fn run(
    cli: &Cli,
    command: &ActorCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    if let ActorCommand::List { format } = command {
        let by = acting(cli, &store).await?;
        by.require_any(&[actors::ADMIN], "list actors")?;
        return list(&store, *format, out).await;
    }
    let by = acting(cli, &store).await?;
    let (name, decide) = match command {
        ActorCommand::Add { name, roles } => (
            name,
            Decide::Register {
                name: name.clone(),
                roles: roles.clone(),
            },
        ),
        ActorCommand::Grant { name, role } => (
            name,
            Decide::Grant {
                name: name.clone(),
                role: role.clone(),
            },
        ),
        ActorCommand::Revoke { name, role } => (
            name,
            Decide::Revoke {
                name: name.clone(),
                role: role.clone(),
            },
        ),
        ActorCommand::List { .. } => unreachable!("handled above"),
    };
    let appended = apply(&store, name, &decide, Some(&by)).await?;
    let actor = context::load_actor(&store, name).await?.unwrap_or_default();
    let roles = actor.roles.iter().cloned().collect::<Vec<_>>().join(", ");
    let verb = match (&decide, appended) {
        (_, false) => "unchanged",
        (Decide::Register { .. }, true) => "registered",
        (Decide::Grant { .. }, true) => "granted",
        (Decide::Revoke { .. }, true) => "revoked",
    };
    writeln!(
        out,
        "{verb}: {name} ({})",
        if roles.is_empty() { "no roles" } else { &roles }
    )?;
    store.close().await;
    Ok(())
}

/// Decides and appends an actor command; `by` None only for the first
/// administrator. Returns whether anything was appended.
pub(crate) async fn apply(
    store: &Store,
    name: &str,
    command: &Decide,
    by: Option<&actors::Actor>,
) -> anyhow::Result<bool> {
    let stream = actor_stream(name)?;
    let issuer = by.map_or(name, |by| by.name.as_str()).to_owned();
    let command_id = Uuid::now_v7();
    let result = store
        .execute(&stream, |history| {
            let target = fold_actor(history)
                .map_err(|err| kroonika_engine::Rejection::new(format!("{err:#}")))?;
            let events = actors::decide(command, target.as_ref(), by)?;
            events
                .iter()
                .map(|event: &ActorEvent| {
                    new_event(&issuer, command_id, event.event_type(), &event.data())
                        .map_err(|err| kroonika_engine::Rejection::new(format!("{err:#}")))
                })
                .collect()
        })
        .await
        .map_err(lift)?;
    Ok(result.is_some())
}

async fn list(store: &Store, format: Format, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let by_stream = crate::context::streams_of(store, actors::CATEGORY).await?;
    let actors: Vec<actors::Actor> = by_stream
        .values()
        .filter_map(|events| fold_actor(events).ok().flatten())
        .collect();
    match format {
        Format::Json => {
            for actor in &actors {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "name": actor.name, "roles": actor.roles })
                )?;
            }
        }
        Format::Table | Format::Csv => {
            let mut table = output::table(&["actor", "roles"]);
            for actor in &actors {
                table.add_row([
                    actor.name.clone(),
                    actor.roles.iter().cloned().collect::<Vec<_>>().join(", "),
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    Ok(())
}
