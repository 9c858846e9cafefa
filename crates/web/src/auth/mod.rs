//! Who is calling, over HTTP: the middleware that resolves the caller once and checks CSRF tokens, and
//! the extractors handlers take (`ApiCaller`, `ConsoleUser`). Sign-in itself is `siyu_app`'s
//! `services::sessions`.

pub mod extract;
pub mod middleware;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "siyu_session";
/// The sign-in form's CSRF cookie: there is no session yet, so the form's token is checked against
/// this cookie instead (double submit), and another site cannot sign a browser in to its own account.
pub const LOGIN_CSRF_COOKIE: &str = "siyu_login_csrf";

/// The `Set-Cookie` value for a session (or, with `None`, the one that clears it). `Secure` is added
/// for HTTPS requests by `crate::headers::harden`, as for every cookie.
pub fn session_cookie(session: Option<&siyu_app::services::sessions::NewSession>) -> String {
    match session {
        Some(s) => format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}", s.token, s.max_age_secs),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    }
}
