//! `kroonika export` and `kroonika import`: the log as JSON Lines, verifiable
//! on the way in (`kroonika_app::transfer`).

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::args::Cli;
use crate::{context, output};

pub(crate) async fn export(
    cli: &Cli,
    path: Option<&Path>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let app = context::app(cli, false).await?;
    let request = context::reader(cli, "export");
    let bar = output::progress(0, "exporting");
    let mut progress = |total: u64, at: u64| {
        bar.set_length(total);
        bar.set_position(at);
    };
    let exported = match path {
        Some(path) => {
            let file = private_file(path);
            match file.with_context(|| format!("creating {}", path.display())) {
                Ok(file) => {
                    let mut file = std::io::BufWriter::new(file);
                    app.export(&request, &mut file, &mut progress)
                        .await
                        .map_err(Into::into)
                }
                Err(err) => Err(err),
            }
        }
        None => app
            .export(&request, out, &mut progress)
            .await
            .map_err(Into::into),
    };
    bar.finish_and_clear();
    app.close().await;
    let exported: kroonika_app::transfer::Exported = exported?;
    if let Some(path) = path {
        writeln!(
            out,
            "exported {} events and {} subject keys to {}",
            exported.events,
            exported.keys,
            path.display()
        )?;
    }
    Ok(())
}

pub(crate) async fn import(
    cli: &Cli,
    file: &Path,
    checkpoint: &[std::path::PathBuf],
    key: Option<&Path>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let checkpoints = if checkpoint.is_empty() {
        Vec::new()
    } else {
        super::audit::checkpoints(checkpoint, key)?
    };
    let bar = output::progress(0, "importing");
    let imported = kroonika_app::transfer::import(&cli.db, file, &checkpoints, &mut |events| {
        bar.set_position(events)
    })
    .await;
    bar.finish_and_clear();
    let imported = imported?;
    writeln!(
        out,
        "imported {} events and {} subject keys into {}; the chain verifies ({}); {} cases have wake-ups",
        imported.events, imported.keys, imported.location, imported.head, imported.woken
    )?;
    // The search index is not exported: it is built here from the log, with
    // the master key (without it, later, by `case reindex`).
    let indexed = crate::context::with_app(cli, true, async |app| {
        Ok(app
            .reindex(&kroonika_app::Request::operator("import"))
            .await)
    })
    .await?;
    match indexed {
        Ok(done) => writeln!(
            out,
            "search index built: {} token(s) over {} case(s)",
            done.entries, done.cases
        )?,
        Err(err) if err.code() == Some(kroonika_engine::Code::MasterKeyNeeded) => writeln!(
            out,
            "the search index is empty: run `kroonika case reindex` with the master key to find cases by name"
        )?,
        Err(err) => return Err(err.into()),
    }
    Ok(())
}

/// A new file (or an existing one truncated) readable by its owner only,
/// whatever the umask: an export holds the whole log.
pub(crate) fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // A file that existed keeps its mode on open: narrow it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}
