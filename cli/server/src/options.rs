//! What `kroonika serve` is told: where to listen, TLS, and the limits every
//! request is held to.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate and key (PEM files); None: plain
    /// HTTP, for loopback or behind a TLS-terminating proxy.
    pub tls: Option<Tls>,
    pub limits: Limits,
    /// Run the background work (projections, deadlines, retention).
    pub background: bool,
    /// How long in-flight requests may take to finish at shutdown.
    pub grace: Duration,
    /// Also serve the event store protocol (gRPC) for programs.
    pub grpc: Option<crate::grpc::GrpcOptions>,
    /// Sign a checkpoint of the verified log on a schedule (with the
    /// background work).
    pub checkpoints: Option<kroonika_app::checkpoint::Publishing>,
}

/// A certificate chain and its private key, PEM.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What a request may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, in bytes (a 413 above it).
    pub body: usize,
    /// Longest a request may take (a 503 after it); what was committed stays.
    pub timeout: Duration,
    /// Longest the whole-log requests may take (verification, export, reports).
    pub long_timeout: Duration,
    /// Sign-in attempts per client address per minute (a 429 above it).
    pub sign_ins_per_minute: u32,
    /// Requests handled at once; more wait their turn.
    pub concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: 2 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            long_timeout: Duration::from_secs(15 * 60),
            sign_ins_per_minute: 10,
            concurrency: 256,
        }
    }
}
