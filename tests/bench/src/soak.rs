//! The server's memory under load: `kroonika serve` (the release binary, a
//! process of its own, so that its resident memory is its own and not the
//! load generator's) on an SQLite store that holds 3,200 cases of 50 events,
//! with `clients` HTTP clients each living cases through, one after another,
//! as coordinators and facilitators do: open, assign, tick the consents,
//! schedule, record the agreement, log 40 contacts, close as fulfilled. Each
//! minute: the commands answered in it and the server's resident memory
//! (VmRSS) at its end.
//!
//! Cases that end, as real ones do, are what the server's memory must be flat
//! under; a case that grows without end grows what is kept of it (its facts
//! for reports) with it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kroonika_tests::{Backend, TestStore};

use crate::{commands, http};

/// The cases already in the store, per client.
const CASES_PER_CLIENT: usize = 200;

/// Contacts logged in each case's monitoring.
const CONTACTS: usize = 40;

/// The server's command line: `KROONIKA_SOAK_SERVER` if set (a binary and
/// what runs it, split at spaces: `heaptrack target/release/kroonika`, to
/// see where memory goes in a build without mimalloc), else the `kroonika`
/// binary, built in release if needed.
fn binary() -> anyhow::Result<Vec<String>> {
    if let Ok(command) = std::env::var("KROONIKA_SOAK_SERVER") {
        return Ok(command.split_whitespace().map(str::to_owned).collect());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        // With the benchmark, so that the dependencies' features are the
        // ones its own build chose and nothing is built twice.
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "kroonika-bench",
            "-p",
            "kroonika-cli",
        ])
        .status()?;
    anyhow::ensure!(status.success(), "building kroonika failed");
    Ok(vec![
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release/kroonika").to_owned(),
    ])
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    commands::status_kib(&pid.to_string(), "VmRSS:")
}

