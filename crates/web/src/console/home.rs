//! The home page, by role: head office and administrators see the bank, a branch manager the units
//! they head (with a line per sub-branch and per manager), a customer manager today's list, a
//! compliance reviewer the clear-text views and exports to review. Figures come from
//! `siyu_app::services::home`, within the caller's data scope.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use siyu_app::records::CustomerMention;
use siyu_app::services::home::{self, DayRange, FriendPoint};
use siyu_domain::audit::AuditEntry;
use siyu_domain::org::Role;
use siyu_domain::scope::Permission;

use super::chart::{self, Chart};
use super::{PageCtx, error_page, render, show_time};
use crate::auth::extract::ConsoleUser;
use siyu_app::state::AppState;

/// `?days=30`: how far back the figures go.
#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    pub days: Option<i64>,
}

/// The ranges offered above the charts.
const RANGES: [i64; 4] = [7, 30, 90, 366];

/// A range link above the charts.
#[derive(Debug, Clone)]
pub struct RangeLink {
    pub days: i64,
    pub label: &'static str,
    pub active: bool,
}

fn range_links(ctx: &PageCtx, days: i64) -> Vec<RangeLink> {
    RANGES
        .iter()
        .map(|d| RangeLink { days: *d, label: ctx.tr.t(&format!("home.range_{d}")), active: *d == days })
        .collect()
}

/// A figure shown large, with its name.
#[derive(Debug, Clone)]
pub struct Kpi {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// A horizontal bar: a name, a share of the widest, and its value.
#[derive(Debug, Clone)]
pub struct BarRow {
    pub id: String,
    pub label: String,
    pub href: Option<String>,
    pub pct: i64,
    pub value: String,
}

/// A line of the per-unit or per-manager table.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub name: String,
    pub unit: String,
    pub customers: i64,
    pub on_wecom: i64,
    pub friends: i64,
    pub added: i64,
    pub deleted: i64,
}

/// A day of the figures table (under the charts).
#[derive(Debug, Clone)]
pub struct DayRow {
    pub day: String,
    pub friends: i64,
    pub added: i64,
    pub deleted: i64,
}

/// A recent import.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub href: String,
    pub file: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub good: i64,
    pub bad: i64,
    pub time: String,
}

#[derive(Template)]
#[template(path = "home/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    title: String,
    ranges: Vec<RangeLink>,
    kpis: Vec<Kpi>,
    friends: Chart,
    changes: Chart,
    day_rows: Vec<DayRow>,
    reach: Vec<BarRow>,
    reach_of: i64,
    units_heading: &'static str,
    units: Vec<TableRow>,
    managers: Vec<TableRow>,
    show_managers: bool,
    audiences: Vec<BarRow>,
    show_audiences: bool,
    imports: Vec<ImportRow>,
    show_imports: bool,
}

/// A customer named on a list, linked to their profile.
#[derive(Debug, Clone)]
pub struct MentionRow {
    pub href: String,
    pub name: String,
    pub note: String,
}

/// One of a customer manager's lists.
#[derive(Debug, Clone)]
pub struct TodayList {
    pub id: &'static str,
    pub title: &'static str,
    pub help: &'static str,
    pub total: i64,
    pub rows: Vec<MentionRow>,
    pub more: bool,
}

#[derive(Template)]
#[template(path = "home/today.html")]
struct TodayPage {
    ctx: PageCtx,
    today: String,
    kpis: Vec<Kpi>,
    changes: Chart,
    lists: Vec<TodayList>,
    /// New friends this week not matched to a customer (named on no list).
    unmatched: i64,
}

/// A reveal or an export to review.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub time: String,
    pub actor: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "home/review.html")]
struct ReviewPage {
    ctx: PageCtx,
    ranges: Vec<RangeLink>,
    kpis: Vec<Kpi>,
    chart: Chart,
    reveals: Vec<ReviewRow>,
    exports: Vec<ReviewRow>,
    reveals_href: String,
    exports_href: String,
}

