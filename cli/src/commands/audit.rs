//! `kroonika audit trail|access|head|verify`: for auditors.
//!
//! `head` prints the last position and hash, for an auditor to write down
//! outside the system; `verify` recomputes the chain over the whole log, names
//! the first broken place, proves with `--against` that a head written down
//! earlier is still in today's log, and replays every event against the rules
//! it claims to follow. Any break or finding exits 4. `keygen` makes an
//! auditor's key and `checkpoint` signs the verified head with it, for
//! `verify --checkpoint` to prove later that the log still extends it.

use std::io::Write;

use anyhow::Context as _;
use kroonika_app::audit::{Expected, Trail, TrailFilter, TrailTime, Verified};
use kroonika_app::checkpoint::Checkpoint;
use kroonika_app::{App, Day, hash_from_hex, hash_to_hex as to_hex};
use serde_json::json;

use crate::args::{AuditCommand, Cli, DocFormat, Format, TrailTimeArg};
use crate::exit::Invalid;
use crate::{context, output};

pub(crate) async fn run(
    cli: &Cli,
    command: &AuditCommand,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    // Arguments first: a malformed one is refused before the store is opened.
    let against = match command {
        AuditCommand::Verify {
            against: Some(text),
            ..
        } => Some(hash_from_hex(text).ok_or_else(|| {
            Invalid(format!(
                "--against takes the 64 hex digits `kroonika audit head` printed; '{text}' is not one"
            ))
        })?),
        _ => None,
    };
    let checkpoints = match command {
        AuditCommand::Keygen { name, out: file } => return keygen(name, file, out),
        AuditCommand::Verify {
            checkpoint, key, ..
        } if !checkpoint.is_empty() => checkpoints(checkpoint, key.as_deref())?,
        _ => Vec::new(),
    };
    let expected = Expected {
        against,
        checkpoints,
        derived: matches!(command, AuditCommand::Verify { derived: true, .. }),
    };
    context::with_app(cli, false, async |app| {
        run_on(app, cli, command, expected, out, err).await
    })
    .await
}

