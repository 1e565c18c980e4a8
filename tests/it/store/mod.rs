//! The store contract suite. See `main.rs`.

mod appends;
mod chain;
mod concurrency;
mod credentials;
mod group;
mod idempotency;
mod immutability;
mod projections;
mod reads;
mod schema;
mod subscriptions;
mod writes;

/// Generates, for each named `async fn(&TestStore)`, one test per backend:
/// `<module>::<name>::sqlite` and `<module>::<name>::postgres`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    let store = kroonika_tests::TestStore::new(kroonika_tests::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    super::$name(&store).await;
                    store.cleanup().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    let Some(store) =
                        kroonika_tests::TestStore::new(kroonika_tests::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$name(&store).await;
                    store.cleanup().await;
                }
            }
        )*
    };
}
pub(crate) use contract;

/// Generates one test per backend for an `async fn(Backend)` that makes its own stores.
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name(kroonika_tests::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    if kroonika_tests::postgres_url().is_none() {
                        return;
                    }
                    super::$name(kroonika_tests::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use per_backend;
