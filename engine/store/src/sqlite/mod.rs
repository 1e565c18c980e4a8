//! The embedded backend: one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time, and that is the ordering guarantee: a
//! write runs `BEGIN IMMEDIATE` (taking the file's write lock before reading
//! anything, so two processes can never both read the same head), reads the head,
//! and inserts at head + 1. Commit order is position order, with no gaps.
//!
//! Within a process, writes go through a pool of exactly one write connection, so
//! they queue in the pool instead of spinning on SQLite's busy handler; reads use
//! their own pool and, in WAL mode, never wait for the writer. Another process on
//! the same file waits up to `StoreOptions::timeout` for the lock.
//!
//! sqlx charges a fixed cost per statement here (each is a round trip to the
//! connection's worker thread), so a write is four statements whatever its size:
//! BEGIN, one head query, one multi-row INSERT, COMMIT.
//!
//! By concern: `events.rs` reads and appends events (and implements the write
//! path's [`crate::backend::Backend`]), `keys.rs` subject keys, `credentials.rs` passwords, tokens,
//! sessions and failed sign-ins, `timers.rs`
//! wake-ups, `projections.rs` projection documents, `import.rs` loading an export.

mod credentials;
mod events;
mod import;
mod index;
mod keys;
mod projections;
mod timers;

use std::path::Path;

use chrono::DateTime;
use chrono::Utc;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{Error, Result};
use crate::schema::Found;
use crate::store::StoreOptions;

pub(crate) use events::insert_sql;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The 16 bytes every SQLite database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Rows per statement: SQLite allows 32,766 bound values, so batches are split.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(Debug)]
pub(crate) struct SqliteBackend {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqliteBackend {
    pub(crate) fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    pub(crate) async fn connect(
        connect: SqliteConnectOptions,
        path: &Path,
        location: &str,
        create: bool,
        options: &StoreOptions,
    ) -> Result<Self> {
        check_file(path, location, create)?;
        let connect = connect
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk when append returns, even across a power cut.
            .synchronous(if options.durable {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .busy_timeout(options.timeout)
            .foreign_keys(true)
            // Erased subject keys are overwritten with zeros, not only unlinked.
            .pragma("secure_delete", "on");
        let unreachable = |source: sqlx::Error| Error::Unreachable {
            location: location.to_owned(),
            reason: crate::error::describe(&source),
        };
        // An embedded connection cannot go stale, so the pool's ping before
        // each acquire (a round trip to the connection's worker thread) buys nothing.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(options.timeout)
            .connect_with(connect.clone())
            .await
            .map_err(unreachable)?;
        let read = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .test_before_acquire(false)
            .acquire_timeout(options.timeout)
            .connect_with(connect)
            .await
            .map_err(unreachable)?;
        Ok(SqliteBackend { read, write })
    }

    pub(crate) async fn found(&self) -> Result<Found> {
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_schema WHERE type = 'table'")
                .fetch_all(&self.read)
                .await?;
        let has = |name: &str| tables.iter().any(|(t,)| t == name);
        let mut found = Found {
            // sqlx makes its own table before the first migration: alone, it
            // is an init that was interrupted before anything else was made.
            any_tables: tables.iter().any(|(t,)| t != "_sqlx_migrations"),
            ..Found::default()
        };
        if has("store_info") {
            found.format = sqlx::query_scalar("SELECT value FROM store_info WHERE key = 'format'")
                .fetch_optional(&self.read)
                .await?;
        }
        if has("_sqlx_migrations") {
            found.applied =
                sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&self.read)
                    .await?;
        }
        Ok(found)
    }

    pub(crate) async fn migrate(&self, location: &str) -> Result<()> {
        MIGRATOR
            .run(&self.write)
            .await
            .map_err(|source| Error::Migrate {
                location: location.to_owned(),
                source,
            })
    }

    pub(crate) async fn store_info(&self) -> Result<(String, String)> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT key, value FROM store_info WHERE key IN ('store_id', 'created_at')",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(crate::schema::pick_info(rows))
    }

    pub(crate) async fn info_value(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = ?1")
                .bind(key)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    pub(crate) async fn put_info_once(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO store_info (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM store_info WHERE key = ?1")
                .bind(key)
                .fetch_one(&self.write)
                .await?,
        )
    }

    /// Moves the write-ahead log into the database file and empties it, so that
    /// overwritten pages (an erased key's) do not linger in the WAL.
    pub(crate) async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Refuses a missing file (unless creating) and a file that is not SQLite at all,
/// before SQLite gets to say something less helpful.
fn check_file(path: &Path, location: &str, create: bool) -> Result<()> {
    use std::io::Read;
    if !path.exists() {
        if create {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                && !parent.is_dir()
            {
                return Err(Error::NoStore {
                    location: format!(
                        "{location} (the folder {} does not exist)",
                        parent.display()
                    ),
                });
            }
            return create_private(path, location);
        }
        return Err(Error::NoStore {
            location: location.to_owned(),
        });
    }
    let not_a_store = |reason: String| Error::NotAStore {
        location: location.to_owned(),
        reason,
    };
    if path.is_dir() {
        return Err(not_a_store("it is a folder".to_owned()));
    }
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path)
        .map_err(|err| not_a_store(format!("it cannot be read ({err})")))?;
    let read = file
        .read(&mut header)
        .map_err(|err| not_a_store(format!("it cannot be read ({err})")))?;
    // An empty file is what SQLite itself creates for a new database.
    if read > 0 && (read < header.len() || &header != SQLITE_MAGIC) {
        return Err(not_a_store("it is not an SQLite database".to_owned()));
    }
    Ok(())
}

/// Creates the empty database file readable and writable by its owner only,
/// whatever the umask: SQLite gives its WAL and shared-memory files the
/// database file's mode, so the three stay private.
fn create_private(path: &Path, location: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process made it first: SQLite opens what is there.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(Error::Unreachable {
            location: location.to_owned(),
            reason: format!("the file cannot be created: {err}"),
        }),
    }
}

/// A stored time (microseconds since the epoch).
fn from_micros(micros: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| Error::Corrupt {
        position: 0,
        reason: format!("a stored time {micros} is out of range"),
    })
}

/// `?, ?, …`: `n` anonymous parameters. sqlx asks SQLite for each parameter's
/// name, which for numbered ones (`?17`) is a scan of all names, so numbered
/// parameters make long statements quadratic.
fn params(n: usize) -> String {
    vec!["?"; n].join(", ")
}
