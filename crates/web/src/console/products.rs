//! Product catalogue pages: the list (filters by type, grade, on sale and a search; paged), the import
//! (upload, a preview of the counts and every bad row, confirm, result), the template and the export.

use askama::Template;
use axum::extract::{Multipart, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use siyu_app::services::download::Format;
use siyu_app::services::products::{self, ImportOutcome, grade_label};
use siyu_app::state::AppState;
use siyu_domain::import_template::FileLang;
use siyu_domain::product::ProductType;
use siyu_domain::scope::Permission;

use super::customers::Opt;
use super::imports::file_lang;
use super::{PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::api::Paging;
use crate::api::imports::read_upload;
use crate::api::products::ProductQuery;
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;

/// A product as the list shows it.
pub struct ProductRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    /// `R3 中风险`, or the word for ungraded.
    pub grade: String,
    pub graded: bool,
    pub issuer: String,
    pub on_sale: bool,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "products/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<ProductRow>,
    kinds: Vec<Opt>,
    grades: Vec<Opt>,
    on_sale: Vec<Opt>,
    q: String,
    may_import: bool,
    /// The filters as a query string, for the export links.
    filters: String,
    pager: Pager,
    error: Option<String>,
}

fn opts(values: Vec<(String, String)>, current: Option<&str>) -> Vec<Opt> {
    values.into_iter().map(|(value, label)| Opt { selected: current == Some(value.as_str()), value, label }).collect()
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<ProductQuery>,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/products");
    let tr = ctx.tr;
    let page = p.page();
    let (filter, error) = match q.filter() {
        Ok(f) => (f, None),
        Err(e) => (Default::default(), Some(tr.error(&e))),
    };
    let found = match products::list(&state, &user.0, &filter, page).await {
        Ok(f) => f,
        Err(e) => return error_page(ctx, e),
    };
    let rows = found
        .items
        .into_iter()
        .map(|v| ProductRow {
            code: v.code,
            name: v.name,
            kind: tr.say(&v.kind.text()),
            graded: v.risk_grade.is_some(),
            grade: v.risk_grade.map_or_else(|| tr.t("products.ungraded").to_owned(), |g| grade_label(g, tr.0)),
            issuer: v.issuer,
            on_sale: v.on_sale,
            updated: show_time(v.updated_at),
        })
        .collect();
    let kinds =
        opts(ProductType::ALL.iter().map(|t| (t.code().to_owned(), tr.say(&t.text()))).collect(), q.kind.as_deref());
    let grades = opts(
        (1..=5u8)
            .filter_map(siyu_domain::product::ProductRiskGrade::new)
            .map(|g| (g.label(), grade_label(g, tr.0)))
            .collect(),
        filter.risk_grade.map(|g| g.label()).as_deref(),
    );
    let on_sale = opts(
        vec![("true".into(), tr.t("products.yes").into()), ("false".into(), tr.t("products.no").into())],
        q.on_sale.as_deref(),
    );
    let base = query_without_page(raw.as_deref());
    let pager = Pager::new("/products", &base, page, found.total);
    let filters: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("kind", q.kind.as_deref().unwrap_or(""))
        .append_pair("risk_grade", &filter.risk_grade.map(|g| g.get().to_string()).unwrap_or_default())
        .append_pair("on_sale", q.on_sale.as_deref().unwrap_or(""))
        .append_pair("q", q.q.as_deref().unwrap_or(""))
        .finish();
    let may_import = user.0.actor.can(Permission::ManageProducts);
    render(&ListPage {
        ctx,
        rows,
        kinds,
        grades,
        on_sale,
        q: q.q.unwrap_or_default(),
        may_import,
        filters,
        pager,
        error,
    })
}

/// One bad row as the preview lists it.
pub struct ProblemRow {
    pub row: i64,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "products/import.html")]
struct ImportPage {
    ctx: PageCtx,
    other_lang: &'static str,
    error: Option<String>,
    /// The preview or the result, once a file was sent.
    outcome: Option<OutcomeView>,
}

