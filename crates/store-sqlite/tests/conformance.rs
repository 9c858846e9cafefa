//! Runs the shared conformance suite against SQLite, each check on a fresh file.

use std::sync::Arc;

use siyu_store::Store;
use siyu_store::migrate::Migration;
use siyu_store_sqlite::SqliteStore;

async fn fresh() -> Option<Arc<dyn Store>> {
    // The directory is leaked on purpose: it must outlive the pool, and the OS cleans /tmp.
    let dir = tempfile::tempdir().unwrap().keep();
    let store = SqliteStore::open(&dir.join("siyu.db")).await.unwrap();
    store.migrate().await.unwrap();
    Some(Arc::new(store))
}

siyu_store::conformance_tests!(fresh);

#[tokio::test]
async fn migrations_run_once_and_refuse_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
    assert_eq!(store.migrate().await.unwrap(), siyu_store_sqlite::MIGRATIONS.len());
    assert_eq!(store.migrate().await.unwrap(), 0);
    let edited = [Migration { name: "0001_foundation.sql", sql: "-- changed" }];
    let err = store.migrate_with(&edited).await.unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let unknown = &siyu_store_sqlite::MIGRATIONS[..0];
    assert!(store.migrate_with(unknown).await.unwrap_err().to_string().contains("does not know"));
}
