//! Notices owed to the referring authority, on the bundled mediation
//! process, through the CLI and over HTTP on both backends: a conciliation
//! assigned owes the prosecutor the conciliator's name, every ending owes it
//! the ending; the coordinator records them sent (also on a closed case), a
//! mediator may not, an unsent one goes overdue for the regional lead even
//! after closing, and the whole history still conforms.
//!
//! 2026-01-05 is a Monday: the appointment notice taken that day is due on
//! 12 January (5 working days), the ending notice of 7 January on the 14th.

use kroonika_tests::Backend;
use serde_json::{Value, json};

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(notices_are_owed_sent_and_chased);

async fn setup(backend: Backend) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    let people = [
        ("mari", "coordinator"),
        ("ants", "mediator"),
        ("rein", "regional-lead"),
    ];
    crate::support::bundled_store(backend, &["partners", "mediation"], &people).await
}

/// Opens a conciliation referred by the northern prosecutor's office, screened
/// and assigned to ants on `at`: its reference.
async fn assigned(url: &str, at: &str) -> String {
    let sets = [
        "track=conciliation",
        "region=north",
        "referral_document=Põhja RP määrus 05.01.2026 nr 22-1",
        "referral_source=prosecutor",
        "referred_by=pohja-prokuratuur",
        "legal_basis=krms-203-1",
        "received_on=2026-01-05",
        "minor_involved=false",
        "domestic_violence=false",
        "sexual_offence=false",
        "victim_name=Kadri Kask",
        "offender_name=Mart Tamm",
    ];
    let mut args = vec!["case", "open", "mediation", "--occurred-at", at];
    for set in sets {
        args.extend(["--set", set]);
    }
    let out = ok(url, "mari", &args).await;
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    for (step, sets) in [
        ("start-screening", vec![]),
        ("declare-eligible", vec!["risk_assessment_required=false"]),
        ("assign", vec!["mediators=ants"]),
    ] {
        let mut args = vec!["case", "do", &case, step, "--occurred-at", at];
        for set in &sets {
            args.extend(["--set", set]);
        }
        ok(url, "mari", &args).await;
    }
    case
}

/// The case as `actor` sees it, as JSON.
async fn show(url: &str, actor: &str, case: &str) -> Value {
    serde_json::from_str(&ok(url, actor, &["case", "show", case, "--format", "json"]).await)
        .unwrap()
}

