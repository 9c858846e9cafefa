//! The product catalogue as a service (issue 17): listed and read by every role, imported from the
//! bank's CSV or XLSX product file by HQ (a dry run of counts and row problems, then a commit that writes
//! the whole file or nothing, audited in the store's transaction), its template and its export written
//! through the formula-free writer so both upload back unchanged.
//!
//! A catalogue is small (hundreds of products), so a file is read whole in the request, on the blocking
//! pool, within a byte bound and a row bound checked before the work: no job, no stored upload. A file
//! with any bad row writes nothing: half a catalogue would let content link a product whose row was
//! dropped, or keep offering one whose new grade was refused.

use std::collections::HashMap;
use std::ops::ControlFlow;

use serde::Serialize;
use siyu_domain::audit::AuditAction;
use siyu_domain::import_template::{self, FileLang};
use siyu_domain::lang::{Lang, Text};
use siyu_domain::product::{ProductRiskGrade, ProductType};
use siyu_domain::scope::Permission;
use siyu_domain::{ProductId, StaffId, Timestamp};
use siyu_store::{NewProduct, Page, Paged, ProductCounts, ProductFilter, ProductRecord};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::import::reader::{Limits, Table};
use crate::services::audit;
use crate::services::download::{self, Download, Format};
use crate::services::imports::Fixed;
use crate::state::AppState;

/// The largest product file read, in bytes: a catalogue of the most rows fits in a tenth of it.
pub const MAX_FILE_BYTES: usize = 2 << 20;
/// The most data rows a product file may hold.
pub const MAX_ROWS: usize = 5_000;
/// The longest product code and name, in characters.
pub const MAX_CODE_CHARS: usize = 40;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ISSUER_CHARS: usize = 100;
/// Row problems reported at most; the count is always whole.
pub const MAX_PROBLEMS: usize = 500;
/// Products read per page of an export.
const EXPORT_PAGE: i64 = 500;

/// Whether a product of this type must carry a risk grade in the catalogue. Wealth management, funds
/// and insurance (investment-linked and annuity products are graded by their issuers) are sold by
/// suitability (banking rule 1) and must; deposits, loans and cards are not investment products and
/// may be left blank.
pub fn grade_required(kind: ProductType) -> bool {
    matches!(kind, ProductType::Wealth | ProductType::Fund | ProductType::Insurance)
}

/// A product as the API and the console show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductView {
    pub id: ProductId,
    /// The bank's product code, unique.
    pub code: String,
    pub name: String,
    pub kind: ProductType,
    /// 1 (R1) to 5 (R5); absent for an ungraded deposit, loan or card.
    pub risk_grade: Option<ProductRiskGrade>,
    pub issuer: String,
    pub on_sale: bool,
    pub updated_by: Option<StaffId>,
    pub updated_at: Timestamp,
}

