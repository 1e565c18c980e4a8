//! Credentials on PostgreSQL: read them, and (inside a write) change them. A
//! session's "last seen" is the one change made outside a write.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnection;
use uuid::Uuid;

use super::PgBackend;
use crate::credentials::{CredentialChange, FailureRow, PasswordRow, SessionRow, TokenRow};
use crate::error::Result;

type TokenRaw = (
    Uuid,
    String,
    Option<Vec<u8>>,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

type SessionRaw = (
    Vec<u8>,
    Uuid,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
);

impl PgBackend {
    pub(crate) async fn password(&self, actor: &str) -> Result<Option<PasswordRow>> {
        let row: Option<(String, String, DateTime<Utc>)> =
            sqlx::query_as("SELECT actor, hash, set_at FROM passwords WHERE actor = $1")
                .bind(actor)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(actor, hash, set_at)| PasswordRow {
            actor,
            hash,
            set_at,
        }))
    }

    pub(crate) async fn tokens(&self, id: Option<Uuid>) -> Result<Vec<TokenRow>> {
        let rows: Vec<TokenRaw> = sqlx::query_as(
            "SELECT id, actor, hash, note, issued_by, issued_at, expires_at, revoked_at FROM tokens \
             WHERE ($1::uuid IS NULL OR id = $1) ORDER BY issued_at DESC, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, actor, hash, note, issued_by, issued_at, expires_at, revoked_at)| TokenRow {
                    id,
                    actor,
                    hash,
                    note,
                    issued_by,
                    issued_at,
                    expires_at,
                    revoked_at,
                },
            )
            .collect())
    }

    pub(crate) async fn session(&self, secret_hash: &[u8]) -> Result<Option<SessionRow>> {
        let row: Option<SessionRaw> = sqlx::query_as(
            "SELECT secret_hash, id, actor, csrf, created_at, seen_at, expires_at FROM sessions \
             WHERE secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(secret_hash, id, actor, csrf, created_at, seen_at, expires_at)| SessionRow {
                secret_hash,
                id,
                actor,
                csrf,
                created_at,
                seen_at,
                expires_at,
            },
        ))
    }

    pub(crate) async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET seen_at = greatest(seen_at, $2) WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn sweep_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn failures(&self, name_hash: &[u8]) -> Result<Option<FailureRow>> {
        let mut conn = self.pool.acquire().await?;
        failures_on(&mut conn, name_hash).await
    }
}

pub(super) async fn failures_on(
    conn: &mut PgConnection,
    name_hash: &[u8],
) -> Result<Option<FailureRow>> {
    type Raw = (Vec<u8>, i32, DateTime<Utc>, Option<DateTime<Utc>>);
    let row: Option<Raw> = sqlx::query_as(
        "SELECT name_hash, failures, last_at, locked_until FROM sign_in_failures WHERE name_hash = $1",
    )
    .bind(name_hash)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        row.map(|(name_hash, failures, last_at, locked_until)| FailureRow {
            name_hash,
            failures: u32::try_from(failures).unwrap_or(0),
            last_at,
            locked_until,
        }),
    )
}

/// Applies credential changes inside a write, in order.
pub(super) async fn change_on(
    conn: &mut PgConnection,
    changes: &[CredentialChange],
) -> Result<(), sqlx::Error> {
    for change in changes {
        match change {
            CredentialChange::SetPassword(row) => {
                sqlx::query(
                    "INSERT INTO passwords (actor, hash, set_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (actor) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at",
                )
                .bind(&row.actor)
                .bind(&row.hash)
                .bind(row.set_at)
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::IssueToken(row) => {
                sqlx::query(
                    "INSERT INTO tokens (id, actor, hash, note, issued_by, issued_at, expires_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(row.id)
                .bind(&row.actor)
                .bind(row.hash.as_deref())
                .bind(&row.note)
                .bind(&row.issued_by)
                .bind(row.issued_at)
                .bind(row.expires_at)
                .bind(row.revoked_at)
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::RevokeToken { id, at } => {
                sqlx::query(
                    "UPDATE tokens SET hash = NULL, revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::OpenSession(row) => {
                sqlx::query(
                    "INSERT INTO sessions (secret_hash, id, actor, csrf, created_at, seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(row.secret_hash.as_slice())
                .bind(row.id)
                .bind(&row.actor)
                .bind(&row.csrf)
                .bind(row.created_at)
                .bind(row.seen_at)
                .bind(row.expires_at)
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::CloseSession { id } => {
                sqlx::query("DELETE FROM sessions WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            CredentialChange::CloseSessionsOf { actor } => {
                sqlx::query("DELETE FROM sessions WHERE actor = $1")
                    .bind(actor)
                    .execute(&mut *conn)
                    .await?;
            }
            CredentialChange::SetFailures(row) => {
                sqlx::query(
                    "INSERT INTO sign_in_failures (name_hash, failures, last_at, locked_until) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (name_hash) DO UPDATE SET \
                     failures = excluded.failures, last_at = excluded.last_at, locked_until = excluded.locked_until",
                )
                .bind(row.name_hash.as_slice())
                .bind(i32::try_from(row.failures).unwrap_or(i32::MAX))
                .bind(row.last_at)
                .bind(row.locked_until)
                .execute(&mut *conn)
                .await?;
            }
            CredentialChange::ClearFailures { name_hash } => {
                sqlx::query("DELETE FROM sign_in_failures WHERE name_hash = $1")
                    .bind(name_hash.as_slice())
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}
