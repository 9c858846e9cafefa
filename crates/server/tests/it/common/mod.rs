//! The test harness: `spawn_app` starts a real server on a random port over a fresh SQLite database in
//! a temporary directory, with the demo organisation and a few customers.
//!
//! Time and background work are the test's: the app runs on a [`ManualClock`] (it moves only when the
//! test says, [`TestApp::advance_secs`]) and no worker or scheduler runs unless the configuration asks
//! for workers; queued jobs run when the test calls [`TestApp::run_jobs`], to completion, in its own
//! task. So a test asserts right after the work it waits for, never polls for it.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use reqwest::{Client, StatusCode};
use siyu::clock::SystemClock;
use siyu::config::Config;
use siyu_app::jobs::Registry;
use siyu_app::state::AppState;
use siyu_domain::Clock;
use siyu_domain::clock::ManualClock;
use siyu_domain::org::Staff;
use siyu_store::{Page, StaffFilter};
use siyu_store_sqlite::SqliteStore;
use siyu_vault::Vault;
use tokio::sync::watch;

pub const PASSWORD: &str = siyu::demo::DEMO_PASSWORD;

/// Argon2 is slow in debug builds; every test shares one hash of the demo password.
fn password_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| siyu_app::auth::password::hash_password(PASSWORD))
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    /// The app's clock, which stands still until the test moves it.
    pub clock: Arc<ManualClock>,
    stop: watch::Sender<bool>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(400).await
}

pub async fn spawn_app_with(customers: u64) -> TestApp {
    spawn(customers, None, |_| {}).await
}

/// An app whose configuration `tweak` changes first (short timeouts, say). With `config.jobs.workers`
/// set above 0 it runs the real workers and scheduler, as the binary does.
pub async fn spawn_app_configured(customers: u64, tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn(customers, None, tweak).await
}

/// An app whose WeCom is `fake` (already serving at `fake_base`), with its callback URL set to the app.
pub async fn spawn_app_with_wecom(customers: u64, fake: &siyu_wecom::fake::FakeWecom, fake_base: &str) -> TestApp {
    let c = fake.config();
    let wc = siyu::config::WecomConfig {
        enabled: true,
        api_base: fake_base.to_owned(),
        corp_id: c.corp_id.clone(),
        secret: siyu::config::Secret(c.secret.clone()),
        agent_id: c.agent_id,
        callback_token: siyu::config::Secret(c.callback_token.clone()),
        callback_aes_key: siyu::config::Secret(c.encoding_aes_key.clone()),
        callback_window_secs: 300,
    };
    let app = spawn(customers, Some(wc), |_| {}).await;
    fake.set_callback_url(&app.url("/wecom/callback"));
    app
}

async fn spawn(customers: u64, wecom: Option<siyu::config::WecomConfig>, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("siyu.db")).await.unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn siyu_store::Store> = Arc::new(store);
    let vault = Vault::new(&[9u8; 32]);
    let now = SystemClock.now();
    siyu::demo::seed_organisation(&*store, password_hash(), now).await.unwrap();
    siyu::demo::seed_customers(&*store, &vault, customers, now).await.unwrap();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.jobs.poll_millis = 50;
    config.jobs.workers = 0;
    config.server.max_upload_mib = 8;
    // Every test client connects from 127.0.0.1, as from a proxy; the bound per address has its own test.
    config.server.max_connections_per_ip = 0;
    if let Some(w) = wecom {
        config.wecom = w;
    }
    tweak(&mut config);
    let rt = siyu::startup::wecom_runtime(&config).unwrap();
    let clock = Arc::new(ManualClock::at(now));
    let mut state = AppState::new(store, vault, config, clock.clone());
    if let Some(rt) = rt {
        state = state.with_wecom(rt);
    }
    let state = state.load_engine().await.unwrap();
    let (stop, stop_rx) = watch::channel(false);
    if state.config.jobs.workers > 0 {
        siyu_app::jobs::start(&state, &stop_rx);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The server the binary runs, with its timeouts and limits.
    let limits = siyu_web::serve::ServeLimits::from_config(&state.config.server);
    let app = siyu_web::router(state.clone());
    let mut rx = stop_rx.clone();
    tokio::spawn(async move {
        siyu_web::serve::serve(listener, app, limits, async move {
            let _ = rx.changed().await;
        })
        .await
        .unwrap();
    });
    TestApp { base: format!("http://{addr}"), state, dir, clock, stop }
}

