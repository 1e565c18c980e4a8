//! The database itself refuses to change or remove stored events, whoever asks.

use kroonika_store::{Direction, ExpectedRevision, ReadFrom, StreamName};
use kroonika_tests::{Backend, TestStore, event};
use serde_json::json;

use super::contract;

contract!(update_and_delete_are_refused_by_the_database);

async fn update_and_delete_are_refused_by_the_database(t: &TestStore) {
    let s = StreamName::new("case-fixed").unwrap();
    t.store
        .append(
            &s,
            ExpectedRevision::NoStream,
            &[event("Opened", json!({"who": "mari"}))],
        )
        .await
        .unwrap();
    let mut statements = vec![
        "UPDATE events SET data = '{\"who\":\"jaan\"}' WHERE position = 1",
        "UPDATE events SET position = 7",
        "DELETE FROM events WHERE position = 1",
        "DELETE FROM events",
    ];
    if t.backend == Backend::Postgres {
        statements.push("TRUNCATE events");
    }
    for sql in statements {
        let err = t.raw_execute(sql).await.expect_err(sql);
        let message = err
            .as_database_error()
            .map(|db| db.message().to_owned())
            .unwrap_or_default();
        assert!(message.contains("events are immutable"), "{sql}: {err}");
    }
    let all = t
        .store
        .read_all(ReadFrom::Start, Direction::Forwards, 10)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].data.as_str(), r#"{"who":"mari"}"#);
    // Inserting is still possible for the store itself.
    t.store
        .append(&s, ExpectedRevision::Exact(0), &[event("Noted", json!({}))])
        .await
        .unwrap();
}
