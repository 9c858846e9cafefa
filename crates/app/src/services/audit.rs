//! Writing and searching the audit log.

use siyu_domain::audit::{AuditAction, AuditEntry, NewAuditEntry};
use siyu_domain::scope::Permission;
use siyu_store::{AuditFilter, Page, Paged};

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::state::AppState;

/// The entry for something `caller` did, for a store method that writes it with the change itself.
pub fn entry(state: &AppState, caller: &Caller, action: AuditAction, target: &str, detail: &str) -> NewAuditEntry {
    NewAuditEntry {
        at: state.clock.now(),
        staff_id: caller.staff.as_ref().map(|s| s.id),
        actor: caller.name(),
        action,
        target: target.to_owned(),
        detail: detail.to_owned(),
        ip: Some(caller.ip.clone()),
    }
}

/// Appends an entry for something `caller` did.
pub(crate) async fn record(
    state: &AppState,
    caller: &Caller,
    action: AuditAction,
    target: &str,
    detail: &str,
) -> ServiceResult<()> {
    state.store.append_audit(&entry(state, caller, action, target, detail)).await?;
    Ok(())
}

pub async fn search(
    state: &AppState,
    caller: &Caller,
    filter: &AuditFilter,
    page: Page,
) -> ServiceResult<Paged<AuditEntry>> {
    caller.require(Permission::ReadAuditLog)?;
    Ok(state.store.search_audit(filter, page).await?)
}
