//! The WeCom server API client: one per (corp, secret). It caches the access token until shortly
//! before it expires, fetches a new one and retries once when WeCom says the token is invalid or
//! expired (40014, 42001, 40001), retries system-busy and frequency-limit answers (-1, 45009, 45033)
//! with jittered exponential backoff up to a bound, and times every call out.

use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WecomError {
    /// WeCom answered with a non-zero `errcode`.
    #[error("WeCom error {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    /// Still busy or rate-limited after every retry.
    #[error("WeCom still answers {errcode} after {attempts} attempts: {errmsg}")]
    GaveUp { errcode: i64, errmsg: String, attempts: u32 },
    #[error("WeCom did not answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP: {0}")]
    Http(String),
    #[error("unexpected response: {0}")]
    Decode(String),
    /// A QR image that was refused: not from WeCom, too large, not a PNG or JPEG, or not served.
    #[error("QR image refused: {0}")]
    Image(String),
}

/// A transport error as text without its URL: reqwest puts the request URL in its message, and siyu's
/// URLs carry `corpsecret=` and `access_token=`, which would reach job errors, logs and pages. The
/// causes (connection refused, reset, TLS) are kept.
fn http_error(e: reqwest::Error) -> WecomError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    WecomError::Http(text)
}

impl WecomError {
    /// The `errcode`, for errors WeCom reported.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Api { errcode, .. } | Self::GaveUp { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }
    /// Whether WeCom definitely refused the request itself (an errcode that is neither busy, rate or
    /// concurrency limited, nor about the access token): only such an answer says the thing asked for
    /// will not happen; any other error may have been, or may yet be, done by a later call.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Api { errcode, .. } => !BUSY_ERRORS.contains(errcode) && !TOKEN_ERRORS.contains(errcode),
            _ => false,
        }
    }
}

/// The largest QR image siyu takes (WeCom's are tens of kilobytes).
pub const MAX_QR_BYTES: usize = 1 << 20;
/// How long a QR image may take to arrive.
const QR_TIMEOUT: Duration = Duration::from_secs(5);
/// The hosts WeCom serves contact ways' QR images from (`qr_code`, e.g.
/// `https://wework.qpic.cn/wwpic/…`, and `p.qpic.cn`/`p1.qpic.cn`… in the documentation's samples).
/// The URL comes from WeCom's answer, so anything else — an address inside the bank, a cloud's
/// metadata service — is refused before a connection is made.
pub const WECOM_QR_HOSTS: [&str; 2] = ["wework.qpic.cn", "p.qpic.cn"];

/// Whether `host` is one of WeCom's image hosts: those of [`WECOM_QR_HOSTS`], or `p<digits>.qpic.cn`.
fn is_wecom_image_host(host: &str) -> bool {
    let numbered = host
        .strip_suffix(".qpic.cn")
        .and_then(|h| h.strip_prefix('p'))
        .is_some_and(|n| !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()));
    WECOM_QR_HOSTS.contains(&host) || numbered
}

/// A contact way's QR image as fetched: its type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    /// `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Token errors: fetch a new token and try once more.
const TOKEN_ERRORS: [i64; 3] = [40014, 42001, 40001];
/// Busy and rate-limit errors: wait and try again.
const BUSY_ERRORS: [i64; 3] = [-1, 45009, 45033];

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts for busy/rate-limited answers, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub timeout: Duration,
    /// A token is renewed this long before WeCom says it expires.
    pub token_margin: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            token_margin: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random delay up to `base × 2^(attempt-1)`, capped, so many clients that were
    /// throttled together do not come back together.
    fn delay(&self, attempt: u32) -> Duration {
        let cap = self.base_delay.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(self.max_delay);
        let ms = cap.as_millis() as u64;
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms.max(1)))
    }
}

#[derive(Debug)]
struct CachedToken {
    value: String,
    renew_at: Instant,
}