async fn notices_are_owed_sent_and_chased(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let at = "2026-01-05T09:00:00Z";
    let a = assigned(&url, at).await;

    // The appointment is owed to the prosecutor's office named on the case.
    let view = show(&url, "mari", &a).await;
    assert_eq!(
        view["notices"],
        json!([{
            "notice": "mediator-appointed", "due_on": "2026-01-12", "status": "overdue",
            "to": "pohja-prokuratuur", "escalate": "regional-lead", "may_send": true
        }]),
        "judged today, long after 12 January"
    );
    assert_eq!(
        show(&url, "ants", &a).await["notices"][0]["may_send"],
        false
    );

    // Only a coordinator records it; a notice not due, or not declared, is refused by name.
    let (code, _, err) = kroonika(
        &url,
        Some("ants"),
        &["case", "notice", &a, "mediator-appointed"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("may not record notice 'mediator-appointed' sent: it needs coordinator"),
        "{err}"
    );
    let (code, _, err) = kroonika(&url, Some("mari"), &["case", "notice", &a, "ending"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("notice 'ending' is not due on case")
            && err.contains("due: mediator-appointed"),
        "{err}"
    );
    let (code, _, err) = kroonika(&url, Some("mari"), &["case", "notice", &a, "thanks"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("has no notice 'thanks'; its notices: mediator-appointed, ending"),
        "{err}"
    );
    // Not sent in the future, nor after the day it is recorded.
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "notice",
            &a,
            "mediator-appointed",
            "--sent-on",
            "2026-01-07",
            "--occurred-at",
            "2026-01-06T10:00:00Z",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("sent on 2026-01-07 is after 2026-01-06"),
        "{err}"
    );
    let out = ok(
        &url,
        "mari",
        &[
            "case",
            "notice",
            &a,
            "mediator-appointed",
            "--sent-on",
            "2026-01-06",
            "--reference",
            "SKA 7-1/101",
            "--occurred-at",
            "2026-01-06T10:00:00Z",
        ],
    )
    .await;
    assert!(
        out.contains("notice mediator-appointed recorded sent"),
        "{out}"
    );
    assert_eq!(show(&url, "mari", &a).await["notices"], json!([]));

    // The victim cannot be reached: the case closes, the ending is owed.
    ok(
        &url,
        "ants",
        &[
            "case",
            "do",
            &a,
            "contact-attempted",
            "--set",
            "party=victim",
            "--set",
            "channel=phone",
            "--set",
            "reached=false",
            "--occurred-at",
            "2026-01-07T09:00:00Z",
        ],
    )
    .await;
    ok(
        &url,
        "ants",
        &[
            "case",
            "do",
            &a,
            "declare-unreachable",
            "--set",
            "attempts=4",
            "--occurred-at",
            "2026-01-07T10:00:00Z",
        ],
    )
    .await;
    let view = show(&url, "mari", &a).await;
    assert_eq!(view["closed"], true);
    assert_eq!(view["notices"][0]["notice"], "ending");
    assert_eq!(view["notices"][0]["due_on"], "2026-01-14");

    // Unsent, it goes overdue for the regional lead, though the case is closed.
    ok(
        &url,
        "anu",
        &["timers", "run", "--now", "2026-01-15T00:00:00Z"],
    )
    .await;
    let (_, log, _) = kroonika(
        &url,
        None,
        &[
            "log",
            "--stream",
            &format!("case-{}", view["case_id"].as_str().unwrap()),
            "--format",
            "json",
        ],
    )
    .await;
    let types = crate::support::field_of_lines(&log, "type");
    assert_eq!(
        types.last().map(String::as_str),
        Some("NoticeMissed"),
        "{types:?}"
    );
    let lead: Vec<Value> =
        crate::support::json_lines(&ok(&url, "rein", &["case", "mine", "--format", "json"]).await);
    assert_eq!(lead.len(), 1, "{lead:?}");
    assert_eq!(lead[0]["reference"], a.as_str());
    assert_eq!(lead[0]["urgency"], "overdue");
    assert_eq!(lead[0]["notices"], json!(["ending"]));
    assert_eq!(
        lead[0]["why"],
        json!(["notice ending escalated to regional-lead"])
    );
    let mine = ok(&url, "mari", &["case", "mine"]).await;
    assert!(
        mine.contains(&a) && mine.contains("notice ending"),
        "{mine}"
    );
    // The case is the north's: a lead of the south does not see it, a lead
    // of the north does (rein, of no region, sees every region's).
    ok(
        &url,
        "anu",
        &["actor", "add", "kalev", "--role", "regional-lead"],
    )
    .await;
    assert_eq!(
        ok(&url, "anu", &["actor", "region", "kalev", "south"]).await,
        "region set: kalev (regional-lead, region south)\n"
    );
    assert!(
        ok(&url, "kalev", &["case", "mine"])
            .await
            .contains("nothing waits for you")
    );
    ok(&url, "anu", &["actor", "region", "kalev", "north"]).await;
    assert!(ok(&url, "kalev", &["case", "mine"]).await.contains(&a));
    let (code, _, err) = kroonika(&url, Some("anu"), &["actor", "region", "kalev", "Põhja"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("'Põhja' is not a valid region"), "{err}");
    let (code, _, err) = kroonika(&url, Some("mari"), &["actor", "region", "kalev", "east"]).await;
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = kroonika(&url, Some("anu"), &["actor", "region", "kalev"]).await;
    assert_eq!(code, 2, "{err}");

    // Over HTTP, the coordinator records it sent; bad bodies are refused by name.
    let served = crate::server::Served::start(&url, &[], &[]).await;
    let (_, token, _) = kroonika(&url, Some("anu"), &["token", "issue", "mari"]).await;
    let client = crate::server::Client::new(&served, Some(token.trim()));
    // On the case's page, in Estonian, with a form to record it sent; a
    // date the page cannot read is refused on the page, by name.
    let (browser, cookie) = crate::web::browser_for(&url, &served.base, "mari").await;
    let case_page =
        crate::web::page(&browser, &format!("{}/cases/{a}", served.base), &cookie).await;
    assert!(
        case_page.contains("Teated ja kohustused")
            && case_page.contains("Teade lepitusmenetluse lõppemisest")
            && case_page.contains("(Põhja Ringkonnaprokuratuur)")
            && case_page.contains(&format!("action=\"/cases/{a}/notices/ending\"")),
        "{case_page}"
    );
    // The lead's list in the browser names the notice too.
    crate::web::set_password_on(&url, "rein").await;
    let lead = crate::web::signed_in(&browser, &served.base, "rein").await;
    let work = crate::web::page(&browser, &format!("{}/work", served.base), &lead).await;
    assert!(
        work.contains(&a) && work.contains("tegemata: Teade lepitusmenetluse lõppemisest"),
        "{work}"
    );
    let refused = crate::web::posted(
        &browser,
        &format!("{}/cases/{a}/notices/ending", served.base),
        &cookie,
        &[
            ("csrf", crate::web::csrf_of(&case_page).as_str()),
            ("sent_on", "15.01.2026"),
        ],
    )
    .await;
    assert!(
        refused.contains("&#x27;15.01.2026&#x27; is not a date"),
        "{refused}"
    );

    let path = format!("/api/v1/cases/{a}/notices/ending");
    let bad = client.post(&path, json!({ "sent_on": "yesterday" })).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "malformed-request"),
        "{}",
        bad.text
    );
    let bad = client.post(&path, json!({ "sent": "2026-01-15" })).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "malformed-request"),
        "{}",
        bad.text
    );
    let long = client
        .post(&path, json!({ "reference": "x".repeat(201) }))
        .await;
    assert_eq!(long.status.as_u16(), 422, "{}", long.text);
    assert!(
        long.text.contains("at most 200 characters"),
        "{}",
        long.text
    );
    let sent = client
        .post(
            &path,
            json!({ "sent_on": "2026-01-15", "reference": "SKA 7-1/102" }),
        )
        .await;
    assert_eq!(sent.status.as_u16(), 200, "{}", sent.text);
    let again = client.post(&path, json!({})).await;
    assert_eq!(again.status.as_u16(), 422, "{}", again.text);
    let case = client.get(&format!("/api/v1/cases/{a}")).await;
    assert_eq!(case.json["notices"], json!([]), "{}", case.text);
    drop(served);

    assert!(
        ok(&url, "rein", &["case", "mine"])
            .await
            .contains("nothing waits for you"),
        "sent: off the lead's list"
    );
    // The report counts each notice made due, met or missed (the figures of
    // so few cases are suppressed; the rows are there, titled).
    let report: Value = serde_json::from_str(
        &ok(&url, "tiina", &["report", "mediation", "--format", "json"]).await,
    )
    .unwrap();
    let rows: Vec<&str> = report["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["notice"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        ["mediator-appointed", "ending", "feedback"],
        "{report}"
    );
    assert_eq!(
        report["notices"][1]["title"],
        "Notice of how the conciliation ended"
    );

    // Replayed against the rules, the notices conform.
    crate::support::conforms(&url).await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
