//! The sign-in page, signing in, and signing out.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::i18n::Tr;
use super::{PageCtx, lang, render};
use crate::auth::extract::{ConsoleUser, cookie};
use siyu_app::error::ServiceError;
use siyu_app::services::sessions;
use siyu_app::state::AppState;

#[derive(Template)]
#[template(path = "login/sign_in.html")]
struct LoginPage {
    tr: Tr,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The longest `next` kept; console links are far shorter.
const MAX_NEXT_BYTES: usize = 2048;

/// Only same-site paths: `next=https://evil.example` must not turn sign-in into an open redirect.
///
/// A browser strips tabs and newlines from a `Location` and reads a backslash as `/`, so `/<tab>/evil.example`
/// and `/\evil.example` both mean `//evil.example`, another host; a proxy or a second decoding may turn
/// `%2F`, `%5C` or `%09` into the same. So `next` must be printable ASCII (the console's own links are
/// percent-encoded), and neither it nor its percent-decodings may hold a control character or a
/// backslash, start with `//`, or hold a `.`/`..` segment (no console link has one, and a server or
/// proxy that normalises `/.//evil.example` makes it `//evil.example`). Anything else goes to `/`.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_same_site_path(n) => n.to_owned(),
        _ => "/".into(),
    }
}

fn is_same_site_path(n: &str) -> bool {
    if n.len() > MAX_NEXT_BYTES || !n.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let mut form = n.as_bytes().to_vec();
    // Three decodings cover any proxy chain seen in practice; an input that still changes after them
    // is refused outright.
    for _ in 0..3 {
        if !safe_path_bytes(&form) {
            return false;
        }
        let decoded = percent_decode(&form);
        if decoded == form {
            return true;
        }
        form = decoded;
    }
    false
}

fn safe_path_bytes(p: &[u8]) -> bool {
    let path = p.split(|&b| b == b'?' || b == b'#').next().unwrap_or_default();
    p.first() == Some(&b'/')
        && p.get(1) != Some(&b'/')
        && !p.iter().any(|&b| b == b'\\' || b.is_ascii_control())
        && !path.split(|&b| b == b'/').any(|seg| seg == b"." || seg == b"..")
}

/// `%XX` → the byte; anything else, a malformed escape included, as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (s.get(i + 1).and_then(|&b| hex(b)), s.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

pub async fn page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    login_page(lang(&headers), None, safe_next(q.next.as_deref()), String::new(), None, StatusCode::OK)
}

/// The sign-in page. Its form carries `token` when the browser already holds it as a cookie (a wrong
/// password is shown again), else a fresh token with the cookie it is checked against.
fn login_page(
    tr: Tr,
    token: Option<&str>,
    next: String,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = token.map_or_else(siyu_app::auth::random_secret, str::to_owned);
    // `Secure` is added for HTTPS requests by `crate::headers::harden`, as for every cookie.
    let cookie = token.is_none().then(|| {
        format!("{}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=86400", crate::auth::LOGIN_CSRF_COOKIE)
    });
    let mut resp = render(&LoginPage { tr, csrf, next, username, error });
    *resp.status_mut() = status;
    if let Some(v) = cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let tr = lang(&headers);
    let next = safe_next(f.next.as_deref());
    // Checked before the password, and not counted by the throttle: a form posted from another site
    // (or a page left open past its cookie) is shown again with a fresh token.
    let token_ok = cookie(&headers, crate::auth::LOGIN_CSRF_COOKIE)
        .is_some_and(|c| !f.csrf.is_empty() && siyu_app::auth::constant_time_eq(c, &f.csrf));
    if !token_ok {
        let error = Some(tr.t("login.expired").to_owned());
        return login_page(tr, None, next, shown_name(&f.username), error, StatusCode::FORBIDDEN);
    }
    match sessions::login(&state, &f.username, &f.password, &addr.ip().to_string()).await {
        Ok(s) => ([(header::SET_COOKIE, crate::auth::session_cookie(Some(&s)))], Redirect::to(&next)).into_response(),
        Err(e) => {
            let status = crate::error::status_of(&e);
            let message = match e {
                ServiceError::TooManyAttempts { retry_after_secs } => {
                    if tr.is_en() {
                        format!("Too many failed attempts; try again in {} minutes.", (retry_after_secs + 59) / 60)
                    } else {
                        format!("失败次数过多，请 {} 分钟后再试。", (retry_after_secs + 59) / 60)
                    }
                }
                ServiceError::Invalid { .. } => {
                    if tr.is_en() { "Wrong login name or password." } else { "登录名或密码错误。" }.to_owned()
                }
                other => other.to_string(),
            };
            let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::UNAUTHORIZED } else { status };
            login_page(tr, Some(&f.csrf), next, shown_name(&f.username), Some(message), status)
        }
    }
}

