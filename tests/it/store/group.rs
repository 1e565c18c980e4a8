//! Group commit: writes queued while another commits are committed together,
//! and each is still judged alone (a conflict, a moved precondition, a reused
//! id or a retry in the group never fails the others); positions stay gapless,
//! the chain holds, wake-ups go with their events.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use kroonika_store::{
    Direction, Error, ErrorKind, ExpectedRevision, ReadFrom, StreamName, Timer, Unchanged, Write,
    WriteResult,
};
use kroonika_tests::{TestStore, event, event_with_id};
use serde_json::json;

use super::contract;

contract!(queued_writes_commit_together_each_judged_alone);

fn stream(name: &str) -> StreamName {
    StreamName::new(name).unwrap()
}

fn one(name: &str, expected: ExpectedRevision) -> Write {
    Write::append(&stream(name), expected, vec![event("Noted", json!({}))])
}

type Pending = Pin<Box<dyn Future<Output = kroonika_store::Result<WriteResult>> + Send>>;

async fn queued_writes_commit_together_each_judged_alone(t: &TestStore) {
    let store = &t.store;
    // Written before: retried in the group.
    let earlier = one("case-earlier", ExpectedRevision::NoStream);
    let first = store.write(&earlier).await.unwrap();
    store
        .append(
            &stream("actor-mari"),
            ExpectedRevision::NoStream,
            &[event("ActorRegistered", json!({}))],
        )
        .await
        .unwrap();
    let seen = store.head_position().await.unwrap();
    let before = store.group_stats();

    // Another writer holds the lock: the writer task takes the next write
    // and waits for it; everything after queues behind.
    let held = store
        .prepare_append(
            &stream("case-held"),
            ExpectedRevision::NoStream,
            &[event("Noted", json!({}))],
        )
        .await
        .unwrap();
    let blocked: Pending = {
        let (store, write) = (store.clone(), one("case-zero", ExpectedRevision::NoStream));
        Box::pin(async move { store.write(&write).await })
    };
    let blocked = tokio::spawn(blocked);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let due = Utc.with_ymd_and_hms(2026, 12, 24, 9, 0, 0).unwrap();
    let opens = Write::default().with(
        &stream("case-a"),
        ExpectedRevision::NoStream,
        vec![event("Opened", json!({}))],
        Timer::Set(due),
    );
    let opened_id = opens.streams[0].events[0].id;
    let mut decided_before_the_grant = one("case-c", ExpectedRevision::Any);
    decided_before_the_grant.unchanged = Some(Unchanged {
        categories: vec!["actor".to_owned()],
        position: seen,
    });
    let mut same_id_twice = one("case-invalid", ExpectedRevision::Any);
    let twin = same_id_twice.streams[0].events[0].clone();
    same_id_twice.streams[0].events.push(twin);
    let writes: Vec<(&str, Write)> = vec![
        ("opens", opens.clone()),
        ("loses the race", one("case-a", ExpectedRevision::NoStream)),
        (
            "expects too much",
            one("case-b", ExpectedRevision::Exact(5)),
        ),
        ("retried", earlier.clone()),
        (
            "grants a role",
            Write::append(
                &stream("actor-mari"),
                ExpectedRevision::Exact(0),
                vec![event("RoleGranted", json!({}))],
            ),
        ),
        ("decided before the grant", decided_before_the_grant),
        (
            "reuses an id",
            Write::append(
                &stream("case-d"),
                ExpectedRevision::NoStream,
                vec![event_with_id(opened_id, "Opened", json!({"other": true}))],
            ),
        ),
        ("sent twice", opens),
        ("invalid", same_id_twice),
        (
            "spans two streams",
            one("case-e", ExpectedRevision::NoStream).with(
                &stream("case-f"),
                ExpectedRevision::NoStream,
                vec![event("Noted", json!({}))],
                Timer::Keep,
            ),
        ),
        (
            "after the failures",
            one("case-g", ExpectedRevision::NoStream),
        ),
    ];
    // Queued in this order, all in one poll, while the writer waits.
    let mut pending: Vec<Pending> = writes
        .iter()
        .map(|(_, write)| {
            let (store, write) = (store.clone(), write.clone());
            Box::pin(async move { store.write(&write).await }) as Pending
        })
        .collect();
    let mut early: Vec<Option<kroonika_store::Result<WriteResult>>> = Vec::new();
    std::future::poll_fn(|cx| {
        for future in &mut pending {
            early.push(match future.as_mut().poll(cx) {
                Poll::Ready(answer) => Some(answer),
                Poll::Pending => None,
            });
        }
        Poll::Ready(())
    })
    .await;
    assert!(early.iter().all(Option::is_none), "every write waits");
    held.commit().await.unwrap();
    blocked.await.unwrap().unwrap();
    let mut answers = Vec::new();
    for future in pending {
        answers.push(future.await);
    }
    let answer = |name: &str| {
        let at = writes.iter().position(|(n, _)| *n == name).unwrap();
        &answers[at]
    };

    let opened = answer("opens").as_ref().unwrap();
    assert!(!opened.replayed);
    match answer("loses the race") {
        Err(Error::WrongExpectedRevision { actual, .. }) => assert_eq!(*actual, Some(0)),
        other => panic!("loses the race: {other:?}"),
    }
    match answer("expects too much") {
        Err(Error::WrongExpectedRevision { actual, .. }) => assert_eq!(*actual, None),
        other => panic!("expects too much: {other:?}"),
    }
    let retried = answer("retried").as_ref().unwrap();
    assert!(retried.replayed);
    assert_eq!(retried.streams, {
        let mut same = first.streams.clone();
        same[0].replayed = true;
        same
    });
    answer("grants a role").as_ref().unwrap();
    match answer("decided before the grant") {
        Err(err @ Error::Moved { .. }) => assert!(err.is_conflict()),
        other => panic!("decided before the grant: {other:?}"),
    }
    match answer("reuses an id") {
        Err(err) => assert_eq!(err.kind(), ErrorKind::Rejected, "{err}"),
        other => panic!("reuses an id: {other:?}"),
    }
    let twice = answer("sent twice").as_ref().unwrap();
    assert!(twice.replayed);
    assert_eq!(
        twice.streams[0].events[0].position,
        opened.streams[0].events[0].position
    );
    match answer("invalid") {
        Err(err @ Error::InvalidEvent { .. }) => assert_eq!(err.kind(), ErrorKind::Rejected),
        other => panic!("invalid: {other:?}"),
    }
    let spans = answer("spans two streams").as_ref().unwrap();
    assert_eq!(spans.streams.len(), 2);
    answer("after the failures").as_ref().unwrap();

    // The held write, the blocked one alone, then the rest in one group.
    let after = store.group_stats();
    assert_eq!(after.writes - before.writes, 1 + writes.len() as u64);
    assert_eq!(after.groups - before.groups, 2, "{before:?} → {after:?}");

    // What was written: gapless, in queue order, chained; nothing of a
    // refused write; the wake-up with its event.
    let log = store
        .read_all(ReadFrom::Start, Direction::Forwards, 1_000)
        .await
        .unwrap();
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>());
    let streams: Vec<&str> = log.iter().map(|e| e.stream.as_str()).collect();
    assert_eq!(
        streams,
        [
            "case-earlier",
            "actor-mari",
            "case-held",
            "case-zero",
            "case-a",
            "actor-mari",
            "case-e",
            "case-f",
            "case-g"
        ]
    );
    for absent in ["case-b", "case-c", "case-d", "case-invalid"] {
        assert_eq!(store.stream_revision(&stream(absent)).await.unwrap(), None);
    }
    let report = store.verify_chain(|_| {}).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.checked, log.len() as u64);
    assert_eq!(
        store.all_timers().await.unwrap(),
        vec![(stream("case-a"), due)]
    );
}
