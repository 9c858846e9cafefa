//! Hand-over pages: the list of hand-overs, choosing a leaving manager's customers and their
//! successors, and one hand-over's progress as the job polls WeCom (names, never ids) — with how its
//! job stopped, if it did, and the administrator's two ways on: run it again, end the rest.

use siyu_domain::lang::Text;
use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::error::ServiceError;
use siyu_app::services::handover::{self, Choice, HandoverInput};
use siyu_app::state::AppState;
use siyu_domain::handover::{HandoverState, MAX_CUSTOMERS};
use siyu_domain::org::Staff;
use siyu_domain::{CustomerId, HandoverId, StaffId};

use super::customers::Opt;
use super::{IdPath, PageCtx, Pager, error_page, render, show_time};
use crate::auth::extract::ConsoleUser;

#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub id: HandoverId,
    pub leaver: String,
    pub mode: &'static str,
    pub created: String,
    pub customers: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub status: &'static str,
    pub finished: bool,
}

#[derive(Template)]
#[template(path = "handover/list.html")]
struct ListPage {
    ctx: PageCtx,
    leavers: Vec<Opt>,
    rows: Vec<SummaryRow>,
    pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
}

fn mode(ctx: &PageCtx, resigned: bool) -> &'static str {
    ctx.tr.t(if resigned { "handover.resigned" } else { "handover.onjob" })
}

/// A manager's name as a page shows it: name and login, marked when deactivated.
fn staff_label(ctx: &PageCtx, s: &Staff) -> String {
    let off = if s.active { String::new() } else { format!(" · {}", ctx.tr.t("staff.inactive")) };
    format!("{} ({}){off}", s.display_name, s.username)
}

fn leaver_opts(ctx: &PageCtx, leavers: &[Staff], selected: Option<StaffId>) -> Vec<Opt> {
    leavers
        .iter()
        .map(|s| Opt { value: s.id.to_string(), label: staff_label(ctx, s), selected: selected == Some(s.id) })
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    let page = siyu_app::records::Page::numbered(q.page.unwrap_or(1), 50);
    let (result, leavers) =
        match (handover::list(&state, &user.0, page).await, handover::leavers(&state, &user.0).await) {
            (Ok(r), Ok(l)) => (r, l),
            (Err(e), _) | (_, Err(e)) => return error_page(ctx, e),
        };
    let names: HashMap<StaffId, &Staff> = leavers.iter().map(|s| (s.id, s)).collect();
    let rows = result
        .items
        .iter()
        .map(|h| SummaryRow {
            id: h.id,
            leaver: names.get(&h.from_staff_id).map(|s| staff_label(&ctx, s)).unwrap_or_default(),
            mode: mode(&ctx, h.resigned),
            created: show_time(h.created_at),
            customers: h.customers,
            succeeded: h.succeeded,
            failed: h.failed,
            cancelled: h.cancelled,
            status: ctx.tr.t(if h.finished_at.is_some() { "handover.done" } else { "handover.running" }),
            finished: h.finished_at.is_some(),
        })
        .collect();
    let pager = Pager::new("/handovers", "", page, result.total);
    let leavers = leaver_opts(&ctx, &leavers, None);
    render(&ListPage { ctx, leavers, rows, pager })
}

/// One customer row of the choice.
#[derive(Debug, Clone)]
pub struct ChoiceRow {
    pub id: CustomerId,
    pub name: String,
    pub customer_no: String,
    pub phone: String,
    pub wecom: &'static str,
    pub busy: bool,
    /// `bulk`, `skip` or a successor's id, as chosen.
    pub choice: String,
}

#[derive(Template)]
#[template(path = "handover/new.html")]
struct NewPage {
    ctx: PageCtx,
    leavers: Vec<Opt>,
    /// The leaver chosen, with their customers; none until one is.
    leaver: Option<String>,
    leaver_id: String,
    resigned: bool,
    bulk: Vec<Opt>,
    successors: Vec<Opt>,
    rows: Vec<ChoiceRow>,
    more: bool,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    from: Option<String>,
}

/// What was typed, to show again after a refusal.
#[derive(Debug, Default)]
struct Typed {
    resigned: Option<bool>,
    bulk: String,
    rows: HashMap<CustomerId, String>,
}

pub async fn new_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<NewQuery>,
) -> Response {
    let from = q.from.as_deref().filter(|s| !s.is_empty()).and_then(|s| s.parse::<StaffId>().ok());
    choice_page(&state, &user, &headers, from, &Typed::default(), None).await
}

