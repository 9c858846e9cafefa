//! Audience endpoints: the live preview, saved audiences, their members and their export.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use siyu_app::records::{Audience, MembershipChange, Paged};
use siyu_domain::AudienceId;
use siyu_domain::customer::Customer;

use super::Paging;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;
use siyu_app::services::{audiences, export};
use siyu_app::state::AppState;

/// The longest expression the preview reads from a URL (percent-encoded Chinese, 18 KiB: within the
/// limit on a request head).
pub const EXPR_MAX_CHARS: usize = 2000;

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    pub expr: String,
}

pub async fn preview(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<audiences::Preview>> {
    Ok(Json(audiences::preview(&state, &c, &q.expr).await?))
}

/// A saved audience with how many of its members the caller may see.
#[derive(Debug, Serialize)]
pub struct AudienceView {
    #[serde(flatten)]
    pub audience: Audience,
    pub visible_members: u64,
}

pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<AudienceView>>> {
    let page = audiences::list_page(&state, &c, p.page()).await?;
    let items = page.items.into_iter().map(|(audience, visible_members)| AudienceView { audience, visible_members });
    Ok(Json(Paged { items: items.collect(), total: page.total }))
}

pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(form): ApiJson<audiences::AudienceForm>,
) -> ApiResult<(StatusCode, Json<Audience>)> {
    Ok((StatusCode::CREATED, Json(audiences::create(&state, &c, &form).await?)))
}

pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
) -> ApiResult<Json<AudienceView>> {
    let (audience, visible_members) = audiences::get(&state, &c, id).await?;
    Ok(Json(AudienceView { audience, visible_members }))
}

pub async fn update(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiJson(form): ApiJson<audiences::AudienceForm>,
) -> ApiResult<Json<Audience>> {
    Ok(Json(audiences::update(&state, &c, id, &form).await?))
}

pub async fn members(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Customer>>> {
    Ok(Json(audiences::members(&state, &c, id, p.page()).await?))
}

pub async fn refresh(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
) -> ApiResult<Json<MembershipChange>> {
    Ok(Json(audiences::refresh_now(&state, &c, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub format: Option<export::Format>,
}

pub async fn export(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or(export::Format::Csv);
    Ok(super::download(export::audience(&state, &c, id, format).await?))
}
