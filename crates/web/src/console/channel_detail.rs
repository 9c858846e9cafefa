//! One channel code's page: its QR image with the download and the poster, who takes the next add,
//! a labelled chart of the last 14 days, the customers it brought in (within the reader's scope,
//! masked), and the form for its controls (daily cap, backup, schedules, skip-verify windows).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::error::ServiceError;
use siyu_app::records::{DayStat, Page};
use siyu_app::services::channels;
use siyu_app::state::AppState;
use siyu_domain::channel::Assignment;
use siyu_domain::channel_controls::{ChannelControls, Schedule, Window};
use siyu_domain::scope::Permission;
use siyu_domain::{ChannelCodeId, StaffId, Timestamp};

use super::channels::{row, staff_names};
use super::chart::{self, Chart};
use super::customers::Opt;
use super::i18n::Tr;
use super::{IdPath, PageCtx, Pager, error_page, render};
use crate::auth::extract::ConsoleUser;

/// Days the chart shows, today the last.
const CHART_DAYS: i64 = 14;
/// Contacts a page of "brought in" shows.
const PER_PAGE: i64 = 20;

/// One day of the code's figures, for the table under the chart.
#[derive(Debug, Clone)]
pub struct ChartDay {
    pub day: String,
    pub added: i64,
    pub deleted: i64,
    pub net: i64,
}

/// The last [`CHART_DAYS`] days ending `today`, empty days included, and their chart: adds beside
/// deletions, each day labelled, the axes named.
fn chart(tr: Tr, stats: &[DayStat], today: chrono::NaiveDate) -> (Vec<ChartDay>, Chart, i64) {
    let by_day: HashMap<_, _> = stats.iter().map(|d| (d.day, *d)).collect();
    let days: Vec<DayStat> = (0..CHART_DAYS)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back as u64)))
        .map(|day| by_day.get(&day).copied().unwrap_or(DayStat { day, added: 0, deleted: 0 }))
        .collect();
    let max = days.iter().map(|d| d.added.max(d.deleted)).max().unwrap_or(0);
    let labels: Vec<String> = days.iter().map(|d| d.day.format("%m-%d").to_string()).collect();
    let (added, deleted) = (tr.t("channels.added"), tr.t("channels.deleted"));
    let titles: Vec<String> =
        days.iter().map(|d| format!("{}: {added} {} · {deleted} {}", d.day, d.added, d.deleted)).collect();
    let ups: Vec<i64> = days.iter().map(|d| d.added).collect();
    let downs: Vec<i64> = days.iter().map(|d| d.deleted).collect();
    let drawn = chart::pairs(chart::WIDE, &labels, &ups, &downs, &titles)
        .titled(tr.t("ch.chart_axis_people"), tr.t("ch.chart_axis_day"));
    let rows = days
        .iter()
        .map(|d| ChartDay { day: d.day.to_string(), added: d.added, deleted: d.deleted, net: d.net() })
        .collect();
    (rows, drawn, max)
}

/// A contact the code brought in, as a row.
#[derive(Debug, Clone)]
pub struct BroughtInRow {
    pub customer_id: Option<String>,
    pub name: String,
    pub customer_no: String,
    pub phone: String,
    pub manager: String,
    pub added_at: String,
    pub status: &'static str,
}

/// One manager's row of the schedule form.
#[derive(Debug, Clone)]
pub struct ScheduleRow {
    pub index: usize,
    pub staff_id: StaffId,
    pub name: String,
    pub days: Vec<DayBox>,
    pub from: String,
    pub to: String,
}

/// A day's checkbox.
#[derive(Debug, Clone)]
pub struct DayBox {
    pub n: u8,
    pub label: &'static str,
    pub checked: bool,
}

fn day_boxes(ctx: &PageCtx, checked: &[u8]) -> Vec<DayBox> {
    (1..=7u8).map(|n| DayBox { n, label: ctx.tr.t(&format!("ch.day.{n}")), checked: checked.contains(&n) }).collect()
}