#[derive(Template)]
#[template(path = "home/welcome.html")]
struct WelcomePage {
    ctx: PageCtx,
}

pub async fn page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/");
    let role = user.staff().role;
    if role == Role::CustomerManager {
        return today(&state, &user, ctx).await;
    }
    if user.0.actor.can(Permission::ReadCustomers) {
        return overview(&state, &user, ctx, q.days.unwrap_or(30)).await;
    }
    if user.0.actor.can(Permission::ReadAuditLog) {
        return review(&state, &user, ctx, q.days.unwrap_or(30)).await;
    }
    render(&WelcomePage { ctx })
}

/// `MM-DD` for an axis.
fn short(d: chrono::NaiveDate) -> String {
    d.format("%m-%d").to_string()
}

fn friend_charts(ctx: &PageCtx, days: &[FriendPoint]) -> (Chart, Chart) {
    let labels: Vec<String> = days.iter().map(|d| short(d.day)).collect();
    let friend_titles: Vec<String> =
        days.iter().map(|d| format!("{} {} {}", d.day, ctx.tr.t("home.friends"), d.friends)).collect();
    let change_titles: Vec<String> = days
        .iter()
        .map(|d| {
            format!("{} {} {} · {} {}", d.day, ctx.tr.t("home.added"), d.added, ctx.tr.t("home.deleted"), d.deleted)
        })
        .collect();
    let friends =
        chart::line(chart::CARD, &labels, &days.iter().map(|d| d.friends).collect::<Vec<_>>(), &friend_titles);
    let changes = chart::bars(
        chart::CARD,
        &labels,
        &days.iter().map(|d| d.added).collect::<Vec<_>>(),
        &days.iter().map(|d| d.deleted).collect::<Vec<_>>(),
        &change_titles,
    );
    (friends, changes)
}

fn pct(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (part * 100 / whole).clamp(0, 100) }
}

