//! `kroonika init`: create the store or bring its schema up to date.

use std::io::Write;

use anyhow::Context;
use kroonika_store::{InitOutcome, Store};

use crate::args::Cli;

pub(crate) async fn run(cli: &Cli, out: &mut dyn Write) -> anyhow::Result<()> {
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
    store.close().await;
    Ok(())
}
