//! `kroonika actor add|grant|revoke|list`.

use std::io::Write;

use kroonika_app::App;
use kroonika_engine::actors::ActorCommand as Decide;

use crate::args::{ActorCommand, Cli, Format};
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    path: &str,
    command: &ActorCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    context::with_app(cli, false, async |app| {
        run_on(app, cli, path, command, out).await
    })
    .await
}

async fn run_on(
    app: &App,
    cli: &Cli,
    path: &str,
    command: &ActorCommand,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let request = context::request(cli, path)?;
    let decide = match command {
        ActorCommand::List { format } => {
            let actors = app.list_actors(&request).await?;
            return list(&actors, *format, out);
        }
        ActorCommand::Add { name, roles } => Decide::Register {
            name: name.clone(),
            roles: roles.clone(),
        },
        ActorCommand::Grant { name, role } => Decide::Grant {
            name: name.clone(),
            role: role.clone(),
        },
        ActorCommand::Revoke { name, role } => Decide::Revoke {
            name: name.clone(),
            role: role.clone(),
        },
    };
    let done = app.administer(&request, &decide).await?;
    let roles = done
        .actor
        .roles
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let verb = match (&decide, done.changed) {
        (_, false) => "unchanged",
        (Decide::Register { .. }, true) => "registered",
        (Decide::Grant { .. }, true) => "granted",
        (Decide::Revoke { .. }, true) => "revoked",
    };
    let name = match &decide {
        Decide::Register { name, .. }
        | Decide::Grant { name, .. }
        | Decide::Revoke { name, .. } => name,
    };
    writeln!(
        out,
        "{verb}: {name} ({})",
        if roles.is_empty() { "no roles" } else { &roles }
    )?;
    Ok(())
}

fn list(
    actors: &[kroonika_engine::actors::Actor],
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            for actor in actors {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "name": actor.name, "roles": actor.roles })
                )?;
            }
        }
        Format::Table | Format::Csv => {
            let mut table = output::table(&["actor", "roles"]);
            for actor in actors {
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
