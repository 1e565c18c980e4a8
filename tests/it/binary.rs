//! The real `kroonika` binary, as a shell runs it: what the in-process tests
//! cannot see (the runtime, the allocator, colour on a terminal, exit codes as
//! the operating system reports them). Built with `cargo build --bin kroonika`
//! beside this test binary when it is not there yet.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>/kroonika`, built once if missing.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let test = std::env::current_exe().unwrap();
        // target/<profile>/deps/integration-… → target/<profile>/kroonika
        let dir = test.parent().unwrap().parent().unwrap().to_owned();
        let path = dir.join(format!("kroonika{}", std::env::consts::EXE_SUFFIX));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let release = dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "-p",
            "kroonika-cli",
            "--bin",
            "kroonika",
        ]);
        if release {
            build.arg("--release");
        }
        // Always ask cargo: it does nothing when the binary is current.
        let status = build.status().expect("running cargo build --bin kroonika");
        assert!(status.success(), "cargo build --bin kroonika failed");
        assert!(path.exists(), "{} after building", path.display());
        path
    })
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
    let Ok(probe) = Command::new("script").arg("--version").output() else {
        eprintln!(
            "note: `script` (util-linux) is not installed; the terminal colour test is skipped"
        );
        return;
    };
    if !probe.status.success() {
        eprintln!("note: `script` does not run here; the terminal colour test is skipped");
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
