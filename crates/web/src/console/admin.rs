//! Administration pages: the audit log, API tokens, background jobs.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::JobFilter;
use siyu_domain::ApiTokenId;
use siyu_domain::audit::AuditAction;
use siyu_domain::job::JobStatus;
use siyu_domain::scope::ApiScope;

use super::customers::Opt;
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::api::admin::AuditQuery;
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
    rows: Vec<AuditRow>,
    pager: Pager,
    error: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
    Query(p): Query<crate::api::Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/audit");
    let (filter, error) = match q.filter() {
        Ok(f) => (f, None),
        Err(e) => (Default::default(), Some(super::lang(&headers).error(&e))),
    };
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
            actor: e.actor.clone(),
            action: tr.name("action", e.action.as_str()),
            target: names.get(&e.target).cloned().unwrap_or_else(|| e.target.clone()),
            detail: super::names_words::audit_detail(tr, e.action, &e.detail),
            ip: e.ip.clone().unwrap_or_default(),
        })
        .collect();
    let actions = AuditAction::ALL
        .iter()
        .map(|a| Opt {
            value: a.as_str().into(),
            label: tr.name("action", a.as_str()),
            selected: q.action.as_deref() == Some(a.as_str()),
        })
        .collect();
    let pager = Pager::new("/audit", &query_without_page(raw.as_deref()), page, result.total);
    render(&AuditPage {
        ctx,
        actions,
        actor: q.actor.unwrap_or_default(),
        target: q.target.unwrap_or_default(),
        rows,
        pager,
        error,
    })
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
            error: j.last_error.clone().unwrap_or_default(),
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
