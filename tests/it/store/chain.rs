//! The hash chain makes tampering evident: whatever someone with database rights
//! does to the log around Kroonika (modify, delete, insert, reorder, each done
//! with raw SQL after dropping the immutability triggers), verification fails and
//! names the first broken place; an untouched log verifies clean.

use kroonika_store::chain::{Breakage, ChainReport, to_hex};
use kroonika_store::{ExpectedRevision, StreamName};
use kroonika_tests::{Backend, TestStore, event};
use serde_json::json;

use super::contract;

contract!(
    an_untouched_log_verifies,
    a_modified_event_is_found,
    a_deleted_event_is_found,
    an_inserted_event_is_found,
    reordered_events_are_found,
);

/// Six events over two streams, positions 1..=6.
async fn history(t: &TestStore) {
    for (stream, n) in [("case-a", 3u64), ("case-b", 3)] {
        let s = StreamName::new(stream).unwrap();
        for i in 0..n {
            t.store
                .append(
                    &s,
                    ExpectedRevision::Any,
                    &[event("Happened", json!({"stream": stream, "n": i}))],
                )
                .await
                .unwrap();
        }
    }
}

async fn drop_triggers(t: &TestStore) {
    let statements: &[&str] = match t.backend {
        Backend::Sqlite => &[
            "DROP TRIGGER events_no_update",
            "DROP TRIGGER events_no_delete",
        ],
        Backend::Postgres => &["DROP TRIGGER events_no_update_or_delete ON events"],
    };
    for sql in statements {
        t.raw_execute(sql).await.unwrap();
    }
}

async fn verify(t: &TestStore) -> ChainReport {
    let mut seen = 0;
    let report = t.store.verify_chain(|_| seen += 1).await.unwrap();
    assert!(seen >= report.checked);
    report
}

async fn an_untouched_log_verifies(t: &TestStore) {
    assert_eq!(verify(t).await.broken, None);
    history(t).await;
    let report = verify(t).await;
    assert_eq!(report.broken, None);
    assert_eq!(report.checked, 6);
    let head = t.store.chain_head().await.unwrap().unwrap();
    assert_eq!(report.head, Some((6, head.hash.unwrap())));
    assert_eq!(to_hex(&head.hash.unwrap()).len(), 64);
}

async fn a_modified_event_is_found(t: &TestStore) {
    history(t).await;
    drop_triggers(t).await;
    t.raw_execute(r#"UPDATE events SET data = '{"stream":"case-a","n":7}' WHERE position = 3"#)
        .await
        .unwrap();
    let broken = verify(t).await.broken.expect("a break");
    assert_eq!(broken.position, 3);
    assert_eq!(broken.stream, "case-a");
    assert_eq!(broken.revision, 2);
    assert_eq!(broken.what, Breakage::Changed);
    assert!(
        broken
            .to_string()
            .contains("was changed after it was written")
    );
}

async fn a_deleted_event_is_found(t: &TestStore) {
    history(t).await;
    drop_triggers(t).await;
    t.raw_execute("DELETE FROM events WHERE position = 3")
        .await
        .unwrap();
    let broken = verify(t).await.broken.expect("a break");
    assert_eq!(broken.position, 4);
    assert_eq!(broken.what, Breakage::Missing { expected: 3 });
    assert!(broken.to_string().contains("position 3 is missing"));

    // Closing the gap by renumbering does not hide it either.
    t.raw_execute("UPDATE events SET position = position + 1000 WHERE position > 3")
        .await
        .unwrap();
    t.raw_execute("UPDATE events SET position = position - 1001 WHERE position > 1000")
        .await
        .unwrap();
    let broken = verify(t).await.broken.expect("a break");
    assert_eq!(broken.position, 3);
    assert_eq!(broken.what, Breakage::OutOfPlace);
}

async fn an_inserted_event_is_found(t: &TestStore) {
    history(t).await;
    drop_triggers(t).await;
    t.raw_execute("UPDATE events SET position = position + 1000 WHERE position >= 3")
        .await
        .unwrap();
    t.raw_execute("UPDATE events SET position = position - 999 WHERE position > 1000")
        .await
        .unwrap();
    let id = match t.backend {
        Backend::Sqlite => "randomblob(16)",
        Backend::Postgres => "gen_random_uuid()",
    };
    // A forged event that copies its neighbour's hash.
    t.raw_execute(&format!(
        "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash) \
         SELECT 3, 'case-forged', 'case', 0, {id}, event_type, data, metadata, recorded_at, hash FROM events WHERE position = 2"
    ))
    .await
    .unwrap();
    let broken = verify(t).await.broken.expect("a break");
    assert_eq!(broken.position, 3);
    assert_eq!(broken.stream, "case-forged");
    assert_eq!(broken.what, Breakage::OutOfPlace);
}

async fn reordered_events_are_found(t: &TestStore) {
    history(t).await;
    drop_triggers(t).await;
    for sql in [
        "UPDATE events SET position = 1004 WHERE position = 4",
        "UPDATE events SET position = 4 WHERE position = 5",
        "UPDATE events SET position = 5 WHERE position = 1004",
    ] {
        t.raw_execute(sql).await.unwrap();
    }
    let broken = verify(t).await.broken.expect("a break");
    assert_eq!(broken.position, 4);
    assert_eq!(broken.what, Breakage::OutOfPlace);
    assert!(broken.to_string().contains("inserted, removed or moved"));
}
