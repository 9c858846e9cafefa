//! Administration pages: the audit log, API tokens, background jobs.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::{AuditFilter, JobFilter};
use siyu_app::services::home::DayRange;
use siyu_domain::ApiTokenId;
use siyu_domain::audit::AuditAction;
use siyu_domain::job::JobStatus;
use siyu_domain::lang::Text;
use siyu_domain::scope::ApiScope;

use super::customers::Opt;
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;
use siyu_app::services::{audit, tokens};
use siyu_app::state::AppState;

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    actions: Vec<Opt>,
    actor: String,
    target: String,
    from: String,
    to: String,
    export_href: String,
    rows: Vec<AuditRow>,
    pager: Pager,
    error: Option<String>,
}

/// The audit page's search: an action, a person (part of their login), a target, and bank days from
/// and to (both included; the last 30 days when neither is given, a year at most).
#[derive(Debug, Default, Deserialize)]
pub struct AuditPageQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The store's filter for a search, or why it cannot be run (shown above an empty default search).
fn audit_filter(state: &AppState, q: &AuditPageQuery) -> (AuditFilter, DayRange, Option<ServiceError>) {
    let today = state.clock.now().bank_date();
    let fallback = DayRange::last(today, 30);
    let date = |s: &Option<String>| {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d"))
    };
    let mut error = None;
    let range = match (date(&q.from), date(&q.to)) {
        (None, None) => Ok(fallback),
        (Some(Ok(f)), None) => DayRange::new(f, today.max(f)),
        (None, Some(Ok(t))) => match t.checked_sub_days(chrono::Days::new(29)) {
            Some(f) => DayRange::new(f, t),
            None => DayRange::new(t, t),
        },
        (Some(Ok(f)), Some(Ok(t))) => DayRange::new(f, t),
        _ => Err(ServiceError::invalid("bad_date", Text::new("admin.bad_date"))),
    };
    let range = range.unwrap_or_else(|e| {
        error = Some(e);
        fallback
    });
    let action = match q.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => AuditAction::parse(a).or_else(|| {
            error = Some(ServiceError::invalid("bad_query", Text::new("admin.bad_query")));
            None
        }),
    };
    let blank = |s: &Option<String>| {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(100).collect())
    };
    let (from, to) = range.instants();
    let filter =
        AuditFilter { action, actor: blank(&q.actor), target: blank(&q.target), from: Some(from), to: Some(to) };
    (filter, range, error)
}

/// An audit action as the reader's language names it.
fn action_name(tr: &super::i18n::Tr, a: AuditAction) -> String {
    tr.name("action", a.as_str())
}

pub async fn audit(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<AuditPageQuery>,
    Query(p): Query<crate::api::Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/audit");
    let (filter, range, error) = audit_filter(&state, &q);
    let page = p.page();
    let result = match audit::search(&state, &user.0, &filter, page).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let names = match audit::target_names(&state, &user.0, &result.items).await {
        Ok(n) => n,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let rows = result
        .items
        .iter()
        .map(|e| AuditRow {
            time: show_time(e.at),
            actor: super::names_words::audit_actor(tr, &e.actor),
            action: action_name(&tr, e.action),
            target: names.get(&e.target).cloned().unwrap_or_else(|| e.target.clone()),
            detail: super::names_words::audit_detail(tr, e.action, &e.detail),
            ip: e.ip.clone().unwrap_or_default(),
        })
        .collect();
    let actions = AuditAction::ALL
        .iter()
        .map(|a| Opt { value: a.as_str().into(), label: action_name(&tr, *a), selected: filter.action == Some(*a) })
        .collect();
    let base = query_without_page(raw.as_deref());
    let pager = Pager::new("/audit", &base, page, result.total);
    let export_href =
        if base.is_empty() { "/audit/export.csv".to_owned() } else { format!("/audit/export.csv?{base}") };
    render(&AuditPage {
        ctx,
        actions,
        actor: filter.actor.clone().unwrap_or_default(),
        target: filter.target.clone().unwrap_or_default(),
        from: range.from.to_string(),
        to: range.to.to_string(),
        export_href,
        rows,
        pager,
        error: error.map(|e| tr.error(&e)),
    })
}

/// The search as a CSV (formula-safe, bounded, audited by the service). A search that cannot run is
/// refused rather than widened to the default range.
pub async fn audit_export(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<AuditPageQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/audit");
    let (filter, _, error) = audit_filter(&state, &q);
    if let Some(e) = error {
        return error_page(ctx, e);
    }
    let tr = ctx.tr;
    let header = ["common.time", "audit.actor", "audit.action", "audit.target", "audit.detail", "audit.ip"]
        .iter()
        .map(|k| tr.t(k).to_owned())
        .collect();
    let names = AuditAction::ALL.iter().map(|a| (*a, action_name(&tr, *a))).collect();
    match audit::export_csv(&state, &user.0, &filter, header, names).await {
        Ok(d) => crate::api::download(d),
        Err(e) => error_page(ctx, e),
    }
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: String,
    pub created: String,
    pub last_used: String,
    pub status: &'static str,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    rows: Vec<TokenRow>,
    scopes: Vec<Opt>,
    secret: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    secret: Option<String>,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/tokens");
    let list = match tokens::list(state, &user.0).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx, e),
    };
    let rows = list
        .iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name.clone(),
            scopes: t
                .scopes
                .iter()
                .map(|s| ctx.tr.name("scope", s.as_str()))
                .collect::<Vec<_>>()
                .join(ctx.tr.pick("、", ", ")),
            created: show_time(t.created_at),
            last_used: t.last_used_at.map(show_time).unwrap_or_else(|| "—".into()),
            status: if t.revoked_at.is_some() { ctx.tr.t("tokens.revoked") } else { ctx.tr.t("staff.active") },
            live: t.revoked_at.is_none(),
        })
        .collect();
    let scopes = ApiScope::ALL
        .iter()
        .map(|s| Opt { value: s.as_str().into(), label: ctx.tr.name("scope", s.as_str()), selected: false })
        .collect();
    render(&TokensPage { ctx, rows, scopes, secret, error })
}

