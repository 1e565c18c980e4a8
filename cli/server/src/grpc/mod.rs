//! The event store protocol: KurrentDB's gRPC services (v1), so that
//! off-the-shelf event store clients (Rust, Python, .NET, Java, Node, Go)
//! append their own streams to Kroonika's log, read it and follow it.
//!
//! A front end like the HTTP API, in the same server: every call is
//! authenticated (`authorization: Basic <actor:token>` or `Bearer <token>`,
//! the API's tokens; a password is never taken here), parsed, and answered
//! by one call into the application's `streams` module (or a loop of page
//! reads), which decides who may append or read what and records refusals.
//! Served on its own listener (`--grpc`), with the HTTP listener's TLS.
//!
//! - [`proto`]: the generated messages and services;
//! - `streams.rs`: Streams (append, batch append, read and subscribe, delete,
//!   tombstone);
//! - `features.rs`: ServerFeatures, Gossip (one leader: this server), and the
//!   persistent subscriptions' list (empty; the rest unimplemented);
//! - `convert.rs`: messages to values and back, errors to statuses.

// `tonic::Status` is the protocol's error, which every service method
// returns; the helpers return it too rather than box it on the way.
#![allow(clippy::result_large_err)]

mod convert;
mod features;
pub mod proto;
mod streams;

use std::sync::Arc;

use base64::Engine as _;
use kroonika_app::auth::Credential;
use kroonika_app::streams::Grants;
use kroonika_app::{App, Request as AppRequest};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;
use tonic::metadata::MetadataMap;

use crate::Server;
use proto::event_store::client::gossip::gossip_server::GossipServer;
use proto::event_store::client::persistent_subscriptions::persistent_subscriptions_server::PersistentSubscriptionsServer;
use proto::event_store::client::server_features::server_features_server::ServerFeaturesServer;
use proto::event_store::client::streams::streams_server::StreamsServer;

/// What the gRPC listener is told.
#[derive(Debug, Clone)]
pub struct GrpcOptions {
    pub listen: std::net::SocketAddr,
    /// Which actors may append to which categories.
    pub grants: Grants,
    /// Subscriptions open at once; more are refused (RESOURCE_EXHAUSTED).
    pub subscriptions: usize,
}

impl GrpcOptions {
    pub fn new(listen: std::net::SocketAddr) -> GrpcOptions {
        GrpcOptions {
            listen,
            grants: Grants::default(),
            subscriptions: 512,
        }
    }
}

/// What every service shares.
#[derive(Debug, Clone)]
pub struct Grpc {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    server: Server,
    grants: Grants,
    subscriptions: Arc<Semaphore>,
    /// Where this server listens, for gossip.
    address: std::net::SocketAddr,
}

/// The largest message a client may send: an append's events and a margin.
const MAX_MESSAGE: usize = kroonika_app::streams::MAX_APPEND_BYTES + 64 * 1024;

impl Grpc {
    pub fn new(server: Server, options: &GrpcOptions, address: std::net::SocketAddr) -> Grpc {
        Grpc {
            inner: Arc::new(Inner {
                server,
                grants: options.grants.clone(),
                subscriptions: Arc::new(Semaphore::new(options.subscriptions)),
                address,
            }),
        }
    }

    /// The services, as one router the listener serves.
    pub fn router(self) -> axum::Router {
        tonic::service::Routes::new(
            StreamsServer::new(self.clone())
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(8 * MAX_MESSAGE),
        )
        .add_service(ServerFeaturesServer::new(self.clone()))
        .add_service(GossipServer::new(self.clone()))
        .add_service(PersistentSubscriptionsServer::new(self))
        .into_axum_router()
    }

    fn app(&self) -> &App {
        self.inner.server.app()
    }

    /// Who the call's credentials prove the caller is, as a request named
    /// `command`. Basic credentials are an actor's name and one of their
    /// tokens; the name must be the token's actor.
    async fn caller(&self, metadata: &MetadataMap, command: &str) -> Result<AppRequest, Status> {
        let header = metadata
            .get("authorization")
            .ok_or_else(|| {
                Status::unauthenticated(
                    "no credentials: send 'authorization: Basic <actor:token>' or 'Bearer <token>'",
                )
            })?
            .to_str()
            .map_err(|_| Status::unauthenticated("the authorization header is not text"))?;
        let (scheme, value) = header
            .split_once(' ')
            .ok_or_else(|| Status::unauthenticated("the authorization header has no scheme"))?;
        let (name, token) = if scheme.eq_ignore_ascii_case("bearer") {
            (None, value.trim().to_owned())
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    Status::unauthenticated("the Basic credentials are not base64 text")
                })?;
            let (name, token) = decoded.split_once(':').ok_or_else(|| {
                Status::unauthenticated("the Basic credentials are not 'actor:token'")
            })?;
            (Some(name.to_owned()), token.to_owned())
        } else {
            return Err(Status::unauthenticated(format!(
                "authorization scheme '{scheme}' is not taken: use Basic or Bearer"
            )));
        };
        let principal = self
            .inner
            .server
            .auth()
            .authenticate(&Credential::Bearer(token))
            .await
            .map_err(convert::status)?;
        if name.is_some_and(|name| name != principal.actor) {
            return Err(Status::unauthenticated(
                "the token is not that actor's: invalid credentials",
            ));
        }
        Ok(AppRequest::new(principal.actor, command))
    }

    /// A place for one more subscription, or RESOURCE_EXHAUSTED.
    fn subscription_permit(&self) -> Result<OwnedSemaphorePermit, Status> {
        self.inner
            .subscriptions
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                Status::resource_exhausted("Maximum subscriptions reached: try again later")
            })
    }
}
