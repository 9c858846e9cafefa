//! The sign-in page, signing in, and signing out.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::i18n::Tr;
use super::{lang, render};
use crate::app::AppState;
use crate::auth::extract::{ConsoleUser, cookie};
use crate::error::ServiceError;
use crate::services::sessions;

#[derive(Template)]
#[template(path = "login.html")]
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

/// Only same-site paths: `next=https://evil.example` must not turn sign-in into an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".into(),
    }
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    login_page(&state, lang(&headers), None, safe_next(q.next.as_deref()), String::new(), None, StatusCode::OK)
}

/// The sign-in page. Its form carries `token` when the browser already holds it as a cookie (a wrong
/// password is shown again), else a fresh token with the cookie it is checked against.
fn login_page(
    state: &AppState,
    tr: Tr,
    token: Option<&str>,
    next: String,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = token.map_or_else(crate::auth::random_secret, str::to_owned);
    let cookie = token.is_none().then(|| {
        let secure = if state.config.server.secure_cookies { "; Secure" } else { "" };
        format!(
            "{}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=86400{secure}",
            crate::auth::LOGIN_CSRF_COOKIE
        )
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
        .is_some_and(|c| !f.csrf.is_empty() && crate::auth::constant_time_eq(c, &f.csrf));
    if !token_ok {
        let error = Some(tr.t("login.expired").to_owned());
        return login_page(&state, tr, None, next, f.username, error, StatusCode::FORBIDDEN);
    }
    match sessions::login(&state, &f.username, &f.password, &addr.ip().to_string()).await {
        Ok(s) => {
            ([(header::SET_COOKIE, sessions::session_cookie(&state, Some(&s)))], Redirect::to(&next)).into_response()
        }
        Err(e) => {
            let status = e.status();
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
            login_page(&state, tr, Some(&f.csrf), next, f.username, Some(message), status)
        }
    }
}

pub async fn logout(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, crate::auth::SESSION_COOKIE)
        && let Err(e) = sessions::logout(&state, token, user.staff(), &user.0.ip).await
    {
        tracing::warn!(error = %e, "logout failed");
    }
    ([(header::SET_COOKIE, sessions::session_cookie(&state, None))], Redirect::to("/login")).into_response()
}
