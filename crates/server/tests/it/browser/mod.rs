//! Headless Chromium against the real binary: `siyu demo` starts on a free port, Debian's chromedriver
//! drives Chromium over the WebDriver protocol, screenshots land in `target/screenshots/`.
//!
//! Skipped when chromedriver is missing, except under `CI=true`, where that is a failure (`.ci/run`
//! installs it).

mod content;
mod journey;
mod phone;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Kills a child process when dropped, so a failing test leaves nothing running.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_for(url: &str) {
    for _ in 0..300 {
        if reqwest::get(url).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never answered");
}

/// A minimal WebDriver client: just the calls this test needs.
pub struct Driver {
    http: reqwest::Client,
    base: String,
}

impl Driver {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn find(&self, css: &str) -> String {
        let v =
            self.call(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let v =
            self.call(reqwest::Method::POST, "/elements", Some(json!({ "using": "css selector", "value": css }))).await;
        v.as_array().unwrap().iter().map(|e| e[ELEMENT].as_str().unwrap().to_owned()).collect()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({ "text": text }))).await;
    }

    pub async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/clear"), Some(json!({}))).await;
    }

    /// Waits (up to 10 s) for the element's text to satisfy `ok`; returns it.
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let t = self.text(&self.find(css).await).await;
            if ok(&t) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot("wait-text-timeout").await;
        panic!("{css} stayed {:?}", self.text(&self.find(css).await).await);
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({}))).await;
    }

    pub async fn text(&self, el: &str) -> String {
        self.call(reqwest::Method::GET, &format!("/element/{el}/text"), None).await.as_str().unwrap().to_owned()
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap().to_owned()
    }

    /// Waits (up to 10 s) for the address to satisfy `ok`: a click's navigation may still be running.
    pub async fn wait_url(&self, ok: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let u = self.url().await;
            if ok(&u) {
                return u;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot("wait-url-timeout").await;
        panic!("address stayed {}", self.url().await);
    }

    /// Makes the page's viewport exactly `size` CSS pixels, as a phone's (`mobile` honours the page's
    /// `<meta name=viewport>`) when narrower than 720: the outer window's size alone leaves the
    /// viewport to the browser.
    pub async fn viewport(&self, size: (u32, u32)) {
        let params = json!({ "width": size.0, "height": size.1, "deviceScaleFactor": 1, "mobile": size.0 < 720 });
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": params })),
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page and returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    pub async fn screenshot(&self, name: &str) {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().find(|p| std::path::Path::new(p).exists())
}

/// A demo server, chromedriver and one browser session, stopped when dropped.
pub struct Browser {
    pub driver: Driver,
    pub base: String,
    _server: Guard,
    _chromedriver: Guard,
    _profile: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl Browser {
    /// Starts a demo bank of 600 customers and a browser window of `size` (width, height in CSS
    /// pixels); `None` (the test skips) when chromedriver is not installed outside CI.
    pub async fn launch(size: (u32, u32)) -> Option<Self> {
        let Some(driver_bin) = chromedriver() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromedriver is missing and CI=true: .ci/run should have installed it"
            );
            eprintln!("skipped: chromedriver not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = Guard(
            Command::new(env!("CARGO_BIN_EXE_siyu"))
                .args(["demo", "--customers", "600", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
                .arg(data.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let base = format!("http://127.0.0.1:{port}");
        wait_for(&format!("{base}/readyz")).await;

        let wd_port = free_port();
        let chromedriver = Guard(
            Command::new(driver_bin)
                .arg(format!("--port={wd_port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_for(&format!("http://127.0.0.1:{wd_port}/status")).await;
        let http = reqwest::Client::new();
        let profile = tempfile::tempdir().unwrap();
        // `--window-size` sets the outer window; the viewport is set exactly below, after the session starts.
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", format!("--window-size={},{}", size.0, size.1),
                     format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let session: Value = http
            .post(format!("http://127.0.0.1:{wd_port}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sid = session["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {session}")).to_owned();
        let driver = Driver { http, base: format!("http://127.0.0.1:{wd_port}/session/{sid}") };
        driver.viewport(size).await;
        Some(Self { driver, base, _server: server, _chromedriver: chromedriver, _profile: profile, _data: data })
    }

    /// Signs in through the sign-in form as `login` (a demo user), after signing anyone out.
    pub async fn sign_in(&self, login: &str) {
        let d = &self.driver;
        d.call(reqwest::Method::DELETE, "/cookie", None).await;
        d.go(&format!("{}/login", self.base)).await;
        d.type_into("input[name=username]", login).await;
        d.type_into("input[name=password]", siyu::demo::DEMO_PASSWORD).await;
        d.click("#login-submit").await;
        d.wait_url(|u| !u.contains("/login")).await;
    }

    pub async fn quit(self) {
        let _ = self.driver.call(reqwest::Method::DELETE, "", None).await;
    }
}