impl From<ProductRecord> for ProductView {
    fn from(r: ProductRecord) -> Self {
        let p = r.product;
        Self {
            id: r.id,
            code: p.code,
            name: p.name,
            kind: p.kind,
            risk_grade: p.risk_grade,
            issuer: p.issuer,
            on_sale: p.on_sale,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

/// A page of products.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductPage {
    pub items: Vec<ProductView>,
    pub total: i64,
}

/// A grade as people read it: `R3 中风险`, `R3 medium`.
pub fn grade_label(g: ProductRiskGrade, lang: Lang) -> String {
    format!("{} {}", g.label(), Text::new(&format!("product_grade.{}", g.get())).render(lang))
}

/// The catalogue, filtered, a page at a time.
pub async fn list(state: &AppState, caller: &Caller, filter: &ProductFilter, page: Page) -> ServiceResult<ProductPage> {
    caller.require(Permission::ReadProducts)?;
    let Paged { items, total } = state.store.products(filter, page).await?;
    Ok(ProductPage { items: items.into_iter().map(ProductView::from).collect(), total })
}

/// One product.
pub async fn get(state: &AppState, caller: &Caller, id: ProductId) -> ServiceResult<ProductView> {
    caller.require(Permission::ReadProducts)?;
    let found = state.store.products_by_ids(&[id]).await?;
    found.into_iter().next().map(ProductView::from).ok_or(ServiceError::NotFound)
}

/// The products among `ids`, for the lint and (later) content's linked products; ids not in the
/// catalogue are simply absent.
pub async fn by_ids(state: &AppState, ids: &[ProductId]) -> ServiceResult<Vec<ProductRecord>> {
    Ok(state.store.products_by_ids(ids).await?)
}

/// A column of the product file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Code,
    Name,
    Kind,
    Grade,
    Issuer,
    OnSale,
}

/// Each column: its code (for the problems' `column` when the file has no header for it), the headers
/// read as it (compared after [`norm`]), and the template's header and note in (中文, English).
type ColumnSeed =
    (Col, &'static str, &'static [&'static str], (&'static str, &'static str), (&'static str, &'static str));

const COLUMNS: [ColumnSeed; 6] = [
    (
        Col::Code,
        "code",
        &["产品代码", "产品编码", "产品编号", "代码", "code", "productcode"],
        ("*产品代码", "*code"),
        ("唯一，最多40字", "unique, at most 40 characters"),
    ),
    (
        Col::Name,
        "name",
        &["产品名称", "名称", "产品名", "name", "productname"],
        ("*产品名称", "*name"),
        ("最多100字", "at most 100 characters"),
    ),
    (
        Col::Kind,
        "type",
        &["产品类型", "类型", "产品类别", "type", "kind", "producttype"],
        ("*产品类型", "*type"),
        ("存款/理财/基金/保险/贷款/银行卡", "deposit/wealth/fund/insurance/loan/card"),
    ),
    (
        Col::Grade,
        "risk_grade",
        &["风险等级", "产品风险等级", "风险评级", "risk grade", "riskgrade", "grade"],
        ("风险等级", "risk grade"),
        ("R1-R5或低/中低/中/中高/高风险；理财、基金、保险必填", "R1-R5; required for wealth, fund, insurance"),
    ),
    (
        Col::Issuer,
        "issuer",
        &["发行机构", "发行人", "管理人", "issuer"],
        ("发行机构", "issuer"),
        ("可空", "may be blank"),
    ),
    (
        Col::OnSale,
        "on_sale",
        &["是否在售", "在售", "销售状态", "on sale", "onsale"],
        ("是否在售", "on sale"),
        ("是/否，空为是", "yes/no, blank is yes"),
    ),
];

/// A header as compared: full-width made half-width, ASCII lower case, `*`, spaces and `_` dropped.
fn norm(h: &str) -> String {
    h.chars()
        .map(siyu_domain::validate::half_width)
        .filter(|c| !matches!(c, '*' | ' ' | '_' | '\u{feff}'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn column_of(header: &str) -> Option<Col> {
    let h = norm(header);
    COLUMNS.iter().find(|(_, _, names, _, _)| names.iter().any(|n| norm(n) == h)).map(|c| c.0)
}

/// Reads 是/否 and their kin; blank is on sale (a catalogue lists what is sold).
fn parse_on_sale(s: &str) -> Option<bool> {
    let s: String = s.trim().chars().map(siyu_domain::validate::half_width).collect::<String>().to_ascii_lowercase();
    match s.as_str() {
        "" | "是" | "在售" | "销售中" | "yes" | "y" | "true" | "1" => Some(true),
        "否" | "停售" | "不在售" | "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// One bad row's problem: where and why, the message a catalogue text (shown in the reader's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The line as a spreadsheet or editor shows it (the header is line 1 unless a title is above it).
    pub row: i64,
    /// The column's header as the file writes it, or its code when the file has none.
    pub column: String,
    /// Stable: `unknown_type`, `bad_grade`, `grade_required`, `empty_code`, `code_too_long`,
    /// `empty_name`, `name_too_long`, `issuer_too_long`, `bad_on_sale`, `duplicate_code`.
    pub code: &'static str,
    pub message: Text,
}

/// What a product file holds, or would do: the counts against the catalogue, and every bad row.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub file_name: String,
    /// Data rows read (notes and example rows of a template skipped).
    pub rows: u64,
    pub counts: ProductCounts,
    /// The first [`MAX_PROBLEMS`] problems, by row.
    pub problems: Vec<RowProblem>,
    pub problems_total: u64,
    /// Whether the catalogue was written: never on a dry run, never with a problem.
    pub committed: bool,
}

/// Whether the caller may import the catalogue; asked before an upload is read.
pub fn may_import(caller: &Caller) -> ServiceResult<()> {
    caller.require(Permission::ManageProducts)
}

/// A file read into products and problems.
struct Parsed {
    /// Data rows read, good and bad.
    read: u64,
    rows: Vec<NewProduct>,
    problems: Vec<RowProblem>,
    problems_total: u64,
}

fn file_error(e: crate::import::reader::FileError) -> ServiceError {
    ServiceError::invalid("bad_file", e.text())
}

/// Reads the file: its header (the required columns must be there), then every row, each checked.
fn parse(bytes: &[u8]) -> ServiceResult<Parsed> {
    let limits = Limits { max_rows: MAX_ROWS, max_columns: 64, max_cell_chars: 1000, ..Limits::default() };
    // The header is the first of the first rows naming two of the catalogue's columns (a title may
    // come before it).
    let is_header = |cells: &[&str]| cells.iter().filter(|c| column_of(c).is_some()).count() >= 2;
    let table = Table::open_finding(bytes, limits, &is_header).map_err(file_error)?;
    let headers = table.headers().to_vec();
    let mut at: HashMap<usize, Col> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = column_of(h) {
            if at.values().any(|seen| *seen == c) {
                return Err(ServiceError::invalid(
                    "duplicate_column",
                    Text::new("products.duplicate_column").arg("column", h).with_values_cut(40),
                ));
            }
            at.insert(i, c);
        }
    }
    for (need, word) in [(Col::Code, "code"), (Col::Name, "name"), (Col::Kind, "type")] {
        if !at.values().any(|c| *c == need) {
            let column = Text::new(&format!("products.col.{word}"));
            return Err(ServiceError::invalid(
                "missing_column",
                Text::new("products.missing_column").text("column", column),
            ));
        }
    }
    let name_of = |c: Col| -> String {
        at.iter()
            .find(|(_, x)| **x == c)
            .map(|(i, _)| headers[*i].clone())
            .unwrap_or_else(|| COLUMNS.iter().find(|x| x.0 == c).map(|x| x.1.to_owned()).unwrap_or_default())
    };
    let mut out = Parsed { read: 0, rows: Vec::new(), problems: Vec::new(), problems_total: 0 };
    let mut first_line: HashMap<String, i64> = HashMap::new();
    let problem = |out: &mut Parsed, row: i64, col: Col, code: &'static str, message: Text| {
        out.problems_total += 1;
        if out.problems.len() < MAX_PROBLEMS {
            out.problems.push(RowProblem { row, column: name_of(col), code, message });
        }
    };
    table
        .for_each_row(&mut |line, cells| {
            if import_template::is_note_row(cells) {
                return ControlFlow::Continue(());
            }
            out.read += 1;
            let cell = |c: Col| -> &str {
                at.iter().find(|(_, x)| **x == c).and_then(|(i, _)| cells.get(*i)).map_or("", |s| s.trim())
            };
            let before = out.problems_total;
            let code = cell(Col::Code);
            let name = cell(Col::Name);
            if code.is_empty() {
                problem(&mut out, line, Col::Code, "empty_code", Text::new("products.empty_code"));
            } else if code.chars().count() > MAX_CODE_CHARS {
                let t = Text::new("products.code_too_long").arg("max", MAX_CODE_CHARS);
                problem(&mut out, line, Col::Code, "code_too_long", t);
            } else if let Some(first) = first_line.get(code) {
                let t = Text::new("products.duplicate_code").arg("code", code).arg("first", first).with_values_cut(40);
                problem(&mut out, line, Col::Code, "duplicate_code", t);
            } else {
                first_line.insert(code.to_owned(), line);
            }
            if name.is_empty() {
                problem(&mut out, line, Col::Name, "empty_name", Text::new("products.empty_name"));
            } else if name.chars().count() > MAX_NAME_CHARS {
                let t = Text::new("products.name_too_long").arg("max", MAX_NAME_CHARS);
                problem(&mut out, line, Col::Name, "name_too_long", t);
            }
            let kind = ProductType::parse(cell(Col::Kind));
            if kind.is_none() {
                let t = Text::new("products.unknown_type").arg("value", cell(Col::Kind)).with_values_cut(40);
                problem(&mut out, line, Col::Kind, "unknown_type", t);
            }
            let raw_grade = cell(Col::Grade);
            let grade = if raw_grade.is_empty() { None } else { ProductRiskGrade::parse(raw_grade) };
            if !raw_grade.is_empty() && grade.is_none() {
                let t = Text::new("products.bad_grade").arg("value", raw_grade).with_values_cut(40);
                problem(&mut out, line, Col::Grade, "bad_grade", t);
            } else if let Some(k) = kind
                && grade.is_none()
                && grade_required(k)
            {
                problem(
                    &mut out,
                    line,
                    Col::Grade,
                    "grade_required",
                    Text::new("products.grade_required").text("type", k.text()),
                );
            }
            let issuer = cell(Col::Issuer);
            if issuer.chars().count() > MAX_ISSUER_CHARS {
                let t = Text::new("products.issuer_too_long").arg("max", MAX_ISSUER_CHARS);
                problem(&mut out, line, Col::Issuer, "issuer_too_long", t);
            }
            let on_sale = parse_on_sale(cell(Col::OnSale));
            if on_sale.is_none() {
                let t = Text::new("products.bad_on_sale").arg("value", cell(Col::OnSale)).with_values_cut(40);
                problem(&mut out, line, Col::OnSale, "bad_on_sale", t);
            }
            if let (true, Some(kind), Some(on_sale)) = (out.problems_total == before, kind, on_sale) {
                out.rows.push(NewProduct {
                    code: code.to_owned(),
                    name: name.to_owned(),
                    kind,
                    risk_grade: grade,
                    issuer: issuer.to_owned(),
                    on_sale,
                });
            }
            ControlFlow::Continue(())
        })
        .map_err(file_error)?;
    Ok(out)
}

/// Imports a product file: with `dry_run` only counts (what would be added, updated, unchanged) and
/// problems; otherwise, when no row has a problem, the whole file is upserted by code in one transaction
/// with its audit entry (file name and counts). The permission is checked before the bytes are looked
/// at, the byte bound before they are parsed, the row bound as they are read.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    file_name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> ServiceResult<ImportOutcome> {
    may_import(caller)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ServiceError::TooLarge { limit_mib: (MAX_FILE_BYTES >> 20) as u64 });
    }
    if bytes.is_empty() {
        return Err(ServiceError::invalid("empty_file", Text::new("imports.empty_file")));
    }
    let file_name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
    let parsed = tokio::task::spawn_blocking(move || parse(&bytes))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
    let mut outcome = ImportOutcome {
        file_name,
        rows: parsed.read,
        counts: ProductCounts::default(),
        problems: parsed.problems,
        problems_total: parsed.problems_total,
        committed: false,
    };
    if dry_run || outcome.problems_total > 0 {
        outcome.counts = state.store.preview_products(&parsed.rows).await?;
        return Ok(outcome);
    }
    let preview = state.store.preview_products(&parsed.rows).await?;
    let detail = Text::new("audit.products_imported")
        .arg("file", &outcome.file_name)
        .arg("added", preview.added)
        .arg("updated", preview.updated)
        .arg("unchanged", preview.unchanged)
        .with_values_cut(200);
    let entry =
        audit::entry(state, caller, AuditAction::ProductsImported, "products", &crate::stored_text::encode(&detail));
    let by = caller.staff.as_ref().map(|s| s.id);
    outcome.counts = state.store.upsert_products(&parsed.rows, by, state.clock.now(), &entry).await?;
    outcome.committed = true;
    Ok(outcome)
}

/// How long a checked file waits in the uploads folder for the console's confirm.
const STAGED_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// The vault label of a product file waiting for its confirm.
const STAGED_LABEL: &str = "product-file";

fn staged_path(state: &AppState, caller: &Caller, token: &str) -> ServiceResult<std::path::PathBuf> {
    // The token is ours (URL-safe base64); anything else names no staged file, and never a path.
    if token.is_empty() || token.len() > 64 || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ServiceError::NotFound);
    }
    let who = caller.staff.as_ref().map_or(0, |s| s.id.get());
    Ok(state.uploads_dir().join(format!("products-{who}-{token}.sealed")))
}

