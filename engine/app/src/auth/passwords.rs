//! Passwords and signing in. An administrator sets a person's password (an
//! argon2id hash is stored; the person's sessions end). Signing in checks it
//! and opens a session; a failure is recorded, counted by the name typed, and
//! answered only after a delay that doubles with each failure in a row; after
//! `lock_after` failures signing in is locked for `lock_for`, whatever
//! password is given. An unknown name is treated exactly like a known one
//! with a wrong password (the same work, the same answer, the same lock), so
//! sign-in tells nobody which names exist.

use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};
use chrono::{DateTime, Utc};
use kroonika_engine::Code;
use kroonika_engine::actors::{self, SYSTEM};
use kroonika_engine::auth::AuthEvent;
use kroonika_store::credentials::{FailureRow, PasswordRow, SessionRow};
use kroonika_store::{CredentialChange, LockedError, LockedRead};

use super::{AuthPolicy, MAX_PASSWORD, minute, name_hash, new_secret, unauthenticated};
use crate::App;
use crate::command::Request;
use crate::error::{Error, Result, reject};

/// A session just opened: the cookie's value is known only now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub actor: String,
    /// The session's public id (in the log).
    pub session: uuid::Uuid,
    /// The cookie's value. Not stored anywhere.
    pub secret: String,
    /// What cookie-authenticated writes must echo in a header.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// Refuses a password the policy does not accept.
fn check_password(password: &str, actor: &str, policy: &AuthPolicy) -> Result<()> {
    let refuse = |why: String| Err(reject(Code::InvalidInput, why));
    if password.chars().count() < policy.min_password {
        return refuse(format!(
            "a password needs at least {} characters",
            policy.min_password
        ));
    }
    if password.len() > MAX_PASSWORD {
        return refuse(format!("a password is at most {MAX_PASSWORD} bytes"));
    }
    if password.trim().eq_ignore_ascii_case(actor) {
        return refuse("a password must not be the actor's name".to_owned());
    }
    Ok(())
}

/// The argon2id hash (PHC string) of a password, off the async threads.
async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|err| Error::Invalid(format!("hashing the password: {err}")))
    })
    .await
    .map_err(|err| Error::Invalid(format!("hashing the password: {err}")))?
}

