//! The home page's figures for whoever signs in, each within the caller's data scope: the bank's (or a
//! branch's) WeCom friends over time, reach by consent, units and managers, audiences and imports; a
//! customer manager's list for the day; a compliance reviewer's reveals and exports to review.

use siyu_domain::lang::Text;
use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use siyu_domain::audit::{AuditAction, AuditEntry};
use siyu_domain::org::{OrgUnitKind, Role};
use siyu_domain::org_tree::OrgTree;
use siyu_domain::scope::{DataScope, Permission};
use siyu_domain::timeline::EventKind;
use siyu_domain::{OrgUnitId, StaffId, Timestamp};
use siyu_store::{
    Audience, AuditDay, AuditFilter, CustomerMention, ImportRecord, ManagerFigures, Page, Paged, Reach, UnitFigures,
};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{audiences, imports, staff};
use crate::state::AppState;

/// The longest range a figure may cover, in days: a year, leap day included.
pub const MAX_DAYS: i64 = 366;
/// How many customers each of a manager's lists shows (the total is counted beside it).
pub const LIST_ROWS: i64 = 20;
/// A risk assessment due within this many days is listed with the expired ones.
pub const RISK_NOTICE_DAYS: i64 = 30;
/// A customer with no contact in this many days is listed as not contacted.
pub const QUIET_DAYS: i64 = 90;
/// New WeCom friends are those of the last this many days.
pub const NEW_FRIEND_DAYS: i64 = 7;
/// What counts as contact with a customer, from what siyu records: adding the manager on WeCom, a
/// message sent to them, and their answers (a link opened, a game answered). Tags and audiences are
/// the bank's own bookkeeping, not contact.
pub const CONTACT_KINDS: [EventKind; 4] =
    [EventKind::WecomAdded, EventKind::MessageSent, EventKind::LinkOpened, EventKind::GameAnswered];

/// Bank days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// Checks the range: within the years a bank's records span (so no date arithmetic on it can
    /// overflow chrono's calendar), in order, and at most [`MAX_DAYS`] days.
    pub fn new(from: NaiveDate, to: NaiveDate) -> ServiceResult<Self> {
        use chrono::Datelike;
        if !(1900..=2200).contains(&from.year()) || !(1900..=2200).contains(&to.year()) {
            return Err(ServiceError::invalid("bad_date", Text::new("home.bad_year")));
        }
        if from > to {
            return Err(ServiceError::invalid("bad_range", Text::new("home.bad_range")));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(ServiceError::invalid(
                "range_too_long",
                Text::new("dates.range_too_long").arg("days", MAX_DAYS),
            ));
        }
        Ok(Self { from, to })
    }

    /// The last `days` bank days up to `today`.
    pub fn last(today: NaiveDate, days: i64) -> Self {
        let days = days.clamp(1, MAX_DAYS);
        Self { from: today - Duration::days(days - 1), to: today }
    }

    /// `[first instant, first instant after)` of the range.
    pub fn instants(self) -> (Timestamp, Timestamp) {
        (Timestamp::bank_day_start(self.from), Timestamp::bank_day_start(self.to + Duration::days(1)))
    }

    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// One day of the friends chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FriendPoint {
    pub day: NaiveDate,
    /// Friends at the end of the day.
    pub friends: i64,
    pub added: i64,
    pub deleted: i64,
}

/// A unit's line in a table, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLine {
    pub name: String,
    pub figures: UnitFigures,
}

/// A manager's line in a table, with their name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerLine {
    pub name: String,
    pub unit: String,
    pub figures: ManagerFigures,
}

/// How the bank — or the part of it a branch manager heads — is doing.
#[derive(Debug, Clone)]
pub struct Overview {
    pub range: DayRange,
    /// Every day of the range, in order.
    pub days: Vec<FriendPoint>,
    pub reach: Reach,
    /// Head office: a line per branch; a branch manager: a line per sub-branch.
    pub units: Vec<UnitLine>,
    /// A branch manager's managers (empty for head office: thousands of them).
    pub managers: Vec<ManagerLine>,
    /// The largest audiences, with the members the caller may see.
    pub audiences: Vec<(Audience, u64)>,
    /// The latest imports, for those who import.
    pub imports: Vec<ImportRecord>,
}

/// The kind of unit the caller heads, for a branch manager's title (分行负责人 / 网点负责人).
pub async fn unit_kind(state: &AppState, caller: &Caller) -> ServiceResult<Option<OrgUnitKind>> {
    match &caller.staff {
        Some(s) if s.role == Role::BranchManager => Ok(Some(state.store.org_unit(s.org_unit_id).await?.kind)),
        _ => Ok(None),
    }
}