async fn choice_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    from: Option<StaffId>,
    typed: &Typed,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/staff");
    let leavers = match handover::leavers(state, &user.0).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx, e),
    };
    let leaver_list = leaver_opts(&ctx, &leavers, from);
    let Some(from) = from else {
        return render(&NewPage {
            ctx,
            leavers: leaver_list,
            leaver: None,
            leaver_id: String::new(),
            resigned: false,
            bulk: Vec::new(),
            successors: Vec::new(),
            rows: Vec::new(),
            more: false,
            error,
        });
    };
    let c: Choice = match handover::choice(state, &user.0, from).await {
        Ok(c) => c,
        Err(e) => return error_page(ctx, e),
    };
    let successor_opts = |selected: &str| -> Vec<Opt> {
        c.successors
            .iter()
            .map(|s| Opt {
                value: s.id.to_string(),
                label: staff_label(&ctx, s),
                selected: selected == s.id.to_string(),
            })
            .collect()
    };
    let rows = c
        .customers
        .iter()
        .map(|cu| ChoiceRow {
            id: cu.id,
            name: cu.name.clone(),
            customer_no: cu.customer_no.clone(),
            phone: cu.phone_masked.clone().unwrap_or_default(),
            wecom: ctx.tr.yes_no(cu.wecom_external_userid.is_some()),
            busy: c.busy.contains(&cu.id),
            choice: typed.rows.get(&cu.id).cloned().unwrap_or_else(|| "bulk".into()),
        })
        .collect();
    render(&NewPage {
        leavers: leaver_list,
        leaver: Some(staff_label(&ctx, &c.leaver)),
        leaver_id: c.leaver.id.to_string(),
        resigned: typed.resigned.unwrap_or(!c.leaver.active),
        bulk: successor_opts(&typed.bulk),
        successors: successor_opts(""),
        rows,
        more: c.total > c.customers.len() as i64,
        error,
        ctx,
    })
}

/// The most fields a hand-over form carries: a row per customer and a few more.
const MAX_FIELDS: usize = MAX_CUSTOMERS + 8;

