//! Exit codes, the same across every command, so scripts can tell a refusal from
//! a race they should retry and from evidence of tampering.

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

/// A refusal decided in the CLI itself (a definition with errors): exit 1.
#[derive(Debug)]
pub struct Rejected(pub String);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

/// A race decided in the CLI itself (`--expect-version`): exit 3. Its message
/// starts with `conflict: `.
#[derive(Debug)]
pub struct Conflict(pub String);

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Conflict {}

/// Evidence that stored history is not what Kroonika wrote (`audit verify`):
/// exit 4. Its message starts with `integrity failure: `.
#[derive(Debug)]
pub struct Tampered(pub String);

impl std::fmt::Display for Tampered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Tampered {}

/// The line printed for an error that ended a command: `rejected: …` for a
/// rule's refusal, `conflict: …` for a race, `error: …` for the rest, with the
/// causes on the same line.
pub fn describe(err: &anyhow::Error) -> String {
    let rejected = err
        .chain()
        .any(|c| c.downcast_ref::<kroonika_engine::Rejection>().is_some());
    let line = one_line(err);
    if rejected {
        format!("rejected: {line}")
    } else if line.starts_with("conflict: ") || line.starts_with("integrity failure: ") {
        line
    } else {
        format!("error: {line}")
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

/// Turns a failed `Store::execute` into an error whose kind the exit code sees.
pub fn lift(err: kroonika_store::ExecuteError<kroonika_engine::Rejection>) -> anyhow::Error {
    match err {
        kroonika_store::ExecuteError::Rejected(rejection) => rejection.into(),
        kroonika_store::ExecuteError::Store(store) => store.into(),
    }
}

/// The exit code for an error that ended a command.
pub fn code_for(err: &anyhow::Error) -> u8 {
    use kroonika_store::ErrorKind;
    if err.chain().any(|c| c.downcast_ref::<Conflict>().is_some()) {
        return CONFLICT;
    }
    if err.chain().any(|c| c.downcast_ref::<Tampered>().is_some()) {
        return INTEGRITY;
    }
    let store_error = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<kroonika_store::Error>());
    match store_error.map(kroonika_store::Error::kind) {
        Some(ErrorKind::Conflict) => CONFLICT,
        Some(ErrorKind::Integrity) => INTEGRITY,
        Some(ErrorKind::Rejected | ErrorKind::Technical) | None => INVALID,
    }
}
