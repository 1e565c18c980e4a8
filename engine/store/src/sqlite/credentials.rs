//! Credentials on SQLite (times as microseconds since the epoch): read them,
//! and (inside a write) change them. A session's "last seen" is the one
//! change made outside a write, on the write connection.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;
use uuid::Uuid;

use super::{SqliteBackend, from_micros};
use crate::credentials::{CredentialChange, FailureRow, PasswordRow, SessionRow, TokenRow};
use crate::error::{Error, Result};

fn uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|err| Error::Corrupt {
        position: 0,
        reason: format!("a stored credential id '{text}': {err}"),
    })
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

impl SqliteBackend {
    pub(crate) async fn password(&self, actor: &str) -> Result<Option<PasswordRow>> {
        let row: Option<(String, String, i64)> =
            sqlx::query_as("SELECT actor, hash, set_at FROM passwords WHERE actor = ?1")
                .bind(actor)
                .fetch_optional(&self.read)
                .await?;
        row.map(|(actor, hash, set_at)| {
            Ok(PasswordRow {
                actor,
                hash,
                set_at: from_micros(set_at)?,
            })
        })
        .transpose()
    }

    pub(crate) async fn tokens(&self, id: Option<Uuid>) -> Result<Vec<TokenRow>> {
        type Raw = (
            String,
            String,
            Option<Vec<u8>>,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT id, actor, hash, note, issued_by, issued_at, expires_at, revoked_at FROM tokens \
             WHERE (?1 IS NULL OR id = ?1) ORDER BY issued_at DESC, id",
        )
        .bind(id.map(|id| id.to_string()))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(
                |(id, actor, hash, note, issued_by, issued_at, expires_at, revoked_at)| {
                    Ok(TokenRow {
                        id: uuid(&id)?,
                        actor,
                        hash,
                        note,
                        issued_by,
                        issued_at: from_micros(issued_at)?,
                        expires_at: expires_at.map(from_micros).transpose()?,
                        revoked_at: revoked_at.map(from_micros).transpose()?,
                    })
                },
            )
            .collect()
    }

    pub(crate) async fn session(&self, secret_hash: &[u8]) -> Result<Option<SessionRow>> {
        type Raw = (Vec<u8>, String, String, String, i64, i64, i64);
        let row: Option<Raw> = sqlx::query_as(
            "SELECT secret_hash, id, actor, csrf, created_at, seen_at, expires_at FROM sessions \
             WHERE secret_hash = ?1",
        )
        .bind(secret_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(
            |(secret_hash, id, actor, csrf, created_at, seen_at, expires_at)| {
                Ok(SessionRow {
                    secret_hash,
                    id: uuid(&id)?,
                    actor,
                    csrf,
                    created_at: from_micros(created_at)?,
                    seen_at: from_micros(seen_at)?,
                    expires_at: from_micros(expires_at)?,
                })
            },
        )
        .transpose()
    }

    pub(crate) async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET seen_at = max(seen_at, ?2) WHERE id = ?1")
            .bind(id.to_string())
            .bind(micros(at))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub(crate) async fn sweep_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < ?1")
            .bind(micros(now))
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn failures(&self, name_hash: &[u8]) -> Result<Option<FailureRow>> {
        let mut conn = self.read.acquire().await?;
        failures_on(&mut conn, name_hash).await
    }
}

pub(super) async fn failures_on(
    conn: &mut SqliteConnection,
    name_hash: &[u8],
) -> Result<Option<FailureRow>> {
    let row: Option<(Vec<u8>, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT name_hash, failures, last_at, locked_until FROM sign_in_failures WHERE name_hash = ?1",
    )
    .bind(name_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(name_hash, failures, last_at, locked_until)| {
        Ok(FailureRow {
            name_hash,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            last_at: from_micros(last_at)?,
            locked_until: locked_until.map(from_micros).transpose()?,
        })
    })
    .transpose()
}

/// Applies credential changes inside a write, in order.
pub(super) async fn change_on(
    conn: &mut SqliteConnection,
    changes: &[CredentialChange],
) -> Result<(), sqlx::Error> {
    for change in changes {
        match change {
            CredentialChange::SetPassword(row) => {
                sqlx::query(
                    "INSERT INTO passwords (actor, hash, set_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (actor) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at",
                )
                .bind(&row.actor)
                .bind(&row.hash)
                .bind(micros(row.set_at))
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::IssueToken(row) => {
                sqlx::query(
                    "INSERT INTO tokens (id, actor, hash, note, issued_by, issued_at, expires_at, revoked_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .bind(row.id.to_string())
                .bind(&row.actor)
                .bind(row.hash.as_deref())
                .bind(&row.note)
                .bind(&row.issued_by)
                .bind(micros(row.issued_at))
                .bind(row.expires_at.map(micros))
                .bind(row.revoked_at.map(micros))
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::RevokeToken { id, at } => {
                sqlx::query(
                    "UPDATE tokens SET hash = NULL, revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                )
                .bind(id.to_string())
                .bind(micros(*at))
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::OpenSession(row) => {
                sqlx::query(
                    "INSERT INTO sessions (secret_hash, id, actor, csrf, created_at, seen_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .bind(row.secret_hash.as_slice())
                .bind(row.id.to_string())
                .bind(&row.actor)
                .bind(&row.csrf)
                .bind(micros(row.created_at))
                .bind(micros(row.seen_at))
                .bind(micros(row.expires_at))
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::CloseSession { id } => {
                sqlx::query("DELETE FROM sessions WHERE id = ?1")
                    .bind(id.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
            CredentialChange::CloseSessionsOf { actor } => {
                sqlx::query("DELETE FROM sessions WHERE actor = ?1")
                    .bind(actor)
                    .execute(&mut *conn)
                    .await?;
            }
            CredentialChange::SetFailures(row) => {
                sqlx::query(
                    "INSERT INTO sign_in_failures (name_hash, failures, last_at, locked_until) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name_hash) DO UPDATE SET \
                     failures = excluded.failures, last_at = excluded.last_at, locked_until = excluded.locked_until",
                )
                .bind(row.name_hash.as_slice())
                .bind(i64::from(row.failures))
                .bind(micros(row.last_at))
                .bind(row.locked_until.map(micros))
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::ClearFailures { name_hash } => {
                sqlx::query("DELETE FROM sign_in_failures WHERE name_hash = ?1")
                    .bind(name_hash.as_slice())
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}
