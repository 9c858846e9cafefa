//! One middleware in front of every route: resolves the caller once, and refuses any state-changing
//! request made with the session cookie that does not carry the session's CSRF token.
//!
//! The token may come as an `X-CSRF-Token` header (the console's scripts, API calls from the browser),
//! a `csrf` field of a url-encoded form, or a `csrf` query parameter (file-upload forms, whose bodies are
//! not buffered here). Requests with a bearer token are not cookie-driven and need none.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use siyu_app::auth::constant_time_eq;
use siyu_app::caller::Caller;
use siyu_app::error::ServiceError;
use siyu_app::state::AppState;

use super::extract::resolve_session;
use crate::error::ApiError;

/// Url-encoded forms larger than this are not console forms (the same limit every form route has).
const FORM_LIMIT: usize = crate::router::BODY_LIMIT;

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn refuse(is_api: bool) -> Response {
    if is_api {
        ApiError::CsrfFailed.into_response()
    } else {
        (StatusCode::FORBIDDEN, siyu_domain::lang::Text::new("http.form_expired").render(crate::error::request_lang()))
            .into_response()
    }
}

/// Where a session that must change its password may still go: the page that changes it, signing out,
/// the language switch, the stylesheet and script, and the health checks.
fn open_while_password_must_change(path: &str) -> bool {
    matches!(path, "/password" | "/logout" | "/login" | "/healthz" | "/readyz")
        || path.starts_with("/lang/")
        || path.starts_with("/static/")
}

pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let mut must_change = false;
    let caller: Option<Caller> = match resolve_session(&parts, &state).await {
        Ok(r) if r.must_change_password && !open_while_password_must_change(parts.uri.path()) => {
            // After an administrator's reset the temporary password opens nothing but the change.
            if parts.uri.path().starts_with("/api/") {
                return ApiError::PasswordChangeRequired.into_response();
            }
            return Redirect::to("/password").into_response();
        }
        Ok(r) => {
            must_change = r.must_change_password;
            Some(r.caller)
        }
        Err(ServiceError::Unauthenticated) => None,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let expected = caller.as_ref().filter(|c| c.staff.is_some()).and_then(|c| c.csrf.clone());
    let mut body = body;
    if let (false, Some(expected)) = (safe, expected) {
        let is_api = parts.uri.path().starts_with("/api/");
        let mut given = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if given.is_none() {
            given = parts.uri.query().and_then(|q| form_field(q.as_bytes(), "csrf"));
        }
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if given.is_none() && is_form {
            let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
                if is_api {
                    return ApiError::BodyTooLarge.into_response();
                }
                return (StatusCode::PAYLOAD_TOO_LARGE, ApiError::BodyTooLarge.message()).into_response();
            };
            given = form_field(&bytes, "csrf");
            body = Body::from(bytes);
        }
        if !given.is_some_and(|g| constant_time_eq(&g, &expected)) {
            tracing::warn!(path = %parts.uri.path(), "refused a request without a valid CSRF token");
            return refuse(is_api);
        }
    }
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(ResolvedCaller(caller));
    if must_change {
        req.extensions_mut().insert(PasswordMustChange);
    }
    next.run(req).await
}

/// Marks a request whose session must change its password before anything else (see
/// [`authenticate`]); the change-password page reads it to say why it is shown.
#[derive(Debug, Clone, Copy)]
pub struct PasswordMustChange;

/// What [`authenticate`] found, for the extractors.
#[derive(Debug, Clone)]
pub struct ResolvedCaller(pub Option<Caller>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urlencoded_fields() {
        assert_eq!(form_field(b"a=1&csrf=x%2By+z&b=", "csrf").as_deref(), Some("x+y z"));
        assert_eq!(form_field(b"a=1", "csrf"), None);
        assert_eq!(form_field(b"csrf=%zz%4", "csrf").as_deref(), Some("%zz%4"));
    }
}