pub async fn start(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    if fields.len() > MAX_FIELDS {
        let e = ServiceError::invalid("too_many_customers", Text::new("handover.too_many_customers"));
        return error_page(ctx, e);
    }
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let Ok(from) = field("from").parse::<StaffId>() else { return error_page(ctx, ServiceError::NotFound) };
    let mut typed =
        Typed { resigned: Some(field("mode") == "resigned"), bulk: field("bulk").to_owned(), ..Default::default() };
    for (k, v) in &fields {
        if let Some(id) = k.strip_prefix("to_").and_then(|id| id.parse::<CustomerId>().ok()) {
            typed.rows.insert(id, v.clone());
        }
    }
    let outcome = match input_of(&typed, from) {
        Ok(input) => handover::start(&state, &user.0, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(id) => Redirect::to(&format!("/handovers/{id}?started=1")).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            choice_page(&state, &user, &headers, Some(from), &typed, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(ctx, e),
    }
}

/// The hand-over the form asks for: each row's successor, `bulk` meaning the successor for all.
fn input_of(typed: &Typed, from: StaffId) -> Result<HandoverInput, ServiceError> {
    let bulk = typed.bulk.parse::<StaffId>().ok();
    let mut items = Vec::new();
    for (customer, choice) in &typed.rows {
        let to = match choice.as_str() {
            "skip" => continue,
            "bulk" => bulk.ok_or_else(|| ServiceError::invalid("no_successor", Text::new("handover.no_successor")))?,
            other => other.parse::<StaffId>().map_err(|_| {
                ServiceError::invalid("successor_out_of_scope", Text::new("handover.successor_out_of_scope"))
            })?,
        };
        items.push((*customer, to));
    }
    items.sort_unstable();
    Ok(HandoverInput { from, resigned: typed.resigned.unwrap_or(false), items })
}

#[derive(Debug, Clone)]
pub struct ItemRow {
    pub name: String,
    pub phone: String,
    pub successor: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub reason: String,
    pub takeover: String,
}

#[derive(Template)]
#[template(path = "handover/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    leaver: String,
    mode: &'static str,
    created: String,
    finished: Option<String>,
    percent: usize,
    counts: Vec<(&'static str, &'static str, usize)>,
    rows: Vec<ItemRow>,
    started: bool,
    /// The id, for the forms of an unfinished hand-over.
    id: HandoverId,
    /// How its job stopped (failed, or gave up after its attempts), in words; none while it runs.
    stopped: Option<String>,
    /// Whether customers never asked of WeCom remain (the "end the rest" button).
    pending: bool,
    /// What the last action did, in words.
    done: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    started: Option<String>,
    done: Option<String>,
}

/// Back to the hand-over's page saying what was done, or the error page.
fn after_action<T>(ctx: PageCtx, id: HandoverId, done: &str, outcome: Result<T, ServiceError>) -> Response {
    match outcome {
        Ok(_) => Redirect::to(&format!("/handovers/{id}?done={done}")).into_response(),
        Err(e) => error_page(ctx, e),
    }
}

pub async fn run_again(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<HandoverId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    after_action(ctx, id, "run_again", handover::run_again(&state, &user.0, id).await)
}

pub async fn end_rest(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<HandoverId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    after_action(ctx, id, "end_rest", handover::end_rest(&state, &user.0, id).await)
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<HandoverId>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    let handover::Detail { handover: h, customers, job } = match handover::detail(&state, &user.0, id).await {
        Ok(d) => d,
        Err(e) => return error_page(ctx, e),
    };
    let customers: HashMap<CustomerId, _> = customers.into_iter().map(|c| (c.id, c)).collect();
    let stopped = job.filter(|j| h.finished_at.is_none() && j.status == siyu_domain::job::JobStatus::Failed).map(|j| {
        // The job's last error is stored as a catalogue text (`jobs::error`): put into the page's words.
        let why = j.last_error.as_deref().map(|e| siyu_app::stored_text::decode(e).render(ctx.tr.0));
        format!("{}{}", ctx.tr.t("handover.job_failed"), why.unwrap_or_default())
    });
    let staff = match handover::leavers(&state, &user.0).await {
        Ok(s) => s,
        Err(e) => return error_page(ctx, e),
    };
    let names: HashMap<StaffId, String> = staff.iter().map(|s| (s.id, staff_label(&ctx, s))).collect();
    let name_of = |id: StaffId| names.get(&id).cloned().unwrap_or_else(|| ctx.tr.t("common.none").to_owned());
    let rows: Vec<ItemRow> = h
        .items
        .iter()
        .map(|i| {
            let c = customers.get(&i.customer_id);
            let reason = match (i.reason, i.external_userid.is_none() && i.state == HandoverState::Succeeded) {
                (Some(r), _) => ctx.tr.t(&format!("handover.reason.{}", r.as_str())).to_owned(),
                (None, true) => ctx.tr.t("handover.siyu_only").to_owned(),
                (None, false) => String::new(),
            };
            ItemRow {
                name: c.map(|c| c.name.clone()).unwrap_or_default(),
                phone: c.and_then(|c| c.phone_masked.clone()).unwrap_or_default(),
                successor: name_of(i.to_staff_id),
                state: ctx.tr.t(&format!("handover.state.{}", i.state.as_str())),
                state_code: i.state.as_str(),
                reason,
                takeover: i.takeover_at.map(show_time).unwrap_or_default(),
            }
        })
        .collect();
    let total = h.items.len().max(1);
    let done = h.items.iter().filter(|i| i.state.is_final()).count();
    let counts = HandoverState::ALL
        .iter()
        .map(|s| {
            let key = match s {
                HandoverState::Pending => "handover.state.pending",
                HandoverState::Requested => "handover.state.requested",
                HandoverState::Waiting => "handover.state.waiting",
                HandoverState::Succeeded => "handover.state.succeeded",
                HandoverState::Failed => "handover.state.failed",
                HandoverState::Cancelled => "handover.state.cancelled",
            };
            (ctx.tr.t(key), s.as_str(), h.items.iter().filter(|i| i.state == *s).count())
        })
        .collect();
    render(&DetailPage {
        leaver: name_of(h.from_staff_id),
        mode: mode(&ctx, h.resigned),
        created: show_time(h.created_at),
        finished: h.finished_at.map(show_time),
        percent: done * 100 / total,
        counts,
        rows,
        started: q.started.is_some(),
        id: h.id,
        stopped,
        pending: h.items.iter().any(|i| i.state == HandoverState::Pending),
        done: match q.done.as_deref() {
            Some("run_again") => Some(ctx.tr.t("handover.run_again_done")),
            Some("end_rest") => Some(ctx.tr.t("handover.end_rest_done")),
            _ => None,
        },
        ctx,
    })
}
