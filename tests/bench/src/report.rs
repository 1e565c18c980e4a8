//! Medians and the markdown table.

use std::time::Duration;

use kroonika_tests::Backend;

use crate::workload::{Measured, Shape};

pub struct Row {
    backend: Backend,
    shape: Shape,
    floor: Measured,
    kroonika: Measured,
}

impl Row {
    /// Keeps each contestant's median round (by elapsed time).
    pub fn new(
        backend: Backend,
        shape: Shape,
        floor: Vec<Measured>,
        kroonika: Vec<Measured>,
    ) -> Row {
        Row {
            backend,
            shape,
            floor: median(floor),
            kroonika: median(kroonika),
        }
    }
}

pub fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by_key(|m| m.elapsed);
    runs.swap_remove(runs.len() / 2)
}

pub fn percentile(latencies: &[Duration], p: f64) -> Option<Duration> {
    if latencies.is_empty() {
        return None;
    }
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[index])
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("–".to_owned(), |d| {
        format!("{:.2}", d.as_secs_f64() * 1000.0)
    })
}

pub fn markdown(rows: &[Row], rounds: usize) -> String {
    let mut out = String::new();
    out.push_str(
        "| backend | workload | events | floor events/s | kroonika events/s | time ratio (kroonika ÷ floor) | txn p50 / p99 ms: floor | kroonika |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let backend = match row.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        let ratio = row.kroonika.elapsed.as_secs_f64() / row.floor.elapsed.as_secs_f64();
        let latency = |m: &Measured| {
            if m.latencies.is_empty() {
                "–".to_owned()
            } else {
                format!(
                    "{} / {}",
                    ms(percentile(&m.latencies, 0.5)),
                    ms(percentile(&m.latencies, 0.99))
                )
            }
        };
        out.push_str(&format!(
            "| {backend} | {} | {} | {:.0} | {:.0} | {:.2}× | {} | {} |\n",
            row.shape.name(),
            row.shape.events(),
            row.floor.events_per_second(),
            row.kroonika.events_per_second(),
            ratio,
            latency(&row.floor),
            latency(&row.kroonika),
        ));
    }
    out.push_str(&format!(
        "\nMedian of {rounds} alternating rounds per contestant, each on a fresh database.\n"
    ));
    out
}

/// A row of the case-command table from the median round.
pub fn command_row(backend: Backend, name: &str, runs: Vec<Measured>) -> String {
    let measured = median(runs);
    let backend = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let max = measured.latencies.iter().max().copied();
    format!(
        "| {backend} | {name} | {} | {:.0} | {} | {} | {} |\n",
        measured.events,
        measured.events_per_second(),
        ms(percentile(&measured.latencies, 0.5)),
        ms(percentile(&measured.latencies, 0.99)),
        ms(max),
    )
}

/// A row comparing two ways of doing the same work, from each one's median round.
pub fn pair_row(
    backend: Backend,
    name: &str,
    first: Vec<Measured>,
    second: Vec<Measured>,
) -> String {
    let (first, second) = (median(first), median(second));
    let backend = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let latency = |m: &Measured| {
        if m.latencies.is_empty() {
            "–".to_owned()
        } else {
            format!(
                "{} / {}",
                ms(percentile(&m.latencies, 0.5)),
                ms(percentile(&m.latencies, 0.99))
            )
        }
    };
    format!(
        "| {backend} | {name} | {} | {:.0} | {:.0} | {:.2}× | {} | {} |\n",
        first.events,
        first.events_per_second(),
        second.events_per_second(),
        second.elapsed.as_secs_f64() / first.elapsed.as_secs_f64(),
        latency(&first),
        latency(&second),
    )
}
