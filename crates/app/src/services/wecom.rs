//! WeCom administration: a full sync on request.

use siyu_domain::job::JobStatus;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::{JobId, Timestamp};
use siyu_store::{JobFilter, Page};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::jobs::{self, Job, Nothing, Options};
use crate::state::AppState;
use crate::wecom::sync::FullSync;

/// A queued sync this close to running counts as "already queued" (a retry waiting out its backoff, one
/// just queued); the nightly sync, hours away, does not stop a manual one.
const DUE_WITHIN_MS: i64 = 15 * 60 * 1000;

/// What asking for a sync did.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncQueued {
    /// False when a sync was already queued or running: that one is reported, no other is queued.
    pub queued: bool,
    /// The sync that will run (the new one, or the one already there).
    pub job_id: Option<JobId>,
    pub status: Option<JobStatus>,
}

/// A full sync running now, or queued to run within [`DUE_WITHIN_MS`], whoever queued it.
async fn pending_sync(state: &AppState, now: Timestamp) -> ServiceResult<Option<(JobId, JobStatus)>> {
    let kind = Some(FullSync::NAME.to_owned());
    for status in [JobStatus::Running, JobStatus::Queued] {
        // Of all syncs in this state, is one due soon? Twenty is plenty: a sync dedupes to one queued
        // manual and one nightly, and only a stuck queue holds more, all of which are due.
        let jobs =
            state.store.list_jobs(&JobFilter { status: Some(status), kind: kind.clone() }, Page::first(20)).await?;
        if let Some(j) = jobs.items.iter().find(|j| j.run_at.millis() <= now.millis() + DUE_WITHIN_MS) {
            return Ok(Some((j.id, j.status)));
        }
    }
    Ok(None)
}

/// Queues a full sync now, unless one is already running or due (the answer names it).
pub async fn request_sync(state: &AppState, caller: &Caller) -> ServiceResult<SyncQueued> {
    caller.require(Permission::SyncWecom)?;
    if state.wecom.is_none() {
        return Err(ServiceError::invalid("wecom_not_configured", Text::new("wecom.not_configured")));
    }
    let now = state.clock.now();
    if let Some((id, status)) = pending_sync(state, now).await? {
        return Ok(SyncQueued { queued: false, job_id: Some(id), status: Some(status) });
    }
    // Two requests at once both get here; the dedupe key lets only one of them queue.
    match jobs::enqueue::<FullSync>(state, &Nothing, Options::at(now).once_as("manual")).await? {
        Some(id) => Ok(SyncQueued { queued: true, job_id: Some(id), status: Some(JobStatus::Queued) }),
        None => {
            let pending = pending_sync(state, now).await?;
            let (job_id, status) = pending.map_or((None, None), |(id, s)| (Some(id), Some(s)));
            Ok(SyncQueued { queued: false, job_id, status })
        }
    }
}
