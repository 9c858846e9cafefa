//! WeCom administration endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use siyu_domain::job::NewJob;
use siyu_domain::scope::Permission;

use crate::app::AppState;
use crate::auth::extract::ApiCaller;
use crate::error::{ApiResult, ServiceError};

#[derive(Debug, Serialize)]
pub struct SyncQueued {
    /// False when a sync is already queued or running.
    pub queued: bool,
}

/// Queues a full sync now (one at a time).
pub async fn sync(State(state): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<(StatusCode, Json<SyncQueued>)> {
    c.require(Permission::SyncWecom)?;
    if state.wecom.is_none() {
        return Err(ServiceError::invalid("wecom_not_configured", "未配置企业微信 / WeCom is not configured").into());
    }
    let mut job = NewJob::now(crate::wecom::sync::SYNC_JOB, "{}".into(), state.clock.now());
    job.dedupe_key = Some(format!("{}:manual", crate::wecom::sync::SYNC_JOB));
    let queued = state.store.enqueue(&job).await?.is_some();
    state.jobs_wake.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(SyncQueued { queued })))
}
