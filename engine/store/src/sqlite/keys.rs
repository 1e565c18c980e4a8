//! Subject keys on SQLite: read them, and (inside a write) store new ones or
//! destroy erased ones. Keys are stored as the vault wrapped them; SQLite runs
//! with `secure_delete`, so a destroyed key's bytes are overwritten.

use chrono::Utc;
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteConnection;
use uuid::Uuid;

use super::{SqliteBackend, from_micros, params};
use crate::error::{Error, Result};
use crate::keys::SubjectKeyRow;

impl SqliteBackend {
    pub(crate) async fn subject_keys(
        &self,
        stream: Option<&str>,
        subject: Option<Uuid>,
    ) -> Result<Vec<SubjectKeyRow>> {
        let mut conn = self.read.acquire().await?;
        subject_keys_on(&mut conn, stream, subject).await
    }
}

pub(super) async fn subject_keys_on(
    conn: &mut SqliteConnection,
    stream: Option<&str>,
    subject: Option<Uuid>,
) -> Result<Vec<SubjectKeyRow>> {
    type Raw = (String, String, String, Option<Vec<u8>>, i64, Option<i64>);
    let rows: Vec<Raw> = sqlx::query_as(
        "SELECT subject, stream, name, wrapped, created_at, erased_at FROM subject_keys \
         WHERE (?1 IS NULL OR stream = ?1) AND (?2 IS NULL OR subject = ?2) ORDER BY stream, name",
    )
    .bind(stream)
    .bind(subject.map(|s| s.to_string()))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(subject, stream, name, wrapped, created_at, erased_at)| {
            Ok(SubjectKeyRow {
                subject: Uuid::parse_str(&subject).map_err(|err| Error::Corrupt {
                    position: 0,
                    reason: format!("subject key '{subject}': {err}"),
                })?,
                stream,
                name,
                wrapped,
                created_at: from_micros(created_at)?,
                erased_at: erased_at.map(from_micros).transpose()?,
            })
        })
        .collect()
}

/// Stores new keys in one statement; a subject that has a key already is a
/// unique violation.
pub(super) async fn insert_keys_on(
    conn: &mut SqliteConnection,
    keys: &[SubjectKeyRow],
) -> Result<(), sqlx::Error> {
    for chunk in keys.chunks(super::ROWS_PER_STATEMENT) {
        let row = format!("({})", params(5));
        let sql = format!(
            "INSERT INTO subject_keys (subject, stream, name, wrapped, created_at) VALUES {}",
            vec![row.as_str(); chunk.len()].join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for key in chunk {
            query = query
                .bind(key.subject.to_string())
                .bind(key.stream.as_str())
                .bind(key.name.as_str())
                .bind(key.wrapped.as_deref())
                .bind(key.created_at.timestamp_micros());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn destroy_keys_on(
    conn: &mut SqliteConnection,
    subjects: &[Uuid],
) -> Result<(), sqlx::Error> {
    let now = Utc::now().timestamp_micros();
    for subject in subjects {
        sqlx::query("UPDATE subject_keys SET wrapped = NULL, erased_at = ?1 WHERE subject = ?2 AND wrapped IS NOT NULL")
            .bind(now)
            .bind(subject.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
