//! `siyu bench export`: a whole-bank audience exported as CSV and XLSX, with the memory it took.
//!
//! Peak memory is read from the kernel (`VmHWM`), reset just before each export (`clear_refs`), so the
//! figure is what the export added on top of the loaded engine and store, not what loading cost.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use siyu::clock::SystemClock;
use siyu::config::Config;
use siyu_app::services::{audiences, export};
use siyu_app::state::AppState;
use siyu_domain::org::Role;
use siyu_domain::scope::Actor;
use siyu_domain::{Clock, OrgUnitId, StaffId};
use siyu_store_sqlite::SqliteStore;
use siyu_vault::Vault;

/// Resident memory: now, and the high-water mark since the last reset, in MiB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub async fn run(customers: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let store = SqliteStore::open(&dir.path().join("bench.db")).await?;
    store.migrate().await?;
    let hash = siyu_app::auth::password::hash_password(siyu::demo::DEMO_PASSWORD);
    let now = SystemClock.now();
    siyu::demo::seed_organisation(&store, &hash, now).await?;
    let vault = Vault::new(&[42u8; 32]);
    siyu::demo::seed_customers(&store, &vault, customers, now).await?;
    let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    let state = AppState::new(Arc::new(store), vault, config, Arc::new(SystemClock)).load_engine().await?;
    let caller = siyu_app::caller::Caller {
        actor: Actor::Staff { id: StaffId::new(1), role: Role::Admin, org_unit_id: OrgUnitId::new(1) },
        staff: None,
        csrf: None,
        ip: "bench".into(),
    };
    let form =
        audiences::AudienceForm { name: "全行".into(), expr: "aum_tier >= 1".into(), description: String::new() };
    let a = audiences::create(&state, &caller, &form).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("export.customers: {customers} customers");
    for format in [export::Format::Csv, export::Format::Xlsx] {
        let name = format.extension();
        // Writing 5 to clear_refs resets the high-water mark to the present size.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (before, _) = rss();
        let t = Instant::now();
        let mut d = export::audience(&state, &caller, a.id, format, siyu_domain::import_template::FileLang::Zh)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let rows = d.rows;
        let mut bytes = 0usize;
        while let Some(chunk) = d.body.recv().await {
            bytes += chunk.map_err(|e| anyhow::anyhow!("{e}"))?.len();
        }
        let secs = t.elapsed().as_secs_f64();
        let (_, peak) = rss();
        anyhow::ensure!(rows == customers, "exported {rows} of {customers}");
        println!("export.{name}.rows_per_s: {:.0} rows/s", rows as f64 / secs);
        println!("export.{name}.file_size: {:.1} MiB", bytes as f64 / (1 << 20) as f64);
        println!("export.{name}.rss_before: {before:.1} MiB");
        println!("export.{name}.peak_rss_added: {:.1} MiB", peak - before);
    }
    Ok(())
}
