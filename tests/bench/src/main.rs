//! `kroonika-bench`: Kroonika's store against the floor, plain sqlx doing the
//! identical work (same schema, same rows, same payload bytes, same transaction
//! sizes, multi-row INSERTs), measured alternately in one run.
//!
//! These machines are shared and noisy, so only ratios measured side by side
//! mean anything: each workload runs floor, Kroonika, floor, Kroonika, … for
//! `--rounds` rounds, each round on a fresh database, and the median is reported.
//! A benchmark, not a test: it asserts nothing and prints figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// The same allocator as the `kroonika` binary, for floor and Kroonika alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod cqrs;
mod floor;
mod grpc;
mod http;
mod report;
mod soak;
mod workload;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use kroonika_tests::Backend;

use crate::report::Row;
use crate::workload::{Contestant, Measured, Shape};

#[derive(Debug, Parser)]
#[command(name = "kroonika-bench")]
struct Args {
    /// Which backend(s); PostgreSQL needs KROONIKA_TEST_POSTGRES.
    #[arg(long, value_enum, default_value_t = Which::Sqlite)]
    backend: Which,
    /// Events per append workload (the read workload uses 20× as many).
    #[arg(long, default_value_t = 5_000)]
    events: usize,
    /// Rounds per contestant (the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// A fifth of the default sizes, for a quick look.
    #[arg(long)]
    quick: bool,
    /// Measure only projection rebuilds, over 100,000 and 1,000,000 events (slow to set up).
    #[arg(long)]
    rebuild: bool,
    /// Leave out the cqrs-es contestant (it is built, in release, on first use).
    #[arg(long)]
    no_cqrs: bool,
    /// Measure only `timers run` over many open cases of which 100 are due.
    #[arg(long)]
    timers: bool,
    /// Measure only case commands: store level and through the application layer.
    #[arg(long)]
    commands: bool,
    /// Measure only the event store protocol: appends of 1 and 100 events and
    /// a catch-up subscription to $all over 1,000,000 events (20,000 with
    /// --quick) through gRPC, next to the store's own figures.
    #[arg(long)]
    grpc: bool,
    /// Measure only the server's memory: `kroonika serve` under 16 HTTP
    /// clients living cases through (open to close) for this many minutes,
    /// its resident memory each minute. KROONIKA_SOAK_SERVER runs another
    /// server command (a profiler and a build without mimalloc).
    #[arg(long, value_name = "MINUTES")]
    soak: Option<u64>,
    /// With --commands: only the rows whose name contains this text (to
    /// profile one of them).
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Also write the markdown table to this file. In a file that holds the
    /// markers `<!-- bench:latest -->` and `<!-- /bench:latest -->` (as
    /// BENCHMARKS.md does), only the part between them is replaced, with the
    /// command and the date.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Sqlite,
    Postgres,
    Both,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let backends = match args.backend {
        Which::Sqlite => vec![Backend::Sqlite],
        Which::Postgres => vec![Backend::Postgres],
        Which::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    if backends.contains(&Backend::Postgres) && kroonika_tests::postgres_url().is_none() {
        bail!(
            "PostgreSQL benchmarks need KROONIKA_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
    }
    let events = if args.quick {
        args.events / 5
    } else {
        args.events
    }
    .max(100);
    if args.rebuild {
        // Only the rebuild: its setup is long, and its peak memory is measured alone.
        let table = rebuild_figures(&backends, args.quick).await?;
        println!("{table}");
        if let Some(path) = args.output {
            write_output(&path, &table)?;
        }
        return Ok(());
    }
    if let Some(minutes) = args.soak {
        let table = soak::soak(minutes, 16, args.quick).await?;
        println!("{table}");
        if let Some(path) = args.output {
            write_output(&path, &table)?;
        }
        return Ok(());
    }
    if args.timers {
        let table = timer_figures(&backends, args.quick).await?;
        println!("{table}");
        if let Some(path) = args.output {
            write_output(&path, &table)?;
        }
        return Ok(());
    }
    if args.grpc {
        let table = grpc_figures(&backends, args.quick, args.rounds).await?;
        println!("{table}");
        if let Some(path) = args.output {
            write_output(&path, &table)?;
        }
        return Ok(());
    }
    if args.commands {
        let table = command_figures(
            &backends,
            events / 50,
            args.rounds,
            !args.no_cqrs,
            args.only.as_deref(),
        )
        .await?;
        println!("{table}");
        if let Some(path) = args.output {
            write_output(&path, &table)?;
        }
        return Ok(());
    }
    let shapes = [
        Shape::Append {
            per_append: 1,
            events,
        },
        Shape::Append {
            per_append: 100,
            events: events * 10,
        },
        Shape::ReadAll {
            events: events * 20,
        },
    ];
    let mut rows = Vec::new();
    for &backend in &backends {
        for shape in shapes {
            eprintln!("{backend:?}: {}", shape.name());
            let mut floor = Vec::new();
            let mut kroonika = Vec::new();
            for round in 0..args.rounds {
                for contestant in [Contestant::Floor, Contestant::Kroonika] {
                    let measured = workload::run(backend, shape, contestant)
                        .await
                        .with_context(|| {
                            format!("{backend:?} {} {contestant:?} round {round}", shape.name())
                        })?;
                    eprintln!(
                        "  round {round} {contestant:?}: {:.0} events/s",
                        measured.events_per_second()
                    );
                    match contestant {
                        Contestant::Floor => floor.push(measured),
                        Contestant::Kroonika => kroonika.push(measured),
                    }
                }
            }
            rows.push(Row::new(backend, shape, floor, kroonika));
        }
    }
    let mut table = report::markdown(&rows, args.rounds);
    table.push_str(
        &command_figures(&backends, events / 50, args.rounds, !args.no_cqrs, None).await?,
    );
    if !args.no_cqrs {
        table.push_str(&cqrs_figures(&backends, events, args.rounds).await?);
    }
    println!("{table}");
    if let Some(path) = args.output {
        write_output(&path, &table)?;
    }
    Ok(())
}

/// The event store protocol against the store it serves, alternately.
async fn grpc_figures(backends: &[Backend], quick: bool, rounds: usize) -> anyhow::Result<String> {
    use grpc::Work;
    let scale = if quick { 5 } else { 1 };
    let works = [
        Work::Append {
            per_append: 1,
            appends: 2_000 / scale,
            batch: false,
        },
        Work::Append {
            per_append: 100,
            appends: 200 / scale,
            batch: false,
        },
        Work::Append {
            per_append: 1,
            appends: 2_000 / scale,
            batch: true,
        },
        Work::Append {
            per_append: 100,
            appends: 200 / scale,
            batch: true,
        },
        Work::Subscribe {
            events: if quick { 20_000 } else { 1_000_000 },
        },
    ];
    let mut out = String::from(
        "\n| backend | event store protocol | events | store events/s | gRPC events/s | time ratio (gRPC ÷ store) | p50 / p99 ms: store | gRPC |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for &backend in backends {
        for work in works {
            eprintln!("{backend:?}: {} (gRPC)", work.name());
            let (mut store, mut wire) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let measured = grpc::on_store(backend, work).await?;
                eprintln!(
                    "  round {round} store: {:.0} events/s",
                    measured.events_per_second()
                );
                store.push(measured);
                let measured = grpc::through_grpc(backend, work).await?;
                eprintln!(
                    "  round {round} gRPC: {:.0} events/s",
                    measured.events_per_second()
                );
                wire.push(measured);
            }
            out.push_str(&report::pair_row(backend, &work.name(), store, wire));
        }
    }
    out.push_str(&format!(
        "\nMedian of {rounds} alternating rounds, each on a fresh database; the official Rust client (kurrentdb 1.2) over loopback, plain HTTP/2, a token per call.\n"
    ));
    Ok(out)
}

/// Case commands, one `log-contact` on each 50-event case: at store level
/// (issue 4), through the application layer (issue 13) with group commit off
/// and on for 1, 4, 16 and 64 concurrent clients (issue 19), through the HTTP
/// API with 16, and cqrs-es on the same workload with 1 and 16. Every row runs
/// once per round, each round starting at another row, so their ratios are
/// measured side by side; the goals' ratios follow the table.
async fn command_figures(
    backends: &[Backend],
    per: usize,
    rounds: usize,
    with_cqrs: bool,
    only: Option<&str>,
) -> anyhow::Result<String> {
    let per = per.max(20);
    let cqrs = if with_cqrs {
        Some(cqrs::binary()?)
    } else {
        None
    };
    let mut out = String::from(
        "\n| backend | case commands (load 50 events, decide, append 1) | commands | commands/s | p50 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    #[derive(Clone, Copy, PartialEq)]
    enum Path {
        Store,
        App { remember: bool, group: bool },
        Http,
        Cqrs,
    }
    // Commands in a row: enough for each client to settle.
    let total = |clients: usize| match clients {
        1 => 3 * per,
        4 => 6 * per,
        16 => 16 * per,
        _ => 20 * per,
    };
    let mut shapes: Vec<(String, usize, Path)> = vec![
        ("store level, one client".to_owned(), 1, Path::Store),
        (
            "application layer, one client, cases read each time".to_owned(),
            1,
            Path::App {
                remember: false,
                group: true,
            },
        ),
    ];
    for clients in [1, 4, 16, 64] {
        for group in [false, true] {
            let who = if clients == 1 {
                "one client".to_owned()
            } else {
                format!("{clients} concurrent clients")
            };
            let how = if group { "group commit" } else { "each alone" };
            shapes.push((
                format!("application layer, {who}, {how}"),
                clients,
                Path::App {
                    remember: true,
                    group,
                },
            ));
        }
    }
    shapes.push((
        "HTTP API, 16 concurrent clients, group commit".to_owned(),
        16,
        Path::Http,
    ));
    if cqrs.is_some() {
        shapes.push(("cqrs-es, one client".to_owned(), 1, Path::Cqrs));
        shapes.push(("cqrs-es, 16 concurrent clients".to_owned(), 16, Path::Cqrs));
    }
    if let Some(only) = only {
        shapes.retain(|(name, _, _)| name.contains(only));
    }
    let mut notes = String::new();
    for &backend in backends {
        let mut runs: Vec<Vec<Measured>> = vec![Vec::new(); shapes.len()];
        for round in 0..rounds {
            // Each round starts at another shape, so that no shape always
            // follows the same one (a store just closed, its files flushing).
            let order = (0..shapes.len()).map(|k| (k + round) % shapes.len());
            for i in order {
                let (name, clients, path) = &shapes[i];
                let commands = total(*clients);
                let measured = match path {
                    Path::Store => commands::latency(backend, commands).await?,
                    Path::App { remember, group } => {
                        commands::through_app(
                            backend,
                            *clients,
                            commands / clients,
                            *remember,
                            *group,
                        )
                        .await?
                    }
                    Path::Http => http::through_http(backend, *clients, commands / clients).await?,
                    Path::Cqrs => {
                        let binary = cqrs.as_ref().expect("built when its rows are");
                        let args = vec![
                            "commands".to_owned(),
                            commands.to_string(),
                            clients.to_string(),
                        ];
                        cqrs::run(binary, backend, &args).await?
                    }
                };
                eprintln!(
                    "{backend:?} {name}: {:.0} commands/s",
                    measured.events_per_second()
                );
                runs[i].push(measured);
            }
        }
        let rate = |name: &str| {
            shapes
                .iter()
                .position(|(n, _, _)| n == name)
                .map(|i| report::median(runs[i].clone()))
        };
        let ratio = |a: &str, b: &str| match (rate(a), rate(b)) {
            (Some(a), Some(b)) => {
                format!("{:.2}×", a.events_per_second() / b.events_per_second())
            }
            _ => "–".to_owned(),
        };
        let p99 = |name: &str| {
            rate(name)
                .and_then(|m| report::percentile(&m.latencies, 0.99))
                .map_or("–".to_owned(), |d| {
                    format!("{:.2} ms", d.as_secs_f64() * 1e3)
                })
        };
        let label = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        notes.push_str(&format!(
            "\n{label}: one client, application layer ÷ cqrs-es {} (group commit off: {}); 16 clients, group commit ÷ cqrs-es {}, ÷ each alone {}; 64 clients, group commit ÷ each alone {}; HTTP ÷ application layer at 16 clients {}, HTTP p99 {}.\n",
            ratio("application layer, one client, group commit", "cqrs-es, one client"),
            ratio("application layer, one client, each alone", "cqrs-es, one client"),
            ratio(
                "application layer, 16 concurrent clients, group commit",
                "cqrs-es, 16 concurrent clients"
            ),
            ratio(
                "application layer, 16 concurrent clients, group commit",
                "application layer, 16 concurrent clients, each alone"
            ),
            ratio(
                "application layer, 64 concurrent clients, group commit",
                "application layer, 64 concurrent clients, each alone"
            ),
            ratio(
                "HTTP API, 16 concurrent clients, group commit",
                "application layer, 16 concurrent clients, group commit"
            ),
            p99("HTTP API, 16 concurrent clients, group commit"),
        ));
        for ((name, _, _), runs) in shapes.iter().zip(runs) {
            out.push_str(&report::command_row(backend, name, runs));
        }
    }
    out.push_str(&format!("\nCase commands: median of {rounds} rounds, each row on a fresh store (cqrs-es: a fresh database of its own), every row once a round, each round starting at another row; \"group commit\" / \"each alone\": the application's store with group commit on / off; cases remembered (one unmeasured command each first) unless said.\n"));
    out.push_str(&notes);
    Ok(out)
}

async fn cqrs_figures(
    backends: &[Backend],
    events: usize,
    rounds: usize,
) -> anyhow::Result<String> {
    let binary = cqrs::binary()?;
    let mut out = String::from(
        "\n| backend | workload | kroonika events/s | cqrs-es events/s | kroonika ÷ cqrs-es (speed) | p50 / p99 ms: kroonika | cqrs-es |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    let latency = |m: &Measured| {
        let mut l = m.latencies.clone();
        l.sort();
        let at = |p: f64| {
            l.get(((l.len() as f64 - 1.0) * p).round() as usize)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        format!("{:.2} / {:.2}", at(0.5), at(0.99))
    };
    let median = |mut runs: Vec<Measured>| {
        runs.sort_by_key(|m| m.elapsed);
        runs.swap_remove(runs.len() / 2)
    };
    for &backend in backends {
        let name = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        let cases = (events / 50).max(20);
        let shapes: [(String, Shape, Vec<String>); 3] = [
            (
                "append, 1 event per command".to_owned(),
                Shape::Append {
                    per_append: 1,
                    events,
                },
                vec!["append".into(), events.to_string(), "1".into()],
            ),
            (
                "append, 100 events per command".to_owned(),
                Shape::Append {
                    per_append: 100,
                    events: events * 10,
                },
                vec!["append".into(), (events * 10).to_string(), "100".into()],
            ),
            (
                "command on a 50-event case (commands/s)".to_owned(),
                Shape::Append {
                    per_append: 1,
                    events: cases,
                },
                vec!["commands".into(), cases.to_string()],
            ),
        ];
        for (label, shape, args) in shapes {
            let mut ours = Vec::new();
            let mut theirs = Vec::new();
            for round in 0..rounds {
                let mine = if args[0] == "commands" {
                    commands::latency(backend, cases).await?
                } else {
                    workload::run(backend, shape, Contestant::Kroonika).await?
                };
                let other = cqrs::run(&binary, backend, &args).await?;
                eprintln!(
                    "{backend:?} {label} round {round}: kroonika {:.0}/s, cqrs-es {:.0}/s",
                    mine.events_per_second(),
                    other.events_per_second()
                );
                ours.push(mine);
                theirs.push(other);
            }
            let (k, c) = (median(ours), median(theirs));
            out.push_str(&format!(
                "| {name} | {label} | {:.0} | {:.0} | {:.2}× | {} | {} |\n",
                k.events_per_second(),
                c.events_per_second(),
                k.events_per_second() / c.events_per_second(),
                latency(&k),
                latency(&c),
            ));
        }
    }
    out.push_str("\nAgainst cqrs-es: median of the alternating rounds, each on a fresh database. cqrs-es loads a case's whole history before every command (no snapshots) and writes one INSERT per event; Kroonika's append rows append with the revision the writer knows, its command rows load, decide with the engine and append with the wake-up.\n");
    Ok(out)
}

/// `timers run` with 100 due cases among few and among many open ones: the
/// time should follow the due cases, not the open ones.
async fn timer_figures(backends: &[Backend], quick: bool) -> anyhow::Result<String> {
    let sizes: &[usize] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 100_000]
    };
    const DUE: usize = 100;
    let mut out = String::from(
        "\n| backend | open cases | due | `timers run` ms | handled |\n|---|---:|---:|---:|---:|\n",
    );
    for &backend in backends {
        for &open in sizes {
            let (elapsed, handled) = commands::timers(backend, open, DUE).await?;
            eprintln!("{backend:?} timers: {open} open, {handled} handled in {elapsed:?}");
            let name = match backend {
                Backend::Sqlite => "SQLite",
                Backend::Postgres => "PostgreSQL",
            };
            out.push_str(&format!(
                "| {name} | {open} | {DUE} | {:.1} | {handled} |\n",
                elapsed.as_secs_f64() * 1000.0
            ));
        }
    }
    Ok(out)
}

/// Projection rebuilds (issue 5), smaller log first so the peak memory of the
/// larger one shows whether memory grows with the log.
async fn rebuild_figures(backends: &[Backend], quick: bool) -> anyhow::Result<String> {
    let sizes: &[usize] = if quick { &[2_000] } else { &[2_000, 20_000] };
    let mut out = String::from(
        "\n| backend | log | rebuilt | events/s (log events ÷ time) | peak RSS of the process |\n|---|---|---|---:|---:|\n",
    );
    for &backend in backends {
        for &cases in sizes {
            for (projection, measured, peak_kib) in commands::rebuild(backend, cases).await? {
                eprintln!(
                    "{backend:?} rebuild {projection} over {} events: {:.0} events/s, peak {} MiB",
                    measured.events,
                    measured.events_per_second(),
                    peak_kib / 1024
                );
                let name = match backend {
                    Backend::Sqlite => "SQLite",
                    Backend::Postgres => "PostgreSQL",
                };
                let rebuilt = if projection == "all" {
                    "every projection (case-list, case-facts)".to_owned()
                } else {
                    projection.to_owned()
                };
                out.push_str(&format!(
                    "| {name} | {cases} cases × 50 = {} events | {rebuilt} | {:.0} | {} MiB |\n",
                    measured.events,
                    measured.events_per_second(),
                    peak_kib / 1024
                ));
            }
        }
    }
    out.push_str("\nRebuild: one run each, smaller first in one process, so a flat peak means memory does not grow with the log.\n");
    Ok(out)
}

/// Writes the table to `path`: between the markers if the file has them,
/// else as the whole file.
fn write_output(path: &std::path::Path, table: &str) -> anyhow::Result<()> {
    const START: &str = "<!-- bench:latest -->";
    const END: &str = "<!-- /bench:latest -->";
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(START), existing.find(END)) {
        (Some(start), Some(end)) if start < end => {
            let command: Vec<String> = std::env::args().skip(1).collect();
            format!(
                "{}{START}\n\nLatest run: `kroonika-bench {}`, {} UTC.\n\n{}\n{}",
                &existing[..start],
                command.join(" "),
                chrono::Utc::now().format("%Y-%m-%d %H:%M"),
                table.trim(),
                &existing[end..]
            )
        }
        _ => table.to_owned(),
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
