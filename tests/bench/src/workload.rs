//! The workloads, each run by either contestant on a fresh store.

use std::time::{Duration, Instant};

use kroonika_engine::{ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::{ReadFrom, Store};
use kroonika_tests::{Backend, TestStore};
use uuid::Uuid;

use crate::floor::Floor;

/// Streams the append workloads spread their appends over, round-robin.
const STREAMS: usize = 100;
/// Page size for Kroonika's read of the whole log (what a projection runner uses).
const PAGE: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contestant {
    Floor,
    Kroonika,
}

#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// `events` events, `per_append` to a transaction.
    Append { per_append: usize, events: usize },
    /// Read a log of `events` events from the start, parsing every payload.
    ReadAll { events: usize },
}

impl Shape {
    pub fn name(&self) -> String {
        match self {
            Shape::Append { per_append: 1, .. } => "append, 1 event per transaction".to_owned(),
            Shape::Append { per_append, .. } => {
                format!("append, {per_append} events per transaction")
            }
            Shape::ReadAll { .. } => "read the whole log, parse JSON".to_owned(),
        }
    }

    pub fn events(&self) -> usize {
        match self {
            Shape::Append { events, .. } | Shape::ReadAll { events } => *events,
        }
    }
}

/// One contestant's run of one workload.
#[derive(Debug, Clone)]
pub struct Measured {
    pub events: usize,
    pub elapsed: Duration,
    /// Per transaction, for the append workloads.
    pub latencies: Vec<Duration>,
}

impl Measured {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

pub async fn run(
    backend: Backend,
    shape: Shape,
    contestant: Contestant,
) -> anyhow::Result<Measured> {
    let test_store = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let result = match shape {
        Shape::Append { per_append, events } => {
            let batches = batches(events, per_append);
            match contestant {
                Contestant::Floor => {
                    let floor = Floor::connect(&test_store).await?;
                    let measured = floor.append(&batches).await?;
                    floor.close().await;
                    measured
                }
                Contestant::Kroonika => append(&test_store.store, &batches).await?,
            }
        }
        Shape::ReadAll { events } => {
            fill(&test_store.store, events).await?;
            match contestant {
                Contestant::Floor => {
                    let floor = Floor::connect(&test_store).await?;
                    let measured = floor.read_all().await?;
                    floor.close().await;
                    measured
                }
                Contestant::Kroonika => read_all(&test_store.store).await?,
            }
        }
    };
    test_store.cleanup().await;
    anyhow::ensure!(
        result.events == shape.events(),
        "{} events processed, {} expected",
        result.events,
        shape.events()
    );
    Ok(result)
}

/// A batch for one transaction: the stream, its expected revision, the events.
pub struct Batch {
    pub stream: StreamName,
    pub expected: ExpectedRevision,
    pub events: Vec<NewEvent>,
    /// Each event's metadata as JSON text (the floor writes these bytes).
    pub metadata: Vec<String>,
}

/// `events` events in batches of `per_append`, round-robin over the streams.
pub fn batches(events: usize, per_append: usize) -> Vec<Batch> {
    let streams: Vec<StreamName> = (0..STREAMS)
        .map(|_| StreamName::new(format!("mediation-{}", Uuid::now_v7())))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    let mut next_revision = vec![0u64; STREAMS];
    let mut out = Vec::new();
    let mut made = 0;
    let mut k = 0;
    while made < events {
        let n = per_append.min(events - made);
        let s = k % STREAMS;
        let expected = match next_revision[s] {
            0 => ExpectedRevision::NoStream,
            r => ExpectedRevision::Exact(r - 1),
        };
        let events: Vec<NewEvent> = (0..n).map(|i| new_event(made + i)).collect();
        let metadata = events
            .iter()
            .map(|e| serde_json::to_string(&e.metadata).unwrap_or_default())
            .collect();
        out.push(Batch {
            stream: streams[s].clone(),
            expected,
            events,
            metadata,
        });
        next_revision[s] += n as u64;
        made += n;
        k += 1;
    }
    out
}

/// An event with a ~310-byte payload, like a recorded consent.
pub fn new_event(seq: usize) -> NewEvent {
    let data = serde_json::json!({
        "case": format!("LE-2026-{:04}", seq % 10_000),
        "transition": "record-consent",
        "party": "victim",
        "consent": true,
        "recorded_by": "coordinator-tallinn-3",
        "note": "Both parties were informed of the conciliation procedure and agreed to a joint meeting.",
        "meeting": { "kind": "direct", "place": "Tallinn office", "minutes": 90 },
        "seq": seq,
    });
    let command_id = Uuid::now_v7();
    let metadata = Metadata::for_command("coordinator-tallinn-3", command_id, chrono::Utc::now());
    NewEvent::new(Uuid::now_v7(), "ConsentRecorded", &data, metadata)
        .unwrap_or_else(|err| panic!("bench event: {err}"))
}

async fn append(store: &Store, batches: &[Batch]) -> anyhow::Result<Measured> {
    let mut latencies = Vec::with_capacity(batches.len());
    let start = Instant::now();
    for batch in batches {
        let t = Instant::now();
        store
            .append(&batch.stream, batch.expected, &batch.events)
            .await?;
        latencies.push(t.elapsed());
    }
    Ok(Measured {
        events: batches.iter().map(|b| b.events.len()).sum(),
        elapsed: start.elapsed(),
        latencies,
    })
}

/// Fills a store with `events` events in 1,000-event appends (not measured).
async fn fill(store: &Store, events: usize) -> anyhow::Result<()> {
    for batch in batches(events, 1_000) {
        store
            .append(&batch.stream, batch.expected, &batch.events)
            .await?;
    }
    Ok(())
}

async fn read_all(store: &Store) -> anyhow::Result<Measured> {
    let start = Instant::now();
    let mut events = 0;
    let mut scan = store.scan(None, ReadFrom::Start, PAGE);
    while let Some(page) = scan.next_page().await? {
        for event in &page {
            let data = event.data.to_value()?;
            std::hint::black_box(data);
        }
        events += page.len();
    }
    Ok(Measured {
        events,
        elapsed: start.elapsed(),
        latencies: Vec::new(),
    })
}
