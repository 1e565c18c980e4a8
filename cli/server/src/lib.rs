//! `kroonika serve`: the HTTP API for a team working on one store.
//!
//! A front end like the CLI: each handler parses what came in, makes one call
//! into the application layer (`kroonika-app`), and renders what comes back as
//! JSON (or CSV, HTML, text where a route says so). No rule lives here: who
//! may do or read what is the application's, and its refusals arrive typed,
//! becoming HTTP statuses by their kind and code ([`problem`]).
//!
//! What is the server's own: identity from credentials only ([`caller`]:
//! bearer tokens for programs, a session cookie with a CSRF token for people;
//! never a header, flag or body field naming an actor), limits (body and
//! request time, sign-in attempts per address), security headers, TLS,
//! graceful shutdown, and the background work a long-running process owes the
//! store ([`background`]: projections kept current, deadlines every minute,
//! retention daily, expired sessions swept). Several servers on one
//! PostgreSQL store are safe: deadlines and projections are applied once
//! whoever runs them (the store's expectations and compare-and-set
//! checkpoints), so every server runs the same background work.
//!
//! - [`options`]: what `kroonika serve` is told (listen address, TLS, limits);
//! - [`caller`]: authentication and the request every application call takes;
//! - [`problem`]: errors as `application/problem+json`;
//! - `routes/`: the API, one file per area, each handler documented for the
//!   OpenAPI document ([`openapi`]) by the same declaration that routes it;
//! - [`grpc`]: the event store protocol (KurrentDB's gRPC) for programs,
//!   on a listener of its own beside HTTP;
//! - [`background`], [`listen`]: services and the listener.

pub mod background;
pub mod caller;
pub mod grpc;
pub mod listen;
pub mod openapi;
pub mod options;
pub mod problem;
mod routes;
pub mod web;

use std::sync::Arc;

use kroonika_app::App;
use kroonika_app::auth::Authenticator;

pub use listen::{Listening, ServeError, serve};
pub use options::{Limits, ServeOptions, Tls};

/// What every handler shares: the application, who authenticates, the limits.
#[derive(Debug, Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    app: App,
    auth: Arc<dyn Authenticator>,
    limits: Limits,
    sign_ins: caller::SignInLimiter,
}

impl Server {
    /// A server over `app`, authenticating with the store's own tokens and
    /// sessions.
    pub fn new(app: App, limits: Limits) -> Server {
        let auth: Arc<dyn Authenticator> = Arc::new(app.clone());
        Server::with_authenticator(app, auth, limits)
    }

    /// A server whose credentials are checked by `auth` (an organisation's
    /// identity provider, say).
    pub fn with_authenticator(app: App, auth: Arc<dyn Authenticator>, limits: Limits) -> Server {
        let sign_ins = caller::SignInLimiter::new(limits.sign_ins_per_minute);
        Server {
            inner: Arc::new(Inner {
                app,
                auth,
                limits,
                sign_ins,
            }),
        }
    }

    pub fn app(&self) -> &App {
        &self.inner.app
    }

    pub(crate) fn auth(&self) -> &Arc<dyn Authenticator> {
        &self.inner.auth
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }
}
