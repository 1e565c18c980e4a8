//! The event store protocol's cost: appends of 1 and of 100 events, and a
//! catch-up subscription to `$all`, through `kroonika serve --grpc` with the
//! official Rust client (`kurrentdb`), next to the same work on the store
//! directly (`Store::append`, `Store::subscribe`), alternately in one run.
//!
//! The server runs in this process on `127.0.0.1:0` (plain HTTP/2 on
//! loopback, background services off); the client authenticates with a
//! token on every call. What the protocol adds: protobuf both ways, the
//! token looked up per call, the grant and the stream's metadata checked per
//! append (one more read, and the metadata stream's revision as one more
//! expectation), and the loopback round trip.

use std::time::{Duration, Instant};

use kroonika_app::services::Shutdown;
use kroonika_engine::actors::ActorCommand;
use kroonika_server::background::Schedule;
use kroonika_server::grpc::GrpcOptions;
use kroonika_server::{Limits, ServeOptions, Server};
use kroonika_store::{ExpectedRevision, StreamName};
use kroonika_tests::{Backend, TestStore};

use crate::workload::Measured;

/// What is measured.
#[derive(Debug, Clone, Copy)]
pub enum Work {
    /// `appends` appends of `per_append` events, each to a stream of its own;
    /// over gRPC by `Append` (a client stream per append) or, with `batch`,
    /// by `BatchAppend` (one stream, a message per append), which the
    /// Python client uses for every append.
    Append {
        per_append: usize,
        appends: usize,
        batch: bool,
    },
    /// Reading `events` events from the start of `$all` as a subscription,
    /// until caught up.
    Subscribe { events: usize },
}

impl Work {
    pub fn name(self) -> String {
        match self {
            Work::Append {
                per_append, batch, ..
            } => format!(
                "{}, {per_append} event{} per append",
                if batch { "BatchAppend" } else { "Append" },
                if per_append == 1 { "" } else { "s" }
            ),
            Work::Subscribe { .. } => "catch-up subscription to $all".to_owned(),
        }
    }
}

fn payload(i: usize) -> serde_json::Value {
    serde_json::json!({ "referral": i, "source": "police", "received_on": "2026-12-06" })
}

/// The store on its own.
pub async fn on_store(backend: Backend, work: Work) -> anyhow::Result<Measured> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let measured = match work {
        Work::Append {
            per_append,
            appends,
            ..
        } => {
            let started = Instant::now();
            let mut latencies = Vec::with_capacity(appends);
            for a in 0..appends {
                let stream = StreamName::new(format!("referral-{a}"))?;
                let events: Vec<_> = (0..per_append)
                    .map(|i| kroonika_tests::event("ReferralReceived", payload(i)))
                    .collect();
                let t0 = Instant::now();
                t.store
                    .append(&stream, ExpectedRevision::Any, &events)
                    .await?;
                latencies.push(t0.elapsed());
            }
            Measured {
                events: per_append * appends,
                elapsed: started.elapsed(),
                latencies,
            }
        }
        Work::Subscribe { events } => {
            fill(&t, events).await?;
            let started = Instant::now();
            let mut subscription = t.store.subscribe(0);
            let mut seen = 0;
            while subscription.try_next().await?.is_some() {
                seen += 1;
            }
            anyhow::ensure!(seen == events, "read {seen} of {events}");
            Measured {
                events,
                elapsed: started.elapsed(),
                latencies: Vec::new(),
            }
        }
    };
    t.cleanup().await;
    Ok(measured)
}

