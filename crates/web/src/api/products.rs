//! Product catalogue endpoints: the list and one product for every role, the import of the bank's
//! product file (a dry run, then a commit of the whole file or nothing), its template and an export.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use siyu_app::records::ProductFilter;
use siyu_app::services::download::Format;
use siyu_app::services::products::{self, ImportOutcome, ProductPage, ProductView};
use siyu_app::state::AppState;
use siyu_domain::ProductId;
use siyu_domain::import_template::FileLang;
use siyu_domain::product::{ProductRiskGrade, ProductType};

use super::Paging;
use super::extract::{ApiMultipart, ApiPath, ApiQuery, blank_is_any};
use crate::auth::extract::ApiCaller;
use crate::error::{ApiResult, ServiceError, ServiceResult};

/// The product types as a filter takes them (their codes).
pub const TYPES: &[&str] = &["deposit", "wealth", "fund", "insurance", "loan", "card"];
/// Risk grades as a filter takes them: `R3`, `r3` or `3`.
pub const GRADES: &[&str] = &["1", "2", "3", "4", "5", "R1", "R2", "R3", "R4", "R5", "r1", "r2", "r3", "r4", "r5"];

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct ProductQuery {
    #[serde(default, deserialize_with = "blank_is_any")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "blank_is_any")]
    pub risk_grade: Option<String>,
    #[serde(default, deserialize_with = "blank_is_any")]
    pub on_sale: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
}

impl ProductQuery {
    /// The store's filter; the words were checked against the table before the handler ran, so a word
    /// not read here is a bad query all the same.
    pub fn filter(&self) -> ServiceResult<ProductFilter> {
        let bad = |name: &str, all: &[&str]| {
            let text = siyu_domain::lang::Text::new("query.one_of").arg("name", name).arg("all", all.join(", "));
            ServiceError::invalid("bad_query", text)
        };
        let kind = match self.kind.as_deref() {
            None => None,
            Some(k) => Some(ProductType::ALL.into_iter().find(|t| t.code() == k).ok_or_else(|| bad("kind", TYPES))?),
        };
        let risk_grade = match self.risk_grade.as_deref() {
            None => None,
            Some(g) => Some(ProductRiskGrade::parse(g).ok_or_else(|| bad("risk_grade", &GRADES[..10]))?),
        };
        let on_sale = match self.on_sale.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("on_sale", &["true", "false"])),
        };
        let query = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
        Ok(ProductFilter { kind, risk_grade, on_sale, query })
    }
}

#[utoipa::path(
    get,
    path = "/products",
    tag = "products",
    summary = "The product catalogue, by code, filtered by type, risk grade, on sale and a search",
    responses((status = 200, description = "A page of products", body = ProductPage))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<ProductQuery>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ProductPage>> {
    Ok(Json(products::list(&state, &c, &q.filter()?, p.page()).await?))
}

#[utoipa::path(
    get,
    path = "/products/{id}",
    tag = "products",
    summary = "One product of the catalogue",
    params(("id" = ProductId, Path, description = "The product")),
    responses((status = 200, description = "The product", body = ProductView))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(products::get(&state, &c, id).await?))
}

/// One bad row of a product file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowProblemView {
    /// The line as a spreadsheet or editor shows it.
    pub row: i64,
    /// The column's header as the file writes it.
    pub column: String,
    /// `unknown_type`, `bad_grade`, `grade_required`, `empty_code`, `code_too_long`, `empty_name`,
    /// `name_too_long`, `issuer_too_long`, `bad_on_sale`, `duplicate_code`.
    pub code: String,
    /// For people, in the request's language.
    pub message: String,
}

/// What an import did, or (a dry run, or a file with bad rows) would do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportAnswer {
    pub file_name: String,
    /// Data rows read (a template's notes and example rows are skipped).
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Whether the catalogue was written: `false` on a dry run and whenever any row has a problem.
    pub committed: bool,
    /// The first 500 problems, by row.
    pub problems: Vec<RowProblemView>,
    pub problems_total: u64,
}

