//! Channel QR codes (渠道活码): creating one creates its WeCom contact way with the `state` that
//! attributes every add; each add through it gets the code's welcome message inside WeCom's 20-second
//! window, the code's tags, and moves the code on to the next customer manager when it rotates.

use siyu_domain::audit::AuditAction;
use siyu_domain::channel::{Assignment, ChannelKind, Welcome, next_in_turn};
use siyu_domain::channel_controls::ChannelControls;
use siyu_domain::customer::Customer;
use siyu_domain::lang::Text;
use siyu_domain::org::{OrgUnitKind, Role, Staff};
use siyu_domain::scope::{DataScope, Permission};
use siyu_domain::{ChannelCodeId, CustomerId, OrgUnitId, StaffId, Timestamp};
use siyu_store::{ChannelCode, ChannelContact, DayStat, NewChannelCode, Page, Paged, QrImage, StaffFilter};
use siyu_wecom::client::WecomError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{audit, channel_controls, channel_poster, org};
use crate::state::AppState;
use crate::wecom::WecomRuntime;

/// A code as an operator describes it.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelInput {
    /// 1–40 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub name: String,
    pub kind: ChannelKind,
    pub assignment: Assignment,
    #[serde(default)]
    pub welcome: Welcome,
    /// Tags put on every customer who adds through the code: at most 10 of 1–30 characters, once
    /// blank ones are dropped.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Daily cap per manager, backup, schedules and skip-verify windows; none by default.
    #[serde(default)]
    pub controls: ChannelControls,
}

/// The corp tag group channel tags are kept in.
pub const TAG_GROUP: &str = "渠道来源";

pub(crate) fn wecom(state: &AppState) -> ServiceResult<&WecomRuntime> {
    state
        .wecom
        .as_deref()
        .ok_or_else(|| ServiceError::invalid("wecom_not_configured", Text::new("wecom.not_configured")))
}

pub(crate) fn wecom_err(e: WecomError) -> ServiceError {
    ServiceError::invalid("wecom_error", Text::new("wecom.error").arg("detail", e))
}

/// The sub-branches the caller may manage codes for (`None`: all, and codes of no sub-branch too):
/// those their data scope covers, at any depth below a branch manager's unit.
async fn managed_sub_branches(state: &AppState, caller: &Caller) -> ServiceResult<Option<Vec<OrgUnitId>>> {
    if caller.scope() == DataScope::All {
        return Ok(None);
    }
    let units = state.store.org_units().await?;
    Ok(Some(org::sub_branches_covered(&units, caller).into_iter().map(|u| u.id).collect()))
}

/// Customer managers of a sub-branch who can be assigned (active, with a WeCom userid), by id: every
/// one of them, read a page at a time (a big sub-branch can have more than a page).
pub(crate) async fn assignable(state: &AppState, sub_branch: OrgUnitId) -> siyu_store::error::StoreResult<Vec<Staff>> {
    let f = StaffFilter { role: Some(Role::CustomerManager), org_unit_id: Some(sub_branch), query: None };
    let mut v: Vec<Staff> = state.store.all_staff(&f).await?;
    // The filter takes the sub-branch's subtree; the code assigns within the sub-branch itself.
    v.retain(|s| s.active && s.wecom_userid.is_some() && s.org_unit_id == sub_branch);
    v.sort_by_key(|s| s.id);
    Ok(v)
}

