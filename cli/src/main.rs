//! The `kroonika` binary: a runtime around [`kroonika_cli::run`].

use std::process::ExitCode;

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
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let code = runtime.block_on(kroonika_cli::run(
        std::env::args_os(),
        &mut stdout,
        &mut stderr,
    ));
    ExitCode::from(code)
}