/// What a dry run or a commit found.
pub struct OutcomeView {
    pub file_name: String,
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub problems: Vec<ProblemRow>,
    pub more_problems: bool,
    pub committed: bool,
    /// The staged file's token, for the confirm form, when the preview found nothing wrong.
    pub token: Option<String>,
}

fn outcome_view(ctx: &PageCtx, o: ImportOutcome, token: Option<String>) -> OutcomeView {
    OutcomeView {
        more_problems: o.problems_total > o.problems.len() as u64,
        problems: o
            .problems
            .into_iter()
            .map(|p| ProblemRow { row: p.row, column: p.column, message: ctx.tr.say(&p.message) })
            .collect(),
        file_name: o.file_name,
        rows: o.rows,
        added: o.counts.added,
        updated: o.counts.updated,
        unchanged: o.counts.unchanged,
        committed: o.committed,
        token,
    }
}

fn import_page(ctx: PageCtx, error: Option<String>, outcome: Option<OutcomeView>) -> Response {
    let other_lang = if ctx.tr.is_en() { "zh" } else { "en" };
    render(&ImportPage { ctx, other_lang, error, outcome })
}

pub async fn import_form(user: ConsoleUser, headers: HeaderMap) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/products");
    if let Err(e) = products::may_import(&user.0) {
        return error_page(ctx, e);
    }
    import_page(ctx, None, None)
}

/// The upload: its dry run shown as the preview, the file kept for the confirm when nothing is wrong.
pub async fn upload(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap, m: Multipart) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/products");
    // The permission is checked before a byte of the upload is read.
    if let Err(e) = products::may_import(&user.0) {
        return error_page(ctx, e);
    }
    let form = match read_upload(&state, m).await {
        Ok(f) => f,
        Err(e) => return import_page(ctx.clone(), Some(ctx.tr.error(&e)), None),
    };
    match products::stage(&state, &user.0, &form.file_name, form.bytes).await {
        Ok((o, token)) => {
            let view = outcome_view(&ctx, o, token);
            import_page(ctx, None, Some(view))
        }
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::TooLarge { .. })) => {
            let message = ctx.tr.error(&e);
            import_page(ctx, Some(message), None)
        }
        Err(e) => error_page(ctx, e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    file_name: String,
}

/// The confirm of a previewed file: written whole, or (should it have gone wrong meanwhile) not at all.
pub async fn confirm(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/products");
    match products::commit_staged(&state, &user.0, &f.token, &f.file_name).await {
        Ok(o) => {
            let view = outcome_view(&ctx, o, None);
            import_page(ctx, None, Some(view))
        }
        Err(e @ ServiceError::Invalid { .. }) => {
            let message = ctx.tr.error(&e);
            import_page(ctx, Some(message), None)
        }
        Err(e) => error_page(ctx, e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

fn lang_of(headers: &HeaderMap, q: &LangQuery) -> FileLang {
    q.lang.as_deref().and_then(FileLang::parse).unwrap_or_else(|| file_lang(headers))
}

async fn template(user: &ConsoleUser, headers: &HeaderMap, q: &LangQuery, format: Format) -> Response {
    match products::template(&user.0, lang_of(headers, q), format) {
        Ok(d) => crate::api::download(d),
        Err(e) => error_page(PageCtx::new(user, headers, "/products"), e),
    }
}

pub async fn template_csv(user: ConsoleUser, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    template(&user, &headers, &q, Format::Csv).await
}

pub async fn template_xlsx(user: ConsoleUser, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    template(&user, &headers, &q, Format::Xlsx).await
}

async fn export(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    q: &ProductQuery,
    format: Format,
) -> Response {
    let ctx = || PageCtx::new(user, headers, "/products");
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => return error_page(ctx(), e),
    };
    match products::export(state, &user.0, filter, file_lang(headers), format).await {
        Ok(d) => crate::api::download(d),
        Err(e) => error_page(ctx(), e),
    }
}

pub async fn export_csv(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<ProductQuery>,
) -> Response {
    export(&state, &user, &headers, &q, Format::Csv).await
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<ProductQuery>,
) -> Response {
    export(&state, &user, &headers, &q, Format::Xlsx).await
}