/// The console's first step: the dry run of an upload, and, when no row has a problem, the file kept
/// sealed for this caller for an hour so that the confirm writes exactly what was previewed. Returns
/// the outcome and the token to confirm with. Older staged files are removed on the way.
pub async fn stage(
    state: &AppState,
    caller: &Caller,
    file_name: &str,
    bytes: Vec<u8>,
) -> ServiceResult<(ImportOutcome, Option<String>)> {
    may_import(caller)?;
    let keep = bytes.clone();
    let outcome = import(state, caller, file_name, bytes, true).await?;
    if outcome.problems_total > 0 {
        return Ok((outcome, None));
    }
    let dir = state.uploads_dir();
    tokio::fs::create_dir_all(&dir).await.map_err(|e| ServiceError::Internal(format!("{}: {e}", dir.display())))?;
    if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
        while let Ok(Some(e)) = entries.next_entry().await {
            let old = e.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
            if e.file_name().to_string_lossy().starts_with("products-") && old.is_some_and(|age| age > STAGED_FOR) {
                let _gone = tokio::fs::remove_file(e.path()).await;
            }
        }
    }
    let token = crate::auth::random_secret();
    let path = staged_path(state, caller, &token)?;
    let vault = state.vault.clone();
    let sealed = tokio::task::spawn_blocking(move || vault.seal_bytes(STAGED_LABEL, &keep))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    tokio::fs::write(&path, sealed).await.map_err(|e| ServiceError::Internal(format!("{}: {e}", path.display())))?;
    Ok((outcome, Some(token)))
}

