//! Import pages: upload with a dry run, the report with progress, commit, and the rejected rows.

use askama::Template;
use axum::extract::{Multipart, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use siyu_app::records::{ImportProblem, ImportRecord, ImportStatus};
use siyu_domain::ImportId;
use siyu_domain::import::Field;

use super::customers::Opt;
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::api::Paging;
use crate::api::imports::read_upload;
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;
use siyu_app::services::imports;
use siyu_app::state::AppState;

/// An import as the pages show it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub id: ImportId,
    pub file_name: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub total: i64,
    pub good: i64,
    pub bad: i64,
    pub committed: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub file_error: Option<String>,
    pub time: String,
}

fn row(ctx: &PageCtx, r: &ImportRecord) -> ImportRow {
    ImportRow {
        id: r.id,
        file_name: r.file_name.clone(),
        status: ctx.tr.t(&format!("status.{}", r.status.as_str())),
        status_code: r.status.as_str(),
        total: r.total_rows,
        good: r.good_rows,
        bad: r.bad_rows,
        committed: r.rows_committed,
        inserted: r.counts.inserted,
        updated: r.counts.updated,
        unchanged: r.counts.unchanged,
        file_error: r.file_error.as_deref().map(|e| ctx.tr.say(&siyu_app::stored_text::decode(e))),
        time: show_time(r.created_at),
    }
}

#[derive(Template)]
#[template(path = "imports/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<ImportRow>,
    pager: Pager,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    paging: Paging,
    raw: Option<&str>,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/imports");
    let page = paging.page();
    match imports::list(state, &user.0, page).await {
        Ok(p) => {
            let rows = p.items.iter().map(|r| row(&ctx, r)).collect();
            let pager = Pager::new("/imports", &query_without_page(raw), page, p.total);
            render(&ListPage { ctx, rows, pager, error })
        }
        Err(e) => error_page(ctx, e),
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    list_page(&state, &user, &headers, p, raw.as_deref(), None).await
}

pub async fn upload(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap, m: Multipart) -> Response {
    let paging = Paging { page: None, per_page: None };
    // The permission is checked before a byte of the upload is read.
    if let Err(e) = imports::may_upload(&user.0) {
        return error_page(PageCtx::new(&user, &headers, "/imports"), e);
    }
    let form = match read_upload(&state, m).await {
        Ok(f) => f,
        Err(e) => return list_page(&state, &user, &headers, paging, None, Some(super::lang(&headers).error(&e))).await,
    };
    match imports::upload(&state, &user.0, &form.file_name, form.bytes, &form.mapping).await {
        Ok(id) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::TooLarge { .. })) => {
            list_page(&state, &user, &headers, paging, None, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/imports"), e),
    }
}

/// One column of the file in the re-mapping form.
#[derive(Debug, Clone)]
pub struct RemapRow {
    pub index: usize,
    pub header: String,
    pub options: Vec<Opt>,
    pub known: bool,
}

/// The file's columns with the field each maps to now (the operator's choice, else the built-in name).
fn remap_rows(ctx: &PageCtx, r: &ImportRecord) -> Vec<RemapRow> {
    let headers: Vec<String> = serde_json::from_str(&r.headers_json).unwrap_or_default();
    let chosen = imports::parse_mapping(&r.mapping_json).unwrap_or_default();
    headers
        .into_iter()
        .enumerate()
        .map(|(index, header)| {
            let current = chosen.get(header.trim()).copied().or_else(|| Field::from_header(&header));
            let options = Field::all()
                .map(|f| Opt { value: f.name().to_owned(), label: ctx.tr.say(&f.text()), selected: current == Some(f) })
                .collect();
            RemapRow { index, header, options, known: current.is_some() }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "imports/detail.html")]
struct DetailPage {
    remap: Vec<RemapRow>,
    ctx: PageCtx,
    r: ImportRow,
    percent: i64,
    progress_text: String,
    can_commit: bool,
    problems: Vec<ImportProblem>,
    pager: Pager,
}

/// Progress as a percentage and a sentence: rows read during the dry run, rows written during commit.
pub fn progress(ctx: &PageCtx, r: &ImportRecord, rows_read: Option<i64>) -> (i64, String) {
    let en = ctx.tr.is_en();
    match r.status {
        ImportStatus::Validating => {
            let n = rows_read.unwrap_or(0);
            (0, if en { format!("Checking rows… {n} read") } else { format!("正在检查… 已读 {n} 行") })
        }
        ImportStatus::Committing => {
            let pct = if r.good_rows > 0 { r.rows_committed * 100 / r.good_rows } else { 0 };
            (
                pct,
                if en {
                    format!("Writing {} of {} rows", r.rows_committed, r.good_rows)
                } else {
                    format!("正在写入 {} / {} 行", r.rows_committed, r.good_rows)
                },
            )
        }
        ImportStatus::Committed => (
            100,
            if en { format!("Done: {} rows", r.rows_committed) } else { format!("完成：{} 行", r.rows_committed) },
        ),
        _ => (if r.status == ImportStatus::Validated { 100 } else { 0 }, String::new()),
    }
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ImportId>,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/imports");
    let rec = match imports::get(&state, &user.0, id).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let page = p.page();
    let problems = match imports::problems(&state, &user.0, id, page).await {
        Ok(p) => p,
        Err(e) => return error_page(ctx, e),
    };
    let (percent, progress_text) = progress(&ctx, &rec, state.import_progress.get(id));
    let pager = Pager::new(&format!("/imports/{id}"), &query_without_page(raw.as_deref()), page, problems.total);
    let can_commit = rec.status == ImportStatus::Validated && rec.good_rows > 0;
    let remap = if matches!(rec.status, ImportStatus::Rejected | ImportStatus::Validated) {
        remap_rows(&ctx, &rec)
    } else {
        Vec::new()
    };
    let tr = ctx.tr;
    let problems = problems
        .items
        .into_iter()
        .map(|p| ImportProblem { message: tr.say(&siyu_app::stored_text::decode(&p.message)), ..p })
        .collect();
    render(&DetailPage { remap, r: row(&ctx, &rec), ctx, percent, progress_text, can_commit, problems, pager })
}

/// Re-runs the dry run with the columns mapped as the form says (`col<i>` = field name).
pub async fn remap(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ImportId>,
    body: axum::body::Bytes,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/imports");
    let rec = match imports::get(&state, &user.0, id).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let file_headers: Vec<String> = serde_json::from_str(&rec.headers_json).unwrap_or_default();
    let mut mapping = std::collections::HashMap::new();
    for (k, v) in form_urlencoded::parse(&body) {
        let Some(i) = k.strip_prefix("col").and_then(|i| i.parse::<usize>().ok()) else { continue };
        let (Some(h), Some(f)) = (file_headers.get(i), Field::all().find(|f| f.name() == v)) else { continue };
        mapping.insert(h.trim().to_owned(), f);
    }
    match imports::remap(&state, &user.0, id, &mapping).await {
        Ok(()) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(e) => error_page(ctx, e),
    }
}

pub async fn commit(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ImportId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/imports");
    match imports::request_commit(&state, &user.0, id).await {
        Ok(()) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(e) => error_page(ctx, e),
    }
}

pub async fn rejected_csv(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ImportId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/imports");
    match imports::rejected_csv(&state, &user.0, id, super::lang(&headers).0).await {
        Ok(d) => crate::api::download(d),
        Err(e) => error_page(ctx, e),
    }
}