/// A client of one corp's API with one app secret.
pub struct WecomClient {
    http: reqwest::Client,
    /// The client QR images are fetched with: it follows no redirect, so an allowed host cannot send
    /// the fetch on to one that is not.
    qr_http: reqwest::Client,
    base: String,
    corp_id: String,
    secret: String,
    policy: RetryPolicy,
    token: Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for WecomClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomClient").field("base", &self.base).field("corp_id", &self.corp_id).finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

impl WecomClient {
    /// `base` is `https://qyapi.weixin.qq.com` in production, the fake server's address in tests.
    pub fn new(base: &str, corp_id: &str, secret: &str, policy: RetryPolicy) -> Self {
        let http = reqwest::Client::builder().timeout(policy.timeout).build().expect("a TLS backend is compiled in");
        let qr_http = reqwest::Client::builder()
            .timeout(QR_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a TLS backend is compiled in");
        Self {
            http,
            qr_http,
            base: base.trim_end_matches('/').to_owned(),
            corp_id: corp_id.to_owned(),
            secret: secret.to_owned(),
            policy,
            token: Mutex::new(None),
        }
    }

    pub fn corp_id(&self) -> &str {
        &self.corp_id
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<serde_json::Value, WecomError> {
        // The client's timeout covers the whole exchange, so it can strike while the body is read as
        // well as before the head arrives: both are a timeout, not a transport error.
        let transport =
            |e: reqwest::Error| if e.is_timeout() { WecomError::Timeout(self.policy.timeout) } else { http_error(e) };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(transport)?;
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => Ok(v),
            // A 5xx without a JSON envelope is the gateway failing: treat it like "system busy".
            Err(_) if status.is_server_error() => {
                Ok(serde_json::json!({ "errcode": -1, "errmsg": format!("HTTP {status}") }))
            }
            Err(e) => Err(WecomError::Decode(format!("HTTP {status}: {e}"))),
        }
    }

    /// The cached token, or a fresh one. The lock is held while fetching, so concurrent callers wait
    /// for one `gettoken` instead of each calling it.
    async fn access_token(&self) -> Result<String, WecomError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(t.value.clone());
        }
        let mut attempt = 0;
        let v = loop {
            attempt += 1;
            let req = self
                .http
                .get(format!("{}/cgi-bin/gettoken", self.base))
                .query(&[("corpid", &self.corp_id), ("corpsecret", &self.secret)]);
            let v = self.send(req).await?;
            let env: Envelope = serde_json::from_value(v.clone()).map_err(|e| WecomError::Decode(e.to_string()))?;
            match env.errcode {
                0 => break v,
                code if BUSY_ERRORS.contains(&code) && attempt < self.policy.max_attempts => {
                    tokio::time::sleep(self.policy.delay(attempt)).await
                }
                errcode => return Err(WecomError::Api { errcode, errmsg: env.errmsg }),
            }
        };
        let t: TokenResponse = serde_json::from_value(v).map_err(|e| WecomError::Decode(e.to_string()))?;
        let life =
            Duration::from_secs(t.expires_in).saturating_sub(self.policy.token_margin).max(Duration::from_secs(1));
        *guard = Some(CachedToken { value: t.access_token.clone(), renew_at: Instant::now() + life });
        Ok(t.access_token)
    }

    async fn forget_token(&self, stale: &str) {
        let mut guard = self.token.lock().await;
        if guard.as_ref().is_some_and(|t| t.value == stale) {
            *guard = None;
        }
    }

