//! Carrying running mediation cases over from the process as it stood before
//! the 2026 legal review (`processes/history/mediation-2025.yaml`) to the
//! revised one, by processes/README.md's plan, through the CLI on both
//! backends: the running cases migrate with no state map and are given their
//! region (and a restorative justice case its legal basis) by a correction;
//! a closed case stays where it closed; from the next step on the revised
//! rules hold (consent withdrawn after contact closes the case and owes the
//! prosecutor the ending, though no appointment notice is owed for an
//! assignment made before); the whole history still conforms.

use kroonika_tests::Backend;
use serde_json::{Value, json};

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(running_cases_are_carried_over_to_the_revision);

async fn step(url: &str, actor: &str, case: &str, step: &str, sets: &[&str]) -> String {
    let mut args = vec!["case", "do", case, step];
    for set in sets {
        args.extend(["--set", set]);
    }
    ok(url, actor, &args).await
}

/// Opens a case on the pre-review version (no region, no Victim Support Act):
/// its reference.
async fn opened(url: &str, track: &str) -> String {
    let basis = if track == "conciliation" {
        "legal_basis=krms-203-1"
    } else {
        "legal_basis=none"
    };
    let source = if track == "conciliation" {
        "referral_source=prosecutor"
    } else {
        "referral_source=school"
    };
    let sets = [
        &format!("track={track}"),
        source,
        basis,
        "referral_document=Põhja RP määrus 05.01.2026 nr 22-1",
        "received_on=2026-01-05",
        "minor_involved=false",
        "domestic_violence=false",
        "sexual_offence=false",
        "victim_name=Kadri Kask",
        "offender_name=Mart Tamm",
    ];
    let mut args = vec!["case", "open", "mediation"];
    for set in sets {
        args.extend(["--set", set]);
    }
    let out = ok(url, "mari", &args).await;
    out.split_whitespace().nth(1).unwrap().to_owned()
}

async fn show(url: &str, case: &str) -> Value {
    serde_json::from_str(&ok(url, "mari", &["case", "show", case, "--format", "json"]).await)
        .unwrap()
}

async fn running_cases_are_carried_over_to_the_revision(backend: Backend) {
    let people = [
        ("mari", "coordinator"),
        ("ants", "mediator"),
        ("peeter", "mediator"),
        ("rein", "regional-lead"),
    ];
    let processes = ["partners", "history/mediation-2025"];
    let (url, _dir, pg) = crate::support::bundled_store(backend, &processes, &people).await;

    // On the old version: a conciliation assigned, an RJ case in screening,
    // and one closed as ineligible.
    let conciliation = opened(&url, "conciliation").await;
    step(&url, "mari", &conciliation, "start-screening", &[]).await;
    let eligible = ["risk_assessment_required=false"];
    step(&url, "mari", &conciliation, "declare-eligible", &eligible).await;
    step(&url, "mari", &conciliation, "assign", &["mediators=ants"]).await;
    let rj = opened(&url, "rj-service").await;
    step(&url, "mari", &rj, "start-screening", &[]).await;
    let closed = opened(&url, "conciliation").await;
    step(&url, "mari", &closed, "start-screening", &[]).await;
    let ineligible = ["reason=adult-offender-minor-victim"];
    step(&url, "mari", &closed, "declare-ineligible", &ineligible).await;

    // The revision is published; every old state is still in it.
    let out = ok(
        &url,
        "tiina",
        &["def", "publish", "../processes/mediation.yaml"],
    )
    .await;
    assert!(out.starts_with("published mediation version 2"), "{out}");
    let (code, plan, err) = kroonika(
        &url,
        Some("mari"),
        &["def", "migrations", "mediation", "--to-version", "2"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(!plan.contains("--map"), "no state needs a map: {plan}");

    // Running cases migrate, then get what the revision asks for; the closed
    // one stays on the version it closed on.
    let reason = "carried over to the revised process";
    for (case, sets) in [
        (&conciliation, vec!["region=north"]),
        (&rj, vec!["region=south", "legal_basis=oas"]),
    ] {
        let out = ok(
            &url,
            "mari",
            &["case", "migrate", case, "--to-version", "2"],
        )
        .await;
        assert!(out.contains("now on version 2"), "{out}");
        let mut args = vec!["case", "update", case, "--reason", reason];
        for set in &sets {
            args.extend(["--set", set]);
        }
        ok(&url, "mari", &args).await;
    }
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "migrate", &closed, "--to-version", "2"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(show(&url, &closed).await["version"], 1);
    let view = show(&url, &rj).await;
    assert_eq!(
        (
            &view["version"],
            &view["data"]["region"],
            &view["data"]["legal_basis"]
        ),
        (&json!(2), &json!("south"), &json!("oas"))
    );

    // The revised rules from the next step on: consent withdrawn after
    // contact ends the conciliation and owes the prosecutor the ending, but
    // no appointment notice is owed for the assignment made before.
    let reached = ["party=victim", "channel=phone", "reached=true"];
    step(&url, "ants", &conciliation, "contact-attempted", &reached).await;
    let out = step(
        &url,
        "ants",
        &conciliation,
        "withdraw-consent",
        &["party=victim"],
    )
    .await;
    assert!(out.contains("closed-consent-withdrawn"), "{out}");
    let view = show(&url, &conciliation).await;
    let owed: Vec<&str> = view["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["notice"].as_str().unwrap())
        .collect();
    assert_eq!(owed, ["ending", "feedback"], "{view}");
    // The RJ case, on the revision, may not be assigned one facilitator.
    let eligible = ["risk_assessment_required=false"];
    step(&url, "mari", &rj, "declare-eligible", &eligible).await;
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "do", &rj, "assign", "--set", "mediators=ants"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    step(&url, "mari", &rj, "assign", &["mediators=ants,peeter"]).await;

    crate::support::conforms(&url).await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
