//! Projection documents and checkpoints on PostgreSQL (see `crate::projection`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::PgBackend;
use crate::append::{signed, unsigned};
use crate::error::{Error, Result};
use crate::projection::{DocChanges, ProjectionState};

impl PgBackend {
    pub(crate) async fn projection_states(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<ProjectionState>> {
        let rows: Vec<(String, i64, Option<String>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT name, position, error, updated_at FROM projection_checkpoints WHERE $1::text IS NULL OR name = $1 ORDER BY name",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(name, position, error, updated_at)| {
                Ok(ProjectionState {
                    name,
                    position: unsigned(position, "checkpoint", 0)?,
                    error,
                    updated_at,
                })
            })
            .collect()
    }

    pub(crate) async fn projection_docs(
        &self,
        projection: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<(String, Value)>> {
        let rows: Vec<(String, String)> = match keys {
            None => {
                sqlx::query_as("SELECT key, doc::text FROM projection_docs WHERE projection = $1 ORDER BY key")
                    .bind(projection)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(keys) => {
                sqlx::query_as("SELECT key, doc::text FROM projection_docs WHERE projection = $1 AND key = ANY($2)")
                    .bind(projection)
                    .bind(keys)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter()
            .map(|(key, doc)| {
                let doc = serde_json::from_str(&doc).map_err(|err| Error::Corrupt {
                    position: 0,
                    reason: format!("projection document '{key}': {err}"),
                })?;
                Ok((key, doc))
            })
            .collect()
    }

    /// See `Store::commit_projection`.
    pub(crate) async fn commit_projection(
        &self,
        name: &str,
        from: u64,
        to: u64,
        changes: &DocChanges,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ($1, 0, now()) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query("UPDATE projection_checkpoints SET position = $1, error = NULL, updated_at = now() WHERE name = $2 AND position = $3")
            .bind(signed(to))
            .bind(name)
            .bind(signed(from))
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if !changes.put.is_empty() {
            let keys: Vec<&str> = changes.put.iter().map(|(k, _)| k.as_str()).collect();
            let docs: Vec<String> = changes.put.iter().map(|(_, d)| d.to_string()).collect();
            sqlx::query(
                "INSERT INTO projection_docs (projection, key, doc) SELECT $1, u.k, u.d::json FROM UNNEST($2::text[], $3::text[]) AS u(k, d) \
                 ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc",
            )
            .bind(name)
            .bind(keys)
            .bind(docs)
            .execute(&mut *tx)
            .await?;
        }
        if !changes.delete.is_empty() {
            sqlx::query("DELETE FROM projection_docs WHERE projection = $1 AND key = ANY($2)")
                .bind(name)
                .bind(&changes.delete)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn record_projection_error(&self, name: &str, error: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, position, error, updated_at) VALUES ($1, 0, $2, now()) \
             ON CONFLICT (name) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces projection `name` by `staging` (documents and checkpoint) in one transaction.
    pub(crate) async fn swap_projection(&self, staging: &str, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_docs SET projection = $1 WHERE projection = $2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_checkpoints SET name = $1 WHERE name = $2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn drop_projection(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
