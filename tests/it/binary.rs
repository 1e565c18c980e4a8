//! The real `kroonika` binary, as a shell runs it: what the in-process tests
//! cannot see (the runtime, the allocator, colour on a terminal, exit codes as
//! the operating system reports them). Built with `cargo build --bin kroonika`
//! beside this test binary when it is not there yet.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>/<bin>` of `package`, built (once per test run) with cargo,
/// which does nothing when it is current.
pub(crate) fn built(package: &str, bin: &str) -> PathBuf {
    let test = std::env::current_exe().unwrap();
    // target/<profile>/deps/integration-… → target/<profile>/<bin>
    let dir = test.parent().unwrap().parent().unwrap().to_owned();
    let path = dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", package, "--bin", bin]);
    if dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("running cargo build");
    assert!(
        status.success(),
        "cargo build -p {package} --bin {bin} failed"
    );
    assert!(path.exists(), "{} after building", path.display());
    path
}

/// The `kroonika` binary.
pub(crate) fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| built("kroonika-cli", "kroonika"))
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("KROONIKA_DB")
        .env_remove("KROONIKA_ACTOR");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_binary_exits_with_the_documented_codes_and_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let (code, _, err) = run(&["--db", &db, "init", "--admin", "anu"], &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, out, _) = run(&["--db", &db, "status", "--format", "json"], &[]);
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["backend"], "sqlite");
    let (code, _, err) = run(&["--db", &db, "--actor", "nobody", "case", "list"], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("rejected: unknown actor 'nobody'"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour when stderr is not a terminal"
    );
    let (code, _, _) = run(&["--db", &db, "no-such-command"], &[]);
    assert_eq!(code, 2);
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes: 0 ok, 1 rejected or invalid, 2 usage, 3 conflict"));
}

/// On a terminal (a pseudo-terminal from `script`), diagnostics are coloured,
/// unless NO_COLOR is set. Skipped, with a note, where `script` is missing.
#[test]
fn colour_on_a_terminal_only_without_no_color() {
    if !script_runs("the terminal colour test") {
        return;
    }
    let file = "../tests/data/definitions/broken/21-invalid-duration.yaml";
    let on_terminal = |no_color: bool| {
        let line = format!("{} def check {file}", binary().display());
        let mut command = Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .env_remove("NO_COLOR");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        command.env("TERM", "xterm-256color");
        let out = command.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_terminal(false);
    assert!(coloured.contains("invalid-duration"), "{coloured}");
    assert!(
        coloured.contains('\u{1b}'),
        "colour on a terminal: {coloured:?}"
    );
    let plain = on_terminal(true);
    assert!(plain.contains("invalid-duration"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}

/// Whether `script` (util-linux), which runs a command on a pseudo-terminal,
/// is here; if not, `test` is skipped and says so.
#[allow(clippy::print_stderr)]
fn script_runs(test: &str) -> bool {
    match Command::new("script").arg("--version").output() {
        Ok(probe) if probe.status.success() => true,
        Ok(_) => {
            eprintln!("note: `script` does not run here; {test} is skipped");
            false
        }
        Err(_) => {
            eprintln!("note: `script` (util-linux) is not installed; {test} is skipped");
            false
        }
    }
}

/// A value stored with an escape sequence in it (here a legal hold's reason
/// that would clear the screen and retitle the window) reaches a terminal
/// neutralised, and JSON keeps it exact.
#[test]
fn stored_escape_sequences_never_reach_a_terminal_raw() {
    if !script_runs("the terminal safety test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let definition = "../tests/data/definitions/school-conference.yaml";
    let hostile = "court\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}";
    for args in [
        vec!["init", "--admin", "anu"],
        vec![
            "--actor",
            "anu",
            "actor",
            "add",
            "tiina",
            "--role",
            "service-owner",
        ],
        vec![
            "--actor",
            "anu",
            "actor",
            "add",
            "mari",
            "--role",
            "coordinator",
        ],
        vec!["--actor", "tiina", "def", "publish", definition],
        vec![
            "--actor",
            "mari",
            "case",
            "open",
            "school-conference",
            "--set",
            "referral_source=school",
            "--set",
            "referred_on=2026-11-19",
            "--set",
            "minor_involved=no",
            "--set",
            "victim_name=Mari Maasikas",
            "--set",
            "victim_phone=+372 5555 1234",
        ],
        vec![
            "--actor",
            "anu",
            "case",
            "hold",
            "SC-2026-0001",
            "--reason",
            hostile,
        ],
    ] {
        let mut argv = vec!["--db", db.as_str()];
        argv.extend(args);
        let (code, _, err) = run(&argv, &[]);
        assert_eq!(code, 0, "{argv:?}: {err}");
    }
    let line = format!(
        "{} --db {db} --actor mari case show SC-2026-0001",
        binary().display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("legal hold"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
    assert!(
        shown.contains("court\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}"),
        "{shown:?}"
    );
    let (_, json, _) = run(
        &[
            "--db",
            &db,
            "--actor",
            "mari",
            "case",
            "show",
            "SC-2026-0001",
            "--format",
            "json",
        ],
        &[],
    );
    let view: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(view["legal_hold"], hostile, "JSON keeps the value exact");
}

/// The benchmark cannot rot: each of its modes runs once, quick, on SQLite (a
/// debug build, under a minute in all; the soak with this build's server).
/// Its figures are not judged here.
#[test]
fn the_benchmark_runs_in_each_mode() {
    let bench = built("kroonika-bench", "kroonika-bench");
    let server = binary();
    for mode in [
        &["--rounds", "1", "--no-cqrs"][..],
        &["--timers"],
        &["--rebuild"],
        &[
            "--commands",
            "--rounds",
            "1",
            "--no-cqrs",
            "--only",
            "16 concurrent clients, group",
        ],
        &["--grpc", "--rounds", "1"],
        &["--soak", "2"],
    ] {
        let out = Command::new(&bench)
            .args(["--backend", "sqlite", "--quick"])
            .args(mode)
            .env_remove(kroonika_tests::POSTGRES_VAR)
            .env("KROONIKA_SOAK_SERVER", server)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{mode:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("| SQLite |") || stdout.contains("| 2 |"),
            "{mode:?}: {stdout}"
        );
    }
}

/// The follow modes run until Ctrl-C or SIGTERM, then stop cleanly (exit 0)
/// between runs, never in the middle of a write.
#[test]
fn follow_modes_stop_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let (code, _, err) = run(&["--db", &db, "init", "--admin", "anu"], &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    for follow in [
        &["projections", "run", "--follow"][..],
        &["timers", "run", "--follow"],
    ] {
        let mut child = Command::new(binary())
            .args(["--db", &db])
            .args(follow)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Up and working: it has read the store.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(
            child.try_wait().unwrap().is_none(),
            "{follow:?} ended by itself"
        );
        let term = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{follow:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("projections are up to date") || said.is_empty(),
            "{follow:?}: {said}"
        );
    }
}
