//! `kroonika audit verify` and `audit head`: the hash chain, for auditors.
//!
//! `head` prints the last position and hash, for an auditor to write down
//! outside the system; `verify` recomputes the chain over the whole log and
//! names the first broken place, and with `--against` proves that the head
//! written down earlier is still in today's log (so nothing before it was
//! rewritten and the log was not cut back). It also replays every event
//! against the rules it claims to follow (`kroonika_engine::conformance`), so
//! an event written around Kroonika, hashes and all, is found too. Any break or
//! finding exits 4.

use std::io::Write;

use kroonika_engine::Metadata;
use kroonika_engine::conformance::{Entry, Finding, Replay};
use kroonika_store::chain::{self, to_hex};
use serde_json::json;

use crate::args::{Cli, DocFormat};
use crate::context;
use crate::exit::{Rejected, Tampered};

pub(crate) async fn head(
    cli: &Cli,
    format: DocFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let store = context::open(cli).await?;
    let head = store.chain_head().await?;
    match (format, &head) {
        (DocFormat::Json, _) => writeln!(
            out,
            "{}",
            json!({
                "position": head.as_ref().map_or(0, |h| h.position),
                "hash": head.as_ref().and_then(|h| h.hash.as_ref().map(to_hex)),
                "recorded_at": head.as_ref().map(|h| h.recorded_at),
                "store_id": store.info().await?.store_id,
            })
        )?,
        (DocFormat::Table, None) => writeln!(out, "the log is empty")?,
        (DocFormat::Table, Some(h)) => {
            let hash = h
                .hash
                .as_ref()
                .map_or_else(|| "(none: written before the chain)".to_owned(), to_hex);
            writeln!(out, "position  {}", h.position)?;
            writeln!(out, "hash      {hash}")?;
            writeln!(
                out,
                "recorded  {}",
                h.recorded_at.format("%Y-%m-%d %H:%M:%S UTC")
            )?;
            writeln!(out, "store     {}", store.info().await?.store_id)?;
        }
    }
    store.close().await;
    Ok(())
}

pub(crate) async fn verify(
    cli: &Cli,
    against: Option<&str>,
    format: DocFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let against = against
        .map(|text| {
            chain::from_hex(text).ok_or_else(|| {
                Rejected(format!(
                    "--against takes the 64 hex digits `kroonika audit head` printed; '{text}' is not one"
                ))
            })
        })
        .transpose()?;
    let store = context::open(cli).await?;
    let total = store.head_position().await?;
    let bar = crate::output::progress(total, "verifying");
    let catalog = crate::projector::catalog(&store).await?;
    let mut replay = Replay::default();
    let mut findings: Vec<(u64, Finding)> = Vec::new();
    let mut found_at: Option<u64> = None;
    let report = store
        .verify_chain(|row| {
            if row.position % 1_000 == 0 {
                bar.set_position(row.position);
            }
            if against.is_some() && row.hash == against {
                found_at = Some(row.position);
            }
            let finding = match serde_json::from_str::<Metadata>(&row.metadata) {
                Ok(metadata) => replay.feed(
                    Entry {
                        stream: &row.stream,
                        revision: row.revision,
                        event_type: &row.event_type,
                        data: &row.data,
                        metadata: &metadata,
                    },
                    |process, version| catalog.get(process, version),
                ),
                Err(err) => Some(Finding {
                    stream: row.stream.clone(),
                    revision: row.revision,
                    event_type: row.event_type.clone(),
                    why: format!("its metadata is not Kroonika's: {err}"),
                }),
            };
            if let Some(finding) = finding {
                findings.push((row.position, finding));
            }
        })
        .await?;
    bar.finish_and_clear();
    // A recorded head counts only if the chain verified up to it.
    let verified_to = report.head.map_or(0, |(p, _)| p);
    let against_holds = found_at.filter(|p| *p <= verified_to);
    let head_hash = report.head.map(|(_, h)| to_hex(&h));
    match format {
        DocFormat::Json => writeln!(
            out,
            "{}",
            json!({
                "verified": report.broken.is_none() && (against.is_none() || against_holds.is_some()),
                "events": report.checked,
                "before_chain": report.unchained,
                "head": { "position": verified_to, "hash": head_hash },
                "broken": report.broken.as_ref().map(|b| json!({
                    "position": b.position,
                    "stream": b.stream,
                    "revision": b.revision,
                    "type": b.event_type,
                    "what": b.to_string(),
                })),
                "against": against.map(|h| json!({ "hash": to_hex(&h), "position": against_holds })),
                "conformance": {
                    "case_events": replay.checked,
                    "cases": replay.cases(),
                    "findings": findings.iter().map(|(position, f)| json!({
                        "position": position,
                        "stream": f.stream,
                        "revision": f.revision,
                        "type": f.event_type,
                        "why": f.why,
                    })).collect::<Vec<_>>(),
                },
            })
        )?,
        DocFormat::Table => {
            if report.broken.is_none() {
                writeln!(
                    out,
                    "the hash chain holds: {} events, head at position {verified_to}",
                    report.checked
                )?;
                if let Some(hash) = &head_hash {
                    writeln!(out, "head hash {hash}")?;
                }
                if report.unchained > 0 {
                    writeln!(
                        out,
                        "note: the first {} events were written before the chain existed and are not covered",
                        report.unchained
                    )?;
                }
                if findings.is_empty() {
                    writeln!(
                        out,
                        "every event follows the rules it was decided by ({} case events of {} cases decided again)",
                        replay.checked,
                        replay.cases()
                    )?;
                } else {
                    writeln!(out, "events the rules would not have allowed:")?;
                    for (position, f) in findings.iter().take(50) {
                        writeln!(
                            out,
                            "  position {position} ({}, revision {}, {}): {}",
                            f.stream, f.revision, f.event_type, f.why
                        )?;
                    }
                    if findings.len() > 50 {
                        writeln!(
                            out,
                            "  … and {} more (--format json lists all)",
                            findings.len() - 50
                        )?;
                    }
                }
                if let Some(position) = against_holds {
                    writeln!(
                        out,
                        "the recorded head is at position {position}: today's log begins with the log it ended ({} events since)",
                        verified_to - position
                    )?;
                }
            }
        }
    }
    store.close().await;
    if let Some(broken) = &report.broken {
        return Err(Tampered(format!("integrity failure: {broken}")).into());
    }
    if let Some((position, first)) = findings.first() {
        return Err(Tampered(format!(
            "integrity failure: {} event(s) the rules would not have allowed; the first, position {position} ({}, revision {}, {}): {}",
            findings.len(),
            first.stream,
            first.revision,
            first.event_type,
            first.why
        ))
        .into());
    }
    if let Some(hash) = against
        && against_holds.is_none()
    {
        return Err(Tampered(format!(
            "integrity failure: the recorded head {} is not in today's log: history up to it was rewritten, or the log was cut back",
            to_hex(&hash)
        ))
        .into());
    }
    Ok(())
}
