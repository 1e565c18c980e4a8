//! Documents from the case, on the bundled mediation process, through the CLI
//! and over HTTP on both backends: the information sheet (no names, so no
//! reading recorded) before the parties are contacted; the agreement, with the
//! minor's legal representative and a co-accused listed as a further party
//! among the signatories, in Estonian, Russian
//! and English (snapshots); the report to the prosecutor's office. Each
//! production is in the case's history with its template's hash and in the
//! access log where it printed names; who may not produce one is refused and
//! the refusal recorded; a language, an addressee or a document the
//! definition does not have is refused by name; the history still conforms.

use kroonika_tests::Backend;
use serde_json::{Value, json};

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(documents_are_produced_recorded_and_logged);

async fn setup(backend: Backend) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    let people = [
        ("mari", "coordinator"),
        ("ants", "mediator"),
        ("peeter", "mediator"),
        ("rein", "regional-lead"),
    ];
    crate::support::bundled_store(backend, &["partners", "mediation"], &people).await
}

async fn step(url: &str, actor: &str, case: &str, step: &str, sets: &[&str]) {
    let mut args = vec!["case", "do", case, step];
    for set in sets {
        args.extend(["--set", set]);
    }
    ok(url, actor, &args).await;
}

/// A conciliation with a minor victim and her mother as legal
/// representative, and a co-accused listed as a further party, referred by
/// the northern prosecutor's office, in contacting with ants: its reference.
async fn assigned(url: &str) -> String {
    let sets = [
        "track=conciliation",
        "region=north",
        "referral_document=Põhja RP määrus 05.01.2026 nr 22-1",
        "referral_source=prosecutor",
        "referred_by=pohja-prokuratuur",
        "legal_basis=krms-203-1",
        "received_on=2026-01-05",
        "offence_codes=KarS 121",
        "minor_involved=true",
        "minor_party=victim",
        "domestic_violence=false",
        "sexual_offence=false",
        "victim_name=Kadri Kask",
        "offender_name=Mart <Tamm>",
        "representative_name=Liis Kask",
        r#"parties={"role": "offender", "name": "Jaan Jõgi"}"#,
    ];
    let mut args = vec![
        "case",
        "open",
        "mediation",
        "--occurred-at",
        "2026-01-05T09:00:00Z",
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    let out = ok(url, "mari", &args).await;
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    step(url, "mari", &case, "start-screening", &[]).await;
    let eligible = ["risk_assessment_required=false"];
    step(url, "mari", &case, "declare-eligible", &eligible).await;
    step(url, "mari", &case, "assign", &["mediators=ants"]).await;
    case
}

/// Takes the case from assigned to an agreement signed by both parties
/// and the representative.
async fn agreed(url: &str, case: &str) {
    let reached = ["party=victim", "channel=phone", "reached=true"];
    step(url, "ants", case, "contact-attempted", &reached).await;
    let met = ["party=victim", "format=in-person"];
    step(url, "ants", case, "preparatory-meeting-held", &met).await;
    for task in [
        "information-provided",
        "victim-consent",
        "offender-consent",
        "legal-representative-consent",
        "facts-acknowledged",
        "data-sharing-consent",
    ] {
        ok(url, "ants", &["case", "task", case, task]).await;
    }
    // The co-accused consents in his own right.
    step(
        url,
        "ants",
        case,
        "record-party-consent",
        &["consented_parties=parties-1"],
    )
    .await;
    step(url, "ants", case, "clear-for-dialogue", &[]).await;
    let held = ["format=face-to-face", "participants=4"];
    step(url, "ants", case, "dialogue-held", &held).await;
    let signed = [
        "agreement_terms=apology,monetary",
        "terms_due_on=2026-04-30",
        "signed_by=victim,offender,legal-representative",
        "signed_parties=parties-1",
    ];
    step(url, "ants", case, "agreement-signed", &signed).await;
}

/// The page with the day it was produced written as `[today]`.
fn dated(html: &str) -> String {
    let today = chrono::Utc::now()
        .date_naive()
        .format("%d.%m.%Y")
        .to_string();
    html.replace(&today, "[today]")
}

/// The case's events of `kind`, as JSON lines' data.
async fn events(url: &str, case: &str, kind: &str) -> Vec<Value> {
    let view: Value =
        serde_json::from_str(&ok(url, "mari", &["case", "show", case, "--format", "json"]).await)
            .unwrap();
    let stream = format!("case-{}", view["case_id"].as_str().unwrap());
    let (_, log, _) = kroonika(url, None, &["log", "--stream", &stream, "--format", "json"]).await;
    crate::support::json_lines(&log)
        .into_iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["data"].clone())
        .collect()
}

