//! Concurrency: racing writers on one stream, many writers under a live
//! subscriber, and a writer holding its transaction open while another commits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kroonika_store::{Direction, Error, ExpectedRevision, ReadFrom, StreamName};
use kroonika_tests::{TestStore, event};
use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;

use super::contract;

contract!(
    racing_writers_on_one_stream,
    writers_on_many_streams_under_a_subscriber,
    held_open_transaction_holds_back_later_writers,
);

const TASKS: usize = 8;

/// Each round, 8 tasks read the same revision and then append with it as the
/// exact expectation: exactly one wins, the other seven get a conflict naming the
/// winner's revision, and the stream ends with one event per round.
async fn racing_writers_on_one_stream(t: &TestStore) {
    const ROUNDS: u64 = 10;
    let s = StreamName::new("case-race").unwrap();
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (store, s, barrier) = (t.store.clone(), s.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for round in 0..ROUNDS {
                barrier.wait().await;
                let revision = store.stream_revision(&s).await.unwrap();
                barrier.wait().await;
                let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                let e = event("Raced", json!({ "task": task, "round": round }));
                let outcome = match store.append(&s, expected, &[e]).await {
                    Ok(result) => Ok(result.events[0].revision),
                    Err(Error::WrongExpectedRevision { actual, .. }) => Err(actual),
                    Err(other) => panic!("task {task} round {round}: {other}"),
                };
                outcomes.push((round, outcome));
                barrier.wait().await;
            }
            outcomes
        }));
    }
    let mut by_round: HashMap<u64, Vec<Result<u64, Option<u64>>>> = HashMap::new();
    for task in tasks {
        for (round, outcome) in task.await.unwrap() {
            by_round.entry(round).or_default().push(outcome);
        }
    }
    for round in 0..ROUNDS {
        let outcomes = &by_round[&round];
        let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(
            winners,
            [&round],
            "round {round}: exactly one winner, at revision {round}"
        );
        let losers: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
        assert_eq!(losers.len(), TASKS - 1);
        assert!(
            losers.iter().all(|actual| **actual == Some(round)),
            "round {round}: {losers:?}"
        );
    }
    let events = t
        .store
        .read_stream(&s, ReadFrom::Start, Direction::Forwards, 100)
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.revision).collect::<Vec<_>>(),
        (0..ROUNDS).collect::<Vec<_>>()
    );
    assert_eq!(t.store.head_position().await.unwrap(), ROUNDS);
}

/// 8 writers append batches of 1 to 3 events to 8 streams while a catch-up
/// subscriber, started first, follows the log: it sees every committed event
/// exactly once, in global order, with no gaps.
async fn writers_on_many_streams_under_a_subscriber(t: &TestStore) {
    const APPENDS: usize = 40;
    let mut subscription = t.store.subscribe(0);
    let mut writers = Vec::new();
    for w in 0..TASKS {
        let store = t.store.clone();
        writers.push(tokio::spawn(async move {
            let s = StreamName::new(format!("case-w{w}")).unwrap();
            let mut ids = Vec::new();
            let mut revision = None;
            for i in 0..APPENDS {
                let batch: Vec<_> = (0..=(i % 3))
                    .map(|k| event("Wrote", json!({ "w": w, "i": i, "k": k })))
                    .collect();
                let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                let result = store.append(&s, expected, &batch).await.unwrap();
                revision = result.stream_revision;
                ids.extend(batch.iter().map(|e| e.id));
            }
            ids
        }));
    }
    let total: usize = (0..APPENDS).map(|i| i % 3 + 1).sum::<usize>() * TASKS;
    let mut seen = Vec::with_capacity(total);
    while seen.len() < total {
        let next = tokio::time::timeout(Duration::from_secs(30), subscription.next()).await;
        seen.push(next.expect("the subscriber stalled").unwrap());
    }
    let mut written = HashSet::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    assert_eq!(
        seen.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=total as u64).collect::<Vec<_>>(),
        "positions are delivered in order, without gaps"
    );
    let delivered: HashSet<Uuid> = seen.iter().map(|e| e.id).collect();
    assert_eq!(delivered.len(), total, "no event delivered twice");
    assert_eq!(delivered, written, "every written event delivered");
    let mut next_revision: HashMap<&StreamName, u64> = HashMap::new();
    for e in &seen {
        let expected = next_revision.entry(&e.stream).or_insert(0);
        assert_eq!(e.revision, *expected, "{} out of order", e.stream);
        *expected += 1;
    }
    assert_eq!(subscription.position(), total as u64);
    let nothing = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await;
    assert!(nothing.is_err(), "nothing more to deliver");
}

/// Writer A takes its position and holds its transaction open; writer B tries to
/// append meanwhile. If B could commit first, a reader would see B's position,
/// move past A's, and skip A forever once A commits. So: B must wait, readers see
/// neither, and after A commits they see A, then B, at consecutive positions.
async fn held_open_transaction_holds_back_later_writers(t: &TestStore) {
    let seed = StreamName::new("case-seed").unwrap();
    t.store
        .append(
            &seed,
            ExpectedRevision::NoStream,
            &[event("Seeded", json!({}))],
        )
        .await
        .unwrap();
    let mut subscription = t.store.subscribe(1);

    let a = StreamName::new("case-a").unwrap();
    let pending = t
        .store
        .prepare_append(&a, ExpectedRevision::NoStream, &[event("A", json!({}))])
        .await
        .unwrap();
    assert_eq!(pending.result().events[0].position, 2);

    let store = t.store.clone();
    let b_writer = tokio::spawn(async move {
        let b = StreamName::new("case-b").unwrap();
        store
            .append(&b, ExpectedRevision::NoStream, &[event("B", json!({}))])
            .await
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!b_writer.is_finished(), "B must wait for A's transaction");
    assert_eq!(
        t.store.head_position().await.unwrap(),
        1,
        "readers see neither A nor B"
    );
    assert!(subscription.try_next().await.unwrap().is_none());

    pending.commit().await.unwrap();
    let b_result = tokio::time::timeout(Duration::from_secs(10), b_writer)
        .await
        .expect("B proceeds once A commits")
        .unwrap()
        .unwrap();
    assert_eq!(b_result.events[0].position, 3);

    let first = subscription.next().await.unwrap();
    let second = subscription.next().await.unwrap();
    assert_eq!((first.event_type.as_str(), first.position), ("A", 2));
    assert_eq!((second.event_type.as_str(), second.position), ("B", 3));

    // A pending append that is dropped leaves nothing behind and frees the lock.
    let dropped = t
        .store
        .prepare_append(
            &a,
            ExpectedRevision::Exact(0),
            &[event("Dropped", json!({}))],
        )
        .await
        .unwrap();
    dropped.rollback().await.unwrap();
    let c = StreamName::new("case-c").unwrap();
    let c_result = t
        .store
        .append(&c, ExpectedRevision::NoStream, &[event("C", json!({}))])
        .await
        .unwrap();
    assert_eq!(
        c_result.events[0].position, 4,
        "no gap where the rolled-back append was"
    );
}
