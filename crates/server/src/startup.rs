//! Opening what the server needs from its configuration: the store (migrated) and the vault key.

use std::path::Path;
use std::sync::Arc;

use siyu_store::{Store, StoreError};
use siyu_store_postgres::PgStore;
use siyu_store_sqlite::SqliteStore;
use siyu_vault::{Vault, VaultError};

use crate::config::{Backend, Config};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("database.postgres_url is empty; set it (or SIYU_DATABASE__POSTGRES_URL) to use PostgreSQL")]
    NoPostgresUrl,
    #[error(
        "no PII key: set security.pii_key (or SIYU_SECURITY__PII_KEY), or put one in {0}. Generate one with \
         `openssl rand -base64 32`; `siyu demo` creates one for a demo bank"
    )]
    NoKey(String),
    #[error("PII key in {place}: {source}")]
    BadKey { place: String, source: VaultError },
    #[error("wecom: {0}")]
    Wecom(#[from] siyu_wecom::crypto::CryptoError),
    #[error("cannot write the PII key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
}

pub fn ensure_data_dir(config: &Config) -> Result<(), StartupError> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).map_err(|source| StartupError::DataDir { path: dir.display().to_string(), source })
}

/// Opens the configured store and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartupError> {
    match config.database.backend {
        Backend::Sqlite => {
            let store = SqliteStore::open(&config.sqlite_path()).await?;
            let ran = store.migrate().await?;
            tracing::info!(path = %config.sqlite_path().display(), migrations_applied = ran, "SQLite store ready");
            Ok(Arc::new(store))
        }
        Backend::Postgres => {
            if config.database.postgres_url.is_empty() {
                return Err(StartupError::NoPostgresUrl);
            }
            let store = PgStore::connect(
                config.database.postgres_url.expose(),
                config.database.postgres_schema.as_deref(),
                config.database.max_connections,
            )
            .await?;
            let ran = store.migrate().await?;
            tracing::info!(schema = ?config.database.postgres_schema, migrations_applied = ran, "PostgreSQL store ready");
            Ok(Arc::new(store))
        }
    }
}

/// The vault from the configured key, else from the key file; with `create`, a missing key file is
/// generated (readable by the owner only).
pub fn load_vault(config: &Config, create: bool) -> Result<Vault, StartupError> {
    if !config.security.pii_key.is_empty() {
        return Vault::from_base64(config.security.pii_key.expose())
            .map_err(|source| StartupError::BadKey { place: "security.pii_key".into(), source });
    }
    let path = config.pii_key_file();
    if !path.exists() {
        if !create {
            return Err(StartupError::NoKey(path.display().to_string()));
        }
        write_key_file(&path)?;
        tracing::info!(path = %path.display(), "generated a new PII key; back it up with the database");
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|source| StartupError::KeyFile { path: path.display().to_string(), source })?;
    Vault::from_base64(&text).map_err(|source| StartupError::BadKey { place: path.display().to_string(), source })
}

fn write_key_file(path: &Path) -> Result<(), StartupError> {
    use std::io::Write;
    let err = |source| StartupError::KeyFile { path: path.display().to_string(), source };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(err)?;
    f.write_all(Vault::generate_key().as_bytes()).map_err(err)
}

/// The WeCom connection, if `wecom.enabled`.
pub fn wecom_runtime(config: &Config) -> Result<Option<siyu_app::wecom::WecomRuntime>, StartupError> {
    if !config.wecom.enabled {
        return Ok(None);
    }
    Ok(Some(siyu_app::wecom::WecomRuntime::from_config(&config.wecom)?))
}
