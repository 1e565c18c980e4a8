//! Several parties in one case, on the bundled mediation process, through
//! the CLI, the web and the HTTP API on both backends: a school conflict with a second
//! pupil (a minor) and a teacher listed beside the two the referral names;
//! the minor's mother added on the case's page as her representative. Each
//! person listed is a data subject of their own: masked until revealed,
//! found by their own name or phone, exported alone, erased alone (the
//! others still read), addressed a document of their own. Bad people are
//! refused by name; the history conforms. And in a real browser: a
//! representative added on the case's page, masked, then revealed.

use kroonika_tests::Backend;
use serde_json::Value;

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(each_party_is_a_data_subject_of_their_own);

/// In a real browser (Debian's Chromium, driven by `e2e/parties_flow.py`):
/// the coordinator lists a pupil's mother as her representative on the
/// case's page, and the class teacher on a row folded away; afterwards the
/// case holds both, sealed, the mother representing the pupil.
#[tokio::test]
async fn several_people_are_listed_in_the_browser() {
    let Some(python) = crate::web::e2e_python() else {
        return;
    };
    let (url, _dir, _) = crate::support::bundled_store(
        Backend::Sqlite,
        &["partners", "mediation"],
        &[("mari", "coordinator")],
    )
    .await;
    crate::web::set_password_on(&url, "mari").await;
    let pupil = format!(r#"parties={{"role": "victim", "name": "{PUPIL}", "minor": true}}"#);
    let out = ok(&url, "mari", &school_conflict(&[&pupil])).await;
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    let served = crate::server::Served::start(&url, &[], &[]).await;
    let base = served.base.clone();
    let (flow_case, flow_python) = (case.clone(), python.clone());
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(flow_python)
            .arg("e2e/parties_flow.py")
            .env("KROONIKA_BASE", base)
            .env("KROONIKA_PASSWORD", crate::web::PASSWORD)
            .env("KROONIKA_CASE", flow_case)
            .env("KROONIKA_PUPIL", PUPIL)
            .env("KROONIKA_MOTHER", MOTHER)
            .env("KROONIKA_TEACHER", TEACHER)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let log = served.stop().await;
    assert!(
        run.status.success(),
        "the browser run failed:\n{}\n{}\nthe server's log:\n{log}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let said: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        said["checked"],
        serde_json::json!(["listed", "refused", "added", "revealed"])
    );
    let view = show(&url, &case, true).await;
    assert_eq!(
        names(&view),
        [
            ("parties-1".to_owned(), PUPIL.to_owned()),
            ("parties-2".to_owned(), MOTHER.to_owned()),
            ("parties-3".to_owned(), TEACHER.to_owned())
        ]
    );
    assert_eq!(view["data"]["parties"][1]["represents"], "parties-1");
    crate::support::conforms(&url).await;
}

const PUPIL: &str = "Kristjan Kuusk";
const PHONE: &str = "+372 5123 4567";
const TEACHER: &str = "Tiina Tamm";
const MOTHER: &str = "Malle Kuusk";

/// `case open mediation` for a school conflict in the south (a minor
/// involved), with each of `sets` (`parties=…`) given too.
pub(crate) fn school_conflict<'a>(sets: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["case", "open", "mediation"];
    for set in [
        "track=rj-service",
        "region=south",
        "referral_source=school",
        "legal_basis=oas",
        "received_on=2026-11-20",
        "minor_involved=true",
        "domestic_violence=false",
        "sexual_offence=false",
        "victim_name=Mia Mets",
        "offender_name=Oskar Oja",
    ]
    .into_iter()
    .chain(sets.iter().copied())
    {
        args.extend(["--set", set]);
    }
    args
}

async fn show(url: &str, case: &str, reveal: bool) -> Value {
    let mut args = vec!["case", "show", case, "--format", "json"];
    if reveal {
        args.extend(["--reveal", "--purpose", "preparing the conference"]);
    }
    serde_json::from_str(&ok(url, "mari", &args).await).unwrap()
}

