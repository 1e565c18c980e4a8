//! The `kroonika` command line.
//!
//! This crate is the only one that knows clap, the terminal and exit codes; every
//! rule lives in the library crates. [`run`] is the whole program with its
//! arguments and output streams passed in, so the integration tests drive exactly
//! what users run, in-process, and read what it prints.
//!
//! Errors are `anyhow` here and nowhere else: a command adds context ("opening the
//! store") and [`run`] prints the chain on one line, `error: …`, then picks the
//! exit code from the library error underneath ([`exit::code_for`]).

pub mod args;
mod commands;
pub mod exit;
mod output;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::args::{Cli, Command, DefCommand};

/// Runs one `kroonika` invocation and returns its exit code.
pub async fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(clap_error) => {
            let rendered = clap_error.render().to_string();
            let code = clap_error.exit_code();
            let stream: &mut dyn Write = if code == 0 { out } else { err };
            let _ = write!(stream, "{rendered}");
            return u8::try_from(code).unwrap_or(exit::USAGE);
        }
    };
    let result = match &cli.command {
        Command::Init => commands::init::run(&cli, out).await,
        Command::Status(status) => commands::status::run(&cli, status, out).await,
        Command::Log(log) => commands::log::run(&cli, log, out).await,
        Command::Def(DefCommand::Check(args)) => commands::def::check(args, out),
        Command::Def(DefCommand::Graph(args)) => commands::def::graph(args, out),
        Command::Def(DefCommand::Schema) => commands::def::schema(out),
    };
    match result {
        Ok(()) => exit::OK,
        Err(error) => {
            let _ = writeln!(err, "error: {}", one_line(&error));
            exit::code_for(&error)
        }
    }
}

/// The error and its causes on one line, `a: b: c`, skipping a cause whose text the
/// line already ends with (many libraries repeat their source in their message).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
