//! The settings siyu runs with and their defaults; the binary layers `siyu.toml` and `SIYU_`
//! environment variables over them (`siyu::config`). Secrets print as `<redacted>`.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A value that must never reach a log: `Debug` and `Display` show `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() { "<empty>" } else { "<redacted>" })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite file, the PII key file and uploads live.
    pub data_dir: PathBuf,
    /// Log filter, e.g. `info` or `siyu=debug,sqlx=warn`.
    pub log: String,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub jobs: JobsConfig,
    pub wecom: WecomConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    /// The address customers' phones reach siyu at (`https://siyu.bank.example`), put in front of
    /// the tracked links and pages siyu sends out in WeCom messages. Empty: `http://` and `bind`,
    /// which only a phone on the same network reaches (the demo).
    pub public_url: String,
    /// Cookies always carry `Secure`, however the request arrived. Without it they carry `Secure`
    /// whenever the request came over HTTPS (see `trust_forwarded_proto`).
    pub secure_cookies: bool,
    /// Take a proxy's `X-Forwarded-Proto: https` (or `Forwarded: proto=https`) as "the browser used
    /// HTTPS", so siyu behind a TLS-terminating proxy sets `Secure` cookies with no more setting. On by
    /// default: the header can only ever add `Secure` (a client forging it over plain HTTP only stops
    /// its own browser from sending its cookies back), never take it away. Turn it off only when
    /// browsers reach siyu over plain HTTP through a proxy that wrongly says `https`.
    pub trust_forwarded_proto: bool,
    /// Largest accepted upload (customer files), in MiB.
    pub max_upload_mib: u64,
    /// Seconds a client has to send a request's head (request line and headers), counted from when
    /// the connection opens or the previous answer on it was sent: so this is also how long an idle
    /// keep-alive connection stays open (hyper keeps one clock for both).
    pub header_read_timeout_secs: u64,
    /// Longest pause, in seconds, while a request body is read; a stalled body ends the request and
    /// its connection.
    pub body_read_timeout_secs: u64,
    /// Most seconds a request body may take in all, from the end of its head, on every route but the
    /// uploads (forms and JSON, at most 64 KiB): `body_read_timeout_secs` bounds each pause, this the
    /// whole, so a body trickled a byte at a time cannot hold a connection.
    pub body_total_timeout_secs: u64,
    /// The same for the upload routes (customer files, tag lists). The default, 15 minutes, asks
    /// about 290 KiB/s of an upload of the largest size (`max_upload_mib` 256); raise it with the
    /// upload size or for slow branch links.
    pub upload_total_timeout_secs: u64,
    /// Longest stall, in seconds, while an answer is written (a client that stops reading, say); the
    /// connection is then closed.
    pub write_stall_timeout_secs: u64,
    /// Connections served at once; more wait in the listen queue until one closes.
    pub max_connections: usize,
    /// Connections served at once from one client address; more from it are closed at once, so one
    /// client cannot take every `max_connections` slot. Behind a reverse proxy every connection comes
    /// from the proxy's address: set it to at least `max_connections` there, or 0 for no bound.
    pub max_connections_per_ip: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub backend: Backend,
    /// SQLite file, relative to `data_dir` unless absolute.
    pub sqlite_file: PathBuf,
    /// `postgres://user:password@host/db` — a secret, since it may carry a password.
    pub postgres_url: Secret,
    /// Keep every table in this schema (lets several instances share one database).
    pub postgres_schema: Option<String>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Base64 of 32 random bytes. Empty: read `pii.key` in the data directory (`siyu demo` creates it).
    pub pii_key: Secret,
    pub session_hours: i64,
    /// Failed sign-ins per login name (or per address) before a lock-out.
    pub login_max_failures: u32,
    pub login_lockout_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Worker tasks in this process; 0 runs no jobs here (another process does).
    pub workers: usize,
    pub lease_secs: i64,
    pub poll_millis: u64,
}

/// The WeCom corp and self-built app siyu works through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WecomConfig {
    pub enabled: bool,
    /// `https://qyapi.weixin.qq.com`, or the fake server's address.
    pub api_base: String,
    pub corp_id: String,
    /// The app's secret (the app must be in 客户联系 → 可调用接口的应用).
    pub secret: Secret,
    pub agent_id: i64,
    /// The callback Token and EncodingAESKey set in the WeCom admin console.
    pub callback_token: Secret,
    pub callback_aes_key: Secret,
    /// Callbacks whose timestamp is further than this from now are refused as replays.
    pub callback_window_secs: i64,
}

impl Default for WecomConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            api_base: "https://qyapi.weixin.qq.com".into(),
            corp_id: String::new(),
            secret: Secret::default(),
            agent_id: 0,
            callback_token: Secret::default(),
            callback_aes_key: Secret::default(),
            callback_window_secs: 300,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./siyu-data"),
            log: "info,sqlx=warn".into(),
            server: ServerConfig {
                bind: "127.0.0.1:8080".into(),
                public_url: String::new(),
                secure_cookies: false,
                trust_forwarded_proto: true,
                max_upload_mib: 256,
                header_read_timeout_secs: 10,
                body_read_timeout_secs: 30,
                body_total_timeout_secs: 30,
                upload_total_timeout_secs: 900,
                write_stall_timeout_secs: 30,
                max_connections: 1024,
                max_connections_per_ip: 64,
            },
            database: DatabaseConfig {
                backend: Backend::Sqlite,
                sqlite_file: PathBuf::from("siyu.db"),
                postgres_url: Secret::default(),
                postgres_schema: None,
                max_connections: 16,
            },
            security: SecurityConfig {
                pii_key: Secret::default(),
                session_hours: 12,
                login_max_failures: 5,
                login_lockout_minutes: 15,
            },
            jobs: JobsConfig { workers: 2, lease_secs: 120, poll_millis: 500 },
            wecom: WecomConfig::default(),
        }
    }
}

impl Config {
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join(&self.database.sqlite_file)
    }

    pub fn pii_key_file(&self) -> PathBuf {
        self.data_dir.join("pii.key")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// Where siyu's public pages are reached from outside, without a trailing `/` (see
    /// [`ServerConfig::public_url`]).
    pub fn public_url(&self) -> String {
        let url = self.server.public_url.trim().trim_end_matches('/');
        if url.is_empty() { format!("http://{}", self.server.bind) } else { url.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut c = Config::default();
        c.security.pii_key = Secret("c2VjcmV0".into());
        c.database.postgres_url = Secret("postgres://u:hunter2@db/x".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("c2VjcmV0") && !shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
