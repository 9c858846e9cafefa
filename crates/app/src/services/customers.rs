//! Reading customers within the caller's data scope, and the audited reveal of a personal number.

use siyu_domain::CustomerId;
use siyu_domain::audit::AuditAction;
use siyu_domain::customer::{Customer, PiiField};
use siyu_domain::scope::Permission;
use siyu_store::{CustomerFilter, MAX_FILTER_SUB_BRANCHES, Page, Paged, Relationship};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::audit;
use crate::state::AppState;

/// A filter's lists are bounded before the store is asked.
fn check_filter(filter: &CustomerFilter) -> ServiceResult<()> {
    if filter.sub_branch_ids.len() > MAX_FILTER_SUB_BRANCHES || filter.risk_grades.len() > 5 {
        return Err(ServiceError::invalid(
            "bad_query",
            siyu_domain::lang::Text::new("customers.too_many_filter_values").arg("max", MAX_FILTER_SUB_BRANCHES),
        ));
    }
    Ok(())
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &CustomerFilter,
    page: Page,
) -> ServiceResult<Paged<Customer>> {
    caller.require(Permission::ReadCustomers)?;
    check_filter(filter)?;
    Ok(state.store.list_customers(caller.scope(), filter, page).await?)
}

pub async fn breakdown(
    state: &AppState,
    caller: &Caller,
    filter: &CustomerFilter,
) -> ServiceResult<siyu_store::CustomerBreakdown> {
    caller.require(Permission::ReadCustomers)?;
    check_filter(filter)?;
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
            siyu_domain::lang::Text::new("customers.reason_required").arg("min", MIN_REASON_CHARS),
        ));
    }
    let sealed = state.store.customer_pii(caller.scope(), id, field).await?;
    let clear = state
        .vault
        .open(field, &sealed)
        .map_err(|e| ServiceError::Internal(format!("{id} {}: {e}", field.as_str())))?;
    audit::record(state, caller, AuditAction::RevealPii, &id.to_string(), &format!("{}: {reason}", field.as_str()))
        .await?;
    state.metrics.pii_reveals.inc();
    Ok(clear)
}

/// A customer's place in WeCom: each relationship with a manager (by name when the manager is known
/// here), and the names of the customer groups they are in.
#[derive(Debug, Clone, Default)]
pub struct WecomLinks {
    pub relationships: Vec<(Relationship, Option<String>)>,
    pub groups: Vec<String>,
}

/// The WeCom links of a customer the caller may see (`customer` came from [`get`]).
pub async fn wecom_links(state: &AppState, caller: &Caller, customer: &Customer) -> ServiceResult<WecomLinks> {
    caller.require(Permission::ReadCustomers)?;
    let Some(ext) = customer.wecom_external_userid.as_deref() else { return Ok(WecomLinks::default()) };
    // The customer is read through the caller's scope first, so links are never shown for one they
    // cannot see.
    state.store.customer(caller.scope(), customer.id).await?;
    let rels = state.store.relationships(ext).await?;
    let userids: Vec<String> = rels.iter().map(|r| r.staff_userid.clone()).collect();
    // Only customer managers are named, as the profile always did; anyone else shows by WeCom user id.
    let mut managers = if userids.is_empty() { Vec::new() } else { state.store.staff_by_ids(&[], &userids).await? };
    managers.retain(|s| s.role == siyu_domain::org::Role::CustomerManager);
    let relationships = rels
        .into_iter()
        .map(|r| {
            let name = managers
                .iter()
                .find(|s| s.wecom_userid.as_deref() == Some(r.staff_userid.as_str()))
                .map(|s| s.display_name.clone());
            (r, name)
        })
        .collect();
    let groups = state
        .store
        .groups_of(ext)
        .await?
        .into_iter()
        .map(|g| if g.name.is_empty() { g.chat_id } else { g.name })
        .collect();
    Ok(WecomLinks { relationships, groups })
}
