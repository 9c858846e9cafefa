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

/// One contact a code brought in, as the caller may see it: who took it and when, where the
/// relationship stands, and the bank's customer (masked) when one is linked inside the caller's scope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BroughtInView {
    /// The WeCom userid of the manager the customer added.
    pub staff_userid: String,
    /// `active`, `deleted_by_customer`, `deleted_by_staff` or `transferred`.
    pub status: &'static str,
    pub added_at: Option<siyu_domain::Timestamp>,
    /// Whether the contact is linked to a bank customer (who may be outside the caller's scope).
    pub linked: bool,
    /// The linked customer, masked, when the caller's scope covers them.
    pub customer: Option<siyu_domain::customer::Customer>,
}

#[utoipa::path(
    get,
    path = "/channels/{id}/customers",
    tag = "channels",
    summary = "The contacts a code brought in that the caller may see, newest first, paged (customers masked)",
    params(("id" = ChannelCodeId, Path, description = "The channel code")),
    responses((status = 200, description = "A page of contacts", body = Paged<BroughtInView>))
)]
pub async fn customers(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ChannelCodeId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<BroughtInView>>> {
    let page = channels::brought_in(&state, &c, id, p.page()).await?;
    let items = page
        .items
        .into_iter()
        .map(|b| BroughtInView {
            staff_userid: b.contact.staff_userid,
            status: b.contact.status.as_str(),
            added_at: b.contact.added_at,
            linked: b.contact.customer_id.is_some(),
            customer: b.customer,
        })
        .collect();
    Ok(Json(Paged { items, total: page.total }))
}
