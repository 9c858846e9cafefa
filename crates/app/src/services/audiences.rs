//! Audiences (客群): checking an expression against what the bank has, counting and sampling it within
//! the caller's data scope, saving it, and refreshing saved audiences so journeys can react to who
//! entered and who left.

use roaring::RoaringBitmap;
use siyu_domain::audience::{Attr, Cmp, Expr, Value, print};
use siyu_domain::audit::AuditAction;
use siyu_domain::customer::Customer;
use siyu_domain::lang::Text;
use siyu_domain::scope::{DataScope, Permission};
use siyu_domain::timeline::EventKind;
use siyu_domain::{AudienceId, CustomerId, OrgUnitId};
use siyu_store::{Audience, MembershipChange, NewAudience};

use crate::caller::Caller;
use crate::engine;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{audit, org};
use crate::state::AppState;

/// Customers shown as a sample next to a live count.
pub const SAMPLE: usize = 10;

/// The customers a caller may see, as a bitmap; `None` for the whole bank.
pub(crate) async fn scope_bitmap(state: &AppState, scope: DataScope) -> ServiceResult<Option<RoaringBitmap>> {
    Ok(match scope {
        DataScope::All => None,
        DataScope::OwnedBy(s) => Some(state.engine.owned_by(u32::try_from(s.get()).unwrap_or(u32::MAX))),
        DataScope::Subtree(unit) => Some(state.engine.in_sub_branches(&units_under(state, unit).await?)),
    })
}

/// The units at or under `unit` in the tree as it is now: the same walk the store's scope takes, so a
/// count here and a list there cover the same customers, wherever in the subtree they are filed.
async fn units_under(state: &AppState, unit: OrgUnitId) -> ServiceResult<Vec<OrgUnitId>> {
    Ok(org::tree(state).await?.subtree(unit))
}

/// A live count and a few matching customers (masked), for the builder.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preview {
    /// The expression as siyu prints it (what would be saved): English words, numbers for grades and
    /// tiers, sub-branches by code.
    pub canonical: String,
    pub count: u64,
    pub sample: Vec<Customer>,
    /// Values that match nothing the caller may use (a sub-branch not theirs, a typo), each with the
    /// nearest that do; the count is what it is without them.
    pub warnings: Vec<engine::ExprWarning>,
}

pub async fn preview(state: &AppState, caller: &Caller, text: &str) -> ServiceResult<Preview> {
    caller.require(Permission::ReadAudiences)?;
    let (expr, warnings) = engine::compile_typed(state, caller, text).await?;
    state.engine.roll_day(state.clock.now());
    // A branch's scope is one more condition (its sub-branches, counted over the index's own sets); a
    // manager's is the small set of their customers.
    let bound = engine::bind_to_org(state, &expr).await?;
    let (scoped, scope) = match caller.scope() {
        DataScope::Subtree(unit) => (bound.within_sub_branches(&units_under(state, unit).await?), None),
        other => (bound, scope_bitmap(state, other).await?),
    };
    let bad = |e: siyu_audience::EvalError| {
        let message = match e {
            siyu_audience::EvalError::UnknownTag(t) => Text::new("expr.no_tag").arg("name", t),
            siyu_audience::EvalError::UnknownAudience(a) => Text::new("expr.no_audience").arg("name", a),
        };
        ServiceError::BadExpression { message, position: 0 }
    };
    // Counted, not listed: a live count must stay quick on a whole bank.
    let count = state.engine.count(&scoped, scope.as_ref()).map_err(bad)?;
    let ids = state.engine.sample(&scoped, scope.as_ref(), SAMPLE).map_err(bad)?;
    let sample = state.store.customers_by_ids(caller.scope(), &ids).await?;
    Ok(Preview { canonical: print(&expr), count, sample, warnings })
}

