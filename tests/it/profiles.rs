//! Profiles: volunteer onboarding records on the volunteer's account what a
//! mediation's assignment checks, on both backends through the CLI. A
//! volunteer whose criminal-record check is more than a year old is refused at
//! assignment (a case with a minor), the timers suspend them the day after
//! the year (taking the mediator role the profile gave), a new check and a
//! reinstatement let them be assigned; a volunteer trained only for the
//! restorative justice service is refused a criminal conciliation until a
//! refresher adds it (and again once a correction takes it away); a staff
//! mediator without a profile is not checked; and
//! the whole history, profiles included, still conforms.
//!
//! Dates are counted back from today, since an assignment's guard judges the
//! check against the day it is decided.

use chrono::{Duration, Utc};
use kroonika_tests::Backend;

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(an_assignment_reads_the_volunteers_profile);

fn day(back: i64) -> String {
    (Utc::now().date_naive() - Duration::days(back)).to_string()
}

fn at(back: i64) -> String {
    format!("{}T10:00:00Z", day(back))
}

async fn setup(backend: Backend) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    // kaja is a volunteer account with no role an administrator gave for
    // mediation: the profile gives it. ants is a staff mediator.
    let people = [
        ("mari", "coordinator"),
        ("signe", "volunteer-expert"),
        ("tarmo", "trainer"),
        ("reet", "mentor"),
        ("kaja", "volunteer"),
        ("ants", "mediator"),
        ("aino", "auditor"),
    ];
    let processes = ["partners", "volunteer-onboarding", "mediation"];
    crate::support::bundled_store(backend, &processes, &people).await
}

/// Takes `step` on `case`, as having happened `when` (now, when empty).
async fn step(url: &str, actor: &str, case: &str, step: &str, when: &str, sets: &[&str]) -> String {
    let mut args = vec!["case", "do", case, step];
    if !when.is_empty() {
        args.extend(["--occurred-at", when]);
    }
    for set in sets {
        args.extend(["--set", set]);
    }
    ok(url, actor, &args).await
}

/// Onboards kaja, checked 400 days ago (so the check has lapsed), trained for
/// the restorative justice service only: the onboarding case's reference.
async fn onboarded(url: &str) -> String {
    let applied = day(430);
    let applied_on = format!("applied_on={applied}");
    let mut args = vec!["case", "open", "volunteer-onboarding"];
    let opened_at = at(430);
    args.extend(["--occurred-at", &opened_at]);
    for set in [
        "tracks=rj-mediator",
        "region=south",
        "languages=et",
        "committed_months=12",
        "channel=website",
        &applied_on,
        "applicant_name=Kaja Kivi",
    ] {
        args.extend(["--set", set]);
    }
    let out = ok(url, "mari", &args).await;
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    let t = at(420);
    step(
        url,
        "mari",
        &case,
        "screened-in",
        &t,
        &["meets_requirements=true", "works_with_minors=true"],
    )
    .await;
    step(
        url,
        "mari",
        &case,
        "interview-held",
        &t,
        &["recommendation=recommend"],
    )
    .await;
    step(url, "mari", &case, "select", &t, &[]).await;
    let checked = format!("checked_on={}", day(400));
    step(
        url,
        "mari",
        &case,
        "check-recorded",
        &at(400),
        &["background_check=clear", &checked],
    )
    .await;
    let ticked = at(400);
    for task in [
        "background-check",
        "confidentiality-agreement",
        "volunteer-agreement",
    ] {
        ok(
            url,
            "mari",
            &["case", "task", &case, task, "--occurred-at", &ticked],
        )
        .await;
    }
    step(
        url,
        "mari",
        &case,
        "enrol",
        &at(399),
        &["cohort=autumn", &format!("cohort_starts_on={}", day(395))],
    )
    .await;
    step(
        url,
        "tarmo",
        &case,
        "training-completed",
        &at(350),
        &[
            "training_hours=48",
            "mentors=reet",
            "trained_for=rj-service",
        ],
    )
    .await;
    let ticked = at(340);
    for (who, task) in [
        ("reet", "first-shadowing"),
        ("reet", "second-shadowing"),
        ("mari", "supervision-attended"),
    ] {
        ok(
            url,
            who,
            &["case", "task", &case, task, "--occurred-at", &ticked],
        )
        .await;
    }
    step(url, "signe", &case, "confirm", &at(300), &["account=kaja"]).await;
    case
}

