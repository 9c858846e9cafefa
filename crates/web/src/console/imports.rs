//! Import pages: upload with a dry run, the report with progress, commit, and the rejected rows.

use askama::Template;
use axum::extract::{Multipart, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use siyu_app::records::{ImportProblem, ImportRecord, ImportStatus};
use siyu_app::services::download::Format;
use siyu_domain::ImportId;
use siyu_domain::import::Field;
use siyu_domain::import_template::FileLang;

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
    pub mapping_remembered: bool,
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
        mapping_remembered: r.mapping_remembered,
        time: show_time(r.created_at),
    }
}

#[derive(Template)]
#[template(path = "imports/list.html")]
struct ListPage {
    ctx: PageCtx,
    /// The other language's code, for the link to its template.
    other_lang: &'static str,
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
            let other_lang = if ctx.tr.is_en() { "zh" } else { "en" };
            render(&ListPage { ctx, other_lang, rows, pager, error })
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

/// A field as the page names it, in the viewer's language (required ones marked).
fn field_label(ctx: &PageCtx, f: Field) -> String {
    let name = ctx.tr.say(&f.text());
    if f.required() { format!("{name} *") } else { name }
}

/// The file's columns with the field each maps to now (the operator's choice, else the built-in name).
fn remap_rows(ctx: &PageCtx, r: &ImportRecord) -> Vec<RemapRow> {
    let headers: Vec<String> = serde_json::from_str(&r.headers_json).unwrap_or_default();
    let chosen = imports::parse_mapping(&r.mapping_json).unwrap_or_default();
    headers
        .into_iter()
        .take(MAX_FORM_COLUMNS)
        .enumerate()
        .map(|(index, header)| {
            let current = siyu_domain::import::mapped_field(&chosen, &header);
            let options = Field::all()
                .map(|f| Opt { value: f.name().to_owned(), label: field_label(ctx, f), selected: current == Some(f) })
                .collect();
            RemapRow { index, header, options, known: current.is_some() }
        })
        .collect()
}

/// The most columns the re-mapping form shows and reads: as many as a file may have.
const MAX_FORM_COLUMNS: usize = siyu_app::import::pipeline::MAX_MAPPING_COLUMNS;

/// What still keeps an unmapped file from its dry run, in the viewer's words: the required fields no
/// column fills, and whether two columns fill one field.
fn mapping_gaps(ctx: &PageCtx, rows: &[RemapRow]) -> (String, bool) {
    let chosen: Vec<&str> =
        rows.iter().filter_map(|r| r.options.iter().find(|o| o.selected)).map(|o| o.value.as_str()).collect();
    let missing: Vec<&str> = Field::all()
        .filter(|f| f.required() && !chosen.contains(&f.name()))
        .map(|f| ctx.tr.t(&format!("import_field.{}", f.name())))
        .collect();
    let mut filled: Vec<&str> = chosen.iter().copied().filter(|f| *f != Field::Ignore.name()).collect();
    let before = filled.len();
    filled.sort_unstable();
    filled.dedup();
    (missing.join(if ctx.tr.is_en() { ", " } else { "、" }), filled.len() != before)
}

/// One part of the outcome bar: rows of one kind, as a share of all rows read.
#[derive(Debug, Clone)]
pub struct Segment {
    /// `new`, `updated`, `unchanged` or `rejected`: the colour.
    pub kind: &'static str,
    pub label: &'static str,
    pub count: i64,
    /// Percent of the bar, two decimals.
    pub width: String,
}

/// The bar of a finished dry run or commit, coloured by outcome: new, updated, unchanged, rejected.
/// A file with no good row is all rejected, never a full green bar.
pub fn outcome_segments(ctx: &PageCtx, r: &ImportRecord) -> Vec<Segment> {
    let (counts, words) = match r.status {
        ImportStatus::Validated => (r.preview, ["imports.will_insert", "imports.will_update", "imports.will_keep"]),
        ImportStatus::Committed => (r.counts, ["imports.did_insert", "imports.did_update", "imports.did_keep"]),
        _ => return Vec::new(),
    };
    let parts = [
        ("new", words[0], counts.inserted),
        ("updated", words[1], counts.updated),
        ("unchanged", words[2], counts.unchanged),
        ("rejected", "imports.rejected_rows", r.bad_rows),
    ];
    let all: i64 = parts.iter().map(|p| p.2).sum();
    parts
        .into_iter()
        .map(|(kind, word, count)| {
            let share = if all > 0 { count as f64 * 100.0 / all as f64 } else { 0.0 };
            Segment { kind, label: ctx.tr.t(word), count, width: format!("{share:.2}") }
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
    /// The outcome bar once the dry run or the commit is done (empty while running).
    segments: Vec<Segment>,
    /// For a file that needs mapping: the required fields no column fills yet, and whether two
    /// columns fill one field.
    missing: String,
    duplicate: bool,
    /// Whether a file-level error is shown (an unmapped file gets the page's own words instead).
    show_file_error: bool,
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
    let remap = if rec.status.remappable() { remap_rows(&ctx, &rec) } else { Vec::new() };
    let (missing, duplicate) = mapping_gaps(&ctx, &remap);
    let tr = ctx.tr;
    let problems = problems
        .items
        .into_iter()
        .map(|p| ImportProblem { message: tr.say(&siyu_app::stored_text::decode(&p.message)), ..p })
        .collect();
    render(&DetailPage {
        segments: outcome_segments(&ctx, &rec),
        missing,
        duplicate,
        show_file_error: rec.status != ImportStatus::NeedsMapping,
        r: row(&ctx, &rec),
        remap,
        ctx,
        percent,
        progress_text,
        can_commit,
        problems,
        pager,
    })
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
    // The body is at most the router's 64 KiB; at most one field per column of the file is kept.
    for (k, v) in form_urlencoded::parse(&body).take(MAX_FORM_COLUMNS + 1) {
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

/// The language of a file the viewer downloads: `?lang=zh|en`, else the console's.
pub fn file_lang(headers: &HeaderMap) -> FileLang {
    if super::lang(headers).is_en() { FileLang::En } else { FileLang::Zh }
}

#[derive(Debug, serde::Deserialize)]
pub struct TemplateQuery {
    lang: Option<String>,
}

async fn template(user: &ConsoleUser, headers: &HeaderMap, q: &TemplateQuery, format: Format) -> Response {
    let lang = q.lang.as_deref().and_then(FileLang::parse).unwrap_or_else(|| file_lang(headers));
    match imports::template(&user.0, lang, format) {
        Ok(d) => crate::api::download(d),
        Err(e) => error_page(PageCtx::new(user, headers, "/imports"), e),
    }
}

/// The customer file template as CSV, in `?lang=` or the viewer's language.
pub async fn template_csv(user: ConsoleUser, headers: HeaderMap, Query(q): Query<TemplateQuery>) -> Response {
    template(&user, &headers, &q, Format::Csv).await
}

/// The customer file template as XLSX.
pub async fn template_xlsx(user: ConsoleUser, headers: HeaderMap, Query(q): Query<TemplateQuery>) -> Response {
    template(&user, &headers, &q, Format::Xlsx).await
}
