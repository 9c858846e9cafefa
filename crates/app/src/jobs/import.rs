//! The import jobs: the dry run of an upload, and the commit of its good rows in checkpointed batches.
//! `services::imports` queues them (or, for the command line, runs them in place after its own
//! permission check); their bodies live here.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::scope::{Actor, ApiScope};
use siyu_domain::{ImportId, StaffId};
use siyu_store::{ImportRecord, ImportStatus, StoreError, UpsertCounts};

use super::{Job, JobContext, JobError};
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::import::pipeline::{self, Lookups, Produced};
use crate::import::{UPLOAD_LABEL, judged_on};
use crate::services::{audit, imports};
use crate::state::AppState;

/// Payload of the import jobs: which import, and who asked (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPayload {
    pub import_id: ImportId,
    /// How the audit log names the requester (`hq01`, `token:core`).
    pub actor: String,
    pub staff_id: Option<StaffId>,
}

impl ImportPayload {
    pub fn new(import_id: ImportId, caller: &Caller) -> Self {
        Self { import_id, actor: caller.name(), staff_id: caller.staff.as_ref().map(|s| s.id) }
    }

    /// The person (or system) who queued the job, as the audit log should name them.
    async fn requester(&self, state: &AppState) -> Caller {
        let staff = match self.staff_id {
            Some(id) => state.store.staff(id).await.ok(),
            None => None,
        };
        let actor = match &staff {
            Some(s) => Actor::Staff { id: s.id, role: s.role, org_unit_id: s.org_unit_id },
            None => Actor::System {
                token_name: self.actor.trim_start_matches("token:").to_owned(),
                scopes: vec![ApiScope::CustomersImport],
            },
        };
        Caller { actor, staff, csrf: None, ip: "job".into() }
    }
}

/// Why an import step failed. Its text is for the log; what people read of it (the job's `last_error`,
/// a failed commit's `file_error`) is `jobs::error::import_text`. It still names the import, never a
/// server path.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Refused before it started (not allowed, no such import), or its mapping does not read.
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("upload of {import} unreadable: {kind}")]
    Unreadable { import: ImportId, kind: std::io::ErrorKind },
    #[error("upload of {import}: {source}")]
    Unsealed { import: ImportId, source: siyu_vault::VaultError },
    #[error("{import} is {}, not committing", status.as_str())]
    NotCommitting { import: ImportId, status: ImportStatus },
    /// The file could not be read as it was at the dry run.
    #[error("{0}")]
    File(String),
    #[error("producer sent rows before fields")]
    RowsBeforeFields,
    /// A blocking step panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

/// The dry run of an upload.
pub struct ImportValidate;

impl Job for ImportValidate {
    const NAME: &'static str = "import.validate";
    type Payload = ImportPayload;

    async fn run(&self, ctx: &JobContext<'_>, p: ImportPayload) -> Result<(), JobError> {
        let progress = ctx.state.import_progress.clone();
        let id = p.import_id;
        let result = run_validation(ctx.state, id, p.staff_id, &move |n| progress.set(id, n)).await;
        ctx.state.import_progress.clear(id);
        result.map_err(JobError::retry)
    }
}

/// The commit of a validated import's good rows.
pub struct ImportCommit;

impl Job for ImportCommit {
    const NAME: &'static str = "import.commit";
    type Payload = ImportPayload;

    async fn run(&self, ctx: &JobContext<'_>, p: ImportPayload) -> Result<(), JobError> {
        let caller = p.requester(ctx.state).await;
        // The worker renews the lease while this runs, so a commit of a million rows is never taken
        // over by another worker while this one is alive.
        match run_commit(ctx.state, p.import_id, &caller, &|_, _| {}).await {
            Ok(_) => Ok(()),
            Err(e) if ctx.job.attempts >= ctx.job.max_attempts => {
                // The import's page says what went wrong in the reader's language; the cause is logged.
                tracing::warn!(import = %p.import_id, error = %e, "import commit failed for good");
                let why = crate::stored_text::encode(&super::error::import_text(&e));
                let now = ctx.state.clock.now();
                let _ = ctx.state.store.finish_import(p.import_id, ImportStatus::Failed, Some(&why), now).await;
                Err(JobError::permanent(e))
            }
            Err(e) => Err(JobError::retry(e)),
        }
    }
}

/// The upload's bytes.
async fn load_file(state: &AppState, rec: &ImportRecord) -> Result<Vec<u8>, ImportError> {
    let sealed = tokio::fs::read(&rec.stored_path).await.map_err(|e| {
        tracing::warn!(import = %rec.id, path = %rec.stored_path, error = %e, "upload unreadable");
        ImportError::Unreadable { import: rec.id, kind: e.kind() }
    })?;
    let vault = state.vault.clone();
    tokio::task::spawn_blocking(move || vault.open_bytes(UPLOAD_LABEL, &sealed))
        .await?
        .map_err(|source| ImportError::Unsealed { import: rec.id, source })
}

