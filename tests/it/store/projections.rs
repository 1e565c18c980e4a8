//! Projection storage: documents and checkpoint move together, once.

use kroonika_store::DocChanges;
use kroonika_tests::TestStore;
use serde_json::json;

use super::contract;

contract!(
    checkpoint_moves_with_the_documents_once,
    rebuilt_projection_swaps_in_whole
);

fn put(pairs: &[(&str, serde_json::Value)]) -> DocChanges {
    DocChanges {
        put: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        delete: Vec::new(),
    }
}

async fn checkpoint_moves_with_the_documents_once(t: &TestStore) {
    let s = &t.store;
    assert!(
        s.commit_projection(
            "p",
            0,
            10,
            &put(&[("a", json!({"n": 1})), ("b", json!({"n": 2}))])
        )
        .await
        .unwrap()
    );
    // A second runner that read the same batch loses, and writes nothing.
    assert!(
        !s.commit_projection("p", 0, 10, &put(&[("a", json!({"n": 99}))]))
            .await
            .unwrap()
    );
    let docs = s.projection_docs("p", None).await.unwrap();
    assert_eq!(
        docs,
        [
            ("a".to_owned(), json!({"n": 1})),
            ("b".to_owned(), json!({"n": 2}))
        ]
    );
    assert_eq!(
        s.projection_states(Some("p")).await.unwrap()[0].position,
        10
    );
    // The next batch moves on from 10; deletes and updates in one go.
    let changes = DocChanges {
        put: vec![("a".to_owned(), json!({"n": 3}))],
        delete: vec!["b".to_owned()],
    };
    assert!(s.commit_projection("p", 10, 25, &changes).await.unwrap());
    let some = s
        .projection_docs("p", Some(&["a".to_owned(), "z".to_owned()]))
        .await
        .unwrap();
    assert_eq!(some, [("a".to_owned(), json!({"n": 3}))]);
    s.record_projection_error("p", "event 26 cannot be read")
        .await
        .unwrap();
    let state = &s.projection_states(Some("p")).await.unwrap()[0];
    assert_eq!(
        (state.position, state.error.as_deref()),
        (25, Some("event 26 cannot be read"))
    );
}

async fn rebuilt_projection_swaps_in_whole(t: &TestStore) {
    let s = &t.store;
    assert!(
        s.commit_projection("p", 0, 5, &put(&[("old", json!(1))]))
            .await
            .unwrap()
    );
    assert!(
        s.commit_projection(
            "p#rebuild",
            0,
            7,
            &put(&[("new", json!(2)), ("newer", json!(3))])
        )
        .await
        .unwrap()
    );
    s.swap_projection("p#rebuild", "p").await.unwrap();
    let docs: Vec<String> = s
        .projection_docs("p", None)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(docs, ["new", "newer"]);
    let states = s.projection_states(None).await.unwrap();
    assert_eq!(
        states
            .iter()
            .map(|st| (st.name.as_str(), st.position))
            .collect::<Vec<_>>(),
        [("p", 7)]
    );
    s.drop_projection("p").await.unwrap();
    assert!(s.projection_docs("p", None).await.unwrap().is_empty());
}
