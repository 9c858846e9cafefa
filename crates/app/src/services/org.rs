//! The organisation tree: listing for everyone signed in, changes for administrators.

use siyu_domain::OrgUnitId;
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::org::{OrgUnit, OrgUnitKind};
use siyu_domain::org_tree::OrgTree;
use siyu_domain::scope::{DataScope, Permission};
use siyu_store::NewOrgUnit;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::audit;
use crate::state::AppState;

/// The whole tree, parents first: every signed-in caller may see how the bank is organised.
pub async fn list(state: &AppState, _caller: &Caller) -> ServiceResult<Vec<OrgUnit>> {
    Ok(state.store.org_units().await?)
}

/// The sub-branches whose customers the caller may see, by code: what the customer list's filter
/// offers.
pub async fn sub_branches_in_scope(state: &AppState, caller: &Caller) -> ServiceResult<Vec<OrgUnit>> {
    caller.require(Permission::ReadCustomers)?;
    let units = state.store.org_units().await?;
    let mut covered: Vec<OrgUnit> = sub_branches_covered(&units, caller).into_iter().cloned().collect();
    covered.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(covered)
}

/// The sub-branches among `units` that the caller's data scope covers: all of them for head office,
/// those at or under the unit a branch manager heads (walked by [`OrgTree`], as the store walks it for
/// customers), a customer manager's own.
pub(crate) fn sub_branches_covered<'a>(units: &'a [OrgUnit], caller: &Caller) -> Vec<&'a OrgUnit> {
    let tree = OrgTree::new(units);
    let own = caller.staff.as_ref().map(|s| s.org_unit_id);
    let scope = caller.scope();
    units
        .iter()
        .filter(|u| u.kind == OrgUnitKind::SubBranch)
        .filter(|u| match scope {
            DataScope::All => true,
            DataScope::Subtree(root) => tree.contains(root, u.id),
            DataScope::OwnedBy(_) => Some(u.id) == own,
        })
        .collect()
}

/// The organisation as it is now, as a tree for scope questions. Read per request, never cached: the
/// table is small, and a cache would miss a unit another instance just added.
pub(crate) async fn tree(state: &AppState) -> ServiceResult<OrgTree> {
    Ok(OrgTree::new(&state.store.org_units().await?))
}

/// One unit, for its edit form.
pub async fn get(state: &AppState, caller: &Caller, id: OrgUnitId) -> ServiceResult<OrgUnit> {
    caller.require(Permission::ManageOrganisation)?;
    Ok(state.store.org_unit(id).await?)
}

fn check(unit: &NewOrgUnit) -> ServiceResult<()> {
    let code_ok = !unit.code.is_empty()
        && unit.code.len() <= 32
        && unit.code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !code_ok {
        return Err(ServiceError::invalid("bad_code", Text::new("org.bad_code")));
    }
    if unit.name.trim().is_empty() || unit.name.chars().count() > 60 {
        return Err(ServiceError::invalid("bad_name", Text::new("org.bad_name")));
    }
    if unit.location.is_some_and(|l| !l.is_valid()) {
        return Err(ServiceError::invalid("bad_location", Text::new("org.bad_location")));
    }
    if unit.kind == OrgUnitKind::SubBranch && unit.location.is_none() {
        return Err(ServiceError::invalid("location_required", Text::new("org.location_required")));
    }
    Ok(())
}

pub async fn create(state: &AppState, caller: &Caller, unit: &NewOrgUnit) -> ServiceResult<OrgUnit> {
    caller.require(Permission::ManageOrganisation)?;
    check(unit)?;
    match (unit.kind.parent_kind(), unit.parent_id) {
        (None, None) => {}
        (Some(want), Some(p)) => {
            let parent = state
                .store
                .org_unit(p)
                .await
                .map_err(|_| ServiceError::invalid("bad_parent", Text::new("org.parent_not_found")))?;
            if parent.kind != want {
                return Err(ServiceError::invalid("bad_parent", Text::new("org.parent_wrong_level")));
            }
        }
        _ => return Err(ServiceError::invalid("bad_parent", Text::new("org.parent_wrong_level"))),
    }
    let created = state.store.create_org_unit(unit, state.clock.now()).await?;
    audit::record(
        state,
        caller,
        AuditAction::OrgUnitChanged,
        &created.id.to_string(),
        &format!("created {}", created.code),
    )
    .await?;
    Ok(created)
}

pub async fn update(state: &AppState, caller: &Caller, id: OrgUnitId, unit: &NewOrgUnit) -> ServiceResult<OrgUnit> {
    caller.require(Permission::ManageOrganisation)?;
    let existing = state.store.org_unit(id).await?;
    check(&NewOrgUnit { kind: existing.kind, ..unit.clone() })?;
    // The store rewrites saved audiences and rule tags that named the old code, in the same
    // transaction, and refuses a code they name about no unit (see `siyu_store::expressions`).
    let updated = state.store.update_org_unit(id, unit, state.clock.now()).await?;
    let detail = if existing.code == updated.code {
        format!("updated {}", updated.code)
    } else {
        format!("updated {} (code was {}; saved audiences and rule tags follow)", updated.code, existing.code)
    };
    audit::record(state, caller, AuditAction::OrgUnitChanged, &id.to_string(), &detail).await?;
    Ok(updated)
}
