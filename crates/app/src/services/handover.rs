//! Handing a customer manager's customers to successors when they leave (离职继承) or move on (在职继承):
//! the choice offered (their customers, masked, and the managers who may take them), starting a
//! hand-over, reading where it stands (and how its job stopped, if it did), running its job again,
//! and ending the rest of it. The WeCom side runs as the `staff.handover` job
//! ([`crate::jobs::handover`]); a customer becomes the successor's in siyu only when WeCom reports the
//! takeover done.
//!
//! Ending the rest cancels only customers never asked of WeCom: a transfer WeCom has started cannot
//! be withdrawn there, so those customers stay in the hand-over and the job keeps following them; the
//! hand-over finishes when nothing is left unfinal.
//!
//! Who may take a customer over: an active customer manager other than the leaver, in the leaver's
//! branch (the customers' data stays within the branch that holds it) and in the caller's data scope,
//! with a WeCom account when the customer is one of the leaver's WeCom contacts.

use siyu_domain::lang::Text;
use std::collections::{HashMap, HashSet};

use siyu_domain::audit::AuditAction;
use siyu_domain::customer::Customer;
use siyu_domain::handover::{FailReason, MAX_CUSTOMERS};
use siyu_domain::job::Job as JobRow;
use siyu_domain::org::{OrgUnitKind, Role, Staff};
use siyu_domain::scope::{DataScope, Permission};
use siyu_domain::{CustomerId, HandoverId, OrgUnitId, StaffId};
use siyu_store::{
    CustomerFilter, Handover, HandoverSummary, NewHandover, NewHandoverItem, Page, Paged, RelationshipStatus,
    StaffFilter,
};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::jobs::{self, Options, handover::HandOver, handover::HandoverPayload};
use crate::services::{audit, org};
use crate::state::AppState;

/// What the hand-over page offers for one leaving manager.
#[derive(Debug, Clone)]
pub struct Choice {
    pub leaver: Staff,
    /// Their customers (masked, as every staff view), at most [`MAX_CUSTOMERS`].
    pub customers: Vec<Customer>,
    /// How many they have in all: more than [`MAX_CUSTOMERS`] take several hand-overs.
    pub total: i64,
    /// Those already in an unfinished hand-over, which cannot be chosen again.
    pub busy: HashSet<CustomerId>,
    /// Who may take them over.
    pub successors: Vec<Staff>,
}

/// A hand-over as asked for: the leaver, WeCom's kind of transfer, and each customer's successor.
#[derive(Debug, Clone)]
pub struct HandoverInput {
    pub from: StaffId,
    /// 离职继承: the leaver has left the corp in WeCom; else 在职继承.
    pub resigned: bool,
    pub items: Vec<(CustomerId, StaffId)>,
}

fn out_of_scope() -> ServiceError {
    ServiceError::invalid("successor_out_of_scope", Text::new("handover.successor_out_of_scope"))
}

/// The unit the leaver's customers stay within: their branch, or the whole bank when they hang
/// under none.
fn branch_of(units: &[siyu_domain::org::OrgUnit], unit: OrgUnitId) -> Option<OrgUnitId> {
    let mut at = units.iter().find(|u| u.id == unit);
    // The tree is small and parents come first; a cycle ends after as many steps as there are units.
    for _ in 0..units.len() {
        let u = at?;
        if u.kind == OrgUnitKind::Branch {
            return Some(u.id);
        }
        at = u.parent_id.and_then(|p| units.iter().find(|x| x.id == p));
    }
    None
}

/// Whether `unit` is within the caller's data scope.
async fn in_scope(state: &AppState, caller: &Caller, unit: OrgUnitId) -> ServiceResult<bool> {
    Ok(match caller.scope() {
        DataScope::All => true,
        DataScope::Subtree(root) => org::tree(state).await?.contains(root, unit),
        DataScope::OwnedBy(_) => false,
    })
}

/// The customer managers whose customers the caller may hand over (active or not: a leaver is often
/// deactivated first).
pub async fn leavers(state: &AppState, caller: &Caller) -> ServiceResult<Vec<Staff>> {
    caller.require(Permission::ManageStaff)?;
    let root = match caller.scope() {
        DataScope::All => None,
        DataScope::Subtree(root) => Some(root),
        DataScope::OwnedBy(_) => return Ok(Vec::new()),
    };
    let f = StaffFilter { role: Some(Role::CustomerManager), org_unit_id: root, query: None };
    Ok(state.store.all_staff(&f).await?)
}

async fn leaver(state: &AppState, caller: &Caller, id: StaffId) -> ServiceResult<Staff> {
    caller.require(Permission::ManageStaff)?;
    let s = state.store.staff(id).await?;
    if s.role != Role::CustomerManager || !in_scope(state, caller, s.org_unit_id).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(s)
}