/// Skip-verify windows the form offers.
const FORM_WINDOWS: usize = 2;

#[derive(Template)]
#[template(path = "channels/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    id: ChannelCodeId,
    name: String,
    kind: &'static str,
    sub_branch: String,
    assignment: &'static str,
    current: String,
    verify: &'static str,
    tags: String,
    /// The welcome's library item: its address in the console, title, and whether it may be sent now.
    welcome: Option<(String, String, bool)>,
    qr_ok: bool,
    days: Vec<ChartDay>,
    day_chart: Chart,
    any_adds: bool,
    brought_in: Option<Vec<BroughtInRow>>,
    pager: Pager,
    can_simulate: bool,
    can_manage: bool,
    notice: Option<String>,
    error: Option<String>,
    cap: String,
    backups: Vec<Opt>,
    schedules: Vec<ScheduleRow>,
    windows: Vec<(usize, Vec<DayBox>, String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    scanned: Option<String>,
    saved: Option<String>,
    page: Option<i64>,
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ChannelCodeId>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/channels");
    let notice = match (&q.scanned, &q.saved) {
        (Some(n), _) => Some(format!("{}{n}", ctx.tr.t("channels.scanned"))),
        (None, Some(_)) => Some(ctx.tr.t("ch.saved").to_owned()),
        _ => None,
    };
    detail_page(&state, &user, ctx, id, q.page.unwrap_or(1), notice, None).await
}

async fn detail_page(
    state: &AppState,
    user: &ConsoleUser,
    ctx: PageCtx,
    id: ChannelCodeId,
    page_no: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let (code, stats) = match channels::get(state, &user.0, id).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let choices = channels::choices(state, &user.0).await.unwrap_or_default();
    let names = staff_names(&choices);
    let r = row(&ctx, &code, &choices.unit_names, &names);
    // Fetched once from WeCom and kept: the page says so instead of showing a broken image.
    let qr_ok = channels::qr_image(state, &user.0, id).await.is_ok();
    let (days, day_chart, max) = chart(ctx.tr, &stats, state.clock.now().bank_date());
    let page = Page { limit: PER_PAGE, offset: (page_no.clamp(1, 10_000) - 1) * PER_PAGE };
    let by_userid: HashMap<&str, &str> = choices
        .managers
        .iter()
        .filter_map(|s| s.wecom_userid.as_deref().map(|u| (u, s.display_name.as_str())))
        .collect();
    let (brought_in, total) = match channels::brought_in(state, &user.0, id, page).await {
        Ok(p) => (Some(p.items.iter().map(|b| brought_in_row(&ctx, b, &by_userid)).collect()), p.total),
        Err(_) => (None, 0),
    };
    let pager = Pager::new(&format!("/channels/{id}"), "", page, total);
    let welcome = match code.welcome.item {
        Some(item) => match siyu_app::services::content::item(state, &user.0, item).await {
            Ok(v) => {
                let title = v.versions.last().map(|l| l.draft.title.clone()).unwrap_or_default();
                let live = matches!(siyu_app::services::content::sendable_version(state, item).await, Ok(Some(_)));
                Some((format!("/content/{item}"), title, live))
            }
            Err(_) => Some((format!("/content/{item}"), item.to_string(), false)),
        },
        None => None,
    };
    let can_manage = user.0.actor.can(Permission::ManageChannels);
    let can_simulate = state.demo_customers.is_some() && code.config_id.is_some() && can_manage;
    // The managers the code can point at: the named one, or the sub-branch's active ones with WeCom.
    let in_turn: Vec<_> = choices
        .managers
        .iter()
        .filter(|s| s.active && s.wecom_userid.is_some())
        .filter(|s| match &code.assignment {
            Assignment::Named { staff_id } => s.id == *staff_id,
            _ => Some(s.org_unit_id) == code.sub_branch_id,
        })
        .collect();
    let c = &code.controls;
    let schedules = in_turn
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let mine = c.schedules.iter().find(|e| e.staff_id == s.id);
            ScheduleRow {
                index,
                staff_id: s.id,
                name: s.display_name.clone(),
                days: day_boxes(&ctx, mine.map(|e| e.window.days.as_slice()).unwrap_or_default()),
                from: mine.map(|e| e.window.from.clone()).unwrap_or_else(|| "09:00".into()),
                to: mine.map(|e| e.window.to.clone()).unwrap_or_else(|| "17:30".into()),
            }
        })
        .collect();
    let windows = (0..FORM_WINDOWS)
        .map(|i| {
            let w = c.skip_verify_windows.get(i);
            (
                i,
                day_boxes(&ctx, w.map(|w| w.days.as_slice()).unwrap_or_default()),
                w.map(|w| w.from.clone()).unwrap_or_else(|| "18:00".into()),
                w.map(|w| w.to.clone()).unwrap_or_else(|| "24:00".into()),
            )
        })
        .collect();
    let backups = choices
        .managers
        .iter()
        .filter(|s| s.active && s.wecom_userid.is_some())
        .map(|s| Opt {
            value: s.id.to_string(),
            label: format!(
                "{} ({})",
                s.display_name,
                choices.unit_names.get(&s.org_unit_id).cloned().unwrap_or_default()
            ),
            selected: c.backup_staff_id == Some(s.id),
        })
        .collect();
    render(&DetailPage {
        id,
        name: r.name,
        kind: r.kind,
        sub_branch: r.sub_branch,
        assignment: r.assignment,
        current: r.current,
        verify: ctx.tr.t(if code.skip_verify { "ch.verify_skip" } else { "ch.verify_ask" }),
        tags: code.tags.join(", "),
        welcome,
        qr_ok,
        days,
        day_chart,
        any_adds: max > 0,
        brought_in,
        pager,
        can_simulate,
        can_manage,
        notice,
        error,
        cap: c.daily_cap.map(|n| n.to_string()).unwrap_or_default(),
        backups,
        schedules,
        windows,
        ctx,
    })
}