async fn overview(state: &AppState, user: &ConsoleUser, ctx: PageCtx, days: i64) -> Response {
    let days = RANGES.into_iter().find(|d| *d == days).unwrap_or(30);
    let range = DayRange::last(state.clock.now().bank_date(), days);
    let o = match home::overview(state, &user.0, range).await {
        Ok(o) => o,
        Err(e) => return error_page(ctx, e),
    };
    let branch = matches!(user.0.actor.data_scope(), siyu_domain::scope::DataScope::Subtree(_));
    let title = if branch {
        let unit = siyu_app::services::org::list(state, &user.0)
            .await
            .ok()
            .and_then(|units| units.into_iter().find(|u| u.id == user.staff().org_unit_id))
            .map(|u| u.name)
            .unwrap_or_default();
        format!("{unit} · {}", ctx.tr.t("home.title"))
    } else {
        ctx.tr.t("home.title_bank").to_owned()
    };
    let now = o.days.last().map(|d| d.friends).unwrap_or(0);
    let added: i64 = o.days.iter().map(|d| d.added).sum();
    let deleted: i64 = o.days.iter().map(|d| d.deleted).sum();
    let kpis = vec![
        Kpi { id: "kpi-friends", label: ctx.tr.t("home.friends_now"), value: now.to_string() },
        Kpi { id: "kpi-added", label: ctx.tr.t("home.added_in_range"), value: added.to_string() },
        Kpi { id: "kpi-deleted", label: ctx.tr.t("home.deleted_in_range"), value: deleted.to_string() },
        Kpi { id: "kpi-customers", label: ctx.tr.t("home.customers"), value: o.reach.customers.to_string() },
        Kpi { id: "kpi-on-wecom", label: ctx.tr.t("home.on_wecom"), value: o.reach.on_wecom.to_string() },
    ];
    let (friends, changes) = friend_charts(&ctx, &o.days);
    let day_rows = o
        .days
        .iter()
        .rev()
        .map(|d| DayRow { day: d.day.to_string(), friends: d.friends, added: d.added, deleted: d.deleted })
        .collect();
    let r = o.reach;
    let reach = [
        ("reach-on-wecom", "home.on_wecom", r.on_wecom),
        ("reach-1v1", "home.reach_1v1", r.one_to_one),
        ("reach-moments", "home.reach_moments", r.moments),
        ("reach-group", "home.reach_group", r.group),
        ("reach-personalised", "home.reach_personalised", r.personalised),
    ]
    .into_iter()
    .map(|(id, key, n)| BarRow {
        id: id.into(),
        label: ctx.tr.t(key).into(),
        href: None,
        pct: pct(n, r.customers),
        value: format!("{n} ({}%)", pct(n, r.customers)),
    })
    .collect();
    let table = |name: String, unit: String, f: (i64, i64, i64, i64, i64)| TableRow {
        name,
        unit,
        customers: f.0,
        on_wecom: f.1,
        friends: f.2,
        added: f.3,
        deleted: f.4,
    };
    let units = o
        .units
        .iter()
        .map(|u| {
            let f = u.figures;
            table(u.name.clone(), String::new(), (f.customers, f.on_wecom, f.friends, f.added, f.deleted))
        })
        .collect();
    let managers = o
        .managers
        .iter()
        .map(|m| {
            let f = m.figures;
            table(m.name.clone(), m.unit.clone(), (f.customers, f.on_wecom, f.friends, f.added, f.deleted))
        })
        .collect();
    let widest = o.audiences.iter().map(|(_, n)| *n).max().unwrap_or(0) as i64;
    let audiences = o
        .audiences
        .iter()
        .map(|(a, n)| BarRow {
            id: format!("audience-{}", a.id),
            label: a.name.clone(),
            href: Some(format!("/audiences/{}", a.id)),
            pct: pct(*n as i64, widest),
            value: n.to_string(),
        })
        .collect();
    let imports = o
        .imports
        .iter()
        .map(|i| ImportRow {
            href: format!("/imports/{}", i.id),
            file: i.file_name.clone(),
            status: ctx.tr.t(&format!("status.{}", i.status.as_str())),
            status_class: i.status.as_str(),
            good: i.good_rows,
            bad: i.bad_rows,
            time: show_time(i.created_at),
        })
        .collect();
    let ranges = range_links(&ctx, days);
    let can_audiences = user.0.actor.can(Permission::ReadAudiences);
    let can_imports = user.0.actor.can(Permission::ImportCustomers);
    render(&OverviewPage {
        title,
        ranges,
        kpis,
        friends,
        changes,
        day_rows,
        reach,
        reach_of: r.customers,
        units_heading: ctx.tr.t(if branch { "home.per_sub_branch" } else { "home.per_branch" }),
        units,
        managers,
        show_managers: branch,
        audiences,
        show_audiences: can_audiences,
        imports,
        show_imports: can_imports,
        ctx,
    })
}

fn mention_rows(items: &[CustomerMention], note: impl Fn(&CustomerMention) -> String) -> Vec<MentionRow> {
    items
        .iter()
        .map(|m| MentionRow { href: format!("/customers/{}", m.id), name: m.name.clone(), note: note(m) })
        .collect()
}