fn names(view: &Value) -> Vec<(String, String)> {
    view["data"]["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn each_party_is_a_data_subject_of_their_own(backend: Backend) {
    let people = [
        ("mari", "coordinator"),
        ("ants", "mediator"),
        ("helen", "mediator"),
    ];
    let (url, _dir, pg) =
        crate::support::bundled_store(backend, &["partners", "mediation"], &people).await;
    let pupil =
        format!(r#"{{"role": "victim", "name": "{PUPIL}", "contact": "{PHONE}", "minor": true}}"#);
    let teacher = format!(r#"{{"role": "participant", "name": "{TEACHER}"}}"#);

    // Refused by name, and nothing opened: a role the field does not have,
    // a key a person does not have, someone represented who is not listed.
    for (bad, said) in [
        (
            r#"parties={"role": "judge", "name": "X"}"#,
            "person 1 of field 'parties': role must be one of victim, offender, participant, representative, got 'judge'",
        ),
        (
            r#"parties={"role": "victim", "name": "X", "age": 12}"#,
            "person 1 of field 'parties' has no key 'age'",
        ),
        (
            r#"parties={"role": "representative", "name": "X", "represents": "parties-4"}"#,
            "represents 'parties-4', who is not someone else on the list",
        ),
        (
            r#"parties=Kristjan"#,
            "field 'parties' takes each person as JSON",
        ),
    ] {
        let (code, _, err) = kroonika(&url, Some("mari"), &school_conflict(&[bad])).await;
        assert_eq!(code, 1, "{bad}: {err}");
        assert!(err.contains(said), "{bad}: {err}");
    }
    let (pupil_set, teacher_set) = (format!("parties={pupil}"), format!("parties={teacher}"));
    let out = ok(&url, "mari", &school_conflict(&[&pupil_set, &teacher_set])).await;
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(case, "LE-2026-0001", "{out}");

    // Masked until revealed; each listed person is a subject of the case.
    let masked = show(&url, &case, false).await;
    assert_eq!(
        names(&masked),
        [
            ("parties-1".to_owned(), "[hidden]".to_owned()),
            ("parties-2".to_owned(), "[hidden]".to_owned())
        ]
    );
    assert_eq!(masked["data"]["parties"][0]["minor"], true);
    let subjects: Vec<&str> = masked["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "victim",
            "offender",
            "representative",
            "parties-1",
            "parties-2"
        ]
    );

    // On the case's page, the pupil's mother is added as her representative.
    let served = crate::server::Served::start(&url, &[], &[]).await;
    let (browser, cookie) = crate::web::browser_for(&url, &served.base, "mari").await;
    let case_page =
        crate::web::page(&browser, &format!("{}/cases/{case}", served.base), &cookie).await;
    assert!(
        case_page.contains("name=\"person.parties.0.role\"")
            && case_page.contains("<option value=\"parties-1\">Kannatanu (parties-1)</option>")
            && case_page.contains("Kannatanu (parties-1): <span class=\"muted\">"),
        "{case_page}"
    );
    let added = crate::web::posted(
        &browser,
        &format!("{}/cases/{case}/steps/add-parties", served.base),
        &cookie,
        &[
            ("csrf", crate::web::csrf_of(&case_page).as_str()),
            ("person.parties.0.role", "representative"),
            ("person.parties.0.name", MOTHER),
            ("person.parties.0.represents", "parties-1"),
            ("person.parties.1.role", ""),
            ("person.parties.1.name", ""),
        ],
    )
    .await;
    assert!(!added.contains("role=\"alert\""), "{added}");
    // Over HTTP, people are JSON objects; a bad one is refused, nothing kept.
    let (_, token, _) = kroonika(&url, Some("anu"), &["token", "issue", "mari"]).await;
    let client = crate::server::Client::new(&served, Some(token.trim()));
    let refused = client
        .post(
            &format!("/api/v1/cases/{case}/steps"),
            serde_json::json!({"transition": "add-parties", "input": {"parties": [{"role": "victim", "name": "X", "minor": "perhaps"}]}}),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("'minor' must be true or false, got 'perhaps'"),
        "{}",
        refused.text
    );
    drop(served);
    let revealed = show(&url, &case, true).await;
    assert_eq!(
        names(&revealed),
        [
            ("parties-1".to_owned(), PUPIL.to_owned()),
            ("parties-2".to_owned(), TEACHER.to_owned()),
            ("parties-3".to_owned(), MOTHER.to_owned())
        ]
    );
    assert_eq!(revealed["data"]["parties"][2]["represents"], "parties-1");
    assert_eq!(revealed["data"]["parties"][0]["contact"], PHONE);
    assert_eq!(revealed["data"]["parties"][1].get("contact"), None);

    // Found by her own name or phone: the match names her, not the others
    // (and so again once the index is built anew from the log).
    ok(&url, "anu", &["case", "reindex"]).await;
    for by in [["--name", "kuusk kristjan"], ["--phone", "51234567"]] {
        let mut args = vec!["case", "find", "--format", "json", "--purpose", "a call"];
        args.extend(by);
        let found = crate::support::json_lines(&ok(&url, "mari", &args).await);
        assert_eq!(found.len(), 1, "{by:?}");
        assert_eq!(
            found[0]["subjects"],
            serde_json::json!(["parties-1"]),
            "{by:?}"
        );
    }

    // Her number corrected: found by the new one, no longer by the old.
    ok(
        &url,
        "mari",
        &[
            "case",
            "update",
            &case,
            "--set",
            r#"parties={"id": "parties-1", "contact": "+372 5999 0000"}"#,
            "--reason",
            "new number from her mother",
        ],
    )
    .await;
    for (phone, hits) in [("5999 0000", 1), ("51234567", 0)] {
        let args = [
            "case",
            "find",
            "--format",
            "json",
            "--purpose",
            "a call",
            "--phone",
            phone,
        ];
        let (_, out, err) = kroonika(&url, Some("mari"), &args).await;
        assert_eq!(
            crate::support::json_lines(&out).len(),
            hits,
            "{phone}: {out}{err}"
        );
    }

    // Her export holds her name and contact, no one else's.
    let export: Value = serde_json::from_str(
        &ok(
            &url,
            "mari",
            &[
                "subject",
                "access",
                &format!("{case}/parties-1"),
                "--purpose",
                "her parents' request",
            ],
        )
        .await,
    )
    .unwrap();
    let mine = &export["cases"][0];
    assert_eq!(mine["subject_title"], "Kannatanu (parties-1)");
    let text = mine.to_string();
    assert!(
        text.contains(PUPIL) && text.contains("+372 5999 0000"),
        "{text}"
    );
    assert!(
        !text.contains(TEACHER) && !text.contains(MOTHER) && !text.contains("Mia Mets"),
        "{text}"
    );

    // The teacher is erased alone: the others still read.
    let forget = [
        "subject",
        "forget",
        &format!("{case}/parties-2"),
        "--reason",
        "her request",
    ];
    let (code, _, err) = kroonika(&url, Some("mari"), &forget).await;
    assert_eq!(code, 1, "{err}");
    ok(&url, "anu", &forget).await;
    let after = show(&url, &case, true).await;
    assert_eq!(
        names(&after),
        [
            ("parties-1".to_owned(), PUPIL.to_owned()),
            ("parties-2".to_owned(), "[erased]".to_owned()),
            ("parties-3".to_owned(), MOTHER.to_owned())
        ]
    );
    // Nobody is renumbered: the next person added is parties-4, and an id
    // that is not listed is refused.
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "do",
            &case,
            "add-parties",
            "--set",
            r#"parties={"id": "parties-9", "contact": "x"}"#,
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("lists nobody 'parties-9'"), "{err}");

    // A document addressed to one of them; not to the erased teacher.
    for step in [
        vec!["start-screening"],
        vec![
            "declare-eligible",
            "--set",
            "risk_assessment_required=false",
        ],
        vec!["assign", "--set", "mediators=ants,helen"],
    ] {
        let mut args = vec!["case", "do", &case];
        args.extend(step);
        ok(&url, "mari", &args).await;
    }
    let sheet = ok(
        &url,
        "ants",
        &[
            "case",
            "document",
            &case,
            "information",
            "--to",
            "parties-3",
            "--language",
            "en",
        ],
    )
    .await;
    assert!(
        sheet.contains("<p>Legal representative of a minor (parties-3) · case LE-2026-0001</p>"),
        "{sheet}"
    );
    let (code, _, err) = kroonika(
        &url,
        Some("ants"),
        &[
            "case",
            "document",
            &case,
            "information",
            "--to",
            "parties-2",
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("was erased"), "{err}");

    crate::support::conforms(&url).await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
