//! The search index on PostgreSQL (see `crate::index`).

use sqlx::postgres::PgConnection;
use uuid::Uuid;

use super::PgBackend;
use crate::error::Result;
use crate::index::{IndexChange, IndexHit};

impl PgBackend {
    pub(crate) async fn search_index(&self, tokens: &[Vec<u8>]) -> Result<Vec<IndexHit>> {
        let rows: Vec<(String, String, String, Uuid)> = sqlx::query_as(
            "SELECT stream, field, kind, subject FROM search_index WHERE token = ANY($1) \
             ORDER BY stream, field",
        )
        .bind(tokens)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(stream, field, kind, subject)| IndexHit {
                stream,
                field,
                kind,
                subject,
            })
            .collect())
    }

    pub(crate) async fn index_size(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM search_index")
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }
}

pub(super) async fn change_index_on(
    conn: &mut PgConnection,
    changes: &[IndexChange],
) -> Result<(), sqlx::Error> {
    for change in changes {
        match change {
            IndexChange::ClearStream(stream) => {
                sqlx::query("DELETE FROM search_index WHERE stream = $1")
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
                sqlx::query("DELETE FROM search_index WHERE stream = $1 AND field = $2")
                    .bind(stream)
                    .bind(field)
                    .execute(&mut *conn)
                    .await?;
                if tokens.is_empty() {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO search_index (stream, field, kind, subject, token) \
                     SELECT $1, $2, kind, $3, token FROM UNNEST($4::text[], $5::bytea[]) AS t(kind, token)",
                )
                .bind(stream)
                .bind(field)
                .bind(subject)
                .bind(tokens.iter().map(|(kind, _)| kind.as_str()).collect::<Vec<_>>())
                .bind(tokens.iter().map(|(_, token)| token.clone()).collect::<Vec<_>>())
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// An erasure's part: the erased subjects' tokens go with their keys.
pub(super) async fn forget_on(
    conn: &mut PgConnection,
    subjects: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM search_index WHERE subject = ANY($1)")
        .bind(subjects)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