fn brought_in_row(ctx: &PageCtx, b: &channels::BroughtIn, by_userid: &HashMap<&str, &str>) -> BroughtInRow {
    let (name, customer_no, phone) = match (&b.customer, b.contact.customer_id) {
        (Some(c), _) => (c.name.clone(), c.customer_no.clone(), c.phone_masked.clone().unwrap_or_default()),
        (None, Some(_)) => (ctx.tr.t("ch.out_of_scope").to_owned(), String::new(), String::new()),
        (None, None) => (ctx.tr.t("ch.unlinked").to_owned(), String::new(), String::new()),
    };
    BroughtInRow {
        customer_id: b.customer.as_ref().map(|c| c.id.to_string()),
        name,
        customer_no,
        phone,
        manager: by_userid.get(b.contact.staff_userid.as_str()).map(|n| (*n).to_owned()).unwrap_or_default(),
        added_at: b.contact.added_at.map(Timestamp::bank_display).unwrap_or_default(),
        status: ctx.tr.t(&format!("ch.rel.{}", b.contact.status.as_str())),
    }
}

/// Reads the controls form: the cap, the backup, one schedule row per manager (`s<i>_staff`,
/// `s<i>_d<day>`, `s<i>_from`, `s<i>_to`; no day ticked: no schedule) and the skip-verify windows
/// (`v<i>_…`, likewise). Bounds are the service's to check.
fn controls_of(fields: &[(String, String)]) -> Result<ChannelControls, ()> {
    if fields.len() > 1000 {
        return Err(());
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let days = |prefix: &str| -> Vec<u8> { (1..=7u8).filter(|d| get(&format!("{prefix}_d{d}")).is_some()).collect() };
    let window = |prefix: &str| -> Option<Window> {
        let days = days(prefix);
        (!days.is_empty()).then(|| Window {
            days,
            from: get(&format!("{prefix}_from")).unwrap_or_default().to_owned(),
            to: get(&format!("{prefix}_to")).unwrap_or_default().to_owned(),
        })
    };
    let daily_cap = match get("daily_cap").unwrap_or_default() {
        "" => None,
        n => Some(n.parse::<u32>().map_err(|_| ())?),
    };
    let backup_staff_id = match get("backup_staff_id").unwrap_or_default() {
        "" => None,
        id => Some(id.parse::<StaffId>().map_err(|_| ())?),
    };
    let mut schedules = Vec::new();
    for i in 0..siyu_domain::channel_controls::MAX_SCHEDULES {
        let Some(staff) = get(&format!("s{i}_staff")) else { break };
        if let Some(window) = window(&format!("s{i}")) {
            schedules.push(Schedule { staff_id: staff.parse().map_err(|_| ())?, window });
        }
    }
    let skip_verify_windows = (0..FORM_WINDOWS).filter_map(|i| window(&format!("v{i}"))).collect();
    Ok(ChannelControls { daily_cap, backup_staff_id, schedules, skip_verify_windows })
}

pub async fn set_controls(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ChannelCodeId>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/channels");
    let Ok(controls) = controls_of(&fields) else {
        let error = Some(ctx.tr.t("ch.bad_controls").to_owned());
        return detail_page(&state, &user, ctx, id, 1, None, error).await;
    };
    match siyu_app::services::channel_controls::set_controls(&state, &user.0, id, controls).await {
        Ok(_) => Redirect::to(&format!("/channels/{id}?saved=1")).into_response(),
        Err(e @ ServiceError::Invalid { .. }) => {
            let error = Some(ctx.tr.error(&e));
            detail_page(&state, &user, ctx, id, 1, None, error).await
        }
        Err(e) => error_page(ctx, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_covers_fourteen_days_with_a_round_axis() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let stats = [DayStat { day: today, added: 7, deleted: 1 }];
        let (days, c, max) = chart(Tr(crate::console::i18n::Lang::Zh), &stats, today);
        assert_eq!((days.len(), max), (14, 7));
        assert_eq!((days[0].day.as_str(), days[0].added, days[0].deleted), ("2026-11-18", 0, 0));
        assert_eq!((days[13].day.as_str(), days[13].added, days[13].deleted), ("2026-12-01", 7, 1));
        assert_eq!(c.x_ticks.first().map(|t| t.label.as_str()), Some("11-18"));
        assert_eq!(c.x_ticks.last().map(|t| t.label.as_str()), Some("12-01"));
        assert_eq!(c.y_ticks.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "5", "10"]);
        assert_eq!((c.y_title.as_str(), c.x_title.as_str()), ("人数", "日期"));
        assert_eq!((c.up.len(), c.down.len()), (1, 1));
    }

    #[test]
    fn the_controls_form_reads_into_controls() {
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let c = controls_of(&f(&[
            ("daily_cap", "20"),
            ("backup_staff_id", "stf_9"),
            ("s0_staff", "stf_3"),
            ("s0_d1", "on"),
            ("s0_d5", "on"),
            ("s0_from", "09:00"),
            ("s0_to", "17:30"),
            ("s1_staff", "stf_4"),
            ("s1_from", "09:00"),
            ("v0_d6", "on"),
            ("v0_from", "00:00"),
            ("v0_to", "24:00"),
        ]))
        .unwrap();
        assert_eq!(c.daily_cap, Some(20));
        assert_eq!(c.backup_staff_id, Some(StaffId::new(9)));
        assert_eq!(c.schedules.len(), 1, "no day ticked: no schedule for stf_4");
        assert_eq!(c.schedules[0].window.days, [1, 5]);
        assert_eq!(c.skip_verify_windows[0].days, [6]);
        assert!(controls_of(&f(&[("daily_cap", "lots")])).is_err());
        assert_eq!(controls_of(&f(&[("daily_cap", "")])).unwrap(), ChannelControls::default());
    }
}
