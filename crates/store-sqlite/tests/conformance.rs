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

/// Writers abandoned at any moment (a client that hangs up) never leave a connection holding SQLite's
/// write lock: a write after them goes through at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_writes_leave_no_transaction_open() {
    use siyu_store::{ImportStatus, ImportStore, ImportValidation, NewImport};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("c.db")).await.unwrap());
    store.migrate().await.unwrap();
    let t = siyu_store::domain::Timestamp::from_millis(1_750_000_000_000);
    let new = |i: u32| NewImport {
        file_name: format!("f{i}.csv"),
        stored_path: String::new(),
        mapping_json: "{}".into(),
        created_by: None,
        created_at: t,
    };
    for i in 0..400u32 {
        let id = store.create_import(&new(i)).await.unwrap();
        // Cut each write off after a different few microseconds, around the moment BEGIN completes.
        let v = ImportValidation {
            status: ImportStatus::Validated,
            headers_json: "[]".into(),
            file_error: None,
            total_rows: 0,
            good_rows: 0,
            bad_rows: 0,
            preview: siyu_store::UpsertCounts::default(),
            remembered_mapping: None,
        };
        let write = store.record_validation(id, &v, &[], t);
        let _ = tokio::time::timeout(std::time::Duration::from_micros(u64::from(i % 40) * 5), write).await;
    }
    let late = tokio::time::timeout(std::time::Duration::from_secs(2), store.create_import(&new(9999))).await;
    assert!(matches!(late, Ok(Ok(_))), "a write after abandoned ones must not wait for a stranded lock: {late:?}");
}