/// The console's confirm: the file [`stage`] kept for this caller, imported (checked again: the
/// catalogue may have changed meanwhile) and removed. An unknown or expired token is not found.
pub async fn commit_staged(
    state: &AppState,
    caller: &Caller,
    token: &str,
    file_name: &str,
) -> ServiceResult<ImportOutcome> {
    may_import(caller)?;
    let path = staged_path(state, caller, token)?;
    let sealed = tokio::fs::read(&path).await.map_err(|_| ServiceError::NotFound)?;
    let _gone = tokio::fs::remove_file(&path).await;
    let bytes = state
        .vault
        .open_bytes(STAGED_LABEL, &sealed)
        .map_err(|e| ServiceError::Internal(format!("staged product file: {e}")))?;
    import(state, caller, file_name, bytes, false).await
}

/// The file's header in a language, as the import reads it.
fn header(lang: FileLang) -> Vec<String> {
    COLUMNS.iter().map(|(_, _, _, h, _)| if lang == FileLang::En { h.1 } else { h.0 }.to_owned()).collect()
}

/// A product as a row of the file, in words the import reads back as the same product.
fn file_row(p: &NewProduct, lang: FileLang) -> Vec<String> {
    let l = if lang == FileLang::En { Lang::En } else { Lang::Zh };
    let kind = if lang == FileLang::En { p.kind.code().to_owned() } else { p.kind.text().render(Lang::Zh) };
    let grade = match (p.risk_grade, lang) {
        (None, _) => String::new(),
        (Some(g), FileLang::En) => g.label(),
        (Some(g), FileLang::Zh) => grade_label(g, l),
    };
    let on_sale = match (p.on_sale, lang) {
        (true, FileLang::Zh) => "是",
        (false, FileLang::Zh) => "否",
        (true, FileLang::En) => "yes",
        (false, FileLang::En) => "no",
    };
    vec![p.code.clone(), p.name.clone(), kind, grade, p.issuer.clone(), on_sale.to_owned()]
}

