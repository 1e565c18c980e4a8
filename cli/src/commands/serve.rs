//! `kroonika serve`: the HTTP API on this store (`kroonika-server`). This
//! file only reads the options, sets up logging, checks the master key file
//! is private, and says where it listens.

use std::io::Write;
use std::time::Duration;

use kroonika_app::keys;
use kroonika_server::grpc::GrpcOptions;
use kroonika_server::{Limits, ServeOptions, Tls};

use crate::args::{Cli, LogFormat, ServeArgs};
use crate::commands::projections::on_signal;
use crate::context;

pub(crate) async fn run(
    cli: &Cli,
    args: &ServeArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    // Listening before any work, so a signal during start-up is not lost.
    let shutdown = on_signal();
    logging(args.log_format);
    keys::check_private(&context::key_source(cli))?;
    let app = context::app_with(
        cli,
        true,
        kroonika_app::Options {
            max_text: args.max_text,
            ..kroonika_app::Options::default()
        },
    )
    .await?;
    let options = ServeOptions {
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(Tls {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        },
        limits: Limits {
            body: args.max_body,
            timeout: Duration::from_secs(args.timeout.max(1)),
            sign_ins_per_minute: args.sign_ins_per_minute,
            ..Limits::default()
        },
        grpc: match args.grpc {
            Some(listen) => {
                let mut grpc = GrpcOptions::new(listen);
                for grant in &args.grpc_grants {
                    grpc.grants.grant(grant)?;
                }
                Some(grpc)
            }
            None => None,
        },
        checkpoints: match (&args.checkpoint_key, &args.checkpoint_dir) {
            (Some(key), Some(dir)) => Some(kroonika_app::checkpoint::Publishing {
                key: context::read_file(key)?,
                dir: dir.clone(),
                every: Duration::from_secs(args.checkpoint_every.max(1) * 60),
            }),
            _ => None,
        },
        ..ServeOptions::new(args.listen)
    };
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let mut said = Ok(());
    let tls = options.tls.is_some();
    let checkpoints = options.checkpoints.as_ref().map(|c| {
        format!(
            "checkpoints: signed every {} min into {}",
            c.every.as_secs() / 60,
            c.dir.display()
        )
    });
    kroonika_server::serve(app, options, shutdown, |listening| {
        said = writeln!(out, "listening on {scheme}://{}", listening.http)
            .and_then(|()| match listening.grpc {
                Some(grpc) => writeln!(out, "event store clients: kurrentdb://{grpc}?tls={tls}"),
                None => Ok(()),
            })
            .and_then(|()| match &checkpoints {
                Some(line) => writeln!(out, "{line}"),
                None => Ok(()),
            })
            .and_then(|()| out.flush());
    })
    .await?;
    said?;
    Ok(())
}

/// Log lines to standard error; `KROONIKA_LOG` sets the levels (`info` if unset).
fn logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KROONIKA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour())
        .with_target(false);
    // A second `serve` in one process (tests) keeps the first set-up.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Colours only on a terminal, and never with `NO_COLOR` set.
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