    /// Calls an API path (`/cgi-bin/...`) with the token, the retry rules, and the envelope check.
    async fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: Payload<'_>,
    ) -> Result<T, WecomError> {
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = self.access_token().await?;
            let url = format!("{}{path}", self.base);
            let mut req = match body {
                Payload::Json(b) => self.http.post(url).json(b),
                // A form is consumed by its send, so each attempt builds its own.
                Payload::Media { file_name, content_type, bytes } => {
                    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                        .file_name(file_name.to_owned())
                        .mime_str(content_type)
                        .map_err(|e| WecomError::Http(format!("media content type: {e}")))?;
                    self.http.post(url).multipart(reqwest::multipart::Form::new().part("media", part))
                }
                Payload::None => self.http.get(url),
            };
            req = req.query(&[("access_token", token.as_str())]).query(query);
            let v = self.send(req).await?;
            let env: Envelope = serde_json::from_value(v.clone()).map_err(|e| WecomError::Decode(e.to_string()))?;
            match env.errcode {
                0 => return serde_json::from_value(v).map_err(|e| WecomError::Decode(format!("{path}: {e}"))),
                code if TOKEN_ERRORS.contains(&code) && !refreshed => {
                    tracing::info!(path, code, "WeCom token refused; fetching a new one");
                    self.forget_token(&token).await;
                    refreshed = true;
                    attempt -= 1;
                }
                code if BUSY_ERRORS.contains(&code) => {
                    if attempt >= self.policy.max_attempts {
                        return Err(WecomError::GaveUp { errcode: code, errmsg: env.errmsg, attempts: attempt });
                    }
                    let wait = self.policy.delay(attempt);
                    tracing::debug!(path, code, ?wait, "WeCom busy; backing off");
                    tokio::time::sleep(wait).await;
                }
                errcode => return Err(WecomError::Api { errcode, errmsg: env.errmsg }),
            }
        }
    }

    /// Where a contact way's `qr_code` URL may be fetched from, as the URL to fetch: HTTPS on one of
    /// WeCom's image hosts (a plain-HTTP address on those hosts, as the documentation's samples give,
    /// is fetched over HTTPS), or this client's own base exactly — scheme, host and port — which is
    /// the fake WeCom in tests and the demo (and WeCom's API host in production). Anything else is
    /// refused with why, naming no more of the URL than its host.
    pub fn qr_fetch_url(&self, url: &str) -> Result<reqwest::Url, WecomError> {
        let refused = |why: &str| WecomError::Image(why.to_owned());
        let mut parsed = reqwest::Url::parse(url).map_err(|_| refused("not a URL"))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(refused("an address with credentials in it"));
        }
        let own = reqwest::Url::parse(&self.base).ok().filter(|b| b.origin() == parsed.origin());
        if own.is_some() {
            return Ok(parsed);
        }
        // `domain()` is none for an IP address, which no WeCom image host is.
        let Some(host) = parsed.domain().map(str::to_ascii_lowercase) else {
            return Err(refused("not a WeCom image host"));
        };
        if !is_wecom_image_host(&host) {
            return Err(refused(&format!("not a WeCom image host: {host}")));
        }
        match (parsed.scheme(), parsed.port()) {
            ("https", None) => {}
            ("http", None) => parsed.set_scheme("https").map_err(|_| refused("not a URL"))?,
            _ => return Err(refused(&format!("not HTTPS on {host}"))),
        }
        Ok(parsed)
    }

    /// Fetches the image at a contact way's `qr_code` URL: only where [`Self::qr_fetch_url`] allows,
    /// following no redirect, within [`QR_TIMEOUT`], at most [`MAX_QR_BYTES`], and only a PNG or JPEG
    /// by both its `Content-Type` and its first bytes.
    pub async fn fetch_qr_image(&self, url: &str) -> Result<QrImage, WecomError> {
        let refused = |why: &str| WecomError::Image(why.to_owned());
        let url = self.qr_fetch_url(url)?;
        let transport =
            |e: reqwest::Error| if e.is_timeout() { WecomError::Timeout(QR_TIMEOUT) } else { http_error(e) };
        let fetch = async {
            let mut resp = self.qr_http.get(url).send().await.map_err(transport)?;
            // A redirect is not followed (`qr_http`), so it is refused here like any other non-2xx.
            if !resp.status().is_success() {
                return Err(refused(&format!("HTTP {}", resp.status().as_u16())));
            }
            if resp.content_length().is_some_and(|n| n > MAX_QR_BYTES as u64) {
                return Err(refused("larger than 1 MiB"));
            }
            let declared = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
                .unwrap_or_default();
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(transport)? {
                if bytes.len() + chunk.len() > MAX_QR_BYTES {
                    return Err(refused("larger than 1 MiB"));
                }
                bytes.extend_from_slice(&chunk);
            }
            let content_type = match declared.as_str() {
                "image/png" if bytes.starts_with(b"\x89PNG\r\n\x1a\n") => "image/png",
                "image/jpeg" | "image/jpg" if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) => "image/jpeg",
                _ => return Err(refused("not a PNG or JPEG image")),
            };
            Ok(QrImage { content_type, bytes })
        };
        // The per-request timeout covers the head; this covers a body that trickles in.
        tokio::time::timeout(QR_TIMEOUT, fetch).await.map_err(|_| WecomError::Timeout(QR_TIMEOUT))?
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, WecomError> {
        self.call(path, query, Payload::None).await
    }

    pub async fn post<T: DeserializeOwned, B: Serialize>(&self, path: &str, body: &B) -> Result<T, WecomError> {
        let v = serde_json::to_value(body).map_err(|e| WecomError::Decode(e.to_string()))?;
        self.call(path, &[], Payload::Json(&v)).await
    }

    /// Uploads temporary media (上传临时素材): `POST /cgi-bin/media/upload?type=image|file`, the bytes
    /// as the multipart field `media` with its file name and content type; WeCom answers `type`,
    /// `media_id` and `created_at` (seconds, a string in its samples), and keeps it three days.
    /// The shape is WeCom's public document, developer.work.weixin.qq.com/document/path/90253 (not
    /// in ../shared/wecom/API.md): images up to 10 MB, JPG or PNG; files up to 20 MB; every file
    /// more than 5 bytes.
    pub async fn upload_media(
        &self,
        kind: MediaType,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<UploadedMedia, WecomError> {
        let payload = Payload::Media { file_name, content_type, bytes };
        let up: UploadAnswer = self.call("/cgi-bin/media/upload", &[("type", kind.as_str())], payload).await?;
        let created_at = match &up.created_at {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| WecomError::Decode(format!("media/upload: created_at {}", up.created_at)))?;
        Ok(UploadedMedia { media_id: up.media_id, created_at })
    }
}

/// What a call sends: nothing (a GET), a JSON document, or one file as a multipart form.
#[derive(Clone, Copy)]
enum Payload<'a> {
    None,
    Json(&'a serde_json::Value),
    Media { file_name: &'a str, content_type: &'a str, bytes: &'a [u8] },
}

/// The temporary media types siyu uploads (WeCom also has voice and video).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Image,
    File,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
        }
    }
}

/// How long WeCom keeps temporary media: three days from `created_at`.
pub const TEMPORARY_MEDIA_SECS: i64 = 3 * 86_400;

#[derive(serde::Deserialize)]
struct UploadAnswer {
    media_id: String,
    created_at: serde_json::Value,
}

/// Temporary media as WeCom took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedMedia {
    pub media_id: String,
    /// When WeCom took it, Unix seconds; it expires [`TEMPORARY_MEDIA_SECS`] later.
    pub created_at: i64,
}