/// What an operator fills in to save an audience.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceForm {
    /// 1–40 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub name: String,
    /// An audience expression (`tag("持有理财") and aum_tier >= 3`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub expr: String,
    #[serde(default)]
    pub description: String,
}

async fn check_form(
    state: &AppState,
    caller: &Caller,
    form: &AudienceForm,
    own: Option<AudienceId>,
) -> ServiceResult<(String, Expr)> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(ServiceError::invalid("bad_name", Text::new("audiences.bad_name")));
    }
    // What is saved names what the operator meant: a name matching none of theirs is refused here.
    let (expr, warnings) = engine::compile_typed(state, caller, &form.expr).await?;
    if let Some(w) = warnings.into_iter().find(engine::ExprWarning::refuses_saving) {
        return Err(w.into_error());
    }
    if let Some(own) = own
        && expr.audiences().iter().any(|a| *a == own.to_string())
    {
        return Err(ServiceError::invalid("audience_cycle", Text::new("audiences.refers_to_itself")));
    }
    Ok((name.to_owned(), expr))
}

pub async fn create(state: &AppState, caller: &Caller, form: &AudienceForm) -> ServiceResult<Audience> {
    caller.require(Permission::ManageAudiences)?;
    let (name, expr) = check_form(state, caller, form, None).await?;
    let new = NewAudience {
        name,
        expr: print(&expr),
        description: form.description.trim().to_owned(),
        created_by: caller.staff.as_ref().map(|s| s.id),
    };
    let a = state.store.create_audience(&new, state.clock.now()).await?;
    audit::record(state, caller, AuditAction::AudienceSaved, &a.id.to_string(), &format!("{}: {}", a.name, a.expr))
        .await?;
    refresh(state, a.id).await?;
    Ok(state.store.audience(a.id).await?)
}

pub async fn update(state: &AppState, caller: &Caller, id: AudienceId, form: &AudienceForm) -> ServiceResult<Audience> {
    caller.require(Permission::ManageAudiences)?;
    let (name, expr) = check_form(state, caller, form, Some(id)).await?;
    // An audience may refer only to audiences saved before it, so references can never form a cycle.
    if expr.audiences().iter().any(|a| a.parse::<AudienceId>().is_ok_and(|r| r.get() > id.get())) {
        return Err(ServiceError::invalid("audience_cycle", Text::new("audiences.refers_to_later")));
    }
    let before = state.store.audience(id).await?;
    let new = NewAudience {
        name,
        expr: print(&expr),
        description: form.description.trim().to_owned(),
        created_by: before.created_by,
    };
    let a = state.store.update_audience(id, &new, state.clock.now()).await?;
    audit::record(state, caller, AuditAction::AudienceSaved, &a.id.to_string(), &format!("{}: {}", a.name, a.expr))
        .await?;
    refresh(state, a.id).await?;
    Ok(state.store.audience(a.id).await?)
}

pub async fn list(state: &AppState, caller: &Caller) -> ServiceResult<Vec<(Audience, u64)>> {
    Ok(list_page(state, caller, siyu_store::Page { offset: 0, limit: i64::MAX }).await?.items)
}

/// A page of the saved audiences, each with how many of its members the caller may see (only the
/// page's audiences are counted).
pub async fn list_page(
    state: &AppState,
    caller: &Caller,
    page: siyu_store::Page,
) -> ServiceResult<siyu_store::Paged<(Audience, u64)>> {
    caller.require(Permission::ReadAudiences)?;
    let scope = scope_bitmap(state, caller.scope()).await?;
    let all = page.slice(state.store.audiences().await?);
    let mut items = Vec::with_capacity(all.items.len());
    for a in all.items {
        let n = state.engine.audience_members(a.id, scope.as_ref()).len();
        items.push((a, n));
    }
    Ok(siyu_store::Paged { items, total: all.total })
}

