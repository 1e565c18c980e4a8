//! The `kroonika` binary: a runtime around [`kroonika_cli::run`].

use std::process::ExitCode;

/// mimalloc: sqlx's SQLite driver builds rows on its worker thread and the
/// caller frees them on another, which glibc's allocator answers with lock
/// contention between arenas (measured: a fifth of a rebuild's time in malloc
/// and free, plus futex wake-ups). See BENCHMARKS.md.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: cannot start the async runtime: {err}");
            }
            return ExitCode::from(kroonika_cli::exit::INVALID);
        }
    };
    kroonika_cli::style::detect();
    kroonika_cli::output::detect();
    kroonika_cli::args::detect_locale();
    let mut stdout = std::io::BufWriter::new(std::io::stdout());
    let mut stderr = std::io::stderr();
    let code = runtime.block_on(kroonika_cli::run(
        std::env::args_os(),
        &mut stdout,
        &mut stderr,
    ));
    // A closed pipe (`kroonika log | head`) is not an error worth reporting.
    let _ = std::io::Write::flush(&mut stdout);
    ExitCode::from(code)
}
