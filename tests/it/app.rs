//! The application layer as several processes see it: concurrent writers on one
//! case, concurrent openings, a remembered case gone stale, and a directory
//! that changed under a long-lived process. On both backends.

use kroonika_app::{App, CaseCommand, Input, Options, Outcome, Request};
use kroonika_engine::Code;
use kroonika_tests::Backend;

use crate::case_cli::{open_case, setup};
use crate::support::{at_once, kroonika_on as kroonika, pg_key_file};

crate::store::per_backend!(
    eight_writers_without_an_expected_version_all_go_through,
    with_an_expected_version_exactly_the_losers_conflict,
    concurrent_openings_number_their_references_without_gaps,
    a_remembered_case_is_decided_again_when_another_process_wrote,
    a_revoked_role_is_seen_by_a_long_lived_process,
);

/// Two coordinators, taking turns.
fn coordinator(i: usize) -> &'static str {
    if i.is_multiple_of(2) {
        "mari"
    } else {
        "toomas"
    }
}

/// The number of events of a case.
async fn versions(url: &str, case: &str) -> usize {
    let (_, out, _) = kroonika(url, None, &["case", "history", case, "--format", "json"]).await;
    out.lines().count()
}

/// Eight coordinators correct the same case at once, none naming a version:
/// every one is recorded, none sees a conflict.
async fn eight_writers_without_an_expected_version_all_go_through(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let runs = (0..8)
        .map(|i| {
            let date = format!("referred_on=2026-11-{:02}", 10 + i);
            let args = [
                "case", "update", &case, "--set", &date, "--reason", "writer",
            ];
            (coordinator(i), args.map(str::to_owned).to_vec())
        })
        .collect();
    for (code, out, err) in at_once(&url, runs).await {
        assert_eq!((code, err.as_str()), (0, ""), "{out}");
        assert!(out.contains(": data corrected (version "), "{out}");
    }
    assert_eq!(
        versions(&url, &case).await,
        9,
        "the opening and eight corrections"
    );
    let (code, _, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Eight coordinators withdraw the same case at once, each naming the version
/// they saw: one goes through, and exactly the seven others are told it
/// changed (exit 3), never refused for the case being closed.
async fn with_an_expected_version_exactly_the_losers_conflict(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let args = ["case", "do", &case, "withdraw", "--expect-version", "1"].map(str::to_owned);
    let runs = (0..8).map(|i| (coordinator(i), args.to_vec())).collect();
    let mut codes = Vec::new();
    for (code, _, err) in at_once(&url, runs).await {
        if code == 3 {
            assert!(
                err.starts_with(&format!("conflict: {case} changed since version 1 (now 2)")),
                "{err}"
            );
        }
        codes.push(code);
    }
    codes.sort_unstable();
    assert_eq!(codes, [0, 3, 3, 3, 3, 3, 3, 3]);
    assert_eq!(versions(&url, &case).await, 2);
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Eight cases opened at once get eight consecutive references: none fails,
/// none is skipped, none is given twice.
async fn concurrent_openings_number_their_references_without_gaps(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move { open_case(&url).await }));
    }
    let mut references = Vec::new();
    for task in tasks {
        references.push(task.await.unwrap());
    }
    references.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("SC-2026-{n:04}")).collect();
    assert_eq!(references, expected);
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// How the tests start an app: with the master key the store was set up
/// with (the file beside an SQLite store, the shared test key on PostgreSQL).
pub(crate) fn options(backend: Backend, url: &str) -> Options {
    let file = match backend {
        Backend::Sqlite => format!("{}.key", url.strip_prefix("sqlite://").unwrap()),
        Backend::Postgres => pg_key_file().to_owned(),
    };
    let master =
        kroonika_vault::MasterKey::from_hex(&std::fs::read_to_string(file).unwrap()).unwrap();
    Options {
        master: Some(master),
        ..Options::default()
    }
}

async fn app(url: &str, backend: Backend) -> App {
    App::open(url, options(backend, url)).await.unwrap()
}

fn correct(date: &str) -> CaseCommand {
    CaseCommand::Correct {
        update: Input::texts([("referred_on", date)]),
        reason: "the date on the referral".to_owned(),
        request: None,
    }
}

