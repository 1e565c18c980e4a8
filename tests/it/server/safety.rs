//! Safe by default: owner-only files whatever the umask, a key file others
//! can read refused, TLS when asked, and an OpenAPI document that covers
//! every route.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Client, Served, Stage, answer};
use crate::binary::binary;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs the binary under umask 022 (files would be world-readable).
fn under_umask(args: &[&str]) -> (i32, String) {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 022; exec '{}' {}",
            binary().display(),
            quoted.join(" ")
        ))
        .env_remove("KROONIKA_DB")
        .env_remove("KROONIKA_ACTOR")
        .env_remove("KROONIKA_MASTER_KEY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_are_owner_only_and_a_readable_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let url = format!("sqlite://{}", db.display());
    assert_eq!(under_umask(&["--db", &url, "init", "--admin", "anu"]).0, 0);
    let token = {
        let (code, out, err) =
            crate::support::kroonika_on(&url, Some("anu"), &["token", "issue", "anu"]).await;
        assert_eq!(code, 0, "{err}");
        out.trim().to_owned()
    };
    let served = Served::start(&url, &[], &[]).await;
    let anu = Client::new(&served, Some(&token));
    assert_eq!(anu.get("/api/v1/status").await.status, StatusCode::OK);
    let wal = dir.path().join("k.db-wal");
    for path in [
        db.clone(),
        dir.path().join("k.db.key"),
        wal.clone(),
        dir.path().join("k.db-shm"),
    ] {
        if path.exists() || path != wal {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    served.stop().await;
    let export = dir.path().join("log.jsonl");
    let (code, err) = under_umask(&["--db", &url, "export", "--output", export.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&export), 0o600);

    // A key file others can read: the server will not start.
    std::fs::set_permissions(
        dir.path().join("k.db.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (code, err) = under_umask(&["--db", &url, "serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("can be read by others than its owner (mode 644)"),
        "{err}"
    );
    assert!(err.contains("chmod 600"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serves_https_with_the_certificate_given() {
    let stage = Stage::new(kroonika_tests::Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    let served = stage
        .serve(&[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ])
        .await;
    assert!(
        served.base.starts_with("https://127.0.0.1:"),
        "{}",
        served.base
    );
    let base = served.base.replace("127.0.0.1", "localhost");
    let trusting = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let token = stage.token("mari").await;
    let cases = trusting
        .get(format!("{base}/api/v1/cases"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(cases.status(), StatusCode::OK);
    assert!(cases.headers().contains_key("strict-transport-security"));
    // Plain HTTP to the TLS port is not answered with data.
    let plain = reqwest::Client::new()
        .get(served.base.replace("https", "http") + "/api/v1/cases")
        .bearer_auth(&token)
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    // A client that does not trust the certificate does not connect.
    let doubting = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .send()
        .await;
    assert!(doubting.is_err());
    served.stop().await;
    stage.cleanup().await;
}

/// Every route the API promises, as (method, path).
const PROMISED: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/work"),
    ("post", "/api/v1/cases/search"),
    ("post", "/api/v1/cases/search/rebuild"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/{reference}"),
    ("get", "/api/v1/cases/{reference}/history"),
    ("post", "/api/v1/cases/{reference}/steps"),
    ("post", "/api/v1/cases/{reference}/tasks/{task}"),
    ("post", "/api/v1/cases/{reference}/tasks/{task}/undo"),
    ("post", "/api/v1/cases/{reference}/notes"),
    ("post", "/api/v1/cases/{reference}/notices/{notice}"),
    ("get", "/api/v1/cases/{reference}/documents"),
    ("post", "/api/v1/cases/{reference}/documents/{document}"),
    ("post", "/api/v1/cases/{reference}/corrections"),
    ("post", "/api/v1/cases/{reference}/hold"),
    ("post", "/api/v1/cases/{reference}/release"),
    ("post", "/api/v1/cases/{reference}/reveal"),
    ("post", "/api/v1/cases/{reference}/migration"),
    (
        "post",
        "/api/v1/cases/{reference}/subjects/{subject}/erasure",
    ),
    ("get", "/api/v1/definitions"),
    ("post", "/api/v1/definitions"),
    ("post", "/api/v1/definitions/check"),
    ("get", "/api/v1/definitions/{process}"),
    ("get", "/api/v1/definitions/{process}/graph"),
    ("get", "/api/v1/definitions/{process}/migrations"),
    ("get", "/api/v1/definition-schema"),
    ("get", "/api/v1/reports/{process}"),
    ("get", "/api/v1/hours"),
    ("get", "/api/v1/audit/trail"),
    ("get", "/api/v1/audit/access"),
    ("get", "/api/v1/audit/verify"),
    ("get", "/api/v1/audit/head"),
    ("get", "/api/v1/log"),
    ("get", "/api/v1/export"),
    ("get", "/api/v1/actors"),
    ("post", "/api/v1/actors"),
    ("put", "/api/v1/actors/{name}/password"),
    ("put", "/api/v1/actors/{name}/roles/{role}"),
    ("delete", "/api/v1/actors/{name}/roles/{role}"),
    ("post", "/api/v1/actors/{name}/deactivate"),
    ("post", "/api/v1/subjects/access"),
    ("post", "/api/v1/actors/{name}/reactivate"),
    ("put", "/api/v1/actors/{name}/region"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/status"),
    ("get", "/api/v1/projections"),
    ("post", "/api/v1/projections/{name}/rebuild"),
    ("post", "/api/v1/timers/run"),
    ("post", "/api/v1/retention/run"),
];

/// The document is OpenAPI 3.1, names every promised route, resolves every
/// schema it refers to, and every route in it is served (asked without
/// credentials: a 401, never a 404 or 405).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_openapi_document_covers_every_route() {
    let stage = Stage::new(kroonika_tests::Backend::Sqlite).await.unwrap();
    let served = stage.serve(&[]).await;
    let nobody = Client::new(&served, None);
    let document = nobody.get("/openapi.json").await;
    assert_eq!(document.status, StatusCode::OK);
    let doc = &document.json;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            documented.push((method.clone(), path.clone()));
        }
    }
    for (method, path) in PROMISED {
        assert!(
            documented.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is missing from /openapi.json"
        );
    }
    assert_eq!(
        documented.len(),
        PROMISED.len(),
        "a route documented but not promised here: {documented:?}"
    );

    // Every reference resolves.
    let text = document.text.clone();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} does not resolve"
        );
    }
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "{}",
        doc["components"]["securitySchemes"]
    );

    // Every documented route is served.
    for (method, path) in &documented {
        let concrete = path
            .replace("{reference}", "SC-2026-0001")
            .replace("{process}", "school-conference")
            .replace("{id}", "0193aaaa-0000-7000-8000-00000000abcd")
            .replace(['{', '}'], "");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let asked = answer(
            nobody
                .request(method.clone(), &concrete)
                .json(&Value::Object(Default::default())),
        )
        .await;
        assert!(
            asked.status != StatusCode::NOT_FOUND && asked.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}: {} {}",
            asked.status,
            asked.text
        );
    }
    served.stop().await;
    stage.cleanup().await;
}
