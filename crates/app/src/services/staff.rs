//! Staff administration: create, edit, change roles. Role changes and deactivations are audited and
//! end the member's sessions, so a narrowed scope applies at once.

use siyu_domain::lang::Text;
use std::collections::HashMap;

use siyu_domain::StaffId;
use siyu_domain::audit::AuditAction;
use siyu_domain::org::{Role, Staff};
use siyu_domain::scope::{DataScope, Permission};
use siyu_store::{NewStaff, Page, Paged, StaffFilter, StaffUpdate};

use crate::auth::password;
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{audit, org};
use crate::state::AppState;

/// A new member as an administrator enters them.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffInput {
    /// 3–32 lower-case letters, digits, `_` or `.` (upper case is lowered).
    #[cfg_attr(feature = "openapi", schema(min_length = 3))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: siyu_domain::OrgUnitId,
    pub wecom_userid: Option<String>,
    /// At least 10 characters, with letters and digits.
    #[cfg_attr(feature = "openapi", schema(min_length = 10))]
    pub password: String,
}

pub async fn list(state: &AppState, caller: &Caller, filter: &StaffFilter, page: Page) -> ServiceResult<Paged<Staff>> {
    caller.require(Permission::ManageStaff)?;
    Ok(state.store.list_staff(filter, page).await?)
}

pub async fn get(state: &AppState, caller: &Caller, id: StaffId) -> ServiceResult<Staff> {
    caller.require(Permission::ManageStaff)?;
    Ok(state.store.staff(id).await?)
}

/// Display names of these members (owners on a page of customers, say), in one look-up; a member
/// who is gone is shown by id. For any caller who may read customers: names are what rows show.
pub async fn names(
    state: &AppState,
    caller: &Caller,
    ids: impl IntoIterator<Item = StaffId>,
) -> ServiceResult<HashMap<StaffId, String>> {
    caller.require(Permission::ReadCustomers)?;
    let mut ids: Vec<StaffId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let found = state.store.staff_by_ids(&ids, &[]).await?;
    let mut names: HashMap<StaffId, String> = found.into_iter().map(|s| (s.id, s.display_name)).collect();
    for id in ids {
        names.entry(id).or_insert_with(|| id.to_string());
    }
    Ok(names)
}

/// Every customer manager within the caller's scope (narrowed to `unit`'s subtree when given), for a
/// filter's choices: a bank has thousands, so they are read a page at a time, not cut at one page. A
/// unit outside a branch manager's subtree narrows to nobody, and a customer manager's scope holds
/// only themselves.
pub async fn managers(
    state: &AppState,
    caller: &Caller,
    unit: Option<siyu_domain::OrgUnitId>,
) -> ServiceResult<Vec<Staff>> {
    caller.require(Permission::ReadCustomers)?;
    let root = match caller.scope() {
        DataScope::All => unit,
        DataScope::Subtree(root) => match unit {
            None => Some(root),
            Some(u) => {
                if !org::tree(state).await?.contains(root, u) {
                    return Ok(Vec::new());
                }
                Some(u)
            }
        },
        DataScope::OwnedBy(me) => {
            let me = state.store.staff(me).await?;
            let inside = match unit {
                None => true,
                Some(u) => org::tree(state).await?.contains(u, me.org_unit_id),
            };
            return Ok(if inside && me.role == Role::CustomerManager { vec![me] } else { Vec::new() });
        }
    };
    let f = StaffFilter { role: Some(Role::CustomerManager), org_unit_id: root, query: None };
    Ok(state.store.all_staff(&f).await?)
}

/// The longest login name a member can be given, in bytes.
pub const USERNAME_MAX_BYTES: usize = 32;

/// The rule for login names: 3–32 lower-case ASCII letters, digits, `_` or `.`.
pub fn check_username(u: &str) -> ServiceResult<()> {
    let ok = (3..=USERNAME_MAX_BYTES).contains(&u.len())
        && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok { Ok(()) } else { Err(ServiceError::invalid("bad_username", Text::new("staff.bad_username"))) }
}

/// The unit must exist and sit at a level the role allows (a customer manager at a sub-branch).
async fn check_placement(state: &AppState, role: Role, unit: siyu_domain::OrgUnitId) -> ServiceResult<()> {
    let u = state
        .store
        .org_unit(unit)
        .await
        .map_err(|_| ServiceError::invalid("bad_org_unit", Text::new("staff.unit_not_found")))?;
    if role.allowed_unit_kinds().contains(&u.kind) {
        Ok(())
    } else {
        Err(ServiceError::invalid("bad_org_unit", Text::new("staff.role_not_at_level")))
    }
}

