//! What each subcommand does.

use std::sync::Arc;

use anyhow::Context;
use siyu::clock::SystemClock;
use siyu::config::Config;
use siyu::{demo, startup};
use siyu_app::caller::Caller;
use siyu_app::jobs;
use siyu_app::services::imports;
use siyu_app::state::AppState;
use siyu_domain::scope::{Actor, ApiScope};
use siyu_store::ImportStatus;
use tokio::sync::watch;

use crate::cli::{Cli, Command};
use crate::progress::Bar;

pub async fn run(args: Cli) -> anyhow::Result<()> {
    let mut config = siyu::config::load(args.config.as_deref()).context("reading configuration")?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Command::PrintDefaultConfig = args.command {
        print!("{}", siyu::config::default_toml());
        return Ok(());
    }
    init_logging(&config.log);
    tracing::debug!(?config, "configuration");
    match args.command {
        Command::Serve(a) => {
            if let Some(b) = a.bind {
                config.server.bind = b;
            }
            serve(config, None).await
        }
        Command::Demo(a) => {
            if let Some(b) = a.bind {
                config.server.bind = b;
            }
            serve(config, Some(a.customers)).await
        }
        Command::Migrate => {
            startup::ensure_data_dir(&config)?;
            startup::open_store(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Import(a) => import(config, a).await,
        Command::CreateAdmin(a) => create_admin(config, a).await,
        Command::Bench(b) => crate::bench::run(b).await,
        Command::PrintDefaultConfig => unreachable!("handled above"),
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour).with_writer(std::io::stderr).try_init();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn serve(mut config: Config, demo_customers: Option<u64>) -> anyhow::Result<()> {
    startup::ensure_data_dir(&config)?;
    let store = startup::open_store(&config).await?;
    let vault = startup::load_vault(&config, demo_customers.is_some())?;
    let clock = Arc::new(SystemClock);
    let mut fresh_demo = false;
    let logins = match demo_customers {
        Some(n) => {
            let now = siyu_domain::Clock::now(&*clock);
            match demo::seed_if_empty(&*store, &vault, n, now).await? {
                Some(l) => {
                    eprintln!("loaded the demo bank: {n} customers");
                    fresh_demo = true;
                    Some(l)
                }
                None => Some(demo::logins(&*store).await?),
            }
        }
        None => None,
    };
    let fake = match demo_customers {
        Some(_) => demo::fake_wecom(&mut config, &*store).await?,
        None => None,
    };
    let bind = config.server.bind.clone();
    let wecom = startup::wecom_runtime(&config)?;
    let mut state = AppState::new(store, vault, config, clock);
    if let Some(rt) = wecom {
        state = state.with_wecom(rt);
    }
    state.demo_customers = fake.clone().map(|f| Arc::new(demo::scans::FakeCustomers(f)) as _);
    let state = state.load_engine().await?;
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (is another server running there?)"))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    // The scheduler first queues a refresh: rule tags and audiences catch up with anything written
    // while the server was down.
    let workers = jobs::start(&state, &stop_rx);
    println!("siyu is running: http://{bind}/");
    if let Some(logins) = logins {
        println!("demo logins (password: {}):", demo::DEMO_PASSWORD);
        for l in logins.iter().take(40) {
            println!("  {:<12} {:<20} {}", l.username, l.role.as_str(), l.unit);
        }
    }
    if fresh_demo && let Some(fake) = fake {
        // Channel codes and a few scanning customers, once the server is listening for their callbacks.
        let st = state.clone();
        tokio::spawn(async move {
            if let Err(e) = demo::seed_wecom(&st, &fake).await {
                tracing::warn!(error = %e, "could not seed the demo's WeCom");
            }
        });
    }
    let limits = siyu_web::serve::ServeLimits::from_config(&state.config.server);
    let app = siyu_web::router(state);
    siyu_web::serve::serve(listener, app, limits, shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), w).await;
    }
    Ok(())
}

/// The command line acts as a system with the import scope; the audit log names it `token:cli`.
fn cli_caller() -> Caller {
    Caller {
        actor: Actor::System {
            token_name: "cli".into(),
            scopes: vec![ApiScope::CustomersImport, ApiScope::CustomersRead],
        },
        staff: None,
        csrf: None,
        ip: "cli".into(),
    }
}

async fn import(config: Config, a: crate::cli::ImportArgs) -> anyhow::Result<()> {
    startup::ensure_data_dir(&config)?;
    let store = startup::open_store(&config).await?;
    let vault = startup::load_vault(&config, false)?;
    let state = AppState::new(store, vault, config, Arc::new(SystemClock));
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let name = a.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let caller = cli_caller();
    let id =
        imports::store_upload(&state, &caller, &name, bytes, &a.mapping).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = Bar::new("checking");
    imports::validate_now(&state, &caller, id, &|n| bar.set(n, None)).await?;
    bar.finish();
    let rec = state.store.import(id).await?;
    if matches!(rec.status, ImportStatus::Rejected | ImportStatus::NeedsMapping) {
        anyhow::bail!(
            "{}: {}",
            name,
            rec.file_error
                .map(|e| siyu_app::stored_text::decode(&e).render(siyu_domain::lang::Lang::Zh))
                .unwrap_or_default()
        );
    }
    let p = rec.preview;
    println!(
        "{id}: {} rows, {} good ({} new, {} updated, {} unchanged), {} rejected",
        rec.total_rows, rec.good_rows, p.inserted, p.updated, p.unchanged, rec.bad_rows
    );
    let problems = imports::problems(&state, &caller, id, siyu_store::Page::first(20))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for p in &problems.items {
        println!(
            "  row {:>7}  {:<16} {}",
            p.row_no,
            p.column,
            siyu_app::stored_text::decode(&p.message).render(siyu_domain::lang::Lang::Zh)
        );
    }
    if problems.total > problems.items.len() as i64 {
        println!("  … {} problems in all", problems.total);
    }
    if rec.bad_rows > 0 {
        let out = a.file.with_extension("rejected.csv");
        let csv = imports::rejected_csv(&state, &caller, id, siyu_domain::lang::Lang::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let csv = csv.collect().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(&out, csv).with_context(|| format!("writing {}", out.display()))?;
        println!("rejected rows with reasons: {}", out.display());
    }
    if a.dry_run || rec.good_rows == 0 {
        println!("dry run: nothing written");
        return Ok(());
    }
    let bar = Bar::new("importing");
    let counts = imports::commit_now(&state, &caller, id, &|done, total| bar.set(done, Some(total))).await?;
    bar.finish();
    println!("{id}: {} inserted, {} updated, {} unchanged", counts.inserted, counts.updated, counts.unchanged);
    Ok(())
}

async fn create_admin(config: Config, a: crate::cli::CreateAdminArgs) -> anyhow::Result<()> {
    use siyu_domain::org::{OrgUnitKind, Role};
    startup::ensure_data_dir(&config)?;
    let store = startup::open_store(&config).await?;
    siyu_app::auth::password::check_new_password(&a.password).map_err(anyhow::Error::msg)?;
    // The same rule as for members an administrator creates: sign-in refuses names far longer.
    let username = a.username.trim().to_lowercase();
    siyu_app::services::staff::check_username(&username).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = siyu_domain::Clock::now(&SystemClock);
    let units = store.org_units().await?;
    let hq = match units.into_iter().find(|u| u.kind == OrgUnitKind::HeadOffice) {
        Some(hq) => hq,
        None => {
            let new = siyu_store::NewOrgUnit {
                kind: OrgUnitKind::HeadOffice,
                parent_id: None,
                code: "HQ".into(),
                name: "总行".into(),
                location: None,
            };
            store.create_org_unit(&new, now).await?
        }
    };
    let staff = siyu_store::NewStaff {
        username,
        display_name: a.username.clone(),
        role: Role::Admin,
        org_unit_id: hq.id,
        wecom_userid: None,
        password_hash: siyu_app::auth::password::hash_password(&a.password),
    };
    let s = store.create_staff(&staff, now).await?;
    println!("administrator {} created ({})", s.username, s.id);
    Ok(())
}
