//! Importing customer files: upload (kept sealed), dry run, commit of the good rows, and the rejected
//! rows handed back as a CSV. The long steps run as jobs (`jobs::import` holds their bodies); the
//! command line runs them in place.

use siyu_domain::lang::{Lang, Text};
use std::collections::HashMap;

use siyu_domain::ImportId;
use siyu_domain::audit::AuditAction;
use siyu_domain::import::Field;
use siyu_domain::import_template::{self, FileLang};
use siyu_domain::scope::Permission;
use siyu_store::{ImportProblem, ImportRecord, ImportStatus, Page, Paged, UpsertCounts};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::import::{UPLOAD_LABEL, pipeline};
use crate::jobs::import::{ImportCommit, ImportError, ImportPayload, ImportValidate};
use crate::jobs::{self, Options};
use crate::services::audit;
use crate::services::download::{self, Download, Format};
use crate::state::AppState;

/// Operator overrides of header → field, as JSON `{"手机": "phone", "备注": "ignore"}`, bounded in
/// length and columns before they are parsed (see [`pipeline::parse_mapping`]).
pub fn parse_mapping(json: &str) -> ServiceResult<HashMap<String, Field>> {
    pipeline::parse_mapping(json)
        .map_err(|e| ServiceError::invalid("bad_mapping", Text::new("imports.bad_mapping").arg("detail", e)))
}

/// Whether the caller may upload customer files; asked before the upload is read.
pub fn may_upload(caller: &Caller) -> ServiceResult<()> {
    caller.require(Permission::ImportCustomers)
}

/// A turn to read and keep an upload; held until the upload is stored, so that however many arrive at
/// once, only a few files are in memory. Waited for a minute at most: uploads trickled by their
/// senders must not make everyone else wait without end (`Busy` asks them to come back).
pub async fn file_slot(state: &AppState) -> ServiceResult<tokio::sync::OwnedSemaphorePermit> {
    let wait = state.file_work.clone().acquire_owned();
    match tokio::time::timeout(FILE_SLOT_WAIT, wait).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(ServiceError::Internal("the file semaphore is closed".into())),
        Err(_) => Err(ServiceError::Busy),
    }
}

/// How long an upload waits for its turn.
const FILE_SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Keeps the file (sealed) and queues its dry run.
pub async fn upload(
    state: &AppState,
    caller: &Caller,
    file_name: &str,
    bytes: Vec<u8>,
    mapping_json: &str,
) -> ServiceResult<ImportId> {
    let id = store_upload(state, caller, file_name, bytes, mapping_json).await?;
    jobs::enqueue::<ImportValidate>(state, &ImportPayload::new(id, caller), Options::now()).await?;
    Ok(id)
}

