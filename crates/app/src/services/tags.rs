//! Tags: defining them (HQ), putting manual tags on customers (HQ or the customer's own manager),
//! loading imported tags from a list of customer numbers, and recomputing rule tags.
//!
//! Every change is written to the store first (with the customer's timeline entry in the same
//! transaction), then told to the audience engine, then answered: a count made after the answer
//! includes it.

use siyu_domain::audience::print;
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::tag::{TagKind, valid_tag_name};
use siyu_domain::{CustomerId, TagGroupId, TagId};
use siyu_store::{NewTag, Tag, TagGroup};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{audiences, audit};
use crate::state::AppState;

pub async fn groups(state: &AppState, caller: &Caller) -> ServiceResult<Vec<TagGroup>> {
    caller.require(Permission::ReadCustomers)?;
    Ok(state.store.tag_groups().await?)
}

/// Every tag, uncounted (the choices of a customer's "add a tag").
pub async fn all(state: &AppState, caller: &Caller) -> ServiceResult<Vec<Tag>> {
    caller.require(Permission::ReadCustomers)?;
    Ok(state.store.tags().await?)
}

/// Every tag, with how many of the caller's customers carry it.
pub async fn list(state: &AppState, caller: &Caller) -> ServiceResult<Vec<(Tag, u64)>> {
    Ok(list_page(state, caller, siyu_store::Page { offset: 0, limit: i64::MAX }).await?.items)
}

/// A page of the tags, counted for the caller (only the page's tags are counted).
pub async fn list_page(
    state: &AppState,
    caller: &Caller,
    page: siyu_store::Page,
) -> ServiceResult<siyu_store::Paged<(Tag, u64)>> {
    caller.require(Permission::ReadCustomers)?;
    let scope = audiences::scope_bitmap(state, caller.scope()).await?;
    let tags = page.slice(state.store.tags().await?);
    let items = tags
        .items
        .into_iter()
        .map(|t| {
            let n = state.engine.tag_members(t.id, scope.as_ref()).len();
            (t, n)
        })
        .collect();
    Ok(siyu_store::Paged { items, total: tags.total })
}

pub async fn create_group(state: &AppState, caller: &Caller, name: &str) -> ServiceResult<TagGroup> {
    caller.require(Permission::ManageTags)?;
    let name = name.trim();
    if !valid_tag_name(name) {
        return Err(ServiceError::invalid("bad_name", Text::new("tags.bad_group_name")));
    }
    let g = state.store.create_tag_group(name, state.clock.now()).await.map_err(|e| match e {
        siyu_store::StoreError::Conflict(_) => ServiceError::Conflict(Text::new("tags.group_exists").arg("name", name)),
        other => other.into(),
    })?;
    audit::record(state, caller, AuditAction::TagDefined, &g.id.to_string(), &format!("group {name}")).await?;
    Ok(g)
}

/// What an operator fills in to define a tag.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagForm {
    pub group_id: TagGroupId,
    /// 1–30 characters, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub name: String,
    pub kind: TagKind,
    #[serde(default)]
    pub sync_to_wecom: bool,
    /// The condition of a rule tag, as an audience expression.
    #[serde(default)]
    pub rule: Option<String>,
}

async fn check_form(state: &AppState, caller: &Caller, f: &TagForm) -> ServiceResult<NewTag> {
    let name = f.name.trim();
    if !valid_tag_name(name) {
        return Err(ServiceError::invalid("bad_name", Text::new("tags.bad_name")));
    }
    let rule = f.rule.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let rule_text = match (f.kind, rule) {
        (TagKind::Rule, None) => {
            return Err(ServiceError::invalid("rule_required", Text::new("tags.rule_required")));
        }
        (TagKind::Rule, Some(text)) => {
            let (expr, warnings) = crate::engine::compile_typed(state, caller, text).await?;
            if let Some(w) = warnings.into_iter().find(crate::engine::ExprWarning::refuses_saving) {
                return Err(w.into_error());
            }
            // Rules over attributes, events and hand-set or imported tags only: then every rule can
            // be recomputed on its own, in any order, and no two rules can chase each other.
            if expr.tags().iter().any(|t| state.engine.is_rule_tag(t)) || !expr.audiences().is_empty() {
                return Err(ServiceError::invalid("rule_refers_to_rule", Text::new("tags.rule_refers_to_rule")));
            }
            Some(print(&expr))
        }
        (_, Some(_)) => {
            return Err(ServiceError::invalid("rule_not_allowed", Text::new("tags.rule_not_allowed")));
        }
        (_, None) => None,
    };
    Ok(NewTag { group_id: f.group_id, name: name.to_owned(), kind: f.kind, sync_to_wecom: f.sync_to_wecom, rule_text })
}

