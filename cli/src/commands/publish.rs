//! `kroonika def publish|list|show`: versions of process definitions in the store.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use kroonika_engine::publishing::{self, DefinitionPublished, Publication};
use kroonika_engine::{RecordedEvent, Rejection, StreamName};
use kroonika_store::{ReadFrom, Store};
use uuid::Uuid;

use crate::args::{Cli, Format};
use crate::commands::def;
use crate::context::{self, acting, new_event};
use crate::exit::lift;
use crate::output;

fn stream(process: &str) -> anyhow::Result<StreamName> {
    Ok(StreamName::from_parts(publishing::CATEGORY, process)?)
}

pub(crate) fn decode(event: &RecordedEvent) -> anyhow::Result<DefinitionPublished> {
    event.data.decode().with_context(|| {
        format!(
            "reading event {} of stream '{}'",
            event.position, event.stream
        )
    })
}

/// The validated model of a published version (checked again: only the text
/// is stored).
pub(crate) fn compile(
    published: &DefinitionPublished,
) -> anyhow::Result<kroonika_engine::definition::ProcessDefinition> {
    kroonika_processes::check(&published.source)
        .definition
        .ok_or_else(|| {
            anyhow::anyhow!(
                "published version {} of '{}' no longer checks",
                published.version,
                published.process
            )
        })
}

/// Every published version of a process, oldest first.
pub(crate) async fn versions(
    store: &Store,
    process: &str,
) -> anyhow::Result<Vec<(DefinitionPublished, RecordedEvent)>> {
    let events = store.load_stream(&stream(process)?).await?;
    events.into_iter().map(|e| Ok((decode(&e)?, e))).collect()
}

/// One published version (the latest if `version` is None).
pub(crate) async fn version(
    store: &Store,
    process: &str,
    version: Option<u32>,
) -> anyhow::Result<(DefinitionPublished, RecordedEvent)> {
    let mut all = versions(store, process).await?;
    if all.is_empty() {
        return Err(Rejection::new(format!(
            "no process '{process}' is published; `kroonika def list` shows what is"
        ))
        .into());
    }
    let latest = all.len();
    match version {
        None => Ok(all.remove(latest - 1)),
        Some(n) if n >= 1 && (n as usize) <= latest => Ok(all.remove(n as usize - 1)),
        Some(n) => Err(Rejection::new(format!(
            "process '{process}' has no version {n}; its versions are 1 to {latest}"
        ))
        .into()),
    }
}

pub(crate) async fn publish(
    cli: &Cli,
    file: &Path,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let (source, checked) = def::read(file)?;
    let Some(definition) = checked.definition else {
        def::print_diagnostics(&file.display().to_string(), &source, &checked, out)?;
        return Err(Rejection::new(format!(
            "{} has errors (shown above) and was not published",
            file.display()
        ))
        .into());
    };
    let store = context::open(cli).await?;
    let by = acting(cli, &store).await?;
    let hash = kroonika_processes::content_hash(&source);
    let command_id = Uuid::now_v7();
    let mut outcome = None;
    store
        .execute(&stream(&definition.id)?, |history| {
            let history: Vec<DefinitionPublished> = history
                .iter()
                .map(decode)
                .collect::<anyhow::Result<_>>()
                .map_err(|err| Rejection::new(format!("{err:#}")))?;
            let decided = publishing::decide(
                &history,
                &by,
                &definition.id,
                &definition.title,
                &source,
                &hash,
            )?;
            outcome = Some(decided.clone());
            match decided {
                Publication::Unchanged { .. } => Ok(Vec::new()),
                Publication::New(event) => {
                    let data = serde_json::to_value(&event)
                        .map_err(|err| Rejection::new(err.to_string()))?;
                    let new = new_event(&by.name, command_id, publishing::PUBLISHED, &data)
                        .map_err(|err| Rejection::new(format!("{err:#}")))?;
                    Ok(vec![new])
                }
            }
        })
        .await
        .map_err(lift)?;
    match outcome {
        Some(Publication::New(event)) => writeln!(
            out,
            "published {} version {} ({})",
            event.process, event.version, event.content_hash
        )?,
        Some(Publication::Unchanged { version }) => writeln!(
            out,
            "{} is unchanged: identical to the published version {version}; no new version",
            definition.id
        )?,
        None => {}
    }
    store.close().await;
    Ok(())
}

pub(crate) async fn list(
    cli: &Cli,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let mut latest: std::collections::BTreeMap<String, (DefinitionPublished, RecordedEvent)> =
        Default::default();
    let mut scan = store.scan(Some(publishing::CATEGORY), ReadFrom::Start, 1_000);
    while let Some(page) = scan.next_page().await? {
        for event in page {
            let published = decode(&event)?;
            latest.insert(published.process.clone(), (published, event));
        }
    }
    match format {
        Format::Json => {
            for (published, event) in latest.values() {
                let doc = serde_json::json!({
                    "process": published.process,
                    "version": published.version,
                    "title": published.title,
                    "content_hash": published.content_hash,
                    "published_at": event.recorded_at,
                    "published_by": event.metadata.actor,
                });
                writeln!(out, "{doc}")?;
            }
        }
        Format::Table | Format::Csv => {
            if latest.is_empty() && format == Format::Table {
                writeln!(out, "no definitions are published yet")?;
            } else {
                let mut table = output::table(&["process", "version", "title", "published", "by"]);
                for (published, event) in latest.values() {
                    table.add_row([
                        published.process.clone(),
                        published.version.to_string(),
                        published.title.clone(),
                        event.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                        event.metadata.actor.clone(),
                    ]);
                }
                writeln!(out, "{}", output::render(&table, format))?;
            }
        }
    }
    store.close().await;
    Ok(())
}

pub(crate) async fn show(
    cli: &Cli,
    name: &str,
    wanted: Option<u32>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let (published, event) = version(&store, name, wanted).await?;
    let rows = [
        ("process", published.process.clone()),
        ("version", published.version.to_string()),
        ("title", published.title.clone()),
        ("content hash", published.content_hash.clone()),
        ("published", event.recorded_at.to_rfc3339()),
        ("by", event.metadata.actor.clone()),
    ];
    writeln!(out, "{}", output::key_values(&rows))?;
    writeln!(out)?;
    write!(out, "{}", published.source)?;
    if !published.source.ends_with('\n') {
        writeln!(out)?;
    }
    store.close().await;
    Ok(())
}