/// A long-lived process decides a case's next command on the state its last
/// command left; when another process wrote meanwhile, the command is decided
/// again on what the store holds, and goes through.
async fn a_remembered_case_is_decided_again_when_another_process_wrote(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let app = app(&url, backend).await;
    let mari = Request::new("mari", "case update");
    let first = app
        .execute(&mari, Some(&case), correct("2026-11-18"))
        .await
        .unwrap();
    assert!(
        matches!(first, Outcome::Done { version: 2, .. }),
        "{first:?}"
    );
    // Another process corrects the same case.
    let (code, _, err) = kroonika(
        &url,
        Some("toomas"),
        &[
            "case",
            "update",
            &case,
            "--set",
            "referred_on=2026-11-17",
            "--reason",
            "x",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    // The remembered state is stale: decided again, recorded after the other.
    let again = app
        .execute(&mari, Some(&case), correct("2026-11-18"))
        .await
        .unwrap();
    assert!(
        matches!(again, Outcome::Done { version: 4, .. }),
        "{again:?}"
    );
    // And the same value once more is nothing to do, decided on the case as it is.
    let same = app
        .execute(&mari, Some(&case), correct("2026-11-18"))
        .await
        .unwrap();
    assert!(
        matches!(same, Outcome::Nothing { version: 4, .. }),
        "{same:?}"
    );
    assert_eq!(versions(&url, &case).await, 4);
    app.close().await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// A process that loaded the directory before a role was revoked elsewhere
/// does not act on its stale copy: the write is refused, the directory read
/// again, and the command decided again (and refused, as a denial).
async fn a_revoked_role_is_seen_by_a_long_lived_process(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let app = app(&url, backend).await;
    let mari = Request::new("mari", "case update");
    app.execute(&mari, Some(&case), correct("2026-11-18"))
        .await
        .unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("anu"),
        &["actor", "revoke", "mari", "coordinator"],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let refused = app
        .execute(&mari, Some(&case), correct("2026-11-17"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(Code::Denied), "{refused}");
    assert_eq!(versions(&url, &case).await, 2, "nothing recorded");
    // The refusal is in the access log, like any denial.
    let (_, out, _) = kroonika(
        &url,
        None,
        &["audit", "access", "--by", "mari", "--format", "json"],
    )
    .await;
    assert!(
        out.contains("case update: actor 'mari' may not correct case data"),
        "{out}"
    );
    app.close().await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Every rejection code is documented in one place: ARCHITECTURE.md's table
/// lists exactly the engine's codes, in order, with the status the server
/// answers each with.
#[test]
fn the_rejection_codes_are_documented() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ARCHITECTURE.md"))
        .unwrap();
    let documented: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| {
            let (code, rest) = rest.split_once("` |")?;
            let status = rest.trim_end_matches(" |").rsplit("| ").next()?;
            Some((code, status))
        })
        .collect();
    let codes: Vec<(&str, String)> = Code::ALL
        .iter()
        .map(|c| {
            let status = kroonika_server::problem::status_of(*c);
            (c.as_str(), status.as_u16().to_string())
        })
        .collect();
    let codes: Vec<(&str, &str)> = codes.iter().map(|(c, s)| (*c, s.as_str())).collect();
    assert_eq!(
        documented, codes,
        "ARCHITECTURE.md's codes and their HTTP statuses"
    );
}

/// A long-lived process's registry follows the log (the registry service),
/// and the service returns when told to stop.
#[tokio::test]
async fn the_registry_service_follows_changes_made_elsewhere() {
    let (url, _dir, _) = setup(Backend::Sqlite).await;
    let app = app(&url, Backend::Sqlite).await;
    assert!(app.registry().actor("uku").is_none());
    let shutdown = kroonika_app::services::Shutdown::new();
    let service = {
        let (app, shutdown) = (app.clone(), shutdown.clone());
        tokio::spawn(async move {
            app.run_registry(&shutdown, std::time::Duration::from_millis(20))
                .await
        })
    };
    let (code, _, err) = kroonika(
        &url,
        Some("anu"),
        &["actor", "add", "uku", "--role", "coordinator"],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.registry().actor("uku").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the registry never moved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    shutdown.stop();
    tokio::time::timeout(std::time::Duration::from_secs(5), service)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    app.close().await;
}
