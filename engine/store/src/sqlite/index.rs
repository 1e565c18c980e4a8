//! The search index on SQLite (see `crate::index`).

use sqlx::sqlite::SqliteConnection;
use uuid::Uuid;

use super::SqliteBackend;
use crate::error::{Error, Result};
use crate::index::{IndexChange, IndexHit};

impl SqliteBackend {
    pub(crate) async fn search_index(&self, tokens: &[Vec<u8>]) -> Result<Vec<IndexHit>> {
        let mut conn = self.read.acquire().await?;
        let mut hits = Vec::new();
        for token in tokens {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT stream, field, kind, subject FROM search_index WHERE token = ?1 \
                 ORDER BY stream, field",
            )
            .bind(token.as_slice())
            .fetch_all(&mut *conn)
            .await?;
            for (stream, field, kind, subject) in rows {
                hits.push(IndexHit {
                    subject: Uuid::parse_str(&subject).map_err(|err| Error::Corrupt {
                        position: 0,
                        reason: format!("search index subject '{subject}': {err}"),
                    })?,
                    stream,
                    field,
                    kind,
                });
            }
        }
        Ok(hits)
    }

    pub(crate) async fn index_size(&self) -> Result<u64> {
        let mut conn = self.read.acquire().await?;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM search_index")
            .fetch_one(&mut *conn)
            .await?;
        Ok(n.max(0) as u64)
    }
}

pub(super) async fn change_index_on(
    conn: &mut SqliteConnection,
    changes: &[IndexChange],
) -> Result<(), sqlx::Error> {
    for change in changes {
        match change {
            IndexChange::ClearStream(stream) => {
                sqlx::query("DELETE FROM search_index WHERE stream = ?1")
                    .bind(stream)
                    .execute(&mut *conn)
                    .await?;
            }
            IndexChange::Field {
                stream,
                field,
                subject,
                tokens,
            } => {
                sqlx::query("DELETE FROM search_index WHERE stream = ?1 AND field = ?2")
                    .bind(stream)
                    .bind(field)
                    .execute(&mut *conn)
                    .await?;
                for (kind, token) in tokens {
                    sqlx::query(
                        "INSERT INTO search_index (stream, field, kind, subject, token) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .bind(stream)
                    .bind(field)
                    .bind(kind)
                    .bind(subject.to_string())
                    .bind(token.as_slice())
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
    }
    Ok(())
}

/// An erasure's part: the erased subjects' tokens go with their keys.
pub(super) async fn forget_on(
    conn: &mut SqliteConnection,
    subjects: &[Uuid],
) -> Result<(), sqlx::Error> {
    for subject in subjects {
        sqlx::query("DELETE FROM search_index WHERE subject = ?1")
            .bind(subject.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
