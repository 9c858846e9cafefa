//! Writing and searching the audit log.

use siyu_domain::audit::{AuditAction, AuditEntry, NewAuditEntry};
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_store::{AuditFilter, Page, Paged};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
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

/// The most entries one audit export holds; a wider search is narrowed first (by dates, person or
/// action), so a file is never cut silently.
pub const EXPORT_MAX_ROWS: i64 = 50_000;

/// Entries read per page while an export is written.
const EXPORT_PAGE: i64 = 500;

/// The audit entries `filter` finds, newest first, as a CSV written while it is sent. The filter must
/// name a date range (at most a year); the export itself is audited before its first byte. `header`
/// and `action_names` are the file's words in the reader's language; every cell goes through the
/// formula-safe writer, so a reason typed as `=HYPERLINK(…)` arrives as text.
pub async fn export_csv(
    state: &AppState,
    caller: &Caller,
    filter: &AuditFilter,
    header: Vec<String>,
    action_names: std::collections::HashMap<AuditAction, String>,
) -> ServiceResult<crate::services::download::Download> {
    caller.require(Permission::ReadAuditLog)?;
    let (Some(from), Some(to)) = (filter.from, filter.to) else {
        return Err(ServiceError::invalid("range_required", Text::new("audit.range_required")));
    };
    if to.millis() - from.millis() > crate::services::home::MAX_DAYS * 86_400_000 {
        return Err(ServiceError::invalid(
            "range_too_long",
            Text::new("dates.range_too_long").arg("days", crate::services::home::MAX_DAYS),
        ));
    }
    // Entries written after this instant stay out, so the pages hold still while they are read
    // (this export's own entry, written at this instant, is in the file when the search finds it).
    let now = state.clock.now();
    let filter = AuditFilter { to: Some(to.min(now.plus_millis(1))), ..filter.clone() };
    let total = state.store.search_audit(&filter, Page::first(1)).await?.total;
    if total > EXPORT_MAX_ROWS {
        return Err(ServiceError::invalid(
            "export_too_large",
            Text::new("audit.export_too_large").arg("max", EXPORT_MAX_ROWS),
        ));
    }
    let detail = format!(
        "audit log as csv: {total} entries, {} to {}{}{}",
        from.bank_display(),
        to.bank_display(),
        filter.action.map(|a| format!(", action {}", a.as_str())).unwrap_or_default(),
        filter.actor.as_deref().filter(|a| !a.is_empty()).map(|a| format!(", person {a}")).unwrap_or_default(),
    );
    record(state, caller, AuditAction::Export, "audit_log", &detail).await?;
    let file_name = format!("audit-{}.csv", now.bank_date());
    let pages = AuditPages { state: state.clone(), filter, next: 1, action_names };
    Ok(crate::services::download::start(
        file_name,
        crate::services::download::Format::Csv,
        u64::try_from(total).unwrap_or(0),
        "audit",
        header,
        pages,
    ))
}

/// The entries of an export still to write, a page at a time.
struct AuditPages {
    state: AppState,
    filter: AuditFilter,
    next: i64,
    action_names: std::collections::HashMap<AuditAction, String>,
}

#[async_trait::async_trait]
impl crate::services::download::Pages for AuditPages {
    async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
        if (self.next - 1) * EXPORT_PAGE >= EXPORT_MAX_ROWS {
            return Ok(None);
        }
        let page = self.state.store.search_audit(&self.filter, Page::numbered(self.next, EXPORT_PAGE)).await?;
        if page.items.is_empty() {
            return Ok(None);
        }
        self.next += 1;
        let rows = page
            .items
            .iter()
            .map(|e| {
                vec![
                    e.at.bank_display(),
                    e.actor.clone(),
                    self.action_names.get(&e.action).cloned().unwrap_or_else(|| e.action.as_str().to_owned()),
                    e.target.clone(),
                    e.detail.clone(),
                    e.ip.clone().unwrap_or_default(),
                ]
            })
            .collect();
        Ok(Some(rows))
    }
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
