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

#[utoipa::path(
    get,
    path = "/audiences/preview",
    tag = "audiences",
    summary = "Count an expression within the caller's scope, with a masked sample",
    responses((status = 200, description = "The count and a sample", body = audiences::Preview))
)]
pub async fn preview(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<audiences::Preview>> {
    let mut p = audiences::preview(&state, &c, &q.expr).await?;
    let lang = crate::error::request_lang();
    p.warnings = p.warnings.into_iter().map(|w| w.in_lang(lang)).collect();
    Ok(Json(p))
}

/// A saved audience with how many of its members the caller may see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AudienceView {
    #[serde(flatten)]
    pub audience: Audience,
    pub visible_members: u64,
}

#[utoipa::path(
    get,
    path = "/audiences",
    tag = "audiences",
    summary = "Saved audiences, paged",
    responses((status = 200, description = "A page of audiences", body = Paged<AudienceView>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<AudienceView>>> {
    let page = audiences::list_page(&state, &c, p.page()).await?;
    let items = page.items.into_iter().map(|(audience, visible_members)| AudienceView { audience, visible_members });
    Ok(Json(Paged { items: items.collect(), total: page.total }))
}

#[utoipa::path(
    post,
    path = "/audiences",
    tag = "audiences",
    summary = "Save an audience (its members are computed at once)",
    request_body = audiences::AudienceForm,
    responses((status = 201, description = "The new audience", body = Audience))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(form): ApiJson<audiences::AudienceForm>,
) -> ApiResult<(StatusCode, Json<Audience>)> {
    Ok((StatusCode::CREATED, Json(audiences::create(&state, &c, &form).await?)))
}

#[utoipa::path(
    get,
    path = "/audiences/{id}",
    tag = "audiences",
    summary = "One saved audience",
    params(("id" = AudienceId, Path, description = "The audience")),
    responses((status = 200, description = "The audience", body = AudienceView))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
) -> ApiResult<Json<AudienceView>> {
    let (audience, visible_members) = audiences::get(&state, &c, id).await?;
    Ok(Json(AudienceView { audience, visible_members }))
}

#[utoipa::path(
    put,
    path = "/audiences/{id}",
    tag = "audiences",
    summary = "Change a saved audience",
    params(("id" = AudienceId, Path, description = "The audience")),
    request_body = audiences::AudienceForm,
    responses((status = 200, description = "The audience as changed", body = Audience))
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiJson(form): ApiJson<audiences::AudienceForm>,
) -> ApiResult<Json<Audience>> {
    Ok(Json(audiences::update(&state, &c, id, &form).await?))
}

#[utoipa::path(
    get,
    path = "/audiences/{id}/members",
    tag = "audiences",
    summary = "Members the caller may see, paged (numbers masked)",
    params(("id" = AudienceId, Path, description = "The audience")),
    responses((status = 200, description = "A page of members", body = Paged<Customer>))
)]
pub async fn members(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Customer>>> {
    Ok(Json(audiences::members(&state, &c, id, p.page()).await?))
}

#[utoipa::path(
    post,
    path = "/audiences/{id}/refresh",
    tag = "audiences",
    summary = "Recompute members now; returns how many entered and left",
    params(("id" = AudienceId, Path, description = "The audience")),
    responses((status = 200, description = "What the refresh changed", body = MembershipChange))
)]
pub async fn refresh(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
) -> ApiResult<Json<MembershipChange>> {
    Ok(Json(audiences::refresh_now(&state, &c, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default, deserialize_with = "super::extract::blank_is_any")]
    pub format: Option<export::Format>,
}

#[utoipa::path(
    get,
    path = "/audiences/{id}/export",
    tag = "audiences",
    summary = "Members as a CSV or XLSX file (masked, audited)",
    params(("id" = AudienceId, Path, description = "The audience")),
    responses((
        status = 200,
        description = "The members the caller may see, one row each",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
        headers(("content-disposition" = String, description = "`attachment` with the file's name"))
    ))
)]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or(export::Format::Csv);
    Ok(super::download(export::audience(&state, &c, id, format, siyu_domain::import_template::FileLang::Zh).await?))
}
