//! `kroonika export` and `kroonika import`: the log as JSON Lines, verifiable
//! on the way in.
//!
//! The file is a header line, then one line per event in global order
//! (position, stream, revision, id, type, recorded-at, data, metadata, hash;
//! data and metadata embedded byte for byte as stored, so every hash can be
//! recomputed from the file alone), then one line per subject key, still
//! wrapped by the master key (or erased). Personal data is ciphertext
//! throughout: the file is as confidential as the database, no more.
//!
//! An import loads into an empty store in one transaction, recomputing the
//! chain as it reads; the first broken or out-of-order line is named and
//! nothing is kept. Wake-ups are not exported: they are derived from the
//! cases, and set again after the import.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use kroonika_engine::ExpectedRevision;
use kroonika_store::chain::{self, ChainRow, Verifier};
use kroonika_store::{Store, SubjectKeyRow, Timer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::args::Cli;
use crate::commands::case::{all_cases, case_stream};
use crate::exit::{Rejected, Tampered};
use crate::{context, output};

const FORMAT: &str = "kroonika-export";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    store_id: String,
    /// Events before this position predate the hash chain.
    chain_from: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    master_key_check: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EventLine<'a> {
    position: u64,
    stream: String,
    revision: u64,
    id: Uuid,
    #[serde(rename = "type")]
    event_type: String,
    recorded_at: DateTime<Utc>,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(borrow)]
    metadata: &'a RawValue,
    hash: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyLine {
    subject_key: KeyRecord,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyRecord {
    subject: Uuid,
    stream: String,
    name: String,
    wrapped: Option<String>,
    created_at: DateTime<Utc>,
    erased_at: Option<DateTime<Utc>>,
}

pub(crate) async fn export(
    cli: &Cli,
    output: Option<&Path>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let mut file;
    let sink: &mut (dyn Write + Send) = match output {
        Some(path) => {
            file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            &mut file
        }
        None => out,
    };
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        store_id: store.info().await?.store_id,
        chain_from: store.chain_from().await?,
        master_key_check: store.info_value("master_key_check").await?,
    };
    writeln!(sink, "{}", serde_json::to_string(&header)?)?;
    let total = store.head_position().await?;
    let bar = output::progress(total, "exporting");
    let mut from = 1;
    let mut events = 0u64;
    loop {
        let page = store.read_chain(from, 2_000).await?;
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        for row in &page {
            let line = EventLine {
                position: row.position,
                stream: row.stream.clone(),
                revision: row.revision,
                id: row.id,
                event_type: row.event_type.clone(),
                recorded_at: row.recorded_at,
                data: raw(&row.data, row.position)?,
                metadata: raw(&row.metadata, row.position)?,
                hash: row.hash.as_ref().map(chain::to_hex),
            };
            writeln!(sink, "{}", serde_json::to_string(&line)?)?;
            events += 1;
        }
        bar.set_position(from - 1);
        if page.len() < 2_000 {
            break;
        }
    }
    bar.finish_and_clear();
    let keys = store.subject_keys(None).await?;
    for key in &keys {
        let line = KeyLine {
            subject_key: KeyRecord {
                subject: key.subject,
                stream: key.stream.clone(),
                name: key.name.clone(),
                wrapped: key.wrapped.as_deref().map(hex::encode),
                created_at: key.created_at,
                erased_at: key.erased_at,
            },
        };
        writeln!(sink, "{}", serde_json::to_string(&line)?)?;
    }
    sink.flush()?;
    if let Some(path) = output {
        writeln!(
            out,
            "exported {events} events and {} subject keys to {}",
            keys.len(),
            path.display()
        )?;
    }
    store.close().await;
    Ok(())
}

/// Stored JSON text as a raw value; refuses text that would break the line.
fn raw(text: &str, position: u64) -> anyhow::Result<&RawValue> {
    if text.contains(['\n', '\r']) {
        anyhow::bail!(
            "the event at position {position} holds a line break outside a string; it was not written by Kroonika"
        );
    }
    serde_json::from_str(text)
        .with_context(|| format!("the event at position {position} is not valid JSON"))
}

