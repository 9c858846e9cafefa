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
