//! `kroonika token issue|list|revoke`: bearer tokens for programs that call
//! `kroonika serve` (administrators only). The token is printed once, on
//! standard output alone (so `TOKEN=$(kroonika token issue …)` works); what it
//! is goes to standard error.

use std::io::Write;

use kroonika_app::auth::{TokenInfo, parse_lifetime};

use crate::args::{Cli, DocFormat, Format, TokenCommand};
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    path: &str,
    command: &TokenCommand,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let request = context::request(cli, path)?;
    // Arguments first: a malformed one is refused before the store is opened.
    let lifetime = match command {
        TokenCommand::Issue { expires, .. } => parse_lifetime(expires, "--expires")?,
        _ => None,
    };
    context::with_app(cli, false, async |app| match command {
        TokenCommand::Issue {
            name,
            note,
            format,
            ..
        } => {
            let issued = app.issue_token(&request, name, lifetime, note).await?;
            let expires = issued
                .expires_at
                .map(|at| format!("expires {}", at.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_else(|| "never expires".to_owned());
            match format {
                DocFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "id": issued.id,
                        "actor": issued.actor,
                        "token": issued.token,
                        "expires_at": issued.expires_at,
                    })
                )?,
                DocFormat::Table => {
                    writeln!(out, "{}", issued.token)?;
                    writeln!(
                        err,
                        "token {} for {}, {expires}; it is shown only now: give it to the program, keep no other copy",
                        issued.id, issued.actor
                    )?;
                }
            }
            Ok(())
        }
        TokenCommand::List { format } => {
            let tokens = app.list_tokens(&request).await?;
            list(&tokens, *format, out)
        }
        TokenCommand::Revoke { id } => {
            let said = if app.revoke_token(&request, *id).await? {
                "revoked"
            } else {
                "unchanged (revoked already)"
            };
            writeln!(out, "{said}: token {id}")?;
            Ok(())
        }
    })
    .await
}

fn list(tokens: &[TokenInfo], format: Format, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| at.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    match format {
        Format::Json => {
            for token in tokens {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "id": token.id,
                        "actor": token.actor,
                        "state": token.state.as_str(),
                        "note": token.note,
                        "issued_by": token.issued_by,
                        "issued_at": token.issued_at,
                        "expires_at": token.expires_at,
                        "revoked_at": token.revoked_at,
                    })
                )?;
            }
        }
        Format::Table | Format::Csv => {
            let mut table = output::table(&[
                "id",
                "actor",
                "state",
                "issued (UTC)",
                "by",
                "expires (UTC)",
                "note",
            ]);
            for token in tokens {
                table.add_row([
                    token.id.to_string(),
                    token.actor.clone(),
                    token.state.as_str().to_owned(),
                    when(Some(token.issued_at)),
                    token.issued_by.clone(),
                    when(token.expires_at),
                    token.note.clone(),
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
        }
    }
    Ok(())
}
