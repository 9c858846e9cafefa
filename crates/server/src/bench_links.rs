//! `siyu bench links`: tracked-link opens over real HTTP — keep-alive connections, many at once —
//! against a server on SQLite in a temporary directory, each open verified, queued, group-committed
//! and answered only after its commit. Prints throughput, latency and `links.lost`: opens answered OK
//! minus opens found in the store afterwards (0 is the guarantee).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use siyu::clock::SystemClock;
use siyu::config::Config;
use siyu_app::state::AppState;
use siyu_content::link_token::{DEFAULT_TTL_SECS, LinkToken, Recipient, SharedChannel};
use siyu_content::{Category, ItemKind, Status};
use siyu_domain::Clock;
use siyu_domain::scope::DataScope;
use siyu_store::{ContentDraft, CustomerStore, Page};
use siyu_store_sqlite::SqliteStore;
use siyu_vault::Vault;

/// Customers whose own links are opened (the rest of the opens are of Moments and group links).
const CUSTOMERS: u64 = 500;

pub async fn run(opens: usize, concurrency: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let store = SqliteStore::open(&dir.path().join("bench.db")).await?;
    store.migrate().await?;
    let vault = Vault::new(&[42u8; 32]);
    let now = SystemClock.now();
    let hash = siyu_app::auth::password::hash_password(siyu::demo::DEMO_PASSWORD);
    siyu::demo::seed_organisation(&store, &hash, now).await?;
    siyu::demo::seed_customers(&store, &vault, CUSTOMERS, now).await?;
    let customers =
        store.list_customers(DataScope::All, &Default::default(), Page::first(CUSTOMERS as i64)).await?.items;
    anyhow::ensure!(!customers.is_empty(), "no customers seeded");

    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.jobs.workers = 0;
    // The load comes from one address, however many connections it opens.
    config.server.max_connections_per_ip = 0;
    let state = AppState::new(Arc::new(store), vault, config, Arc::new(SystemClock));
    let check = state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let limits = siyu_web::serve::ServeLimits::from_config(&state.config.server);
    let tokens_state = state.clone();
    let app = siyu_web::router(state);
    tokio::spawn(siyu_web::serve::serve(listener, app, limits, std::future::pending()));

    // One published article; a third of the opens are customers' own links (each a timeline entry),
    // the rest Moments and group links. Tokens are signed before the clock starts.
    let article =
        ContentDraft { title: "认识净值".into(), body: "<p>净值会波动。</p>".into(), ..Default::default() };
    let kind = (ItemKind::Article, Category::FinanceTips);
    let who = siyu::demo::content::authors(&*check.store).await?;
    let version = siyu::demo::content::seed_item(&*check.store, kind, article, Status::Published, who, now).await?;
    let urls: Vec<String> = (0..opens.min(10_000))
        .map(|i| {
            let recipient = match i % 3 {
                0 => Recipient::Customer(customers[i % customers.len()].id),
                1 => Recipient::Shared(SharedChannel::Moments),
                _ => Recipient::Shared(SharedChannel::Group),
            };
            let staff = siyu_domain::StaffId::new(1 + (i % 20) as i64);
            let t = LinkToken::new(version, staff, recipient, now, DEFAULT_TTL_SECS);
            format!("http://{addr}/l/{}", t.encode(|m| tokens_state.vault.link_tag(m)))
        })
        .collect();
    let urls = Arc::new(urls);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..concurrency {
        let (urls, client) = (urls.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut failed, mut busy) = (0usize, 0usize);
            for i in (k..opens).step_by(concurrency) {
                let t = Instant::now();
                match client.get(&urls[i % urls.len()]).send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::FOUND => lat.push(t.elapsed()),
                    Ok(r) if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => busy += 1,
                    _ => failed += 1,
                }
            }
            (lat, failed, busy)
        }));
    }
    let mut latencies = Vec::with_capacity(opens);
    let (mut failed, mut busy) = (0, 0);
    for t in tasks {
        let (l, f, b) = t.await?;
        latencies.extend(l);
        failed += f;
        busy += b;
    }
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(!latencies.is_empty(), "no open was answered ({failed} failed, {busy} busy)");
    let stored = check.store.link_stats(version).await?.opens as i64;
    let answered = latencies.len() as i64;
    latencies.sort();
    println!("links.open.requests: {opens} opens");
    println!("links.open.concurrency: {concurrency} connections");
    println!("links.open.per_s: {:.0} opens/s", answered as f64 / secs);
    println!("links.open.p50: {:.2} ms", crate::bench::pct_ms(&latencies, 0.50));
    println!("links.open.p99: {:.2} ms", crate::bench::pct_ms(&latencies, 0.99));
    println!("links.open.busy: {busy} opens");
    println!("links.open.failed: {failed} opens");
    println!("links.lost: {} opens", answered - stored);
    Ok(())
}