/// Head office's and a branch manager's home: figures over `range`, within the caller's scope.
pub async fn overview(state: &AppState, caller: &Caller, range: DayRange) -> ServiceResult<Overview> {
    caller.require(Permission::ReadCustomers)?;
    let scope = caller.scope();
    if matches!(scope, DataScope::OwnedBy(_)) {
        return Err(ServiceError::Forbidden);
    }
    let (from, to) = range.instants();
    let days = friend_points(state, scope, range).await?;
    let reach = state.store.reach(scope).await?;
    let units = state.store.org_units().await?;
    let tree = OrgTree::new(&units);
    let names: HashMap<OrgUnitId, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();
    let figures = state.store.unit_figures(scope, from, to).await?;
    let (unit_lines, managers) = match scope {
        DataScope::Subtree(root) => {
            // A line per sub-branch under the unit, those with nothing yet included.
            let lines = units
                .iter()
                .filter(|u| u.kind == OrgUnitKind::SubBranch && tree.contains(root, u.id))
                .map(|u| UnitLine {
                    name: u.name.clone(),
                    figures: figures.iter().find(|f| f.unit_id == u.id).copied().unwrap_or(UnitFigures::of(u.id)),
                })
                .collect();
            let per = state.store.manager_figures(scope, from, to).await?;
            let people = staff::names(state, caller, per.iter().map(|m| m.staff_id)).await?;
            let units_of = staff_units(state, &per.iter().map(|m| m.staff_id).collect::<Vec<_>>()).await?;
            let mut managers: Vec<ManagerLine> = per
                .into_iter()
                .map(|f| ManagerLine {
                    name: people.get(&f.staff_id).cloned().unwrap_or_default(),
                    unit: units_of
                        .get(&f.staff_id)
                        .and_then(|u| names.get(u))
                        .map(|n| (*n).to_owned())
                        .unwrap_or_default(),
                    figures: f,
                })
                .collect();
            managers.sort_by(|a, b| b.figures.friends.cmp(&a.figures.friends).then(a.name.cmp(&b.name)));
            (lines, managers)
        }
        _ => {
            // A line per branch, its sub-branches summed.
            let lines = units
                .iter()
                .filter(|u| u.kind == OrgUnitKind::Branch)
                .map(|b| {
                    let mut sum = UnitFigures::of(b.id);
                    for f in figures.iter().filter(|f| tree.contains(b.id, f.unit_id)) {
                        sum.customers += f.customers;
                        sum.on_wecom += f.on_wecom;
                        sum.friends += f.friends;
                        sum.added += f.added;
                        sum.deleted += f.deleted;
                    }
                    UnitLine { name: b.name.clone(), figures: sum }
                })
                .collect();
            (lines, Vec::new())
        }
    };
    let mut top =
        if caller.actor.can(Permission::ReadAudiences) { audiences::list(state, caller).await? } else { Vec::new() };
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
    top.truncate(8);
    let recent = if caller.actor.can(Permission::ImportCustomers) {
        imports::list(state, caller, Page::first(5)).await?.items
    } else {
        Vec::new()
    };
    Ok(Overview { range, days, reach, units: unit_lines, managers, audiences: top, imports: recent })
}

/// Where these members are filed.
async fn staff_units(state: &AppState, ids: &[StaffId]) -> ServiceResult<HashMap<StaffId, OrgUnitId>> {
    Ok(state.store.staff_by_ids(ids, &[]).await?.into_iter().map(|s| (s.id, s.org_unit_id)).collect())
}

/// Friends at the end of each day of `range`, with the day's adds and deletions.
async fn friend_points(state: &AppState, scope: DataScope, range: DayRange) -> ServiceResult<Vec<FriendPoint>> {
    let (from, to) = range.instants();
    let f = state.store.friend_days(scope, from, to).await?;
    let by_day: HashMap<NaiveDate, _> = f.days.iter().map(|d| (d.day, *d)).collect();
    let mut friends = f.active_before;
    Ok(range
        .days()
        .map(|day| {
            let d = by_day.get(&day);
            let (added, deleted, ended) = d.map(|d| (d.added, d.deleted, d.ended)).unwrap_or_default();
            friends += added - ended;
            FriendPoint { day, friends, added, deleted }
        })
        .collect())
}

/// A customer manager's list for today.
#[derive(Debug, Clone)]
pub struct Today {
    pub today: NaiveDate,
    /// The last [`NEW_FRIEND_DAYS`] days, a point per day.
    pub days: Vec<FriendPoint>,
    pub new_friends: Paged<CustomerMention>,
    /// Born this week (Monday to Sunday); no dates: staff views never show a birthday's day.
    pub birthdays: Paged<CustomerMention>,
    /// Assessed so long ago that the assessment has lapsed or lapses within [`RISK_NOTICE_DAYS`].
    pub risk_due: Paged<CustomerMention>,
    pub quiet: Paged<CustomerMention>,
}