async fn today(state: &AppState, user: &ConsoleUser, ctx: PageCtx) -> Response {
    let t = match home::today(state, &user.0).await {
        Ok(t) => t,
        Err(e) => return error_page(ctx, e),
    };
    let (_, changes) = friend_charts(&ctx, &t.days);
    // Every add of the week, also by people not (yet) matched to a customer of the bank.
    let added: i64 = t.days.iter().map(|d| d.added).sum();
    let unmatched = (added - t.new_friends.total).max(0);
    let kpis = vec![
        Kpi {
            id: "kpi-friends",
            label: ctx.tr.t("home.friends_now"),
            value: t.days.last().map(|d| d.friends).unwrap_or(0).to_string(),
        },
        Kpi { id: "kpi-new", label: ctx.tr.t("home.new_friends"), value: added.to_string() },
        Kpi { id: "kpi-birthdays", label: ctx.tr.t("home.birthdays"), value: t.birthdays.total.to_string() },
        Kpi { id: "kpi-risk", label: ctx.tr.t("home.risk_due"), value: t.risk_due.total.to_string() },
        Kpi { id: "kpi-quiet", label: ctx.tr.t("home.quiet"), value: t.quiet.total.to_string() },
    ];
    let today = t.today;
    let risk_note = |m: &CustomerMention| match m.on {
        Some(on) => {
            let lapses = on.checked_add_months(chrono::Months::new(12)).unwrap_or(on);
            let key = if lapses <= today { "home.risk_lapsed" } else { "home.risk_lapses" };
            format!("{} {lapses}", ctx.tr.t(key))
        }
        None => String::new(),
    };
    let list = |id, title, help, p: &siyu_app::records::Paged<CustomerMention>, rows: Vec<MentionRow>| TodayList {
        id,
        title: ctx.tr.t(title),
        help: ctx.tr.t(help),
        total: p.total,
        more: p.total > rows.len() as i64,
        rows,
    };
    let lists = vec![
        list(
            "list-new-friends",
            "home.new_friends",
            "home.new_friends_help",
            &t.new_friends,
            mention_rows(&t.new_friends.items, |m| m.at.map(show_time).unwrap_or_default()),
        ),
        list(
            "list-birthdays",
            "home.birthdays",
            "home.birthdays_help",
            &t.birthdays,
            // The day is never shown: the list itself says "this week".
            mention_rows(&t.birthdays.items, |_| ctx.tr.t("home.birthday_this_week").to_owned()),
        ),
        list(
            "list-risk",
            "home.risk_due",
            "home.risk_due_help",
            &t.risk_due,
            mention_rows(&t.risk_due.items, risk_note),
        ),
        list(
            "list-quiet",
            "home.quiet",
            "home.quiet_help",
            &t.quiet,
            mention_rows(&t.quiet.items, |m| match m.at {
                Some(at) => format!("{} {}", ctx.tr.t("home.last_contact"), at.bank_date()),
                None => ctx.tr.t("home.never_contacted").to_owned(),
            }),
        ),
    ];
    render(&TodayPage { today: today.to_string(), kpis, changes, lists, unmatched, ctx })
}

fn review_rows(entries: &[AuditEntry]) -> Vec<ReviewRow> {
    entries
        .iter()
        .map(|e| ReviewRow { time: show_time(e.at), actor: e.actor.clone(), detail: e.detail.clone() })
        .collect()
}

async fn review(state: &AppState, user: &ConsoleUser, ctx: PageCtx, days: i64) -> Response {
    let days = RANGES.into_iter().find(|d| *d == days).unwrap_or(30);
    let range = DayRange::last(state.clock.now().bank_date(), days);
    let r = match home::review(state, &user.0, range).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let labels: Vec<String> = r.days.iter().map(|(d, _, _)| short(*d)).collect();
    let titles: Vec<String> = r
        .days
        .iter()
        .map(|(d, rv, ex)| format!("{d} {} {rv} · {} {ex}", ctx.tr.t("home.reveals"), ctx.tr.t("home.exports")))
        .collect();
    let chart = chart::bars(
        chart::CARD,
        &labels,
        &r.days.iter().map(|d| d.1).collect::<Vec<_>>(),
        &r.days.iter().map(|d| d.2).collect::<Vec<_>>(),
        &titles,
    );
    let kpis = vec![
        Kpi { id: "kpi-reveals", label: ctx.tr.t("home.reveals"), value: r.reveals.total.to_string() },
        Kpi { id: "kpi-exports", label: ctx.tr.t("home.exports"), value: r.exports.total.to_string() },
    ];
    let link = |action: &str| format!("/audit?action={action}&from={}&to={}", r.range.from, r.range.to);
    render(&ReviewPage {
        ranges: range_links(&ctx, days),
        kpis,
        chart,
        reveals: review_rows(&r.reveals.items),
        exports: review_rows(&r.exports.items),
        reveals_href: link("reveal_pii"),
        exports_href: link("export"),
        ctx,
    })
}