pub async fn tokens(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    tokens_page(&state, &user, &headers, None, None).await
}

pub async fn create_token(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // A repeated `scope` field is read by hand: serde's url-encoded forms keep only one value per name.
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let name = pairs.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    let scopes: Vec<ApiScope> =
        pairs.iter().filter(|(k, _)| k == "scope").filter_map(|(_, v)| ApiScope::parse(v)).collect();
    match tokens::create(&state, &user.0, &name, scopes).await {
        Ok((_, secret)) => tokens_page(&state, &user, &headers, Some(secret), None).await,
        Err(e @ ServiceError::Invalid { .. }) => {
            tokens_page(&state, &user, &headers, None, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/tokens"), e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ApiTokenId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/tokens");
    match tokens::revoke(&state, &user.0, id).await {
        Ok(()) => Redirect::to("/tokens").into_response(),
        Err(e) => error_page(ctx, e),
    }
}

#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: siyu_domain::JobId,
    pub kind: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub attempts: String,
    pub run_at: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    ctx: PageCtx,
    statuses: Vec<Opt>,
    rows: Vec<JobRow>,
    pager: Pager,
}

#[derive(Debug, Deserialize)]
pub struct JobsQuery {
    status: Option<String>,
    page: Option<i64>,
}

pub async fn jobs(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<JobsQuery>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/jobs");
    let status = q.status.as_deref().and_then(JobStatus::parse);
    let page = siyu_app::records::Page::numbered(q.page.unwrap_or(1), 50);
    let result = match siyu_app::services::jobs::list(&state, &user.0, &JobFilter { status, kind: None }, page).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let rows = result
        .items
        .iter()
        .map(|j| JobRow {
            id: j.id,
            kind: ctx.tr.name("jobkind", &j.kind),
            status: ctx.tr.t(&format!("status.{}", j.status.as_str())),
            status_code: j.status.as_str(),
            attempts: format!("{}/{}", j.attempts, j.max_attempts),
            run_at: show_time(j.run_at),
            // Stored as a catalogue text (older rows as they were written): shown in the viewer's language.
            error: j.last_error.as_deref().map(|e| ctx.tr.say(&siyu_app::stored_text::decode(e))).unwrap_or_default(),
        })
        .collect();
    let statuses = JobStatus::ALL
        .iter()
        .map(|s| Opt {
            value: s.as_str().into(),
            label: ctx.tr.t(&format!("status.{}", s.as_str())).into(),
            selected: status == Some(*s),
        })
        .collect();
    let pager = Pager::new("/jobs", &query_without_page(raw.as_deref()), page, result.total);
    render(&JobsPage { ctx, statuses, rows, pager })
}
