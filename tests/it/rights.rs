//! A person's rights over their data, and the administrator's and auditor's
//! tools, on a scripted history of the bundled mediation process:
//!
//! | case | what                                                                   |
//! |------|------------------------------------------------------------------------|
//! | A    | victim Kadri Kask (+372 5555 0101), offender Mart Tamm, opened 2026-01-05 |
//! |      | screened, ants assigned; ants reveals (purpose), jaan is refused        |
//! |      | mari corrects the victim's contact, answering request SKA-2026/17       |
//! | B    | victim Kadri Kask (+372 5555 0303), offender Peeter Puu, opened 2026-02-02 |
//! |      | after the first export, the victim is erased on the person's request   |

use kroonika_tests::Backend;
use serde_json::Value;

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(
    a_person_gets_everything_held_about_them,
    deactivated_actors_can_do_nothing,
    the_trail_filters_by_either_time_and_pages
);

/// The store with the mediation process and its people.
async fn setup(backend: Backend) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    let people = [
        ("aino", "auditor"),
        ("mari", "coordinator"),
        ("ants", "mediator"),
        ("jaan", "mediator"),
    ];
    crate::support::bundled_store(backend, &["mediation"], &people).await
}

/// Opens a mediation case for victim Kadri Kask: its reference.
async fn open(url: &str, phone: &str, offender: &str, at: &str) -> String {
    let sets = [
        "track=conciliation".to_owned(),
        "region=south".to_owned(),
        "referral_document=Lõuna RP määrus nr 22-4567".to_owned(),
        "referral_source=prosecutor".to_owned(),
        "legal_basis=krms-203-1".to_owned(),
        format!("received_on={}", &at[..10]),
        "minor_involved=false".to_owned(),
        "domestic_violence=false".to_owned(),
        "sexual_offence=false".to_owned(),
        "victim_name=Kadri Kask".to_owned(),
        format!("victim_contact={phone}"),
        format!("offender_name={offender}"),
    ];
    let mut args = vec!["case", "open", "mediation", "--occurred-at", at];
    for set in &sets {
        args.extend(["--set", set.as_str()]);
    }
    let out = ok(url, "mari", &args).await;
    out.split_whitespace().nth(1).unwrap().to_owned()
}

async fn export(url: &str, actor: &str, args: &[&str]) -> Value {
    let mut all = vec!["subject", "access"];
    all.extend(args);
    serde_json::from_str(&ok(url, actor, &all).await).unwrap()
}

