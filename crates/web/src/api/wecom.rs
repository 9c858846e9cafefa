//! WeCom administration endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use siyu_app::services::wecom::{self, SyncQueued};
use siyu_app::state::AppState;

use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;

/// Queues a full sync now (202), unless one is already running or due (200, naming it).
pub async fn sync(State(state): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<(StatusCode, Json<SyncQueued>)> {
    let answer = wecom::request_sync(&state, &c).await?;
    let status = if answer.queued { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json(answer)))
}
