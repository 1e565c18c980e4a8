//! Opening and initialising: what is and is not a Kroonika store, and schema versions.

use kroonika_store::{Error, InitOutcome, Store};
use kroonika_tests::{Backend, TestStore};

use super::per_backend;

/// The schema version this build migrates to (the number of migrations).
const LATEST: i64 = 8;

per_backend!(
    init_is_idempotent_and_open_checks,
    foreign_and_newer_databases_are_refused,
    older_stores_are_upgraded_by_init_only,
);

async fn init_is_idempotent_and_open_checks(backend: Backend) {
    let (url, _dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, Error::NoStore { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("; run `kroonika init` to create one"),
        "{err}"
    );

    let (store, outcome) = Store::init(&url).await.unwrap();
    assert_eq!(outcome, InitOutcome::Created { version: LATEST });
    let info = store.info().await.unwrap();
    assert_eq!(info.version, LATEST);
    assert_eq!(info.store_id.len(), 32);
    store.close().await;

    let (store, outcome) = Store::init(&url).await.unwrap();
    assert_eq!(outcome, InitOutcome::UpToDate { version: LATEST });
    assert_eq!(
        store.info().await.unwrap().store_id,
        info.store_id,
        "init keeps the store"
    );
    store.close().await;
    Store::open(&url).await.unwrap().close().await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

async fn foreign_and_newer_databases_are_refused(backend: Backend) {
    // A database holding someone else's tables is neither opened nor initialised.
    let t = TestStore::new(backend).await.unwrap();
    t.raw_execute("CREATE TABLE patients (id integer)")
        .await
        .unwrap();
    t.raw_execute("DROP TABLE store_info").await.unwrap();
    t.raw_execute("DROP TABLE _sqlx_migrations").await.unwrap();
    for err in [
        Store::open(&t.url).await.unwrap_err(),
        Store::init(&t.url).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::NotAStore { .. }), "{err}");
    }

    // A store migrated by a newer Kroonika is refused with the versions named.
    let newer = TestStore::new(backend).await.unwrap();
    let checksum = match backend {
        Backend::Sqlite => "x'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    newer
        .raw_execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99, 'from the future', true, {checksum}, 0)"
        ))
        .await
        .unwrap();
    for err in [
        Store::open(&newer.url).await.unwrap_err(),
        Store::init(&newer.url).await.unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::SchemaTooNew {
                    found: 99,
                    supported: LATEST,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!(
                "created by a newer Kroonika (schema version 99; this build knows up to {LATEST})"
            )),
            "{err}"
        );
    }
    newer.cleanup().await;
    t.cleanup().await;
}

/// A store made by the first build (before timers, projections, the hash chain,
/// subject keys, credentials, the search index and foreign events): opening it says to run `kroonika init`, which upgrades it in
/// place, keeping its events; they predate the chain, which begins after them.
async fn older_stores_are_upgraded_by_init_only(backend: Backend) {
    let t = TestStore::new(backend).await.unwrap();
    let s = kroonika_store::StreamName::new("case-old").unwrap();
    t.store
        .append(
            &s,
            kroonika_store::ExpectedRevision::NoStream,
            &[kroonika_tests::event("Kept", serde_json::json!({}))],
        )
        .await
        .unwrap();
    for sql in [
        "DROP TABLE timers",
        "DROP TABLE projection_docs",
        "DROP TABLE projection_checkpoints",
        "DROP TABLE subject_keys",
        "DROP TABLE passwords",
        "DROP TABLE tokens",
        "DROP TABLE sessions",
        "DROP TABLE sign_in_failures",
        "DROP TABLE search_index",
        "ALTER TABLE events DROP COLUMN custom_metadata",
        "ALTER TABLE events DROP COLUMN binary_data",
        "ALTER TABLE events DROP COLUMN content_type",
        "ALTER TABLE events DROP COLUMN hash",
        "DELETE FROM store_info WHERE key = 'chain_from'",
    ] {
        t.raw_execute(sql).await.unwrap();
    }
    t.raw_execute("DELETE FROM _sqlx_migrations WHERE version >= 2")
        .await
        .unwrap();
    let err = Store::open(&t.url).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SchemaOutdated {
                found: 1,
                needed: LATEST,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().ends_with(&format!(
            "has schema version 1 and this build needs {LATEST}; run `kroonika init` to upgrade it"
        )),
        "{err}"
    );
    let (store, outcome) = Store::init(&t.url).await.unwrap();
    assert_eq!(
        outcome,
        InitOutcome::Upgraded {
            from: 1,
            to: LATEST
        }
    );
    assert_eq!(store.head_position().await.unwrap(), 1, "events kept");
    // The old event predates the hash chain; new ones are chained after it.
    store
        .append(
            &s,
            kroonika_store::ExpectedRevision::Exact(0),
            &[kroonika_tests::event("Chained", serde_json::json!({}))],
        )
        .await
        .unwrap();
    assert_eq!(store.chain_from().await.unwrap(), 2);
    let report = store.verify_chain(|_| {}).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!((report.checked, report.unchained), (2, 1));
    store.close().await;
    t.cleanup().await;
}