/// The access records of `actor`, as JSON lines.
async fn access(url: &str, actor: &str) -> Vec<Value> {
    let stream = format!("access-{actor}");
    let (_, log, _) = kroonika(url, None, &["log", "--stream", &stream, "--format", "json"]).await;
    crate::support::json_lines(&log)
}

async fn documents_are_produced_recorded_and_logged(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = assigned(&url).await;

    // Before the parties are contacted: the information sheet, which names
    // nobody, so nothing is read in the clear.
    let sheet = ok(
        &url,
        "ants",
        &[
            "case",
            "document",
            &case,
            "information",
            "--to",
            "representative",
        ],
    )
    .await;
    assert!(
        sheet.starts_with("<!doctype html>\n<html lang=\"et\">")
            && sheet.contains("<p>Alaealise seaduslik esindaja · juhtum LE-2026-0001</p>")
            && sheet.contains("kuni prokuratuuri või kohtu otsuseni")
            && !sheet.contains("Kadri"),
        "{sheet}"
    );
    assert!(access(&url, "ants").await.is_empty());
    // The agreement is not yet to be had; nor is a language it is not in.
    let (code, _, err) = kroonika(
        &url,
        Some("ants"),
        &["case", "document", &case, "agreement"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("document 'agreement' is produced in agreement-reached, reporting, awaiting-authority-decision, monitoring; case LE-2026-0001 is in 'assigned'"),
        "{err}"
    );

    agreed(&url, &case).await;
    let mut pages = Vec::new();
    for language in ["et", "ru", "en"] {
        let page = ok(
            &url,
            "ants",
            &[
                "case",
                "document",
                &case,
                "agreement",
                "--language",
                language,
                "--to",
                "victim",
            ],
        )
        .await;
        insta::assert_snapshot!(format!("agreement_{language}"), dated(&page));
        pages.push(page);
    }
    // Names are escaped: the offender's name came with angle brackets.
    assert!(pages[0].contains("Mart &lt;Tamm&gt;") && !pages[0].contains("<Tamm>"));

    // Recorded in the case: which document, language, for whom, which template.
    let produced = events(&url, &case, "DocumentProduced").await;
    assert_eq!(produced.len(), 4, "{produced:?}");
    assert_eq!(
        produced[0],
        json!({
            "document": "information", "language": "et", "to": "representative",
            "template": produced[0]["template"].clone()
        })
    );
    assert_eq!(produced[2]["language"], "ru");
    assert!(
        produced[1]["template"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
            && produced[1]["template"] != produced[2]["template"],
        "each language is its own template: {produced:?}"
    );
    // And in the access log: the agreement printed three people's names.
    let read = access(&url, "ants").await;
    assert_eq!(read.len(), 3, "{read:?}");
    assert_eq!(read[0]["type"], "PersonalDataRevealed");
    assert_eq!(read[0]["data"]["purpose"], "document agreement (et)");
    assert_eq!(
        read[0]["data"]["subjects"],
        json!(["offender", "parties-1", "representative", "victim"])
    );

    // The report to the prosecutor's office is the coordinator's: a mediator
    // is refused, and the refusal recorded.
    let (code, _, err) = kroonika(
        &url,
        Some("ants"),
        &["case", "document", &case, "report", "--to", "referred_by"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("may not produce document 'report': it needs coordinator"),
        "{err}"
    );
    let read = access(&url, "ants").await;
    assert_eq!(read.last().unwrap()["type"], "PermissionDenied");
    // A mediator not on the case may not print its agreement.
    let (code, _, err) = kroonika(
        &url,
        Some("peeter"),
        &["case", "document", &case, "agreement"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("mediator@mediators"), "{err}");
    // What the definition does not have is refused by name.
    for (args, said) in [
        (
            vec!["--language", "de"],
            "document 'agreement' is not written in 'de'; it is written in en, et, ru",
        ),
        (
            vec!["--to", "prosecutor"],
            "document 'agreement' is not addressed to 'prosecutor'; it may be addressed to victim, offender, representative",
        ),
    ] {
        let mut all = vec!["case", "document", &case, "agreement"];
        all.extend(args);
        let (code, _, err) = kroonika(&url, Some("mari"), &all).await;
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(said), "{err}");
    }
    let (code, _, err) =
        kroonika(&url, Some("mari"), &["case", "document", &case, "receipt"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("has no document 'receipt'; its documents: agreement, report, information"),
        "{err}"
    );

    // Written to a file, whole.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aruanne.html");
    let out = ok(
        &url,
        "mari",
        &[
            "case",
            "document",
            &case,
            "report",
            "--to",
            "referred_by",
            "--out",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.contains("report (et) written to"), "{out}");
    let report = std::fs::read_to_string(&file).unwrap();
    assert!(
        report.contains("<p>Põhja Ringkonnaprokuratuur<br>Teie määrus või suunamisdokument: Põhja RP määrus 05.01.2026 nr 22-1</p>")
            && report.contains("<tr><th>Lepitaja</th><td>ants</td></tr>")
            && report.contains("<li>Kahju heastamine rahas</li>"),
        "{report}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // A path that cannot be written is refused before anything is produced.
    let before = events(&url, &case, "DocumentProduced").await.len();
    let nowhere = dir.path().join("no-such-folder").join("aruanne.html");
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "document",
            &case,
            "report",
            "--out",
            nowhere.to_str().unwrap(),
        ],
    )
    .await;
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("no-such-folder"), "{err}");
    assert_eq!(events(&url, &case, "DocumentProduced").await.len(), before);

    // Over HTTP: which documents the caller may produce, and one produced.
    let served = crate::server::Served::start(&url, &[], &[]).await;
    let (_, token, _) = kroonika(&url, Some("anu"), &["token", "issue", "mari"]).await;
    let client = crate::server::Client::new(&served, Some(token.trim()));
    let offers = client
        .get(&format!("/api/v1/cases/{case}/documents?lang=en"))
        .await;
    assert_eq!(offers.status.as_u16(), 200, "{}", offers.text);
    assert_eq!(offers.json[0]["id"], "agreement");
    assert_eq!(offers.json[0]["title"], "Mediation agreement");
    assert_eq!(offers.json[0]["languages"], json!(["en", "et", "ru"]));
    assert_eq!(offers.json[1]["id"], "report");
    assert_eq!(offers.json.as_array().unwrap().len(), 2, "{}", offers.text);
    let path = format!("/api/v1/cases/{case}/documents/report");
    let page = client
        .post(&path, json!({ "language": "en", "to": "referred_by" }))
        .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert_eq!(
        page.headers["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    assert_eq!(
        page.headers["content-disposition"].to_str().unwrap(),
        "inline; filename=\"LE-2026-0001-report-en.html\""
    );
    assert!(page.text.contains("<h1>Report to the authority</h1>"));
    let bad = client.post(&path, json!({ "lang": "en" })).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "malformed-request"),
        "{}",
        bad.text
    );
    let bad = client.post(&path, json!({ "language": "fi" })).await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.text);
    // On the case's page, a form for each document; posted, the page itself.
    let (browser, cookie) = crate::web::browser_for(&url, &served.base, "mari").await;
    let case_page =
        crate::web::page(&browser, &format!("{}/cases/{case}", served.base), &cookie).await;
    assert!(
        case_page.contains("<h2 id=\"documents-h\">Dokumendid</h2>")
            && case_page.contains(&format!(
                "action=\"/cases/{case}/documents/agreement\" class=\"inline\" target=\"_blank\""
            ))
            && case_page.contains("<option value=\"ru\">vene</option>"),
        "{case_page}"
    );
    let printed = crate::web::posted(
        &browser,
        &format!("{}/cases/{case}/documents/agreement", served.base),
        &cookie,
        &[
            ("csrf", crate::web::csrf_of(&case_page).as_str()),
            ("language", "et"),
            ("to", "offender"),
        ],
    )
    .await;
    assert!(
        printed.contains("<h1>Lepituskokkulepe</h1>") && printed.contains("Liis Kask"),
        "{printed}"
    );
    let refused = crate::web::posted(
        &browser,
        &format!("{}/cases/{case}/documents/agreement", served.base),
        &cookie,
        &[
            ("csrf", crate::web::csrf_of(&case_page).as_str()),
            ("language", "fi"),
        ],
    )
    .await;
    assert!(
        refused.contains(
            "role=\"alert\">document &#x27;agreement&#x27; is not written in &#x27;fi&#x27;"
        ),
        "{refused}"
    );

    let (_, token, _) = kroonika(&url, Some("anu"), &["token", "issue", "peeter"]).await;
    let stranger = crate::server::Client::new(&served, Some(token.trim()));
    let denied = stranger.post(&path, json!({})).await;
    assert_eq!(denied.status.as_u16(), 403, "{}", denied.text);
    drop(served);

    // Replayed against the rules, the productions conform.
    crate::support::conforms(&url).await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
