//! Request extractors that establish who is calling.
//!
//! [`ApiCaller`] answers a JSON 401 when nobody is signed in; [`ConsoleUser`] redirects to the sign-in
//! page. Both resolve the same way: a `Bearer` API token, else the session cookie.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use siyu_app::caller::Caller;
use siyu_app::error::ServiceError;
use siyu_app::services::sessions::{self, Credentials};
use siyu_app::state::AppState;
use siyu_domain::org::Staff;

use super::SESSION_COOKIE;
use crate::error::ApiError;

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn client_ip(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// Resolves the caller from a bearer token or the session cookie.
pub async fn resolve(parts: &Parts, state: &AppState) -> Result<Caller, ServiceError> {
    Ok(resolve_session(parts, state).await?.caller)
}

/// [`resolve`], with whether the session must change its password first.
pub async fn resolve_session(parts: &Parts, state: &AppState) -> Result<sessions::Resolved, ServiceError> {
    let ip = client_ip(parts);
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = auth.strip_prefix("Bearer ").ok_or(ServiceError::Unauthenticated)?;
        return sessions::resolve_session(state, Credentials::Bearer(token), ip).await;
    }
    let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(ServiceError::Unauthenticated)?;
    sessions::resolve_session(state, Credentials::Session(token), ip).await
}

/// The caller the `authenticate` middleware resolved, or a fresh resolution where it did not run.
pub(crate) async fn caller_of(parts: &Parts, state: &AppState) -> Result<Caller, ServiceError> {
    match parts.extensions.get::<super::middleware::ResolvedCaller>() {
        Some(r) => r.0.clone().ok_or(ServiceError::Unauthenticated),
        None => resolve(parts, state).await,
    }
}

/// A caller of the JSON API.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(caller_of(parts, state).await?))
    }
}

/// A signed-in person using the console, with the kind of unit they head when they are a branch
/// manager (their title says which: 分行负责人 or 网点负责人).
#[derive(Debug, Clone)]
pub struct ConsoleUser(pub Caller, pub Option<siyu_domain::org::OrgUnitKind>);

impl ConsoleUser {
    pub fn staff(&self) -> &Staff {
        self.0.staff.as_ref().expect("console users are staff")
    }

    pub fn csrf(&self) -> &str {
        self.0.csrf.as_deref().unwrap_or("")
    }
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match caller_of(parts, state).await {
            Ok(c) if c.staff.is_some() => {
                // Only a branch manager's title needs their unit: one look-up for them, none for others.
                let kind = siyu_app::services::home::unit_kind(state, &c).await.unwrap_or(None);
                Ok(Self(c, kind))
            }
            Ok(_) | Err(ServiceError::Unauthenticated) => {
                let back = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let next = url_escape(back);
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// Percent-encodes everything but unreserved characters, for a `next=` parameter.
pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
