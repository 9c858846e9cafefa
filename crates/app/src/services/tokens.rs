//! API tokens for the bank's systems: shown once at creation, stored only hashed, revocable.

use siyu_domain::ApiTokenId;
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::scope::{ApiScope, Permission};
use siyu_store::{ApiToken, NewApiToken};

use crate::auth::{random_secret, secret_hash};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::audit;
use crate::state::AppState;

pub async fn list(state: &AppState, caller: &Caller) -> ServiceResult<Vec<ApiToken>> {
    caller.require(Permission::ManageApiTokens)?;
    Ok(state.store.list_api_tokens().await?)
}

/// Creates a token; the secret in the result is shown this once and never again.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    name: &str,
    scopes: Vec<ApiScope>,
) -> ServiceResult<(ApiToken, String)> {
    caller.require(Permission::ManageApiTokens)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ServiceError::invalid("bad_name", Text::new("tokens.bad_name")));
    }
    if scopes.is_empty() {
        return Err(ServiceError::invalid("no_scopes", Text::new("tokens.no_scopes")));
    }
    let secret = format!("siyu_{}", random_secret());
    let new = NewApiToken {
        name: name.to_owned(),
        token_hash: secret_hash(&secret),
        scopes,
        created_by: caller.staff.as_ref().map(|s| s.id),
        created_at: state.clock.now(),
    };
    let token = state.store.create_api_token(&new).await?;
    let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
    audit::record(
        state,
        caller,
        AuditAction::ApiTokenCreated,
        &token.id.to_string(),
        &format!("{name}: {}", scopes.join(",")),
    )
    .await?;
    Ok((token, secret))
}

pub async fn revoke(state: &AppState, caller: &Caller, id: ApiTokenId) -> ServiceResult<()> {
    caller.require(Permission::ManageApiTokens)?;
    state.store.revoke_api_token(id, state.clock.now()).await?;
    audit::record(state, caller, AuditAction::ApiTokenRevoked, &id.to_string(), "").await
}
