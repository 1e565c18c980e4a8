//! People sign in with a password and get a cookie session; changes made
//! with the cookie need the CSRF token; failures slow down and lock.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Answer, Client, Stage, answer, on_both, opening};

on_both!(
    signing_in_out_and_csrf,
    failures_lock_and_addresses_are_limited,
    deactivation_ends_sessions_and_sign_ins
);

const PASSWORD: &str = "kaks kasukat ja kolm kassi";

/// The `kroonika_session` cookie a sign-in set, as a `Cookie` header value.
fn cookie(signed: &Answer) -> String {
    let set = signed.headers["set-cookie"].to_str().unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    set.split(';').next().unwrap().to_owned()
}

async fn set_password(anu: &Client, name: &str) {
    let set = answer(
        anu.request(Method::PUT, &format!("/api/v1/actors/{name}/password"))
            .json(&json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.text);
}

async fn sign_in(client: &Client, name: &str, password: &str) -> Answer {
    client
        .post(
            "/api/v1/session",
            json!({"actor": name, "password": password}),
        )
        .await
}

async fn signing_in_out_and_csrf(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let anu = Client::new(&served, Some(&stage.token("anu").await));
    set_password(&anu, "mari").await;
    let browser = Client::new(&served, None);
    let signed = sign_in(&browser, "mari", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    assert_eq!(signed.json["actor"], "mari");
    let csrf = signed.json["csrf_token"].as_str().unwrap().to_owned();
    let session = cookie(&signed);
    let with =
        |method: Method, path: &str| browser.request(method, path).header("Cookie", &session);

    // Reading needs only the cookie.
    let who = answer(with(Method::GET, "/api/v1/session")).await;
    assert_eq!(
        (who.status, who.json["via"].as_str()),
        (StatusCode::OK, Some("session"))
    );
    // A change needs the CSRF token, and no foreign Origin.
    let bare = answer(with(Method::POST, "/api/v1/cases").json(&opening())).await;
    assert_eq!(
        (bare.status, bare.code()),
        (StatusCode::FORBIDDEN, "csrf"),
        "{}",
        bare.text
    );
    let wrong = answer(
        with(Method::POST, "/api/v1/cases")
            .header("X-CSRF-Token", "guess")
            .json(&opening()),
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::FORBIDDEN, "csrf")
    );
    let foreign = answer(
        with(Method::POST, "/api/v1/cases")
            .header("X-CSRF-Token", &csrf)
            .header("Origin", "https://evil.example")
            .json(&opening()),
    )
    .await;
    assert_eq!(
        (foreign.status, foreign.code()),
        (StatusCode::FORBIDDEN, "csrf")
    );
    assert!(
        stage.log("caseref").await.is_empty(),
        "nothing opened by a refused change"
    );
    let opened = answer(
        with(Method::POST, "/api/v1/cases")
            .header("X-CSRF-Token", &csrf)
            .header("Origin", &served.base)
            .json(&opening()),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    let history = stage.log("case").await;
    assert_eq!(
        history[0]["metadata"]["actor"], "mari",
        "the session's person acts"
    );

    // A token is not a cookie: no CSRF needed for a program.
    let mari = Client::new(&served, Some(&stage.token("mari").await));
    assert_eq!(
        mari.post("/api/v1/cases", opening()).await.status,
        StatusCode::CREATED
    );

    // Signing out ends the session; the old cookie is refused.
    let out = answer(with(Method::DELETE, "/api/v1/session").header("X-CSRF-Token", &csrf)).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = answer(with(Method::GET, "/api/v1/cases")).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    // A new password ends every session.
    let again = cookie(&sign_in(&browser, "mari", PASSWORD).await);
    set_password(&anu, "mari").await;
    let ended = answer(
        browser
            .request(Method::GET, "/api/v1/cases")
            .header("Cookie", &again),
    )
    .await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);

    let kinds: Vec<String> = stage
        .log("auth")
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| !k.starts_with("Token"))
            .cloned()
            .collect::<Vec<_>>(),
        [
            "PasswordSet",
            "SignedIn",
            "SignedOut",
            "SignedIn",
            "PasswordSet"
        ],
    );
    let log = serde_json::to_string(&stage.log("auth").await).unwrap();
    assert!(!log.contains(PASSWORD) && !log.contains(&csrf));
    served.stop().await;
}

