//! Who is asking: people sign in with a password and get a session; programs
//! present a bearer token. Front ends (the HTTP server today, gRPC later)
//! turn what a request carries into a [`Credential`] and ask an
//! [`Authenticator`] for the [`Principal`] it proves; identity never comes
//! from a header, flag or body field. The built-in authenticator is the
//! [`App`] itself (tokens and sessions in the store's credential tables); an
//! organisation's identity provider (OIDC) can be another implementation of
//! the same trait.
//!
//! The secrets (argon2id password hashes, SHA-256 hashes of 256-bit token and
//! session secrets) live in the store's credential tables; the log records,
//! in `auth-<actor>`, that a password was set, a token issued or revoked, a
//! sign-in made, failed or locked, never a secret (`kroonika_engine::auth`).
//!
//! Why two hashes: a password is chosen by a person and may be guessed, so it
//! is stretched with argon2id (memory-hard; about 20 MiB and tens of
//! milliseconds a try), making a stolen table expensive to attack. A token or
//! session secret is 256 random bits: nobody can guess it, so a plain SHA-256
//! is as safe against a stolen table and costs microseconds on every request,
//! where argon2id would cost every API call tens of milliseconds.
//!
//! - `tokens.rs`: issuing, listing, revoking and checking bearer tokens;
//! - `passwords.rs`: setting passwords, signing in, failures and lock-outs;
//! - `sessions.rs`: checking sessions, signing out, sweeping expired ones.

mod passwords;
mod sessions;
mod tokens;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration as StdDuration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use kroonika_engine::auth::{self, AuthEvent};
use kroonika_engine::{Code, ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::{CredentialChange, Write};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use passwords::SignedIn;
pub use tokens::{IssuedToken, TokenInfo, TokenState, parse_lifetime};

use crate::App;
use crate::error::{Error, Result, reject};

/// What a request presents to prove who sends it.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer kroonika_…`: a program's token.
    Bearer(String),
    /// The session cookie's value: a person signed in.
    Session(String),
}

impl std::fmt::Debug for Credential {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Bearer(_) => f.write_str("Bearer(…)"),
            Credential::Session(_) => f.write_str("Session(…)"),
        }
    }
}

/// Who a credential proves a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The registered actor it acts as.
    pub actor: String,
    pub via: Via,
}

/// How the principal was proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A bearer token (by its public id).
    Token { id: Uuid },
    /// A signed-in session; `csrf` is what cookie-authenticated writes must echo.
    Session { id: Uuid, csrf: String },
}

/// Turns a credential into the principal it proves, or a rejection with
/// [`Code::Unauthenticated`].
pub trait Authenticator: Send + Sync + std::fmt::Debug {
    fn authenticate<'a>(
        &'a self,
        credential: &'a Credential,
    ) -> Pin<Box<dyn Future<Output = Result<Principal>> + Send + 'a>>;
}

/// The built-in authenticator: the store's tokens and sessions.
impl Authenticator for App {
    fn authenticate<'a>(
        &'a self,
        credential: &'a Credential,
    ) -> Pin<Box<dyn Future<Output = Result<Principal>> + Send + 'a>> {
        Box::pin(async move {
            match credential {
                Credential::Bearer(token) => self.check_token(token).await,
                Credential::Session(secret) => self.check_session(secret).await,
            }
        })
    }
}

/// How signing in and sessions behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    /// Failed sign-ins in a row before signing in is locked.
    pub lock_after: u32,
    /// How long a lock lasts.
    pub lock_for: Duration,
    /// Failures older than this are forgotten.
    pub forget_failures_after: Duration,
    /// A session ends this long after sign-in, whatever happens.
    pub session_max: Duration,
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// Shortest password accepted, in characters.
    pub min_password: usize,
    /// How long a failed sign-in waits before answering, after the first
    /// failure (doubling with each failure in a row, up to `max_delay`).
    pub first_delay: StdDuration,
    pub max_delay: StdDuration,
    /// A token issued without an expiry expires after this long.
    pub token_default: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            lock_after: 5,
            lock_for: Duration::minutes(15),
            forget_failures_after: Duration::hours(24),
            session_max: Duration::hours(12),
            session_idle: Duration::minutes(60),
            min_password: 12,
            first_delay: StdDuration::from_millis(250),
            max_delay: StdDuration::from_secs(4),
            token_default: Duration::days(90),
        }
    }
}

/// The longest a password may be (bytes): argon2 hashes any length, but a
/// megabyte "password" is an attack on the server's time, not a password.
pub(crate) const MAX_PASSWORD: usize = 1024;

/// `n` bytes from the operating system's randomness.
pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::Io(std::io::Error::other(format!("no randomness: {err}"))))?;
    Ok(bytes)
}

/// A new secret (256 random bits, URL-safe text) and its SHA-256.
pub(crate) fn new_secret() -> Result<(String, Vec<u8>)> {
    let secret = URL_SAFE_NO_PAD.encode(random::<32>()?);
    let hash = sha256(secret.as_bytes());
    Ok((secret, hash))
}

pub(crate) fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// The key failed sign-ins are counted under: a hash of the name typed, so a
/// name that is no actor's is counted (and locked) the same way, and the
/// table never holds what someone typed.
pub(crate) fn name_hash(name: &str) -> Vec<u8> {
    sha256(format!("kroonika sign-in\0{name}").as_bytes())
}

/// The refusal for credentials that prove nothing.
pub(crate) fn unauthenticated(why: impl Into<String>) -> Error {
    reject(Code::Unauthenticated, why)
}

/// The stream an actor's authentication records go to.
pub(crate) fn stream(actor: &str) -> Result<StreamName> {
    Ok(StreamName::from_parts(auth::CATEGORY, actor).map_err(kroonika_store::Error::from)?)
}

impl App {
    /// A write recording `events` in `whose` authentication stream, by `by`,
    /// with the credential `changes` they record.
    pub(crate) fn auth_write(
        &self,
        whose: &str,
        by: &str,
        events: &[AuthEvent],
        changes: Vec<CredentialChange>,
    ) -> Result<Write> {
        let metadata = Metadata::for_command(by, self.new_id(), self.now());
        let new = events
            .iter()
            .map(|event| {
                NewEvent::new(
                    self.new_id(),
                    event.event_type(),
                    &event.data(),
                    metadata.clone(),
                )
                .map_err(|err| Error::Invalid(err.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut write = Write::append(&stream(whose)?, ExpectedRevision::Any, new);
        write.credentials = changes;
        Ok(write)
    }

    /// Writes what `decide` makes of the directory, with the directory as a
    /// precondition: if it moved meanwhile (a role revoked), `decide` judges
    /// again on the new one.
    pub(crate) async fn directory_write<T>(
        &self,
        mut decide: impl FnMut(&crate::Registry) -> Result<(T, Write)>,
    ) -> Result<T> {
        let mut registry = self.registry();
        loop {
            let (said, mut write) = decide(&registry)?;
            write.unchanged = Some(App::unchanged(&registry));
            match self.inner.store.write(&write).await {
                Ok(_) => return Ok(said),
                Err(err) if err.is_conflict() => registry = self.refresh().await?,
                Err(err) => return Err(err.into()),
            }
        }
    }

    pub(crate) fn policy(&self) -> &AuthPolicy {
        &self.inner.auth
    }
}

/// The time `after` at most, for messages: minutes, UTC.
pub(crate) fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
