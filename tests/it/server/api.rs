//! The API's statuses, one caller at a time.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Client, PHONE, Stage, VICTIM, answer, on_both, opening};

on_both!(
    statuses_follow_the_kinds_of_error,
    tokens_expire_and_are_revoked,
    retries_and_versions,
    personal_data_only_on_purpose,
    definitions_reports_and_audit,
);

/// 401, 403, 404, 422, 400, 413 and 415, each with its stable code.
async fn statuses_follow_the_kinds_of_error(stage: &Stage) {
    let served = stage.serve(&["--max-body", "65536"]).await;
    let mari = Client::new(&served, Some(&stage.token("mari").await));
    let jaan = Client::new(&served, Some(&stage.token("jaan").await));
    let nobody = Client::new(&served, None);
    let forged = Client::new(
        &served,
        Some(
            "kroonika_0193aaaa00007000800000000000abcd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
    );

    let health = nobody.get("/healthz").await;
    assert_eq!(
        (health.status, health.json["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );

    for (who, what) in [(&nobody, "no credentials"), (&forged, "a forged token")] {
        let refused = who.get("/api/v1/cases").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(refused.code(), "unauthenticated", "{what}");
        assert_eq!(
            refused.headers["content-type"], "application/problem+json",
            "{what}"
        );
        assert!(refused.headers.contains_key("www-authenticate"), "{what}");
    }
    let garbled = answer(
        nobody
            .request(Method::GET, "/api/v1/cases")
            .header("Authorization", "Basic YW51OnNhbGFzb25h"),
    )
    .await;
    assert_eq!(garbled.status, StatusCode::UNAUTHORIZED);

    let case = mari.open_case().await;
    assert_eq!(case, "SC-2026-0001");
    let events = || async {
        stage
            .cli(None, &["case", "history", &case, "--format", "json"])
            .await
            .lines()
            .count()
    };
    assert_eq!(events().await, 1);

    // 422: a rule refuses; nothing is appended.
    let refused = mari
        .post(
            &format!("/api/v1/cases/{case}/steps"),
            json!({"transition": "assign", "input": {"facilitators": ["jaan"]}}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.code(), "guard-failed");
    assert_eq!(
        refused.json["detail"],
        "A conference needs two facilitators. (guard: size(input.facilitators) >= 2)"
    );
    assert_eq!(events().await, 1, "a refused step appends nothing");

    // 403: a facilitator may not assign; the denial is in the access log.
    let denied = jaan
        .post(
            &format!("/api/v1/cases/{case}/steps"),
            json!({"transition": "assign", "input": {"facilitators": ["jaan", "piret"]}}),
        )
        .await;
    assert_eq!(
        (denied.status, denied.code()),
        (StatusCode::FORBIDDEN, "denied")
    );
    let denied = jaan.get("/api/v1/audit/access").await;
    assert_eq!(
        (denied.status, denied.code()),
        (StatusCode::FORBIDDEN, "denied")
    );
    let aili = Client::new(&served, Some(&stage.token("aili").await));
    let access = aili.get("/api/v1/audit/access").await;
    assert_eq!(access.status, StatusCode::OK, "{}", access.text);
    let refusals: Vec<_> = access.json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["actor"] == "jaan")
        .collect();
    assert_eq!(refusals.len(), 2, "both of jaan's denials: {}", access.text);
    assert!(
        refusals.iter().all(|r| r["what"] == "refused"),
        "{refusals:?}"
    );
    let cli = stage
        .cli(None, &["audit", "access", "--format", "json"])
        .await;
    assert_eq!(
        cli.matches("\"jaan\"").count(),
        2,
        "the CLI reads the same access log: {cli}"
    );

    // 404: no such case, no such process.
    for path in [
        "/api/v1/cases/SC-2026-0099",
        "/api/v1/reports/no-such-process",
        "/api/v1/nowhere",
    ] {
        let missing = mari.get(path).await;
        assert_eq!(
            missing.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            missing.text
        );
    }
    let unknown = mari
        .post("/api/v1/cases", json!({"process": "no-such", "input": {}}))
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "not-found")
    );

    // 400: not JSON, or JSON of the wrong shape; 415: not sent as JSON.
    let broken = answer(
        mari.request(Method::POST, "/api/v1/cases")
            .header("content-type", "application/json")
            .body("{\"process\": "),
    )
    .await;
    assert_eq!(
        (broken.status, broken.code()),
        (StatusCode::BAD_REQUEST, "malformed-request")
    );
    let shape = mari.post("/api/v1/cases", json!({"process": 7})).await;
    assert_eq!(shape.status, StatusCode::BAD_REQUEST, "{}", shape.text);
    let form = answer(
        mari.request(Method::POST, "/api/v1/cases")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("process=school-conference"),
    )
    .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // 413: a body over the limit; 422: one text value over the field limit.
    let mut big = opening();
    big["input"]["victim_name"] = json!("x".repeat(100_000));
    let large = mari.post("/api/v1/cases", big).await;
    assert_eq!(
        (large.status, large.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too-large")
    );
    let mut long = opening();
    long["input"]["victim_name"] = json!("y".repeat(65 * 1024 + 10));
    let served_big = stage.serve(&[]).await;
    let mari_big = Client::new(&served_big, Some(&stage.token("mari").await));
    let too_long = mari_big.post("/api/v1/cases", long).await;
    assert_eq!(
        (too_long.status, too_long.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"),
        "{}",
        too_long.text
    );
    assert!(
        too_long.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("field 'victim_name' holds at most 1024 characters, got 66570"),
        "{}",
        too_long.text
    );
    // 10 MB: refused with a 413, or the connection closed while the client
    // is still sending (the server stops reading at the limit); either way
    // nothing is stored and the server carries on.
    let ten_mb = mari_big
        .request(Method::POST, "/api/v1/cases")
        .header("content-type", "application/json")
        .body(format!(
            "{{\"process\":\"school-conference\",\"input\":{{\"victim_name\":\"{}\"}}}}",
            "z".repeat(10 << 20)
        ))
        .send()
        .await;
    if let Ok(response) = ten_mb {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    assert_eq!(stage.log("caseref").await.len(), 1, "only the first case");
    assert_eq!(mari_big.get("/healthz").await.status, StatusCode::OK);
    served_big.stop().await;

    // Every answer carries the security headers.
    for header in [
        "x-content-type-options",
        "x-frame-options",
        "content-security-policy",
        "referrer-policy",
    ] {
        assert!(health.headers.contains_key(header), "{header}");
    }
    served.stop().await;
}

/// A token works until it expires or is revoked; the log records the
/// issuing and the revoking, never the secret.
async fn tokens_expire_and_are_revoked(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let anu = Client::new(&served, Some(&stage.token("anu").await));
    let issued = anu
        .post(
            "/api/v1/tokens",
            json!({"actor": "mari", "expires": "30d", "note": "intake"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let secret = issued.json["token"].as_str().unwrap().to_owned();
    let id = issued.json["id"].as_str().unwrap().to_owned();
    let mari = Client::new(&served, Some(&secret));
    assert_eq!(mari.get("/api/v1/cases").await.status, StatusCode::OK);
    let who = mari.get("/api/v1/session").await;
    assert_eq!(
        (who.json["actor"].as_str(), who.json["via"].as_str()),
        (Some("mari"), Some("token"))
    );

    // Only administrators issue tokens.
    let by_mari = mari.post("/api/v1/tokens", json!({"actor": "mari"})).await;
    assert_eq!(by_mari.status, StatusCode::FORBIDDEN);

    let listed = anu.get("/api/v1/tokens").await;
    assert!(listed.text.contains(&id) && !listed.text.contains(secret_of(&secret)));

    // Revoked: refused at once.
    let revoked = answer(anu.request(Method::DELETE, &format!("/api/v1/tokens/{id}"))).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(revoked.json["revoked"], true);
    assert_eq!(
        mari.get("/api/v1/cases").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Expired: refused. (Its expiry moved into the past in the table.)
    let later = stage.token("mari").await;
    let later_id = later.split('_').nth(1).unwrap().to_owned();
    let mari = Client::new(&served, Some(&later));
    assert_eq!(mari.get("/api/v1/cases").await.status, StatusCode::OK);
    let later_id = uuid::Uuid::parse_str(&later_id).unwrap();
    let past = if stage.url.starts_with("postgres") {
        format!(
            "UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE id = '{later_id}'"
        )
    } else {
        format!("UPDATE tokens SET expires_at = 1 WHERE id = '{later_id}'")
    };
    let raw = kroonika_tests::TestStore::attach(&stage.url, backend(stage));
    assert_eq!(raw.raw_execute(&past).await.unwrap(), 1, "{past}");
    let expired = mari.get("/api/v1/cases").await;
    assert_eq!(
        (expired.status, expired.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );

    let auth = stage.log("auth").await;
    let kinds: Vec<&str> = auth.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "TokenIssued").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "TokenRevoked").count(),
        1,
        "{kinds:?}"
    );
    let text = serde_json::to_string(&auth).unwrap();
    for token in [&secret, &later] {
        assert!(!text.contains(secret_of(token)), "a secret in the log");
    }
    served.stop().await;
}

pub(crate) fn backend(stage: &Stage) -> kroonika_tests::Backend {
    if stage.url.starts_with("postgres") {
        kroonika_tests::Backend::Postgres
    } else {
        kroonika_tests::Backend::Sqlite
    }
}

/// `Idempotency-Key` makes a retry return the first answer and record
/// nothing; `If-Match` refuses a step on a case that moved on.
async fn retries_and_versions(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let mari = Client::new(&served, Some(&stage.token("mari").await));
    let key = "6f1c1e9e-7d1f-4c4e-9a43-6c1d1b0f2a11";
    let open = || {
        answer(
            mari.request(Method::POST, "/api/v1/cases")
                .header("Idempotency-Key", key)
                .json(&opening()),
        )
    };
    let first = open().await;
    let again = open().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(
        (again.status, &again.json),
        (StatusCode::CREATED, &first.json)
    );
    let case = first.json["reference"].as_str().unwrap().to_owned();
    assert_eq!(stage.log("caseref").await.len(), 1, "one case opened");

    // Steps: a key that is not a UUID works too (it names the command).
    let step = || {
        answer(
            mari.request(Method::POST, &format!("/api/v1/cases/{case}/steps"))
                .header("Idempotency-Key", "assign-SC-1")
                .header("If-Match", "\"1\"")
                .json(
                    &json!({"transition": "assign", "input": {"facilitators": ["jaan", "piret"]}}),
                ),
        )
    };
    let first = step().await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(
        (first.json["state"].as_str(), first.json["version"].as_u64()),
        (Some("preparation"), Some(2))
    );
    assert_eq!(first.headers["etag"], "\"2\"");
    let again = step().await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json["replayed"], true);
    for field in ["reference", "state", "version", "events"] {
        assert_eq!(again.json[field], first.json[field], "{field}");
    }
    let history = mari.get(&format!("/api/v1/cases/{case}/history")).await;
    assert_eq!(
        history.json["events"].as_array().unwrap().len(),
        2,
        "{}",
        history.text
    );

    // The same key for another command is refused.
    let reused = answer(
        mari.request(Method::POST, &format!("/api/v1/cases/{case}/steps"))
            .header("Idempotency-Key", "assign-SC-1")
            .json(&json!({"transition": "withdraw"})),
    )
    .await;
    assert_eq!(
        (reused.status, reused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "command-id-reused")
    );

    // If-Match: the case is at 2.
    let stale = answer(
        mari.request(Method::POST, &format!("/api/v1/cases/{case}/steps"))
            .header("If-Match", "1")
            .json(&json!({"transition": "withdraw"})),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert_eq!(
        (stale.code(), stale.json["current_version"].as_u64()),
        ("conflict", Some(2))
    );
    let bad = answer(
        mari.request(Method::POST, &format!("/api/v1/cases/{case}/steps"))
            .header("If-Match", "soon")
            .json(&json!({"transition": "withdraw"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let shown = mari.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(shown.headers["etag"], "\"2\"");
    let fresh = answer(
        mari.request(Method::POST, &format!("/api/v1/cases/{case}/steps"))
            .header("If-Match", "\"2\"")
            .json(&json!({"transition": "withdraw"})),
    )
    .await;
    assert_eq!(
        (fresh.status, fresh.json["state"].as_str()),
        (StatusCode::OK, Some("closed-withdrawn")),
        "{}",
        fresh.text
    );
    served.stop().await;
}

/// Names and phone numbers: masked in every read, in the clear only from
/// `reveal` with a purpose (recorded first), and never in the server's log.
async fn personal_data_only_on_purpose(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let mari = Client::new(&served, Some(&stage.token("mari").await));
    let aili = Client::new(&served, Some(&stage.token("aili").await));
    let case = mari.open_case().await;
    let reads = [
        format!("/api/v1/cases/{case}"),
        format!("/api/v1/cases/{case}/history"),
        "/api/v1/cases".to_owned(),
        "/api/v1/reports/school-conference?format=json".to_owned(),
        "/api/v1/reports/school-conference?format=csv".to_owned(),
        "/api/v1/log".to_owned(),
        "/api/v1/audit/trail".to_owned(),
        "/api/v1/export".to_owned(),
    ];
    for path in &reads {
        for who in [&mari, &aili] {
            let read = who.get(path).await;
            assert!(
                !read.text.contains(VICTIM) && !read.text.contains(PHONE),
                "{path}: {}",
                read.text
            );
        }
    }
    let shown = mari.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(
        shown.json["data"]["victim_name"], "[hidden]",
        "{}",
        shown.text
    );

    let no_purpose = mari
        .post(
            &format!("/api/v1/cases/{case}/reveal"),
            json!({"purpose": " "}),
        )
        .await;
    assert_eq!(
        no_purpose.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_purpose.text
    );
    let revealed = mari
        .post(
            &format!("/api/v1/cases/{case}/reveal"),
            json!({"purpose": "calling back about the meeting"}),
        )
        .await;
    assert_eq!(revealed.status, StatusCode::OK, "{}", revealed.text);
    assert_eq!(
        (
            revealed.json["data"]["victim_name"].as_str(),
            revealed.json["data"]["victim_phone"].as_str()
        ),
        (Some(VICTIM), Some(PHONE))
    );
    let access = aili.get("/api/v1/audit/access").await;
    let row = access.json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["what"] == "revealed")
        .unwrap();
    assert_eq!(
        (
            row["actor"].as_str(),
            row["what"].as_str(),
            row["case"].as_str()
        ),
        (Some("mari"), Some("revealed"), Some(case.as_str())),
        "{}",
        access.text
    );

    // Found by name when the person calls: the answer names the case, never
    // the person; the search is recorded; an auditor may not search.
    let found = mari
        .post(
            "/api/v1/cases/search",
            json!({"name": VICTIM.to_uppercase(), "purpose": "she called"}),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.json[0]["reference"], case.as_str(), "{}", found.text);
    assert_eq!(found.json[0]["subjects"], json!(["victim"]));
    assert!(!found.text.contains(VICTIM), "{}", found.text);
    let by_phone = mari
        .post(
            "/api/v1/cases/search",
            json!({"phone": PHONE.replace(' ', "-"), "purpose": "missed call"}),
        )
        .await;
    assert_eq!(
        by_phone.json[0]["reference"],
        case.as_str(),
        "{}",
        by_phone.text
    );
    let nobody = mari
        .post("/api/v1/cases/search", json!({"purpose": "nothing said"}))
        .await;
    assert_eq!(
        (nobody.status, nobody.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "missing-input"),
        "{}",
        nobody.text
    );
    let auditor = aili
        .post(
            "/api/v1/cases/search",
            json!({"name": VICTIM, "purpose": "curious"}),
        )
        .await;
    assert_eq!(auditor.status, StatusCode::FORBIDDEN, "{}", auditor.text);
    let access = aili.get("/api/v1/audit/access").await;
    let searched: Vec<&Value> = access.json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["what"] == "searched")
        .collect();
    assert_eq!(searched.len(), 2, "{}", access.text);
    assert!(!access.text.contains(VICTIM), "{}", access.text);

    // The server's log, at debug level, holds none of it.
    let log = served.stop().await;
    assert!(log.contains("request"), "the log is captured: {log}");
    for secret in [VICTIM, PHONE, "Kadri", "calling back"] {
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            lines.is_empty(),
            "'{secret}' in the server's log: {lines:?}"
        );
    }
}

/// The service owner checks, publishes and draws a definition and reads the
/// report; the auditor verifies the log and reads its head.
async fn definitions_reports_and_audit(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let tiina = Client::new(&served, Some(&stage.token("tiina").await));
    let mari = Client::new(&served, Some(&stage.token("mari").await));
    let aili = Client::new(&served, Some(&stage.token("aili").await));
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let yaml = |client: &Client, path: &str, body: String| {
        answer(
            client
                .request(Method::POST, path)
                .header("content-type", "application/yaml")
                .body(body),
        )
    };

    // A broken definition: located diagnostics, and publishing it is refused.
    let broken = source.replace("initial: referred", "initial: refered");
    let checked = yaml(&tiina, "/api/v1/definitions/check", broken.clone()).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(checked.json["errors"], 1, "{}", checked.text);
    let diagnostic = &checked.json["diagnostics"][0];
    assert!(
        diagnostic["line"].as_u64().is_some()
            && diagnostic["message"].as_str().unwrap().contains("refered"),
        "{diagnostic}"
    );
    let refused = yaml(&tiina, "/api/v1/definitions", broken).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid-definition")
    );
    assert!(refused.json["diagnostics"].is_array());
    // Only service owners publish; the same text again changes nothing.
    let by_mari = yaml(&mari, "/api/v1/definitions", source.clone()).await;
    assert_eq!(by_mari.status, StatusCode::FORBIDDEN);
    let same = yaml(&tiina, "/api/v1/definitions", source.clone()).await;
    assert_eq!(
        (same.status, &same.json["changed"]),
        (StatusCode::OK, &json!(false))
    );
    let second = yaml(
        &tiina,
        "/api/v1/definitions",
        source.replace("within: 5 working days", "within: 4 working days"),
    )
    .await;
    assert_eq!(
        (second.status, second.json["version"].as_u64()),
        (StatusCode::CREATED, Some(2)),
        "{}",
        second.text
    );
    let listed = mari.get("/api/v1/definitions").await;
    assert!(listed.text.contains("school-conference"), "{}", listed.text);

    // The diagram in three formats.
    for (format, starts, kind) in [
        ("mermaid", "---", "text/plain"),
        ("dot", "digraph", "text/plain"),
        ("svg", "<svg", "image/svg+xml"),
    ] {
        let drawn = mari
            .get(&format!(
                "/api/v1/definitions/school-conference/graph?format={format}"
            ))
            .await;
        assert_eq!(drawn.status, StatusCode::OK, "{format}");
        assert!(drawn.text.starts_with(starts), "{format}: {}", drawn.text);
        assert!(
            drawn.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{format}"
        );
    }
    let odd = mari
        .get("/api/v1/definitions/school-conference/graph?format=png")
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);

    // The report, for the service owner in each format, and for the roles
    // the process names.
    mari.open_case().await;
    for (format, kind) in [
        ("json", "application/json"),
        ("csv", "text/csv"),
        ("html", "text/html"),
    ] {
        let report = tiina
            .get(&format!(
                "/api/v1/reports/school-conference?format={format}"
            ))
            .await;
        assert_eq!(report.status, StatusCode::OK, "{format}: {}", report.text);
        assert!(
            report.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{format}"
        );
    }
    let jaan = Client::new(&served, Some(&stage.token("jaan").await));
    let named = jaan.get("/api/v1/reports/school-conference").await;
    assert_eq!(
        named.status,
        StatusCode::OK,
        "a facilitator is named by the process: {}",
        named.text
    );

    // The auditor: the chain holds, the head is where the log ends.
    let verified = aili.get("/api/v1/audit/verify").await;
    assert_eq!(
        (verified.status, &verified.json["verified"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        verified.text
    );
    let derived = aili.get("/api/v1/audit/verify?derived=true").await;
    assert_eq!(
        (&derived.json["verified"], &derived.json["derived"]),
        (&json!(true), &json!([])),
        "{}",
        derived.text
    );
    let head = aili.get("/api/v1/audit/head").await;
    assert!(
        head.json["hash"].as_str().is_some_and(|h| h.len() == 64),
        "{}",
        head.text
    );
    let trail = aili.get("/api/v1/audit/trail?by=tiina").await;
    assert!(
        !trail.json["rows"].as_array().unwrap().is_empty(),
        "{}",
        trail.text
    );
    assert_eq!(
        mari.get("/api/v1/audit/verify").await.status,
        StatusCode::FORBIDDEN
    );
    served.stop().await;
}

/// A token's secret: what follows `kroonika_<32 hex digits>_` (the secret's
/// own alphabet has `_` in it, so splitting on the last one would find a
/// piece of it short enough to turn up anywhere by chance).
fn secret_of(token: &str) -> &str {
    &token["kroonika_".len() + 33..]
}