/// A bank system whose API token holds the import scope, named `token:<name>` in the audit log.
pub fn system_importer(name: &str) -> siyu_app::caller::Caller {
    siyu_app::caller::Caller {
        actor: siyu_domain::scope::Actor::System {
            token_name: name.into(),
            scopes: vec![siyu_domain::scope::ApiScope::CustomersImport],
        },
        staff: None,
        csrf: None,
        ip: "test".into(),
    }
}

/// `n` more customer managers in `unit`, each with a WeCom account (`wx_extra_0000`, …): enough to pass
/// the 500 rows a page holds.
pub async fn extra_staff(
    store: &dyn siyu_store::Store,
    unit: siyu_domain::OrgUnitId,
    n: usize,
    now: siyu_domain::Timestamp,
) -> Vec<Staff> {
    let mut made = Vec::with_capacity(n);
    for i in 0..n {
        let new = siyu_store::NewStaff {
            username: format!("cm_extra_{i:04}"),
            display_name: format!("客户经理{i}"),
            role: siyu_domain::org::Role::CustomerManager,
            org_unit_id: unit,
            wecom_userid: Some(format!("wx_extra_{i:04}")),
            password_hash: "unused".into(),
        };
        made.push(store.create_staff(&new, now).await.unwrap());
    }
    made
}

/// A signed-in browser-like client.
pub struct Session {
    pub client: Client,
    /// The client's cookies, for requests sent by hand over TCP.
    pub jar: Arc<reqwest::cookie::Jar>,
    pub csrf: String,
    pub staff: Staff,
}

impl Session {
    /// The `Cookie` header the client would send to `app`.
    pub fn cookie_header(&self, app: &TestApp) -> String {
        use reqwest::cookie::CookieStore;
        let url = app.base.parse().unwrap();
        self.jar.cookies(&url).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }

    /// Takes a content version a review step (`submit`, `approve`, …) over the API. An approval or a
    /// rejection names the submission it decides on (`seen`, its revision); unless the test gives one,
    /// it is the version's as stored now, as a reviewer who has just opened the review page would send.
    pub async fn content_step(
        &self,
        app: &TestApp,
        version: &str,
        step: &str,
        mut body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        if matches!(step, "approve" | "reject")
            && body.get("seen").is_none()
            && let Ok(id) = version.parse()
            && let Ok(v) = app.state.store.content_version(id).await
        {
            body["seen"] = serde_json::json!(v.revision);
            // With an override: the blocking findings as the review page shows them to this reviewer.
            if step == "approve" && body.get("override_reason").is_some() && body.get("overriding").is_none() {
                let page = self.client.get(app.url(&format!("/content/review/{version}"))).send().await.unwrap();
                let html = page.text().await.unwrap();
                let shown = html
                    .split("data-overriding=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
                    .to_owned();
                body["overriding"] = serde_json::json!(shown.split(' ').filter(|k| !k.is_empty()).collect::<Vec<_>>());
            }
        }
        self.post_json(app, &format!("/api/v1/content/versions/{version}/{step}"), body).await
    }

    /// Creates a content item from `form` (`{"kind", "category", "draft"}`) as this session, has
    /// `reviewer` approve it and publishes it: the item's id (`cnt_…`).
    pub async fn published_item(&self, app: &TestApp, reviewer: &Session, form: serde_json::Value) -> String {
        let (st, saved) = self.post_json(app, "/api/v1/content/items", form).await;
        assert_eq!(st, StatusCode::CREATED, "{saved}");
        let v = saved["version"]["id"].as_str().unwrap().to_owned();
        for (who, step) in [(self, "submit"), (reviewer, "approve"), (self, "publish")] {
            let (st, body) = who.content_step(app, &v, step, serde_json::json!({})).await;
            assert_eq!(st, StatusCode::OK, "{step}: {body}");
        }
        saved["item_id"].as_str().unwrap().to_owned()
    }

    /// POSTs `body` as JSON with the session's CSRF token: the status, and the answer's JSON (null if none).
    pub async fn post_json(
        &self,
        app: &TestApp,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let r = self.client.post(app.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// GETs `path`: the status, and the answer's JSON (null if none).
    pub async fn get_json(&self, app: &TestApp, path: &str) -> (StatusCode, serde_json::Value) {
        let r = self.client.get(app.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens the sign-in page as a browser does and returns its form token (`client` keeps the cookie
    /// the token is checked against).
    pub async fn login_token(&self, client: &Client) -> String {
        let html = client.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let field = r#"name="csrf" value=""#;
        let start = html.find(field).expect("a form token on the sign-in page") + field.len();
        html[start..].split('"').next().unwrap().to_owned()
    }

    pub async fn login(&self, username: &str) -> Session {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client =
            Client::builder().cookie_provider(jar.clone()).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let token = self.login_token(&client).await;
        let resp = client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", PASSWORD), ("next", "/"), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "login as {username}");
        let me: serde_json::Value = client.get(self.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        let staff: Staff = serde_json::from_value(me["staff"].clone()).unwrap();
        Session { client, jar, csrf: me["csrf_token"].as_str().unwrap().to_owned(), staff }
    }

    pub async fn staff(&self, username: &str) -> Staff {
        self.state.store.staff_credentials(username).await.unwrap().staff
    }

    /// A customer owned by the named customer manager.
    pub async fn customer_of(&self, username: &str) -> siyu_domain::customer::Customer {
        let cm = self.staff(username).await;
        let f = siyu_store::CustomerFilter { owner_id: Some(cm.id), ..Default::default() };
        let p = self.state.store.list_customers(siyu_domain::scope::DataScope::All, &f, Page::first(1)).await.unwrap();
        p.items.into_iter().next().unwrap_or_else(|| panic!("{username} owns no customer"))
    }

    pub async fn customer_managers(&self) -> Vec<Staff> {
        let f = StaffFilter { role: Some(siyu_domain::org::Role::CustomerManager), ..Default::default() };
        self.state.store.list_staff(&f, Page::first(100)).await.unwrap().items
    }

    /// Runs every job that is due, and every due job those queue, to completion in this task, until
    /// none is due. Returns how many ran. Jobs queued for later (a retry's backoff, a refresh a few
    /// seconds out) wait for [`Self::advance_secs`].
    pub async fn run_jobs(&self) -> usize {
        let registry = Registry::standard();
        let mut ran = 0;
        while siyu_app::jobs::run_next(&self.state, &registry, "test").await.unwrap() {
            ran += 1;
        }
        ran
    }

    /// Moves the clock on `secs` seconds, then runs the jobs due by then.
    pub async fn advance_secs(&self, secs: i64) -> usize {
        self.clock.advance_secs(secs);
        self.run_jobs().await
    }

    /// Queues the refresh job (rule tags, then saved audiences) and runs it now, as the hourly schedule
    /// and a restart do; it must succeed.
    pub async fn refresh_audiences(&self) {
        use siyu_app::jobs::{Nothing, Options, refresh::RefreshAudiences};
        let row = siyu_app::jobs::row::<RefreshAudiences>(&Nothing, &Options::now(), self.clock.now());
        let id = self.state.store.enqueue(&row).await.unwrap().unwrap();
        self.run_jobs().await;
        let job = self.state.store.job(id).await.unwrap();
        assert_eq!(job.status, siyu_domain::job::JobStatus::Succeeded, "{:?}", job.last_error);
    }

    /// Runs the queued jobs, then reads the import, which must have left `status` by then.
    pub async fn import_after_jobs(&self, s: &Session, id: &str, status: &str) -> serde_json::Value {
        self.run_jobs().await;
        let v: serde_json::Value =
            s.client.get(self.url(&format!("/api/v1/imports/{id}"))).send().await.unwrap().json().await.unwrap();
        assert_ne!(v["status"], status, "import {id} is still {status}: {v}");
        v
    }
}
