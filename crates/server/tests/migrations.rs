//! Both backends carry the same migration files, in the same order, and register every file they have.

fn files(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    v.sort();
    v
}

#[test]
fn both_trees_have_the_same_registered_migrations() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let sqlite = files(&format!("{root}/store-sqlite/migrations"));
    let postgres = files(&format!("{root}/store-postgres/migrations"));
    assert_eq!(sqlite, postgres, "the same file names in both trees");
    let names = |m: &[siyu_store::migrate::Migration]| m.iter().map(|m| m.name.to_owned()).collect::<Vec<_>>();
    assert_eq!(names(siyu_store_sqlite::MIGRATIONS), sqlite, "every SQLite file registered, in order");
    assert_eq!(names(siyu_store_postgres::MIGRATIONS), postgres, "every PostgreSQL file registered, in order");
}

/// Migration 0010 cuts stored blind indexes from 16 to 8 bytes, the length the vault makes now: a
/// customer stored before it is still found by phone afterwards, and their row is otherwise untouched.
#[tokio::test]
async fn a_phone_indexed_before_0010_is_still_found_after_it() {
    use siyu_domain::customer::PiiField;
    use siyu_domain::scope::DataScope;
    use siyu_store::{CustomerStore, UpsertFields};

    let dir = tempfile::tempdir().unwrap();
    let store = siyu_store_sqlite::SqliteStore::open(&dir.path().join("old.db")).await.unwrap();
    let before = siyu_store_sqlite::MIGRATIONS.iter().position(|m| m.name == "0010_short_blind_index.sql").unwrap();
    store.migrate_with(&siyu_store_sqlite::MIGRATIONS[..before]).await.unwrap();
    let now = siyu_domain::Timestamp::from_millis(1_700_000_000_000);
    let bank = siyu_store::conformance::seed_bank(&store).await;

    let vault = siyu_vault::Vault::new(&[7u8; 32]);
    let index = vault.blind_index(PiiField::Phone, "13800001111");
    let mut old = siyu_store::conformance::customer("M1", bank.sb1, None);
    // What the vault made before: the same HMAC, 16 bytes long.
    old.phone.as_mut().unwrap().index = [index.clone(), vec![0xA5; 8]].concat();
    store.upsert_customers(&[old], &UpsertFields::all(), now).await.unwrap();
    assert!(store.customers_by_phone_index(DataScope::All, &index).await.unwrap().is_empty(), "not yet");

    store.migrate().await.unwrap();
    let found = store.customers_by_phone_index(DataScope::All, &index).await.unwrap();
    assert_eq!(found.iter().map(|c| c.customer_no.as_str()).collect::<Vec<_>>(), ["M1"]);
    assert_eq!(found[0].updated_at, now);
}
