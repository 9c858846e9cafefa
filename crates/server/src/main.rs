//! The `siyu` command: serve the console and API, run the demo bank, migrate, import, benchmark.

mod bench;
mod bench_audience;
mod bench_export;
mod bench_links;
mod cli;
mod commands;
mod progress;

use clap::Parser;

/// mimalloc rather than the system allocator: the audience engine allocates and frees megabytes of
/// bitmap containers per count, and glibc hands freed memory back to the kernel only to fault it in
/// again on the next count (measured: a 1M-member copy 0.46 ms with glibc, 0.03 ms with mimalloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(commands::run(args))
}
