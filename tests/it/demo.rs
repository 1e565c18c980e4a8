//! `kroonika demo` on both backends: a small year of casework made through the
//! real commands with no step refused, the same seed giving the same figures,
//! and a store that already holds data left alone without `--force`.

use kroonika_tests::{Backend, TestStore};
use serde_json::Value;

use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(demo_fills_a_store_through_the_commands);

const SMALL: [&str; 6] = ["demo", "--years", "1", "--scale", "0.1", "--seed"];

async fn demo(url: &str, seed: &str) -> String {
    let mut args = SMALL.to_vec();
    args.push(seed);
    let (code, out, err) = kroonika(url, None, &args).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    out
}

/// The report of the demo's mediation cases, without the day it was made.
async fn report(url: &str) -> Value {
    let (code, out, err) = kroonika(url, None, &["report", "mediation", "--format", "json"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    serde_json::from_str(&out).unwrap()
}

async fn demo_fills_a_store_through_the_commands(backend: Backend) {
    let (url, _dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    let out = demo(&url, "11").await;
    assert!(
        out.contains("mediation") && out.contains("cases opened"),
        "{out}"
    );
    assert!(
        !out.contains("refused"),
        "every scripted step is one the engine allows: {out}"
    );
    assert!(out.contains("Try, as the service owner:"), "{out}");
    let first = report(&url).await;
    let opened = first["funnel"]["opened"].as_u64().unwrap();
    assert!(
        (40..=110).contains(&opened),
        "about 70 a year at scale 0.1: {opened}"
    );
    assert_eq!(
        first["metrics"].as_array().unwrap().len(),
        17,
        "the bundled metrics"
    );

    // Every event was decided by the engine for a registered actor or the system.
    let (_, actors, _) = kroonika(&url, Some("anu"), &["actor", "list", "--format", "json"]).await;
    assert!(actors.lines().count() >= 18, "{actors}");
    let (_, log, _) = kroonika(
        &url,
        None,
        &[
            "log",
            "--category",
            "case",
            "--format",
            "json",
            "--limit",
            "1000000",
        ],
    )
    .await;
    let versions: std::collections::BTreeSet<String> = crate::support::json_lines(&log)
        .iter()
        .filter_map(|e| {
            e["metadata"]["extra"]["definition"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(
        versions.contains("mediation@1")
            && versions.contains("mediation@2")
            && versions.contains("volunteer-onboarding@1"),
        "{versions:?}"
    );
    // The cases running on the pre-review mediation were carried over to the
    // revision: migrated from version 1 to 2, then given their region.
    let carried: Vec<Value> = crate::support::json_lines(&log)
        .into_iter()
        .filter(|e| {
            e["type"] == "CaseMigrated"
                && e["data"]["from_version"] == 1
                && e["data"]["to_version"] == 2
        })
        .collect();
    assert!(!carried.is_empty(), "the demo carries cases over");
    let said = out
        .split("v2 (revised; ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok());
    assert_eq!(said, Some(carried.len()), "{out}");
    let corrected = crate::support::json_lines(&log)
        .into_iter()
        .filter(|e| {
            e["type"] == "CaseDataCorrected"
                && e["data"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("carried over to the revised process"))
        })
        .count();
    assert_eq!(corrected, carried.len());

    // Replayed against the rules, the whole history conforms, and its chain holds.
    let (code, out, err) = kroonika(&url, None, &["audit", "verify", "--format", "json"]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["conformance"]["findings"], serde_json::json!([]));
    assert!(
        verified["conformance"]["case_events"].as_u64().unwrap() > 500,
        "{out}"
    );

    // A store with data is refused without --force.
    let mut args = SMALL.to_vec();
    args.push("11");
    let (code, _, err) = kroonika(&url, None, &args).await;
    assert_eq!(code, 1);
    assert!(err.contains("already holds data; give --force"), "{err}");

    if backend == Backend::Sqlite {
        // The same seed, the same figures (ids and recorded-at differ; nothing aggregate does).
        let (again, _dir2, _) = TestStore::fresh_url(backend).await.unwrap();
        demo(&again, "11").await;
        assert_eq!(report(&again).await, first);
    }
    // --force replaces the store, on both backends: the same demo again, from
    // an empty log (the old one is gone, not added to).
    let events = |url: String| async move {
        let (_, status, _) = kroonika(&url, None, &["status", "--format", "json"]).await;
        serde_json::from_str::<serde_json::Value>(&status).unwrap()["events"].clone()
    };
    let before = events(url.clone()).await;
    let mut args = SMALL.to_vec();
    args.extend(["11", "--force"]);
    let (code, _, err) = kroonika(&url, None, &args).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(report(&url).await, first);
    assert_eq!(events(url.clone()).await, before);
    let (code, _, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
