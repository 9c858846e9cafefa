//! siyu's embedded store: SQLite in WAL mode, one file under the data directory.
//!
//! The SQL shared with PostgreSQL is expanded from `siyu_store::sql`; this crate adds the connection
//! settings, its own migrations and what differs: claiming a job needs no row locks here (SQLite has a
//! single writer), and the batched customer upsert (`upsert.rs`, `bulk.rs`) is built for SQLite's speed.

mod bulk;
mod upsert;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use siyu_store::error::StoreResult;
use siyu_store::migrate::Migration;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use upsert::upsert_in_tx;

/// Append-only: add a file, never edit one. The PostgreSQL tree has the same file names.
pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_foundation.sql", sql: include_str!("../migrations/0001_foundation.sql") },
    Migration { name: "0002_wecom.sql", sql: include_str!("../migrations/0002_wecom.sql") },
    Migration { name: "0003_channel_codes.sql", sql: include_str!("../migrations/0003_channel_codes.sql") },
    Migration { name: "0004_group_chats.sql", sql: include_str!("../migrations/0004_group_chats.sql") },
    Migration { name: "0005_tags.sql", sql: include_str!("../migrations/0005_tags.sql") },
    Migration { name: "0006_audiences.sql", sql: include_str!("../migrations/0006_audiences.sql") },
    Migration {
        name: "0007_drop_customers_updated.sql",
        sql: include_str!("../migrations/0007_drop_customers_updated.sql"),
    },
    Migration { name: "0008_wechat_unionid.sql", sql: include_str!("../migrations/0008_wechat_unionid.sql") },
    Migration {
        name: "0009_partial_unionid_index.sql",
        sql: include_str!("../migrations/0009_partial_unionid_index.sql"),
    },
    Migration { name: "0010_short_blind_index.sql", sql: include_str!("../migrations/0010_short_blind_index.sql") },
    Migration { name: "0011_id_type.sql", sql: include_str!("../migrations/0011_id_type.sql") },
    Migration {
        name: "0012_job_twins_and_channel_rotations.sql",
        sql: include_str!("../migrations/0012_job_twins_and_channel_rotations.sql"),
    },
    Migration { name: "0013_wecom_link_method.sql", sql: include_str!("../migrations/0013_wecom_link_method.sql") },
    Migration { name: "0014_import_friendliness.sql", sql: include_str!("../migrations/0014_import_friendliness.sql") },
    Migration {
        name: "0015_channel_controls_and_qr.sql",
        sql: include_str!("../migrations/0015_channel_controls_and_qr.sql"),
    },
    Migration {
        name: "0016_password_reset_and_handovers.sql",
        sql: include_str!("../migrations/0016_password_reset_and_handovers.sql"),
    },
    Migration { name: "0017_jobs_by_dedupe_key.sql", sql: include_str!("../migrations/0017_jobs_by_dedupe_key.sql") },
    Migration { name: "0019_handover_ended.sql", sql: include_str!("../migrations/0019_handover_ended.sql") },
    Migration { name: "0020_compliance_words.sql", sql: include_str!("../migrations/0020_compliance_words.sql") },
    Migration { name: "0021_products.sql", sql: include_str!("../migrations/0021_products.sql") },
    Migration { name: "0022_content.sql", sql: include_str!("../migrations/0022_content.sql") },
    Migration { name: "0023_media.sql", sql: include_str!("../migrations/0023_media.sql") },
    Migration { name: "0024_link_events.sql", sql: include_str!("../migrations/0024_link_events.sql") },
    Migration {
        name: "0025_content_review_binding.sql",
        sql: include_str!("../migrations/0025_content_review_binding.sql"),
    },
    Migration {
        name: "0026_welcome_from_library.sql",
        sql: include_str!("../migrations/0026_welcome_from_library.sql"),
    },
    Migration { name: "0027_content_sends.sql", sql: include_str!("../migrations/0027_content_sends.sql") },
];

/// A store on one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file. Call [`SqliteStore::migrate`] before use.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode loses at most the last transactions on power loss, never consistency.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // 32 MiB of page cache (default 2 MiB): bulk imports touch index pages all over the tree.
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory")
            // Checkpoint every 64 MiB of WAL rather than every 4 MiB: fewer fsyncs during imports.
            .pragma("wal_autocheckpoint", "16384");
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await.map_err(db_err)?;
        Ok(Self { pool })
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> StoreResult<usize> {
        run_migrations(&self.pool, MIGRATIONS).await
    }

    /// Applies a given list; for tests of the migration rules themselves.
    #[doc(hidden)]
    pub async fn migrate_with(&self, migrations: &[Migration]) -> StoreResult<usize> {
        run_migrations(&self.pool, migrations).await
    }
}

siyu_store::sql_support!(sqlx::Sqlite);
/// Opens a transaction that will write, holding SQLite's write lock from its first statement: a
/// transaction that reads first and writes later fails outright (SQLITE_BUSY_SNAPSHOT) if another
/// connection wrote in between, where waiting for the lock up front just queues it.
///
/// Spawned, so it always finishes: after `BEGIN IMMEDIATE` has run, sqlx awaits once more (to check
/// it), and a caller dropped right then would hand the connection back to the pool still inside the
/// transaction, holding the write lock. Finished, the transaction rolls back when its owner drops it.
async fn begin_write(pool: &SqlitePool) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
        .await
        .map_err(|e| siyu_store::StoreError::Database(format!("opening a transaction: {e}")))?
        .map_err(db_err)
}

/// `column IN (ids)`, the ids bound as one JSON array that `json_each` reads back: SQLite has no array
/// parameters, and one bound list keeps one statement text (and one cached statement) whatever the
/// number of units, far inside the cap on parameters.
fn push_one_of(qb: &mut Qb<'_>, column: &str, ids: &[i64]) {
    let list = format!("[{}]", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    qb.push(format!("{column} IN (SELECT value FROM json_each(")).push_bind(list).push("))");
}

siyu_store::sql_org!(SqliteStore);
siyu_store::sql_staff!(SqliteStore);
siyu_store::sql_customers!(SqliteStore);
siyu_store::sql_imports!(SqliteStore);
siyu_store::sql_jobs!(SqliteStore, "");
siyu_store::sql_audit!(SqliteStore);
siyu_store::sql_sessions!(SqliteStore);
siyu_store::sql_wecom!(SqliteStore);
siyu_store::sql_channels!(SqliteStore);
siyu_store::sql_groups!(SqliteStore);
siyu_store::sql_tags!(SqliteStore);
siyu_store::sql_audiences!(SqliteStore);
siyu_store::sql_figures!(SqliteStore);
siyu_store::sql_handovers!(SqliteStore);
siyu_store::sql_compliance!(SqliteStore);
siyu_store::sql_products!(SqliteStore);
siyu_store::sql_links!(SqliteStore);
siyu_store::sql_sends!(SqliteStore);
siyu_store::sql_content!(SqliteStore);
siyu_store::sql_media!(SqliteStore);

#[async_trait::async_trait]
impl siyu_store::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }
}
