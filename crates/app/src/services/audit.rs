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

/// Longest page whose targets are named at once (a page of the log is at most this long).
const MAX_TARGETS: usize = 200;

/// What the targets of some entries name, for people reading the log: a staff member's name, a
/// customer's number, an audience's, tag's, code's, unit's, file's or token's name. A target that no
/// longer exists (or is no id) is left out, and the page shows it as it was written.
pub async fn target_names(
    state: &AppState,
    caller: &Caller,
    entries: &[AuditEntry],
) -> ServiceResult<std::collections::HashMap<String, String>> {
    use siyu_domain::{
        ApiTokenId, AudienceId, ChannelCodeId, CustomerId, ImportId, OrgUnitId, StaffId, TagGroupId, TagId,
    };
    caller.require(Permission::ReadAuditLog)?;
    let mut names = std::collections::HashMap::new();
    let mut groups = None;
    let mut tokens = None;
    for e in entries.iter().take(MAX_TARGETS) {
        let t = e.target.as_str();
        if t.is_empty() || names.contains_key(t) {
            continue;
        }
        let s = &state.store;
        let name = if let Ok(id) = t.parse::<StaffId>() {
            s.staff(id).await.ok().map(|x| format!("{} ({})", x.display_name, x.username))
        } else if let Ok(id) = t.parse::<CustomerId>() {
            // The customer number, which staff read; the log's readers see every branch.
            s.customer(siyu_domain::scope::DataScope::All, id).await.ok().map(|c| c.customer_no)
        } else if let Ok(id) = t.parse::<AudienceId>() {
            s.audience(id).await.ok().map(|a| a.name)
        } else if let Ok(id) = t.parse::<TagId>() {
            s.tag(id).await.ok().map(|x| x.name)
        } else if let Ok(id) = t.parse::<ChannelCodeId>() {
            s.channel_code(id).await.ok().map(|c| c.name)
        } else if let Ok(id) = t.parse::<OrgUnitId>() {
            s.org_unit(id).await.ok().map(|u| u.name)
        } else if let Ok(id) = t.parse::<ImportId>() {
            s.import(id).await.ok().map(|i| i.file_name)
        } else if let Ok(id) = t.parse::<TagGroupId>() {
            if groups.is_none() {
                groups = Some(s.tag_groups().await?);
            }
            groups.iter().flatten().find(|g| g.id == id).map(|g| g.name.clone())
        } else if let Ok(id) = t.parse::<ApiTokenId>() {
            if tokens.is_none() {
                tokens = Some(s.list_api_tokens().await?);
            }
            tokens.iter().flatten().find(|x| x.id == id).map(|x| x.name.clone())
        } else {
            None
        };
        if let Some(n) = name {
            names.insert(t.to_owned(), n);
        }
    }
    Ok(names)
}
