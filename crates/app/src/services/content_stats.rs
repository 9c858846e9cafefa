//! An item's figures (issue 17 §7): per version its sends and senders, opens, unique openers,
//! forwards, read time and interest tags given; the last fourteen days of sends and opens; and, the
//! last mile measured, which customer managers sent it and which did not.
//!
//! A send is counted where siyu hands an item over to be sent — today a tracked link issued
//! (`services::links::issue`), later a journey's task — since WeCom tells siyu nothing of what a
//! manager pastes into a chat. Figures, no customers: permission `ReadContent`. The managers listed
//! are the caller's own: a customer manager sees themselves, a branch the managers under it, HQ all
//! (by name: no login names or WeCom ids, which are the staff directory's).

use chrono::Days;
use serde::Serialize;
use siyu_domain::org::{Role, Staff};
use siyu_domain::scope::{Actor, Permission};
use siyu_domain::{ContentItemId, Timestamp};
use siyu_store::{DayFigures, Page, Paged, SenderFigures, StaffFilter, VersionFigures};

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::state::AppState;

/// Days the chart covers, today included.
pub const DAYS: u64 = 14;

/// An item's figures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemFigures {
    /// Oldest version first.
    pub versions: Vec<VersionFigures>,
    /// Each of the last [`DAYS`] bank days, oldest first, zeros included.
    pub days: Vec<DayFigures>,
    /// The managers the caller oversees, and how many of them sent the item at least once.
    pub managers: u64,
    pub managers_sending: u64,
}

/// A manager and what they did with the item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderRow {
    /// Who, by name only: figures are no staff directory.
    pub display_name: String,
    #[serde(flatten)]
    pub figures: SenderFigures,
}

/// The customer managers the caller oversees (see the module doc).
fn overseen(caller: &Caller) -> Option<StaffFilter> {
    match &caller.actor {
        Actor::Staff { role: Role::CustomerManager, .. } => None,
        Actor::Staff { org_unit_id, .. } => {
            Some(StaffFilter { role: Some(Role::CustomerManager), org_unit_id: Some(*org_unit_id), query: None })
        }
        // A bank system's token oversees nobody: it reads an item's figures, not who sends them.
        Actor::System { .. } => None,
    }
}

/// The caller's managers, a page of them (a customer manager: themselves; a token: nobody).
async fn managers(state: &AppState, caller: &Caller, page: Page) -> ServiceResult<Paged<Staff>> {
    match overseen(caller) {
        Some(f) => Ok(state.store.list_staff(&f, page).await?),
        None => {
            let me: Vec<Staff> = caller.staff.iter().cloned().collect();
            Ok(Paged { total: me.len() as i64, items: if page.offset == 0 { me } else { Vec::new() } })
        }
    }
}

pub async fn figures(state: &AppState, caller: &Caller, item: ContentItemId) -> ServiceResult<ItemFigures> {
    caller.require(Permission::ReadContent)?;
    state.store.content_item(item).await?;
    let versions: Vec<_> = state.store.content_versions(item).await?.into_iter().map(|v| v.id).collect();
    let today = state.clock.now().bank_date();
    let first = today.checked_sub_days(Days::new(DAYS - 1)).unwrap_or(today);
    let found = state.store.content_days(item, &versions, Timestamp::bank_day_start(first)).await?;
    let epoch = chrono::NaiveDate::default();
    let days = (0..DAYS)
        .filter_map(|i| first.checked_add_days(Days::new(i)))
        .map(|d| {
            let day = d.signed_duration_since(epoch).num_days();
            found.iter().find(|f| f.day == day).copied().unwrap_or(DayFigures { day, sends: 0, opens: 0 })
        })
        .collect();
    // How many of the caller's managers sent it: all of them read, a page at a time.
    let mut sending = 0;
    let mut page = Page::first(Page::MAX_LIMIT);
    let managers_total = loop {
        let some = managers(state, caller, page).await?;
        let ids: Vec<_> = some.items.iter().map(|s| s.id).collect();
        let sent = state.store.content_senders(item, &versions, &ids).await?;
        sending += sent.iter().filter(|s| s.sends > 0).count() as u64;
        if some.items.is_empty() || page.offset + page.limit >= some.total {
            break some.total.max(0) as u64;
        }
        page = Page { offset: page.offset + page.limit, ..page };
    };
    Ok(ItemFigures {
        versions: state.store.content_figures(item, &versions).await?,
        days,
        managers: managers_total,
        managers_sending: sending,
    })
}

/// A page of the caller's managers with what each did with the item, zeros included.
pub async fn senders(
    state: &AppState,
    caller: &Caller,
    item: ContentItemId,
    page: Page,
) -> ServiceResult<Paged<SenderRow>> {
    caller.require(Permission::ReadContent)?;
    state.store.content_item(item).await?;
    let versions: Vec<_> = state.store.content_versions(item).await?.into_iter().map(|v| v.id).collect();
    let some = managers(state, caller, page).await?;
    let ids: Vec<_> = some.items.iter().map(|s| s.id).collect();
    let figures = state.store.content_senders(item, &versions, &ids).await?;
    let items = some
        .items
        .into_iter()
        .zip(figures)
        .map(|(staff, figures)| SenderRow { display_name: staff.display_name, figures })
        .collect();
    Ok(Paged { items, total: some.total })
}