pub async fn get(state: &AppState, caller: &Caller, id: AudienceId) -> ServiceResult<(Audience, u64)> {
    caller.require(Permission::ReadAudiences)?;
    let a = state.store.audience(id).await?;
    let scope = scope_bitmap(state, caller.scope()).await?;
    let n = state.engine.audience_members(id, scope.as_ref()).len();
    Ok((a, n))
}

/// How the audience's members the caller may see split over the values 1–5 of an integer attribute
/// (AUM tier, risk grade): `(value, members)` for each.
pub async fn split_by(state: &AppState, caller: &Caller, id: AudienceId, attr: Attr) -> ServiceResult<Vec<(i64, u64)>> {
    caller.require(Permission::ReadAudiences)?;
    let scope = scope_bitmap(state, caller.scope()).await?;
    Ok((1..=5)
        .map(|v| {
            let e = Expr::And(vec![Expr::Audience(id.to_string()), Expr::Attr { attr, cmp: Cmp::Eq(Value::Int(v)) }]);
            // An integer attribute: nothing to look up in the organisation.
            (v, state.engine.select(&engine::bind(&e, &[]), scope.as_ref()).map(|b| b.len()).unwrap_or(0))
        })
        .collect())
}

/// A page of an audience's members the caller may see (as of its last refresh), in id order.
pub async fn members(
    state: &AppState,
    caller: &Caller,
    id: AudienceId,
    page: siyu_store::Page,
) -> ServiceResult<siyu_store::Paged<Customer>> {
    caller.require(Permission::ReadAudiences)?;
    state.store.audience(id).await?;
    let scope = scope_bitmap(state, caller.scope()).await?;
    let all = state.engine.audience_members(id, scope.as_ref());
    let ids: Vec<CustomerId> = all
        .iter()
        .skip(usize::try_from(page.offset).unwrap_or(0))
        .take(usize::try_from(page.limit).unwrap_or(0))
        .map(engine::customer_of)
        .collect();
    let items = state.store.customers_by_ids(caller.scope(), &ids).await?;
    Ok(siyu_store::Paged { items, total: i64::try_from(all.len()).unwrap_or(i64::MAX) })
}

/// Re-evaluates a saved audience now, for a caller who manages audiences ("recompute now").
pub async fn refresh_now(state: &AppState, caller: &Caller, id: AudienceId) -> ServiceResult<MembershipChange> {
    caller.require(Permission::ManageAudiences)?;
    refresh(state, id).await
}

/// Re-evaluates a saved audience over the whole bank and stores who entered and who left.
pub(crate) async fn refresh(state: &AppState, id: AudienceId) -> ServiceResult<MembershipChange> {
    let a = state.store.audience(id).await?;
    let expr = engine::bind_to_org(state, &engine::compile(state, &a.expr)?).await?;
    // One refresh at a time, so the engine's before/after matches the store's.
    let _guard = state.tag_writes.lock().await;
    state.engine.roll_day(state.clock.now());
    let hits = state.engine.select(&expr, None).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = state.clock.now();
    let before = state.engine.audience_members(id, None);
    let change = state.store.refresh_audience(id, &engine::ids_of(&hits), now).await?;
    let entered = engine::ids_of(&(&hits - &before));
    let exited = engine::ids_of(&(&before - &hits));
    state.engine.note_audience(id, hits);
    state.engine.note_events(&entered, EventKind::AudienceEntered, now);
    state.engine.note_events(&exited, EventKind::AudienceExited, now);
    Ok(change)
}

/// Refreshes every saved audience, oldest first (an audience refers only to older ones, so each sees its
/// references already fresh). The refresh job's.
pub(crate) async fn refresh_all(state: &AppState) -> ServiceResult<usize> {
    let all = state.store.audiences().await?;
    for a in &all {
        if let Err(e) = refresh(state, a.id).await {
            // One broken audience (a tag it names was renamed away) must not stop the others.
            tracing::warn!(audience = %a.id, error = %e, "audience not refreshed");
        }
    }
    Ok(all.len())
}