async fn remove_file(rec: &ImportRecord) {
    if let Err(e) = tokio::fs::remove_file(&rec.stored_path).await {
        tracing::warn!(path = %rec.stored_path, error = %e, "could not remove an upload");
    }
}

/// The dry run. Idempotent: a re-run after a crash finds the import no longer validating and stops.
/// Besides the problems it previews what a commit would do (new, updated, unchanged rows), asking the
/// store about each batch of good rows while the next is read. A dry run with the operator's own
/// mapping that maps the file remembers that mapping for its header row; `by` is who chose it. Only
/// people's uploads remember a mapping or are mapped by one remembered: a file a system sends with an
/// API token is read by its own mapping alone, so no operator's choice silently rewires a nightly feed.
pub(crate) async fn run_validation(
    state: &AppState,
    id: ImportId,
    by: Option<StaffId>,
    progress: &(dyn Fn(i64) + Send + Sync),
) -> Result<(), ImportError> {
    let rec = state.store.import(id).await?;
    if rec.status != ImportStatus::Validating {
        return Ok(());
    }
    let bytes = load_file(state, &rec).await?;
    let overrides = imports::parse_mapping(&rec.mapping_json)?;
    let own_mapping = !overrides.is_empty();
    let lookups = Lookups::load(&*state.store).await?;
    let vault = state.vault.clone();
    let today = judged_on(&rec);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Two batches in flight: one being asked about, one being sealed.
    let (good_tx, mut good_rx) = tokio::sync::mpsc::channel(2);
    let sink = JobSink {
        progress: tx,
        good: good_tx,
        store: state.store.clone(),
        runtime: tokio::runtime::Handle::current(),
        remembered: by.is_some(),
    };
    let work =
        tokio::task::spawn_blocking(move || pipeline::dry_run(&bytes, &overrides, &lookups, &vault, today, &sink));
    let relay = async {
        while let Some(n) = rx.recv().await {
            progress(n);
        }
    };
    let preview = async {
        let mut fields = None;
        let mut counts = UpsertCounts::default();
        while let Some(produced) = good_rx.recv().await {
            match produced {
                Produced::Fields(f) => fields = Some(f),
                Produced::Batch(rows) => {
                    let f = fields.as_ref().ok_or(ImportError::RowsBeforeFields)?;
                    counts += state.store.preview_upsert(&rows, f).await?;
                }
                Produced::Failed(e) => return Err(ImportError::File(e)),
            }
        }
        Ok(counts)
    };
    let (outcome, (), preview) = tokio::join!(work, relay, preview);
    let mut outcome = outcome?;
    outcome.validation.preview = preview?;
    state.store.record_validation(id, &outcome.validation, &outcome.problems, state.clock.now()).await?;
    if own_mapping && by.is_some() && outcome.validation.status == ImportStatus::Validated {
        let headers: Vec<String> = serde_json::from_str(&outcome.validation.headers_json).unwrap_or_default();
        let key = crate::import::header_key(&headers);
        let before = state.store.remembered_mapping(&key).await?;
        if let Some(change) = mapping_change(&headers, &key, before.as_deref(), &rec.mapping_json)
            && let Some(staff) = by
        {
            // Written before the mapping is: a crash between the two leaves an entry for a change that
            // did not happen (the next dry run makes it), never a change without its entry.
            let who = state.store.staff(staff).await?;
            let entry = siyu_domain::audit::NewAuditEntry {
                at: state.clock.now(),
                staff_id: Some(staff),
                actor: who.username,
                action: AuditAction::MappingRemembered,
                target: id.to_string(),
                detail: crate::stored_text::encode(&change),
                ip: None,
            };
            state.store.append_audit(&entry).await?;
        }
        state.store.remember_mapping(&key, &rec.mapping_json, by, state.clock.now()).await?;
    }
    // A file whose header could be read is kept so the operator can map its columns and try again;
    // one that could not be read at all is useless and goes.
    if outcome.validation.status == ImportStatus::Rejected && outcome.validation.headers_json == "[]" {
        remove_file(&rec).await;
    }
    Ok(())
}