fn clean_wecom(w: Option<String>) -> Option<String> {
    w.map(|w| w.trim().to_owned()).filter(|w| !w.is_empty())
}

pub async fn create(state: &AppState, caller: &Caller, input: StaffInput) -> ServiceResult<Staff> {
    caller.require(Permission::ManageStaff)?;
    let username = input.username.trim().to_lowercase();
    check_username(&username)?;
    if input.display_name.trim().is_empty() {
        return Err(ServiceError::invalid("bad_name", Text::new("staff.name_required")));
    }
    password::check_new_password(&input.password).map_err(|m| ServiceError::invalid("weak_password", m))?;
    check_placement(state, input.role, input.org_unit_id).await?;
    // In turn with sign-ins, on the blocking pool: a hash takes a core and 19 MiB for a while.
    let password_hash = state.passwords.hash(input.password).await?;
    let new = NewStaff {
        username,
        display_name: input.display_name.trim().to_owned(),
        role: input.role,
        org_unit_id: input.org_unit_id,
        wecom_userid: clean_wecom(input.wecom_userid),
        password_hash: password_hash.clone(),
    };
    let now = state.clock.now();
    let staff = state.store.create_staff(&new, now).await.map_err(|e| match e {
        siyu_store::StoreError::Conflict(_) => ServiceError::Conflict(Text::new("staff.taken")),
        other => other.into(),
    })?;
    // The administrator chose this password and knows it, as with a reset: it opens nothing but its
    // change until the member picks their own.
    state.store.reset_password(staff.id, &password_hash, now).await?;
    audit::record(
        state,
        caller,
        AuditAction::StaffCreated,
        &staff.id.to_string(),
        &format!("{} as {}", staff.username, staff.role.as_str()),
    )
    .await?;
    Ok(staff)
}

pub async fn update(state: &AppState, caller: &Caller, id: StaffId, mut u: StaffUpdate) -> ServiceResult<Staff> {
    caller.require(Permission::ManageStaff)?;
    let before = state.store.staff(id).await?;
    if Some(id) == caller.staff.as_ref().map(|s| s.id) && (u.role != before.role || !u.active) {
        return Err(ServiceError::invalid("self_change", Text::new("staff.self_change")));
    }
    if u.display_name.trim().is_empty() {
        return Err(ServiceError::invalid("bad_name", Text::new("staff.name_required")));
    }
    check_placement(state, u.role, u.org_unit_id).await?;
    u.wecom_userid = clean_wecom(u.wecom_userid);
    let after = state.store.update_staff(id, &u, state.clock.now()).await.map_err(|e| match e {
        siyu_store::StoreError::Conflict(_) => ServiceError::Conflict(Text::new("staff.wecom_taken")),
        other => other.into(),
    })?;
    let target = id.to_string();
    if before.role != after.role {
        let detail = format!("{}: {} → {}", after.username, before.role.as_str(), after.role.as_str());
        audit::record(state, caller, AuditAction::RoleChanged, &target, &detail).await?;
    }
    let mut changes = Vec::new();
    if before.display_name != after.display_name {
        changes.push("display_name");
    }
    if before.org_unit_id != after.org_unit_id {
        changes.push("org_unit");
    }
    if before.wecom_userid != after.wecom_userid {
        changes.push("wecom_userid");
    }
    if before.active != after.active {
        changes.push(if after.active { "activated" } else { "deactivated" });
    }
    if !changes.is_empty() {
        audit::record(state, caller, AuditAction::StaffChanged, &target, &changes.join(", ")).await?;
    }
    if before.role != after.role || before.org_unit_id != after.org_unit_id || !after.active {
        state.store.delete_sessions_of(id).await?;
    }
    Ok(after)
}

/// An administrator's password reset: a temporary password, generated here and returned once for
/// the administrator to hand over (it is stored only hashed, and neither the audit entry nor any log
/// holds it); the member must choose their own at their next sign-in, and every session they have
/// ends now. One's own password is changed, not reset.
pub async fn reset_password(state: &AppState, caller: &Caller, id: StaffId) -> ServiceResult<(Staff, String)> {
    caller.require(Permission::ManageStaff)?;
    let target = state.store.staff(id).await?;
    if Some(id) == caller.staff.as_ref().map(|s| s.id) {
        return Err(ServiceError::invalid("self_reset", Text::new("staff.self_reset")));
    }
    let temporary = password::temporary_password();
    let hash = state.passwords.hash(temporary.clone()).await?;
    state.store.reset_password(id, &hash, state.clock.now()).await?;
    let detail = format!("{}: temporary password set, to be changed at next sign-in; sessions ended", target.username);
    audit::record(state, caller, AuditAction::PasswordReset, &id.to_string(), &detail).await?;
    Ok((target, temporary))
}
