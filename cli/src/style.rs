//! Colour: only on a terminal, never with `NO_COLOR` (https://no-color.org) or
//! `TERM=dumb`. Decided once by the binary for its real stdout and stderr; the
//! library run in-process (the tests, the demo's own commands) never colours,
//! so what it prints is the same bytes wherever it goes.

use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

/// Whether a stream should get colour.
pub fn wants_colour(is_terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    let no_color = no_color.is_some_and(|v| !v.is_empty());
    let dumb = term.is_some_and(|t| t == "dumb");
    is_terminal && !no_color && !dumb
}

/// Called by the binary: colour for each real stream that is a terminal.
pub fn detect() {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR");
    let term = std::env::var_os("TERM");
    let decide = |tty: bool| wants_colour(tty, no_color.as_deref(), term.as_deref());
    STDOUT.store(decide(std::io::stdout().is_terminal()), Ordering::Relaxed);
    STDERR.store(decide(std::io::stderr().is_terminal()), Ordering::Relaxed);
}

pub(crate) fn stdout() -> bool {
    STDOUT.load(Ordering::Relaxed)
}

/// `rejected:`, `conflict:`, `integrity failure:` or `error:` in bold red on a
/// terminal that wants colour.
pub(crate) fn error_line(line: &str) -> String {
    if !STDERR.load(Ordering::Relaxed) {
        return line.to_owned();
    }
    match line.split_once(": ") {
        Some((head, rest)) => format!("\u{1b}[1;31m{head}:\u{1b}[0m {rest}"),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(wants_colour(true, None, Some(OsStr::new("xterm-256color"))));
        assert!(!wants_colour(false, None, None), "not a terminal");
        assert!(!wants_colour(true, Some(OsStr::new("1")), None), "NO_COLOR");
        assert!(
            wants_colour(true, Some(OsStr::new("")), None),
            "an empty NO_COLOR is unset"
        );
        assert!(
            !wants_colour(true, None, Some(OsStr::new("dumb"))),
            "TERM=dumb"
        );
    }

    #[test]
    fn in_process_runs_never_colour() {
        assert_eq!(error_line("rejected: no"), "rejected: no");
        assert!(!stdout());
    }
}
