//! Signing in and out with a password.

use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::org::Staff;

use crate::app::AppState;
use crate::auth::{password, random_secret, secret_hash};
use crate::error::{ServiceError, ServiceResult};

/// A new session: the cookie value (given to the browser, stored only hashed) and its CSRF token.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub staff: Staff,
    pub max_age_secs: i64,
}

/// A hash to verify against when the login name is unknown, so a miss costs as long as a wrong password
/// and timing does not reveal which names exist.
fn decoy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| password::hash_password("decoy password 0"))
}

pub async fn login(state: &AppState, username: &str, pw: &str, ip: &str) -> ServiceResult<NewSession> {
    let now = state.clock.now();
    let username = username.trim().to_lowercase();
    if let Err(secs) = state.throttle.check(&username, ip, now) {
        return Err(ServiceError::TooManyAttempts { retry_after_secs: secs });
    }
    let found = state.store.staff_credentials(&username).await;
    let (ok, staff) = match found {
        Ok(c) => {
            let pw = pw.to_owned();
            let hash = c.password_hash.clone();
            let ok = tokio::task::spawn_blocking(move || password::verify_password(&pw, &hash)).await.unwrap_or(false);
            (ok && c.staff.active, Some(c.staff))
        }
        Err(siyu_store::StoreError::NotFound) => {
            let pw = pw.to_owned();
            let _ = tokio::task::spawn_blocking(move || password::verify_password(&pw, decoy_hash())).await;
            (false, None)
        }
        Err(e) => return Err(e.into()),
    };
    let audit = |action, detail: &str| NewAuditEntry {
        at: now,
        staff_id: staff.as_ref().map(|s| s.id),
        actor: username.clone(),
        action,
        target: staff.as_ref().map(|s| s.id.to_string()).unwrap_or_default(),
        detail: detail.to_owned(),
        ip: Some(ip.to_owned()),
    };
    let Some(staff) = staff.clone().filter(|_| ok) else {
        state.throttle.record_failure(&username, ip, now);
        state.metrics.logins_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        state.store.append_audit(&audit(AuditAction::LoginFailed, "wrong login name, password, or inactive")).await?;
        return Err(ServiceError::invalid("bad_credentials", "登录名或密码错误 / wrong login name or password"));
    };
    state.throttle.record_success(&username);
    let token = random_secret();
    let csrf = random_secret();
    let max_age_secs = state.config.security.session_hours * 3600;
    state.store.create_session(&secret_hash(&token), staff.id, &csrf, now.plus_secs(max_age_secs)).await?;
    state.store.append_audit(&audit(AuditAction::Login, "password")).await?;
    Ok(NewSession { token, csrf, staff, max_age_secs })
}

pub async fn logout(state: &AppState, token: &str, staff: &Staff, ip: &str) -> ServiceResult<()> {
    state.store.delete_session(&secret_hash(token)).await?;
    let entry = NewAuditEntry {
        at: state.clock.now(),
        staff_id: Some(staff.id),
        actor: staff.username.clone(),
        action: AuditAction::Logout,
        target: staff.id.to_string(),
        detail: String::new(),
        ip: Some(ip.to_owned()),
    };
    state.store.append_audit(&entry).await?;
    Ok(())
}

/// The `Set-Cookie` value for a session (or, with `None`, the one that clears it).
pub fn session_cookie(state: &AppState, session: Option<&NewSession>) -> String {
    let secure = if state.config.server.secure_cookies { "; Secure" } else { "" };
    match session {
        Some(s) => format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            crate::auth::SESSION_COOKIE,
            s.token,
            s.max_age_secs
        ),
        None => format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", crate::auth::SESSION_COOKIE),
    }
}
