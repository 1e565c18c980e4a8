//! Exit codes, the same across every command, so scripts can tell a refusal from
//! a race they should retry and from evidence of tampering. They come from the
//! kind of the error (`kroonika_app::ErrorKind`), never from its text.

use kroonika_app::ErrorKind;

/// Success.
pub const OK: u8 = 0;
/// Rejected or invalid: a rule refused the command, or the input or set-up is wrong.
pub const INVALID: u8 = 1;
/// Usage: the command line itself is wrong (clap's own code for this).
pub const USAGE: u8 = 2;
/// Conflict: someone else changed the same thing first; retrying may succeed.
pub const CONFLICT: u8 = 3;
/// Integrity failure: stored data is not what Kroonika wrote.
pub const INTEGRITY: u8 = 4;

/// The help text's summary of the codes.
pub const SUMMARY: &str = "Exit codes: 0 ok, 1 rejected or invalid, 2 usage, 3 conflict (retryable), 4 integrity failure.";

/// A problem found by the CLI itself in what it was given (a definition file
/// with errors, an argument that does not parse): exit 1, `error: …`.
#[derive(Debug)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// The kind of the error that ended a command: that of the outermost
/// application error in its chain (the CLI calls nothing else that fails with
/// a kind).
fn kind(err: &anyhow::Error) -> Option<ErrorKind> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<kroonika_app::Error>())
        .map(kroonika_app::Error::kind)
}

/// The line printed for an error that ended a command: `rejected: …` for a
/// rule's refusal, `conflict: …` for a race, `integrity failure: …` for
/// tampering, `error: …` for the rest, with the causes on the same line.
pub fn describe(err: &anyhow::Error) -> String {
    let line = one_line(err);
    match kind(err) {
        Some(ErrorKind::Rejected) => format!("rejected: {line}"),
        Some(ErrorKind::Conflict | ErrorKind::Integrity)
            if line.starts_with("conflict: ") || line.starts_with("integrity failure: ") =>
        {
            line
        }
        _ => format!("error: {line}"),
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

/// The exit code for an error that ended a command.
pub fn code_for(err: &anyhow::Error) -> u8 {
    match kind(err) {
        Some(ErrorKind::Conflict) => CONFLICT,
        Some(ErrorKind::Integrity) => INTEGRITY,
        Some(ErrorKind::Rejected | ErrorKind::Technical) | None => INVALID,
    }
}