pub(crate) async fn import(
    cli: &Cli,
    path: &Path,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
    );
    let mut lines = reader.lines();
    let place = |n: usize| format!("{} line {n}", path.display());
    let first = lines.next().transpose()?.ok_or_else(|| {
        Rejected(format!(
            "{} is empty, not a Kroonika export",
            path.display()
        ))
    })?;
    let header: Header = serde_json::from_str(&first)
        .ok()
        .filter(|h: &Header| h.format == FORMAT)
        .ok_or_else(|| Rejected(format!("{}: not a Kroonika export header", place(1))))?;
    if header.version != VERSION {
        return Err(Rejected(format!(
            "{}: export format version {} is not known to this build (it reads {VERSION})",
            place(1),
            header.version
        ))
        .into());
    }
    let (store, _) = Store::init(&cli.db)
        .await
        .context("opening the store to import into")?;
    let mut import = store.begin_import().await?;
    let mut verifier = Verifier::new(header.chain_from);
    let mut batch: Vec<ChainRow> = Vec::with_capacity(1_000);
    let mut keys: Vec<SubjectKeyRow> = Vec::new();
    let mut events = 0u64;
    // The lines the last two events came from: a break is found at the event
    // just read, or (a changed event) at the one before it.
    let mut recent: [(u64, usize); 2] = [(0, 0); 2];
    let bar = output::progress(0, "importing");
    for (index, line) in lines.enumerate() {
        let n = index + 2;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if let Ok(key) = serde_json::from_str::<KeyLine>(&line) {
            keys.push(key_row(key.subject_key, &place(n))?);
            continue;
        }
        if !keys.is_empty() {
            return Err(Rejected(format!("{}: an event after the subject keys", place(n))).into());
        }
        let event: EventLine<'_> = serde_json::from_str(&line)
            .map_err(|err| Rejected(format!("{}: not an exported event: {err}", place(n))))?;
        let hash =
            match &event.hash {
                None => None,
                Some(text) => Some(chain::from_hex(text).ok_or_else(|| {
                    Rejected(format!("{}: the hash is not 64 hex digits", place(n)))
                })?),
            };
        let row = ChainRow {
            position: event.position,
            stream: event.stream,
            revision: event.revision,
            id: event.id,
            event_type: event.event_type,
            data: event.data.get().to_owned(),
            metadata: event.metadata.get().to_owned(),
            recorded_at: event.recorded_at,
            hash,
        };
        recent = [recent[1], (row.position, n)];
        if !verifier.feed(&row) {
            break;
        }
        batch.push(row);
        events += 1;
        if batch.len() == 1_000 {
            import.insert(&batch).await?;
            batch.clear();
            bar.set_position(events);
        }
    }
    let report = verifier.finish();
    bar.finish_and_clear();
    if let Some(broken) = &report.broken {
        let line = recent
            .iter()
            .find(|(position, _)| *position == broken.position)
            .map_or(0, |(_, line)| *line);
        // Dropping the import rolls back everything inserted so far.
        drop(import);
        store.close().await;
        return Err(Tampered(format!(
            "integrity failure: {}: {broken}; nothing was imported",
            place(line)
        ))
        .into());
    }
    import.insert(&batch).await?;
    import.insert_keys(&keys).await?;
    import
        .commit(header.chain_from, header.master_key_check.as_deref())
        .await?;
    let woken = wake_ups(&store).await?;
    let head = report.head.map_or_else(
        || "empty".to_owned(),
        |(p, h)| format!("position {p}, hash {}", chain::to_hex(&h)),
    );
    writeln!(
        out,
        "imported {events} events and {} subject keys into {}; the chain verifies ({head}); {woken} cases have wake-ups",
        keys.len(),
        store.location()
    )?;
    store.close().await;
    Ok(())
}

fn key_row(key: KeyRecord, place: &str) -> anyhow::Result<SubjectKeyRow> {
    let wrapped = match key.wrapped {
        None => None,
        Some(text) => Some(
            hex::decode(&text)
                .ok()
                .ok_or_else(|| Rejected(format!("{place}: a wrapped key is not hex")))?,
        ),
    };
    Ok(SubjectKeyRow {
        subject: key.subject,
        stream: key.stream,
        name: key.name,
        wrapped,
        created_at: key.created_at,
        erased_at: key.erased_at,
    })
}

/// Sets each open case's wake-up again (they are derived, not exported).
async fn wake_ups(store: &Store) -> anyhow::Result<usize> {
    let mut count = 0;
    for (id, case) in all_cases(store).await? {
        let (Some(at), Some(revision)) = (case.next_wake(), case.revision) else {
            continue;
        };
        store
            .append_scheduled(
                &case_stream(id)?,
                ExpectedRevision::Exact(revision),
                &[],
                Timer::Set(at),
            )
            .await?;
        count += 1;
    }
    Ok(count)
}
