//! Appending: expected-revision rules, atomic batches, what a conflict leaves behind.

use kroonika_store::{Direction, Error, ExpectedRevision, ReadFrom, StreamName};
use kroonika_tests::{TestStore, event};
use serde_json::json;

use super::contract;

contract!(
    expected_revision_rules,
    conflict_appends_nothing,
    batch_is_atomic_and_contiguous,
    empty_append_only_checks,
    large_payload_round_trips,
    invalid_events_are_refused,
    recorded_at_never_decreases,
);

fn stream(name: &str) -> StreamName {
    StreamName::new(name).unwrap()
}

/// Appends one event and returns the conflict's actual revision, or None on success.
async fn try_append(
    t: &TestStore,
    s: &StreamName,
    expected: ExpectedRevision,
) -> Result<(), Option<u64>> {
    match t
        .store
        .append(s, expected, &[event("Noted", json!({}))])
        .await
    {
        Ok(_) => Ok(()),
        Err(Error::WrongExpectedRevision {
            actual,
            stream,
            expected: e,
        }) => {
            assert_eq!(&stream, s);
            assert_eq!(e, expected);
            Err(actual)
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

async fn expected_revision_rules(t: &TestStore) {
    use ExpectedRevision::*;
    let s = stream("case-rules");
    // On a stream that does not exist.
    assert_eq!(try_append(t, &s, StreamExists).await, Err(None));
    assert_eq!(try_append(t, &s, Exact(0)).await, Err(None));
    assert_eq!(try_append(t, &s, NoStream).await, Ok(()));
    // Now at revision 0.
    assert_eq!(try_append(t, &s, NoStream).await, Err(Some(0)));
    assert_eq!(try_append(t, &s, Exact(1)).await, Err(Some(0)));
    assert_eq!(try_append(t, &s, Exact(0)).await, Ok(()));
    assert_eq!(try_append(t, &s, StreamExists).await, Ok(()));
    assert_eq!(try_append(t, &s, Any).await, Ok(()));
    assert_eq!(try_append(t, &s, Exact(2)).await, Err(Some(3)));
    assert_eq!(try_append(t, &s, Exact(3)).await, Ok(()));
    assert_eq!(t.store.stream_revision(&s).await.unwrap(), Some(4));
    // Any on a new stream creates it.
    let other = stream("case-other");
    assert_eq!(try_append(t, &other, Any).await, Ok(()));
    assert_eq!(t.store.head_position().await.unwrap(), 6);

    let message = Error::WrongExpectedRevision {
        stream: s.clone(),
        expected: Exact(2),
        actual: Some(4),
    }
    .to_string();
    assert_eq!(
        message,
        "conflict: stream 'case-rules' was expected at revision 2, but it is at revision 4"
    );
}

async fn conflict_appends_nothing(t: &TestStore) {
    let s = stream("case-conflict");
    t.store
        .append(
            &s,
            ExpectedRevision::NoStream,
            &[event("Opened", json!({"n": 1}))],
        )
        .await
        .unwrap();
    let batch = [
        event("A", json!(1)),
        event("B", json!(2)),
        event("C", json!(3)),
    ];
    let err = t
        .store
        .append(&s, ExpectedRevision::Exact(5), &batch)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(t.store.head_position().await.unwrap(), 1);
    let all = t
        .store
        .read_all(ReadFrom::Start, Direction::Forwards, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].event_type, "Opened");
    // The same batch with the right expectation goes in whole afterwards.
    t.store
        .append(&s, ExpectedRevision::Exact(0), &batch)
        .await
        .unwrap();
    assert_eq!(t.store.head_position().await.unwrap(), 4);
}

async fn batch_is_atomic_and_contiguous(t: &TestStore) {
    let a = stream("case-a");
    let b = stream("case-b");
    let first = t
        .store
        .append(
            &a,
            ExpectedRevision::NoStream,
            &[event("One", json!(1)), event("Two", json!(2))],
        )
        .await
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(
        first
            .events
            .iter()
            .map(|e| (e.revision, e.position))
            .collect::<Vec<_>>(),
        [(0, 1), (1, 2)]
    );
    assert_eq!(first.stream_revision, Some(1));
    let batch: Vec<_> = (0..150).map(|i| event("Many", json!({ "i": i }))).collect();
    let second = t
        .store
        .append(&b, ExpectedRevision::NoStream, &batch)
        .await
        .unwrap();
    assert_eq!(second.events.len(), 150);
    assert_eq!(second.events[0].position, 3);
    assert_eq!(second.events[149].position, 152);
    assert_eq!(second.events[149].revision, 149);
    // One batch shares one recorded-at.
    assert!(
        second
            .events
            .iter()
            .all(|e| e.recorded_at == second.events[0].recorded_at)
    );
    let back = t
        .store
        .read_stream(&b, ReadFrom::Start, Direction::Forwards, 1000)
        .await
        .unwrap();
    assert_eq!(back.len(), 150);
    for (i, (stored, sent)) in back.iter().zip(&batch).enumerate() {
        assert_eq!(stored.id, sent.id);
        assert_eq!(stored.revision, i as u64);
        assert_eq!(stored.data, sent.data);
        assert_eq!(stored.metadata, sent.metadata);
        assert_eq!(stored.stream, b);
    }
}

async fn empty_append_only_checks(t: &TestStore) {
    let s = stream("case-empty");
    let result = t
        .store
        .append(&s, ExpectedRevision::NoStream, &[])
        .await
        .unwrap();
    assert!(result.events.is_empty());
    assert_eq!(result.stream_revision, None);
    let err = t
        .store
        .append(&s, ExpectedRevision::StreamExists, &[])
        .await
        .unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(t.store.head_position().await.unwrap(), 0);
}

async fn large_payload_round_trips(t: &TestStore) {
    let s = stream("case-large");
    let text: String = "ÕÄÖÜ šž quoted \" and \\ escaped\n"
        .chars()
        .cycle()
        .take(1024 * 1024)
        .collect();
    let big = event("Attached", json!({ "text": text }));
    assert!(big.data.len() > 1024 * 1024);
    t.store
        .append(&s, ExpectedRevision::NoStream, std::slice::from_ref(&big))
        .await
        .unwrap();
    let back = t
        .store
        .read_stream(&s, ReadFrom::Start, Direction::Forwards, 1)
        .await
        .unwrap();
    assert_eq!(back[0].data, big.data);
    assert_eq!(back[0].data.to_value().unwrap()["text"], json!(text));
}

async fn invalid_events_are_refused(t: &TestStore) {
    let s = stream("case-invalid");
    let mut bad_type = event("Fine", json!({}));
    bad_type.event_type = "not a type".to_owned();
    let err = t
        .store
        .append(
            &s,
            ExpectedRevision::Any,
            &[event("Fine", json!({})), bad_type],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidEvent { index: 1, .. }), "{err}");
    assert!(
        err.to_string().starts_with(
            "event 1 of the batch is invalid: event type 'not a type' is not a valid name"
        ),
        "{err}"
    );

    let twice = event("Twice", json!({}));
    let err = t
        .store
        .append(&s, ExpectedRevision::Any, &[twice.clone(), twice.clone()])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "event 1 of the batch is invalid: event id {} appears twice in the batch",
            twice.id
        )
    );
    assert_eq!(t.store.head_position().await.unwrap(), 0);

    for name in ["$all", "nocategory", "", "bad category-1"] {
        assert!(StreamName::new(name).is_err(), "{name:?} should be refused");
    }
    let from_json = serde_json::from_str::<StreamName>("\"$ce-case\"").unwrap_err();
    assert!(
        from_json.to_string().contains("reserved for the system"),
        "{from_json}"
    );
}

async fn recorded_at_never_decreases(t: &TestStore) {
    let s = stream("case-clock");
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    for _ in 0..20 {
        t.store
            .append(&s, ExpectedRevision::Any, &[event("Tick", json!({}))])
            .await
            .unwrap();
    }
    let all = t
        .store
        .read_all(ReadFrom::Start, Direction::Forwards, 100)
        .await
        .unwrap();
    assert!(all.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at));
    assert!(all[0].recorded_at >= before);
    // The caller's occurred-at is kept exactly, separate from recorded-at.
    assert_eq!(all[0].metadata.occurred_at, kroonika_tests::at(24, 9));
}