fn sheet_name(lang: FileLang) -> &'static str {
    if lang == FileLang::En { "products" } else { "产品目录" }
}

/// The product file template in a language: the header, a notes row and example rows of each type, the
/// notes and examples marked so that an upload of the template skips them.
pub fn template(caller: &Caller, lang: FileLang, format: Format) -> ServiceResult<Download> {
    may_import(caller)?;
    let pick = |pair: (&'static str, &'static str)| if lang == FileLang::En { pair.1 } else { pair.0 };
    let notes_mark = pick(("说明：", "Notes: "));
    let example_mark = pick(("示例：", "Example: "));
    let mut notes: Vec<String> = COLUMNS.iter().map(|c| pick(c.4).to_owned()).collect();
    notes[0].insert_str(0, notes_mark);
    let examples = [
        ("WM90D001", pick(("稳享系列理财 90天", "Steady 90-day wealth")), ProductType::Wealth, Some(2)),
        ("CD3Y001", pick(("三年期大额存单", "3-year certificate of deposit")), ProductType::Deposit, None),
    ];
    let mut rows = vec![notes];
    for (code, name, kind, grade) in examples {
        let p = NewProduct {
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            risk_grade: grade.and_then(ProductRiskGrade::new),
            issuer: pick(("本行", "the bank")).to_owned(),
            on_sale: true,
        };
        let mut r = file_row(&p, lang);
        r[0].insert_str(0, example_mark);
        rows.push(r);
    }
    let name = format!("siyu-product-template-{}.{}", lang.code(), format.extension());
    Ok(download::start(name, format, rows.len() as u64, sheet_name(lang), header(lang), Fixed(Some(rows))))
}

