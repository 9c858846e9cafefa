//! `siyu bench …`: measurements printed one per line as `name: value unit`, so runs can be compared.

use siyu_app::jobs::Job;
use siyu_app::wecom::events::ApplyCallback;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use rand::SeedableRng;
use rand::rngs::StdRng;
use siyu::clock::SystemClock;
use siyu::config::Config;
use siyu_app::services::imports;
use siyu_app::state::AppState;
use siyu_domain::Clock;
use siyu_domain::customer::Gender;
use siyu_domain::scope::{Actor, ApiScope};
use siyu_store::{ImportStatus, Store};
use siyu_store_postgres::PgStore;
use siyu_store_sqlite::SqliteStore;
use siyu_vault::Vault;

use crate::cli::BenchCommand;

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Import { rows, postgres_url } => import(rows, &postgres_url).await,
        BenchCommand::Export { customers } => crate::bench_export::run(customers.max(1)).await,
        BenchCommand::WecomCallback { requests, concurrency } => wecom_callback(requests, concurrency.max(1)).await,
        BenchCommand::Audience { customers, tags, postgres_url, no_postgres } => {
            let pg = (!no_postgres).then_some(postgres_url.as_str());
            crate::bench_audience::run(customers.max(1000), tags.max(10), pg).await
        }
        BenchCommand::Links { opens, concurrency } => crate::bench_links::run(opens.max(1), concurrency.max(1)).await,
    }
}

/// A customer file of `rows` rows for the demo organisation, as the bank would send it.
fn synthetic_csv(rows: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(99);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let mut out = String::with_capacity(rows as usize * 160);
    out.push_str("customer_no,name,phone,id_number,gender,birthday,sub_branch_code,owner,aum_tier,payroll_day,credit_card,wealth,loan,risk_grade,risk_assessed_on,consent_1v1,consent_moments,consent_group,consent_personalised\n");
    let subs = ["SH01", "SH02", "SH03", "HZ01", "HZ02", "HZ03", "NJ01", "NJ02", "NJ03"];
    for no in 0..rows {
        let sub = subs[(no % 9) as usize];
        let c = siyu::demo::customer(&mut rng, no, "310101", siyu_domain::OrgUnitId::new(1), &[], today);
        let owner = format!("cm_{}_{}", sub.to_lowercase(), 1 + no % 2);
        let b = |x: bool| if x { "1" } else { "0" };
        let _ = writeln!(
            out,
            "B{no:09},{},{},{},{},{},{sub},{owner},{},{},{},{},{},{},{},{},{},{},{}",
            c.name,
            c.phone.unwrap_or_default(),
            c.id_number.unwrap_or_default(),
            if c.gender == Gender::Female { "女" } else { "男" },
            c.birthday.map(|d| d.to_string()).unwrap_or_default(),
            c.aum_tier.get(),
            c.segments.payroll_day.map(|d| d.to_string()).unwrap_or_default(),
            b(c.segments.credit_card),
            b(c.segments.wealth),
            b(c.segments.loan),
            c.risk.map(|r| format!("C{}", r.grade.get())).unwrap_or_default(),
            c.risk.map(|r| r.assessed_on.to_string()).unwrap_or_default(),
            b(c.consent.one_to_one),
            b(c.consent.moments),
            b(c.consent.group),
            b(c.consent.personalised),
        );
    }
    out.into_bytes()
}

/// Runs upload → dry run → commit on `store` and prints the rates under `import.<backend>.*`.
async fn measure(store: Arc<dyn Store>, data_dir: &std::path::Path, csv: &[u8], rows: u64) -> anyhow::Result<()> {
    let backend = store.backend();
    let now = SystemClock.now();
    let hash = siyu_app::auth::password::hash_password(siyu::demo::DEMO_PASSWORD);
    siyu::demo::seed_organisation(&*store, &hash, now).await?;
    let config = Config { data_dir: data_dir.to_path_buf(), ..Config::default() };
    let state = AppState::new(store, Vault::new(&[42u8; 32]), config, Arc::new(SystemClock));
    let caller = siyu_app::caller::Caller {
        actor: Actor::System { token_name: "bench".into(), scopes: vec![ApiScope::CustomersImport] },
        staff: None,
        csrf: None,
        ip: "bench".into(),
    };
    let id = imports::store_upload(&state, &caller, "bench.csv", csv.to_vec(), "")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    imports::validate_now(&state, &caller, id, &|_| {}).await?;
    let dry = t.elapsed().as_secs_f64();
    let rec = state.store.import(id).await?;
    anyhow::ensure!(
        rec.status == ImportStatus::Validated && rec.bad_rows == 0,
        "synthetic file did not validate: {rec:?}"
    );
    state.store.start_commit(id, SystemClock.now()).await?;
    let t = Instant::now();
    let counts = imports::commit_now(&state, &caller, id, &|_, _| {}).await?;
    let commit = t.elapsed().as_secs_f64();
    anyhow::ensure!(counts.inserted == rows as i64, "expected {rows} inserted, got {counts:?}");
    println!("import.{backend}.dry_run_rows_per_s: {:.0} rows/s", rows as f64 / dry);
    println!("import.{backend}.rows_per_s: {:.0} rows/s", rows as f64 / commit);
    println!("import.{backend}.commit_seconds: {commit:.2} s");
    Ok(())
}

