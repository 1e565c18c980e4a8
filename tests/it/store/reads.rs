//! Reading: streams both ways, the global log in pages, categories, an empty store.

use kroonika_store::{Direction, ExpectedRevision, ReadFrom, RecordedEvent, StreamName};
use kroonika_tests::{TestStore, event};
use serde_json::json;

use super::contract;

contract!(
    empty_store_reads_nothing,
    streams_read_both_ways,
    global_log_and_categories,
    scans_read_ahead_and_stop_at_the_head,
);

fn revisions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.revision).collect()
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

/// Interleaves three streams in two categories: positions 1..=9.
async fn seed(t: &TestStore) {
    let names = ["mediation-1", "volunteer-1", "mediation-2"];
    for round in 0..3u64 {
        for name in names {
            let s = StreamName::new(name).unwrap();
            let expected = if round == 0 {
                ExpectedRevision::NoStream
            } else {
                ExpectedRevision::Exact(round - 1)
            };
            t.store
                .append(&s, expected, &[event("Step", json!({ "round": round }))])
                .await
                .unwrap();
        }
    }
}

async fn empty_store_reads_nothing(t: &TestStore) {
    let s = StreamName::new("case-none").unwrap();
    assert_eq!(t.store.head_position().await.unwrap(), 0);
    assert_eq!(t.store.stream_revision(&s).await.unwrap(), None);
    for direction in [Direction::Forwards, Direction::Backwards] {
        for from in [ReadFrom::Start, ReadFrom::End, ReadFrom::At(5)] {
            assert!(
                t.store
                    .read_all(from, direction, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(
                t.store
                    .read_stream(&s, from, direction, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(
                t.store
                    .read_category("case", from, direction, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    }
    assert!(t.store.subscribe(0).try_next().await.unwrap().is_none());
}

async fn streams_read_both_ways(t: &TestStore) {
    seed(t).await;
    let s = StreamName::new("mediation-2").unwrap();
    let read = |from, direction, max| {
        let s = s.clone();
        async move { t.store.read_stream(&s, from, direction, max).await.unwrap() }
    };
    let all = read(ReadFrom::Start, Direction::Forwards, 100).await;
    assert_eq!(revisions(&all), [0, 1, 2]);
    assert_eq!(positions(&all), [3, 6, 9]);
    assert_eq!(
        revisions(&read(ReadFrom::At(1), Direction::Forwards, 100).await),
        [1, 2]
    );
    assert_eq!(
        revisions(&read(ReadFrom::Start, Direction::Forwards, 2).await),
        [0, 1]
    );
    assert_eq!(
        revisions(&read(ReadFrom::End, Direction::Backwards, 100).await),
        [2, 1, 0]
    );
    assert_eq!(
        revisions(&read(ReadFrom::At(1), Direction::Backwards, 100).await),
        [1, 0]
    );
    assert_eq!(
        revisions(&read(ReadFrom::End, Direction::Backwards, 1).await),
        [2]
    );
    assert_eq!(
        revisions(&read(ReadFrom::Start, Direction::Backwards, 5).await),
        [0]
    );
    assert!(read(ReadFrom::End, Direction::Forwards, 5).await.is_empty());
    assert!(
        read(ReadFrom::At(3), Direction::Forwards, 5)
            .await
            .is_empty()
    );
    assert_eq!(
        all[1].data.decode::<serde_json::Value>().unwrap(),
        json!({"round": 1})
    );
    assert_eq!(all[0].stream.category(), "mediation");
}

async fn global_log_and_categories(t: &TestStore) {
    seed(t).await;
    // The whole log in pages of 4, resuming after the last position seen.
    let mut pages = Vec::new();
    let mut from = ReadFrom::Start;
    loop {
        let page = t
            .store
            .read_all(from, Direction::Forwards, 4)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        from = ReadFrom::At(last.position + 1);
        pages.push(positions(&page));
    }
    assert_eq!(pages, [vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9]]);
    let backwards = t
        .store
        .read_all(ReadFrom::End, Direction::Backwards, 3)
        .await
        .unwrap();
    assert_eq!(positions(&backwards), [9, 8, 7]);
    let backwards = t
        .store
        .read_all(ReadFrom::At(2), Direction::Backwards, 10)
        .await
        .unwrap();
    assert_eq!(positions(&backwards), [2, 1]);

    let mediation = t
        .store
        .read_category("mediation", ReadFrom::Start, Direction::Forwards, 100)
        .await
        .unwrap();
    assert_eq!(positions(&mediation), [1, 3, 4, 6, 7, 9]);
    assert!(mediation.iter().all(|e| e.stream.category() == "mediation"));
    let volunteer = t
        .store
        .read_category("volunteer", ReadFrom::At(3), Direction::Forwards, 100)
        .await
        .unwrap();
    assert_eq!(positions(&volunteer), [5, 8]);
    let latest = t
        .store
        .read_category("mediation", ReadFrom::End, Direction::Backwards, 2)
        .await
        .unwrap();
    assert_eq!(positions(&latest), [9, 7]);
    assert!(
        t.store
            .read_category("media", ReadFrom::Start, Direction::Forwards, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn scans_read_ahead_and_stop_at_the_head(t: &TestStore) {
    seed(t).await;
    let mut scan = t.store.scan(None, ReadFrom::Start, 2);
    let mut pages = Vec::new();
    while let Some(page) = scan.next_page().await.unwrap() {
        pages.push(positions(&page));
    }
    assert_eq!(
        pages,
        [vec![1, 2], vec![3, 4], vec![5, 6], vec![7, 8], vec![9]]
    );
    assert!(
        scan.next_page().await.unwrap().is_none(),
        "stays at the end"
    );

    let mut scan = t.store.scan(Some("mediation"), ReadFrom::At(4), 4);
    let page = scan.next_page().await.unwrap().unwrap();
    assert_eq!(positions(&page), [4, 6, 7, 9]);
    // A full last page means one more (empty) read, which ends the scan.
    assert!(scan.next_page().await.unwrap().is_none());
    // Dropping a scan with a read in flight is fine.
    drop(t.store.scan(None, ReadFrom::Start, 1));
}