/// Whether `password` matches `stored` (a PHC string), off the async threads.
/// With no stored hash, a hash of a random password stands in, so the answer
/// takes as long.
async fn verify(password: &str, stored: Option<String>) -> bool {
    static STAND_IN: OnceLock<String> = OnceLock::new();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| {
            STAND_IN
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default()
                        .hash_password(uuid::Uuid::now_v7().as_bytes(), &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let matches = PasswordHash::new(&stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// The failures of a name after one more at `now`, and whether this one locks.
pub(crate) fn after_failure(
    before: Option<&FailureRow>,
    name_hash: &[u8],
    now: DateTime<Utc>,
    policy: &AuthPolicy,
) -> (FailureRow, bool) {
    let count = before
        .filter(|row| now - row.last_at < policy.forget_failures_after)
        .map_or(0, |row| row.failures);
    let failures = count.saturating_add(1);
    let locks = failures >= policy.lock_after;
    let row = FailureRow {
        name_hash: name_hash.to_vec(),
        failures,
        last_at: now,
        locked_until: if locks {
            Some(now + policy.lock_for)
        } else {
            before.and_then(|row| row.locked_until)
        },
    };
    (row, locks)
}

/// How long to wait before answering the `failures`th failure in a row.
pub(crate) fn delay(failures: u32, policy: &AuthPolicy) -> StdDuration {
    let doublings = failures.saturating_sub(1).min(16);
    policy
        .first_delay
        .saturating_mul(1u32 << doublings)
        .min(policy.max_delay)
}

impl App {
    /// Sets `actor`'s password (administrators only). Their sessions end, and
    /// a lock on their sign-in is lifted.
    pub async fn set_password(&self, request: &Request, actor: &str, password: &str) -> Result<()> {
        let done = async {
            self.administrator(request, "set passwords").await?;
            check_password(password, actor, self.policy())?;
            let hashed = hash(password).await?;
            let at = self.now();
            self.directory_write(|registry| {
                registry
                    .acting(&request.actor)?
                    .require_any(&[actors::ADMIN], "set passwords")?;
                super::tokens::registered(registry.actor(actor), actor)?;
                let write = self.auth_write(
                    actor,
                    &request.actor,
                    &[AuthEvent::PasswordSet {}],
                    vec![
                        CredentialChange::SetPassword(PasswordRow {
                            actor: actor.to_owned(),
                            hash: hashed.clone(),
                            set_at: at,
                        }),
                        CredentialChange::CloseSessionsOf {
                            actor: actor.to_owned(),
                        },
                        CredentialChange::ClearFailures {
                            name_hash: name_hash(actor),
                        },
                    ],
                )?;
                Ok(((), write))
            })
            .await
        }
        .await;
        self.recorded(request, None, done).await
    }

    /// Signs `name` in with `password`: a new session, or a refusal
    /// ([`Code::Unauthenticated`], or [`Code::LockedOut`] while locked),
    /// recorded either way.
    pub async fn sign_in(&self, name: &str, password: &str) -> Result<SignedIn> {
        let now = self.now();
        let key = name_hash(name);
        let policy = self.policy().clone();
        let before = self.inner.store.sign_in_failures(&key).await?;
        // A known actor's records go to their stream; anything else to the
        // system's, without the name.
        let registered = if actors::check_name(name).is_ok() {
            let registry = self.refresh().await?;
            registry.actor(name).cloned()
        } else {
            None
        };
        let known = registered.is_some();
        let whose = if known { name } else { SYSTEM };
        if let Some(until) = before.as_ref().and_then(|row| row.locked_until)
            && until > now
        {
            let failed = AuthEvent::SignInFailed {
                reason: "locked".to_owned(),
            };
            let write = self.auth_write(whose, whose, &[failed], Vec::new())?;
            self.inner.store.write(&write).await?;
            let failures = before.as_ref().map_or(1, |row| row.failures);
            tokio::time::sleep(delay(failures, &policy)).await;
            return Err(reject(
                Code::LockedOut,
                format!(
                    "signing in is locked after repeated failures; try again after {}",
                    minute(until)
                ),
            ));
        }
        let stored = if known && password.len() <= MAX_PASSWORD {
            self.inner.store.password(name).await?.map(|row| row.hash)
        } else {
            None
        };
        let has_password = stored.is_some();
        let too_long = password.len() > MAX_PASSWORD;
        let password = if too_long { "" } else { password };
        if verify(password, stored).await {
            // The right password of a deactivated actor opens nothing.
            if let Some(reason) = registered.as_ref().and_then(|a| a.deactivated.as_ref()) {
                let failed = AuthEvent::SignInFailed {
                    reason: "deactivated".to_owned(),
                };
                let write = self.auth_write(name, name, &[failed], Vec::new())?;
                self.inner.store.write(&write).await?;
                return Err(super::unauthenticated(format!(
                    "this account is deactivated ({reason}); ask an administrator"
                )));
            }
            let (secret, secret_hash) = new_secret()?;
            let (csrf, _) = new_secret()?;
            let session = self.new_id();
            let expires_at = now + policy.session_max;
            let mut changes = vec![CredentialChange::OpenSession(SessionRow {
                secret_hash,
                id: session,
                actor: name.to_owned(),
                csrf: csrf.clone(),
                created_at: now,
                seen_at: now,
                expires_at,
            })];
            if before.is_some() {
                changes.push(CredentialChange::ClearFailures { name_hash: key });
            }
            let write = self.auth_write(name, name, &[AuthEvent::SignedIn { session }], changes)?;
            self.inner.store.write(&write).await?;
            return Ok(SignedIn {
                actor: name.to_owned(),
                session,
                secret,
                csrf,
                expires_at,
            });
        }
        let reason = match (known, has_password) {
            (false, _) => "unknown-name",
            (true, false) => "no-password",
            (true, true) => "wrong-password",
        };
        // Counted under the store's write lock, so failures on several
        // servers at once each count.
        let read = LockedRead {
            failures_of: Some(key.clone()),
            ..LockedRead::default()
        };
        let mut counted = 0;
        let written = self
            .inner
            .store
            .write_locked(&read, |locked| -> Result<_> {
                let (row, locks) = after_failure(locked.failures.as_ref(), &key, now, &policy);
                counted = row.failures;
                let mut events = vec![AuthEvent::SignInFailed {
                    reason: reason.to_owned(),
                }];
                if let (true, Some(until)) = (locks, row.locked_until) {
                    events.push(AuthEvent::LockedOut {
                        until,
                        failures: row.failures,
                    });
                }
                let write = self.auth_write(
                    whose,
                    whose,
                    &events,
                    vec![CredentialChange::SetFailures(row)],
                )?;
                Ok(Some(write))
            })
            .await;
        match written {
            Ok(_) => {}
            Err(LockedError::Decided(err)) => return Err(err),
            Err(LockedError::Store(err)) => return Err(err.into()),
        }
        tokio::time::sleep(delay(counted, &policy)).await;
        Err(unauthenticated("wrong name or password"))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn failures_lock_after_a_few_and_are_forgotten_after_a_day() {
        let policy = AuthPolicy::default();
        let at = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let key = name_hash("mari");
        let mut row = None;
        for n in 1..=5 {
            let (next, locks) = after_failure(row.as_ref(), &key, at, &policy);
            assert_eq!(next.failures, n);
            assert_eq!(locks, n == 5, "{n}");
            row = Some(next);
        }
        let locked = row.clone().unwrap();
        assert_eq!(locked.locked_until, Some(at + Duration::minutes(15)));
        // The next failure after the lock locks again at once.
        let (next, locks) = after_failure(row.as_ref(), &key, at + Duration::minutes(20), &policy);
        assert!(locks);
        assert_eq!(next.failures, 6);
        // A day later the count starts over.
        let (next, locks) = after_failure(Some(&locked), &key, at + Duration::hours(25), &policy);
        assert_eq!((next.failures, locks), (1, false));
    }

    #[test]
    fn each_failure_waits_twice_as_long_up_to_a_ceiling() {
        let policy = AuthPolicy::default();
        let ms = |n| delay(n, &policy).as_millis();
        assert_eq!([ms(1), ms(2), ms(3), ms(4)], [250, 500, 1000, 2000]);
        assert_eq!([ms(5), ms(50), ms(u32::MAX)], [4000, 4000, 4000]);
    }

    #[test]
    fn passwords_have_a_floor_and_a_ceiling() {
        let policy = AuthPolicy::default();
        let said = |p: &str| {
            check_password(p, "mari", &policy)
                .map_err(|e| e.to_string())
                .err()
        };
        assert_eq!(
            said("short"),
            Some("a password needs at least 12 characters".into())
        );
        assert_eq!(
            said(&"x".repeat(2000)),
            Some("a password is at most 1024 bytes".into())
        );
        assert_eq!(said("correct horse battery"), None);
        assert_eq!(
            check_password(
                "MARI",
                "mari",
                &AuthPolicy {
                    min_password: 1,
                    ..policy
                }
            )
            .unwrap_err()
            .to_string(),
            "a password must not be the actor's name"
        );
    }
}