fn fields(shown: &Value) -> Vec<(String, String)> {
    shown
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_person_gets_everything_held_about_them(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let url = url.as_str();
    let a = open(url, "+372 5555 0101", "Mart Tamm", "2026-01-05T09:00:00Z").await;
    let b = open(url, "+372 5555 0303", "Peeter Puu", "2026-02-02T09:00:00Z").await;
    for (step, sets) in [
        ("start-screening", vec![]),
        ("declare-eligible", vec!["risk_assessment_required=false"]),
        ("assign", vec!["mediators=ants"]),
    ] {
        let mut args = vec!["case", "do", a.as_str(), step];
        for set in &sets {
            args.extend(["--set", set]);
        }
        ok(url, "mari", &args).await;
    }
    let purpose = "calling the victim to arrange a meeting";
    ok(
        url,
        "ants",
        &["case", "show", &a, "--reveal", "--purpose", purpose],
    )
    .await;
    let (code, _, err) = kroonika(
        url,
        Some("jaan"),
        &["case", "show", &a, "--reveal", "--purpose", "curious"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    ok(
        url,
        "mari",
        &[
            "case",
            "update",
            &a,
            "--set",
            "victim_contact=+372 5555 0202",
            "--reason",
            "the person gave a new number",
            "--request",
            "SKA-2026/17",
        ],
    )
    .await;

    // A mediator may not export; the refusal is recorded. No purpose: usage.
    let (code, _, err) = kroonika(
        url,
        Some("ants"),
        &[
            "subject",
            "access",
            "--name",
            "Kadri Kask",
            "--purpose",
            "x",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("may not export a data subject's data"),
        "{err}"
    );
    let (code, _, _) = kroonika(
        url,
        Some("mari"),
        &["subject", "access", "--name", "Kadri Kask"],
    )
    .await;
    assert_eq!(code, 2);

    // Bad input: each named, nothing recorded.
    for (args, said) in [
        (
            vec!["nonsense"],
            "'nonsense' is neither a subject id nor CASE/NAME",
        ),
        (vec!["--name", "!!!"], "it has no letters or digits"),
        (
            vec!["--name", "Nobody Here"],
            "no case holds data of this person",
        ),
        (vec![], "say whose data"),
        (
            vec!["0193a7c2-0000-7000-8000-000000000000"],
            "holds personal data here",
        ),
    ] {
        let mut all = vec!["subject", "access", "--purpose", "request"];
        all.extend(args.iter().copied());
        let (code, _, err) = kroonika(url, Some("mari"), &all).await;
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(said), "{args:?}: {err}");
    }

    // Both cases, found by name, field by field.
    let first = export(
        url,
        "mari",
        &[
            "--name",
            "kask kadri",
            "--purpose",
            "her request SKA-2026/17",
        ],
    )
    .await;
    assert_eq!(first["found_by"], serde_json::json!(["name"]));
    let cases = first["cases"].as_array().unwrap();
    let references: Vec<&str> = cases
        .iter()
        .map(|c| c["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, [a.as_str(), b.as_str()]);
    let case_a = &cases[0];
    assert_eq!(case_a["subject"], "victim");
    assert_eq!(case_a["subject_title"], "Kannatanu", "Estonian by default");
    assert_eq!(
        fields(&case_a["personal_data"]),
        [
            ("victim_name".to_owned(), "Kadri Kask".to_owned()),
            ("victim_contact".to_owned(), "+372 5555 0202".to_owned()),
        ]
    );
    let facts = fields(&case_a["facts"]);
    assert!(
        facts.contains(&(
            "track".to_owned(),
            "Lepitusmenetlus (KrMS § 203¹)".to_owned()
        )),
        "{facts:?}"
    );
    assert!(facts.iter().all(|(f, _)| f != "offender_name"), "{facts:?}");
    assert_eq!(case_a["state"], "assigned");
    assert_eq!(case_a["opened_at"], "2026-01-05T09:00:00Z");
    assert_eq!(case_a["closed"], false);
    assert_eq!(case_a["retention_until"], Value::Null);
    let corrections = case_a["corrections"].as_array().unwrap();
    assert_eq!(corrections.len(), 1);
    assert_eq!(corrections[0]["by"], "mari");
    assert_eq!(corrections[0]["request"], "SKA-2026/17");
    assert_eq!(corrections[0]["personal"], true);
    assert_eq!(corrections[0]["reason"], "the person gave a new number");
    let history: Vec<&str> = case_a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["what"].as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 5, "{history:?}");
    assert!(history[0].starts_with("avas juhtumi"), "{history:?}");
    assert!(history[4].starts_with("parandas:"), "{history:?}");
    // The other party's data is nowhere in it.
    let text = first.to_string();
    for other in ["Mart Tamm", "Peeter Puu"] {
        assert!(!text.contains(other), "{other} in the victim's export");
    }
    // Who has seen it: the reveal with its purpose and role, the refusal, the
    // export itself.
    let access: Vec<(String, String, String, String)> = first["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_owned(),
                r["roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(","),
                r["what"].as_str().unwrap().to_owned(),
                r["case"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let row = |actor: &str, role: &str, what: &str, case: &str| {
        (
            actor.to_owned(),
            role.to_owned(),
            what.to_owned(),
            case.to_owned(),
        )
    };
    assert_eq!(
        access,
        [
            row("ants", "mediator", "revealed", &a),
            row("jaan", "mediator", "refused", &a),
            row("ants", "mediator", "refused", &a),
            row("mari", "coordinator", "exported", &a),
            row("mari", "coordinator", "exported", &b),
        ]
    );
    assert_eq!(first["access"][0]["purpose"], purpose);

    // The export is in the access log, with its purpose.
    let (_, log, _) = kroonika(
        url,
        Some("aino"),
        &[
            "audit",
            "access",
            "--subject",
            &format!("{a}/victim"),
            "--format",
            "json",
        ],
    )
    .await;
    let rows = crate::support::json_lines(&log);
    let last = rows.last().unwrap();
    assert_eq!(
        (last["actor"].as_str(), last["what"].as_str()),
        (Some("mari"), Some("exported"))
    );
    assert_eq!(last["purpose_or_reason"], "her request SKA-2026/17");
    assert_eq!(last["roles"], serde_json::json!(["coordinator"]));

    // The same over HTTP, for those who may; the name in the body.
    let token = |name: &'static str| async move {
        let (code, out, err) = kroonika(url, Some("anu"), &["token", "issue", name]).await;
        assert_eq!(code, 0, "{err}");
        out.trim().to_owned()
    };
    let served = crate::server::Served::start(url, &[], &[]).await;
    let mari = crate::server::Client::new(&served, Some(&token("mari").await));
    let body = serde_json::json!({"name": "Kadri Kask", "purpose": "her request by e-mail"});
    let answered = mari.post("/api/v1/subjects/access", body.clone()).await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    assert_eq!(answered.json["cases"].as_array().unwrap().len(), 2);
    assert_eq!(answered.headers["cache-control"], "no-store");
    let mut html = body.clone();
    html["format"] = "html".into();
    html["lang"] = "en".into();
    let page = mari.post("/api/v1/subjects/access", html).await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("Who has seen your data"));
    let ants = crate::server::Client::new(&served, Some(&token("ants").await));
    assert_eq!(
        ants.post("/api/v1/subjects/access", body.clone())
            .await
            .status,
        403
    );
    let nobody = crate::server::Client::new(&served, None);
    assert_eq!(
        nobody
            .post("/api/v1/subjects/access", body.clone())
            .await
            .status,
        401
    );
    for bad in [
        serde_json::json!({"name": "Kadri Kask"}),
        serde_json::json!({"name": "Kadri Kask", "purpose": "x", "lang": "ru"}),
        serde_json::json!({"name": "Kadri Kask", "purpose": "x", "format": "pdf"}),
    ] {
        assert_eq!(
            mari.post("/api/v1/subjects/access", bad.clone())
                .await
                .status,
            400,
            "{bad}"
        );
    }
    drop(served);

    // Erased on the person's request: found by name no more; by CASE/NAME,
    // the export says when, and no output holds the plaintext.
    ok(
        url,
        "anu",
        &[
            "subject",
            "forget",
            &format!("{b}/victim"),
            "--reason",
            "the person's request SKA-2026/18",
        ],
    )
    .await;
    let again = export(
        url,
        "mari",
        &["--name", "Kadri Kask", "--purpose", "second request"],
    )
    .await;
    assert_eq!(again["cases"].as_array().unwrap().len(), 1);
    let erased = export(
        url,
        "anu",
        &[&format!("{b}/victim"), "--purpose", "erasure confirmation"],
    )
    .await;
    let case_b = &erased["cases"][0];
    assert_eq!(
        case_b["erased"]["reason"],
        "the person's request SKA-2026/18"
    );
    assert_eq!(case_b["erased"]["by"], "anu");
    assert!(
        case_b["personal_data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["text"] == "[erased]"),
        "{case_b}"
    );
    let html = ok(
        url,
        "anu",
        &[
            "--lang",
            "en",
            "subject",
            "access",
            &format!("{b}/victim"),
            "--purpose",
            "for the person",
            "--format",
            "html",
        ],
    )
    .await;
    assert!(
        html.contains("Your personal data in this case was erased on"),
        "{html}"
    );
    let (_, shown, _) = kroonika(
        url,
        Some("mari"),
        &["case", "show", &b, "--reveal", "--purpose", "check"],
    )
    .await;
    let (_, log, _) = kroonika(url, None, &["log", "--format", "json"]).await;
    for output in [erased.to_string(), html.clone(), shown, log] {
        assert!(
            !output.contains("5555 0303"),
            "the erased contact in an output"
        );
    }
    assert!(!erased.to_string().contains("Kadri"));
    assert!(!html.contains("Kadri"));
    // The person's page parses and is in English when asked.
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .unwrap();
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

async fn deactivated_actors_can_do_nothing(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let url = url.as_str();
    // A role no definition declares is a typo until forced.
    let (code, _, err) = kroonika(
        url,
        Some("anu"),
        &["actor", "add", "uku", "--role", "wizard"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("no published definition declares role 'wizard'"),
        "{err}"
    );
    ok(
        url,
        "anu",
        &["actor", "add", "uku", "--role", "wizard", "--force"],
    )
    .await;
    let (code, _, _) = kroonika(url, Some("anu"), &["actor", "grant", "jaan", "wizzard"]).await;
    assert_eq!(code, 1);

    let (code, token, err) = kroonika(url, Some("anu"), &["token", "issue", "jaan"]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let case = open(url, "+372 5555 0101", "Mart Tamm", "2026-01-05T09:00:00Z").await;
    let (code, _, err) = kroonika(
        url,
        Some("anu"),
        &["actor", "deactivate", "anu", "--reason", "x"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    let said = ok(
        url,
        "anu",
        &[
            "actor",
            "deactivate",
            "jaan",
            "--reason",
            "left the service",
        ],
    )
    .await;
    assert_eq!(
        said,
        "deactivated: jaan (mediator, deactivated)\nrevoked 1 token(s); their sessions have ended\n"
    );
    for args in [
        vec!["case", "list"],
        vec!["case", "show", case.as_str()],
        vec!["case", "mine"],
        vec!["log"],
    ] {
        let (code, _, err) = kroonika(url, Some("jaan"), &args).await;
        assert_eq!(code, 1, "{args:?}");
        assert!(
            err.contains("actor 'jaan' is deactivated (left the service)"),
            "{args:?}: {err}"
        );
    }
    // Nobody can name them on a case.
    for (step, sets) in [
        ("start-screening", None),
        ("declare-eligible", Some("risk_assessment_required=false")),
    ] {
        let mut args = vec!["case", "do", case.as_str(), step];
        if let Some(set) = sets {
            args.extend(["--set", set]);
        }
        ok(url, "mari", &args).await;
    }
    let (code, _, err) = kroonika(
        url,
        Some("mari"),
        &["case", "do", &case, "assign", "--set", "mediators=jaan"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("actor 'jaan' is deactivated"), "{err}");
    // Their refusals are recorded; the list shows them deactivated.
    let (_, log, _) = kroonika(
        url,
        Some("aino"),
        &["audit", "access", "--by", "jaan", "--format", "json"],
    )
    .await;
    assert!(
        crate::support::json_lines(&log)
            .iter()
            .all(|r| r["what"] == "refused")
    );
    assert!(!log.is_empty());
    let list =
        crate::support::json_lines(&ok(url, "anu", &["actor", "list", "--format", "json"]).await);
    let jaan = list.iter().find(|a| a["name"] == "jaan").unwrap();
    assert_eq!(
        (jaan["active"].as_bool(), jaan["deactivated"].as_str()),
        (Some(false), Some("left the service"))
    );
    let mari = list.iter().find(|a| a["name"] == "mari").unwrap();
    assert!(mari["last_active"].is_string(), "{mari}");
    let uku = list.iter().find(|a| a["name"] == "uku").unwrap();
    assert_eq!(uku["last_active"], Value::Null);

    // Over HTTP: their token was revoked.
    let served = crate::server::Served::start(url, &[], &[]).await;
    let jaan_http = crate::server::Client::new(&served, Some(&token));
    assert_eq!(jaan_http.get("/api/v1/cases").await.status, 401);
    // Reactivated: their roles are back, the old token is not.
    ok(url, "anu", &["actor", "reactivate", "jaan"]).await;
    ok(url, "jaan", &["case", "list"]).await;
    assert_eq!(jaan_http.get("/api/v1/cases").await.status, 401);
    // The trail says who did it, and why.
    let (_, trail, _) = kroonika(
        url,
        Some("aino"),
        &["audit", "trail", "--by", "anu", "--format", "json"],
    )
    .await;
    let said: Vec<String> = crate::support::json_lines(&trail)
        .iter()
        .map(|r| r["what"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        said.contains(&"deactivated jaan: left the service".to_owned()),
        "{said:?}"
    );
    assert!(said.contains(&"reactivated jaan".to_owned()), "{said:?}");
    // And the replay agrees every act followed the rules.
    ok(url, "aino", &["audit", "verify"]).await;
    drop(served);
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

async fn the_trail_filters_by_either_time_and_pages(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let url = url.as_str();
    // Backdated: happened in January, recorded today.
    let case = open(url, "+372 5555 0101", "Mart Tamm", "2026-01-05T09:00:00Z").await;
    ok(
        url,
        "mari",
        &[
            "case",
            "do",
            &case,
            "start-screening",
            "--occurred-at",
            "2026-01-06T10:00:00Z",
        ],
    )
    .await;
    let trail = |args: &'static [&'static str]| async move {
        let mut all = vec!["audit", "trail", "--by", "mari", "--format", "json"];
        all.extend(args);
        crate::support::json_lines(&ok(url, "aino", &all).await)
    };
    let happened = trail(&[
        "--time",
        "occurred",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
    ])
    .await;
    let what: Vec<&str> = happened
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert!(what.iter().any(|w| w.starts_with("opened")), "{what:?}");
    let step = happened.last().unwrap();
    assert_eq!(step["occurred_at"], "2026-01-06T10:00:00Z", "{what:?}");
    assert_ne!(step["recorded_at"], step["occurred_at"]);
    assert!(
        trail(&["--to", "2026-01-31"]).await.is_empty(),
        "recorded today, not in January"
    );
    assert!(
        trail(&["--time", "occurred", "--from", "2026-01-06"])
            .await
            .len()
            == 1
    );

    // A page, with the total said beside the table.
    let all =
        crate::support::json_lines(&ok(url, "aino", &["audit", "trail", "--format", "json"]).await)
            .len();
    let (_, page, _) = kroonika(
        url,
        Some("aino"),
        &["audit", "trail", "--limit", "2", "--offset", "1"],
    )
    .await;
    assert!(
        page.contains(&format!("acts 2 to 3 of {all} (--offset 3 for the next)")),
        "{page}"
    );
    assert!(
        page.contains("happened (UTC)") && page.contains("recorded (UTC)"),
        "{page}"
    );
    // The summary: counts by actor and kind of act.
    let summary = crate::support::json_lines(
        &ok(
            url,
            "aino",
            &[
                "audit",
                "trail",
                "--by",
                "mari",
                "--summary",
                "--format",
                "json",
            ],
        )
        .await,
    );
    let counts: Vec<(String, u64)> = summary
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(counts.contains(&("CaseOpened".to_owned(), 1)), "{counts:?}");
    assert!(
        counts.contains(&("step start-screening".to_owned(), 1)),
        "{counts:?}"
    );
    let (code, _, _) = kroonika(
        url,
        Some("aino"),
        &["audit", "trail", "--summary", "--limit", "3"],
    )
    .await;
    assert_eq!(code, 2);
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
