//! Importing customer files: upload (kept sealed), dry run, commit of the good rows, and the rejected
//! rows handed back as a CSV. The long steps run as jobs; this module holds both the requests and the
//! job bodies.

use std::collections::HashMap;
use std::sync::Arc;

use siyu_domain::ImportId;
use siyu_domain::audit::AuditAction;
use siyu_domain::import::Field;
use siyu_domain::scope::Permission;
use siyu_store::{ImportProblem, ImportRecord, ImportStatus, Page, Paged, UpsertCounts};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::import::pipeline::{self, Lookups, Produced};
use crate::services::audit;
use crate::services::download::{self, Download};
use crate::state::AppState;

/// The vault label of uploaded files.
const UPLOAD_LABEL: &str = "upload";

/// Operator overrides of header → field, as JSON `{"手机": "phone", "备注": "ignore"}`.
pub fn parse_mapping(json: &str) -> ServiceResult<HashMap<String, Field>> {
    if json.trim().is_empty() {
        return Ok(HashMap::new());
    }
    serde_json::from_str(json).map_err(|e| {
        ServiceError::invalid("bad_mapping", format!("列映射格式错误 / the column mapping is not valid: {e}"))
    })
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
    crate::jobs::enqueue(state, crate::jobs::IMPORT_VALIDATE, &job_payload(id, caller)).await?;
    Ok(id)
}

/// Keeps the file (sealed) and records the import, without queueing anything: the command line runs
/// the steps itself.
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
        return Err(ServiceError::invalid("empty_file", "文件为空 / the file is empty"));
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

fn job_payload(id: ImportId, caller: &Caller) -> String {
    serde_json::json!({ "import_id": id, "actor": caller.name(), "staff_id": caller.staff.as_ref().map(|s| s.id) })
        .to_string()
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
    let rec = state.store.import(id).await?;
    if !std::path::Path::new(&rec.stored_path).exists() {
        return Err(ServiceError::invalid(
            "file_gone",
            "原文件已不可用，请重新上传 / the uploaded file is gone; upload it again",
        ));
    }
    let json = serde_json::to_string(mapping).map_err(|e| ServiceError::Internal(e.to_string()))?;
    state.store.restart_validation(id, &json, state.clock.now()).await.map_err(|e| match e {
        siyu_store::StoreError::Stale(_) => ServiceError::invalid(
            "not_remappable",
            "只有被拒绝或待确认的导入可以重新映射 / only a rejected or validated import can be re-mapped",
        ),
        other => other.into(),
    })?;
    crate::jobs::enqueue(state, crate::jobs::IMPORT_VALIDATE, &job_payload(id, caller)).await
}

/// Moves a validated import to committing and queues the commit.
pub async fn request_commit(state: &AppState, caller: &Caller, id: ImportId) -> ServiceResult<()> {
    caller.require(Permission::ImportCustomers)?;
    let rec = state.store.import(id).await?;
    if rec.status != ImportStatus::Validated {
        return Err(ServiceError::invalid(
            "not_committable",
            format!(
                "导入状态为 {}，不能提交 / the import is {}, not validated",
                rec.status.as_str(),
                rec.status.as_str()
            ),
        ));
    }
    state.store.start_commit(id, state.clock.now()).await?;
    crate::jobs::enqueue(state, crate::jobs::IMPORT_COMMIT, &job_payload(id, caller)).await?;
    Ok(())
}

/// The rejected rows as a CSV with a column of reasons, written while it is sent (see
/// [`crate::services::download`]). It holds personal data in clear, so it is an audited export; the
/// audit entry is written before the first byte goes out.
pub async fn rejected_csv(state: &AppState, caller: &Caller, id: ImportId) -> ServiceResult<Download> {
    caller.require(Permission::ImportCustomers)?;
    let rec = state.store.import(id).await?;
    let headers: Vec<String> = serde_json::from_str(&rec.headers_json).unwrap_or_default();
    let rows = u64::try_from(rec.bad_rows).unwrap_or(0);
    audit::record(state, caller, AuditAction::Export, &id.to_string(), &format!("rejected rows: {rows}")).await?;
    let mut head = vec!["行号/row".to_owned()];
    head.extend(headers.iter().cloned());
    head.push("错误原因/problems".into());
    let pages = Rejected { state: state.clone(), id, columns: headers.len(), next_page: 1, pending: None, done: false };
    let name = format!("{id}-rejected.csv");
    Ok(download::start(name, download::Format::Csv, rows, "rejected", head, pages))
}