async fn failures_lock_and_addresses_are_limited(stage: &Stage) {
    let served = stage.serve(&["--sign-ins-per-minute", "8"]).await;
    let anu = Client::new(&served, Some(&stage.token("anu").await));
    set_password(&anu, "mari").await;
    let browser = Client::new(&served, None);

    // The same answer for a wrong password and for a name that is nobody's.
    let nobody = sign_in(&browser, "mallory", PASSWORD).await;
    assert_eq!(
        (nobody.status, nobody.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    // Five failures in a row lock mari's sign-in, even with the right
    // password; the fifth answers like the others.
    let started = std::time::Instant::now();
    for attempt in 1..=5 {
        let failed = sign_in(&browser, "mari", "arvan ära").await;
        assert_eq!(
            failed.code(),
            "unauthenticated",
            "attempt {attempt}: {}",
            failed.text
        );
        assert_eq!(failed.json["detail"], nobody.json["detail"]);
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250 + 500 + 1000 + 2000),
        "failures slow down: {:?}",
        started.elapsed()
    );
    let locked = sign_in(&browser, "mari", PASSWORD).await;
    assert_eq!(
        (locked.status, locked.code()),
        (StatusCode::TOO_MANY_REQUESTS, "locked-out"),
        "{}",
        locked.text
    );
    assert!(locked.headers.contains_key("retry-after"));
    // Another person is not locked out by mari's failures.
    set_password(&anu, "jaan").await;
    assert_eq!(
        sign_in(&browser, "jaan", PASSWORD).await.status,
        StatusCode::OK
    );
    // The ninth attempt in a minute from this address is refused unheard
    // (the limit is eight).
    let limited = sign_in(&browser, "jaan", PASSWORD).await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
        "{}",
        limited.text
    );

    let kinds: Vec<String> = stage
        .log("auth")
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("Sign") || k == "LockedOut")
        .collect();
    assert_eq!(
        kinds,
        [
            "SignInFailed",
            "SignInFailed",
            "SignInFailed",
            "SignInFailed",
            "SignInFailed",
            "SignInFailed",
            "LockedOut",
            "SignInFailed",
            "SignedIn"
        ],
    );
    served.stop().await;
}

/// Deactivating a person ends their sessions at once, and their right
/// password opens nothing until they are reactivated (recorded as a failure).
async fn deactivation_ends_sessions_and_sign_ins(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let anu = Client::new(&served, Some(&stage.token("anu").await));
    set_password(&anu, "mari").await;
    let browser = Client::new(&served, None);
    let signed = sign_in(&browser, "mari", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    let session = cookie(&signed);
    let who = |session: String| {
        let browser = &browser;
        async move {
            answer(
                browser
                    .request(Method::GET, "/api/v1/session")
                    .header("Cookie", session),
            )
            .await
        }
    };
    assert_eq!(who(session.clone()).await.status, StatusCode::OK);
    let off = anu
        .post(
            "/api/v1/actors/mari/deactivate",
            json!({"reason": "on long leave"}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.json["active"], false);
    assert_eq!(who(session).await.status, StatusCode::UNAUTHORIZED);
    let again = sign_in(&browser, "mari", PASSWORD).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    assert!(again.text.contains("deactivated"), "{}", again.text);
    // An administrator cannot deactivate themself; nobody else may at all.
    let own = anu
        .post("/api/v1/actors/anu/deactivate", json!({"reason": "x"}))
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.text);
    let back = anu.post("/api/v1/actors/mari/reactivate", json!({})).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    // A region: set, refused by name when it is no region, cleared.
    let region = |body: Value| {
        anu.request(Method::PUT, "/api/v1/actors/mari/region")
            .json(&body)
            .send()
    };
    let set = region(json!({"region": "south"})).await.unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(set.json::<Value>().await.unwrap()["region"], "south");
    let bad = region(json!({"region": "Lõuna"})).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("not a valid region"));
    let odd = region(json!({"area": "south"})).await.unwrap();
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);
    let cleared = region(json!({"region": null})).await.unwrap();
    assert_eq!(cleared.json::<Value>().await.unwrap().get("region"), None);
    let signed = sign_in(&browser, "mari", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    let failures: Vec<String> = stage
        .log("auth")
        .await
        .iter()
        .filter(|e| e["type"] == "SignInFailed")
        .map(|e| e["data"]["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(failures, ["deactivated"]);
    served.stop().await;
}
