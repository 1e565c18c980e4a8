//! The cqrs-es contestant: a process of its own (`tests/bench/cqrs`, its own
//! workspace on sqlx 0.8), built on first use and started for each round, on a
//! fresh database of its own: a new SQLite file, or a new PostgreSQL schema.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use kroonika_tests::{Backend, TestStore};
use sqlx::Connection;

use crate::workload::Measured;

/// Builds the contestant (release) if needed; its path.
pub fn binary() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/cqrs"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .status()?;
    anyhow::ensure!(status.success(), "building the cqrs-es contestant failed");
    Ok(dir.join("target/release/kroonika-bench-cqrs"))
}

/// One round: `workload` is ["append", EVENTS, PER] or ["commands", CASES].
pub async fn run(
    binary: &PathBuf,
    backend: Backend,
    workload: &[String],
) -> anyhow::Result<Measured> {
    let (url, dir, pg) = TestStore::fresh_url(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let target = match (&dir, &pg) {
        (Some(dir), _) => format!("sqlite://{}", dir.path().join("cqrs.db").display()),
        (None, Some((base, schema))) => {
            let mut conn = sqlx::PgConnection::connect(base).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            url.clone()
        }
        _ => anyhow::bail!("no target for the cqrs-es contestant"),
    };
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let out = Command::new(binary)
        .arg(backend_name)
        .arg(&target)
        .args(workload)
        .output()?;
    if let Some((base, schema)) = &pg {
        kroonika_tests::drop_schema(base, schema).await;
    }
    anyhow::ensure!(
        out.status.success(),
        "cqrs-es contestant failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let number = |key: &str| figures[key].as_u64().unwrap_or_default();
    Ok(Measured {
        events: number("events") as usize,
        elapsed: Duration::from_micros(number("elapsed_us")),
        latencies: figures["latencies_us"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_u64())
                    .map(Duration::from_micros)
                    .collect()
            })
            .unwrap_or_default(),
    })
}
