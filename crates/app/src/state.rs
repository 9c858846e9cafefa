//! The running application's shared state: the store, the vault, the configuration, the clock, the
//! audience engine, the WeCom connection and the job queue's wake-up, handed to every service call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use siyu_domain::{Clock, ImportId};
use siyu_store::Store;
use siyu_vault::Vault;
use tokio::sync::Notify;

use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::metrics::Metrics;

/// Everything a request handler or a job may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub vault: Arc<Vault>,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub throttle: Arc<LoginThrottle>,
    /// Where passwords are hashed and checked, a few at a time.
    pub passwords: Arc<crate::auth::password::HashingPool>,
    pub metrics: Arc<Metrics>,
    /// Wakes idle workers when a job is queued, so a commit starts at once rather than at the next poll.
    pub jobs_wake: Arc<Notify>,
    /// Rows read so far by running dry runs (commits keep their progress in the store).
    pub import_progress: Arc<ProgressBoard>,
    /// The WeCom connection, when configured.
    pub wecom: Option<Arc<crate::wecom::WecomRuntime>>,
    /// Where accepted callbacks are committed in groups (started with the WeCom connection).
    pub callback_intake: Option<crate::wecom::intake::Intake>,
    /// The demo's made-up customers, when the demo runs against the built-in fake WeCom (enables
    /// "simulate a scan").
    pub demo_customers: Option<Arc<dyn crate::wecom::demo::DemoCustomers>>,
    /// The audience engine: tags, attributes and events as bitmaps, current with every committed write.
    pub engine: Arc<crate::engine::Engine>,
    /// Held across a tag change's store write and its engine update, so two changes of the same
    /// customers cannot reach the store in one order and the engine in the other.
    pub tag_writes: Arc<tokio::sync::Mutex<()>>,
    /// Uploads read, sealed and parsed at once, at most: each may hold a file of the upload limit (and
    /// a copy or two) in memory, so the count is what bounds their sum.
    pub file_work: Arc<tokio::sync::Semaphore>,
    /// Channel codes whose QR image WeCom failed to give lately (see `services::channels::QrFailures`).
    pub qr_failures: Arc<crate::services::channels::QrFailures>,
    /// Where tracked links' events are committed in groups: started by the first event, inside the
    /// runtime (`links::writer`).
    pub link_writer: Arc<std::sync::OnceLock<crate::links::writer::LinkWriter>>,
    /// Where each version's links lead, kept briefly (`links::target`).
    pub link_targets: Arc<crate::links::target::TargetCache>,
}

/// Uploads handled at once (see [`AppState::file_work`]).
pub const FILES_AT_ONCE: usize = 2;

/// In-memory progress of running dry runs, for the console's progress bar.
#[derive(Debug, Default)]
pub struct ProgressBoard(Mutex<HashMap<ImportId, i64>>);

impl ProgressBoard {
    pub fn set(&self, id: ImportId, rows: i64) {
        self.0.lock().expect("progress lock").insert(id, rows);
    }

    pub fn get(&self, id: ImportId) -> Option<i64> {
        self.0.lock().expect("progress lock").get(&id).copied()
    }

    pub fn clear(&self, id: ImportId) {
        self.0.lock().expect("progress lock").remove(&id);
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, vault: Vault, config: Config, clock: Arc<dyn Clock>) -> Self {
        let throttle = LoginThrottle::new(config.security.login_max_failures, config.security.login_lockout_minutes);
        Self {
            store,
            vault: Arc::new(vault),
            config: Arc::new(config),
            clock,
            throttle: Arc::new(throttle),
            passwords: Arc::new(crate::auth::password::HashingPool::default()),
            metrics: Arc::new(Metrics::default()),
            jobs_wake: Arc::new(Notify::new()),
            import_progress: Arc::new(ProgressBoard::default()),
            wecom: None,
            callback_intake: None,
            demo_customers: None,
            engine: Arc::new(crate::engine::Engine::default()),
            tag_writes: Arc::new(tokio::sync::Mutex::new(())),
            file_work: Arc::new(tokio::sync::Semaphore::new(FILES_AT_ONCE)),
            qr_failures: Arc::default(),
            link_writer: Arc::default(),
            link_targets: Arc::default(),
        }
    }

    /// Builds the audience engine from the store; call once the store holds what it should.
    pub async fn load_engine(mut self) -> siyu_store::error::StoreResult<Self> {
        let started = std::time::Instant::now();
        self.engine = Arc::new(crate::engine::Engine::load(&*self.store, self.clock.now()).await?);
        tracing::info!(
            customers = self.engine.customers(),
            ms = started.elapsed().as_millis() as u64,
            "audience engine loaded"
        );
        Ok(self)
    }

    /// Connects WeCom; call inside the runtime (it starts the callback writer task).
    pub fn with_wecom(mut self, rt: crate::wecom::WecomRuntime) -> Self {
        self.wecom = Some(Arc::new(rt));
        self.callback_intake = Some(crate::wecom::intake::Intake::start(&self));
        self
    }

    /// The tracked links' writer, started on first use (call inside the runtime).
    pub fn link_writer(&self) -> &crate::links::writer::LinkWriter {
        self.link_writer.get_or_init(|| crate::links::writer::LinkWriter::start(self))
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.config.uploads_dir()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("backend", &self.store.backend()).finish_non_exhaustive()
    }
}
