//! The `kroonika` command end to end: exit codes and what it prints.

use kroonika_store::{ExpectedRevision, Store, StreamName};
use kroonika_tests::{Backend, TestStore, event_with_id};
use uuid::Uuid;

use crate::support::kroonika;

fn sqlite_url(dir: &tempfile::TempDir, file: &str) -> String {
    format!("sqlite://{}", dir.path().join(file).display())
}

#[tokio::test]
async fn init_creates_then_reports_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "k.db");
    let path = dir.path().join("k.db").display().to_string();
    let (code, out, err) = kroonika(&["--db", &url, "init"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "created a Kroonika store at {path} (sqlite backend, schema version 8)\n\
             created the master key file {path}.key (owner only); keep a copy apart from the store: without it nobody can read the personal data\n"
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(format!("{path}.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is its owner's alone");
    }
    let (code, out, _) = kroonika(&["--db", &url, "init"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "the store at {path} is up to date (schema version 8)\n\
             personal data is encrypted under the master key from {path}.key\n"
        )
    );
    let (code, out, _) = kroonika(&["--db", &url, "status", "--format", "json"]).await;
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["backend"], "sqlite");
    assert_eq!(status["schema_version"], 8);
    assert_eq!(status["events"], 0);
}

#[tokio::test]
async fn bad_stores_get_one_clear_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "not a database, just notes\n").unwrap();
    let missing = sqlite_url(&dir, "missing.db");
    let text_url = format!("sqlite://{}", text_file.display());
    let no_folder = sqlite_url(&dir, "no/such/folder/k.db");
    let cases = [
        (
            vec!["--db", &missing, "status"],
            "error: opening the store: no Kroonika store at {dir}/missing.db; run `kroonika init` to create one\n",
        ),
        (
            vec!["--db", &text_url, "status"],
            "error: opening the store: {dir}/notes.txt is not a Kroonika store: it is not an SQLite database\n",
        ),
        (
            vec!["--db", &text_url, "init"],
            "error: initialising the store: {dir}/notes.txt is not a Kroonika store: it is not an SQLite database\n",
        ),
        (
            vec!["--db", &no_folder, "init"],
            "error: initialising the store: no Kroonika store at {dir}/no/such/folder/k.db (the folder {dir}/no/such/folder does not exist); run `kroonika init` to create one\n",
        ),
        (
            vec!["--db", "mysql://localhost/x", "status"],
            "error: opening the store: invalid store URL 'mysql://localhost/x': expected sqlite://PATH (the embedded default) or postgres://USER@HOST:PORT/DATABASE\n",
        ),
        (
            vec!["--db", "postgres://u:secret@127.0.0.1:1/x", "status"],
            "error: opening the store: cannot open the store at postgres://u:***@127.0.0.1:1/x: Connection refused (os error 111)\n",
        ),
        (
            vec!["--db", "postgres://u@127.0.0.1:notaport/x", "status"],
            "error: opening the store: invalid store URL 'postgres://u@127.0.0.1:notaport/x': error with configuration: invalid port number\n",
        ),
    ];
    let dir_text = dir.path().display().to_string();
    for (args, expected) in cases {
        let (code, out, err) = kroonika(&args).await;
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(out, "", "{args:?}");
        assert_eq!(err, expected.replace("{dir}", &dir_text), "{args:?}");
    }
    assert!(
        !dir.path().join("missing.db").exists(),
        "status must not create a store"
    );
}

