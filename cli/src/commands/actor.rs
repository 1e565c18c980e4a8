//! `kroonika actor add|grant|revoke|deactivate|reactivate|list|password`.

use std::io::Write;

use kroonika_app::App;
use kroonika_engine::actors::ActorCommand as Decide;

use crate::args::{ActorCommand, Cli, Format};
use crate::exit::Invalid;
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
        ActorCommand::Password { name } => {
            let password = read_password()?;
            app.set_password(&request, name, &password).await?;
            writeln!(out, "set the password of {name}; their sessions have ended")?;
            return Ok(());
        }
        ActorCommand::List { format } => {
            let actors = app.list_actors(&request).await?;
            return list(&actors, *format, out);
        }
        ActorCommand::Add { name, roles, .. } => Decide::Register {
            name: name.clone(),
            roles: roles.clone(),
        },
        ActorCommand::Grant { name, role, .. } => Decide::Grant {
            name: name.clone(),
            role: role.clone(),
        },
        ActorCommand::Revoke { name, role } => Decide::Revoke {
            name: name.clone(),
            role: role.clone(),
        },
        ActorCommand::Deactivate { name, reason } => Decide::Deactivate {
            name: name.clone(),
            reason: reason.clone(),
        },
        ActorCommand::Reactivate { name } => Decide::Reactivate { name: name.clone() },
        ActorCommand::Region { name, region, .. } => Decide::SetRegion {
            name: name.clone(),
            region: region.clone(),
        },
    };
    let force = matches!(
        command,
        ActorCommand::Add { force: true, .. } | ActorCommand::Grant { force: true, .. }
    );
    let done = app.administer(&request, &decide, force).await?;
    let roles = roles_cell(&done.actor);
    let verb = match (&decide, done.changed) {
        (_, false) => "unchanged",
        (Decide::Register { .. }, true) => "registered",
        (Decide::Grant { .. }, true) => "granted",
        (Decide::Revoke { .. }, true) => "revoked",
        (Decide::Deactivate { .. }, true) => "deactivated",
        (Decide::Reactivate { .. }, true) => "reactivated",
        (
            Decide::SetRegion {
                region: Some(_), ..
            },
            true,
        ) => "region set",
        (Decide::SetRegion { region: None, .. }, true) => "region cleared",
    };
    let mut state = match &done.actor.region {
        Some(region) => format!(", region {region}"),
        None => String::new(),
    };
    if !done.actor.is_active() {
        state.push_str(", deactivated");
    }
    writeln!(
        out,
        "{verb}: {} ({}{state})",
        decide.name(),
        if roles.is_empty() { "no roles" } else { &roles }
    )?;
    if done.tokens_revoked > 0 {
        writeln!(
            out,
            "revoked {} token(s); their sessions have ended",
            done.tokens_revoked
        )?;
    } else if matches!(decide, Decide::Deactivate { .. }) && done.changed {
        writeln!(out, "their sessions have ended")?;
    }
    Ok(())
}

fn list(
    actors: &[kroonika_app::actors::ActorRow],
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            for row in actors {
                let actor = &row.actor;
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "name": actor.name,
                        "roles": actor.roles,
                        "roles_in_effect": actor.roles_in_effect(),
                        "region": actor.region,
                        "profiles": actor.profiles.iter().map(|(name, p)| (name.clone(), serde_json::json!({
                            "process": p.process, "case": p.case, "values": p.values, "roles": p.roles,
                        }))).collect::<serde_json::Map<_, _>>(),
                        "active": actor.is_active(),
                        "deactivated": actor.deactivated,
                        "last_active": row.last_active,
                    })
                )?;
            }
        }
        Format::Table | Format::Csv => {
            let mut table =
                output::table(&["actor", "roles", "region", "state", "last active (UTC)"]);
            for row in actors {
                let actor = &row.actor;
                table.add_row([
                    actor.name.clone(),
                    roles_cell(actor),
                    actor.region.clone().unwrap_or_default(),
                    match &actor.deactivated {
                        None => "active".to_owned(),
                        Some(reason) => format!("deactivated: {reason}"),
                    },
                    row.last_active
                        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".to_owned()),
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    Ok(())
}

/// An actor's roles: an administrator's grants, then each profile's
/// (`mediator (volunteer profile)`) that are in effect.
fn roles_cell(actor: &kroonika_engine::actors::Actor) -> String {
    let given = actor
        .profile_roles()
        .into_iter()
        .map(|(role, profile)| format!("{role} ({profile} profile)"));
    actor
        .roles
        .iter()
        .cloned()
        .chain(given)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The new password: asked twice on a terminal (not echoed), else one line of
/// standard input. Never an argument: arguments show in `ps` and shell history.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("new password: ")?;
        let again = rpassword::prompt_password("the same again: ")?;
        if first != again {
            return Err(Invalid("the two passwords differ; nothing was changed".to_owned()).into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(64 * 1024)
        .read_line(&mut line)
        .map_err(|err| Invalid(format!("reading the password from standard input: {err}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Invalid(
            "give the new password on standard input (one line), or run on a terminal to be asked"
                .to_owned(),
        )
        .into());
    }
    Ok(password.to_owned())
}
