//! The worker loop over the real queue: handlers run, failures back off and end as failed with their
//! error, two workers never run one job twice, and a job whose worker died runs again.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use siyu::config::Config;
use siyu_app::jobs::{JobContext, JobError, JobHandler, Registry, run_next};
use siyu_app::state::AppState;
use siyu_domain::clock::ManualClock;
use siyu_domain::job::{JobStatus, NewJob};
use siyu_domain::{Clock, JobId, Timestamp};
use siyu_store_sqlite::SqliteStore;
use siyu_vault::Vault;

const T0: Timestamp = Timestamp::from_millis(1_780_000_000_000);

async fn state() -> (AppState, Arc<ManualClock>, tempfile::TempDir) {
    state_with_lease(Config::default().jobs.lease_secs).await
}

async fn state_with_lease(lease_secs: i64) -> (AppState, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("j.db")).await.unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::at(T0));
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.jobs.lease_secs = lease_secs;
    (AppState::new(Arc::new(store), Vault::new(&[1; 32]), config, clock.clone()), clock, dir)
}

/// Records which jobs it ran.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<JobId>>>);

#[async_trait]
impl JobHandler for Recorder {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        tokio::task::yield_now().await;
        self.0.lock().unwrap().push(ctx.job.id);
        Ok(())
    }
}

struct AlwaysFails;

#[async_trait]
impl JobHandler for AlwaysFails {
    async fn run(&self, _: &JobContext<'_>) -> Result<(), JobError> {
        Err(JobError::Retry("the core banking feed is down".into()))
    }
}

