//! Catch-up subscriptions: history first, then live events; resuming from a
//! checkpoint; following one category; waking for another process's commit.

use std::time::Duration;

use kroonika_store::{ExpectedRevision, Store, StreamName};
use kroonika_tests::{TestStore, event};
use serde_json::json;

use super::contract;

contract!(
    catch_up_then_follow,
    resume_from_checkpoint_and_category,
    wakes_for_another_process
);

async fn append_to(t: &TestStore, stream: &str, n: usize) {
    let s = StreamName::new(stream).unwrap();
    for _ in 0..n {
        t.store
            .append(&s, ExpectedRevision::Any, &[event("Step", json!({}))])
            .await
            .unwrap();
    }
}

async fn catch_up_then_follow(t: &TestStore) {
    append_to(t, "case-1", 3).await;
    let mut subscription = t.store.subscribe(0);
    for position in 1..=3 {
        assert_eq!(subscription.next().await.unwrap().position, position);
    }
    let live = tokio::spawn(async move {
        let event = subscription.next().await.unwrap();
        (event.position, event.stream.to_string())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!live.is_finished(), "caught up: waits for the next commit");
    append_to(t, "case-2", 1).await;
    let (position, stream) = tokio::time::timeout(Duration::from_secs(5), live)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((position, stream.as_str()), (4, "case-2"));
}

async fn resume_from_checkpoint_and_category(t: &TestStore) {
    append_to(t, "case-1", 2).await;
    append_to(t, "other-1", 2).await;
    append_to(t, "case-2", 2).await;
    let mut resumed = t.store.subscribe(4);
    assert_eq!(resumed.next().await.unwrap().position, 5);
    assert_eq!(resumed.position(), 5);
    let mut cases = t.store.subscribe_category("case", 0);
    let mut seen = Vec::new();
    while let Some(event) = cases.try_next().await.unwrap() {
        seen.push(event.position);
    }
    assert_eq!(seen, [1, 2, 5, 6]);
}

/// A second `Store` on the same database stands in for another process (another
/// machine, on PostgreSQL): its commits reach this subscriber by notification or
/// by polling, never not at all.
async fn wakes_for_another_process(t: &TestStore) {
    let other = Store::open(&t.url).await.unwrap();
    let mut subscription = t.store.subscribe(0);
    let waiting = tokio::spawn(async move { subscription.next().await.unwrap().position });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let s = StreamName::new("case-remote").unwrap();
    other
        .append(
            &s,
            ExpectedRevision::NoStream,
            &[event("Remote", json!({}))],
        )
        .await
        .unwrap();
    let position = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position, 1);
    other.close().await;
}