/// The catalogue page by page, as file rows.
struct Catalogue {
    state: AppState,
    filter: ProductFilter,
    next: i64,
    lang: FileLang,
    done: bool,
}

#[async_trait::async_trait]
impl download::Pages for Catalogue {
    async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
        if self.done {
            return Ok(None);
        }
        let page = Page { offset: self.next, limit: EXPORT_PAGE };
        let got = self.state.store.products(&self.filter, page).await?;
        self.next += EXPORT_PAGE;
        self.done = got.items.len() < EXPORT_PAGE as usize || self.next >= got.total;
        if got.items.is_empty() {
            return Ok(None);
        }
        Ok(Some(got.items.iter().map(|r| file_row(&r.product, self.lang)).collect()))
    }
}

/// The catalogue (filtered as a list is) as a file the import reads back unchanged. It holds no
/// customer, so it is not an audited export.
pub async fn export(
    state: &AppState,
    caller: &Caller,
    filter: ProductFilter,
    lang: FileLang,
    format: Format,
) -> ServiceResult<Download> {
    caller.require(Permission::ReadProducts)?;
    let total = state.store.products(&filter, Page { offset: 0, limit: 1 }).await?.total;
    let name = format!("siyu-products-{}.{}", state.clock.now().bank_date(), format.extension());
    let pages = Catalogue { state: state.clone(), filter, next: 0, lang, done: false };
    Ok(download::start(name, format, total.max(0) as u64, sheet_name(lang), header(lang), pages))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_csv(text: &str) -> Parsed {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn headers_are_read_in_both_languages() {
        for h in ["产品代码", "*产品代码", "Code", "product_code", "ＣＯＤＥ"] {
            assert_eq!(column_of(h), Some(Col::Code), "{h}");
        }
        assert_eq!(column_of("Risk Grade"), Some(Col::Grade));
        assert_eq!(column_of("是否在售"), Some(Col::OnSale));
        assert_eq!(column_of("备注"), None);
    }

    #[test]
    fn each_bad_row_is_named_with_its_column() {
        let p = parse_csv(
            "产品代码,产品名称,产品类型,风险等级,是否在售\n\
             A1,稳享,理财,R2,是\n\
             A2,基金一号,股票,R3,是\n\
             A3,稳享二号,理财,R9,是\n\
             A4,年金,保险,,是\n\
             ,无码,存款,,是\n\
             A1,重复,存款,,也许\n",
        );
        let got: Vec<(i64, &str, &str)> = p.problems.iter().map(|x| (x.row, x.column.as_str(), x.code)).collect();
        assert_eq!(
            got,
            [
                (3, "产品类型", "unknown_type"),
                (4, "风险等级", "bad_grade"),
                (5, "风险等级", "grade_required"),
                (6, "产品代码", "empty_code"),
                (7, "产品代码", "duplicate_code"),
                (7, "是否在售", "bad_on_sale"),
            ]
        );
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn deposits_loans_and_cards_may_be_ungraded_and_blank_is_on_sale() {
        let p = parse_csv("code,name,type\nD1,Deposit,deposit\nL1,Loan,贷款\nC1,Card,信用卡\n");
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert!(p.rows.iter().all(|r| r.on_sale && r.risk_grade.is_none()));
    }

    #[test]
    fn a_title_above_the_header_is_skipped() {
        let p = parse_csv("2026年产品目录\n\n产品代码,产品名称,产品类型\nD1,大额存单,存款\n");
        assert_eq!((p.rows.len(), p.problems.len()), (1, 0), "{:?}", p.problems);
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused() {
        let e = parse("产品代码,产品名称\nA,B\n".as_bytes()).err().unwrap();
        assert_eq!(e.code(), "missing_column");
    }

    #[test]
    fn rows_written_read_back_as_the_same_products() {
        for lang in [FileLang::Zh, FileLang::En] {
            let p = NewProduct {
                code: "F300".into(),
                name: "沪深300指数基金".into(),
                kind: ProductType::Fund,
                risk_grade: ProductRiskGrade::new(4),
                issuer: "某基金公司".into(),
                on_sale: false,
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header(lang)).unwrap();
            w.write_record(file_row(&p, lang)).unwrap();
            let bytes = w.into_inner().unwrap();
            let got = parse(&bytes).unwrap();
            assert_eq!(got.rows, [p], "{lang:?}");
        }
    }
}
