//! Bearer tokens for programs: `kroonika_<id>_<secret>`, where the id (a
//! UUID, 32 hex digits) finds the row and the secret (256 random bits) proves
//! possession; only the secret's SHA-256 is stored, and it is forgotten when
//! the token is revoked. Administrators issue, list and revoke tokens; the
//! token is shown once, when issued.

use chrono::{DateTime, Duration, Utc};
use kroonika_engine::Code;
use kroonika_engine::actors::{self, Actor};
use kroonika_engine::auth::AuthEvent;
use kroonika_store::CredentialChange;
use kroonika_store::credentials::TokenRow;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::{Principal, Via, minute, new_secret, sha256, unauthenticated};
use crate::App;
use crate::command::Request;
use crate::error::{Result, reject};

const PREFIX: &str = "kroonika_";

/// A token just issued: the only time its text is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub id: Uuid,
    pub actor: String,
    /// The whole token, to give to the program. Not stored anywhere.
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Whether a token still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

/// A token as an administrator sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: Uuid,
    pub actor: String,
    pub note: String,
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub state: TokenState,
}

fn state(row: &TokenRow, now: DateTime<Utc>) -> TokenState {
    if row.revoked_at.is_some() || row.hash.is_none() {
        TokenState::Revoked
    } else if row.expires_at.is_some_and(|at| at <= now) {
        TokenState::Expired
    } else {
        TokenState::Active
    }
}

/// Reads `text` as a token's lifetime: `30m`, `12h`, `90d`, `12w`, or `never`
/// (None). `label` names the input in the refusal.
pub fn parse_lifetime(text: &str, label: &str) -> Result<Option<Duration>> {
    let text = text.trim();
    if text == "never" {
        return Ok(None);
    }
    let refuse = || {
        reject(
            Code::InvalidInput,
            format!(
                "{label} takes a lifetime like 90d, 12h, 30m, 12w (up to 10 years) or 'never', got '{text}'"
            ),
        )
    };
    let split = text.len().saturating_sub(1);
    let (number, unit) = (text.get(..split).unwrap_or(""), text.get(split..));
    let n: i64 = number.parse().map_err(|_| refuse())?;
    let lifetime = match unit {
        Some("m") => Duration::minutes(n),
        Some("h") => Duration::hours(n),
        Some("d") => Duration::days(n),
        Some("w") => Duration::weeks(n),
        _ => return Err(refuse()),
    };
    if n <= 0 || lifetime > Duration::days(3653) {
        return Err(refuse());
    }
    Ok(Some(lifetime))
}

/// The token's id and secret, if `text` has a token's shape.
fn parse(text: &str) -> Option<(Uuid, &str)> {
    let rest = text.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.len() != 43 {
        return None;
    }
    Some((Uuid::try_parse(id).ok()?, secret))
}

impl App {
    /// Issues a token for `actor` (administrators only), expiring after
    /// `lifetime` (None: never; the policy's default when the front end says
    /// nothing is the front end's to pass).
    pub async fn issue_token(
        &self,
        request: &Request,
        actor: &str,
        lifetime: Option<Duration>,
        note: &str,
    ) -> Result<IssuedToken> {
        let note = note.trim();
        if note.chars().count() > 200 {
            return Err(reject(
                Code::InvalidInput,
                "a token's note is at most 200 characters",
            ));
        }
        let done = async {
            self.administrator(request, "issue tokens").await?;
            let id = self.new_id();
            let (secret, hash) = new_secret()?;
            let now = self.now();
            let expires_at = lifetime.map(|l| now + l);
            let row = TokenRow {
                id,
                actor: actor.to_owned(),
                hash: Some(hash),
                note: note.to_owned(),
                issued_by: request.actor.clone(),
                issued_at: now,
                expires_at,
                revoked_at: None,
            };
            let event = AuthEvent::TokenIssued {
                token: id,
                expires_at,
                note: note.to_owned(),
            };
            self.directory_write(|registry| {
                registry
                    .acting(&request.actor)?
                    .require_any(&[actors::ADMIN], "issue tokens")?;
                registered(registry.actor(actor), actor)?;
                let write = self.auth_write(
                    actor,
                    &request.actor,
                    std::slice::from_ref(&event),
                    vec![CredentialChange::IssueToken(row.clone())],
                )?;
                Ok(((), write))
            })
            .await?;
            Ok(IssuedToken {
                id,
                actor: actor.to_owned(),
                token: format!("{PREFIX}{}_{secret}", id.simple()),
                expires_at,
            })
        }
        .await;
        self.recorded(request, None, done).await
    }

