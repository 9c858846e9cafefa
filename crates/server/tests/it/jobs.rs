//! The worker loop over the real queue: handlers run, failures back off and end as failed with their
//! error, two workers never run one job twice, and a job whose worker died runs again.

use std::sync::{Arc, Mutex};

use siyu::config::Config;
use siyu_app::jobs::maintenance::Maintenance;
use siyu_app::jobs::refresh::RefreshAudiences;
use siyu_app::jobs::{Job, JobContext, JobError, Nothing, Registry, run_next};
use siyu_app::state::AppState;
use siyu_domain::clock::ManualClock;
use siyu_domain::job::{JobStatus, NewJob};
use siyu_domain::lang::{Lang, Text};
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

impl Job for Recorder {
    const NAME: &'static str = "test.record";
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        tokio::task::yield_now().await;
        self.0.lock().unwrap().push(ctx.job().id);
        Ok(())
    }
}

struct AlwaysFails;

impl Job for AlwaysFails {
    const NAME: &'static str = "test.fail";
    type Payload = Nothing;

    async fn run(&self, _: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        Err(siyu_store::StoreError::Database("database is locked at /var/lib/siyu/siyu.db".into()).into())
    }
}

#[tokio::test]
async fn a_failing_job_backs_off_then_fails_with_its_error() {
    let (state, clock, _dir) = state().await;
    let mut reg = Registry::default();
    reg.add(AlwaysFails);
    let mut job = NewJob::now(AlwaysFails::NAME, "{}".into(), T0);
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
    // What people read is the bank's words in their language, the technical cause only in the log.
    let told = siyu_app::stored_text::decode(j.last_error.as_deref().unwrap());
    let want = Text::new("job.gave_up").arg("attempts", 3).text("last", Text::new("job.database_busy"));
    assert_eq!(told, want);
    assert_eq!(told.render(Lang::En), "Gave up after 3 attempts: The database was busy or unavailable");
    assert_eq!(told.render(Lang::Zh), "尝试 3 次后放弃：数据库繁忙或暂时不可用");
    // Unknown kinds fail at once.
    let id = state.store.enqueue(&NewJob::now("no.such.kind", "{}".into(), clock.now())).await.unwrap().unwrap();
    run_next(&state, &reg, "w").await.unwrap();
    let j = state.store.job(id).await.unwrap();
    assert_eq!(j.status, JobStatus::Failed);
    let told = siyu_app::stored_text::decode(j.last_error.as_deref().unwrap());
    assert_eq!(told.render(Lang::En), "siyu does not know this kind of job (no.such.kind)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_each_job_once() {
    let (state, _clock, _dir) = state().await;
    let rec = Recorder::default();
    let mut reg = Registry::default();
    reg.add(rec.clone());
    let reg = Arc::new(reg);
    for i in 0..60 {
        state.store.enqueue(&NewJob::now(Recorder::NAME, format!("{i}"), T0)).await.unwrap();
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
    reg.add(rec.clone());
    let id = state.store.enqueue(&NewJob::now(Recorder::NAME, "{}".into(), T0)).await.unwrap().unwrap();
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
    assert_eq!(kinds, [RefreshAudiences::NAME, Maintenance::NAME]);
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

impl Job for OutlivesItsLease {
    const NAME: &'static str = "test.slow";
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        for _ in 0..5 {
            tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
            self.clock.advance_secs(1);
            if let Some(j) = ctx.state().store.claim("intruder", self.clock.now(), 3).await.unwrap() {
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
    reg.add(OutlivesItsLease { clock: clock.clone(), taken_over: taken_over.clone() });
    let id = state.store.enqueue(&NewJob::now(OutlivesItsLease::NAME, "{}".into(), T0)).await.unwrap().unwrap();
    assert!(run_next(&state, &reg, "w").await.unwrap());
    assert_eq!(*taken_over.lock().unwrap(), Vec::<JobId>::new(), "nobody took it over while it ran");
    let j = state.store.job(id).await.unwrap();
    assert_eq!((j.status, j.attempts, j.worker.as_deref()), (JobStatus::Succeeded, 1, Some("w")));
    // The renewal stopped with the handler: a job claimed afterwards lapses as usual.
    let id =
        state.store.enqueue(&NewJob::now(OutlivesItsLease::NAME, "{}".into(), clock.now())).await.unwrap().unwrap();
    state.store.claim("dead-worker", clock.now(), 3).await.unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    clock.advance_secs(4);
    assert_eq!(state.store.claim("w2", clock.now(), 3).await.unwrap().map(|j| j.id), Some(id));
}

/// Records that it ran, and in its first run makes a change that needs another run.
struct PushesARename {
    runs: Arc<Mutex<Vec<JobId>>>,
}

impl Job for PushesARename {
    const NAME: &'static str = "test.push";
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let first = self.runs.lock().unwrap().is_empty();
        self.runs.lock().unwrap().push(ctx.job().id);
        if first {
            // The operator renames the tag again while the push runs: a second push is queued.
            let state = ctx.state();
            let mut j = NewJob::now(Self::NAME, "{}".into(), state.clock.now());
            j.dedupe_key = Some("test.push:tag_1".into());
            assert!(state.store.enqueue(&j).await.unwrap().is_some(), "queued beside the running push");
            // A second worker finds nothing to do while this push runs.
            assert!(state.store.claim("w2", state.clock.now(), 60).await.unwrap().is_none());
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_change_made_while_its_job_runs_gets_a_run_after_it() {
    let (state, _clock, _dir) = state().await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let mut reg = Registry::default();
    reg.add(PushesARename { runs: runs.clone() });
    let mut j = NewJob::now(PushesARename::NAME, "{}".into(), T0);
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

impl Job for RunsFor {
    const NAME: &'static str = "test.long";
    type Payload = Nothing;

    async fn run(&self, _: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        self.started.notify_one();
        tokio::time::sleep(std::time::Duration::from_secs(self.secs)).await;
        *self.ended.lock().unwrap() = true;
        Ok(())
    }
}

fn runs_for(secs: u64) -> (Registry, Arc<tokio::sync::Notify>, Arc<Mutex<bool>>) {
    let (started, ended) = (Arc::new(tokio::sync::Notify::new()), Arc::new(Mutex::new(false)));
    let mut reg = Registry::default();
    reg.add(RunsFor { secs, started: started.clone(), ended: ended.clone() });
    (reg, started, ended)
}

#[tokio::test]
async fn a_handler_whose_lease_another_worker_took_is_stopped() {
    let (state, clock, _dir) = state_with_lease(3).await;
    let (reg, started, ended) = runs_for(5);
    let id = state.store.enqueue(&NewJob::now(RunsFor::NAME, "{}".into(), T0)).await.unwrap().unwrap();
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
    state.store.enqueue(&NewJob::now(RunsFor::NAME, "{}".into(), T0)).await.unwrap().unwrap();
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

/// A queue row as an earlier version of siyu wrote it: the kind and payload exactly as stored.
async fn old_row(state: &AppState, kind: &str, payload: &str) -> JobId {
    state.store.enqueue(&NewJob::now(kind, payload.to_owned(), state.clock.now())).await.unwrap().unwrap()
}

/// An upgrade finds jobs the previous version queued: every kind, its name and payload as that version
/// stored them (JSON built by hand, the callback's XML as it came), runs to success under the typed jobs.
#[tokio::test]
async fn jobs_queued_by_the_previous_version_still_run() {
    let fake = siyu_wecom::fake::FakeWecom::new(Default::default());
    fake.add_staff("wx_cm_sh01_1");
    let base = fake.spawn().await;
    let app = crate::common::spawn_app_with_wecom(5, &fake, &base).await;
    let state = &app.state;
    let core = crate::common::system_importer("core");
    let csv = "customer_no,name,sub_branch_code\nOLD1,张三,SH01\n";
    let import =
        siyu_app::services::imports::store_upload(state, &core, "old.csv", csv.as_bytes().to_vec(), "").await.unwrap();
    // The import jobs' payload was `json!({ "import_id", "actor", "staff_id" })`: keys in order.
    let import_payload = format!(r#"{{"actor":"token:core","import_id":"{import}","staff_id":null}}"#);
    let mut ran = vec![old_row(state, "import.validate", &import_payload).await];
    app.run_jobs().await;
    assert_eq!(state.store.import(import).await.unwrap().status, siyu_store::ImportStatus::Validated);
    state.store.start_commit(import, state.clock.now()).await.unwrap();
    ran.push(old_row(state, "import.commit", &import_payload).await);

    let group = state.store.create_tag_group("旧版", state.clock.now()).await.unwrap();
    let new_tag = siyu_store::NewTag {
        group_id: group.id,
        name: "旧版镜像".into(),
        kind: siyu_domain::tag::TagKind::Manual,
        sync_to_wecom: true,
        rule_text: None,
    };
    let tag = state.store.create_tag(&new_tag, state.clock.now()).await.unwrap();
    let all = siyu_domain::scope::DataScope::All;
    let first = state.store.list_customers(all, &Default::default(), siyu_store::Page::first(1)).await.unwrap();
    let customer = &first.items[0];
    ran.push(old_row(state, "wecom.tags.push", &format!(r#"{{"tag_id":"{}"}}"#, tag.id)).await);
    let marks = format!(r#"{{"tag_id":"{}","customers":["{}"]}}"#, tag.id, customer.id);
    ran.push(old_row(state, "wecom.tags.mark", &marks).await);
    let now = state.clock.now().millis() / 1000;
    let added = format!(
        "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{now}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>\
         <ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[wx_cm_sh01_1]]></UserID>\
         <ExternalUserID><![CDATA[wmOLDVERSION]]></ExternalUserID></xml>",
        fake.config().corp_id
    );
    ran.push(old_row(state, "wecom.callback", &added).await);
    for kind in ["wecom.tags.pull", "wecom.sync", "audiences.refresh", "maintenance.cleanup"] {
        ran.push(old_row(state, kind, "{}").await);
    }
    app.run_jobs().await;

    for id in ran {
        let j = state.store.job(id).await.unwrap();
        assert_eq!(j.status, JobStatus::Succeeded, "{} {}: {:?}", j.kind, j.payload, j.last_error);
    }
    let rec = state.store.import(import).await.unwrap();
    assert_eq!((rec.status, rec.counts.inserted), (siyu_store::ImportStatus::Committed, 1));
    let f = siyu_store::AuditFilter {
        action: Some(siyu_domain::audit::AuditAction::ImportCommitted),
        ..Default::default()
    };
    let audit = state.store.search_audit(&f, siyu_store::Page::first(1)).await.unwrap();
    assert_eq!(audit.items[0].actor, "token:core", "the requester named in the old payload");
    assert!(state.store.tag(tag.id).await.unwrap().wecom_tag_id.is_some(), "the corp tag was made");
    let rel = state.store.relationships("wmOLDVERSION").await.unwrap();
    assert_eq!(rel[0].status, siyu_store::RelationshipStatus::Active);
}

/// What this version queues is what the previous one did: the same kind names, payloads of the same
/// shape, and dedupe keys of the same form, so rows of either version dedupe against each other.
#[tokio::test]
async fn the_rows_queued_now_are_the_rows_queued_before() {
    use siyu_app::jobs::import::{ImportCommit, ImportPayload, ImportValidate};
    use siyu_app::jobs::{Options, row};
    use siyu_app::wecom::tags::{MarkPayload, MarkTag, PushPayload, PushTag};
    let (import, staff) = (siyu_domain::ImportId::new(7), siyu_domain::StaffId::new(3));
    let p = ImportPayload { import_id: import, actor: "hq01".into(), staff_id: Some(staff) };
    let before = serde_json::json!({ "import_id": import, "actor": "hq01", "staff_id": Some(staff) });
    for j in [row::<ImportValidate>(&p, &Options::now(), T0), row::<ImportCommit>(&p, &Options::now(), T0)] {
        assert_eq!(serde_json::from_str::<serde_json::Value>(&j.payload).unwrap(), before, "{}", j.kind);
        assert_eq!((j.run_at, j.max_attempts, j.dedupe_key), (T0, 5, None));
    }
    let tag = siyu_domain::TagId::new(5);
    let push = row::<PushTag>(&PushPayload { tag_id: tag }, &Options::now().once_as(tag), T0);
    assert_eq!(
        (push.payload.as_str(), push.dedupe_key.as_deref()),
        (r#"{"tag_id":"tag_5"}"#, Some("wecom.tags.push:tag_5"))
    );
    let customers = vec![siyu_domain::CustomerId::new(1)];
    let mark = row::<MarkTag>(&MarkPayload { tag_id: tag, customers }, &Options::now(), T0);
    assert_eq!(mark.payload, r#"{"tag_id":"tag_5","customers":["cus_1"]}"#);
    let soon = row::<RefreshAudiences>(&Nothing, &Options::after_secs(3).once_as("soon"), T0);
    assert_eq!(
        (soon.kind.as_str(), soon.payload.as_str(), soon.run_at, soon.max_attempts, soon.dedupe_key.as_deref()),
        ("audiences.refresh", "{}", T0.plus_secs(3), 3, Some("audiences.refresh:soon"))
    );
    let hourly = row::<Maintenance>(&Nothing, &Options::at(T0).once_as(42), T0);
    assert_eq!(
        (hourly.kind.as_str(), hourly.dedupe_key.as_deref()),
        ("maintenance.cleanup", Some("maintenance.cleanup:42"))
    );
}

/// The hourly clean-up drops every upload left uncommitted for a week, however many: more than the 500
/// newest imports a page holds, and more waiting behind newer ones.
#[tokio::test]
async fn maintenance_drops_every_stale_upload_not_only_the_newest_page() {
    let (state, clock, dir) = state().await;
    let make = |n: usize, tag: &'static str| {
        let state = state.clone();
        let dir = dir.path().to_path_buf();
        async move {
            let mut made = Vec::new();
            for i in 0..n {
                let path = dir.join(format!("{tag}-{i}.sealed"));
                std::fs::write(&path, b"sealed").unwrap();
                let new = siyu_store::NewImport {
                    file_name: format!("{tag}-{i}.csv"),
                    stored_path: path.display().to_string(),
                    mapping_json: String::new(),
                    created_by: None,
                    created_at: state.clock.now(),
                };
                let id = state.store.create_import(&new).await.unwrap();
                let status =
                    if i % 2 == 0 { siyu_store::ImportStatus::Validated } else { siyu_store::ImportStatus::Rejected };
                state.store.finish_import(id, status, None, state.clock.now()).await.unwrap();
                made.push((id, path));
            }
            made
        }
    };
    let stale = make(600, "stale").await;
    clock.advance_secs(8 * 86_400);
    // Newer than all of them, and not stale: the first page of imports is all these and 490 old ones.
    let fresh = make(10, "fresh").await;
    let row = siyu_app::jobs::row::<Maintenance>(&Nothing, &siyu_app::jobs::Options::now(), clock.now());
    let id = state.store.enqueue(&row).await.unwrap().unwrap();
    assert!(run_next(&state, &Registry::standard(), "w").await.unwrap());
    assert_eq!(state.store.job(id).await.unwrap().status, JobStatus::Succeeded);
    for (id, path) in &stale {
        let rec = state.store.import(*id).await.unwrap();
        assert_eq!(rec.status, siyu_store::ImportStatus::Failed, "{id}");
        assert!(!path.exists(), "{id}'s upload was removed");
    }
    for (id, path) in &fresh {
        assert_ne!(state.store.import(*id).await.unwrap().status, siyu_store::ImportStatus::Failed, "{id}");
        assert!(path.exists(), "{id} keeps its upload");
    }
}

/// The workers and the scheduler as the binary runs them: what the API queues runs without the test's
/// help (woken at once), and the scheduler's start-up refresh runs once the clock reaches it.
#[tokio::test]
async fn the_real_workers_run_what_is_queued() {
    let app = crate::common::spawn_app_configured(5, |c| c.jobs.workers = 2).await;
    let hq = app.login("hq01").await;
    let csv = "customer_no,name,sub_branch_code\nW1,张三,SH01\n";
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("w.csv"));
    let r = hq.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &hq.csrf).multipart(form);
    let v: serde_json::Value = r.send().await.unwrap().json().await.unwrap();
    let id: siyu_domain::ImportId = v["id"].as_str().unwrap().parse().unwrap();
    let settled = |want: siyu_store::ImportStatus| {
        let state = app.state.clone();
        async move {
            // The workers are the point here, so this one test waits on them (bounded).
            for _ in 0..500 {
                if state.store.import(id).await.unwrap().status == want {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            panic!("{id} never became {want:?}");
        }
    };
    settled(siyu_store::ImportStatus::Validated).await;
    let r = hq.client.post(app.url(&format!("/api/v1/imports/{id}/commit"))).header("x-csrf-token", &hq.csrf);
    assert_eq!(r.send().await.unwrap().status(), reqwest::StatusCode::ACCEPTED);
    settled(siyu_store::ImportStatus::Committed).await;

    let refreshes = siyu_store::JobFilter { status: None, kind: Some(RefreshAudiences::NAME.into()) };
    let queued = app.state.store.list_jobs(&refreshes, siyu_store::Page::first(10)).await.unwrap().items;
    // The start-up one (the commit's own dedupes with it while it waits); the hourly one waits longer.
    let soon = queued.iter().find(|j| j.run_at <= app.clock.now().plus_secs(3)).expect("a refresh soon");
    assert_eq!(soon.status, JobStatus::Queued, "not due yet: the clock stands still");
    app.clock.advance_secs(5);
    app.state.jobs_wake.notify_waiters();
    for _ in 0..500 {
        if app.state.store.job(soon.id).await.unwrap().status == JobStatus::Succeeded {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the refresh never ran");
}