/// A customer manager's home: their own customers only.
pub async fn today(state: &AppState, caller: &Caller) -> ServiceResult<Today> {
    caller.require(Permission::ReadCustomers)?;
    let scope = caller.scope();
    let now = state.clock.now();
    let today = now.bank_date();
    let days = friend_points(state, scope, DayRange::last(today, NEW_FRIEND_DAYS)).await?;
    let since = Timestamp::bank_day_start(today - Duration::days(NEW_FRIEND_DAYS - 1));
    let new_friends = state.store.new_friends(scope, since, LIST_ROWS).await?;
    let birthdays = state.store.birthdays_on(scope, &week_of(today), LIST_ROWS).await?;
    // An assessment lapses a year after it was made, so one made on or before this date has lapsed
    // or lapses within the notice period.
    let assessed_by =
        (today + Duration::days(RISK_NOTICE_DAYS)).with_year((today + Duration::days(RISK_NOTICE_DAYS)).year() - 1);
    let assessed_by = assessed_by.unwrap_or(today + Duration::days(RISK_NOTICE_DAYS) - Duration::days(366));
    let risk_due = state.store.risk_due(scope, assessed_by, LIST_ROWS).await?;
    let kinds: Vec<&str> = CONTACT_KINDS.iter().map(|k| k.as_str()).collect();
    let quiet = state.store.not_contacted(scope, &kinds, now.plus_secs(-QUIET_DAYS * 86_400), LIST_ROWS).await?;
    Ok(Today { today, days, new_friends, birthdays, risk_due, quiet })
}

/// The (month, day)s of the week (Monday to Sunday) `today` is in. 29 February is named in a year
/// without it when the week holds 28 February, so those born on it are greeted too.
pub fn week_of(today: NaiveDate) -> Vec<(u32, u32)> {
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let mut out: Vec<(u32, u32)> = (0..7).map(|i| monday + Duration::days(i)).map(|d| (d.month(), d.day())).collect();
    let leap = |y: i32| NaiveDate::from_ymd_opt(y, 2, 29).is_some();
    if out.contains(&(2, 28)) && !out.contains(&(2, 29)) && !leap(today.year()) {
        out.push((2, 29));
    }
    out
}

/// What a compliance reviewer looks at first.
#[derive(Debug, Clone)]
pub struct Review {
    pub range: DayRange,
    /// Reveals and exports per day of the range.
    pub days: Vec<(NaiveDate, i64, i64)>,
    pub reveals: Paged<AuditEntry>,
    pub exports: Paged<AuditEntry>,
}

/// Clear-text views and exports over `range`, newest first.
pub async fn review(state: &AppState, caller: &Caller, range: DayRange) -> ServiceResult<Review> {
    caller.require(Permission::ReadAuditLog)?;
    let (from, to) = range.instants();
    let counted: Vec<AuditDay> =
        state.store.audit_days(&[AuditAction::RevealPii, AuditAction::Export], from, to).await?;
    let days = range
        .days()
        .map(|day| {
            let n = |a: AuditAction| counted.iter().filter(|c| c.day == day && c.action == a).map(|c| c.count).sum();
            (day, n(AuditAction::RevealPii), n(AuditAction::Export))
        })
        .collect();
    let of = |action| AuditFilter { action: Some(action), from: Some(from), to: Some(to), ..Default::default() };
    let reveals = state.store.search_audit(&of(AuditAction::RevealPii), Page::first(10)).await?;
    let exports = state.store.search_audit(&of(AuditAction::Export), Page::first(10)).await?;
    Ok(Review { range, days, reveals, exports })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_week_runs_monday_to_sunday_across_the_year() {
        // Wednesday 31 December 2025: Monday 29 December to Sunday 4 January.
        assert_eq!(week_of(d(2025, 12, 31)), vec![(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3), (1, 4)]);
        // 2027 has no 29 February: the week of 28 February greets those born on it.
        assert!(week_of(d(2027, 2, 28)).contains(&(2, 29)));
        assert!(!week_of(d(2027, 3, 10)).contains(&(2, 29)));
    }

    #[test]
    fn ranges_are_ordered_and_at_most_a_year() {
        assert!(DayRange::new(d(2026, 1, 1), d(2026, 12, 31)).is_ok());
        assert!(DayRange::new(d(2024, 1, 1), d(2024, 12, 31)).is_ok(), "366 days in a leap year");
        assert!(DayRange::new(d(2026, 1, 1), d(2027, 1, 2)).is_err());
        assert!(DayRange::new(d(2026, 2, 1), d(2026, 1, 1)).is_err());
        let last = DayRange::last(d(2026, 3, 1), 30);
        assert_eq!((last.from, last.days().count()), (d(2026, 1, 31), 30));
    }
}
