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

/// A store on a fresh SQLite file migrated up to (not including) migration `upto`, with the
/// conformance suite's small bank in it.
async fn store_before(
    dir: &std::path::Path,
    upto: &str,
) -> (siyu_store_sqlite::SqliteStore, siyu_store::conformance::Bank) {
    let store = siyu_store_sqlite::SqliteStore::open(&dir.join("old.db")).await.unwrap();
    let before = siyu_store_sqlite::MIGRATIONS.iter().position(|m| m.name == upto).unwrap();
    store.migrate_with(&siyu_store_sqlite::MIGRATIONS[..before]).await.unwrap();
    let bank = siyu_store::conformance::seed_bank(&store).await;
    (store, bank)
}

/// A connection of its own to the file `store_before` made.
async fn old_conn(dir: &std::path::Path) -> sqlx::SqliteConnection {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.join("old.db"));
    <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options).await.unwrap()
}

/// Writes a customer as an older siyu did, naming only the columns of migration 0001 (today's upsert
/// writes columns an old schema lacks), on its own connection to the file.
async fn insert_as_before(
    dir: &std::path::Path,
    no: &str,
    sub_branch: siyu_domain::OrgUnitId,
    phone_index: &[u8],
    id: Option<&[u8]>,
    at: i64,
) {
    let mut conn = old_conn(dir).await;
    sqlx::query(
        "INSERT INTO customers (customer_no, name, phone_cipher, phone_index, phone_masked, id_cipher, id_index, \
         id_masked, gender, sub_branch_id, aum_tier, credit_card, wealth, loan, consent_1v1, consent_moments, \
         consent_group, consent_personalised, created_at, updated_at) \
         VALUES ($1, '客户', x'01', $2, '138****1111', $3, $3, $4, 'female', $5, 2, 0, 0, 0, 0, 0, 0, 0, $6, $6)",
    )
    .bind(no)
    .bind(phone_index)
    .bind(id)
    .bind(id.map(|_| "110***********002X"))
    .bind(sub_branch.get())
    .bind(at)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
}

/// Migration 0010 cuts stored blind indexes from 16 to 8 bytes, the length the vault makes now: a
/// customer stored before it is still found by phone afterwards, and their row is otherwise untouched.
#[tokio::test]
async fn a_phone_indexed_before_0010_is_still_found_after_it() {
    use siyu_domain::customer::PiiField;
    use siyu_domain::scope::DataScope;
    use siyu_store::CustomerStore;

    let dir = tempfile::tempdir().unwrap();
    let (store, bank) = store_before(dir.path(), "0010_short_blind_index.sql").await;
    let now = siyu_domain::Timestamp::from_millis(1_700_000_000_000);

    let vault = siyu_vault::Vault::new(&[7u8; 32]);
    let index = vault.blind_index(PiiField::Phone, "13800001111");
    // What the vault made before: the same HMAC, 16 bytes long.
    insert_as_before(dir.path(), "M1", bank.sb1, &[index.clone(), vec![0xA5; 8]].concat(), None, now.millis()).await;
    // Read as the old schema allows (today's reads name columns it lacks).
    let mut conn = old_conn(dir.path()).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE phone_index = $1")
        .bind(&index)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 0, "not yet");
    sqlx::Connection::close(conn).await.unwrap();

    store.migrate().await.unwrap();
    let found = store.customers_by_phone_index(DataScope::All, &index).await.unwrap();
    assert_eq!(found.iter().map(|c| c.customer_no.as_str()).collect::<Vec<_>>(), ["M1"]);
    assert_eq!(found[0].updated_at, now);
}

/// Migration 0011 records the type of each ID number: every number stored before it was checked as a
/// resident ID number, so it is one; a customer without a number has no type.
#[tokio::test]
async fn an_id_number_stored_before_0011_is_a_resident_id_after_it() {
    use siyu_domain::customer::IdType;
    use siyu_domain::scope::DataScope;
    use siyu_store::CustomerStore;

    let dir = tempfile::tempdir().unwrap();
    let (store, bank) = store_before(dir.path(), "0011_id_type.sql").await;
    let at = 1_700_000_000_000;
    insert_as_before(dir.path(), "M1", bank.sb1, b"index-1", Some(b"sealed id"), at).await;
    insert_as_before(dir.path(), "M2", bank.sb1, b"index-2", None, at).await;

    store.migrate().await.unwrap();
    let m1 = store.customer_by_no(DataScope::All, "M1").await.unwrap();
    assert_eq!((m1.id_type, m1.updated_at.millis()), (Some(IdType::ResidentId), at));
    assert_eq!(store.customer_by_no(DataScope::All, "M2").await.unwrap().id_type, None);
}