/// Who may take over the leaver's customers.
async fn successors(state: &AppState, caller: &Caller, leaver: &Staff) -> ServiceResult<Vec<Staff>> {
    let units = state.store.org_units().await?;
    let f = StaffFilter {
        role: Some(Role::CustomerManager),
        org_unit_id: branch_of(&units, leaver.org_unit_id),
        query: None,
    };
    let mut out = Vec::new();
    for s in state.store.all_staff(&f).await? {
        if s.active && s.id != leaver.id && in_scope(state, caller, s.org_unit_id).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The leaver's customers and who may take them.
pub async fn choice(state: &AppState, caller: &Caller, from: StaffId) -> ServiceResult<Choice> {
    let leaver = leaver(state, caller, from).await?;
    let f = CustomerFilter { owner_id: Some(leaver.id), ..Default::default() };
    let page = state.store.list_customers(caller.scope(), &f, Page::first(MAX_CUSTOMERS as i64)).await?;
    let ids: Vec<CustomerId> = page.items.iter().map(|c| c.id).collect();
    let busy = state.store.customers_in_open_handovers(&ids).await?.into_iter().collect();
    let successors = successors(state, caller, &leaver).await?;
    Ok(Choice { leaver, customers: page.items, total: page.total, busy, successors })
}

/// Starts a hand-over and queues its job. Every customer must be the leaver's (in the caller's scope),
/// named once, not in another unfinished hand-over, and go to a successor [`choice`] offers.
pub async fn start(state: &AppState, caller: &Caller, input: HandoverInput) -> ServiceResult<HandoverId> {
    // The leaver is named in the request's body, not its path: one the caller cannot hand over from
    // is a value that breaks a rule (422), like a successor out of scope.
    let leaver = leaver(state, caller, input.from).await.map_err(|e| match e {
        ServiceError::NotFound => ServiceError::invalid("unknown_leaver", Text::new("handover.unknown_leaver")),
        other => other,
    })?;
    if input.items.is_empty() {
        return Err(ServiceError::invalid("no_customers", Text::new("handover.no_customers")));
    }
    if input.items.len() > MAX_CUSTOMERS {
        return Err(ServiceError::invalid(
            "too_many_customers",
            Text::new("handover.too_many").arg("max", MAX_CUSTOMERS),
        ));
    }
    let ids: Vec<CustomerId> = input.items.iter().map(|(c, _)| *c).collect();
    if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        return Err(ServiceError::invalid("duplicate_customer", Text::new("handover.duplicate_customer")));
    }
    let allowed: HashMap<StaffId, Staff> =
        successors(state, caller, &leaver).await?.into_iter().map(|s| (s.id, s)).collect();
    if input.items.iter().any(|(_, to)| !allowed.contains_key(to)) {
        return Err(out_of_scope());
    }
    let customers: HashMap<CustomerId, Customer> =
        state.store.customers_by_ids(caller.scope(), &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut items = Vec::with_capacity(ids.len());
    for (id, to) in &input.items {
        let c = customers
            .get(id)
            .filter(|c| c.owner_id == Some(leaver.id))
            .ok_or_else(|| ServiceError::invalid("not_leavers_customer", Text::new("handover.not_leavers_customer")))?;
        let external_userid = leavers_contact(state, &leaver, c).await?;
        if external_userid.is_some() && allowed[to].wecom_userid.is_none() {
            return Err(ServiceError::invalid(
                "successor_without_wecom",
                Text::new("handover.successor_without_wecom").arg("name", &allowed[to].display_name),
            ));
        }
        items.push(NewHandoverItem { customer_id: *id, to_staff_id: *to, external_userid });
    }
    let new = NewHandover {
        from_staff_id: leaver.id,
        resigned: input.resigned,
        created_by: caller.staff.as_ref().map(|s| s.id),
        items,
    };
    let id = state.store.create_handover(&new, state.clock.now()).await.map_err(|e| match e {
        siyu_store::StoreError::Conflict(_) => ServiceError::Conflict(Text::new("handover.already_under_way")),
        other => other.into(),
    })?;
    let successors: HashSet<StaffId> = input.items.iter().map(|(_, to)| *to).collect();
    // `login: 3 customers to 2 successors, on the job`: the console puts it into words
    // (`console/names_words.rs`); the leaver by login, which people know, not by id.
    let detail = format!(
        "{}: {} customers to {} successors, {}",
        leaver.username,
        new.items.len(),
        successors.len(),
        if input.resigned { "resigned" } else { "on the job" }
    );
    audit::record(state, caller, AuditAction::HandoverStarted, &id.to_string(), &detail).await?;
    jobs::enqueue::<HandOver>(state, &HandoverPayload { handover_id: id }, Options::now().once_as(id)).await?;
    Ok(id)
}

/// The customer's WeCom contact when the leaver holds an active relationship with it: only those are
/// transferred in WeCom; the others move in siyu alone.
async fn leavers_contact(state: &AppState, leaver: &Staff, c: &Customer) -> ServiceResult<Option<String>> {
    let (Some(ext), Some(userid)) = (&c.wecom_external_userid, &leaver.wecom_userid) else { return Ok(None) };
    let rels = state.store.relationships(ext).await?;
    let held = rels.iter().any(|r| r.staff_userid == *userid && r.status == RelationshipStatus::Active);
    Ok(held.then(|| ext.clone()))
}

pub async fn get(state: &AppState, caller: &Caller, id: HandoverId) -> ServiceResult<Handover> {
    caller.require(Permission::ManageStaff)?;
    let h = state.store.handover(id).await?;
    let from = state.store.staff(h.from_staff_id).await?;
    if !in_scope(state, caller, from.org_unit_id).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(h)
}

/// Newest first, bank-wide: only a caller whose scope is the whole bank may list (today every holder of
/// the permission, the administrators). The store has no filter by the leaver's unit yet, so a scoped
/// caller is refused rather than shown other branches' hand-overs.
pub async fn list(state: &AppState, caller: &Caller, page: Page) -> ServiceResult<Paged<HandoverSummary>> {
    caller.require(Permission::ManageStaff)?;
    if !matches!(caller.scope(), DataScope::All) {
        return Err(ServiceError::Forbidden);
    }
    Ok(state.store.list_handovers(page).await?)
}

/// One hand-over as its page shows it, read once under the caller's scope.
#[derive(Debug, Clone)]
pub struct Detail {
    pub handover: Handover,
    /// Names and masked numbers of the customers in it, found whatever owner they have now (the
    /// successor's, once done); one the caller's scope no longer covers is missing.
    pub customers: Vec<Customer>,
    /// Its job as last queued: status, attempts and last error show whether it stopped (failed, or
    /// gave up after its attempts). `None` before any was queued.
    pub job: Option<JobRow>,
}

/// A hand-over with its customers and its job, for its page and the API.
pub async fn detail(state: &AppState, caller: &Caller, id: HandoverId) -> ServiceResult<Detail> {
    let handover = get(state, caller, id).await?;
    let ids: Vec<CustomerId> = handover.items.iter().map(|i| i.customer_id).collect();
    let customers = state.store.customers_by_ids(caller.scope(), &ids).await?;
    let job = state.store.latest_job_with_key(&jobs::dedupe_key::<HandOver>(id)).await?;
    Ok(Detail { handover, customers, job })
}

fn finished_already() -> ServiceError {
    ServiceError::Conflict(Text::new("handover.finished_already"))
}

/// Queues an unfinished hand-over's job again (WeCom came back after the job gave up, say). Returns
/// whether a run was queued: `false` when one is queued already, which does the same work.
pub async fn run_again(state: &AppState, caller: &Caller, id: HandoverId) -> ServiceResult<bool> {
    let h = get(state, caller, id).await?;
    if h.finished_at.is_some() {
        return Err(finished_already());
    }
    // Written first: a crash after it leaves an entry for a run that was not queued (the next press
    // queues it), never a run without its entry.
    audit::record(state, caller, AuditAction::HandoverRunAgain, &id.to_string(), "job queued again").await?;
    let queued =
        jobs::enqueue::<HandOver>(state, &HandoverPayload { handover_id: id }, Options::now().once_as(id)).await?;
    Ok(queued.is_some())
}

/// What ending the rest of a hand-over did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndedRest {
    /// Customers never asked of WeCom, now cancelled; they stay with the leaver.
    pub cancelled: usize,
    /// Customers already asked of WeCom, which the job keeps following.
    pub still_followed: usize,
    /// Whether the hand-over is finished now (nothing left unfinal).
    pub finished: bool,
}

/// Ends an unfinished hand-over's rest: its customers not yet asked of WeCom are cancelled (they stay
/// with the leaver), and WeCom is asked to transfer no one more — a customer recorded as asked whom
/// WeCom never saw is cancelled by the job rather than asked again. Those WeCom has started go on as
/// WeCom decides, followed by the job (queued again should it have stopped); with nothing left
/// unfinal the hand-over finishes now. The end, the cancellations and the audit entry commit together.
pub async fn end_rest(state: &AppState, caller: &Caller, id: HandoverId) -> ServiceResult<EndedRest> {
    get(state, caller, id).await?;
    let audit = |cancelled: u64, left: u64| {
        let detail = format!("{cancelled} customers not yet asked of WeCom cancelled; {left} asked still followed");
        audit::entry(state, caller, AuditAction::HandoverEnded, &id.to_string(), &detail)
    };
    let now = state.clock.now();
    let (cancelled, left) = state
        .store
        .end_handover(id, FailReason::EndedByAdministrator, &audit, now)
        .await?
        .ok_or_else(finished_already)?;
    if left == 0 {
        state.store.finish_handover(id, now).await?;
    } else {
        jobs::enqueue::<HandOver>(state, &HandoverPayload { handover_id: id }, Options::now().once_as(id)).await?;
    }
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(EndedRest { cancelled: count(cancelled), still_followed: count(left), finished: left == 0 })
}
