//! Subject keys on PostgreSQL: read them, and (inside a write) store new ones
//! or destroy erased ones. A destroyed key's old row version lingers until
//! VACUUM (see ARCHITECTURE.md).

use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnection;
use uuid::Uuid;

use super::PgBackend;
use crate::error::Result;
use crate::keys::SubjectKeyRow;

impl PgBackend {
    pub(crate) async fn subject_keys(
        &self,
        stream: Option<&str>,
        subject: Option<Uuid>,
    ) -> Result<Vec<SubjectKeyRow>> {
        let mut conn = self.pool.acquire().await?;
        subject_keys_on(&mut conn, stream, subject).await
    }
}

pub(super) async fn subject_keys_on(
    conn: &mut PgConnection,
    stream: Option<&str>,
    subject: Option<Uuid>,
) -> Result<Vec<SubjectKeyRow>> {
    type Raw = (
        Uuid,
        String,
        String,
        Option<Vec<u8>>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Raw> = sqlx::query_as(
        "SELECT subject, stream, name, wrapped, created_at, erased_at FROM subject_keys \
         WHERE ($1::text IS NULL OR stream = $1) AND ($2::uuid IS NULL OR subject = $2) ORDER BY stream, name",
    )
    .bind(stream)
    .bind(subject)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(subject, stream, name, wrapped, created_at, erased_at)| SubjectKeyRow {
                subject,
                stream,
                name,
                wrapped,
                created_at,
                erased_at,
            },
        )
        .collect())
}

/// Stores new keys in one statement; a subject that has a key already is a
/// unique violation.
pub(super) async fn insert_keys_on(
    conn: &mut PgConnection,
    keys: &[SubjectKeyRow],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO subject_keys (subject, stream, name, wrapped, created_at) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::timestamptz[])",
    )
    .bind(keys.iter().map(|k| k.subject).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.stream.as_str()).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.wrapped.clone()).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.created_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn destroy_keys_on(
    conn: &mut PgConnection,
    subjects: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE subject_keys SET wrapped = NULL, erased_at = now() WHERE subject = ANY($1) AND wrapped IS NOT NULL")
        .bind(subjects)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