/// The rejected rows still to write: problems are stored one per row and column, in row order, so a
/// row's reasons may straddle two pages; the last row of a page waits for the next.
struct Rejected {
    state: AppState,
    id: ImportId,
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
            let reason = format!("[{}] {}", p.column, p.message);
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

/// The upload's bytes. Its error becomes the job's `last_error`, which the console and the API show,
/// so it names the import, not the server path (the log gets that).
async fn load_file(state: &AppState, rec: &ImportRecord) -> Result<Vec<u8>, String> {
    let sealed = tokio::fs::read(&rec.stored_path).await.map_err(|e| {
        tracing::warn!(import = %rec.id, path = %rec.stored_path, error = %e, "upload unreadable");
        format!("upload of {} unreadable: {}", rec.id, e.kind())
    })?;
    let vault = state.vault.clone();
    tokio::task::spawn_blocking(move || vault.open_bytes(UPLOAD_LABEL, &sealed))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("upload of {}: {e}", rec.id))
}

async fn remove_file(rec: &ImportRecord) {
    if let Err(e) = tokio::fs::remove_file(&rec.stored_path).await {
        tracing::warn!(path = %rec.stored_path, error = %e, "could not remove an upload");
    }
}

/// The day an import's rows are judged on ("is this date in the future?"): the bank date of the upload,
/// the same for its dry run, a re-mapped dry run and its commit, however long after they run.
pub fn judged_on(rec: &ImportRecord) -> chrono::NaiveDate {
    rec.created_at.bank_date()
}

