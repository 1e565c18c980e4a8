//! The partner list: checked and published like a definition, versioned;
//! partner fields refuse what the list in force does not allow; reports break
//! down by partner and by kind of partner.

use kroonika_tests::{Backend, TestStore};
use serde_json::{Value, json};

use crate::hours::ok;
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(partner_fields_take_listed_partners_and_reports_group_by_them);

async fn open_event(url: &str, partner: Option<&str>) -> (u8, String, String) {
    let mut args = vec![
        "case",
        "open",
        "outreach-event",
        "--set",
        "kind=information-session",
        "--set",
        "audience=professionals",
        "--set",
        "partner_type=police",
        "--set",
        "region=north",
        "--set",
        "topic=Restorative justice",
        "--set",
        "planned_on=2026-02-10",
        "--occurred-at",
        "2026-01-20",
    ];
    let set = partner.map(|p| format!("partner={p}"));
    if let Some(set) = &set {
        args.extend(["--set", set]);
    }
    kroonika(url, Some("mari"), &args).await
}

fn metric_cells(report: &Value, id: &str) -> Vec<Value> {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["group"], c["of"], c["per"], c["rate"]]))
        .collect()
}

async fn partner_fields_take_listed_partners_and_reports_group_by_them(backend: Backend) {
    let (url, _dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    let url = url.as_str();
    ok(url, "anu", &["init", "--admin", "anu"]).await;
    for (name, role) in [
        ("tiina", "service-owner"),
        ("mari", "coordinator"),
        ("aino", "auditor"),
    ] {
        ok(url, "anu", &["actor", "add", name, "--role", role]).await;
    }
    for file in ["outreach-event.yaml", "crisis-support.yaml"] {
        ok(
            url,
            "tiina",
            &["def", "publish", &format!("../processes/{file}")],
        )
        .await;
    }

    // No list yet: a partner cannot be named; leaving it out is fine.
    let (code, _, err) = open_event(url, Some("pohja-prefektuur")).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no partner list is published"), "{err}");
    assert_eq!(open_event(url, None).await.0, 0);

    // Publishing is the service owner's, versioned, and the same text is no new version.
    let (code, _, err) = kroonika(
        url,
        Some("mari"),
        &["def", "publish", "../processes/partners.yaml"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    let out = ok(
        url,
        "tiina",
        &["def", "publish", "../processes/partners.yaml"],
    )
    .await;
    assert!(out.contains("partners version 1"), "{out}");
    let again = ok(
        url,
        "tiina",
        &["def", "publish", "../processes/partners.yaml"],
    )
    .await;
    assert!(again.contains("version 1"), "{again}");
    let listed = ok(url, "mari", &["partners", "--format", "json"]).await;
    assert_eq!(listed.lines().count(), 27, "{listed}");
    let first: Value = serde_json::from_str(listed.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        (&first["id"], &first["kind"], &first["version"]),
        (&json!("pohja-prokuratuur"), &json!("prosecutor"), &json!(1))
    );

    // Five events with police partners, five with schools.
    let mut cases = Vec::new();
    for partner in [
        "pohja-prefektuur",
        "pohja-prefektuur",
        "pohja-prefektuur",
        "louna-prefektuur",
        "ida-prefektuur",
        "tallinna-koolid",
        "tallinna-koolid",
        "tartumaa-koolid",
        "tartumaa-koolid",
        "parnumaa-koolid",
    ] {
        let (code, out, err) = open_event(url, Some(partner)).await;
        assert_eq!(code, 0, "{err}");
        cases.push(out.split_whitespace().nth(1).unwrap().to_owned());
    }
    // Not listed; of a kind the field does not take.
    let (code, _, err) = open_event(url, Some("nobody-at-all")).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("there is no partner 'nobody-at-all'"), "{err}");
    let (code, _, err) = kroonika(
        url,
        Some("mari"),
        &[
            "case",
            "open",
            "crisis-support",
            "--set",
            "event_kind=fire",
            "--set",
            "occurred_at=2026-01-05T06:30:00Z",
            "--set",
            "place=Tartu",
            "--set",
            "region=south",
            "--set",
            "affected_estimate=40",
            "--set",
            "requested_by=rescue-board",
            "--set",
            "requesting_partner=louna-prokuratuur",
            "--occurred-at",
            "2026-01-05T07:00:00Z",
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("takes a partner of kind police or rescue"),
        "{err}"
    );
    for (i, case) in cases.iter().enumerate() {
        let reason = if i < 8 { "partner-cancelled" } else { "other" };
        ok(
            url,
            "mari",
            &[
                "case",
                "do",
                case,
                "cancel",
                "--set",
                &format!("reason={reason}"),
                "--occurred-at",
                "2026-01-25",
            ],
        )
        .await;
    }

    // By kind of partner: each group of five, every event cancelled.
    let report: Value = serde_json::from_str(
        &ok(
            url,
            "tiina",
            &[
                "report",
                "outreach-event",
                "--by",
                "partner.kind",
                "--format",
                "json",
            ],
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        metric_cells(&report, "cancelled"),
        // (The event without a partner is still open: the metric counts closed ones.)
        vec![
            json!(["all", 10, 10, 1.0]),
            json!(["police", 5, 5, 1.0]),
            json!(["school", 5, 5, 1.0]),
        ]
    );
    assert_eq!(report["group_titles"]["police"], "Police");
    let table = ok(
        url,
        "tiina",
        &[
            "--lang",
            "et",
            "report",
            "outreach-event",
            "--by",
            "partner.kind",
        ],
    )
    .await;
    assert!(
        table.contains("Politsei") && table.contains("Haridusasutused"),
        "{table}"
    );
    // By partner: three from one prefecture is a small group.
    let report: Value = serde_json::from_str(
        &ok(
            url,
            "tiina",
            &[
                "report",
                "outreach-event",
                "--by",
                "partner",
                "--format",
                "json",
            ],
        )
        .await,
    )
    .unwrap();
    let groups: Vec<Value> = metric_cells(&report, "cancelled")
        .iter()
        .map(|c| c[0].clone())
        .collect();
    assert!(groups.contains(&json!("pohja-prefektuur")), "{groups:?}");
    let (code, _, err) = kroonika(
        url,
        Some("tiina"),
        &["report", "outreach-event", "--by", "topic.kind"],
    )
    .await;
    assert_eq!(code, 1, "{err}");

    // Version 2 retires a partner: no new case may name it; the cases that do keep it.
    let retired = std::fs::read_to_string("../processes/partners.yaml").unwrap().replace(
        "ida-prefektuur: { title: { et: PPA Ida prefektuur, en: Police East Prefecture }, kind: police, region: east }",
        "ida-prefektuur: { title: { et: PPA Ida prefektuur, en: Police East Prefecture }, kind: police, region: east, active: false }",
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), retired).unwrap();
    let out = ok(
        url,
        "tiina",
        &["def", "publish", file.path().to_str().unwrap()],
    )
    .await;
    assert!(out.contains("partners version 2"), "{out}");
    let (code, _, err) = open_event(url, Some("ida-prefektuur")).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no longer active"), "{err}");
    let shown = ok(url, "mari", &["--lang", "et", "case", "show", &cases[4]]).await;
    assert!(shown.contains("PPA Ida prefektuur"), "{shown}");

    // Every event, the list's too, conforms; derived state is what the log gives.
    let (code, out, err) = kroonika(url, Some("aino"), &["audit", "verify", "--derived"]).await;
    assert_eq!(code, 0, "{out}{err}");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
