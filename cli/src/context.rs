//! What most commands need: the application on the store the command line
//! names, with the master key where it may be needed, and the request (who is
//! acting, which command) every application call takes. Translation only.

use anyhow::Context as _;
use kroonika_app::keys::{self, KeySource};
use kroonika_app::{App, Day, Options, Request, When};
use kroonika_engine::{Code, Rejection};

use crate::args::{Cli, CommandArgs};

/// Where the master key may be, as the command line and environment say.
pub(crate) fn key_source(cli: &Cli) -> KeySource {
    KeySource {
        env: std::env::var(keys::ENV).ok(),
        file: cli.master_key_file.clone(),
        db: cli.db.clone(),
    }
}

/// What to say when the master key is needed and not found, in this front
/// end's words.
fn missing_key(db: &str) -> String {
    let beside = keys::default_key_file(db)
        .map(|p| format!(", or the file {} that `kroonika init` creates", p.display()))
        .unwrap_or_default();
    format!(
        "personal data needs the master key: set {} (64 hex digits), or master_key_file in kroonika.toml or --master-key-file{beside}",
        keys::ENV
    )
}

/// Opens the application. `with_key`: the command may touch personal data,
/// so the master key is looked for (and checked against the store). An
/// `--actor` that is given must be a registered actor, whatever the command
/// (reading is an act too).
pub(crate) async fn app(cli: &Cli, with_key: bool) -> anyhow::Result<App> {
    app_with(cli, with_key, Options::default()).await
}

/// [`app`] with options of the command's own (the master key and the
/// messages are still this function's).
pub(crate) async fn app_with(cli: &Cli, with_key: bool, given: Options) -> anyhow::Result<App> {
    let (master, key_from) = match with_key.then(|| keys::find(&key_source(cli))).transpose()? {
        Some(Some((key, from))) => (Some(key), from),
        _ => (None, String::new()),
    };
    let options = Options {
        master,
        key_from,
        missing_key: missing_key(&cli.db),
        ..given
    };
    let app = App::open(&cli.db, options).await?;
    // An unknown actor is refused here; a deactivated one is refused by the
    // command itself, which records the attempt.
    if let Some(actor) = &cli.actor
        && let Err(err) = app.actor(actor).await
        && err.code() != Some(kroonika_engine::Code::Denied)
    {
        app.close().await;
        return Err(err.into());
    }
    Ok(app)
}

/// Runs `work` on the application (see [`app`]) and closes it after, whatever
/// `work` came to.
pub(crate) async fn with_app<T>(
    cli: &Cli,
    with_key: bool,
    work: impl AsyncFnOnce(&App) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let app = app(cli, with_key).await?;
    let result = work(&app).await;
    app.close().await;
    result
}

/// A request by the acting actor (who must be named), for the command `path`.
pub(crate) fn request(cli: &Cli, path: &str) -> anyhow::Result<Request> {
    let Some(actor) = cli.actor.as_deref() else {
        return Err(kroonika_app::Error::Rejected(Rejection::new(
            Code::UnknownActor,
            "say who is acting: --actor NAME (or set KROONIKA_ACTOR)",
        ))
        .into());
    };
    Ok(Request::new(actor, path))
}

/// A read: by the named actor (whose roles are checked), or else by the
/// store's operator, who holds its files (see `Request::operator`).
pub(crate) fn reader(cli: &Cli, path: &str) -> Request {
    match cli.actor.as_deref() {
        Some(actor) => Request::new(actor, path),
        None => Request::operator(path),
    }
}

/// A request for a case command, with its id and when it happened.
pub(crate) fn command_request(
    cli: &Cli,
    path: &str,
    args: &CommandArgs,
) -> anyhow::Result<Request> {
    let mut request = request(cli, path)?;
    request.command_id = args.command_id;
    request.occurred_at = args
        .occurred_at
        .as_deref()
        .map(|text| When::parse(text, "--occurred-at"))
        .transpose()?;
    Ok(request)
}

/// A time argument (RFC 3339, or a date meaning a moment of that day).
pub(crate) fn time(
    text: Option<&str>,
    flag: &str,
    day: Day,
) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(text
        .map(|t| kroonika_app::time::parse(t, flag, day))
        .transpose()?)
}

/// A date flag (`--from`, `--to`) as the day it names.
pub(crate) fn day(text: &Option<String>, flag: &str) -> anyhow::Result<Option<chrono::NaiveDate>> {
    Ok(time(text.as_deref(), flag, Day::Noon)?.map(|at| at.date_naive()))
}

/// Reads a file the user named, saying which on failure.
/// The largest input file a command reads: a few texts at their limit, with
/// room to spare; a device or a runaway file is cut off, not read forever.
pub(crate) const MAX_INPUT_FILE: u64 = 1024 * 1024;

/// Reads a small text file a command takes (`--input-file`), refusing one
/// larger than [`MAX_INPUT_FILE`] without reading the rest of it.
pub(crate) fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_INPUT_FILE {
        return Err(kroonika_app::Error::Rejected(Rejection::new(
            Code::InvalidInput,
            format!(
                "{} is larger than {} KiB, the most an input file may be; keep documents elsewhere and record where they are",
                path.display(),
                MAX_INPUT_FILE / 1024
            ),
        ))
        .into());
    }
    String::from_utf8(bytes).map_err(|err| {
        kroonika_app::Error::Rejected(Rejection::new(
            Code::InvalidInput,
            format!(
                "{} is not UTF-8 text (byte {} is not)",
                path.display(),
                err.utf8_error().valid_up_to() + 1
            ),
        ))
        .into()
    })
}
