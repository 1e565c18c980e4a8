//! The cqrs-es contestant of `kroonika-bench`: the same workloads through
//! cqrs-es 0.5's `CqrsFramework` with `sqlite-es` / `postgres-es`, run as a
//! process of its own (cqrs-es is built on sqlx 0.8, Kroonika on 0.9, and two
//! SQLite libraries cannot be linked into one build). `kroonika-bench` starts
//! it between its own rounds and reads one JSON line of figures.
//!
//! The aggregate is a case that records consents, with the same ~310-byte
//! payload as the other contestants; a command records 1 or 100 of them. As
//! cqrs-es is built, every command loads the case's whole history first (no
//! snapshots) and writes one INSERT per event.
//!
//! Usage: kroonika-bench-cqrs (sqlite PATH | postgres URL) (append EVENTS PER | commands CASES [CLIENTS])

use std::time::{Duration, Instant};

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

const STREAMS: usize = 100;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Case {
    recorded: u64,
}

#[derive(Debug)]
struct Record {
    count: usize,
    first: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum CaseEvent {
    ConsentRecorded(serde_json::Value),
}

impl DomainEvent for CaseEvent {
    fn event_type(&self) -> String {
        "ConsentRecorded".to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

fn payload(seq: usize) -> serde_json::Value {
    serde_json::json!({
        "case": format!("LE-2026-{:04}", seq % 10_000),
        "transition": "record-consent",
        "party": "victim",
        "consent": true,
        "recorded_by": "coordinator-tallinn-3",
        "note": "Both parties were informed of the conciliation procedure and agreed to a joint meeting.",
        "meeting": { "kind": "direct", "place": "Tallinn office", "minutes": 90 },
        "seq": seq,
    })
}

impl Aggregate for Case {
    const TYPE: &'static str = "case";
    type Command = Record;
    type Event = CaseEvent;
    type Error = Refused;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _service: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for i in 0..command.count {
            sink.write(CaseEvent::ConsentRecorded(payload(command.first + i)), self)
                .await;
        }
        Ok(())
    }

    fn apply(&mut self, _event: Self::Event) {
        self.recorded += 1;
    }
}

const SQLITE_SCHEMA: &str = "CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence integer CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, event_version text NOT NULL, payload text NOT NULL, metadata text NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, sequence)) STRICT; CREATE TABLE snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL, last_sequence integer CHECK (last_sequence >= 0) NOT NULL, current_snapshot integer CHECK (current_snapshot >= 0) NOT NULL, payload text NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)) STRICT;";

const POSTGRES_SCHEMA: &str = "CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, sequence)); CREATE TABLE snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL, last_sequence bigint CHECK (last_sequence >= 0) NOT NULL, current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL, payload json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, last_sequence));";

enum Framework {
    Sqlite(sqlite_es::SqliteCqrs<Case>),
    Postgres(postgres_es::PostgresCqrs<Case>),
}

impl Framework {
    async fn execute(&self, id: &str, command: Record) -> anyhow::Result<()> {
        match self {
            Framework::Sqlite(c) => c
                .execute(id, command)
                .await
                .map_err(|e| anyhow::anyhow!("{e}")),
            Framework::Postgres(c) => c
                .execute(id, command)
                .await
                .map_err(|e| anyhow::anyhow!("{e}")),
        }
    }
}

async fn framework(backend: &str, target: &str) -> anyhow::Result<Framework> {
    use std::str::FromStr;
    Ok(match backend {
        "sqlite" => {
            // The same settings as Kroonika's store: WAL, a commit on disk before it returns.
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(target)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            sqlx::raw_sql(SQLITE_SCHEMA).execute(&pool).await?;
            Framework::Sqlite(sqlite_es::sqlite_cqrs(pool, vec![], ()))
        }
        "postgres" => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect(target)
                .await?;
            sqlx::raw_sql(POSTGRES_SCHEMA).execute(&pool).await?;
            Framework::Postgres(postgres_es::postgres_cqrs(pool, vec![], ()))
        }
        other => anyhow::bail!("unknown backend {other}"),
    })
}

fn arg(args: &[String], i: usize) -> anyhow::Result<&str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| anyhow::anyhow!("usage: kroonika-bench-cqrs (sqlite PATH | postgres URL) (append EVENTS PER | commands CASES [CLIENTS])"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let cqrs = framework(arg(&args, 1)?, arg(&args, 2)?).await?;
    let ids: Vec<String> = (0..STREAMS)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let (events, elapsed) = match arg(&args, 3)? {
        "append" => {
            let events: usize = arg(&args, 4)?.parse()?;
            let per: usize = arg(&args, 5)?.parse()?;
            let started = Instant::now();
            let (mut made, mut k) = (0, 0);
            while made < events {
                let n = per.min(events - made);
                let t = Instant::now();
                cqrs.execute(
                    &ids[k % STREAMS],
                    Record {
                        count: n,
                        first: made,
                    },
                )
                .await?;
                latencies.push(t.elapsed());
                made += n;
                k += 1;
            }
            (events, started.elapsed())
        }
        "commands" => {
            // Cases of 50 events (not measured), then one command on each,
            // from CLIENTS concurrent clients (1 unless given), each on cases
            // of its own.
            let cases: usize = arg(&args, 4)?.parse()?;
            let clients: usize = args.get(5).map_or(Ok(1), |c| c.parse())?;
            let ids: Vec<String> = (0..cases)
                .map(|_| uuid::Uuid::now_v7().to_string())
                .collect();
            for id in &ids {
                cqrs.execute(
                    id,
                    Record {
                        count: 50,
                        first: 0,
                    },
                )
                .await?;
            }
            let cqrs = std::sync::Arc::new(cqrs);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for own in ids.chunks(cases.div_ceil(clients.max(1))) {
                let (cqrs, own) = (cqrs.clone(), own.to_vec());
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(own.len());
                    for id in &own {
                        let t = Instant::now();
                        cqrs.execute(
                            id,
                            Record {
                                count: 1,
                                first: 50,
                            },
                        )
                        .await?;
                        latencies.push(t.elapsed());
                    }
                    anyhow::Ok(latencies)
                }));
            }
            for task in tasks {
                latencies.extend(task.await??);
            }
            (cases, started.elapsed())
        }
        other => anyhow::bail!("unknown workload {other}"),
    };
    let micros: Vec<u128> = latencies.iter().map(Duration::as_micros).collect();
    println!(
        "{}",
        serde_json::json!({ "events": events, "elapsed_us": elapsed.as_micros(), "latencies_us": micros })
    );
    Ok(())
}
