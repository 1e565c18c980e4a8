//! Case commands through `kroonika serve`'s HTTP API: the same `log-contact`
//! on 50-event cases as the application-layer rows, sent by HTTP clients
//! (keep-alive connections, a bearer token) to the server running in this
//! process on `127.0.0.1:0`, its background services off so that both paths
//! do the same work. The difference from the application layer is what HTTP
//! adds: parsing, authentication (a token looked up per request), JSON both
//! ways, the layers (limits, headers, tracing) and the loopback round trip.

use std::time::{Duration, Instant};

use kroonika_app::services::Shutdown;
use kroonika_server::background::Schedule;
use kroonika_server::{Limits, ServeOptions, Server};
use kroonika_tests::{Backend, TestStore};

use crate::commands;
use crate::workload::Measured;

pub async fn through_http(
    backend: Backend,
    clients: usize,
    commands_per_client: usize,
) -> anyhow::Result<Measured> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let ids = commands::prepared(&t.store, clients * commands_per_client).await?;
    let options = kroonika_app::Options {
        remember: 100_000,
        ..kroonika_app::Options::default()
    };
    let app = kroonika_app::App::new(t.store.clone(), options).await?;
    let token = app
        .issue_token(
            &kroonika_app::Request::new("anu", "bench"),
            "mari",
            None,
            "bench",
        )
        .await?
        .token;
    let shutdown = Shutdown::new();
    let (ready, address) = tokio::sync::oneshot::channel();
    let server = {
        let shutdown = shutdown.clone();
        let options = ServeOptions {
            background: false,
            ..ServeOptions::new("127.0.0.1:0".parse()?)
        };
        tokio::spawn(async move {
            kroonika_server::listen::serve_with(
                Server::new(app, Limits::default()),
                options,
                Schedule::default(),
                shutdown,
                move |listening| {
                    let _ = ready.send(listening.http);
                },
            )
            .await
        })
    };
    let base = format!("http://{}", address.await?);
    let client = reqwest::Client::new();
    // Each case once before measuring, as the application-layer row
    // "cases remembered" does.
    for id in &ids {
        step(&client, &base, &token, id).await?;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for own in ids.chunks(commands_per_client) {
        let (client, base, token, own) = (
            reqwest::Client::new(),
            base.clone(),
            token.clone(),
            own.to_vec(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(own.len());
            for id in &own {
                latencies.push(step(&client, &base, &token, id).await?);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    shutdown.stop();
    server.await??;
    t.cleanup().await;
    Ok(Measured {
        events: clients * commands_per_client,
        elapsed,
        latencies,
    })
}

/// One `log-contact` by HTTP.
pub async fn step(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    case: &str,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    post(
        client,
        &format!("{base}/api/v1/cases/{case}/steps"),
        token,
        &serde_json::json!({"transition": "log-contact", "input": {"channel": "phone"}}),
    )
    .await?;
    Ok(started.elapsed())
}

/// A POST of `body` to `url` with a bearer token; the answer's body, or an
/// error naming the status unless it succeeded.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &serde_json::Value,
) -> anyhow::Result<Vec<u8>> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    anyhow::ensure!(
        status.is_success(),
        "{url}: {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(body.to_vec())
}
