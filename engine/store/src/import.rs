//! Loading an exported log into a new store: [`Import`] holds the write lock
//! and one transaction from the first row to the last, wake-ups included, so a
//! file that turns out broken halfway, or a process killed halfway, leaves the
//! store exactly as empty as it was.
//!
//! The rows keep their positions, recorded-at instants and hashes: an import is
//! the same log, not a replay of it. Checking the chain is the caller's (with
//! [`crate::chain::Verifier`], row by row, so it can name the line), and so is
//! working out the wake-ups (they are derived from the cases, not exported).

use chrono::{DateTime, Utc};
use kroonika_engine::StreamName;

use crate::backend::{AnyBackend, AnyTx, Backend};
use crate::chain::ChainRow;
use crate::error::{Error, Result};
use crate::keys::SubjectKeyRow;
use crate::postgres::PgBackend;
use crate::sqlite::SqliteBackend;
use crate::store::Store;

/// An import in progress. Dropping it rolls everything back.
#[derive(Debug)]
#[must_use = "an import is rolled back unless committed"]
pub struct Import {
    store: Store,
    tx: AnyTx,
    last: u64,
}

impl Store {
    /// Begins an import: takes the write lock and refuses a store that holds
    /// any event.
    pub async fn begin_import(&self) -> Result<Import> {
        let (tx, head) = match self.backend() {
            AnyBackend::Sqlite(b) => {
                let (tx, head) = b.begin(None, None).await?;
                (AnyTx::Sqlite(tx), head)
            }
            AnyBackend::Postgres(b) => {
                let (tx, head) = b.begin(None, None).await?;
                (AnyTx::Postgres(tx), head)
            }
        };
        if head.position > 0 {
            tx.rollback().await?;
            return Err(Error::NotEmpty {
                location: self.location().to_owned(),
                events: head.position,
            });
        }
        Ok(Import {
            store: self.clone(),
            tx,
            last: 0,
        })
    }
}

impl Import {
    /// Inserts rows exactly as given (positions, times, hashes).
    pub async fn insert(&mut self, rows: &[ChainRow]) -> Result<()> {
        match &mut self.tx {
            AnyTx::Sqlite(tx) => SqliteBackend::import_rows(tx, rows).await?,
            AnyTx::Postgres(tx) => PgBackend::import_rows(tx, rows).await?,
        }
        if let Some(last) = rows.last() {
            self.last = last.position;
        }
        Ok(())
    }

    /// Stores subject keys exactly as given (wrapped, or erased).
    pub async fn insert_keys(&mut self, keys: &[SubjectKeyRow]) -> Result<()> {
        match &mut self.tx {
            AnyTx::Sqlite(tx) => SqliteBackend::import_keys(tx, keys).await,
            AnyTx::Postgres(tx) => PgBackend::import_keys(tx, keys).await,
        }
    }

    /// Sets the streams' wake-ups, in the same transaction as their events.
    pub async fn set_timers(&mut self, timers: &[(StreamName, DateTime<Utc>)]) -> Result<()> {
        for (stream, due) in timers {
            match (self.store.backend(), &mut self.tx) {
                (AnyBackend::Sqlite(b), AnyTx::Sqlite(tx)) => {
                    b.set_timer(tx, stream, Some(*due)).await?
                }
                (AnyBackend::Postgres(b), AnyTx::Postgres(tx)) => {
                    b.set_timer(tx, stream, Some(*due)).await?
                }
                _ => unreachable!("a transaction of the store's own backend"),
            }
        }
        Ok(())
    }

    /// Commits, recording where the chain begins and the master key's check value.
    pub async fn commit(mut self, chain_from: u64, key_check: Option<&str>) -> Result<()> {
        let mut info = vec![("chain_from", chain_from.to_string())];
        if let Some(check) = key_check {
            info.push(("master_key_check", check.to_owned()));
        }
        match &mut self.tx {
            AnyTx::Sqlite(tx) => SqliteBackend::import_info(tx, &info).await?,
            AnyTx::Postgres(tx) => PgBackend::import_info(tx, &info).await?,
        }
        self.tx.commit().await?;
        self.store.committed_up_to(self.last);
        Ok(())
    }
}
