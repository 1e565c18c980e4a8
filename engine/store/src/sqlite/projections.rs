//! Projection documents and checkpoints on SQLite (see `crate::projection`).

use chrono::Utc;
use serde_json::Value;
use sqlx::AssertSqlSafe;

use super::{ROWS_PER_STATEMENT, SqliteBackend, from_micros};
use crate::append::{signed, unsigned};
use crate::error::{Error, Result};
use crate::projection::{DocChanges, ProjectionState};

impl SqliteBackend {
    pub(crate) async fn projection_states(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<ProjectionState>> {
        let rows: Vec<(String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT name, position, error, updated_at FROM projection_checkpoints WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
        )
        .bind(name)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(name, position, error, at)| {
                Ok(ProjectionState {
                    name,
                    position: unsigned(position, "checkpoint", 0)?,
                    error,
                    updated_at: from_micros(at)?,
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
                sqlx::query_as(
                    "SELECT key, doc FROM projection_docs WHERE projection = ?1 ORDER BY key",
                )
                .bind(projection)
                .fetch_all(&self.read)
                .await?
            }
            Some(keys) => {
                let mut rows = Vec::new();
                for chunk in keys.chunks(ROWS_PER_STATEMENT) {
                    let placeholders = (2..chunk.len() + 2)
                        .map(|i| format!("?{i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!(
                        "SELECT key, doc FROM projection_docs WHERE projection = ?1 AND key IN ({placeholders})"
                    );
                    let mut query =
                        sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql)).bind(projection);
                    for key in chunk {
                        query = query.bind(key.as_str());
                    }
                    rows.extend(query.fetch_all(&self.read).await?);
                }
                rows
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
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let now = Utc::now().timestamp_micros();
        sqlx::query("INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?1, 0, ?2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query("UPDATE projection_checkpoints SET position = ?1, error = NULL, updated_at = ?2 WHERE name = ?3 AND position = ?4")
            .bind(signed(to))
            .bind(now)
            .bind(name)
            .bind(signed(from))
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        // Anonymous `?` parameters throughout: sqlx asks SQLite for each
        // parameter's name, which for numbered ones (`?17`) is a scan of all
        // names, so numbered parameters make long statements quadratic.
        for chunk in changes.put.chunks(ROWS_PER_STATEMENT) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO projection_docs (projection, key, doc) VALUES {values} ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (key, doc) in chunk {
                query = query.bind(name).bind(key.as_str()).bind(doc.to_string());
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in changes.delete.chunks(ROWS_PER_STATEMENT) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "DELETE FROM projection_docs WHERE projection = ? AND key IN ({placeholders})"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(name);
            for key in chunk {
                query = query.bind(key.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn record_projection_error(&self, name: &str, error: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, position, error, updated_at) VALUES (?1, 0, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(error)
        .bind(Utc::now().timestamp_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Replaces projection `name` by `staging` (documents and checkpoint) in one transaction.
    pub(crate) async fn swap_projection(&self, staging: &str, name: &str) -> Result<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_docs SET projection = ?1 WHERE projection = ?2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE projection_checkpoints SET name = ?1 WHERE name = ?2")
            .bind(name)
            .bind(staging)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn drop_projection(&self, name: &str) -> Result<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM projection_docs WHERE projection = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = ?1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