/// The sub-branch a code belongs to, and the customer manager it assigns to next.
async fn choose(state: &AppState, a: &Assignment, last: Option<StaffId>) -> ServiceResult<(OrgUnitId, Staff)> {
    let none = || ServiceError::invalid("no_customer_manager", Text::new("channels.no_customer_manager"));
    match a {
        Assignment::Named { staff_id } => {
            let s = state.store.staff(*staff_id).await.map_err(|_| none())?;
            if s.role != Role::CustomerManager || !s.active || s.wecom_userid.is_none() {
                return Err(none());
            }
            Ok((s.org_unit_id, s))
        }
        Assignment::RoundRobin { sub_branch_id } => {
            let cms = assignable(state, *sub_branch_id).await?;
            let ids: Vec<StaffId> = cms.iter().map(|s| s.id).collect();
            let next = next_in_turn(&ids, last).ok_or_else(none)?;
            Ok((*sub_branch_id, cms.into_iter().find(|s| s.id == next).ok_or_else(none)?))
        }
        Assignment::LeastLoad { sub_branch_id } => {
            let cms = assignable(state, *sub_branch_id).await?;
            let userids: Vec<String> = cms.iter().filter_map(|s| s.wecom_userid.clone()).collect();
            let load = state.store.active_customers(&userids).await?;
            let count =
                |s: &Staff| load.iter().find(|(u, _)| Some(u) == s.wecom_userid.as_ref()).map(|x| x.1).unwrap_or(0);
            let best = cms.into_iter().min_by_key(|s| (count(s), s.id)).ok_or_else(none)?;
            Ok((*sub_branch_id, best))
        }
        Assignment::Nearest { location } => {
            if !location.is_valid() {
                return Err(ServiceError::invalid("bad_location", Text::new("org.bad_location")));
            }
            let mut subs: Vec<_> = state
                .store
                .org_units()
                .await?
                .into_iter()
                .filter(|u| u.kind == OrgUnitKind::SubBranch && u.location.is_some())
                .collect();
            subs.sort_by(|a, b| {
                let d =
                    |u: &siyu_domain::org::OrgUnit| u.location.map(|l| l.distance_km(*location)).unwrap_or(f64::MAX);
                d(a).total_cmp(&d(b))
            });
            // The nearest sub-branch that has someone to assign to.
            for sub in subs {
                let cms = assignable(state, sub.id).await?;
                let ids: Vec<StaffId> = cms.iter().map(|s| s.id).collect();
                if let Some(next) = next_in_turn(&ids, last) {
                    return Ok((sub.id, cms.into_iter().find(|s| s.id == next).ok_or_else(none)?));
                }
            }
            Err(none())
        }
    }
}

fn check_input(input: &ChannelInput) -> ServiceResult<()> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(ServiceError::invalid("bad_name", Text::new("channels.bad_name")));
    }
    if input.tags.len() > 10 || input.tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > 30) {
        return Err(ServiceError::invalid("bad_tags", Text::new("channels.bad_tags")));
    }
    Ok(())
}

pub async fn create(state: &AppState, caller: &Caller, mut input: ChannelInput) -> ServiceResult<ChannelCode> {
    caller.require(Permission::ManageChannels)?;
    input.tags = input.tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    check_input(&input)?;
    // The welcome is an approved item that may be sent now (and is checked again at each add).
    if let Some(item) = input.welcome.item {
        super::welcome::check_item(state, item).await?;
    }
    channel_controls::check(state, caller, &input.controls).await?;
    let rt = wecom(state)?;
    let (sub_branch, first) = choose(state, &input.assignment, None).await?;
    if let Some(allowed) = managed_sub_branches(state, caller).await?
        && !allowed.contains(&sub_branch)
    {
        return Err(ServiceError::Forbidden);
    }
    let now = state.clock.now();
    let new = NewChannelCode {
        name: input.name.trim().to_owned(),
        kind: input.kind,
        sub_branch_id: Some(sub_branch),
        assignment: input.assignment,
        welcome: input.welcome,
        tags: input.tags,
        controls: input.controls,
        created_by: caller.staff.as_ref().map(|s| s.id),
        created_at: now,
    };
    let code = state.store.create_channel_code(&new).await?;
    let way = channel_controls::way_of(&code, String::new(), first.wecom_userid.clone().unwrap_or_default(), true);
    match rt.client.add_contact_way(&way).await {
        Ok(created) => {
            state.store.set_channel_wecom(code.id, &created.config_id, &created.qr_code, now).await?;
            state.store.set_channel_staff(code.id, first.id, now).await?;
        }
        Err(e) => {
            // The code stays, switched off, so the operator sees what failed and nothing half-works.
            state.store.set_channel_active(code.id, false, now).await?;
            return Err(wecom_err(e));
        }
    }
    audit::record(state, caller, AuditAction::ChannelCodeCreated, &code.id.to_string(), &code.name).await?;
    let code = state.store.channel_code(code.id).await?;
    if !code.controls.is_empty() {
        // The first manager in turn may be off duty or the time outside skip-verify: the controls say.
        channel_controls::apply(state, rt, &code).await.map_err(|e| match e {
            AddError::Wecom(e) => wecom_err(e),
            AddError::Store(e) => e.into(),
        })?;
    }
    Ok(state.store.channel_code(code.id).await?)
}