/// With `quick` (to see that it runs): a "minute" of five seconds, and five
/// cases a client in the store beforehand.
pub async fn soak(minutes: u64, clients: usize, quick: bool) -> anyhow::Result<String> {
    let (minute_length, cases_per_client) = if quick {
        (Duration::from_secs(5), 5)
    } else {
        (Duration::from_secs(60), CASES_PER_CLIENT)
    };
    let binary = binary()?;
    let t = TestStore::new(Backend::Sqlite)
        .await
        .ok_or_else(|| anyhow::anyhow!("SQLite store"))?;
    eprintln!(
        "preparing {} cases of 50 events",
        clients * cases_per_client
    );
    commands::prepared(&t.store, clients * cases_per_client).await?;
    let (coordinator, facilitator) = {
        let app = kroonika_app::App::new(t.store.clone(), kroonika_app::Options::default()).await?;
        let admin = kroonika_app::Request::new("anu", "bench");
        (
            app.issue_token(&admin, "mari", None, "bench").await?.token,
            app.issue_token(&admin, "jaan", None, "bench").await?.token,
        )
    };
    let (program, wrapped) = binary.split_first().expect("a program");
    let mut server = Command::new(program)
        .args(wrapped)
        .args(["--db", &t.url, "serve", "--listen", "127.0.0.1:0"])
        .env("KROONIKA_LOG", "warn")
        // Each case names its harmed person, sealed with the master key.
        .env(kroonika_app::keys::ENV, "5a".repeat(32))
        .env_remove("KROONIKA_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = server.id();
    let mut stdout = BufReader::new(server.stdout.take().expect("piped"));
    // The first line that says where it listens (a profiler running it may
    // say things first).
    let mut line = String::new();
    for _ in 0..20 {
        line.clear();
        if stdout.read_line(&mut line)? == 0 || line.starts_with("listening on ") {
            break;
        }
    }
    // Keep draining, so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("the server did not start: {line:?}"))?
        .to_owned();
    let started_rss = rss_kib(pid);
    let done = Arc::new(AtomicU64::new(0));
    let lived = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let life = Life {
            client: reqwest::Client::new(),
            base: base.clone(),
            coordinator: coordinator.clone(),
            facilitator: facilitator.clone(),
            done: done.clone(),
        };
        let (lived, stop) = (lived.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                life.live().await?;
                lived.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    let mut out = format!(
        "\n| minute | commands/s | server RSS MiB |\n|---:|---:|---:|\n| 0 | – | {:.1} |\n",
        started_rss as f64 / 1024.0
    );
    let mut before = 0;
    let began = Instant::now();
    for minute in 1..=minutes {
        let until = began + minute_length * minute as u32;
        tokio::time::sleep_until(until.into()).await;
        let now = done.load(Ordering::Relaxed);
        let rss = rss_kib(pid);
        eprintln!(
            "minute {minute}: {:.0} commands/s, RSS {:.1} MiB",
            (now - before) as f64 / minute_length.as_secs_f64(),
            rss as f64 / 1024.0
        );
        out.push_str(&format!(
            "| {minute} | {:.0} | {:.1} |\n",
            (now - before) as f64 / minute_length.as_secs_f64(),
            rss as f64 / 1024.0
        ));
        before = now;
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    let _ = server.kill();
    let _ = server.wait();
    let events = t.store.head_position().await?;
    out.push_str(&format!(
        "\n`kroonika serve` on SQLite holding {} cases of 50 events, {clients} HTTP clients (keep-alive, bearer tokens) each living cases through one after another (open, assign, two consents, schedule, agreement, {CONTACTS} contacts, fulfilled: {} commands a case) for {minutes} minutes: {} commands, {} cases lived through; the log grew to {events} events.\n",
        clients * cases_per_client,
        CONTACTS + 7,
        done.load(Ordering::Relaxed),
        lived.load(Ordering::Relaxed),
    ));
    t.cleanup().await;
    Ok(out)
}

/// One HTTP client living cases through.
struct Life {
    client: reqwest::Client,
    base: String,
    coordinator: String,
    facilitator: String,
    done: Arc<AtomicU64>,
}

impl Life {
    /// One case, from its opening to its closing.
    async fn live(&self) -> anyhow::Result<()> {
        let opened = self
            .post(
                &self.coordinator,
                "/api/v1/cases",
                serde_json::json!({"process": "school-conference", "input": {
                    "referral_source": "school", "referred_on": "2026-11-30", "minor_involved": false,
                    "victim_name": "Kati Kask", "victim_phone": "+372 5555 1234"}}),
            )
            .await?;
        let id = opened["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no case id in {opened}"))?
            .to_owned();
        let steps = format!("/api/v1/cases/{id}/steps");
        let step = |transition: &str, input: serde_json::Value| serde_json::json!({"transition": transition, "input": input});
        self.post(
            &self.coordinator,
            &steps,
            step(
                "assign",
                serde_json::json!({"facilitators": ["jaan", "piret"]}),
            ),
        )
        .await?;
        for task in ["victim-consent", "respondent-consent"] {
            self.post(
                &self.facilitator,
                &format!("/api/v1/cases/{id}/tasks/{task}"),
                serde_json::json!({}),
            )
            .await?;
        }
        self.post(
            &self.facilitator,
            &steps,
            step("schedule", serde_json::json!({})),
        )
        .await?;
        self.post(
            &self.facilitator,
            &steps,
            step(
                "agreed",
                serde_json::json!({"agreement": "Apologise and repair the door.", "participants": 6}),
            ),
        )
        .await?;
        for _ in 0..CONTACTS {
            http::step(&self.client, &self.base, &self.coordinator, &id).await?;
            self.done.fetch_add(1, Ordering::Relaxed);
        }
        self.post(
            &self.coordinator,
            &steps,
            step("fulfilled", serde_json::json!({})),
        )
        .await?;
        Ok(())
    }

    /// One command by HTTP; its answer.
    async fn post(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let body = http::post(&self.client, &format!("{}{path}", self.base), token, &body).await?;
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(serde_json::from_slice(&body)?)
    }
}