/// The answer in a language.
pub fn answer(o: ImportOutcome, lang: siyu_domain::lang::Lang) -> ImportAnswer {
    ImportAnswer {
        file_name: o.file_name,
        rows: o.rows,
        added: o.counts.added,
        updated: o.counts.updated,
        unchanged: o.counts.unchanged,
        committed: o.committed,
        problems: o
            .problems
            .into_iter()
            .map(|p| RowProblemView {
                row: p.row,
                column: p.column,
                code: p.code.to_owned(),
                message: p.message.render(lang),
            })
            .collect(),
        problems_total: o.problems_total,
    }
}

/// The multipart form of a product file upload, as the document describes it.
#[derive(Debug, utoipa::ToSchema)]
pub struct ProductUpload {
    /// The product file: CSV (UTF-8, UTF-16 or GB18030) or XLSX, at most 2 MiB and 5,000 rows.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportQuery {
    #[serde(default, deserialize_with = "blank_is_any")]
    pub dry_run: Option<String>,
}

#[utoipa::path(
    post,
    path = "/products/import",
    tag = "products",
    summary = "Import the product file: a dry run (`dry_run=true`) or a commit of the whole file",
    description = "Headers in Chinese or English: 产品代码/code, 产品名称/name, 产品类型/type (required), \
                   风险等级/risk grade (R1–R5, 1–5 or 低/中低/中/中高/高风险; required for wealth, fund and \
                   insurance), 发行机构/issuer, 是否在售/on sale (是/否/在售/停售/yes/no, blank is yes). Products \
                   are matched by code: the answer counts added, updated and unchanged. Every bad row is \
                   listed with its line, column and reason; a file with any bad row writes nothing \
                   (`committed` is false). The whole file is refused with `payload_too_large` (over 2 MiB), \
                   `bad_file` (unreadable, over 5,000 rows), `missing_column`, `duplicate_column`, `empty_file`.",
    request_body(content = ProductUpload, content_type = "multipart/form-data"),
    responses((status = 200, description = "The counts and the problems", body = ImportAnswer))
)]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiMultipart(m): ApiMultipart,
) -> ApiResult<Json<ImportAnswer>> {
    // The permission is checked before a byte of the upload is read.
    products::may_import(&c)?;
    let form = super::imports::read_upload(&state, m).await?;
    let dry_run = q.dry_run.as_deref() == Some("true");
    let outcome = products::import(&state, &c, &form.file_name, form.bytes, dry_run).await?;
    Ok(Json(answer(outcome, crate::error::request_lang())))
}

/// `?format=csv|xlsx&lang=zh|en` of a template or an export.
#[derive(Debug, Default, Deserialize)]
pub struct FileQuery {
    #[serde(default, deserialize_with = "blank_is_any")]
    pub format: Option<Format>,
    #[serde(default, deserialize_with = "blank_is_any")]
    pub lang: Option<String>,
}

impl FileQuery {
    fn parts(&self) -> (Format, FileLang) {
        let lang = self.lang.as_deref().and_then(FileLang::parse).unwrap_or(match crate::error::request_lang() {
            siyu_domain::lang::Lang::En => FileLang::En,
            _ => FileLang::Zh,
        });
        (self.format.unwrap_or(Format::Csv), lang)
    }
}

#[utoipa::path(
    get,
    path = "/products/template",
    tag = "products",
    summary = "The product file template (CSV or XLSX, Chinese or English headers), which uploads back cleanly",
    responses((
        status = 200,
        description = "The header, a notes row and example rows the import skips",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
        headers(("content-disposition" = String, description = "`attachment` with the file's name"))
    ))
)]
pub async fn template(ApiCaller(c): ApiCaller, ApiQuery(q): ApiQuery<FileQuery>) -> ApiResult<Response> {
    let (format, lang) = q.parts();
    Ok(super::download(products::template(&c, lang, format)?))
}

#[utoipa::path(
    get,
    path = "/products/export",
    tag = "products",
    summary = "The catalogue as a CSV or XLSX product file, which imports back unchanged",
    responses((
        status = 200,
        description = "Every product, one row each, by code",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
        headers(("content-disposition" = String, description = "`attachment` with the file's name"))
    ))
)]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult<Response> {
    let (format, lang) = q.parts();
    Ok(super::download(products::export(&state, &c, ProductFilter::default(), lang, format).await?))
}