#[tokio::test]
async fn a_failing_job_backs_off_then_fails_with_its_error() {
    let (state, clock, _dir) = state().await;
    let mut reg = Registry::default();
    reg.add("test.fail", AlwaysFails);
    let mut job = NewJob::now("test.fail", "{}".into(), T0);
    job.max_attempts = 3;
    let id = state.store.enqueue(&job).await.unwrap().unwrap();
    assert!(run_next(&state, &reg, "w").await.unwrap());
    let j = state.store.job(id).await.unwrap();
    assert_eq!((j.status, j.attempts, j.run_at), (JobStatus::Queued, 1, T0.plus_secs(5)));
    assert!(!run_next(&state, &reg, "w").await.unwrap(), "not due during the backoff");
    clock.advance_secs(5);
    assert!(run_next(&state, &reg, "w").await.unwrap());
    assert_eq!(state.store.job(id).await.unwrap().run_at, T0.plus_secs(5 + 10), "the delay doubles");
    clock.advance_secs(10);
    assert!(run_next(&state, &reg, "w").await.unwrap());
    let j = state.store.job(id).await.unwrap();
    assert_eq!((j.status, j.attempts), (JobStatus::Failed, 3));
    assert_eq!(j.last_error.as_deref(), Some("the core banking feed is down"));
    // Unknown kinds fail at once.
    let id = state.store.enqueue(&NewJob::now("no.such.kind", "{}".into(), clock.now())).await.unwrap().unwrap();
    run_next(&state, &reg, "w").await.unwrap();
    assert_eq!(state.store.job(id).await.unwrap().status, JobStatus::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_each_job_once() {
    let (state, _clock, _dir) = state().await;
    let rec = Recorder::default();
    let mut reg = Registry::default();
    reg.add("test.record", rec.clone());
    let reg = Arc::new(reg);
    for i in 0..60 {
        state.store.enqueue(&NewJob::now("test.record", format!("{i}"), T0)).await.unwrap();
    }
    let spawn = |name: &'static str| {
        let (state, reg) = (state.clone(), reg.clone());
        tokio::spawn(async move { while run_next(&state, &reg, name).await.unwrap() {} })
    };
    let (a, b) = (spawn("a"), spawn("b"));
    a.await.unwrap();
    b.await.unwrap();
    let mut ran = rec.0.lock().unwrap().clone();
    assert_eq!(ran.len(), 60);
    ran.sort();
    ran.dedup();
    assert_eq!(ran.len(), 60, "no job ran twice");
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again() {
    let (state, clock, _dir) = state().await;
    let rec = Recorder::default();
    let mut reg = Registry::default();
    reg.add("test.record", rec.clone());
    let id = state.store.enqueue(&NewJob::now("test.record", "{}".into(), T0)).await.unwrap().unwrap();
    // A worker claims it and dies without finishing.
    state.store.claim("dead-worker", clock.now(), state.config.jobs.lease_secs).await.unwrap().unwrap();
    assert!(!run_next(&state, &reg, "w2").await.unwrap(), "held while the lease lasts");
    clock.advance_secs(state.config.jobs.lease_secs + 1);
    assert!(run_next(&state, &reg, "w2").await.unwrap());
    assert_eq!(*rec.0.lock().unwrap(), vec![id]);
    let j = state.store.job(id).await.unwrap();
    assert_eq!((j.status, j.attempts, j.worker.as_deref()), (JobStatus::Succeeded, 2, Some("w2")));
}

#[tokio::test]
async fn the_scheduler_only_enqueues_one_of_each_hourly_job_per_hour() {
    let (state, clock, _dir) = state().await;
    for _ in 0..5 {
        siyu_app::jobs::scheduler::tick(&state).await;
    }
    let queued = state.store.list_jobs(&Default::default(), siyu_store::Page::first(10)).await.unwrap();
    let mut kinds: Vec<&str> = queued.items.iter().map(|j| j.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, [siyu_app::services::tags::REFRESH_JOB, siyu_app::jobs::MAINTENANCE]);
    for j in &queued.items {
        assert!(j.run_at > clock.now() && j.run_at.millis() % 3_600_000 == 0, "queued for the top of the next hour");
    }
    // They run when due, and the next tick queues the following hour's.
    clock.advance_secs(3600);
    assert!(run_next(&state, &Registry::standard(), "w").await.unwrap());
    assert!(run_next(&state, &Registry::standard(), "w").await.unwrap());
    for j in &queued.items {
        assert_eq!(state.store.job(j.id).await.unwrap().status, JobStatus::Succeeded, "{}", j.kind);
    }
    siyu_app::jobs::scheduler::tick(&state).await;
    assert_eq!(state.store.list_jobs(&Default::default(), siyu_store::Page::first(10)).await.unwrap().total, 4);
}

/// Works for longer than its lease (the clock moves a second per step), and at each step checks
/// whether another worker could take its job over.
struct OutlivesItsLease {
    clock: Arc<ManualClock>,
    taken_over: Arc<Mutex<Vec<JobId>>>,
}

#[async_trait]
impl JobHandler for OutlivesItsLease {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        for _ in 0..5 {
            tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
            self.clock.advance_secs(1);
            if let Some(j) = ctx.state.store.claim("intruder", self.clock.now(), 3).await.unwrap() {
                self.taken_over.lock().unwrap().push(j.id);
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_job_longer_than_its_lease_keeps_it_while_its_handler_runs() {
    let (state, clock, _dir) = state_with_lease(3).await;
    let taken_over = Arc::new(Mutex::new(Vec::new()));
    let mut reg = Registry::default();
    reg.add("test.slow", OutlivesItsLease { clock: clock.clone(), taken_over: taken_over.clone() });
    let id = state.store.enqueue(&NewJob::now("test.slow", "{}".into(), T0)).await.unwrap().unwrap();
    assert!(run_next(&state, &reg, "w").await.unwrap());
    assert_eq!(*taken_over.lock().unwrap(), Vec::<JobId>::new(), "nobody took it over while it ran");
    let j = state.store.job(id).await.unwrap();
    assert_eq!((j.status, j.attempts, j.worker.as_deref()), (JobStatus::Succeeded, 1, Some("w")));
    // The renewal stopped with the handler: a job claimed afterwards lapses as usual.
    let id = state.store.enqueue(&NewJob::now("test.slow", "{}".into(), clock.now())).await.unwrap().unwrap();
    state.store.claim("dead-worker", clock.now(), 3).await.unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    clock.advance_secs(4);
    assert_eq!(state.store.claim("w2", clock.now(), 3).await.unwrap().map(|j| j.id), Some(id));
}

/// Records that it ran, and in its first run makes a change that needs another run.
struct PushesARename {
    runs: Arc<Mutex<Vec<JobId>>>,
}

#[async_trait]
impl JobHandler for PushesARename {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        let first = self.runs.lock().unwrap().is_empty();
        self.runs.lock().unwrap().push(ctx.job.id);
        if first {
            // The operator renames the tag again while the push runs: a second push is queued.
            let mut j = NewJob::now("test.push", "{}".into(), ctx.state.clock.now());
            j.dedupe_key = Some("test.push:tag_1".into());
            assert!(ctx.state.store.enqueue(&j).await.unwrap().is_some(), "queued beside the running push");
            // A second worker finds nothing to do while this push runs.
            assert!(ctx.state.store.claim("w2", ctx.state.clock.now(), 60).await.unwrap().is_none());
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_change_made_while_its_job_runs_gets_a_run_after_it() {
    let (state, _clock, _dir) = state().await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let mut reg = Registry::default();
    reg.add("test.push", PushesARename { runs: runs.clone() });
    let mut j = NewJob::now("test.push", "{}".into(), T0);
    j.dedupe_key = Some("test.push:tag_1".into());
    state.store.enqueue(&j).await.unwrap().unwrap();
    while run_next(&state, &reg, "w").await.unwrap() {}
    assert_eq!(runs.lock().unwrap().len(), 2, "the follow-up ran after the first push");
}

/// Notes when it starts, works for `secs` (real time), and notes when it reaches its end.
struct RunsFor {
    secs: u64,
    started: Arc<tokio::sync::Notify>,
    ended: Arc<Mutex<bool>>,
}

#[async_trait]
impl JobHandler for RunsFor {
    async fn run(&self, _: &JobContext<'_>) -> Result<(), JobError> {
        self.started.notify_one();
        tokio::time::sleep(std::time::Duration::from_secs(self.secs)).await;
        *self.ended.lock().unwrap() = true;
        Ok(())
    }
}

fn runs_for(secs: u64) -> (Registry, Arc<tokio::sync::Notify>, Arc<Mutex<bool>>) {
    let (started, ended) = (Arc::new(tokio::sync::Notify::new()), Arc::new(Mutex::new(false)));
    let mut reg = Registry::default();
    reg.add("test.long", RunsFor { secs, started: started.clone(), ended: ended.clone() });
    (reg, started, ended)
}

#[tokio::test]
async fn a_handler_whose_lease_another_worker_took_is_stopped() {
    let (state, clock, _dir) = state_with_lease(3).await;
    let (reg, started, ended) = runs_for(5);
    let id = state.store.enqueue(&NewJob::now("test.long", "{}".into(), T0)).await.unwrap().unwrap();
    let run = tokio::spawn({
        let state = state.clone();
        async move { run_next(&state, &reg, "w").await }
    });
    started.notified().await;
    // The database stalled past the lease (the clock moves on): another worker claims the job.
    clock.advance_secs(10);
    let taken = state.store.claim("w2", clock.now(), 3).await.unwrap().expect("the lapsed job is claimed");
    assert_eq!(taken.id, id);
    // The first worker's next renewal (a second in) finds the lease gone and stops its handler.
    let ran = tokio::time::timeout(std::time::Duration::from_secs(3), run).await.expect("the handler was not stopped");
    assert!(ran.unwrap().unwrap());
    assert!(!*ended.lock().unwrap(), "the old owner ran on beside the new one");
    let j = state.store.job(id).await.unwrap();
    assert_eq!((j.status, j.worker.as_deref()), (JobStatus::Running, Some("w2")), "the new owner's job is left alone");
}

#[tokio::test]
async fn a_handler_whose_lease_cannot_be_renewed_in_time_is_stopped() {
    let (state, _clock, dir) = state_with_lease(3).await;
    let (reg, started, ended) = runs_for(6);
    state.store.enqueue(&NewJob::now("test.long", "{}".into(), T0)).await.unwrap().unwrap();
    let run = tokio::spawn({
        let state = state.clone();
        async move { run_next(&state, &reg, "w").await }
    });
    started.notified().await;
    // Another process holds the database's write lock: no renewal gets through (nor fails) in time,
    // so after a lease another worker could have the job.
    use sqlx::Connection;
    let mut other =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.path().join("j.db").display())).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let t = std::time::Instant::now();
    let ran = tokio::time::timeout(std::time::Duration::from_secs(5), run).await.expect("the handler was not stopped");
    assert!(ran.unwrap().unwrap());
    assert!(t.elapsed() < std::time::Duration::from_millis(3500), "stopped once the lease ran out: {:?}", t.elapsed());
    assert!(!*ended.lock().unwrap(), "the handler ran on without its lease");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
}