/// The same through gRPC.
pub async fn through_grpc(backend: Backend, work: Work) -> anyhow::Result<Measured> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    if let Work::Subscribe { events } = work {
        fill(&t, events).await?;
    }
    let app = kroonika_app::App::new(t.store.clone(), kroonika_app::Options::default()).await?;
    app.register_first_admin("anu").await?;
    app.administer(
        &kroonika_app::Request::new("anu", "bench"),
        &ActorCommand::Register {
            name: "bench".to_owned(),
            roles: vec!["auditor".to_owned()],
        },
        false,
    )
    .await?;
    let token = app
        .issue_token(
            &kroonika_app::Request::new("anu", "bench"),
            "bench",
            None,
            "bench",
        )
        .await?
        .token;
    let before = t.store.head_position().await?;
    let shutdown = Shutdown::new();
    let (ready, listening) = tokio::sync::oneshot::channel();
    let server = {
        let shutdown = shutdown.clone();
        let mut grpc = GrpcOptions::new("127.0.0.1:0".parse()?);
        grpc.grants.grant("bench=referral")?;
        let options = ServeOptions {
            background: false,
            grpc: Some(grpc),
            ..ServeOptions::new("127.0.0.1:0".parse()?)
        };
        tokio::spawn(async move {
            kroonika_server::listen::serve_with(
                Server::new(app, Limits::default()),
                options,
                Schedule::default(),
                shutdown,
                move |listening| {
                    let _ = ready.send(listening.grpc);
                },
            )
            .await
        })
    };
    let address = listening
        .await?
        .ok_or_else(|| anyhow::anyhow!("no gRPC listener"))?;
    let client =
        kurrentdb::Client::new(format!("kurrentdb://bench:{token}@{address}?tls=false").parse()?)
            .map_err(|err| anyhow::anyhow!("the client: {err}"))?;
    let measured = match work {
        Work::Append {
            per_append,
            appends,
            batch,
        } => {
            let batches = if batch {
                Some(client.batch_append(&Default::default()).await?)
            } else {
                None
            };
            let started = Instant::now();
            let mut latencies = Vec::with_capacity(appends);
            for a in 0..appends {
                let events: Vec<_> = (0..per_append)
                    .map(|i| kurrentdb::EventData::json("ReferralReceived", &payload(i)))
                    .collect::<Result<_, _>>()?;
                let stream = format!("referral-{a}");
                let t0 = Instant::now();
                match &batches {
                    Some(batches) => {
                        batches
                            .append_to_stream(stream, kurrentdb::StreamState::Any, events)
                            .await?;
                    }
                    None => {
                        client
                            .append_to_stream(stream, &Default::default(), events)
                            .await?;
                    }
                }
                latencies.push(t0.elapsed());
            }
            Measured {
                events: per_append * appends,
                elapsed: started.elapsed(),
                latencies,
            }
        }
        Work::Subscribe { events } => {
            let started = Instant::now();
            let mut subscription = client
                .subscribe_to_all(
                    &kurrentdb::SubscribeToAllOptions::default()
                        .position(kurrentdb::StreamPosition::Start),
                )
                .await;
            let mut seen = 0u64;
            loop {
                match subscription.next_subscription_event().await? {
                    kurrentdb::SubscriptionEvent::EventAppeared(_) => seen += 1,
                    kurrentdb::SubscriptionEvent::CaughtUp(_) => break,
                    _ => {}
                }
            }
            anyhow::ensure!(seen == before, "read {seen} of {before}");
            Measured {
                events,
                elapsed: started.elapsed(),
                latencies: Vec::new(),
            }
        }
    };
    shutdown.stop();
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;
    t.cleanup().await;
    Ok(measured)
}

/// `events` events in the log, 1,000 a write.
async fn fill(t: &TestStore, events: usize) -> anyhow::Result<()> {
    let mut written = 0;
    let mut stream = 0;
    while written < events {
        let n = (events - written).min(1_000);
        let batch: Vec<_> = (0..n)
            .map(|i| kroonika_tests::event("ReferralReceived", payload(written + i)))
            .collect();
        let name = StreamName::new(format!("referral-{stream}"))?;
        t.store.append(&name, ExpectedRevision::Any, &batch).await?;
        written += n;
        stream += 1;
    }
    Ok(())
}