/// Keeps the file (sealed) and records the import, without queueing anything: the command line runs
/// the steps itself ([`validate_now`], [`commit_now`]).
pub async fn store_upload(
    state: &AppState,
    caller: &Caller,
    file_name: &str,
    bytes: Vec<u8>,
    mapping_json: &str,
) -> ServiceResult<ImportId> {
    may_upload(caller)?;
    let limit = state.config.server.max_upload_mib;
    if bytes.len() as u64 > limit * (1 << 20) {
        return Err(ServiceError::TooLarge { limit_mib: limit });
    }
    if bytes.is_empty() {
        return Err(ServiceError::invalid("empty_file", Text::new("imports.empty_file")));
    }
    parse_mapping(mapping_json)?;
    let dir = state.uploads_dir();
    tokio::fs::create_dir_all(&dir).await.map_err(|e| ServiceError::Internal(format!("{}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.sealed", crate::auth::random_secret()));
    let vault = state.vault.clone();
    let sealed = tokio::task::spawn_blocking(move || vault.seal_bytes(UPLOAD_LABEL, &bytes))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    tokio::fs::write(&path, sealed).await.map_err(|e| ServiceError::Internal(format!("{}: {e}", path.display())))?;
    let file_name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
    let new = siyu_store::NewImport {
        file_name,
        stored_path: path.display().to_string(),
        mapping_json: mapping_json.to_owned(),
        created_by: caller.staff.as_ref().map(|s| s.id),
        created_at: state.clock.now(),
    };
    Ok(state.store.create_import(&new).await?)
}

/// Runs the dry run of a stored upload here and now rather than as a job (the command line shows its
/// progress), for a caller who may import.
pub async fn validate_now(
    state: &AppState,
    caller: &Caller,
    id: ImportId,
    progress: &(dyn Fn(i64) + Send + Sync),
) -> Result<(), ImportError> {
    caller.require(Permission::ImportCustomers)?;
    jobs::import::run_validation(state, id, caller.staff.as_ref().map(|s| s.id), progress).await
}

/// Commits an import here and now rather than as a job, for a caller who may import: a validated one
/// is moved to committing first; one already committing (an earlier attempt died) resumes after its
/// last batch; a committed one is left as it is. `on_batch` hears the rows committed so far, of all.
pub async fn commit_now(
    state: &AppState,
    caller: &Caller,
    id: ImportId,
    on_batch: &(dyn Fn(i64, i64) + Send + Sync),
) -> Result<UpsertCounts, ImportError> {
    caller.require(Permission::ImportCustomers)?;
    if state.store.import(id).await?.status == ImportStatus::Validated {
        state.store.start_commit(id, state.clock.now()).await?;
    }
    jobs::import::run_commit(state, id, caller, on_batch).await
}

pub async fn list(state: &AppState, caller: &Caller, page: Page) -> ServiceResult<Paged<ImportRecord>> {
    caller.require(Permission::ImportCustomers)?;
    Ok(state.store.list_imports(page).await?)
}

pub async fn get(state: &AppState, caller: &Caller, id: ImportId) -> ServiceResult<ImportRecord> {
    caller.require(Permission::ImportCustomers)?;
    Ok(state.store.import(id).await?)
}

pub async fn problems(
    state: &AppState,
    caller: &Caller,
    id: ImportId,
    page: Page,
) -> ServiceResult<Paged<ImportProblem>> {
    caller.require(Permission::ImportCustomers)?;
    // The sealed row stays inside (`ImportProblem` never serialises it): reports show where and why,
    // not the row's personal data. Emptied here too, for callers that read the fields.
    let mut p = state.store.import_problems(id, page).await?;
    for item in &mut p.items {
        item.raw_json.clear();
    }
    Ok(p)
}

/// Runs the dry run again with the operator's column mapping (header → field).
pub async fn remap(
    state: &AppState,
    caller: &Caller,
    id: ImportId,
    mapping: &HashMap<String, Field>,
) -> ServiceResult<()> {
    caller.require(Permission::ImportCustomers)?;
    if mapping.len() > pipeline::MAX_MAPPING_COLUMNS {
        return Err(ServiceError::invalid("bad_mapping", Text::new("imports.mapping_too_many")));
    }
    let rec = state.store.import(id).await?;
    if !rec.status.remappable() {
        return Err(not_remappable());
    }
    if !std::path::Path::new(&rec.stored_path).exists() {
        return Err(ServiceError::invalid("file_gone", Text::new("imports.file_gone")));
    }
    let json = serde_json::to_string(mapping).map_err(|e| ServiceError::Internal(e.to_string()))?;
    if json.len() > pipeline::MAX_MAPPING_BYTES {
        return Err(ServiceError::invalid("bad_mapping", Text::new("imports.mapping_too_long")));
    }
    state.store.restart_validation(id, &json, state.clock.now()).await.map_err(|e| match e {
        siyu_store::StoreError::Stale(_) => not_remappable(),
        other => other.into(),
    })?;
    jobs::enqueue::<ImportValidate>(state, &ImportPayload::new(id, caller), Options::now()).await?;
    Ok(())
}

fn not_remappable() -> ServiceError {
    ServiceError::invalid("not_remappable", Text::new("imports.not_remappable"))
}

/// The customer file template in a language: every column the import knows (the required ones marked
/// `*`), a row of notes and an example row, which an upload of the template skips. Written through
/// the same formula-free writer as every file siyu hands out.
pub fn template(caller: &Caller, lang: FileLang, format: Format) -> ServiceResult<Download> {
    caller.require(Permission::ImportCustomers)?;
    let mut rows = import_template::rows(lang);
    let header = rows.remove(0);
    let name = format!("siyu-customer-template-{}.{}", lang.code(), format.extension());
    let sheet = if lang == FileLang::En { "customers" } else { "客户" };
    Ok(download::start(name, format, rows.len() as u64, sheet, header, Fixed(Some(rows))))
}

/// Rows known in advance, handed over as one page (the product template's too).
pub(crate) struct Fixed(pub(crate) Option<Vec<Vec<String>>>);

#[async_trait::async_trait]
impl download::Pages for Fixed {
    async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
        Ok(self.0.take())
    }
}

