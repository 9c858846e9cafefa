//! The `siyu` command: serve the console and API, run the demo bank, migrate, import, benchmark.

mod bench;
mod cli;
mod commands;
mod progress;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(commands::run(args))
}
