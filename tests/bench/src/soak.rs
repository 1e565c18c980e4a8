//! The server's memory under load: `kroonika serve` (the release binary, a
//! process of its own, so that its resident memory is its own and not the
//! load generator's) on an SQLite store of 50-event cases, with `clients`
//! HTTP clients taking `log-contact` on cases of their own, round and round,
//! for `minutes` minutes. Each minute: the commands answered in it and the
//! server's resident memory (VmRSS) at its end.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kroonika_tests::{Backend, TestStore};

use crate::{commands, http};

/// Cases per client: the cases grow by one event a command, so many of them
/// keep each near its 50 events.
const CASES_PER_CLIENT: usize = 200;

/// Builds the `kroonika` binary (release) if needed; its path.
fn binary() -> anyhow::Result<PathBuf> {
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
    Ok(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/release/kroonika"
    )))
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    commands::status_kib(&pid.to_string(), "VmRSS:")
}

pub async fn soak(minutes: u64, clients: usize) -> anyhow::Result<String> {
    let binary = binary()?;
    let t = TestStore::new(Backend::Sqlite)
        .await
        .ok_or_else(|| anyhow::anyhow!("SQLite store"))?;
    eprintln!(
        "preparing {} cases of 50 events",
        clients * CASES_PER_CLIENT
    );
    let ids = commands::prepared(&t.store, clients * CASES_PER_CLIENT).await?;
    let token = {
        let app = kroonika_app::App::new(t.store.clone(), kroonika_app::Options::default()).await?;
        app.issue_token(
            &kroonika_app::Request::new("anu", "bench"),
            "mari",
            None,
            "bench",
        )
        .await?
        .token
    };
    let mut server = Command::new(&binary)
        .args(["--db", &t.url, "serve", "--listen", "127.0.0.1:0"])
        .env("KROONIKA_LOG", "warn")
        .env_remove("KROONIKA_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = server.id();
    let mut stdout = BufReader::new(server.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    // Keep draining, so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("the server did not start: {line:?}"))?
        .to_owned();
    let started_rss = rss_kib(pid);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for own in ids.chunks(CASES_PER_CLIENT) {
        let (base, token, own) = (base.clone(), token.clone(), own.to_vec());
        let (done, stop) = (done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for id in own.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                http::step(&client, &base, &token, id).await?;
                done.fetch_add(1, Ordering::Relaxed);
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
        let until = began + Duration::from_secs(60 * minute);
        tokio::time::sleep_until(until.into()).await;
        let now = done.load(Ordering::Relaxed);
        let rss = rss_kib(pid);
        eprintln!(
            "minute {minute}: {:.0} commands/s, RSS {:.1} MiB",
            (now - before) as f64 / 60.0,
            rss as f64 / 1024.0
        );
        out.push_str(&format!(
            "| {minute} | {:.0} | {:.1} |\n",
            (now - before) as f64 / 60.0,
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
        "\n`kroonika serve` on SQLite, {clients} HTTP clients (keep-alive, a bearer token each) taking `log-contact` on {} cases of their own, round and round, for {minutes} minutes: {} commands; the log grew to {events} events.\n",
        clients * CASES_PER_CLIENT,
        done.load(Ordering::Relaxed),
    ));
    t.cleanup().await;
    Ok(out)
}
