//! The tracked links' public routes (雷达链接): `GET /l/{token}` opens a link, `POST /l/{token}/read`
//! and `POST /l/{token}/forward` are the article page's beacons (`static/link_beacon.js`). The ladder
//! of checks and the group commit are `siyu_app::links`; this only reads the cookie and the body and
//! maps the outcome to an answer.
//!
//! These routes are outside the `authenticate` middleware (see `router.rs`): they never have a
//! caller — the opener is a customer's browser — so no session is looked up on a path a viral post
//! sends thousands of opens a second down, and a staff member's own session cookie does not make the
//! beacons "cookie-driven writes" needing a CSRF token (they change nothing of the session's). They
//! still get `harden` (`Secure` cookies over HTTPS, `no-store`) and the request metrics.
//!
//! A refused token (malformed, tampered, expired) records nothing and gets one neutral page — 200, in
//! the browser's language, no reason, no redirect — so a prober learns nothing and a customer with an
//! old link sees a calm page; a beacon with a refused token is answered 404 with no body.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use siyu_app::links::{self, Refusal, VISITOR_COOKIE, Visitor};
use siyu_app::state::AppState;
use siyu_domain::lang::{Lang, Text};

use crate::auth::extract::cookie;

/// A beacon's body is `{"seconds": n}` or nothing.
const BEACON_LIMIT: usize = 1024;

/// How long the visitor cookie lasts: two years, so a customer who opens a Moments post today and
/// their own link next year is still one opener.
const VISITOR_MAX_AGE_SECS: i64 = 2 * 366 * 24 * 3600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/l/{token}", get(open))
        .route("/l/{token}/read", post(read).layer(DefaultBodyLimit::max(BEACON_LIMIT)))
        .route("/l/{token}/forward", post(forward).layer(DefaultBodyLimit::max(BEACON_LIMIT)))
        .route(
            "/static/link_beacon.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/link_beacon.js"))
            }),
        )
}

/// The `Set-Cookie` for a new visitor: `HttpOnly`, `SameSite=Lax`; `Secure` is added over HTTPS by
/// `crate::headers::harden`, as for every cookie.
fn visitor_cookie(v: &Visitor) -> Option<HeaderValue> {
    v.new
        .then(|| format!("{VISITOR_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={VISITOR_MAX_AGE_SECS}", v.id))
        .and_then(|c| HeaderValue::from_str(&c).ok())
}

fn with_cookie(mut resp: Response, v: &Visitor) -> Response {
    if let Some(c) = visitor_cookie(v) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// A customer's browser speaks its `Accept-Language` (Chinese unless an `en…` tag comes first).
fn lang(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The one page a link that cannot be opened shows, phone-sized; the words are the catalogue's own.
fn page(lang: Lang, title: &Text, body: &Text) -> String {
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:0;padding:3rem 1.25rem;color:#333;text-align:center}}\
         h1{{font-size:1.25rem;font-weight:600}}p{{color:#666;line-height:1.6}}</style></head>\
         <body><h1>{t}</h1><p>{b}</p></body></html>",
        code = lang.html_code(),
        t = title.render(lang),
        b = body.render(lang),
    )
}

fn neutral(lang: Lang) -> Response {
    Html(page(lang, &Text::new("links.unavailable_title"), &Text::new("links.unavailable_body"))).into_response()
}

fn busy(lang: Lang) -> Response {
    let text = Text::new("links.busy");
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, Html(page(lang, &text, &Text::new("links.unavailable_body"))))
        .into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

async fn open(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match links::open(&state, &token, cookie(&headers, VISITOR_COOKIE)).await {
        Ok(opened) => {
            let to = opened.target.location(&token).and_then(|l| HeaderValue::from_str(&l).ok());
            let resp = match to {
                Some(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
                None => neutral(lang(&headers)),
            };
            with_cookie(resp, &opened.visitor)
        }
        Err(Refusal::Token(_)) => neutral(lang(&headers)),
        Err(_) => busy(lang(&headers)),
    }
}

fn beacon(result: Result<Visitor, Refusal>) -> Response {
    match result {
        Ok(v) => with_cookie(StatusCode::NO_CONTENT.into_response(), &v),
        Err(Refusal::Token(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(Refusal::BadSeconds) => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        Err(Refusal::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    seconds: i64,
}

/// `sendBeacon` sends a string as `text/plain`, so the body is read as JSON whatever its type.
async fn read(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(ReadBody { seconds }) = serde_json::from_slice::<ReadBody>(&body) else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    beacon(links::read(&state, &token, cookie(&headers, VISITOR_COOKIE), seconds).await)
}

async fn forward(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    beacon(links::forward(&state, &token, cookie(&headers, VISITOR_COOKIE)).await)
}
