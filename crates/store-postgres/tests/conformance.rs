//! Runs the shared conformance suite against PostgreSQL, each check in a fresh schema.
//!
//! The server is `SIYU_TEST_DATABASE_URL` (default: the local trust-auth server's `test` database). When
//! it cannot be reached the checks are skipped, except under `CI=true`, where that is a failure.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use siyu_store::Store;
use siyu_store_postgres::PgStore;
use tokio::sync::OnceCell;

fn url() -> String {
    std::env::var("SIYU_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

const PREFIX: &str = "siyu_t_";

/// Drops the schemas earlier runs left behind, once per test process.
async fn clean_old_schemas() -> bool {
    static CLEANED: OnceCell<bool> = OnceCell::const_new();
    *CLEANED
        .get_or_init(|| async {
            let Ok(names) = PgStore::schemas_like(&url(), PREFIX).await else {
                return false;
            };
            let mine = format!("{PREFIX}{}_", std::process::id());
            for n in names.iter().filter(|n| !n.starts_with(&mine)) {
                let _ = PgStore::drop_schema(&url(), n).await;
            }
            true
        })
        .await
}

async fn fresh() -> Option<Arc<dyn Store>> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !clean_old_schemas().await {
        assert!(!in_ci, "PostgreSQL at {} is not reachable, and CI=true: failing instead of skipping", url());
        return None;
    }
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!("{PREFIX}{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let store = PgStore::connect(&url(), Some(&schema), 4).await.unwrap();
    store.migrate().await.unwrap();
    Some(Arc::new(store))
}

siyu_store::conformance_tests!(fresh);
