//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "siyu", version, about = "siyu (私域): customer operations for banks over WeCom")]
pub struct Cli {
    /// Configuration file (default: ./siyu.toml if it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite file, PII key, uploads); overrides the config.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and the API.
    Serve(ServeArgs),
    /// Serve with a demo bank loaded into an empty database (creates the data directory and PII key).
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Import a customer file (CSV or XLSX) from the command line, with a progress bar.
    Import(ImportArgs),
    /// Create an administrator in a fresh installation.
    CreateAdmin(CreateAdminArgs),
    /// Print the default configuration as TOML.
    PrintDefaultConfig,
    /// Measure and print figures (`name: value unit`).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub bind: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (the default).
    #[arg(long)]
    pub bind: Option<String>,
    /// Customers to generate when the database is empty.
    #[arg(long, default_value_t = 5000)]
    pub customers: u64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// Header overrides as JSON, e.g. '{"手机":"phone","备注":"ignore"}'.
    #[arg(long, default_value = "")]
    pub mapping: String,
    /// Check every row and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct CreateAdminArgs {
    /// The administrator's login name.
    #[arg(long)]
    pub username: String,
    /// Read from the SIYU_ADMIN_PASSWORD variable if not given.
    #[arg(long, env = "SIYU_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: String,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import throughput on SQLite and PostgreSQL (parse, validate, encrypt, upsert).
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// PostgreSQL to measure against (default: the local test server); skipped if unreachable.
        #[arg(long, env = "SIYU_BENCH_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
        postgres_url: String,
    },
    /// The audience engine on synthetic customers: count latency, materialisation, memory, updates.
    Audience {
        #[arg(long, default_value_t = 10_000_000)]
        customers: u32,
        /// Tags, spread Zipf-like (a few common, many rare).
        #[arg(long, default_value_t = 500)]
        tags: u32,
        /// PostgreSQL to run the same expression on, side by side (skipped if unreachable).
        #[arg(long, env = "SIYU_BENCH_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
        postgres_url: String,
        /// Measure the index alone.
        #[arg(long)]
        no_postgres: bool,
    },
    /// A whole-bank audience exported as CSV and XLSX: rows per second and the memory each export added.
    Export {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
    },
    /// WeCom callbacks over HTTP: verify + decrypt + de-duplicate + enqueue, throughput and latency.
    WecomCallback {
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Tracked-link opens over HTTP: verify + record (group commit) + redirect, throughput, latency, lost.
    Links {
        #[arg(long, default_value_t = 100_000)]
        opens: usize,
        /// Connections opening at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
}
