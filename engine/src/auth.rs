//! Authentication as recorded history: who set whose password, issued or
//! revoked whose token, who signed in or out, which sign-ins failed and when
//! signing in was locked.
//!
//! The secrets themselves (password hashes, token hashes, sessions) live in the
//! store's credential tables, which can be emptied; the log records only that
//! they were set, issued or used, never a secret, and never a name someone
//! typed that is not an actor's (it might be a password typed in the wrong
//! field). Each actor's records go to `auth-<actor>`; failed sign-ins with a
//! name that is no actor's go to `auth-system`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The stream category of authentication records.
pub const CATEGORY: &str = "auth";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AuthEvent {
    /// A password was set for the stream's actor (by the event's actor).
    PasswordSet {},
    /// A bearer token was issued for the stream's actor.
    TokenIssued {
        token: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        note: String,
    },
    /// A bearer token was revoked.
    TokenRevoked { token: Uuid },
    /// The actor signed in with a password; `session` names the session
    /// (not the cookie, which is secret).
    SignedIn { session: Uuid },
    /// The actor signed out, or the session was closed.
    SignedOut { session: Uuid },
    /// A sign-in failed: `wrong-password`, `no-password`, `locked`,
    /// `deactivated` (the right password of a deactivated actor),
    /// `unknown-name` (in `auth-system`, without the name typed).
    SignInFailed { reason: String },
    /// Signing in is locked until `until` after `failures` failures in a row.
    LockedOut { until: DateTime<Utc>, failures: u32 },
}

impl AuthEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            AuthEvent::PasswordSet { .. } => "PasswordSet",
            AuthEvent::TokenIssued { .. } => "TokenIssued",
            AuthEvent::TokenRevoked { .. } => "TokenRevoked",
            AuthEvent::SignedIn { .. } => "SignedIn",
            AuthEvent::SignedOut { .. } => "SignedOut",
            AuthEvent::SignInFailed { .. } => "SignInFailed",
            AuthEvent::LockedOut { .. } => "LockedOut",
        }
    }

    /// The payload alone, as stored (the type goes in the envelope).
    pub fn data(&self) -> serde_json::Value {
        let tagged = serde_json::to_value(self).unwrap_or_default();
        tagged.get("data").cloned().unwrap_or_default()
    }

    pub fn from_parts(event_type: &str, data: &str) -> Result<AuthEvent, serde_json::Error> {
        let tagged = format!(
            "{{\"type\":{},\"data\":{data}}}",
            serde_json::to_string(event_type)?
        );
        serde_json::from_str(&tagged)
    }

    /// What it says, in words, of the stream's actor `whose`.
    pub fn describe(&self, whose: &str) -> String {
        match self {
            AuthEvent::PasswordSet {} => format!("set the password of {whose}"),
            AuthEvent::TokenIssued {
                token, expires_at, ..
            } => match expires_at {
                Some(at) => format!(
                    "issued token {token} for {whose}, expiring {}",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                None => format!("issued token {token} for {whose}, not expiring"),
            },
            AuthEvent::TokenRevoked { token } => format!("revoked token {token} of {whose}"),
            AuthEvent::SignedIn { .. } => format!("{whose} signed in"),
            AuthEvent::SignedOut { .. } => format!("{whose} signed out"),
            AuthEvent::SignInFailed { reason } if whose == crate::actors::SYSTEM => {
                format!("a sign-in failed ({reason})")
            }
            AuthEvent::SignInFailed { reason } => format!("a sign-in as {whose} failed ({reason})"),
            AuthEvent::LockedOut { until, failures } => format!(
                "signing in as {whose} locked until {} after {failures} failures",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json_is_stable() {
        let at = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let token = Uuid::from_u128(7);
        let events = [
            AuthEvent::PasswordSet {},
            AuthEvent::TokenIssued {
                token,
                expires_at: Some(at),
                note: "intake".into(),
            },
            AuthEvent::TokenRevoked { token },
            AuthEvent::SignedIn { session: token },
            AuthEvent::SignedOut { session: token },
            AuthEvent::SignInFailed {
                reason: "wrong-password".into(),
            },
            AuthEvent::LockedOut {
                until: at,
                failures: 5,
            },
        ];
        let json: Vec<_> = events
            .iter()
            .map(|e| {
                let back = AuthEvent::from_parts(e.event_type(), &e.data().to_string()).unwrap();
                assert_eq!(&back, e);
                serde_json::json!({ "type": e.event_type(), "data": e.data() })
            })
            .collect();
        insta::assert_json_snapshot!(json, @r#"
        [
          {
            "data": {},
            "type": "PasswordSet"
          },
          {
            "data": {
              "expires_at": "2026-11-29T10:00:00Z",
              "note": "intake",
              "token": "00000000-0000-0000-0000-000000000007"
            },
            "type": "TokenIssued"
          },
          {
            "data": {
              "token": "00000000-0000-0000-0000-000000000007"
            },
            "type": "TokenRevoked"
          },
          {
            "data": {
              "session": "00000000-0000-0000-0000-000000000007"
            },
            "type": "SignedIn"
          },
          {
            "data": {
              "session": "00000000-0000-0000-0000-000000000007"
            },
            "type": "SignedOut"
          },
          {
            "data": {
              "reason": "wrong-password"
            },
            "type": "SignInFailed"
          },
          {
            "data": {
              "failures": 5,
              "until": "2026-11-29T10:00:00Z"
            },
            "type": "LockedOut"
          }
        ]
        "#);
    }
}
