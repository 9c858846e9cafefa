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

pub async fn page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage { tr: lang(&headers), next: safe_next(q.next.as_deref()), username: String::new(), error: None })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let tr = lang(&headers);
    let next = safe_next(f.next.as_deref());
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
            let mut resp = render(&LoginPage { tr, next, username: f.username, error: Some(message) });
            *resp.status_mut() =
                if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::UNAUTHORIZED } else { status };
            resp
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