/// Job body: the dry run. Idempotent: a re-run after a crash finds the import no longer validating and
/// stops.
pub async fn run_validation(
    state: &AppState,
    id: ImportId,
    progress: &(dyn Fn(i64) + Send + Sync),
) -> Result<(), String> {
    let rec = state.store.import(id).await.map_err(|e| e.to_string())?;
    if rec.status != ImportStatus::Validating {
        return Ok(());
    }
    let bytes = load_file(state, &rec).await?;
    let overrides = parse_mapping(&rec.mapping_json).map_err(|e| e.to_string())?;
    let lookups = Lookups::load(&*state.store).await.map_err(|e| e.to_string())?;
    let vault = state.vault.clone();
    let today = judged_on(&rec);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let work = tokio::task::spawn_blocking(move || {
        pipeline::dry_run(&bytes, &overrides, &lookups, &vault, today, &|n| {
            let _ = tx.send(n);
        })
    });
    let relay = async {
        while let Some(n) = rx.recv().await {
            progress(n);
        }
    };
    let (outcome, ()) = tokio::join!(work, relay);
    let outcome = outcome.map_err(|e| e.to_string())?;
    state
        .store
        .record_validation(id, &outcome.validation, &outcome.problems, state.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    // A file whose header could be read is kept so the operator can map its columns and try again;
    // one that could not be read at all is useless and goes.
    if outcome.validation.status == ImportStatus::Rejected && outcome.validation.headers_json == "[]" {
        remove_file(&rec).await;
    }
    Ok(())
}

/// Job body: commits the good rows in checkpointed batches. A re-run resumes after the last committed
/// batch; a batch is never applied twice (see `ImportStore::commit_import_batch`).
pub async fn run_commit(
    state: &AppState,
    id: ImportId,
    caller: &Caller,
    on_batch: &(dyn Fn(i64, i64) + Send + Sync),
) -> Result<UpsertCounts, String> {
    let rec = state.store.import(id).await.map_err(|e| e.to_string())?;
    if rec.status == ImportStatus::Committed {
        // Marked (with its audit entry) by an earlier attempt that may have died before the cleanup.
        remove_upload_left(&rec).await;
        return Ok(rec.counts);
    }
    if rec.status != ImportStatus::Committing {
        return Err(format!("{id} is {}, not committing", rec.status.as_str()));
    }
    let bytes = Arc::new(load_file(state, &rec).await?);
    let overrides = parse_mapping(&rec.mapping_json).map_err(|e| e.to_string())?;
    let lookups = Arc::new(Lookups::load(&*state.store).await.map_err(|e| e.to_string())?);
    let mut rx =
        pipeline::spawn_producer(bytes, overrides, lookups, state.vault.clone(), judged_on(&rec), rec.rows_committed);
    // The audience engine follows the commit on the other core: each batch's written customers are
    // re-read into it while the next batch is written, and the import is marked committed only once it
    // has caught up, so a count after "committed" includes every row.
    // Bulk feeding ends however this function returns (the guard's drop), so a failed commit cannot
    // leave the engine without its range bitmaps.
    let _bulk = (rec.good_rows >= BULK_ROWS).then(|| BulkFeed::start(state.engine.clone()));
    // Two batches may wait for the follower; past that the writer waits, so a follower that falls
    // behind (many changed rows to re-read) cannot pile the whole file up in memory.
    let (follow_tx, mut follow_rx) = tokio::sync::mpsc::channel::<Follow>(2);
    let follower = {
        let state = state.clone();
        tokio::spawn(async move {
            while let Some(f) = follow_rx.recv().await {
                match f {
                    Follow::Facts(facts) => state.engine.note_facts(&facts, state.clock.now()),
                    Follow::Batch(rows, written) => {
                        // A new row is exactly what the file said; a changed one is re-read (the file
                        // may have held only some of its columns).
                        let (new, changed): (Vec<_>, Vec<_>) = written.into_iter().partition(|w| w.inserted);
                        let by_no: HashMap<&str, &siyu_store::NewCustomer> =
                            rows.iter().map(|r| (r.customer_no.as_str(), r)).collect();
                        let facts: Vec<_> = new
                            .iter()
                            .filter_map(|w| by_no.get(w.customer_no.as_str()).map(|r| facts_of_new(w.id, r)))
                            .collect();
                        state.engine.note_facts(&facts, state.clock.now());
                        if !changed.is_empty() {
                            let ids: Vec<_> = changed.into_iter().map(|w| w.id).collect();
                            state.engine.note_customers(&*state.store, &ids, state.clock.now()).await?;
                        }
                    }
                }
            }
            Ok::<(), siyu_store::StoreError>(())
        })
    };
    if rec.rows_committed > 0 {
        // A resumed commit: the batches an earlier attempt wrote are re-read as one (from the upload on).
        let all = state.store.customer_facts(0, i64::MAX, Some(rec.created_at)).await.map_err(|e| e.to_string())?;
        let _ = follow_tx.send(Follow::Facts(all)).await;
    }
    let mut fields = None;
    let mut committed = rec.rows_committed;
    while let Some(msg) = rx.recv().await {
        match msg {
            Produced::Fields(f) => fields = Some(f),
            Produced::Failed(e) => return Err(e),
            Produced::Batch(rows) => {
                let f = fields.as_ref().ok_or("producer sent rows before fields")?;
                let (_, written) = state
                    .store
                    .commit_import_batch(id, committed, &rows, f, state.clock.now())
                    .await
                    .map_err(|e| e.to_string())?;
                let n = rows.len() as i64;
                // The engine is told on the other core, while the next batch is written.
                let _ = follow_tx.send(Follow::Batch(rows, written)).await;
                committed += n;
                state.metrics.import_rows_committed.inc_by(n as u64);
                on_batch(committed, rec.good_rows);
            }
        }
    }
    drop(follow_tx);
    follower.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    drop(_bulk);
    crate::services::tags::schedule_refresh(state).await;
    // Every batch is in: the counts are final. The committed mark and its audit entry are one
    // transaction, so a crash cannot leave an import committed that the audit log does not show; the
    // upload goes only after both (a re-run after the mark still removes it, above).
    let done = state.store.import(id).await.map_err(|e| e.to_string())?;
    let c = done.counts;
    let detail = format!(
        "{}: {} inserted, {} updated, {} unchanged, {} rejected",
        done.file_name, c.inserted, c.updated, c.unchanged, done.bad_rows
    );
    let entry = audit::entry(state, caller, AuditAction::ImportCommitted, &id.to_string(), &detail);
    state.store.mark_import_committed(id, &entry, state.clock.now()).await.map_err(|e| e.to_string())?;
    remove_file(&rec).await;
    Ok(c)
}

/// Removes an upload an earlier attempt may have left behind (gone already is fine).
async fn remove_upload_left(rec: &ImportRecord) {
    match tokio::fs::remove_file(&rec.stored_path).await {
        Ok(()) => tracing::info!(import = %rec.id, "upload left by an earlier attempt removed"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(path = %rec.stored_path, error = %e, "could not remove an upload"),
    }
}

/// From this many rows on, a commit feeds the audience engine in bulk.
const BULK_ROWS: i64 = 100_000;

/// The audience engine in bulk mode while it is held.
struct BulkFeed(Arc<crate::engine::Engine>);

impl BulkFeed {
    fn start(engine: Arc<crate::engine::Engine>) -> Self {
        engine.begin_bulk();
        Self(engine)
    }
}

impl Drop for BulkFeed {
    fn drop(&mut self) {
        self.0.end_bulk();
    }
}

/// What the audience engine is told as a commit goes.
enum Follow {
    /// Customers an earlier, interrupted attempt wrote, as stored.
    Facts(Vec<siyu_store::CustomerFacts>),
    /// A committed batch: its rows, and which of them the store inserted or changed.
    Batch(Vec<siyu_store::NewCustomer>, Vec<siyu_store::WrittenRow>),
}

/// A new customer's selectable facts, from the row that inserted them.
fn facts_of_new(id: siyu_domain::CustomerId, r: &siyu_store::NewCustomer) -> siyu_store::CustomerFacts {
    siyu_store::CustomerFacts {
        id,
        owner_id: r.owner_id,
        sub_branch_id: r.sub_branch_id,
        gender: r.gender.as_str().to_owned(),
        birthday: r.birthday,
        aum_tier: r.aum_tier.get(),
        risk_grade: r.risk.map(|x| x.grade.get()),
        payroll_day: r.segments.payroll_day,
        credit_card: r.segments.credit_card,
        wealth: r.segments.wealth,
        loan: r.segments.loan,
    }
}
