//! The job handlers siyu ships with.

use async_trait::async_trait;
use serde::Deserialize;
use siyu_domain::scope::{Actor, ApiScope};
use siyu_domain::{ImportId, StaffId};
use siyu_store::{ImportStatus, Page};

use super::{JobContext, JobError, JobHandler};
use crate::caller::Caller;
use crate::services::imports;
use crate::state::AppState;

/// Payload of the import jobs: which import, and who asked (for the audit log).
#[derive(Debug, Deserialize)]
struct ImportPayload {
    import_id: ImportId,
    actor: String,
    staff_id: Option<StaffId>,
}

fn payload(ctx: &JobContext<'_>) -> Result<ImportPayload, JobError> {
    serde_json::from_str(&ctx.job.payload).map_err(|e| JobError::Permanent(format!("bad payload: {e}")))
}

/// The person (or system) who queued the job, as the audit log should name them.
async fn requester(state: &AppState, p: &ImportPayload) -> Caller {
    let staff = match p.staff_id {
        Some(id) => state.store.staff(id).await.ok(),
        None => None,
    };
    let actor = match &staff {
        Some(s) => Actor::Staff { id: s.id, role: s.role, org_unit_id: s.org_unit_id },
        None => Actor::System {
            token_name: p.actor.trim_start_matches("token:").to_owned(),
            scopes: vec![ApiScope::CustomersImport],
        },
    };
    Caller { actor, staff, csrf: None, ip: "job".into() }
}

pub struct ImportValidate;

#[async_trait]
impl JobHandler for ImportValidate {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        let p = payload(ctx)?;
        let progress = ctx.state.import_progress.clone();
        let id = p.import_id;
        let result = imports::run_validation(ctx.state, id, &move |n| progress.set(id, n)).await;
        ctx.state.import_progress.clear(id);
        result.map_err(JobError::Retry)
    }
}

pub struct ImportCommit;

#[async_trait]
impl JobHandler for ImportCommit {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        let p = payload(ctx)?;
        let caller = requester(ctx.state, &p).await;
        // The worker loop renews the lease while this runs, so a commit of a million rows is never
        // taken over by another worker while this one is alive.
        let result = imports::run_commit(ctx.state, p.import_id, &caller, &|_, _| {}).await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if ctx.job.attempts >= ctx.job.max_attempts => {
                let _ = ctx
                    .state
                    .store
                    .finish_import(p.import_id, ImportStatus::Failed, Some(&e), ctx.state.clock.now())
                    .await;
                Err(JobError::Permanent(e))
            }
            Err(e) => Err(JobError::Retry(e)),
        }
    }
}

/// Uploads not committed within this many days are dropped.
const STALE_UPLOAD_DAYS: i64 = 7;

/// Hourly house-keeping: expired sessions, and uploads nobody committed.
pub struct Maintenance;

#[async_trait]
impl JobHandler for Maintenance {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        let s = ctx.state;
        let now = s.clock.now();
        let purged = s.store.purge_expired_sessions(now).await.map_err(|e| JobError::Retry(e.to_string()))?;
        // Callback keys older than a day can go: their timestamps are far outside the replay window.
        s.store.purge_callbacks_before(now.plus_secs(-86_400)).await.map_err(|e| JobError::Retry(e.to_string()))?;
        let cutoff = now.plus_secs(-STALE_UPLOAD_DAYS * 86_400);
        let mut dropped = 0;
        let page =
            s.store.list_imports(Page::first(Page::MAX_LIMIT)).await.map_err(|e| JobError::Retry(e.to_string()))?;
        let waiting = |r: &&siyu_store::ImportRecord| {
            matches!(r.status, ImportStatus::Validated | ImportStatus::Rejected) && r.updated_at < cutoff
        };
        for rec in page.items.iter().filter(waiting) {
            s.store
                .finish_import(rec.id, ImportStatus::Failed, Some("expired: not committed within 7 days"), now)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            let _ = tokio::fs::remove_file(&rec.stored_path).await;
            dropped += 1;
        }
        tracing::info!(sessions = purged, uploads = dropped, "maintenance done");
        Ok(())
    }
}

/// Recomputes rule tags, then refreshes saved audiences (which may use those tags).
pub struct RefreshAudiences;

/// One refresh at a time in a process: the "soon" and the hourly one may both be due.
static REFRESHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[async_trait]
impl JobHandler for RefreshAudiences {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        let _one = REFRESHING.lock().await;
        let (gained, lost) =
            crate::services::tags::recompute_all(ctx.state).await.map_err(|e| JobError::Retry(e.to_string()))?;
        let n = crate::services::audiences::refresh_all(ctx.state).await.map_err(|e| JobError::Retry(e.to_string()))?;
        ctx.state.engine.optimize();
        tracing::info!(rule_tags_gained = gained, rule_tags_lost = lost, audiences = n, "audiences refreshed");
        Ok(())
    }
}
