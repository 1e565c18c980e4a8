//! `kroonika init`: create the store or bring its schema up to date, and
//! optionally register the first administrator.

use std::io::Write;

use anyhow::Context;
use kroonika_engine::Rejection;
use kroonika_engine::actors::{self, ActorCommand};
use kroonika_store::{Direction, InitOutcome, ReadFrom, Store};

use crate::args::{Cli, InitArgs};
use crate::commands::actor::apply;
use crate::secrets;

pub(crate) async fn run(
    cli: &Cli,
    args: &InitArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let (store, outcome) = Store::init(&cli.db)
        .await
        .context("initialising the store")?;
    let location = store.location();
    match outcome {
        InitOutcome::Created { version } => writeln!(
            out,
            "created a Kroonika store at {location} ({} backend, schema version {version})",
            store.backend_name()
        )?,
        InitOutcome::Upgraded { from, to } => writeln!(
            out,
            "upgraded the store at {location} from schema version {from} to {to}"
        )?,
        InitOutcome::UpToDate { version } => writeln!(
            out,
            "the store at {location} is up to date (schema version {version})"
        )?,
    }
    master_key(cli, &store, out).await?;
    if let Some(admin) = &args.admin {
        let existing = store
            .read_category(actors::CATEGORY, ReadFrom::Start, Direction::Forwards, 1)
            .await?;
        if !existing.is_empty() {
            return Err(Rejection::new(
                "the store has actors already; an administrator adds more with `kroonika actor add`",
            )
            .into());
        }
        let command = ActorCommand::Register {
            name: admin.clone(),
            roles: vec![actors::ADMIN.to_owned()],
        };
        apply(&store, admin, &command, None).await?;
        writeln!(out, "registered the first administrator: {admin}")?;
    }
    store.close().await;
    Ok(())
}

/// Registers the configured master key with the store, or, for an SQLite store
/// without one, creates the key file beside it.
async fn master_key(cli: &Cli, store: &Store, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    if let Some((key, source)) = secrets::find(cli)? {
        secrets::check(store, &key)
            .await
            .with_context(|| format!("the master key from {source}"))?;
        writeln!(
            out,
            "personal data is encrypted under the master key from {source}"
        )?;
        return Ok(());
    }
    match secrets::default_key_file(&cli.db) {
        Some(path) => {
            let key = secrets::create_key_file(&path)?;
            secrets::check(store, &key).await?;
            writeln!(
                out,
                "created the master key file {} (owner only); keep a copy apart from the store: without it nobody can read the personal data",
                path.display()
            )?;
        }
        None => writeln!(
            out,
            "no master key yet: before recording personal data set {} to 64 hex digits (e.g. `openssl rand -hex 32`), the same on every machine, and keep it apart from the database",
            secrets::ENV
        )?,
    }
    Ok(())
}