pub async fn list(state: &AppState, caller: &Caller, page: Page) -> ServiceResult<Paged<ChannelCode>> {
    caller.require(Permission::ReadChannels)?;
    let subs = managed_sub_branches(state, caller).await?;
    Ok(state.store.list_channel_codes(subs.as_deref(), page).await?)
}

/// One code and its daily figures, if the caller may see it.
pub async fn get(state: &AppState, caller: &Caller, id: ChannelCodeId) -> ServiceResult<(ChannelCode, Vec<DayStat>)> {
    caller.require(Permission::ReadChannels)?;
    let code = state.store.channel_code(id).await?;
    if let (Some(allowed), Some(sub)) = (managed_sub_branches(state, caller).await?, code.sub_branch_id)
        && !allowed.contains(&sub)
    {
        return Err(ServiceError::NotFound);
    }
    let stats = state.store.channel_stats(&code.state()).await?;
    Ok((code, stats))
}

/// Why handling an add through a code failed (the job retries it).
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Wecom(#[from] WecomError),
    #[error(transparent)]
    Store(#[from] siyu_store::StoreError),
}

/// What happens when a customer adds a staff member through `code`. Safe to run again: the welcome
/// code works once (a repeat answers 41051, taken as done), marking the same tags twice is harmless,
/// and the code moves on once per add: `new_add` names the add that started the relationship (`None`
/// for a callback that started nothing, such as a stale or repeated add), and the step is recorded
/// under that name.
pub(crate) async fn on_added(
    state: &AppState,
    code: &ChannelCode,
    (staff_userid, external_userid): (&str, &str),
    customer: Option<CustomerId>,
    welcome_code: Option<&str>,
    new_add: Option<&str>,
) -> Result<(), AddError> {
    let Some(rt) = state.wecom.as_deref() else { return Ok(()) };
    if let Some(wc) = welcome_code.filter(|_| !code.welcome.is_empty()) {
        let staff = state.store.staff_by_ids(&[], &[staff_userid.to_owned()]).await?;
        match staff.first() {
            Some(s) => crate::outbound::welcome(state, rt, code, s, customer, wc).await?,
            None => tracing::warn!(code = %code.id, "the member added is not in siyu; no welcome is sent"),
        }
    }
    if !code.tags.is_empty() {
        let names: Vec<&str> = code.tags.iter().map(String::as_str).collect();
        let group = rt.client.add_corp_tags(TAG_GROUP, &names).await?;
        let ids: Vec<String> = group.tag.iter().filter(|t| code.tags.contains(&t.name)).map(|t| t.id.clone()).collect();
        rt.client.mark_tags(staff_userid, external_userid, &ids, &[]).await?;
    }
    if let Some(add) = new_add
        && (!matches!(code.assignment, Assignment::Named { .. }) || !code.controls.is_empty())
    {
        rotate(state, rt, code, add).await?;
    }
    Ok(())
}

/// Points the code at the next customer manager who may take an add (in turn or the least loaded,
/// under their cap, on duty; else the backup), once for the add `add`: WeCom is told first (telling
/// it twice the same is harmless), then the step is recorded with the add's name, only if the code
/// still points where it did — otherwise another add moved it meanwhile, and the step is worked out
/// again from there.
async fn rotate(state: &AppState, rt: &WecomRuntime, code: &ChannelCode, add: &str) -> Result<(), AddError> {
    let mut code = code.clone();
    for _ in 0..5 {
        if state.store.channel_rotated(code.id, add).await? {
            return Ok(());
        }
        let (next, skip) = channel_controls::turn(state, &code, true).await?;
        let Some(next) = next else { return Ok(()) };
        if Some(next.id) != code.current_staff_id || skip != code.skip_verify {
            let (Some(config_id), Some(userid)) = (code.config_id.clone(), next.wecom_userid.clone()) else {
                return Ok(());
            };
            rt.client.update_contact_way(&channel_controls::way_of(&code, config_id, userid, skip)).await?;
        }
        let now = state.clock.now();
        if state.store.record_rotation(code.id, add, code.current_staff_id, next.id, now).await? {
            if skip != code.skip_verify {
                state.store.set_channel_turn(code.id, Some(next.id), next.id, skip, now).await?;
            }
            return Ok(());
        }
        code = state.store.channel_code(code.id).await?;
    }
    tracing::warn!(code = %code.id, add, "the code kept moving under this add; its rotation step is skipped");
    Ok(())
}

/// Demo only: the demo's customers (the built-in fake WeCom) play a customer with a made-up name,
/// returned, scanning the code, so its welcome message, tags and figures can be watched.
///
/// WeCom's callback is answered as soon as it is queued and applied by a worker a moment later, so the
/// page the operator goes back to would not count the scan yet (the first scan of a new code showed
/// "no data" until the next one): this waits, a few seconds at most, until the add is recorded.
pub async fn simulate_scan(state: &AppState, caller: &Caller, id: ChannelCodeId) -> ServiceResult<String> {
    caller.require(Permission::ManageChannels)?;
    let customers = state.demo_customers.clone().ok_or(ServiceError::NotFound)?;
    let (code, _) = get(state, caller, id).await?;
    let scan = customers.customer_scans(code.config_id.as_deref().unwrap_or_default()).await;
    let (name, external_userid) = scan.map_err(|e| ServiceError::Internal(e.0))?;
    for _ in 0..100 {
        let rels = state.store.relationships(&external_userid).await?;
        if rels.iter().any(|r| r.state.as_deref() == Some(code.state().as_str())) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(name)
}

/// What a code's form offers and its rows name: unit names, the customer managers who can be
/// assigned (active, with a WeCom user id; all of them, read a page at a time), and the sub-branches.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub unit_names: std::collections::HashMap<OrgUnitId, String>,
    pub managers: Vec<Staff>,
    pub sub_branches: Vec<siyu_domain::org::OrgUnit>,
}

pub async fn choices(state: &AppState, caller: &Caller) -> ServiceResult<Choices> {
    caller.require(Permission::ReadChannels)?;
    let units = state.store.org_units().await?;
    let f = StaffFilter { role: Some(Role::CustomerManager), ..Default::default() };
    let managers = state.store.all_staff(&f).await?;
    Ok(Choices {
        unit_names: units.iter().map(|u| (u.id, u.name.clone())).collect(),
        managers,
        sub_branches: units.into_iter().filter(|u| u.kind == OrgUnitKind::SubBranch).collect(),
    })
}

/// Adds today (the bank day so far) and in all for each of `codes`, by code; a code nobody added
/// through yet is (0, 0).
pub async fn figures(
    state: &AppState,
    caller: &Caller,
    codes: &[ChannelCode],
) -> ServiceResult<std::collections::HashMap<ChannelCodeId, (i64, i64)>> {
    caller.require(Permission::ReadChannels)?;
    let states: Vec<String> = codes.iter().map(ChannelCode::state).collect();
    let since = channel_controls::bank_day_start(state.clock.now());
    let rows = state.store.channel_figures(&states, since).await?;
    Ok(codes
        .iter()
        .map(|c| {
            let f = rows.iter().find(|r| r.state == c.state());
            (c.id, f.map(|f| (f.today, f.total)).unwrap_or((0, 0)))
        })
        .collect())
}

/// One contact a code brought in, as a person in the caller's scope may see it: the bank's customer
/// it is linked to (masked as every staff view is) when the caller's scope covers them.
#[derive(Debug, Clone)]
pub struct BroughtIn {
    pub contact: ChannelContact,
    pub customer: Option<Customer>,
}

/// The contacts a code brought in, newest first: a customer manager sees those who added them, a
/// branch manager those who added the staff of their branch, head office everyone.
pub async fn brought_in(
    state: &AppState,
    caller: &Caller,
    id: ChannelCodeId,
    page: Page,
) -> ServiceResult<Paged<BroughtIn>> {
    caller.require(Permission::ReadCustomers)?;
    let (code, _) = get(state, caller, id).await?;
    let staff: Option<Vec<String>> = match caller.scope() {
        DataScope::All => None,
        DataScope::OwnedBy(me) => Some(state.store.staff(me).await?.wecom_userid.into_iter().collect()),
        DataScope::Subtree(unit) => {
            let f = StaffFilter { org_unit_id: Some(unit), ..Default::default() };
            Some(state.store.all_staff(&f).await?.into_iter().filter_map(|s| s.wecom_userid).collect())
        }
    };
    let contacts = state.store.channel_contacts(&code.state(), staff.as_deref(), page).await?;
    let ids: Vec<_> = contacts.items.iter().filter_map(|c| c.customer_id).collect();
    let customers = state.store.customers_by_ids(caller.scope(), &ids).await?;
    let items = contacts
        .items
        .into_iter()
        .map(|contact| {
            let customer = customers.iter().find(|c| Some(c.id) == contact.customer_id).cloned();
            BroughtIn { contact, customer }
        })
        .collect();
    Ok(Paged { items, total: contacts.total })
}

/// How long a failed QR fetch is remembered: views within it answer "unavailable" at once instead of
/// each waiting for WeCom's image host to time out again; the first view after it tries again.
pub const QR_FAILURE_SECS: i64 = 300;

/// The QR fetches that failed lately, per code, with the URL that failed and when. Kept in memory
/// (in [`AppState`]), not in the store: it is a few minutes' hint for this process, worth nothing
/// after a restart (a new process may as well try at once), and a store write on every failure would
/// put WeCom's outage onto the database too. One entry per code at most, so it is as small as the list
/// of codes.
#[derive(Debug, Default)]
pub struct QrFailures(std::sync::Mutex<std::collections::HashMap<ChannelCodeId, (String, Timestamp)>>);

impl QrFailures {
    /// Whether `url` of `code` failed less than [`QR_FAILURE_SECS`] before `now`.
    fn recent(&self, code: ChannelCodeId, url: &str, now: Timestamp) -> bool {
        let map = self.0.lock().expect("QR failures lock");
        map.get(&code).is_some_and(|(u, at)| u == url && now < at.plus_secs(QR_FAILURE_SECS))
    }

    fn failed(&self, code: ChannelCodeId, url: &str, now: Timestamp) {
        let mut map = self.0.lock().expect("QR failures lock");
        map.retain(|_, (_, at)| now < at.plus_secs(QR_FAILURE_SECS));
        map.insert(code, (url.to_owned(), now));
    }

    fn succeeded(&self, code: ChannelCodeId) {
        self.0.lock().expect("QR failures lock").remove(&code);
    }
}

/// The code's QR image: the one kept from the last fetch of this code's `qr_code` URL, else fetched
/// from WeCom now (bounded, checked, from WeCom's image hosts only) and kept. A code without a QR, or
/// whose image WeCom does not serve (or did not serve in the last [`QR_FAILURE_SECS`]), answers
/// `qr_unavailable`.
pub async fn qr_image(state: &AppState, caller: &Caller, id: ChannelCodeId) -> ServiceResult<QrImage> {
    let (code, _) = get(state, caller, id).await?;
    let unavailable = || ServiceError::invalid("qr_unavailable", Text::new("channels.qr_unavailable"));
    let url = code.qr_code.clone().filter(|u| !u.is_empty()).ok_or_else(unavailable)?;
    if let Some(kept) = state.store.channel_qr_image(code.id).await?.filter(|k| k.qr_code == url) {
        return Ok(kept);
    }
    if state.qr_failures.recent(code.id, &url, state.clock.now()) {
        return Err(unavailable());
    }
    let rt = wecom(state)?;
    let img = match rt.client.fetch_qr_image(&url).await {
        Ok(img) => img,
        Err(e) => {
            // The error names the refusal (and at most the host), never the URL's path or a token.
            tracing::warn!(code = %code.id, error = %e, "QR image not fetched");
            state.qr_failures.failed(code.id, &url, state.clock.now());
            return Err(unavailable());
        }
    };
    state.qr_failures.succeeded(code.id);
    let kept = QrImage {
        qr_code: url,
        content_type: img.content_type.to_owned(),
        bytes: img.bytes,
        fetched_at: state.clock.now(),
    };
    state.store.save_channel_qr_image(code.id, &kept).await?;
    Ok(kept)
}

/// The code's printable poster (PDF): its name, its sub-branch's name and its QR image, with the
/// line `call_to_action` in the reader's language. Fails as [`qr_image`] does when WeCom has no image.
pub async fn poster(
    state: &AppState,
    caller: &Caller,
    id: ChannelCodeId,
    call_to_action: &str,
) -> ServiceResult<(String, Vec<u8>)> {
    let img = qr_image(state, caller, id).await?;
    let code = state.store.channel_code(id).await?;
    let sub_branch = match code.sub_branch_id {
        Some(u) => state.store.org_unit(u).await?.name,
        None => String::new(),
    };
    let (title, call_to_action) = (code.name.clone(), call_to_action.to_owned());
    // Unfiltering and flattening the PNG is CPU work on an image of up to a mebibyte: off the runtime,
    // and in one of the few turns file work has, so however many posters are asked for at once only
    // a few images are unpacked in memory.
    let turn = crate::services::imports::file_slot(state).await?;
    let built = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let text =
            channel_poster::PosterText { title: &title, sub_branch: &sub_branch, call_to_action: &call_to_action };
        channel_poster::poster_pdf(&text, &img.bytes)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("poster task: {e}")))?;
    let pdf = built.map_err(|e| {
        tracing::warn!(code = %code.id, error = %e, "QR image not usable for the poster");
        ServiceError::invalid("qr_unavailable", Text::new("channels.qr_unavailable"))
    })?;
    Ok((code.name, pdf))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The poster's PNG unfiltering and flattening is CPU work: every call of the builder in this
    /// service is the body of a `spawn_blocking`, not a step of an async function.
    #[test]
    fn the_poster_is_built_off_the_async_runtime() {
        let source = include_str!("channels.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let calls: Vec<usize> = code.match_indices("channel_poster::poster_pdf(").map(|(i, _)| i).collect();
        assert!(!calls.is_empty(), "the poster is built here");
        for at in calls {
            let before = &code[..at];
            let opened = before.rfind("spawn_blocking(move || {").expect("a poster built outside spawn_blocking");
            assert!(!before[opened..].contains("\n}\n"), "the nearest spawn_blocking is another function's");
            assert!(!before[opened..].contains(".await"), "the builder runs inside the blocking closure");
        }
    }

    #[test]
    fn a_failed_qr_fetch_is_remembered_for_its_url_for_five_minutes() {
        let f = QrFailures::default();
        let (code, t) = (ChannelCodeId::new(1), Timestamp::from_millis(1_000_000));
        f.failed(code, "https://wework.qpic.cn/a", t);
        assert!(f.recent(code, "https://wework.qpic.cn/a", t.plus_secs(QR_FAILURE_SECS - 1)));
        assert!(!f.recent(code, "https://wework.qpic.cn/b", t), "another URL is tried at once");
        assert!(!f.recent(ChannelCodeId::new(2), "https://wework.qpic.cn/a", t), "per code");
        assert!(!f.recent(code, "https://wework.qpic.cn/a", t.plus_secs(QR_FAILURE_SECS)), "then tried again");
        f.succeeded(code);
        assert!(!f.recent(code, "https://wework.qpic.cn/a", t));
    }
}
