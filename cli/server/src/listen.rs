//! Listening: plain HTTP, or HTTPS with rustls; the background services
//! beside it; and a graceful end. When `shutdown` is asked (SIGTERM, Ctrl-C),
//! the listener stops taking connections, requests in flight finish (up to
//! the grace period: a command is one transaction, so one cut short writes
//! nothing), the services stop between runs, and the store is closed.

use std::net::SocketAddr;

use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum_server::Handle;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use kroonika_app::App;
use kroonika_app::services::Shutdown;

use crate::background::{self, Schedule};
use crate::{Limits, ServeOptions, Server};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the TLS certificate and key: {0}")]
    Tls(String),
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// Where the server listens, once it does (the ports chosen, for `:0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    pub http: SocketAddr,
    /// The event store protocol's listener, if asked for.
    pub grpc: Option<SocketAddr>,
}

/// Serves `app` until `shutdown`. `ready` is told where it listens once
/// connections are taken.
pub async fn serve(
    app: App,
    options: ServeOptions,
    shutdown: Shutdown,
    ready: impl FnOnce(Listening),
) -> Result<(), ServeError> {
    serve_with(
        Server::new(app, options.limits.clone()),
        options,
        Schedule::default(),
        shutdown,
        ready,
    )
    .await
}

/// [`serve`] with a server made by the caller and its own schedule.
pub async fn serve_with(
    server: Server,
    options: ServeOptions,
    schedule: Schedule,
    shutdown: Shutdown,
    ready: impl FnOnce(Listening),
) -> Result<(), ServeError> {
    let (listener, address) = bind(options.listen)?;
    let grpc = match &options.grpc {
        Some(grpc) => Some((bind(grpc.listen)?, grpc)),
        None => None,
    };
    let tls = match &options.tls {
        Some(tls) => {
            // One process-wide provider; a second install is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(
                RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                    .await
                    .map_err(|err| {
                        ServeError::Tls(format!(
                            "{} and {}: {err}",
                            tls.cert.display(),
                            tls.key.display()
                        ))
                    })?,
            )
        }
        None => {
            if !address.ip().is_loopback() {
                tracing::warn!(
                    %address,
                    "serving plain HTTP on an address others can reach: put a TLS-terminating proxy in front, or give --tls-cert and --tls-key"
                );
            }
            None
        }
    };
    let (_, mut router) = crate::openapi::document_and_router(&server);
    if tls.is_some() {
        // Browsers that have seen this server over HTTPS never fall back to
        // plain HTTP for it.
        router = router.layer(axum::middleware::map_response(
            |mut response: axum::response::Response| async move {
                response.headers_mut().insert(
                    axum::http::header::STRICT_TRANSPORT_SECURITY,
                    axum::http::HeaderValue::from_static("max-age=31536000"),
                );
                response
            },
        ));
    }
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let handle = Handle::new();
    let services = options.background.then(|| {
        background::start(
            server.app(),
            &shutdown,
            &schedule,
            options.checkpoints.as_ref(),
        )
    });
    {
        let (handle, shutdown, grace) = (handle.clone(), shutdown.clone(), options.grace);
        tokio::spawn(async move {
            shutdown.stopped().await;
            handle.graceful_shutdown(Some(grace));
        });
    }
    tracing::info!(%address, tls = tls.is_some(), "listening");
    // The event store protocol on its own listener, with the same TLS and
    // the same graceful end.
    let grpc_task = grpc.map(|((listener, grpc_address), grpc)| {
        let router = crate::grpc::Grpc::new(server.clone(), grpc, grpc_address).router();
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let (handle, tls) = (handle.clone(), tls.clone());
        tracing::info!(address = %grpc_address, tls = tls.is_some(), "listening for event store clients (gRPC)");
        let task = tokio::spawn(accept(listener, tls, handle, service));
        (task, grpc_address)
    });
    ready(Listening {
        http: address,
        grpc: grpc_task.as_ref().map(|(_, address)| *address),
    });
    let served = accept(listener, tls, handle, service).await;
    let served = match grpc_task {
        Some((task, _)) => {
            let grpc_served = task
                .await
                .unwrap_or_else(|err| Err(std::io::Error::other(err.to_string())));
            served.and(grpc_served)
        }
        None => served,
    };
    // However the listener ended, the services stop, then the store closes.
    shutdown.stop();
    if let Some(mut services) = services {
        while services.join_next().await.is_some() {}
    }
    server.app().close().await;
    tracing::info!("stopped");
    served.map_err(ServeError::Serve)
}

/// Serves `service` on `listener` (over TLS with `tls`) until `handle` ends
/// it. Small writes go out at once (`TCP_NODELAY`): HTTP/2 frames of a gRPC
/// answer would otherwise wait for the peer's delayed acknowledgement.
async fn accept(
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    handle: Handle,
    service: IntoMakeServiceWithConnectInfo<axum::Router, SocketAddr>,
) -> std::io::Result<()> {
    let server = axum_server::from_tcp(listener).handle(handle);
    match tls {
        Some(config) => {
            server
                .acceptor(RustlsAcceptor::new(config).acceptor(NoDelayAcceptor::new()))
                .serve(service)
                .await
        }
        None => server.acceptor(NoDelayAcceptor::new()).serve(service).await,
    }
}

/// A listener on `address`, non-blocking for tokio, and where it listens.
fn bind(address: SocketAddr) -> Result<(std::net::TcpListener, SocketAddr), ServeError> {
    let listener = std::net::TcpListener::bind(address)
        .map_err(|source| ServeError::Bind { address, source })?;
    listener.set_nonblocking(true).map_err(ServeError::Serve)?;
    let bound = listener.local_addr().map_err(ServeError::Serve)?;
    Ok((listener, bound))
}

impl ServeOptions {
    /// Listening on `listen` with the default limits, background work on.
    pub fn new(listen: SocketAddr) -> ServeOptions {
        ServeOptions {
            listen,
            tls: None,
            limits: Limits::default(),
            background: true,
            grace: std::time::Duration::from_secs(30),
            grpc: None,
            checkpoints: None,
        }
    }
}