/// Opens each signed checkpoint with the auditor's verifier key.
pub(crate) fn checkpoints(
    files: &[std::path::PathBuf],
    key: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Checkpoint>> {
    let Some(key) = key else {
        return Err(Invalid(
            "a checkpoint is only worth the key that signed it: give the auditor's --key"
                .to_owned(),
        )
        .into());
    };
    let key = context::read_file(key)?;
    files
        .iter()
        .map(|file| {
            let note = context::read_file(file)?;
            Checkpoint::open(&note, &key, &file.display().to_string()).map_err(Into::into)
        })
        .collect()
}

/// `audit keygen`: the secret key to FILE (owner only, never over an
/// existing file), the public one to FILE.pub and standard output.
fn keygen(name: &str, file: &std::path::Path, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let (secret, public) = kroonika_app::checkpoint::generate_key(name)?;
    let public_file = {
        let mut name = file.as_os_str().to_owned();
        name.push(".pub");
        std::path::PathBuf::from(name)
    };
    for path in [file, public_file.as_path()] {
        if path.exists() {
            return Err(Invalid(format!(
                "{} exists already; a key is never written over (move it away first)",
                path.display()
            ))
            .into());
        }
    }
    let mut secret_file = super::transfer::private_file(file)
        .with_context(|| format!("cannot write {}", file.display()))?;
    writeln!(secret_file, "{secret}")?;
    secret_file.sync_all()?;
    std::fs::write(&public_file, format!("{public}\n"))
        .with_context(|| format!("cannot write {}", public_file.display()))?;
    writeln!(
        out,
        "signing key written to {} (keep it away from the store)\nverifier key written to {}:\n{public}",
        file.display(),
        public_file.display()
    )?;
    Ok(())
}

async fn run_on(
    app: &App,
    cli: &Cli,
    command: &AuditCommand,
    expected: Expected,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match command {
        AuditCommand::Trail {
            case,
            by,
            from,
            to,
            time,
            limit,
            offset,
            summary,
            format,
        } => {
            let filter = TrailFilter {
                case: case.clone(),
                by: by.clone(),
                from: context::time(from.as_deref(), "--from", Day::Start)?,
                to: context::time(to.as_deref(), "--to", Day::End)?,
                time: match time {
                    TrailTimeArg::Recorded => TrailTime::Recorded,
                    TrailTimeArg::Occurred => TrailTime::Occurred,
                },
                offset: *offset,
                limit: *limit,
            };
            let request = context::reader(cli, "audit trail");
            if *summary {
                return trail_summary(app, &request, &filter, *format, out).await;
            }
            trail(app, &request, &filter, *format, out, err).await
        }
        AuditCommand::Verify { format, .. } => {
            let head = app.status().await?.head;
            let bar = output::progress(head, "verifying");
            let verified = app
                .verify(
                    &context::reader(cli, "audit verify"),
                    &expected,
                    &mut |position| bar.set_position(position),
                )
                .await?;
            bar.finish_and_clear();
            verify(&verified, *format, out)?;
            match verified.failure() {
                Some(failure) => Err(failure.into()),
                None => Ok(()),
            }
        }
        AuditCommand::Keygen { .. } => Ok(()),
        AuditCommand::Checkpoint { key, out: file } => {
            let key = context::read_file(key)?;
            let head = app.status().await?.head;
            let bar = output::progress(head, "verifying");
            let signed = app
                .checkpoint(
                    &context::reader(cli, "audit checkpoint"),
                    &key,
                    &mut |position| bar.set_position(position),
                )
                .await;
            bar.finish_and_clear();
            let (checkpoint, note) = signed?;
            match file {
                Some(file) => {
                    std::fs::write(file, &note)
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    writeln!(
                        out,
                        "checkpoint of position {} signed and written to {}",
                        checkpoint.position,
                        file.display()
                    )?;
                }
                None => write!(out, "{note}")?,
            }
            Ok(())
        }
        AuditCommand::Head { format } => {
            head(app, &context::reader(cli, "audit head"), *format, out).await
        }
        AuditCommand::Access {
            subject,
            by,
            case,
            format,
        } => {
            let rows = app
                .access_log(
                    &context::reader(cli, "audit access"),
                    subject.as_deref(),
                    by.as_deref(),
                    case.as_deref(),
                )
                .await?;
            match format {
                Format::Json => {
                    for row in &rows {
                        writeln!(out, "{}", row.to_json())?;
                    }
                }
                Format::Table if rows.is_empty() => writeln!(out, "no access recorded matches")?,
                Format::Table | Format::Csv => {
                    let mut table =
                        output::table(&["recorded (UTC)", "actor", "role then", "case", "what"]);
                    for row in &rows {
                        let said = if row.subjects.is_empty() {
                            format!("{} {}", row.what, row.purpose_or_reason)
                        } else {
                            format!(
                                "{} {}: {}",
                                row.what,
                                row.subjects.join(", "),
                                row.purpose_or_reason
                            )
                        };
                        let actor = if row.actor == kroonika_engine::actors::SYSTEM {
                            "system (automatic)".to_owned()
                        } else {
                            row.actor.clone()
                        };
                        table.add_row([
                            row.recorded_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            actor,
                            row.roles.join(", "),
                            row.case.clone(),
                            said,
                        ]);
                    }
                    writeln!(out, "{}", output::render(&table, *format))?;
                }
            }
            Ok(())
        }
    }
}

async fn trail(
    app: &App,
    request: &kroonika_app::Request,
    filter: &TrailFilter,
    format: Format,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let Trail { rows, total } = app.trail(request, filter).await?;
    match format {
        Format::Json => {
            for row in &rows {
                writeln!(out, "{}", row.to_json())?;
            }
        }
        Format::Table | Format::Csv => {
            if rows.is_empty() && format == Format::Table {
                writeln!(out, "nothing recorded matches")?;
            } else {
                let mut table =
                    output::table(&["happened (UTC)", "recorded (UTC)", "actor", "case", "what"]);
                for row in &rows {
                    let event = &row.event;
                    table.add_row([
                        event
                            .metadata
                            .occurred_at
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                        event.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                        event.metadata.actor.clone(),
                        row.reference.clone(),
                        row.what.clone(),
                    ]);
                }
                writeln!(out, "{}", output::render(&table, format))?;
            }
        }
    }
    // A page says where it is, on the terminal beside the table, else on
    // standard error so that JSON Lines and CSV stay rows alone.
    if filter.limit.is_some() || filter.offset > 0 {
        let said = if rows.is_empty() {
            format!("no acts after the first {} of {total}", filter.offset)
        } else {
            let first = filter.offset + 1;
            let last = filter.offset + rows.len();
            let more = if last < total {
                format!(" (--offset {last} for the next)")
            } else {
                String::new()
            };
            format!("acts {first} to {last} of {total}{more}")
        };
        if format == Format::Table {
            writeln!(out, "{said}")?;
        } else {
            writeln!(err, "{said}")?;
        }
    }
    Ok(())
}

async fn trail_summary(
    app: &App,
    request: &kroonika_app::Request,
    filter: &TrailFilter,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let counts = app.trail_summary(request, filter).await?;
    match format {
        Format::Json => {
            for count in &counts {
                writeln!(out, "{}", count.to_json())?;
            }
        }
        Format::Table if counts.is_empty() => writeln!(out, "nothing recorded matches")?,
        Format::Table | Format::Csv => {
            let mut table = output::table(&["actor", "what", "count", "first (UTC)", "last (UTC)"]);
            for count in &counts {
                table.add_row([
                    count.actor.clone(),
                    count.action.clone(),
                    count.count.to_string(),
                    count.first.format("%Y-%m-%d %H:%M").to_string(),
                    count.last.format("%Y-%m-%d %H:%M").to_string(),
                ]);
            }
            writeln!(out, "{}", output::render(&table, format))?;
            if format == Format::Table {
                let all: u64 = counts.iter().map(|c| c.count).sum();
                writeln!(out, "{all} acts in all")?;
            }
        }
    }
    Ok(())
}

async fn head(
    app: &App,
    request: &kroonika_app::Request,
    format: DocFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let head = app.head(request).await?;
    match (format, &head) {
        (DocFormat::Json, _) => {
            let store_id = match &head {
                Some(h) => h.store_id.clone(),
                None => app.store_id().await?,
            };
            writeln!(
                out,
                "{}",
                json!({
                    "position": head.as_ref().map_or(0, |h| h.position),
                    "hash": head.as_ref().and_then(|h| h.hash.as_ref().map(to_hex)),
                    "recorded_at": head.as_ref().map(|h| h.recorded_at),
                    "store_id": store_id,
                })
            )?
        }
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
            writeln!(out, "store     {}", h.store_id)?;
        }
    }
    Ok(())
}

