//! Reading customers within the caller's data scope, and the audited reveal of a personal number.

use siyu_domain::CustomerId;
use siyu_domain::audit::AuditAction;
use siyu_domain::customer::{Customer, PiiField};
use siyu_domain::scope::Permission;
use siyu_store::{CustomerFilter, Page, Paged};

use crate::app::AppState;
use crate::auth::extract::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::audit;

pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &CustomerFilter,
    page: Page,
) -> ServiceResult<Paged<Customer>> {
    caller.require(Permission::ReadCustomers)?;
    Ok(state.store.list_customers(caller.scope(), filter, page).await?)
}

pub async fn breakdown(
    state: &AppState,
    caller: &Caller,
    filter: &CustomerFilter,
) -> ServiceResult<siyu_store::CustomerBreakdown> {
    caller.require(Permission::ReadCustomers)?;
    Ok(state.store.customer_breakdown(caller.scope(), filter).await?)
}

pub async fn get(state: &AppState, caller: &Caller, id: CustomerId) -> ServiceResult<Customer> {
    caller.require(Permission::ReadCustomers)?;
    Ok(state.store.customer(caller.scope(), id).await?)
}

pub async fn by_number(state: &AppState, caller: &Caller, customer_no: &str) -> ServiceResult<Customer> {
    caller.require(Permission::ReadCustomers)?;
    Ok(state.store.customer_by_no(caller.scope(), customer_no).await?)
}

/// Shortest reason accepted for showing a number in clear: a word, not a keystroke.
const MIN_REASON_CHARS: usize = 4;

/// Decrypts one personal number for a caller who gives a reason; the view is audited before the value
/// is returned, so there is no clear view without its entry.
pub async fn reveal(
    state: &AppState,
    caller: &Caller,
    id: CustomerId,
    field: PiiField,
    reason: &str,
) -> ServiceResult<String> {
    caller.require(Permission::RevealCustomerPii)?;
    let reason = reason.trim();
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(ServiceError::invalid(
            "reason_required",
            "请填写查看原因（至少4个字）/ give a reason of at least 4 characters",
        ));
    }
    let sealed = state.store.customer_pii(caller.scope(), id, field).await?;
    let clear = state
        .vault
        .open(field, &sealed)
        .map_err(|e| ServiceError::Internal(format!("{id} {}: {e}", field.as_str())))?;
    audit::record(state, caller, AuditAction::RevealPii, &id.to_string(), &format!("{}: {reason}", field.as_str()))
        .await?;
    state.metrics.pii_reveals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(clear)
}
