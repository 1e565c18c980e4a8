//! Loading an export on PostgreSQL: rows, keys and information exactly as
//! given, inside the import's one transaction (see `crate::import`).

use kroonika_engine::StreamName;
use sqlx::{Postgres, Transaction};

use super::PgBackend;
use crate::append::signed;
use crate::chain::ChainRow;
use crate::error::Result;
use crate::keys::SubjectKeyRow;
use crate::read::foreign_columns;

impl PgBackend {
    pub(crate) async fn import_rows(
        tx: &mut Transaction<'static, Postgres>,
        rows: &[ChainRow],
    ) -> Result<()> {
        const CHUNK: usize = 5_000;
        for chunk in rows.chunks(CHUNK) {
            let mut categories = Vec::with_capacity(chunk.len());
            for row in chunk {
                categories.push(StreamName::new(row.stream.clone())?.category().to_owned());
            }
            sqlx::query(
                "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash, content_type, binary_data, custom_metadata) \
                 SELECT u.position, u.stream, u.category, u.revision, u.event_id, u.event_type, u.data::json, u.metadata::json, u.recorded_at, u.hash, u.content_type, u.binary_data, u.custom_metadata \
                 FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[], $11::text[], $12::bytea[], $13::bytea[]) \
                 AS u(position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash, content_type, binary_data, custom_metadata)",
            )
            .bind(chunk.iter().map(|r| signed(r.position)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.stream.as_str()).collect::<Vec<_>>())
            .bind(categories)
            .bind(chunk.iter().map(|r| signed(r.revision)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.event_type.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.data.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.metadata.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.hash.map(|h| h.to_vec())).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| foreign_columns(r.foreign.as_ref()).0).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| foreign_columns(r.foreign.as_ref()).1).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| foreign_columns(r.foreign.as_ref()).2).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn import_keys(
        tx: &mut Transaction<'static, Postgres>,
        keys: &[SubjectKeyRow],
    ) -> Result<()> {
        for key in keys {
            sqlx::query("INSERT INTO subject_keys (subject, stream, name, wrapped, created_at, erased_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(key.subject)
                .bind(&key.stream)
                .bind(&key.name)
                .bind(key.wrapped.as_deref())
                .bind(key.created_at)
                .bind(key.erased_at)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn import_info(
        tx: &mut Transaction<'static, Postgres>,
        info: &[(&str, String)],
    ) -> Result<()> {
        for (key, value) in info {
            sqlx::query("INSERT INTO store_info (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(*key)
                .bind(value)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}
