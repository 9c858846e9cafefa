//! WeCom administration endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use siyu_app::services::wecom::{self, SyncQueued};
use siyu_app::state::AppState;

use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;

/// Queues a full sync now (202), unless one is already running or due (200, naming it).
#[utoipa::path(
    post,
    path = "/wecom/sync",
    tag = "wecom",
    summary = "Queue a full WeCom sync (staff, customers, relationships, matching to bank customers), unless one is \
               already due or running",
    responses(
        (status = 202, description = "A sync was queued", body = SyncQueued),
        (status = 200, description = "A sync was already queued or running: that one", body = SyncQueued)
    )
)]
pub async fn sync(State(state): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<(StatusCode, Json<SyncQueued>)> {
    let answer = wecom::request_sync(&state, &c).await?;
    let status = if answer.queued { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json(answer)))
}
