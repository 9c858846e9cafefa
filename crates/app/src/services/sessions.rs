//! Signing in and out with a password.

use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::lang::Text;
use siyu_domain::org::Staff;
use siyu_domain::scope::Actor;

use crate::auth::{password, random_secret, secret_hash};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// A new session: the cookie value (given to the browser, stored only hashed) and its CSRF token.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub staff: Staff,
    pub max_age_secs: i64,
}

/// The longest login name sign-in looks up, in bytes (after trimming). Twice the rule for names
/// ([`crate::services::staff::USERNAME_MAX_BYTES`]), leaving room for administrators made by
/// `create-admin` before it checked that rule; anything longer names no one.
pub const MAX_LOGIN_NAME_BYTES: usize = 64;

fn wrong_credentials() -> ServiceError {
    ServiceError::invalid("bad_credentials", Text::new("sessions.bad_credentials"))
}

/// Signs a member in. The order matters: a cheap look at the throttle; a turn to hash (bounded); the
/// attempt counted as a failure and the throttle checked in one step; only then the password check,
/// after which a right password gives the attempt back. Parallel attempts therefore get no more
/// password checks than the throttle allows.
pub async fn login(state: &AppState, username: &str, pw: &str, ip: &str) -> ServiceResult<NewSession> {
    let username = username.trim();
    // A name or password longer than any that can exist is a wrong sign-in, answered before anything
    // is hashed, counted or written down: it cannot guess anything, and keeping it would let one
    // request put megabytes into the throttle's memory or the audit log.
    if username.len() > MAX_LOGIN_NAME_BYTES || pw.len() > password::MAX_PASSWORD_BYTES {
        let shown: String = username.chars().take(MAX_LOGIN_NAME_BYTES).collect();
        tracing::warn!(name = %shown, name_bytes = username.len(), password_bytes = pw.len(), %ip, "over-long sign-in refused");
        return Err(wrong_credentials());
    }
    let username = username.to_lowercase();
    let too_many = |retry_after_secs| ServiceError::TooManyAttempts { retry_after_secs };
    state.throttle.check(&username, ip, state.clock.now()).map_err(too_many)?;
    let turn = state.passwords.permit().await;
    let now = state.clock.now();
    let attempt = state.throttle.reserve(&username, ip, now).map_err(|r| too_many(r.retry_after_secs()))?;
    let found = state.store.staff_credentials(&username).await;
    let (ok, staff) = match found {
        Ok(c) => {
            let ok = turn.verify(pw.to_owned(), c.password_hash.clone()).await;
            (ok && c.staff.active, Some(c.staff))
        }
        Err(siyu_store::StoreError::NotFound) => {
            turn.verify_decoy(pw.to_owned()).await;
            (false, None)
        }
        // No password was checked: dropping `attempt` gives it back.
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
        attempt.failed();
        state.metrics.logins_failed.inc();
        state.store.append_audit(&audit(AuditAction::LoginFailed, "wrong login name, password, or inactive")).await?;
        return Err(wrong_credentials());
    };
    attempt.succeeded();
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

/// What a request presented to say who it is.
#[derive(Debug, Clone, Copy)]
pub enum Credentials<'a> {
    /// An API token (`Authorization: Bearer …`).
    Bearer(&'a str),
    /// A browser's session cookie.
    Session(&'a str),
}

/// The caller behind a bearer token or a session cookie: `Unauthenticated` when it names no live
/// token or session.
pub async fn resolve(state: &AppState, credentials: Credentials<'_>, ip: String) -> ServiceResult<Caller> {
    Ok(resolve_session(state, credentials, ip).await?.caller)
}

/// Who is calling, and whether they may do anything yet.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub caller: Caller,
    /// The member signed in with a temporary password an administrator set: until they choose their
    /// own, their session may do nothing but change it (the web refuses everything else).
    pub must_change_password: bool,
}

/// [`resolve`], with what the session still demands.
pub async fn resolve_session(state: &AppState, credentials: Credentials<'_>, ip: String) -> ServiceResult<Resolved> {
    let now = state.clock.now();
    let unknown = |e: siyu_store::StoreError| match e {
        siyu_store::StoreError::NotFound => ServiceError::Unauthenticated,
        other => other.into(),
    };
    match credentials {
        Credentials::Bearer(token) => {
            let t = state.store.use_api_token(&secret_hash(token.trim()), now).await.map_err(unknown)?;
            let actor = Actor::System { token_name: t.name, scopes: t.scopes };
            Ok(Resolved { caller: Caller { actor, staff: None, csrf: None, ip }, must_change_password: false })
        }
        Credentials::Session(token) => {
            let s = state.store.session(&secret_hash(token), now).await.map_err(unknown)?;
            let actor = Actor::Staff { id: s.staff.id, role: s.staff.role, org_unit_id: s.staff.org_unit_id };
            let caller = Caller { actor, staff: Some(s.staff), csrf: Some(s.csrf_token), ip };
            Ok(Resolved { caller, must_change_password: s.must_change_password })
        }
    }
}

/// A member changes their own password: the current one checked (through the sign-in throttle, so a
/// session left open cannot be used to guess it), the new one held to the rule and different from it.
/// Every session of theirs ends — a password changed because it leaked must lock out whoever holds it —
/// and this browser gets a fresh one, which no longer demands a change.
pub async fn change_password(state: &AppState, caller: &Caller, current: &str, new: &str) -> ServiceResult<NewSession> {
    let staff = caller.staff.clone().ok_or(ServiceError::Forbidden)?;
    if current.len() > password::MAX_PASSWORD_BYTES {
        return Err(wrong_current());
    }
    password::check_new_password(new).map_err(|m| ServiceError::invalid("weak_password", m))?;
    if new == current {
        return Err(ServiceError::invalid("same_password", Text::new("sessions.same_password")));
    }
    let too_many = |retry_after_secs| ServiceError::TooManyAttempts { retry_after_secs };
    state.throttle.check(&staff.username, &caller.ip, state.clock.now()).map_err(too_many)?;
    let turn = state.passwords.permit().await;
    let now = state.clock.now();
    let attempt =
        state.throttle.reserve(&staff.username, &caller.ip, now).map_err(|r| too_many(r.retry_after_secs()))?;
    let creds = state.store.staff_credentials(&staff.username).await?;
    if !turn.verify(current.to_owned(), creds.password_hash).await {
        attempt.failed();
        state.metrics.logins_failed.inc();
        return Err(wrong_current());
    }
    attempt.succeeded();
    let hash = state.passwords.hash(new.to_owned()).await?;
    state.store.set_password(staff.id, &hash, now).await?;
    state.store.delete_sessions_of(staff.id).await?;
    let token = random_secret();
    let csrf = random_secret();
    let max_age_secs = state.config.security.session_hours * 3600;
    state.store.create_session(&secret_hash(&token), staff.id, &csrf, now.plus_secs(max_age_secs)).await?;
    let entry = NewAuditEntry {
        at: now,
        staff_id: Some(staff.id),
        actor: staff.username.clone(),
        action: AuditAction::PasswordChanged,
        target: staff.id.to_string(),
        detail: "own password; other sessions ended".into(),
        ip: Some(caller.ip.clone()),
    };
    state.store.append_audit(&entry).await?;
    Ok(NewSession { token, csrf, staff, max_age_secs })
}

fn wrong_current() -> ServiceError {
    ServiceError::invalid("bad_current_password", Text::new("sessions.bad_current_password"))
}