/// Opens a mediation of `track` with a minor taking part, screened and ready
/// to assign: its reference.
async fn referred(url: &str, track: &str) -> String {
    let when = at(5);
    let received = format!("received_on={}", day(5));
    let track_set = format!("track={track}");
    let (source, partner, basis, document) = if track == "conciliation" {
        (
            "referral_source=prosecutor",
            "referred_by=louna-prokuratuur",
            "legal_basis=krms-203-1",
            "referral_document=Lõuna RP määrus nr 22-4567",
        )
    } else {
        (
            "referral_source=school",
            "referred_by=tartumaa-koolid",
            "legal_basis=oas",
            "referral_document=the school's letter of 2 December",
        )
    };
    let mut args = vec!["case", "open", "mediation", "--occurred-at", &when];
    for set in [
        track_set.as_str(),
        "region=south",
        document,
        source,
        partner,
        basis,
        &received,
        "minor_involved=true",
        "domestic_violence=false",
        "sexual_offence=false",
        "victim_name=Mia Mets",
        "offender_name=Oliver Oja",
    ] {
        args.extend(["--set", set]);
    }
    let out = ok(url, "mari", &args).await;
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    step(url, "mari", &case, "start-screening", &when, &[]).await;
    step(
        url,
        "mari",
        &case,
        "declare-eligible",
        &when,
        &["risk_assessment_required=false"],
    )
    .await;
    case
}

/// Tries to assign `mediators` on `case`: refused (exit 1); what was said.
async fn refused(url: &str, case: &str, mediators: &str) -> String {
    let set = format!("mediators={mediators}");
    let args = ["case", "do", case, "assign", "--set", set.as_str()];
    let (code, _, err) = kroonika(url, Some("mari"), &args).await;
    assert_eq!(code, 1, "{err}");
    err
}

async fn state(url: &str, case: &str) -> String {
    let out = ok(url, "mari", &["case", "show", case, "--format", "json"]).await;
    let view: serde_json::Value = serde_json::from_str(&out).unwrap();
    view["state"].as_str().unwrap().to_owned()
}

async fn an_assignment_reads_the_volunteers_profile(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let va = onboarded(&url).await;
    assert_eq!(state(&url, &va).await, "active");
    let school = referred(&url, "rj-service").await;
    let now = "";

    // Active and trained, but the check is 400 days old and a minor takes part.
    let err = refused(&url, &school, "kaja,ants").await;
    assert!(
        err.contains("criminal-record check at most 12 months old"),
        "{err}"
    );

    // The timers suspend kaja: the profile's mediator role goes with it.
    let (code, _, err) = kroonika(&url, Some("anu"), &["timers", "run"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(state(&url, &va).await, "suspended");
    let err = refused(&url, &school, "kaja,ants").await;
    assert!(err.contains("kaja") && err.contains("mediator"), "{err}");

    // A new check, a reinstatement: assigned.
    let checked = format!("checked_on={}", day(1));
    step(
        &url,
        "mari",
        &va,
        "check-recorded",
        now,
        &["background_check=clear", &checked],
    )
    .await;
    step(&url, "signe", &va, "reinstate", now, &[]).await;
    step(
        &url,
        "mari",
        &school,
        "assign",
        now,
        &["mediators=kaja,ants"],
    )
    .await;
    assert_eq!(state(&url, &school).await, "assigned");

    // Trained for the service, not for criminal conciliation; a staff
    // mediator without a profile is not checked.
    let conciliation = referred(&url, "conciliation").await;
    let err = refused(&url, &conciliation, "kaja").await;
    assert!(err.contains("trained for this track"), "{err}");
    step(
        &url,
        "tarmo",
        &va,
        "refresher-completed",
        now,
        &["hours=6", "trained_for=rj-service,conciliation"],
    )
    .await;
    step(
        &url,
        "mari",
        &conciliation,
        "assign",
        now,
        &["mediators=kaja"],
    )
    .await;
    let other = referred(&url, "conciliation").await;
    step(&url, "mari", &other, "assign", now, &["mediators=ants"]).await;

    // A correction records the profile at once: no step needs to follow.
    ok(
        &url,
        "mari",
        &[
            "case",
            "update",
            &va,
            "--set",
            "trained_for=rj-service",
            "--reason",
            "the refresher was the RJ service's only",
        ],
    )
    .await;
    let again = referred(&url, "conciliation").await;
    let err = refused(&url, &again, "kaja").await;
    assert!(err.contains("trained for this track"), "{err}");

    // The trail says what was recorded on the account; the history conforms.
    let trail = ok(&url, "aino", &["audit", "trail", "--by", "system"]).await;
    // (The table wraps its last column.)
    assert!(
        trail.contains("recorded kaja's") && trail.contains("suspended (no roles)"),
        "{trail}"
    );
    let (code, out, err) = kroonika(&url, Some("aino"), &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}{err}");

    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