fn conflict(name: &str) -> impl Fn(siyu_store::StoreError) -> ServiceError + '_ {
    move |e| match e {
        siyu_store::StoreError::Conflict(_) => ServiceError::Conflict(Text::new("tags.tag_exists").arg("name", name)),
        other => other.into(),
    }
}

/// The group a form names must exist: the store would refuse the row too, but as a broken key (an
/// internal error), not as the caller's mistake.
async fn check_group(state: &AppState, id: TagGroupId) -> ServiceResult<()> {
    if state.store.tag_groups().await?.iter().any(|g| g.id == id) {
        Ok(())
    } else {
        Err(ServiceError::invalid("bad_group", Text::new("tags.bad_group")))
    }
}

pub async fn create(state: &AppState, caller: &Caller, form: &TagForm) -> ServiceResult<Tag> {
    caller.require(Permission::ManageTags)?;
    let new = check_form(state, caller, form).await?;
    check_group(state, new.group_id).await?;
    let tag = state.store.create_tag(&new, state.clock.now()).await.map_err(conflict(&new.name))?;
    state.engine.note_tag(tag.id, &tag.name, tag.kind == TagKind::Rule);
    audit::record(state, caller, AuditAction::TagDefined, &tag.id.to_string(), &describe(&tag)).await?;
    crate::wecom::tags::queue_push(state, &tag).await;
    if tag.kind == TagKind::Rule {
        recompute(state, &tag).await?;
    }
    Ok(tag)
}

pub async fn update(state: &AppState, caller: &Caller, id: TagId, form: &TagForm) -> ServiceResult<Tag> {
    caller.require(Permission::ManageTags)?;
    let before = state.store.tag(id).await?;
    if before.kind != form.kind {
        return Err(ServiceError::invalid("kind_fixed", Text::new("tags.kind_fixed")));
    }
    let new = check_form(state, caller, form).await?;
    check_group(state, new.group_id).await?;
    let tag = state.store.update_tag(id, &new, state.clock.now()).await.map_err(conflict(&new.name))?;
    state.engine.note_tag(tag.id, &tag.name, tag.kind == TagKind::Rule);
    audit::record(state, caller, AuditAction::TagDefined, &tag.id.to_string(), &describe(&tag)).await?;
    crate::wecom::tags::queue_push(state, &tag).await;
    if tag.sync_to_wecom && !before.sync_to_wecom {
        // Newly mirrored: everyone who carries it gets it in WeCom too.
        let all = crate::engine::ids_of(&state.engine.tag_members(tag.id, None));
        crate::wecom::tags::queue_marks(state, &tag, &all).await;
    }
    if tag.kind == TagKind::Rule {
        recompute(state, &tag).await?;
    }
    crate::jobs::refresh::soon(state).await;
    Ok(tag)
}

fn describe(t: &Tag) -> String {
    let rule = t.rule_text.as_deref().map(|r| format!(" rule: {r}")).unwrap_or_default();
    format!("{}/{} ({}, wecom: {}){rule}", t.group_name, t.name, t.kind.as_str(), t.sync_to_wecom)
}

/// Puts a manual tag on a customer in the caller's scope (`on`), or takes it off.
pub async fn set_on_customer(
    state: &AppState,
    caller: &Caller,
    customer: CustomerId,
    tag: TagId,
    on: bool,
) -> ServiceResult<bool> {
    caller.require(Permission::TagCustomers)?;
    // Out of scope reads as not found, the same as every other customer read.
    state.store.customer(caller.scope(), customer).await?;
    let t = state.store.tag(tag).await?;
    if t.kind != TagKind::Manual {
        return Err(ServiceError::invalid("tag_not_manual", Text::new("tags.not_manual")));
    }
    let guard = state.tag_writes.lock().await;
    let now = state.clock.now();
    let changed = if on {
        let source = format!("manual:{}", caller.name());
        state.store.tag_customers(tag, &[customer], &source, now).await?
    } else {
        state.store.untag_customers(tag, &[customer], now).await?
    };
    state.engine.note_tagged(tag, &changed, on, now);
    drop(guard);
    if !changed.is_empty() {
        crate::wecom::tags::queue_marks(state, &t, &changed).await;
        crate::jobs::refresh::soon(state).await;
    }
    Ok(!changed.is_empty())
}