/// Moves a validated import to committing and queues the commit.
pub async fn request_commit(state: &AppState, caller: &Caller, id: ImportId) -> ServiceResult<()> {
    caller.require(Permission::ImportCustomers)?;
    let rec = state.store.import(id).await?;
    if rec.status != ImportStatus::Validated {
        return Err(ServiceError::invalid(
            "not_committable",
            Text::new("imports.not_committable")
                .text("status", Text::new(&format!("import_status.{}", rec.status.as_str()))),
        ));
    }
    state.store.start_commit(id, state.clock.now()).await?;
    jobs::enqueue::<ImportCommit>(state, &ImportPayload::new(id, caller), Options::now()).await?;
    Ok(())
}

/// The rejected rows as a CSV with a column of reasons, written while it is sent (see
/// [`crate::services::download`]). It holds personal data in clear, so it is an audited export; the
/// audit entry is written before the first byte goes out.
pub async fn rejected_csv(state: &AppState, caller: &Caller, id: ImportId, lang: Lang) -> ServiceResult<Download> {
    caller.require(Permission::ImportCustomers)?;
    let rec = state.store.import(id).await?;
    let headers: Vec<String> = serde_json::from_str(&rec.headers_json).unwrap_or_default();
    let rows = u64::try_from(rec.bad_rows).unwrap_or(0);
    audit::record(state, caller, AuditAction::Export, &id.to_string(), &format!("rejected rows: {rows}")).await?;
    let mut head = vec![Text::new("imports.csv_row").render(lang)];
    head.extend(headers.iter().cloned());
    head.push(Text::new("imports.csv_problems").render(lang));
    let pages =
        Rejected { state: state.clone(), id, lang, columns: headers.len(), next_page: 1, pending: None, done: false };
    let name = format!("{id}-rejected.csv");
    Ok(download::start(name, download::Format::Csv, rows, "rejected", head, pages))
}

/// The rejected rows still to write: problems are stored one per row and column, in row order, so a
/// row's reasons may straddle two pages; the last row of a page waits for the next.
struct Rejected {
    state: AppState,
    id: ImportId,
    /// The language the reasons are written in: the downloader's.
    lang: Lang,
    columns: usize,
    next_page: i64,
    pending: Option<(i64, String, Vec<String>)>,
    done: bool,
}

impl Rejected {
    fn cells(&self, (row_no, reason, mut cells): (i64, String, Vec<String>)) -> Vec<String> {
        cells.resize(self.columns, String::new());
        let mut rec = Vec::with_capacity(self.columns + 2);
        rec.push(row_no.to_string());
        rec.extend(cells);
        rec.push(reason);
        rec
    }
}

#[async_trait::async_trait]
impl download::Pages for Rejected {
    async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
        if self.done {
            return Ok(None);
        }
        let page = self.state.store.import_problems(self.id, Page::numbered(self.next_page, Page::MAX_LIMIT)).await?;
        self.next_page += 1;
        let last_page = page.items.len() < Page::MAX_LIMIT as usize;
        let mut out = Vec::new();
        for p in page.items {
            let reason = format!("[{}] {}", p.column, crate::stored_text::decode(&p.message).render(self.lang));
            match &mut self.pending {
                Some(row) if row.0 == p.row_no => {
                    row.1.push_str("; ");
                    row.1.push_str(&reason);
                }
                _ => {
                    let raw = self
                        .state
                        .vault
                        .open_text(pipeline::ROW_LABEL, &p.raw_json)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    let cells: Vec<String> = serde_json::from_str(&raw).unwrap_or_default();
                    if let Some(done) = self.pending.replace((p.row_no, reason, cells)) {
                        out.push(self.cells(done));
                    }
                }
            }
        }
        if last_page {
            self.done = true;
            if let Some(done) = self.pending.take() {
                out.push(self.cells(done));
            }
        }
        Ok(Some(out))
    }
}
