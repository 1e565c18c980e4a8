//! Conformance: events written around the rules are found by `audit verify`
//! even when their hashes are right (written through the store itself, as a
//! program with database access could), on both backends.

use kroonika_engine::{ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::Store;
use kroonika_tests::Backend;
use serde_json::json;
use uuid::Uuid;

use crate::case_cli::{open_case, setup};
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(events_the_rules_would_not_allow_are_found);

async fn case_id(url: &str, reference: &str) -> String {
    let (_, out, _) = kroonika(
        url,
        Some("mari"),
        &["case", "show", reference, "--format", "json"],
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["case_id"].as_str().unwrap().to_owned()
}

async fn events_the_rules_would_not_allow_are_found(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let (code, out, _) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("every event follows the rules it was decided by (1 case events of 1 cases"),
        "{out}"
    );

    // A facilitator grants themself administration, straight into the store.
    let store = Store::open(&url).await.unwrap();
    let at = chrono::Utc::now();
    let forged_role = NewEvent::new(
        Uuid::now_v7(),
        "RoleGranted",
        &json!({ "role": "admin" }),
        Metadata::for_command("jaan", Uuid::now_v7(), at),
    )
    .unwrap();
    store
        .append(
            &StreamName::new("actor-jaan").unwrap(),
            ExpectedRevision::Any,
            &[forged_role],
        )
        .await
        .unwrap();
    // And closes a case as fulfilled without a conference.
    let id = case_id(&url, &case).await;
    let forged_step = NewEvent::new(
        Uuid::now_v7(),
        "TransitionTaken",
        &json!({ "transition": "fulfilled", "from": "referred", "to": "closed-fulfilled", "closes": true, "outcome": "fulfilled" }),
        Metadata::for_command("mari", Uuid::now_v7(), at),
    )
    .unwrap();
    store
        .append(
            &StreamName::new(format!("case-{id}")).unwrap(),
            ExpectedRevision::Exact(0),
            &[forged_step],
        )
        .await
        .unwrap();
    store.close().await;

    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(
        out.starts_with("the hash chain holds"),
        "the hashes are right: {out}"
    );
    assert!(
        out.contains("(actor-jaan, revision 1, RoleGranted): the rules refuse it: actor 'jaan' lacks role 'admin' needed to administer actors"),
        "{out}"
    );
    assert!(
        out.contains(&format!("(case-{id}, revision 1, TransitionTaken): the rules refuse it: unknown transition 'fulfilled' in state 'referred'")),
        "{out}"
    );
    assert!(
        err.starts_with("integrity failure: 2 event(s) the rules would not have allowed"),
        "{err}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}
