//! siyu's production store: PostgreSQL, optionally inside a schema of its own.
//!
//! The SQL shared with SQLite is expanded from `siyu_store::sql`; this crate adds the connection
//! settings, its own migrations, and row locking for job claims (`FOR UPDATE SKIP LOCKED`, so workers on
//! several machines pass over each other's jobs instead of queueing behind them).
//!
//! A schema per store lets several siyu instances (or test runs) share one database without seeing each
//! other's tables.

mod upsert;

use std::str::FromStr;

use siyu_store::error::StoreResult;
use siyu_store::migrate::Migration;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use upsert::upsert_in_tx;

/// Append-only: add a file, never edit one. The SQLite tree has the same file names.
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

/// A store on one PostgreSQL database (and schema).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

/// A schema name we are willing to splice into DDL: lower-case letters, digits and underscores.
fn valid_schema(s: &str) -> bool {
    !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PgStore {
    /// Connects to `url`; with `schema`, creates it if needed and keeps every table in it.
    pub async fn connect(url: &str, schema: Option<&str>, max_connections: u32) -> StoreResult<Self> {
        let mut opts = PgConnectOptions::from_str(url).map_err(db_err)?;
        if let Some(schema) = schema {
            if !valid_schema(schema) {
                return Err(siyu_store::StoreError::Database(format!("invalid schema name {schema:?}")));
            }
            let mut conn = sqlx::PgConnection::connect_with(&opts).await.map_err(db_err)?;
            sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(&mut conn).await.map_err(db_err)?;
            conn.close().await.map_err(db_err)?;
            opts = opts.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new().max_connections(max_connections).connect_with(opts).await.map_err(db_err)?;
        Ok(Self { pool })
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> StoreResult<usize> {
        run_migrations(&self.pool, MIGRATIONS).await
    }

    /// Drops a schema and everything in it; for test clean-up.
    #[doc(hidden)]
    pub async fn drop_schema(url: &str, schema: &str) -> StoreResult<()> {
        if !valid_schema(schema) {
            return Err(siyu_store::StoreError::Database(format!("invalid schema name {schema:?}")));
        }
        let opts = PgConnectOptions::from_str(url).map_err(db_err)?;
        let mut conn = sqlx::PgConnection::connect_with(&opts).await.map_err(db_err)?;
        sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut conn).await.map_err(db_err)?;
        conn.close().await.map_err(db_err)
    }

    /// Schemas whose names start with `prefix`; for test clean-up.
    #[doc(hidden)]
    pub async fn schemas_like(url: &str, prefix: &str) -> StoreResult<Vec<String>> {
        let opts = PgConnectOptions::from_str(url).map_err(db_err)?;
        let mut conn = sqlx::PgConnection::connect_with(&opts).await.map_err(db_err)?;
        let names =
            sqlx::query_scalar("SELECT schema_name::text FROM information_schema.schemata WHERE schema_name LIKE $1")
                .bind(format!("{prefix}%"))
                .fetch_all(&mut conn)
                .await
                .map_err(db_err)?;
        conn.close().await.map_err(db_err)?;
        Ok(names)
    }
}

siyu_store::sql_support!(sqlx::Postgres);

/// Opens a transaction that will write (row locks are taken as it goes).
async fn begin_write(pool: &PgPool) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    pool.begin().await.map_err(db_err)
}

/// `column = ANY(ids)`, the ids bound as one `bigint[]`: one statement text whatever the number of units.
fn push_one_of(qb: &mut Qb<'_>, column: &str, ids: &[i64]) {
    qb.push(format!("{column} = ANY(")).push_bind(ids.to_vec()).push(")");
}

siyu_store::sql_org!(PgStore);
siyu_store::sql_staff!(PgStore);
siyu_store::sql_customers!(PgStore);
siyu_store::sql_imports!(PgStore);
siyu_store::sql_jobs!(PgStore, "FOR UPDATE SKIP LOCKED");
siyu_store::sql_audit!(PgStore);
siyu_store::sql_sessions!(PgStore);
siyu_store::sql_wecom!(PgStore);
siyu_store::sql_channels!(PgStore);
siyu_store::sql_groups!(PgStore);
siyu_store::sql_tags!(PgStore);
siyu_store::sql_audiences!(PgStore);
siyu_store::sql_figures!(PgStore);
siyu_store::sql_handovers!(PgStore);
siyu_store::sql_compliance!(PgStore);
siyu_store::sql_products!(PgStore);
siyu_store::sql_links!(PgStore);
siyu_store::sql_sends!(PgStore);
siyu_store::sql_content!(PgStore);
siyu_store::sql_media!(PgStore);

#[async_trait::async_trait]
impl siyu_store::Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }
}