pub async fn of_customer(state: &AppState, caller: &Caller, customer: CustomerId) -> ServiceResult<Vec<Tag>> {
    caller.require(Permission::ReadCustomers)?;
    state.store.customer(caller.scope(), customer).await?;
    Ok(state.store.customer_tags(customer).await?)
}

pub async fn timeline(
    state: &AppState,
    caller: &Caller,
    customer: CustomerId,
    page: siyu_store::Page,
) -> ServiceResult<siyu_store::Paged<siyu_store::CustomerEvent>> {
    caller.require(Permission::ReadCustomers)?;
    state.store.customer(caller.scope(), customer).await?;
    Ok(state.store.customer_events(customer, page).await?)
}

/// Recomputes one rule tag: customers the rule now selects gain it, the others lose it. Run when a
/// rule tag is saved, and by the refresh job.
pub(crate) async fn recompute(state: &AppState, tag: &Tag) -> ServiceResult<(u64, u64)> {
    let Some(text) = tag.rule_text.as_deref() else { return Ok((0, 0)) };
    let expr = crate::engine::bind_to_org(state, &crate::engine::compile(state, text)?).await?;
    let _guard = state.tag_writes.lock().await;
    state.engine.roll_day(state.clock.now());
    let want = state.engine.select(&expr, None).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let have = state.engine.tag_members(tag.id, None);
    let add = crate::engine::ids_of(&(&want - &have));
    let lose = crate::engine::ids_of(&(&have - &want));
    let now = state.clock.now();
    // Two transactions: each one's outcome reaches the engine (and WeCom) as soon as it commits, so
    // a removal that fails leaves the engine holding exactly the additions the store kept.
    let added = if add.is_empty() { Vec::new() } else { state.store.tag_customers(tag.id, &add, "rule", now).await? };
    state.engine.note_tagged(tag.id, &added, true, now);
    let removed = if lose.is_empty() { Ok(Vec::new()) } else { state.store.untag_customers(tag.id, &lose, now).await };
    if let Ok(removed) = &removed {
        state.engine.note_tagged(tag.id, removed, false, now);
    }
    drop(_guard);
    crate::wecom::tags::queue_marks(state, tag, &added).await;
    let removed = removed?;
    crate::wecom::tags::queue_marks(state, tag, &removed).await;
    Ok((added.len() as u64, removed.len() as u64))
}

/// Recomputes every rule tag; returns how many customers gained and lost one. The refresh job's.
pub(crate) async fn recompute_all(state: &AppState) -> ServiceResult<(u64, u64)> {
    let mut total = (0, 0);
    for t in state.store.tags().await?.into_iter().filter(|t| t.kind == TagKind::Rule) {
        match recompute(state, &t).await {
            Ok((a, r)) => {
                total.0 += a;
                total.1 += r;
            }
            Err(e) => tracing::warn!(tag = %t.id, error = %e, "rule tag not recomputed"),
        }
    }
    Ok(total)
}

/// The outcome of loading an imported tag from a list of customer numbers.
#[derive(Debug, Default, serde::Serialize)]
pub struct ListLoad {
    pub added: u64,
    pub removed: u64,
    /// Numbers in the list that are not customers of the bank, with their line.
    pub unknown: Vec<(usize, String)>,
}

/// Whether the caller may load imported tags from a file; asked before the upload is read.
pub fn may_load_list(caller: &Caller) -> ServiceResult<()> {
    caller.require(Permission::ManageTags)
}

/// Sets an imported tag from a CSV/XLSX whose first column holds customer numbers (below a header,
/// which may sit under a title). The file is read off the async runtime, within the reader's bounds.
pub async fn load_list_file(
    state: &AppState,
    caller: &Caller,
    tag: TagId,
    bytes: Vec<u8>,
    replace: bool,
) -> ServiceResult<ListLoad> {
    may_load_list(caller)?;
    let entries = tokio::task::spawn_blocking(move || numbers_of(&bytes))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
    load_list(state, caller, tag, &entries, replace).await
}

/// No customer number is longer: a list of longer ones is not a list of customer numbers, and each kept
/// number costs memory until the list is loaded.
const MAX_CUSTOMER_NO_CHARS: usize = 64;
/// Customer numbers one list may hold (a tag on a million customers is a rule tag's work, not a list's).
const MAX_LIST_NUMBERS: usize = 1_000_000;