    /// Every token, newest first (administrators only).
    pub async fn list_tokens(&self, request: &Request) -> Result<Vec<TokenInfo>> {
        let done = async {
            self.administrator(request, "list tokens").await?;
            let now = self.now();
            Ok(self
                .inner
                .store
                .tokens()
                .await?
                .into_iter()
                .map(|row| TokenInfo {
                    state: state(&row, now),
                    id: row.id,
                    actor: row.actor,
                    note: row.note,
                    issued_by: row.issued_by,
                    issued_at: row.issued_at,
                    expires_at: row.expires_at,
                    revoked_at: row.revoked_at,
                })
                .collect())
        }
        .await;
        self.recorded(request, None, done).await
    }

    /// Revokes a token (administrators only); false if it was revoked already.
    pub async fn revoke_token(&self, request: &Request, id: Uuid) -> Result<bool> {
        let done = async {
            self.administrator(request, "revoke tokens").await?;
            let Some(row) = self.inner.store.token(id).await? else {
                return Err(reject(Code::NotFound, format!("there is no token {id}")));
            };
            if state(&row, self.now()) == TokenState::Revoked {
                return Ok(false);
            }
            let event = AuthEvent::TokenRevoked { token: id };
            let change = CredentialChange::RevokeToken { id, at: self.now() };
            self.directory_write(|registry| {
                registry
                    .acting(&request.actor)?
                    .require_any(&[actors::ADMIN], "revoke tokens")?;
                let write = self.auth_write(
                    &row.actor,
                    &request.actor,
                    std::slice::from_ref(&event),
                    vec![change.clone()],
                )?;
                Ok(((), write))
            })
            .await?;
            Ok(true)
        }
        .await;
        self.recorded(request, None, done).await
    }

    /// The principal a bearer token proves.
    pub(crate) async fn check_token(&self, text: &str) -> Result<Principal> {
        let invalid = || unauthenticated("the token is not valid (unknown, malformed or revoked)");
        let (id, secret) = parse(text).ok_or_else(invalid)?;
        let row = self.inner.store.token(id).await?.ok_or_else(invalid)?;
        let stored = row.hash.as_deref().ok_or_else(invalid)?;
        if !bool::from(sha256(secret.as_bytes()).ct_eq(stored)) {
            return Err(invalid());
        }
        if let Some(at) = row.expires_at
            && at <= self.now()
        {
            return Err(unauthenticated(format!(
                "the token expired at {}; an administrator issues a new one",
                minute(at)
            )));
        }
        // The actor must still be registered and active (roles are judged
        // per action).
        self.actor(&row.actor).await.map_err(|_| {
            unauthenticated("the token's actor is not registered or is deactivated")
        })?;
        Ok(Principal {
            actor: row.actor,
            via: Via::Token { id },
        })
    }

    /// The request's actor, if an administrator (a denial otherwise).
    pub(crate) async fn administrator(&self, request: &Request, to: &str) -> Result<Actor> {
        let (by, _) = self.acting(&request.actor).await?;
        by.require_any(&[actors::ADMIN], to)?;
        Ok(by)
    }
}

/// Refuses an actor that is not registered (or is the system).
pub(crate) fn registered(actor: Option<&Actor>, name: &str) -> Result<()> {
    if actor.is_none() || name == actors::SYSTEM {
        return Err(reject(
            Code::NotFound,
            format!("there is no actor '{name}'; register it with `actor add`"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_as_people_write_them() {
        assert_eq!(
            parse_lifetime("90d", "--expires").unwrap(),
            Some(Duration::days(90))
        );
        assert_eq!(
            parse_lifetime("12h", "--expires").unwrap(),
            Some(Duration::hours(12))
        );
        assert_eq!(parse_lifetime("never", "--expires").unwrap(), None);
        for bad in ["", "d", "0d", "-1d", "90", "90y", "9999w", "1.5d"] {
            let err = parse_lifetime(bad, "--expires").unwrap_err();
            assert_eq!(err.code(), Some(Code::InvalidInput), "{bad}");
        }
    }

    #[test]
    fn tokens_have_one_shape() {
        let id = Uuid::now_v7();
        let secret = "a".repeat(43);
        let text = format!("kroonika_{}_{secret}", id.simple());
        assert_eq!(parse(&text), Some((id, secret.as_str())));
        for bad in [
            "kroonika_".to_owned(),
            format!("kroonika_{}", id.simple()),
            format!("kroonika_{}_{}", id.simple(), "a".repeat(42)),
            format!("other_{}_{secret}", id.simple()),
            format!("kroonika_{}_{secret}", "z".repeat(32)),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }
}
