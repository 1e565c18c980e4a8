//! `kroonika status`: what the store is and how much it holds.

use std::io::Write;

use anyhow::Context;

use crate::args::{Cli, DocFormat, StatusArgs};
use crate::output;

pub(crate) async fn run(
    cli: &Cli,
    args: &StatusArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = crate::context::open(cli).await?;
    let info = store.info().await.context("reading the store's details")?;
    let head = store
        .head_position()
        .await
        .context("reading the log's head")?;
    store.close().await;
    match args.format {
        DocFormat::Json => {
            let doc = serde_json::json!({
                "location": store.location(),
                "backend": info.backend,
                "schema_version": info.version,
                "store_id": info.store_id,
                "created_at": info.created_at,
                "events": head,
                "head_position": head,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        DocFormat::Table => {
            let rows = [
                ("store", store.location().to_owned()),
                ("backend", info.backend.to_owned()),
                ("schema version", info.version.to_string()),
                ("store id", info.store_id),
                ("created", info.created_at),
                ("events", head.to_string()),
                ("head position", head.to_string()),
            ];
            writeln!(out, "{}", output::key_values(&rows))?;
        }
    }
    Ok(())
}