fn verify(
    verified: &Verified,
    format: DocFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let verified_to = verified.head.map_or(0, |(p, _)| p);
    let head_hash = verified.head.map(|(_, h)| to_hex(&h));
    let against_holds = verified.against.as_ref().and_then(|(_, at)| *at);
    match format {
        DocFormat::Json => writeln!(out, "{}", verified.to_json())?,
        DocFormat::Table => {
            if verified.broken.is_none() {
                writeln!(
                    out,
                    "the hash chain holds: {} events, head at position {verified_to}",
                    verified.events
                )?;
                if let Some(hash) = &head_hash {
                    writeln!(out, "head hash {hash}")?;
                }
                if verified.before_chain > 0 {
                    writeln!(
                        out,
                        "NOT covered: the first {} events have no hash (see the error below)",
                        verified.before_chain
                    )?;
                }
                if verified.findings.is_empty() {
                    writeln!(
                        out,
                        "every event follows the rules it was decided by ({} case events of {} cases decided again)",
                        verified.case_events, verified.cases
                    )?;
                } else {
                    writeln!(out, "events the rules would not have allowed:")?;
                    for (position, f) in verified.findings.iter().take(50) {
                        writeln!(
                            out,
                            "  position {position} ({}, revision {}, {}): {}",
                            f.stream, f.revision, f.event_type, f.why
                        )?;
                    }
                    if verified.findings.len() > 50 {
                        writeln!(
                            out,
                            "  … and {} more (--format json lists all)",
                            verified.findings.len() - 50
                        )?;
                    }
                }
                if !verified.key_findings.is_empty() {
                    writeln!(out, "subject keys the log does not account for:")?;
                    for finding in verified.key_findings.iter().take(50) {
                        writeln!(out, "  {finding}")?;
                    }
                }
                match &verified.derived {
                    Some(derived) if derived.is_empty() => {
                        writeln!(out, "every projection and wake-up is what the log gives")?
                    }
                    Some(derived) => {
                        writeln!(out, "stored state the log does not give:")?;
                        for finding in derived {
                            writeln!(out, "  {finding}")?;
                        }
                    }
                    None => {}
                }
                for (checkpoint, wrong) in &verified.checkpoints {
                    match wrong {
                        None => writeln!(
                            out,
                            "{checkpoint} holds: today's log extends its {} events",
                            checkpoint.position
                        )?,
                        Some(why) => writeln!(
                            out,
                            "{checkpoint} (position {}) does NOT hold: {why}",
                            checkpoint.position
                        )?,
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
    Ok(())
}
