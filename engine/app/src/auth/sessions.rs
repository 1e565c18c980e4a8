//! Sessions of people signed in: the cookie's secret is checked against the
//! stored hash; a session ends `session_max` after sign-in, or after
//! `session_idle` unused, or when its person signs out or is given a new
//! password. "Last seen" is written at most once a minute, not per request.

use chrono::Duration;
use kroonika_engine::auth::AuthEvent;
use kroonika_store::CredentialChange;

use super::{Principal, Via, sha256, unauthenticated};
use crate::App;
use crate::error::Result;

impl App {
    /// The principal a session cookie proves.
    pub(crate) async fn check_session(&self, secret: &str) -> Result<Principal> {
        let ended = || unauthenticated("not signed in, or the session has ended; sign in again");
        if secret.len() != 43 {
            return Err(ended());
        }
        let row = self
            .inner
            .store
            .session(&sha256(secret.as_bytes()))
            .await?
            .ok_or_else(ended)?;
        let now = self.now();
        if row.expires_at <= now || row.seen_at + self.policy().session_idle <= now {
            return Err(ended());
        }
        // A deactivated actor's sessions were closed with the deactivation;
        // this refuses one opened in a race with it.
        if self.actor(&row.actor).await.is_err() {
            return Err(ended());
        }
        if now - row.seen_at >= Duration::minutes(1) {
            self.inner.store.touch_session(row.id, now).await?;
        }
        Ok(Principal {
            actor: row.actor,
            via: Via::Session {
                id: row.id,
                csrf: row.csrf,
            },
        })
    }

    /// Ends the session the cookie names (nothing if it has ended already).
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        let Some(row) = self.inner.store.session(&sha256(secret.as_bytes())).await? else {
            return Ok(());
        };
        let write = self.auth_write(
            &row.actor,
            &row.actor,
            &[AuthEvent::SignedOut { session: row.id }],
            vec![CredentialChange::CloseSession { id: row.id }],
        )?;
        self.inner.store.write(&write).await?;
        Ok(())
    }

    /// Deletes sessions past their end; returns how many.
    pub async fn sweep_sessions(&self) -> Result<u64> {
        Ok(self.inner.store.sweep_sessions(self.now()).await?)
    }
}