/// The customer numbers in the first column of a CSV/XLSX, each with its line.
fn numbers_of(bytes: &[u8]) -> ServiceResult<Vec<(usize, String)>> {
    let bad_file = |e: crate::import::reader::FileError| ServiceError::invalid("bad_file", e.text());
    let table = crate::import::reader::Table::open(bytes).map_err(bad_file)?;
    let mut out = Vec::new();
    let mut too_long = None;
    let mut too_many = false;
    table
        .for_each_row(&mut |line, cells| {
            if let Some(no) = cells.first().map(|c| c.trim()).filter(|c| !c.is_empty()) {
                if no.chars().count() > MAX_CUSTOMER_NO_CHARS {
                    too_long = Some(line);
                    return std::ops::ControlFlow::Break(());
                }
                if out.len() == MAX_LIST_NUMBERS {
                    too_many = true;
                    return std::ops::ControlFlow::Break(());
                }
                out.push((usize::try_from(line).unwrap_or(0), no.to_owned()));
            }
            std::ops::ControlFlow::Continue(())
        })
        .map_err(bad_file)?;
    if too_many {
        return Err(ServiceError::invalid("bad_file", Text::new("tags.list_too_long").arg("max", MAX_LIST_NUMBERS)));
    }
    if let Some(line) = too_long {
        return Err(ServiceError::invalid(
            "bad_file",
            Text::new("tags.number_too_long").arg("line", line).arg("max", MAX_CUSTOMER_NO_CHARS),
        ));
    }
    Ok(out)
}

/// Sets an imported tag from a list of customer numbers, each with the line of the file it came from:
/// listed customers gain it; with `replace`, customers not listed lose it. Unknown numbers are reported
/// by line and change nothing.
pub async fn load_list(
    state: &AppState,
    caller: &Caller,
    tag: TagId,
    entries: &[(usize, String)],
    replace: bool,
) -> ServiceResult<ListLoad> {
    caller.require(Permission::ManageTags)?;
    let t = state.store.tag(tag).await?;
    if t.kind != TagKind::Imported {
        return Err(ServiceError::invalid("tag_not_imported", Text::new("tags.not_imported")));
    }
    let numbers: Vec<String> = entries.iter().map(|(_, n)| n.clone()).collect();
    let found = state.store.customer_ids_by_numbers(&numbers).await?;
    let mut out = ListLoad::default();
    let mut ids = Vec::with_capacity(found.len());
    for (line, no) in entries {
        match found.get(no.as_str()) {
            Some(id) => ids.push(*id),
            None => out.unknown.push((*line, no.clone())),
        }
    }
    let guard = state.tag_writes.lock().await;
    let now = state.clock.now();
    let listed = crate::engine::bitmap_of(&ids);
    let have = state.engine.tag_members(tag, None);
    let add = crate::engine::ids_of(&(&listed - &have));
    let added = if add.is_empty() { Vec::new() } else { state.store.tag_customers(tag, &add, "import", now).await? };
    state.engine.note_tagged(tag, &added, true, now);
    // The removals are a second transaction: if they fail, the additions the store kept still reach
    // the engine (above), WeCom and the audit log (below) before the error is answered.
    let drop_ids = if replace { crate::engine::ids_of(&(&have - &listed)) } else { Vec::new() };
    let removed =
        if drop_ids.is_empty() { Ok(Vec::new()) } else { state.store.untag_customers(tag, &drop_ids, now).await };
    if let Ok(removed) = &removed {
        state.engine.note_tagged(tag, removed, false, now);
    }
    drop(guard);
    crate::wecom::tags::queue_marks(state, &t, &added).await;
    if let Ok(removed) = &removed {
        crate::wecom::tags::queue_marks(state, &t, removed).await;
    }
    out.added = added.len() as u64;
    out.removed = removed.as_ref().map_or(0, |r| r.len() as u64);
    let failed = removed.as_ref().err().map(|e| format!(", removals failed: {e}")).unwrap_or_default();
    audit::record(
        state,
        caller,
        AuditAction::TagDefined,
        &tag.to_string(),
        &format!(
            "list of {} numbers: +{} -{}, {} unknown{failed}",
            numbers.len(),
            out.added,
            out.removed,
            out.unknown.len()
        ),
    )
    .await?;
    crate::jobs::refresh::soon(state).await;
    removed?;
    Ok(out)
}
