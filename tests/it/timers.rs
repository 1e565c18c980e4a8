//! Deadlines through the CLI, on both backends: scheduled in working days,
//! warned, missed and escalated, fired as the system, each exactly once even
//! when runners race.

use kroonika_tests::{Backend, TestStore};

use crate::support::kroonika_on as kroonika;

/// A small process whose first state warns after 3 working days and is overdue
/// after 5, and whose second fires 'expire' after 2 weeks unless a guard stops it.
const REFERRAL: &str = r#"
process: referral
title: Referral
reference: RF
roles: [coordinator, regional-lead]
fields:
  keep_open: { type: boolean }
open:
  roles: [coordinator]
  input:
    keep_open: { required: false }
initial: received
states:
  received:
    deadline: { within: 5 working days, warn: 3 working days, escalate: regional-lead }
    transitions:
      accept: { to: waiting, roles: [coordinator] }
  waiting:
    deadline: { within: 2 weeks, fire: expire, escalate: regional-lead }
    transitions:
      expire: { to: expired, roles: [coordinator], guard: "case.keep_open != true", message: Kept open on purpose. }
      done: { to: finished, roles: [coordinator] }
  expired: { terminal: true, outcome: expired }
  finished: { terminal: true, outcome: finished }
"#;

crate::store::per_backend!(deadlines_warn_miss_and_fire_once);

async fn setup(backend: Backend) -> (String, tempfile::TempDir, Option<(String, String)>) {
    let (url, _, pg) = TestStore::fresh_url(backend).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = if backend == Backend::Sqlite {
        format!("sqlite://{}", dir.path().join("k.db").display())
    } else {
        url
    };
    assert_eq!(kroonika(&url, None, &["init", "--admin", "anu"]).await.0, 0);
    assert_eq!(
        kroonika(
            &url,
            Some("anu"),
            &["actor", "add", "mari", "--role", "coordinator"]
        )
        .await
        .0,
        0
    );
    let path = dir.path().join("referral.yaml");
    std::fs::write(&path, REFERRAL).unwrap();
    let (code, out, err) = kroonika(
        &url,
        Some("anu"),
        &["def", "publish", path.to_str().unwrap()],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    (url, dir, pg)
}

async fn open(url: &str, occurred: &str, keep_open: bool) -> String {
    let keep = format!("keep_open={keep_open}");
    let (code, out, err) = kroonika(
        url,
        Some("mari"),
        &[
            "case",
            "open",
            "referral",
            "--set",
            &keep,
            "--occurred-at",
            occurred,
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    out.split_whitespace().nth(1).unwrap().to_owned()
}

async fn deadline(url: &str, case: &str, as_of: &str) -> serde_json::Value {
    let (code, out, err) = kroonika(
        url,
        Some("mari"),
        &["case", "show", case, "--format", "json"],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""), "{as_of}");
    serde_json::from_str::<serde_json::Value>(&out).unwrap()
}

async fn run(url: &str, now: &str) -> String {
    let (code, out, err) = kroonika(url, None, &["timers", "run", "--now", now]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    out
}

async fn deadlines_warn_miss_and_fire_once(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    // Monday 22 December 2025: 24-26 December and 1 January are holidays, 27-28
    // December a weekend, so 3 working days end on Tuesday 30 December and 5 on
    // Friday 2 January.
    let case = open(&url, "2025-12-22", false).await;
    assert_eq!(
        deadline(&url, &case, "opened").await["deadline"]["due_on"],
        "2026-01-02"
    );

    assert_eq!(
        run(&url, "2025-12-29").await,
        "handled 0 due deadline(s) as of 2025-12-29 12:00 UTC\n"
    );
    let out = run(&url, "2025-12-30").await;
    assert_eq!(
        out,
        format!(
            "{case}: warned: the deadline of received is 2026-01-02\nhandled 1 due deadline(s) as of 2025-12-30 12:00 UTC\n"
        )
    );
    assert_eq!(
        run(&url, "2025-12-31").await,
        "handled 0 due deadline(s) as of 2025-12-31 12:00 UTC\n",
        "warned once"
    );
    assert_eq!(
        run(&url, "2026-01-02").await,
        "handled 0 due deadline(s) as of 2026-01-02 12:00 UTC\n",
        "the due day itself is still in time"
    );

    // Two runners race on the missed deadline: it is recorded exactly once.
    let (a, b) = tokio::join!(
        kroonika(&url, None, &["timers", "run", "--now", "2026-01-05"]),
        kroonika(&url, None, &["timers", "run", "--now", "2026-01-05"])
    );
    assert_eq!((a.0, b.0), (0, 0), "{a:?} {b:?}");
    let (_, history, _) =
        kroonika(&url, None, &["case", "history", &case, "--format", "json"]).await;
    let types = crate::support::field_of_lines(&history, "type");
    assert_eq!(types, ["CaseOpened", "DeadlineWarned", "DeadlineMissed"]);
    let last: serde_json::Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    assert_eq!(last["metadata"]["actor"], "system");
    assert_eq!(last["data"]["escalate"], "regional-lead");
    assert_eq!(
        deadline(&url, &case, "missed").await["deadline"]["status"],
        "overdue"
    );

    // Entering the next state schedules its deadline; at it the system fires 'expire'...
    assert_eq!(
        kroonika(
            &url,
            Some("mari"),
            &["case", "do", &case, "accept", "--occurred-at", "2026-01-05"]
        )
        .await
        .0,
        0
    );
    let out = run(&url, "2026-01-20").await;
    assert_eq!(
        out,
        format!("{case}: expire → expired\nhandled 1 due deadline(s) as of 2026-01-20 12:00 UTC\n")
    );
    let shown = deadline(&url, &case, "expired").await;
    assert_eq!(
        (shown["state"].as_str(), shown["closed"].as_bool()),
        (Some("expired"), Some(true))
    );

    // ...unless its guard says no: then the deadline escalates instead.
    let kept = open(&url, "2026-01-05", true).await;
    assert_eq!(
        kroonika(
            &url,
            Some("mari"),
            &["case", "do", &kept, "accept", "--occurred-at", "2026-01-05"]
        )
        .await
        .0,
        0
    );
    let out = run(&url, "2026-02-02").await;
    assert_eq!(
        out,
        format!(
            "{kept}: deadline of waiting missed (2026-01-19); overdue for regional-lead\nhandled 1 due deadline(s) as of 2026-02-02 12:00 UTC\n"
        )
    );
    assert_eq!(deadline(&url, &kept, "kept").await["state"], "waiting");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
