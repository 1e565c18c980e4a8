//! The one write path: several streams, wake-ups and subject keys in one
//! atomic write; a precondition on categories; deciding under the write lock.

use chrono::{TimeZone, Utc};
use kroonika_store::{
    Direction, Error, ExpectedRevision, IndexChange, LockedRead, ReadFrom, StreamName,
    SubjectKeyRow, Timer, Unchanged, Write,
};
use kroonika_tests::{TestStore, event};
use serde_json::json;
use uuid::Uuid;

use super::contract;

contract!(
    a_write_spans_streams_whole_or_not_at_all,
    keys_and_wake_ups_go_with_their_events,
    a_precondition_refuses_a_decision_made_on_a_moved_category,
    deciding_under_the_lock_sees_every_write_before_it,
);

fn stream(name: &str) -> StreamName {
    StreamName::new(name).unwrap()
}

fn key(subject: Uuid, stream: &str) -> SubjectKeyRow {
    SubjectKeyRow {
        subject,
        stream: stream.to_owned(),
        name: "victim".to_owned(),
        wrapped: Some(vec![7; 40]),
        created_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        erased_at: None,
    }
}

async fn a_write_spans_streams_whole_or_not_at_all(t: &TestStore) {
    let refs = stream("caseref-SC.2026");
    let case = stream("case-one");
    t.store
        .append(
            &refs,
            ExpectedRevision::NoStream,
            &[event("Allocated", json!({"n": 1}))],
        )
        .await
        .unwrap();
    // The second stream's expectation fails: nothing of the write is kept.
    let stale = Write::append(
        &refs,
        ExpectedRevision::Exact(0),
        vec![event("Allocated", json!({"n": 2}))],
    )
    .with(
        &case,
        ExpectedRevision::Exact(3),
        vec![event("Opened", json!({}))],
        Timer::Keep,
    );
    let err = t.store.write(&stale).await.unwrap_err();
    assert!(
        matches!(&err, Error::WrongExpectedRevision { stream, .. } if *stream == case),
        "{err}"
    );
    assert_eq!(
        t.store.head_position().await.unwrap(),
        1,
        "nothing was written"
    );
    // Right expectations: both streams, consecutive positions, one commit.
    let good = Write::append(
        &refs,
        ExpectedRevision::Exact(0),
        vec![event("Allocated", json!({"n": 2}))],
    )
    .with(
        &case,
        ExpectedRevision::NoStream,
        vec![event("Opened", json!({})), event("Noted", json!({}))],
        Timer::Keep,
    );
    let done = t.store.write(&good).await.unwrap();
    assert!(!done.replayed);
    let places: Vec<(u64, u64)> = done
        .streams
        .iter()
        .flat_map(|s| s.events.iter().map(|e| (e.position, e.revision)))
        .collect();
    assert_eq!(places, [(2, 1), (3, 0), (4, 1)]);
    // The same write again is a retry: the original places, nothing written.
    let again = t.store.write(&good).await.unwrap();
    assert!(again.replayed);
    assert_eq!(
        again.streams,
        done.streams
            .iter()
            .map(|s| kroonika_store::AppendResult {
                replayed: true,
                ..s.clone()
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(t.store.head_position().await.unwrap(), 4);
    // One stream's part of it, alone, is judged on that stream: stored there
    // identically, where its expectation puts it, so a retry too.
    let part = Write::append(
        &case,
        ExpectedRevision::NoStream,
        good.streams[1].events.clone(),
    );
    assert!(t.store.write(&part).await.unwrap().replayed);
    // Its events with other content are not.
    let mut changed = good.clone();
    changed.streams[1].events[1] = kroonika_tests::event_with_id(
        good.streams[1].events[1].id,
        "Noted",
        json!({"changed": true}),
    );
    let err = t.store.write(&changed).await.unwrap_err();
    assert!(matches!(err, Error::EventIdReused { .. }), "{err}");
    // An id twice in one write is refused before anything is tried.
    let twice = event("Twice", json!({}));
    let dup = Write::append(
        &stream("case-x"),
        ExpectedRevision::Any,
        vec![twice.clone()],
    )
    .with(
        &stream("case-y"),
        ExpectedRevision::Any,
        vec![twice],
        Timer::Keep,
    );
    let err = t.store.write(&dup).await.unwrap_err();
    assert!(matches!(err, Error::InvalidEvent { .. }), "{err}");
    assert_eq!(t.store.head_position().await.unwrap(), 4);
}

async fn keys_and_wake_ups_go_with_their_events(t: &TestStore) {
    let case = stream("case-keys");
    let subject = Uuid::now_v7();
    let due = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    // A write that conflicts stores neither its key nor its wake-up.
    let mut write = Write::append(
        &case,
        ExpectedRevision::Exact(9),
        vec![event("Opened", json!({}))],
    );
    write.streams[0].timer = Timer::Set(due);
    write.new_keys = vec![key(subject, case.as_str())];
    let token = |b: u8| vec![b; 32];
    let indexed = |field: &str, tokens: Vec<Vec<u8>>| IndexChange::Field {
        stream: case.to_string(),
        field: field.to_owned(),
        subject,
        tokens: tokens.into_iter().map(|t| ("text".to_owned(), t)).collect(),
    };
    write.index = vec![indexed("victim_name", vec![token(1)])];
    assert!(t.store.write(&write).await.unwrap_err().is_conflict());
    assert!(t.store.subject_keys(None).await.unwrap().is_empty());
    assert!(t.store.all_timers().await.unwrap().is_empty());
    assert_eq!(t.store.index_size().await.unwrap(), 0);
    // The same write at the right revision stores all four.
    write.streams[0].expected = ExpectedRevision::NoStream;
    t.store.write(&write).await.unwrap();
    assert_eq!(t.store.subject_keys(None).await.unwrap().len(), 1);
    assert_eq!(t.store.all_timers().await.unwrap(), [(case.clone(), due)]);
    let hits = t.store.search_index(&[token(1)]).await.unwrap();
    assert_eq!(
        (hits.len(), hits[0].stream.as_str(), hits[0].field.as_str()),
        (1, case.as_str(), "victim_name")
    );
    // A field's new tokens replace its old ones.
    let mut corrected = Write::append(
        &case,
        ExpectedRevision::Exact(0),
        vec![event("Corrected", json!({}))],
    );
    corrected.index = vec![indexed("victim_name", vec![token(2)])];
    t.store.write(&corrected).await.unwrap();
    assert!(t.store.search_index(&[token(1)]).await.unwrap().is_empty());
    assert_eq!(t.store.search_index(&[token(2)]).await.unwrap().len(), 1);
    // A key made a second time for the same subject is a conflict; nothing kept.
    let mut twice = Write::append(
        &case,
        ExpectedRevision::Exact(1),
        vec![event("Noted", json!({}))],
    );
    twice.new_keys = vec![key(subject, case.as_str())];
    let err = t.store.write(&twice).await.unwrap_err();
    assert!(matches!(err, Error::SubjectKeyExists { .. }), "{err}");
    assert_eq!(t.store.stream_revision(&case).await.unwrap(), Some(1));
    // An erasure destroys the key, and the subject's index entries, in the
    // write that records it; the wake-up clears.
    let mut erase = Write::append(
        &case,
        ExpectedRevision::Exact(1),
        vec![event("SubjectErased", json!({}))],
    );
    erase.destroy_keys = vec![subject];
    erase.streams[0].timer = Timer::Clear;
    t.store.write(&erase).await.unwrap();
    let keys = t.store.subject_keys(None).await.unwrap();
    assert_eq!(keys[0].wrapped, None);
    assert!(keys[0].erased_at.is_some());
    assert!(t.store.all_timers().await.unwrap().is_empty());
    assert_eq!(t.store.index_size().await.unwrap(), 0);
    // A wake-up alone (no events) changes only the wake-up.
    let only_timer = Write::default().with(
        &case,
        ExpectedRevision::Exact(2),
        Vec::new(),
        Timer::Set(due),
    );
    t.store.write(&only_timer).await.unwrap();
    assert_eq!(t.store.all_timers().await.unwrap().len(), 1);
    assert_eq!(t.store.head_position().await.unwrap(), 3);
}

async fn a_precondition_refuses_a_decision_made_on_a_moved_category(t: &TestStore) {
    let registry = vec!["actor".to_owned(), "definition".to_owned()];
    t.store
        .append(
            &stream("actor-mari"),
            ExpectedRevision::NoStream,
            &[event("ActorRegistered", json!({}))],
        )
        .await
        .unwrap();
    let seen = t.store.head_position().await.unwrap();
    let case = stream("case-pre");
    let decided = |position: u64| {
        let mut write = Write::append(
            &case,
            ExpectedRevision::Any,
            vec![event("Noted", json!({}))],
        );
        write.unchanged = Some(Unchanged {
            categories: registry.clone(),
            position,
        });
        write
    };
    // Other categories may move freely.
    t.store
        .append(
            &stream("case-other"),
            ExpectedRevision::Any,
            &[event("Noted", json!({}))],
        )
        .await
        .unwrap();
    t.store.write(&decided(seen)).await.unwrap();
    // A role granted since: the decision made before it is refused, nothing kept.
    t.store
        .append(
            &stream("actor-mari"),
            ExpectedRevision::Exact(0),
            &[event("RoleGranted", json!({}))],
        )
        .await
        .unwrap();
    let head = t.store.head_position().await.unwrap();
    let err = t.store.write(&decided(seen)).await.unwrap_err();
    assert!(matches!(err, Error::Moved { .. }), "{err}");
    assert!(err.is_conflict());
    assert_eq!(t.store.head_position().await.unwrap(), head);
    // Decided again on what moved, it goes through.
    t.store.write(&decided(head)).await.unwrap();
    // The registry's own events, read from a position, in one query.
    let moved = t
        .store
        .read_categories(&registry, seen + 1, 100)
        .await
        .unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].event_type, "RoleGranted");
    // Index entries made from what was read are held to it too, with no
    // event to write (a rebuild racing a correction).
    let rebuilt = |position: u64| Write {
        index: vec![IndexChange::ClearStream(case.to_string())],
        unchanged: Some(Unchanged {
            categories: vec!["case".to_owned()],
            position,
        }),
        ..Write::default()
    };
    let read_at = t.store.head_position().await.unwrap();
    t.store.write(&rebuilt(read_at)).await.unwrap();
    t.store
        .append(&case, ExpectedRevision::Any, &[event("Noted", json!({}))])
        .await
        .unwrap();
    let err = t.store.write(&rebuilt(read_at)).await.unwrap_err();
    assert!(matches!(err, Error::Moved { .. }), "{err}");
}

async fn deciding_under_the_lock_sees_every_write_before_it(t: &TestStore) {
    let case = stream("case-locked");
    let refs = stream("caseref-LK.2026");
    t.store
        .append(
            &case,
            ExpectedRevision::NoStream,
            &[event("Opened", json!({}))],
        )
        .await
        .unwrap();
    // Eight deciders at once, each reading the case under the lock and appending
    // at the revision it read: none conflicts, none decides on a stale case.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = t.store.clone();
        let (case, refs) = (case.clone(), refs.clone());
        tasks.push(tokio::spawn(async move {
            let read = LockedRead {
                streams: vec![case.clone()],
                revisions: vec![refs.clone()],
                ..LockedRead::default()
            };
            store
                .write_locked(&read, |view| {
                    let seen = view.histories[0].len() as u64;
                    Ok::<_, String>(Some(
                        Write::append(
                            &case,
                            ExpectedRevision::Exact(seen - 1),
                            vec![event("Noted", json!({ "seen": seen, "writer": i }))],
                        )
                        .with(
                            &refs,
                            view.revisions[0]
                                .map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact),
                            vec![event("Allocated", json!({}))],
                            Timer::Keep,
                        ),
                    ))
                })
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap().unwrap();
    }
    let history = t
        .store
        .read_stream(&case, ReadFrom::Start, Direction::Forwards, 100)
        .await
        .unwrap();
    let seen: Vec<u64> = history[1..]
        .iter()
        .map(|e| e.data.to_value().unwrap()["seen"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seen,
        (1..=8).collect::<Vec<_>>(),
        "each decided on all before it"
    );
    assert_eq!(t.store.stream_revision(&refs).await.unwrap(), Some(7));
    // A refusal writes nothing and releases the lock.
    let refused = t
        .store
        .write_locked(&LockedRead::default(), |_| Err::<Option<Write>, _>("no"))
        .await;
    assert!(matches!(
        refused,
        Err(kroonika_store::LockedError::Decided("no"))
    ));
    t.store
        .append(
            &case,
            ExpectedRevision::Exact(8),
            &[event("After", json!({}))],
        )
        .await
        .unwrap();
}