async fn import(rows: u64, postgres_url: &str) -> anyhow::Result<()> {
    let csv = synthetic_csv(rows);
    println!("import.rows: {rows} rows");
    println!("import.file_size: {:.1} MiB", csv.len() as f64 / (1 << 20) as f64);

    let dir = tempfile::tempdir().context("temporary directory")?;
    let sqlite = SqliteStore::open(&dir.path().join("bench.db")).await?;
    sqlite.migrate().await?;
    measure(Arc::new(sqlite), dir.path(), &csv, rows).await?;

    let schema = format!("siyu_bench_{}", std::process::id());
    match PgStore::connect(postgres_url, Some(&schema), 8).await {
        Ok(pg) => {
            pg.migrate().await?;
            let result = measure(Arc::new(pg), dir.path(), &csv, rows).await;
            PgStore::drop_schema(postgres_url, &schema).await?;
            result?;
        }
        Err(e) => eprintln!("import.postgres skipped: {e}"),
    }
    Ok(())
}

/// Serves siyu with WeCom configured (SQLite, no workers, so only the request path is measured), fires
/// `requests` distinct, correctly signed add events at it from `concurrency` connections, and prints
/// throughput and latency percentiles.
async fn wecom_callback(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    use siyu_wecom::crypto::CallbackCrypto;
    use siyu_wecom::fake::FakeConfig;

    let dir = tempfile::tempdir().context("temporary directory")?;
    let store = SqliteStore::open(&dir.path().join("bench.db")).await?;
    store.migrate().await?;
    let fake = FakeConfig::default();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.jobs.workers = 0;
    // The load comes from one address, however many connections it opens.
    config.server.max_connections_per_ip = 0;
    config.wecom = siyu::config::WecomConfig {
        enabled: true,
        api_base: "http://127.0.0.1:9".into(),
        corp_id: fake.corp_id.clone(),
        secret: siyu::config::Secret(fake.secret.clone()),
        agent_id: fake.agent_id,
        callback_token: siyu::config::Secret(fake.callback_token.clone()),
        callback_aes_key: siyu::config::Secret(fake.encoding_aes_key.clone()),
        callback_window_secs: 300,
    };
    let rt = siyu::startup::wecom_runtime(&config)?.context("wecom enabled")?;
    let state = AppState::new(Arc::new(store), Vault::new(&[42u8; 32]), config, Arc::new(SystemClock)).with_wecom(rt);
    let check = state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let limits = siyu_web::serve::ServeLimits::from_config(&state.config.server);
    let app = siyu_web::router(state);
    tokio::spawn(siyu_web::serve::serve(listener, app, limits, std::future::pending()));

    // Every request is built (encrypted and signed) before the clock starts.
    let crypto = CallbackCrypto::new(&fake.callback_token, &fake.encoding_aes_key, &fake.corp_id)?;
    let now = SystemClock.now().millis() / 1000;
    let url = format!("http://{addr}/wecom/callback");
    let prepared: Vec<(String, String)> = (0..requests)
        .map(|i| {
            let xml = format!(
                "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{now}</CreateTime>\
                 <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>\
                 <ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[cm_{}]]></UserID>\
                 <ExternalUserID><![CDATA[wmbench{i:010}]]></ExternalUserID><State><![CDATA[ch_1]]></State></xml>",
                fake.corp_id,
                i % 50
            );
            let enc = crypto.encrypt(&xml);
            let nonce = format!("n{i}");
            let sig = crypto.sign(&now.to_string(), &nonce, &enc);
            let query = format!("{url}?msg_signature={sig}&timestamp={now}&nonce={nonce}");
            let body = format!("<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>", fake.corp_id);
            (query, body)
        })
        .collect();
    let prepared = Arc::new(prepared);
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..concurrency {
        let (prepared, client) = (prepared.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0usize;
            for (q, body) in prepared.iter().skip(k).step_by(concurrency) {
                let t = Instant::now();
                match client.post(q).body(body.clone()).send().await {
                    Ok(r) if r.status().is_success() => lat.push(t.elapsed()),
                    _ => failed += 1,
                }
            }
            (lat, failed)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await?;
        latencies.extend(l);
        failed += f;
    }
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(failed == 0, "{failed} callbacks were not accepted");
    let queued = check
        .store
        .list_jobs(
            &siyu_store::JobFilter { status: None, kind: Some(<ApplyCallback as Job>::NAME.into()) },
            siyu_store::Page::first(1),
        )
        .await?
        .total;
    anyhow::ensure!(queued == requests as i64, "{queued} jobs queued for {requests} callbacks");
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    println!("wecom.callback.requests: {requests} requests");
    println!("wecom.callback.concurrency: {concurrency} connections");
    println!("wecom.callback.throughput: {:.0} /s", requests as f64 / secs);
    println!("wecom.callback.p50: {:.2} ms", pct(0.50));
    println!("wecom.callback.p99: {:.2} ms", pct(0.99));
    Ok(())
}

/// Percentile of sorted durations, in milliseconds.
pub fn pct_ms(sorted: &[std::time::Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}
