//! `kroonika status`: what the store is and how much it holds.

use std::io::Write;

use anyhow::Context;

use crate::args::{Cli, DocFormat, StatusArgs};
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    args: &StatusArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let status = context::with_app(cli, false, async |app| {
        app.status().await.context("reading the store's details")
    })
    .await?;
    match args.format {
        DocFormat::Json => {
            let doc = serde_json::json!({
                "location": status.location,
                "backend": status.backend,
                "schema_version": status.schema_version,
                "store_id": status.store_id,
                "created_at": status.created_at,
                "events": status.head,
                "head_position": status.head,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        DocFormat::Table => {
            let rows = [
                ("store", status.location.clone()),
                ("backend", status.backend.to_owned()),
                ("schema version", status.schema_version.to_string()),
                ("store id", status.store_id.clone()),
                ("created", status.created_at.clone()),
                ("events", status.head.to_string()),
                ("head position", status.head.to_string()),
            ];
            writeln!(out, "{}", output::key_values(&rows))?;
        }
    }
    Ok(())
}