#[tokio::test]
async fn usage_errors_exit_2_and_help_lists_exit_codes() {
    let (code, _, err) = kroonika(&["frobnicate"]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    let (code, out, _) = kroonika(&["--help"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes: 0 ok, 1 rejected or invalid, 2 usage, 3 conflict (retryable), 4 integrity failure."), "{out}");
    let (code, _, err) = kroonika(&["log", "--stream", "a-1", "--category", "a"]).await;
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn log_prints_events_as_table_and_json() {
    let t = TestStore::new(Backend::Sqlite).await.unwrap();
    let s = StreamName::new("mediation-0193a7c2").unwrap();
    let ids = [1u128, 2].map(|n| Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_1000 + n));
    let batch = [
        event_with_id(
            ids[0],
            "CaseOpened",
            serde_json::json!({"reference": "LE-2026-0001"}),
        ),
        event_with_id(
            ids[1],
            "PartyContacted",
            serde_json::json!({"party": "victim"}),
        ),
    ];
    t.store
        .append(&s, ExpectedRevision::NoStream, &batch)
        .await
        .unwrap();

    let (code, out, err) = kroonika(&["--db", &t.url, "log", "--format", "json"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    insta::assert_json_snapshot!("log_json_event", lines[0], { ".recorded_at" => "[recorded_at]" });

    let (code, out, _) = kroonika(&["--db", &t.url, "log"]).await;
    assert_eq!(code, 0);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows.iter().all(|row| row.chars().count() <= 80), "{out}");
    assert!(
        rows[1].contains("mediation-0193a7c2")
            && rows[1].contains("CaseOpened")
            && rows[1].contains("mari"),
        "{out}"
    );

    let (code, out, _) = kroonika(&[
        "--db",
        &t.url,
        "log",
        "--stream",
        "mediation-0193a7c2",
        "--backwards",
        "--limit",
        "1",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(code, 0);
    assert!(
        out.contains("PartyContacted") && !out.contains("CaseOpened"),
        "{out}"
    );

    let (code, _, err) = kroonika(&["--db", &t.url, "log", "--stream", "$all"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: stream name '$all' starts with '$', which is reserved for the system\n"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn postgres_store_initialises_through_the_cli() {
    let Some((url, _, Some((base, schema)))) = TestStore::fresh_url(Backend::Postgres).await else {
        return;
    };
    let (code, out, err) = kroonika(&["--db", &url, "init"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.starts_with("created a Kroonika store at postgres://"),
        "{out}"
    );
    assert!(
        out.contains("(postgres backend, schema version 8)\n"),
        "{out}"
    );
    assert!(
        out.contains("personal data is encrypted under the master key from"),
        "{out}"
    );
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend_name(), "postgres");
    store.close().await;
    kroonika_tests::drop_schema(&base, &schema).await;
}

/// `kroonika.toml` (here given with --config) fills in what no flag or
/// environment variable gives; a flag wins; an unknown key is refused with its line.
#[tokio::test]
async fn configuration_file_supplies_defaults_that_flags_override() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "configured.db");
    let config = dir.path().join("kroonika.toml");
    std::fs::write(&config, format!("db = \"{url}\"\nactor = \"anu\"\n")).unwrap();
    let config = config.to_str().unwrap();
    let (code, _, err) = kroonika(&["--config", config, "init", "--admin", "anu"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    // The actor comes from the file too: listing actors needs one.
    let (code, out, err) = kroonika(&["--config", config, "actor", "list"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains("anu"), "{out}");
    // A flag wins over the file.
    let other = sqlite_url(&dir, "other.db");
    let (code, _, err) = kroonika(&["--config", config, "--db", &other, "status"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("other.db"), "{err}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "db = \"x\"\nactr = \"anu\"\n").unwrap();
    let (code, _, err) = kroonika(&["--config", broken.to_str().unwrap(), "status"]).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("rejected: the configuration ")
            && err.contains("(line 2) is not valid: unknown field `actr`"),
        "{err}"
    );
    let (code, _, err) = kroonika(&["--config", "no-such.toml", "status"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read the configuration no-such.toml"),
        "{err}"
    );
}

#[tokio::test]
async fn completions_for_three_shells() {
    for (shell, start) in [
        ("bash", "_kroonika()"),
        ("zsh", "#compdef kroonika"),
        ("fish", "# Print"),
    ] {
        let (code, out, err) = kroonika(&["completions", shell]).await;
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.contains(start) && out.contains("report"), "{shell}");
    }
}

/// Every command's --help ends with an example, and the exit codes are listed.
#[tokio::test]
async fn every_command_has_an_example_in_its_help() {
    use clap::CommandFactory;
    fn leaves(command: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        let subcommands: Vec<&clap::Command> = command
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .collect();
        if subcommands.is_empty() {
            out.push(path);
            return;
        }
        for sub in subcommands {
            let mut next = path.clone();
            next.push(sub.get_name().to_owned());
            leaves(sub, next, out);
        }
    }
    let mut paths = Vec::new();
    leaves(&kroonika_cli::args::Cli::command(), Vec::new(), &mut paths);
    assert!(paths.len() >= 28, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let (code, out, _) = kroonika(&args).await;
        assert_eq!(code, 0, "{path:?}");
        assert!(
            out.contains("Example: kroonika "),
            "{path:?} has no example:\n{out}"
        );
    }
    let (_, top, _) = kroonika(&["--help"]).await;
    assert!(top.contains("Exit codes: 0 ok, 1 rejected or invalid, 2 usage, 3 conflict"));
}

/// Each exit code, in one place: 0 ok, 1 rejected, 2 usage, 3 conflict, 4
/// integrity failure; every error is one plain line on stderr, never a debug dump.
#[tokio::test]
async fn every_exit_code() {
    use crate::support::kroonika_on;
    let (url, _dir, _) = crate::case_cli::setup(Backend::Sqlite).await;
    let case = crate::case_cli::open_case(&url).await;
    let one_line = |err: &str| {
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked") && !err.contains("{ "), "{err}");
    };
    let (code, _, err) = kroonika_on(&url, Some("mari"), &["case", "show", &case]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = kroonika_on(&url, Some("jaan"), &["case", "do", &case, "assign"]).await;
    assert_eq!(code, 1);
    assert!(err.starts_with("rejected: "), "{err}");
    one_line(&err);
    let (code, _, err) = kroonika_on(&url, Some("mari"), &["case", "do"]).await;
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = kroonika_on(
        &url,
        Some("mari"),
        &["case", "do", &case, "withdraw", "--expect-version", "7"],
    )
    .await;
    assert_eq!(code, 3);
    assert!(err.starts_with("conflict: "), "{err}");
    one_line(&err);
    let path = url.strip_prefix("sqlite://").unwrap();
    let raw = kroonika_tests::TestStore::attach(&url, Backend::Sqlite);
    raw.raw_execute("DROP TRIGGER events_no_delete")
        .await
        .unwrap();
    raw.raw_execute("DELETE FROM events WHERE position = 3")
        .await
        .unwrap();
    let (code, _, err) = kroonika_on(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 4, "{path}");
    assert!(
        err.starts_with("integrity failure: position 3 is missing"),
        "{err}"
    );
    one_line(&err);
}

/// `--format csv` wherever output is tabular: a header row, then one row per
/// line, fields with commas or quotes quoted (RFC 4180).
#[tokio::test]
async fn tabular_output_as_csv() {
    use crate::support::kroonika_on;
    let (url, _dir, _) = crate::case_cli::setup(Backend::Sqlite).await;
    let case = crate::case_cli::open_case(&url).await;
    let (code, out, _) =
        kroonika_on(&url, Some("mari"), &["case", "list", "--format", "csv"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "case,process,state,deadline", "{out}");
    assert!(
        lines[1].starts_with(&format!("{case},school-conference@1,referred,")),
        "{out}"
    );
    let (code, _, _) = kroonika_on(
        &url,
        Some("mari"),
        &[
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "calling, then writing",
        ],
    )
    .await;
    assert_eq!(code, 0);
    let (code, out, _) = kroonika_on(&url, None, &["audit", "access", "--format", "csv"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "recorded (UTC),actor,role then,case,what");
    assert!(
        lines[1].ends_with(&format!(
            ",mari,coordinator,{case},\"revealed victim: calling, then writing\""
        )),
        "{out}"
    );
    // The whole log and a case's history for the store's operator (no actor);
    // the directory for its administrator.
    for (actor, args) in [
        (None, &["log", "--format", "csv"][..]),
        (None, &["audit", "trail", "--format", "csv"]),
        (Some("anu"), &["actor", "list", "--format", "csv"]),
        (Some("anu"), &["def", "list", "--format", "csv"]),
        (Some("anu"), &["projections", "status", "--format", "csv"]),
        (None, &["case", "history", &case, "--format", "csv"]),
    ] {
        let (code, out, err) = kroonika_on(&url, actor, args).await;
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
        let header = out.lines().next().unwrap_or_default();
        assert!(
            header.contains(',') && !header.starts_with(' '),
            "{args:?}: {out}"
        );
    }
    // Documents are not tables: csv is refused as usage.
    let (code, _, _) = kroonika_on(
        &url,
        Some("mari"),
        &["case", "show", &case, "--format", "csv"],
    )
    .await;
    assert_eq!(code, 2);
}
