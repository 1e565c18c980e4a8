//! The stored form of credentials: password hashes, bearer-token hashes,
//! sessions, and failed sign-ins in a row. The store only keeps and finds
//! them; hashing, checking and the rules (expiry, lock-outs) are the
//! application's. Every change that the log records (a password set, a token
//! issued or revoked, a sign-in) is a [`CredentialChange`] in the same
//! [`crate::Write`] as its event, so the record and the change commit together
//! or not at all. Only a session's "last seen" is touched outside a write: it
//! is no fact anyone audits.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A person's password hash (an argon2id PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRow {
    pub actor: String,
    pub hash: String,
    pub set_at: DateTime<Utc>,
}

/// A bearer token, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: Uuid,
    pub actor: String,
    /// SHA-256 of the token's secret; None once revoked.
    pub hash: Option<Vec<u8>>,
    pub note: String,
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A signed-in session, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the cookie's secret.
    pub secret_hash: Vec<u8>,
    /// The session's public name (in the log's `SignedIn`).
    pub id: Uuid,
    pub actor: String,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Failed sign-ins in a row for one name (by its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    pub name_hash: Vec<u8>,
    pub failures: u32,
    pub last_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A change to the credential tables, made inside a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialChange {
    /// Sets (or replaces) an actor's password.
    SetPassword(PasswordRow),
    /// Stores a new token (an id in use is a conflict).
    IssueToken(TokenRow),
    /// Revokes a token: its hash is forgotten.
    RevokeToken { id: Uuid, at: DateTime<Utc> },
    /// Stores a new session.
    OpenSession(SessionRow),
    /// Ends one session.
    CloseSession { id: Uuid },
    /// Ends every session of an actor (their password changed).
    CloseSessionsOf { actor: String },
    /// Records the failures of a name as they now stand.
    SetFailures(FailureRow),
    /// Forgets a name's failures (a sign-in succeeded).
    ClearFailures { name_hash: Vec<u8> },
}

impl crate::store::Store {
    /// An actor's password hash.
    pub async fn password(&self, actor: &str) -> crate::Result<Option<PasswordRow>> {
        crate::backend::dispatch!(self, b => b.password(actor).await)
    }

    /// One token by its id.
    pub async fn token(&self, id: Uuid) -> crate::Result<Option<TokenRow>> {
        Ok(crate::backend::dispatch!(self, b => b.tokens(Some(id)).await)?.pop())
    }

    /// Every token, revoked ones included, newest first.
    pub async fn tokens(&self) -> crate::Result<Vec<TokenRow>> {
        crate::backend::dispatch!(self, b => b.tokens(None).await)
    }

    /// The session whose cookie secret hashes to `secret_hash`.
    pub async fn session(&self, secret_hash: &[u8]) -> crate::Result<Option<SessionRow>> {
        crate::backend::dispatch!(self, b => b.session(secret_hash).await)
    }

    /// Notes that a session was used at `at` (for its idle expiry).
    pub async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> crate::Result<()> {
        crate::backend::dispatch!(self, b => b.touch_session(id, at).await)
    }

    /// Deletes sessions that expired before `now`; returns how many.
    pub async fn sweep_sessions(&self, now: DateTime<Utc>) -> crate::Result<u64> {
        crate::backend::dispatch!(self, b => b.sweep_sessions(now).await)
    }

    /// The failures in a row of a name (by its hash).
    pub async fn sign_in_failures(&self, name_hash: &[u8]) -> crate::Result<Option<FailureRow>> {
        crate::backend::dispatch!(self, b => b.failures(name_hash).await)
    }
}
