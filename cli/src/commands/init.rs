//! `kroonika init`: create the store or bring its schema up to date, set up
//! its master key, and optionally register the first administrator.

use std::io::Write;

use kroonika_app::InitOutcome;
use kroonika_app::keys;
use kroonika_app::setup::{self, KeySetUp};

use crate::args::{Cli, InitArgs};
use crate::context;

pub(crate) async fn run(
    cli: &Cli,
    args: &InitArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let done = setup::init(&cli.db, &context::key_source(cli), args.admin.as_deref()).await?;
    let location = &done.location;
    match done.outcome {
        InitOutcome::Created { version } => writeln!(
            out,
            "created a Kroonika store at {location} ({} backend, schema version {version})",
            done.backend
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
    match &done.key {
        KeySetUp::Configured { source } => writeln!(
            out,
            "personal data is encrypted under the master key from {source}"
        )?,
        KeySetUp::Created { path } => writeln!(
            out,
            "created the master key file {} (owner only); keep a copy apart from the store: without it nobody can read the personal data",
            path.display()
        )?,
        KeySetUp::None => writeln!(
            out,
            "no master key yet: before recording personal data set {} to 64 hex digits (e.g. `openssl rand -hex 32`), the same on every machine, and keep it apart from the database",
            keys::ENV
        )?,
    }
    if let Some(admin) = &done.admin {
        writeln!(out, "registered the first administrator: {admin}")?;
    }
    Ok(())
}
