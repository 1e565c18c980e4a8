//! Retried appends: the same batch again is a no-op returning the original places;
//! an event id reused for anything else is refused.

use kroonika_store::{Error, ExpectedRevision, StreamName};
use kroonika_tests::{TestStore, event, event_with_id};
use serde_json::json;

use super::contract;

contract!(retried_batch_is_a_no_op, reused_event_id_is_refused);

async fn retried_batch_is_a_no_op(t: &TestStore) {
    let s = StreamName::new("case-retry").unwrap();
    let batch = [
        event("Opened", json!({"by": "mari"})),
        event("Noted", json!({"n": 1})),
    ];
    let first = t
        .store
        .append(&s, ExpectedRevision::NoStream, &batch)
        .await
        .unwrap();
    assert!(!first.replayed);
    // Someone else appends after the batch: the retry must still be recognised.
    t.store
        .append(&s, ExpectedRevision::Exact(1), &[event("Later", json!({}))])
        .await
        .unwrap();

    for expected in [
        ExpectedRevision::NoStream,
        ExpectedRevision::Any,
        ExpectedRevision::StreamExists,
    ] {
        let again = t.store.append(&s, expected, &batch).await.unwrap();
        assert!(again.replayed, "{expected:?}");
        assert_eq!(
            again.events, first.events,
            "{expected:?}: the original places"
        );
        assert_eq!(
            again.stream_revision,
            Some(2),
            "{expected:?}: where the stream is now"
        );
    }
    assert_eq!(
        t.store.head_position().await.unwrap(),
        3,
        "nothing written twice"
    );

    // A retry whose expectation does not match where the batch went is a conflict.
    let err = t
        .store
        .append(&s, ExpectedRevision::Exact(7), &batch)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
}

async fn reused_event_id_is_refused(t: &TestStore) {
    let s = StreamName::new("case-ids").unwrap();
    let original = event("Opened", json!({"n": 1}));
    t.store
        .append(
            &s,
            ExpectedRevision::NoStream,
            std::slice::from_ref(&original),
        )
        .await
        .unwrap();
    let id = original.id;

    let other_data = event_with_id(id, "Opened", json!({"n": 2}));
    let other_type = event_with_id(id, "Closed", json!({"n": 1}));
    let mut other_metadata = original.clone();
    other_metadata.metadata.actor = "jaan".to_owned();
    let cases = [
        (
            s.clone(),
            vec![other_data],
            "revision 0 of stream 'case-ids' has this id with different data",
        ),
        (
            s.clone(),
            vec![other_type],
            "revision 0 of stream 'case-ids' has this id with type 'Opened' (now 'Closed')",
        ),
        (
            s.clone(),
            vec![other_metadata],
            "revision 0 of stream 'case-ids' has this id with different metadata",
        ),
        (
            StreamName::new("case-elsewhere").unwrap(),
            vec![original.clone()],
            "it is stored in stream 'case-ids', not 'case-elsewhere'",
        ),
    ];
    for (stream, batch, detail) in cases {
        let err = t
            .store
            .append(&stream, ExpectedRevision::Any, &batch)
            .await
            .unwrap_err();
        match &err {
            Error::EventIdReused {
                id: reused,
                detail: got,
            } => {
                assert_eq!(*reused, id);
                assert_eq!(got, detail);
            }
            other => panic!("expected EventIdReused, got {other}"),
        }
        assert_eq!(err.kind(), kroonika_store::ErrorKind::Rejected);
    }
    // A batch of which only part is stored is a different batch.
    let fresh = event("Noted", json!({}));
    let err = t
        .store
        .append(
            &s,
            ExpectedRevision::Any,
            &[original.clone(), fresh.clone()],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::EventIdReused { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("a batch is stored whole or not at all"),
        "{err}"
    );
    assert_eq!(
        t.store.head_position().await.unwrap(),
        1,
        "nothing was written"
    );
}