/// What changes when `after` becomes the remembered mapping of the header row `headers` (stored under
/// `key`), for the audit log: the header set (its key's first characters) and each column whose field
/// changes, by its position and the fields' names. The headers themselves are not quoted: a file's
/// first row is the bank's data if it has no header. `None` when nothing changes.
fn mapping_change(headers: &[String], key: &str, before: Option<&str>, after: &str) -> Option<Text> {
    let read = |json: Option<&str>| json.and_then(|j| imports::parse_mapping(j).ok()).unwrap_or_default();
    let (before, after) = (read(before), read(Some(after)));
    let field =
        |f: Option<&siyu_domain::import::Field>| f.map_or_else(|| Text::new("audit.mapping_by_header"), |f| f.text());
    let changes: Vec<Text> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| before.get(*h) != after.get(*h))
        .map(|(i, h)| {
            Text::new("audit.mapping_column")
                .arg("column", i + 1)
                .text("from", field(before.get(h)))
                .text("to", field(after.get(h)))
        })
        .collect();
    (!changes.is_empty()).then(|| {
        Text::new("audit.mapping_changed")
            .arg("headers", key.chars().take(12).collect::<String>())
            .text("changes", Text::List(changes))
    })
}

/// The dry run's listener on the job's side: progress to the page, good rows to the preview, and the
/// remembered mapping asked of the store (from the blocking thread the dry run runs on).
struct JobSink {
    progress: tokio::sync::mpsc::UnboundedSender<i64>,
    good: tokio::sync::mpsc::Sender<Produced>,
    store: Arc<dyn siyu_store::Store>,
    runtime: tokio::runtime::Handle,
    /// Whether a remembered mapping may be used (a person's upload, not a system's).
    remembered: bool,
}

impl pipeline::DryRunSink for JobSink {
    fn progress(&self, rows: i64) {
        let _ = self.progress.send(rows);
    }

    fn remembered(&self, headers: &[String]) -> Option<String> {
        if !self.remembered {
            return None;
        }
        let key = crate::import::header_key(headers);
        match self.runtime.block_on(self.store.remembered_mapping(&key)) {
            Ok(found) => found,
            Err(e) => {
                // Without it the operator maps the file by hand, as before: worth a warning, not a failure.
                tracing::warn!(error = %e, "could not read a remembered column mapping");
                None
            }
        }
    }

    fn good_rows(&self, produced: Produced) -> bool {
        self.good.blocking_send(produced).is_ok()
    }
}

/// Commits the good rows in checkpointed batches. A re-run resumes after the last committed batch; a
/// batch is never applied twice (see `ImportStore::commit_import_batch`).
pub(crate) async fn run_commit(
    state: &AppState,
    id: ImportId,
    caller: &Caller,
    on_batch: &(dyn Fn(i64, i64) + Send + Sync),
) -> Result<UpsertCounts, ImportError> {
    let rec = state.store.import(id).await?;
    if rec.status == ImportStatus::Committed {
        // Marked (with its audit entry) by an earlier attempt that may have died before the cleanup.
        remove_upload_left(&rec).await;
        return Ok(rec.counts);
    }
    if rec.status != ImportStatus::Committing {
        return Err(ImportError::NotCommitting { import: id, status: rec.status });
    }
    let bytes = Arc::new(load_file(state, &rec).await?);
    let overrides = imports::parse_mapping(&rec.mapping_json)?;
    let lookups = Arc::new(Lookups::load(&*state.store).await?);
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
            Ok::<(), StoreError>(())
        })
    };
    if rec.rows_committed > 0 {
        // A resumed commit: the batches an earlier attempt wrote are re-read as one (from the upload on).
        let all = state.store.customer_facts(0, i64::MAX, Some(rec.created_at)).await?;
        let _ = follow_tx.send(Follow::Facts(all)).await;
    }
    let mut fields = None;
    let mut committed = rec.rows_committed;
    while let Some(msg) = rx.recv().await {
        match msg {
            Produced::Fields(f) => fields = Some(f),
            Produced::Failed(e) => return Err(ImportError::File(e)),
            Produced::Batch(rows) => {
                let f = fields.as_ref().ok_or(ImportError::RowsBeforeFields)?;
                let (_, written) = state.store.commit_import_batch(id, committed, &rows, f, state.clock.now()).await?;
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
    follower.await??;
    drop(_bulk);
    super::refresh::soon(state).await;
    // Every batch is in: the counts are final. The committed mark and its audit entry are one
    // transaction, so a crash cannot leave an import committed that the audit log does not show; the
    // upload goes only after both (a re-run after the mark still removes it, above).
    let done = state.store.import(id).await?;
    let c = done.counts;
    let detail = format!(
        "{}: {} inserted, {} updated, {} unchanged, {} rejected",
        done.file_name, c.inserted, c.updated, c.unchanged, done.bad_rows
    );
    let entry = audit::entry(state, caller, AuditAction::ImportCommitted, &id.to_string(), &detail);
    state.store.mark_import_committed(id, &entry, state.clock.now()).await?;
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
