//! The `kroonika` command line.
//!
//! This crate is the only one that knows clap, the terminal and exit codes; it
//! holds no rule. Each command parses what the user typed, makes one call into
//! the application layer (`kroonika-app`), and renders what comes back. [`run`]
//! is the whole program with its arguments and output streams passed in, so the
//! integration tests drive exactly what users run, in-process, and read what it
//! prints.
//!
//! Errors are `anyhow` here and nowhere else: a command adds context ("opening the
//! store") and [`run`] prints the chain on one line, `error: …`, then picks the
//! exit code from the kind of the application error underneath ([`exit::code_for`]).

pub mod args;
mod commands;
pub mod config;
mod context;
pub mod exit;
pub mod output;
pub mod style;
mod words;

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches};

use crate::args::{Cli, Command, DefCommand, TimersCommand};

/// Runs one `kroonika` invocation and returns its exit code.
pub async fn run<I, T>(args: I, out: &mut (dyn Write + Send), err: &mut (dyn Write + Send)) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (cli, path) = match parsed {
        Ok((mut cli, matches)) => {
            if let Err(rejection) = config::apply(&mut cli, &matches) {
                let _ = writeln!(err, "rejected: {rejection}");
                return exit::INVALID;
            }
            (cli, command_path(&matches))
        }
        Err(clap_error) => {
            let rendered = clap_error.render().to_string();
            let code = clap_error.exit_code();
            let stream: &mut (dyn Write + Send) = if code == 0 { out } else { err };
            let _ = write!(stream, "{rendered}");
            return u8::try_from(code).unwrap_or(exit::USAGE);
        }
    };
    let result = dispatch(&cli, &path, out, err).await;
    match result {
        Ok(()) => exit::OK,
        // The reader went away (`kroonika log | head`): nothing left to say.
        Err(error)
            if error.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            exit::OK
        }
        Err(error) => {
            let line = output::neutralised(&exit::describe(&error));
            let _ = writeln!(err, "{}", style::error_line(&line));
            exit::code_for(&error)
        }
    }
}

async fn dispatch(
    cli: &Cli,
    path: &str,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match &cli.command {
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a write error (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "kroonika", &mut script);
            out.write_all(&script).map_err(anyhow::Error::from)
        }
        Command::Init(args) => commands::init::run(cli, args, out).await,
        Command::Demo(args) => commands::demo::run(cli, args, out).await,
        Command::Actor(command) => commands::actor::run(cli, path, command, out).await,
        Command::Token(command) => commands::token::run(cli, path, command, out, err).await,
        Command::Case(command) => commands::case::run(cli, path, command, out).await,
        Command::Projections(command) => commands::projections::run(cli, command, out).await,
        Command::Audit(command) => commands::audit::run(cli, command, out, err).await,
        Command::Report(args) => commands::report::run(cli, args, out).await,
        Command::Hours(args) => commands::hours::run(cli, args, out).await,
        Command::Partners { format } => commands::hours::partners(cli, *format, out).await,
        Command::Subject(args::SubjectCommand::Forget { subject, reason }) => {
            commands::privacy::forget(cli, path, subject, reason, out).await
        }
        Command::Subject(args::SubjectCommand::Access {
            subjects,
            name,
            purpose,
            format,
            output,
        }) => {
            let query = kroonika_app::subject::SubjectQuery {
                subjects: subjects.clone(),
                name: name.clone(),
                purpose: purpose.clone(),
                lang: cli.chosen_language().unwrap_or("et").to_owned(),
            };
            commands::privacy::access(cli, path, &query, *format, output.as_deref(), out).await
        }
        Command::Retention(args::RetentionCommand::Run { now, format }) => {
            commands::privacy::retention(cli, now.as_deref(), *format, out).await
        }
        Command::Timers(TimersCommand::Run { now, follow }) => {
            commands::timers::run(cli, now.as_deref(), *follow, out).await
        }
        Command::Timers(TimersCommand::Repair) => commands::timers::repair(cli, out).await,
        Command::Status(status) => commands::status::run(cli, status, out).await,
        Command::Serve(args) => commands::serve::run(cli, args, out).await,
        Command::Log(log) => commands::log::run(cli, log, out).await,
        Command::Export { output } => commands::transfer::export(cli, output.as_deref(), out).await,
        Command::Import {
            file,
            checkpoint,
            key,
        } => commands::transfer::import(cli, file, checkpoint, key.as_deref(), out).await,
        Command::Def(DefCommand::Check(args)) => commands::def::check(args, out),
        Command::Def(DefCommand::Test(args)) => commands::scenarios::test(args, out).await,
        Command::Def(DefCommand::WhatIf { file, format }) => {
            commands::scenarios::what_if(cli, file, *format, out).await
        }
        Command::Def(DefCommand::Graph(args)) => commands::def::graph(cli, args, out).await,
        Command::Def(DefCommand::Schema) => commands::def::schema(out),
        Command::Def(DefCommand::Publish { file, force }) => {
            commands::publish::publish(cli, path, file, *force, out).await
        }
        Command::Def(DefCommand::List { format }) => {
            commands::publish::list(cli, *format, out).await
        }
        Command::Def(DefCommand::Migrations {
            name,
            to_version,
            format,
        }) => commands::publish::migrations(cli, name, *to_version, *format, out).await,
        Command::Def(DefCommand::Show { name, version }) => {
            commands::publish::show(cli, name, *version, out).await
        }
    }
}

/// The subcommands named, `case show`: what a denial record says was tried
/// (never the arguments, which may hold personal data).
fn command_path(matches: &clap::ArgMatches) -> String {
    let mut names = Vec::new();
    let mut at = matches;
    while let Some((name, sub)) = at.subcommand() {
        names.push(name.to_owned());
        at = sub;
    }
    names.join(" ")
}
