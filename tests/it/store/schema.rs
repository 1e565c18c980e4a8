//! Opening and initialising: what is and is not a Kroonika store, and schema versions.

use kroonika_store::{Error, InitOutcome, Store};
use kroonika_tests::{Backend, TestStore};

use super::per_backend;

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
    assert_eq!(outcome, InitOutcome::Created { version: 3 });
    let info = store.info().await.unwrap();
    assert_eq!(info.version, 3);
    assert_eq!(info.store_id.len(), 32);
    store.close().await;

    let (store, outcome) = Store::init(&url).await.unwrap();
    assert_eq!(outcome, InitOutcome::UpToDate { version: 3 });
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
                    supported: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains(
                "created by a newer Kroonika (schema version 99; this build knows up to 3)"
            ),
            "{err}"
        );
    }
    newer.cleanup().await;
    t.cleanup().await;
}

/// A store made by the first build (before timers and projections): opening it says to run
/// `kroonika init`, which upgrades it in place, keeping its events.
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
    for table in ["timers", "projection_docs", "projection_checkpoints"] {
        t.raw_execute(&format!("DROP TABLE {table}")).await.unwrap();
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
                needed: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().ends_with(
            "has schema version 1 and this build needs 3; run `kroonika init` to upgrade it"
        ),
        "{err}"
    );
    let (store, outcome) = Store::init(&t.url).await.unwrap();
    assert_eq!(outcome, InitOutcome::Upgraded { from: 1, to: 3 });
    assert_eq!(store.head_position().await.unwrap(), 1, "events kept");
    store.close().await;
    t.cleanup().await;
}