/// The name shown again in the form after a failed sign-in: no longer than sign-in would look at.
fn shown_name(name: &str) -> String {
    name.trim().chars().take(sessions::MAX_LOGIN_NAME_BYTES).collect()
}

pub async fn logout(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, crate::auth::SESSION_COOKIE)
        && let Err(e) = sessions::logout(&state, token, user.staff(), &user.0.ip).await
    {
        tracing::warn!(error = %e, "logout failed");
    }
    ([(header::SET_COOKIE, crate::auth::session_cookie(None))], Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "login/change_password.html")]
struct ChangePasswordPage {
    ctx: PageCtx,
    /// An administrator reset the password: nothing else opens until it is changed.
    must_change: bool,
    changed: bool,
    error: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ChangedQuery {
    changed: Option<String>,
}

/// The self-service page to change one's password; after an administrator's reset every console page
/// sends the member here until they do.
pub async fn password_page(
    user: ConsoleUser,
    headers: HeaderMap,
    must: Option<axum::Extension<crate::auth::middleware::PasswordMustChange>>,
    Query(q): Query<ChangedQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/password");
    render(&ChangePasswordPage { ctx, must_change: must.is_some(), changed: q.changed.is_some(), error: None })
}

#[derive(Debug, Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    must: Option<axum::Extension<crate::auth::middleware::PasswordMustChange>>,
    Form(f): Form<ChangePasswordForm>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/password");
    let again = |ctx: PageCtx, key: &'static str, status: StatusCode| {
        let error = Some(ctx.tr.t(key));
        let mut resp = render(&ChangePasswordPage { ctx, must_change: must.is_some(), changed: false, error });
        *resp.status_mut() = status;
        resp
    };
    if f.new != f.repeat {
        return again(ctx, "password.mismatch", StatusCode::UNPROCESSABLE_ENTITY);
    }
    match sessions::change_password(&state, &user.0, &f.current, &f.new).await {
        // The other sessions ended with the change; this browser carries on in a fresh one.
        Ok(s) => ([(header::SET_COOKIE, crate::auth::session_cookie(Some(&s)))], Redirect::to("/password?changed=1"))
            .into_response(),
        Err(e) => {
            let status = crate::error::status_of(&e);
            let key = match e.code() {
                "bad_current_password" => "password.wrong_current",
                "weak_password" => "password.weak",
                "same_password" => "password.same",
                "too_many_attempts" => "password.too_many",
                _ => return super::error_page(ctx, e),
            };
            again(ctx, key, status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_path_of_this_site_or_home() {
        let home = [
            "/%09/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "//evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%252F/evil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "/.//evil.example",
            "/./%2Fevil.example",
            "/a/../../evil.example",
            "https://evil.example",
            "evil.example",
            "/客户",
            "",
        ];
        for n in home {
            assert_eq!(safe_next(Some(n)), "/", "{n:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(MAX_NEXT_BYTES)))), "/", "over-long");
        for n in
            ["/", "/customers", "/customers?q=%E5%BC%A0&page=2", "/customers/cus_3#tags", "/a.b/c..d", "/x?next=//y"]
        {
            assert_eq!(safe_next(Some(n)), n, "{n:?}");
        }
    }
}
