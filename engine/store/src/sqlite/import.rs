//! Loading an export on SQLite: rows, keys and information exactly as given,
//! inside the import's one transaction (see `crate::import`).

use kroonika_engine::StreamName;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::{SqliteBackend, params};
use crate::append::signed;
use crate::chain::ChainRow;
use crate::error::Result;
use crate::keys::SubjectKeyRow;
use crate::read::foreign_columns;

impl SqliteBackend {
    pub(crate) async fn import_rows(
        tx: &mut Transaction<'static, Sqlite>,
        rows: &[ChainRow],
    ) -> Result<()> {
        const CHUNK: usize = 300;
        for chunk in rows.chunks(CHUNK) {
            let row = format!("({})", params(13));
            let sql = format!(
                "INSERT INTO events (position, stream, category, revision, event_id, event_type, data, metadata, recorded_at, hash, \
                 content_type, binary_data, custom_metadata) VALUES {}",
                vec![row.as_str(); chunk.len()].join(", ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in chunk {
                let stream = StreamName::new(row.stream.clone())?;
                let (content_type, binary, custom) = foreign_columns(row.foreign.as_ref());
                query = query
                    .bind(signed(row.position))
                    .bind(row.stream.clone())
                    .bind(stream.category().to_owned())
                    .bind(signed(row.revision))
                    .bind(row.id)
                    .bind(row.event_type.clone())
                    .bind(row.data.clone())
                    .bind(row.metadata.clone())
                    .bind(row.recorded_at.timestamp_micros())
                    .bind(row.hash.map(|h| h.to_vec()))
                    .bind(content_type)
                    .bind(binary.map(<[u8]>::to_vec))
                    .bind(custom.map(<[u8]>::to_vec));
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(crate) async fn import_keys(
        tx: &mut Transaction<'static, Sqlite>,
        keys: &[SubjectKeyRow],
    ) -> Result<()> {
        for key in keys {
            sqlx::query("INSERT INTO subject_keys (subject, stream, name, wrapped, created_at, erased_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(key.subject.to_string())
                .bind(&key.stream)
                .bind(&key.name)
                .bind(key.wrapped.as_deref())
                .bind(key.created_at.timestamp_micros())
                .bind(key.erased_at.map(|t| t.timestamp_micros()))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn import_info(
        tx: &mut Transaction<'static, Sqlite>,
        info: &[(&str, String)],
    ) -> Result<()> {
        for (key, value) in info {
            sqlx::query("INSERT INTO store_info (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(*key)
                .bind(value)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}
