//! Channel code endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use siyu_app::records::{ChannelCode, DayStat, Paged};
use siyu_domain::ChannelCodeId;
use siyu_domain::channel_controls::ChannelControls;

use super::Paging;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;
use siyu_app::services::channels;
use siyu_app::state::AppState;

/// A code with its `state` and its daily figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    #[serde(flatten)]
    pub code: ChannelCode,
    pub state: String,
    pub stats: Vec<DayStat>,
}

#[utoipa::path(
    get,
    path = "/channels",
    tag = "channels",
    summary = "Channel QR codes (渠道活码) the caller may see, paged",
    responses((status = 200, description = "A page of channel codes", body = Paged<ChannelCode>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<ChannelCode>>> {
    Ok(Json(channels::list(&state, &c, p.page()).await?))
}

#[utoipa::path(
    post,
    path = "/channels",
    tag = "channels",
    summary = "Create a channel code and its WeCom contact way",
    request_body = channels::ChannelInput,
    responses((status = 201, description = "The new code", body = ChannelView))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<channels::ChannelInput>,
) -> ApiResult<(StatusCode, Json<ChannelView>)> {
    let code = channels::create(&state, &c, input).await?;
    let state_str = code.state();
    Ok((StatusCode::CREATED, Json(ChannelView { code, state: state_str, stats: Vec::new() })))
}

#[utoipa::path(
    get,
    path = "/channels/{id}",
    tag = "channels",
    summary = "One channel code with its adds and deletions per day",
    params(("id" = ChannelCodeId, Path, description = "The channel code")),
    responses((status = 200, description = "The code and its figures", body = ChannelView))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ChannelCodeId>,
) -> ApiResult<Json<ChannelView>> {
    let (code, stats) = channels::get(&state, &c, id).await?;
    let state_str = code.state();
    Ok(Json(ChannelView { code, state: state_str, stats }))
}

#[utoipa::path(
    put,
    path = "/channels/{id}/controls",
    tag = "channels",
    summary = "Set a code's controls (daily cap per manager, backup, schedules, skip-verify windows) and put them into effect at WeCom",
    params(("id" = ChannelCodeId, Path, description = "The channel code")),
    request_body = ChannelControls,
    responses((status = 200, description = "The code with its controls and whom it points at now", body = ChannelView))
)]
pub async fn set_controls(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ChannelCodeId>,
    ApiJson(controls): ApiJson<ChannelControls>,
) -> ApiResult<Json<ChannelView>> {
    let code = siyu_app::services::channel_controls::set_controls(&state, &c, id, controls).await?;
    let (code, stats) = channels::get(&state, &c, code.id).await?;
    let state_str = code.state();
    Ok(Json(ChannelView { code, state: state_str, stats }))
}
