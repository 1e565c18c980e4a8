//! `kroonika.toml`: settings a user would otherwise repeat on every command.
//!
//! Sets db, actor, master_key_file and lang. Found in the current folder, or given with `--config FILE` (or
//! `KROONIKA_CONFIG`). A flag or an environment variable always wins over the
//! file, and the file over the built-in default; clap says where each value came
//! from, so nothing is guessed.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use kroonika_engine::Rejection;
use serde::Deserialize;

use crate::args::Cli;

/// The file looked for in the current folder when `--config` is not given.
pub const DEFAULT_FILE: &str = "kroonika.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The store's URL, as `--db` takes it.
    db: Option<String>,
    /// Who is acting, as `--actor` takes it.
    actor: Option<String>,
    /// The master key file, as `--master-key-file` takes it (relative to the
    /// configuration file's folder).
    master_key_file: Option<PathBuf>,
    /// The language, as `--lang` takes it.
    lang: Option<crate::args::Lang>,
}

/// Fills in from the configuration file what neither a flag nor the
/// environment gave.
pub fn apply(cli: &mut Cli, matches: &ArgMatches) -> Result<(), Rejection> {
    let (path, required) = match &cli.config {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from(DEFAULT_FILE), false),
    };
    let Some(config) = read(&path, required)? else {
        return Ok(());
    };
    let unset = |id: &str| {
        matches!(
            matches.value_source(id),
            None | Some(ValueSource::DefaultValue)
        )
    };
    if let Some(db) = config.db
        && unset("db")
    {
        cli.db = db;
    }
    if let Some(actor) = config.actor
        && unset("actor")
    {
        cli.actor = Some(actor);
    }
    if let Some(lang) = config.lang
        && unset("lang")
    {
        cli.lang = Some(lang);
    }
    if let Some(file) = config.master_key_file
        && unset("master_key_file")
    {
        let folder = path.parent().unwrap_or(Path::new(""));
        cli.master_key_file = Some(folder.join(file));
    }
    Ok(())
}

fn read(path: &Path, required: bool) -> Result<Option<Config>, Rejection> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(err) => {
            return Err(Rejection::new(
                kroonika_engine::Code::InvalidInput,
                format!("cannot read the configuration {}: {err}", path.display()),
            ));
        }
    };
    toml::from_str(&text).map(Some).map_err(|err| {
        let line = err
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let place = line.map_or_else(String::new, |l| format!(" (line {l})"));
        Rejection::new(kroonika_engine::Code::InvalidInput, format!(
            "the configuration {}{place} is not valid: {}; it may set: db, actor, master_key_file",
            path.display(),
            err.message().trim_end()
        ))
    })
}
