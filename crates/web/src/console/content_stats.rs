//! The console's figures for one library item (issue 17 §7): the last fourteen days of sends and
//! opens as a chart, each version's figures, and the managers the reader oversees with what each did
//! with the item — the ones who never sent it included, so the last mile can be seen.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use siyu_app::services::content;
use siyu_app::services::content_stats;
use siyu_app::state::AppState;
use siyu_domain::ContentItemId;

use super::chart::{self, Chart};
use super::{IdPath, PageCtx, Pager, error_page, render};
use crate::api::Paging;
use crate::auth::extract::ConsoleUser;

/// One version's row.
pub struct VersionRow {
    pub href: String,
    pub number: i64,
    pub status: String,
    pub sends: u64,
    pub senders: u64,
    pub opens: u64,
    pub openers: u64,
    pub forwards: u64,
    /// Read time in minutes, one decimal.
    pub read_minutes: String,
    pub tags: u64,
}

/// One manager's row.
pub struct SenderRow {
    pub name: String,
    pub sends: u64,
    pub opens: u64,
}

#[derive(Template)]
#[template(path = "content/stats.html")]
struct StatsPage {
    ctx: PageCtx,
    title: String,
    item_href: String,
    day_chart: Chart,
    any: bool,
    versions: Vec<VersionRow>,
    managers: u64,
    sending: u64,
    senders: Vec<SenderRow>,
    pager: Pager,
}

pub async fn page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ContentItemId>,
    Query(p): Query<Paging>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    let (item, figures) =
        match (content::item(&state, &user.0, id).await, content_stats::figures(&state, &user.0, id).await) {
            (Ok(i), Ok(f)) => (i, f),
            (Err(e), _) | (_, Err(e)) => return error_page(ctx, e),
        };
    let page = p.page();
    let senders = match content_stats::senders(&state, &user.0, id, page).await {
        Ok(s) => s,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let epoch = chrono::NaiveDate::default();
    let date = |day: i64| epoch.checked_add_days(chrono::Days::new(day.max(0) as u64)).unwrap_or(epoch);
    let labels: Vec<String> = figures.days.iter().map(|d| date(d.day).format("%m-%d").to_string()).collect();
    let (sends, opens) = (tr.t("stats.sends"), tr.t("stats.opens"));
    let titles: Vec<String> =
        figures.days.iter().map(|d| format!("{}: {sends} {} · {opens} {}", date(d.day), d.sends, d.opens)).collect();
    let ups: Vec<i64> = figures.days.iter().map(|d| d.sends as i64).collect();
    let downs: Vec<i64> = figures.days.iter().map(|d| d.opens as i64).collect();
    let day_chart = chart::pairs(chart::WIDE, &labels, &ups, &downs, &titles)
        .titled(tr.t("stats.axis_count"), tr.t("stats.axis_day"));
    let versions = figures
        .versions
        .iter()
        .map(|f| {
            let v = item.versions.iter().find(|v| v.id == f.version_id);
            VersionRow {
                href: format!("/content/review/{}", f.version_id),
                number: v.map(|v| v.number).unwrap_or_default(),
                status: v.map(|v| tr.say(&v.status.text())).unwrap_or_default(),
                sends: f.sends,
                senders: f.senders,
                opens: f.links.opens,
                openers: f.links.unique_openers,
                forwards: f.links.forwards,
                read_minutes: format!("{:.1}", f.links.read_seconds as f64 / 60.0),
                tags: f.tags_given,
            }
        })
        .rev()
        .collect();
    let rows = senders
        .items
        .iter()
        .map(|r| SenderRow { name: r.display_name.clone(), sends: r.figures.sends, opens: r.figures.opens })
        .collect();
    render(&StatsPage {
        title: item.versions.last().map(|v| v.draft.title.clone()).unwrap_or_default(),
        item_href: format!("/content/{id}"),
        any: figures.days.iter().any(|d| d.sends > 0 || d.opens > 0),
        day_chart,
        versions,
        managers: figures.managers,
        sending: figures.managers_sending,
        senders: rows,
        pager: Pager::new(&format!("/content/{id}/stats"), "", page, senders.total),
        ctx,
    })
}
