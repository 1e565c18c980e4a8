//! Loading an exported log into a new store: [`Import`] holds the write lock
//! and one transaction from the first row to the last, so a file that turns out
//! broken halfway leaves the store exactly as empty as it was.
//!
//! The rows keep their positions, recorded-at instants and hashes: an import is
//! the same log, not a replay of it. Checking the chain is the caller's (with
//! [`crate::chain::Verifier`], row by row, so it can name the line).

use crate::chain::ChainRow;
use crate::error::{Error, Result};
use crate::keys::SubjectKeyRow;
use crate::store::{AnyTx, Store};

/// An import in progress. Dropping it rolls everything back.
#[derive(Debug)]
#[must_use = "an import is rolled back unless committed"]
pub struct Import {
    store: Store,
    tx: AnyTx,
}

impl Store {
    /// Begins an import: takes the write lock and refuses a store that holds
    /// any event.
    pub async fn begin_import(&self) -> Result<Import> {
        let (tx, head) = self.begin_raw_write().await?;
        if head > 0 {
            return Err(Error::NotEmpty {
                location: self.location().to_owned(),
                events: head,
            });
        }
        Ok(Import {
            store: self.clone(),
            tx,
        })
    }
}

impl Import {
    /// Inserts rows exactly as given (positions, times, hashes).
    pub async fn insert(&mut self, rows: &[ChainRow]) -> Result<()> {
        self.store.import_rows(&mut self.tx, rows).await
    }

    /// Stores subject keys exactly as given (wrapped, or erased).
    pub async fn insert_keys(&mut self, keys: &[SubjectKeyRow]) -> Result<()> {
        self.store.import_keys(&mut self.tx, keys).await
    }

    /// Commits, recording where the chain begins and the master key's check value.
    pub async fn commit(mut self, chain_from: u64, key_check: Option<&str>) -> Result<()> {
        let mut info = vec![("chain_from", chain_from.to_string())];
        if let Some(check) = key_check {
            info.push(("master_key_check", check.to_owned()));
        }
        self.store.import_info(&mut self.tx, &info).await?;
        match self.tx {
            AnyTx::Sqlite(tx) => tx.commit().await?,
            AnyTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
