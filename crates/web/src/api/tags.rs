//! Tag endpoints: groups and tags, a customer's tags and timeline.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_app::records::{CustomerEvent, Paged, Tag, TagGroup};
use siyu_domain::{CustomerId, TagId};

use super::Paging;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;
use siyu_app::services::tags;
use siyu_app::state::AppState;

/// A tag with how many of the caller's customers carry it.
#[derive(Debug, Serialize)]
pub struct TagView {
    #[serde(flatten)]
    pub tag: Tag,
    pub customers: u64,
}

pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<TagView>>> {
    let page = tags::list_page(&state, &c, p.page()).await?;
    let items = page.items.into_iter().map(|(tag, customers)| TagView { tag, customers }).collect();
    Ok(Json(Paged { items, total: page.total }))
}

pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(form): ApiJson<tags::TagForm>,
) -> ApiResult<(StatusCode, Json<Tag>)> {
    Ok((StatusCode::CREATED, Json(tags::create(&state, &c, &form).await?)))
}

pub async fn update(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<TagId>,
    ApiJson(form): ApiJson<tags::TagForm>,
) -> ApiResult<Json<Tag>> {
    Ok(Json(tags::update(&state, &c, id, &form).await?))
}

pub async fn groups(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<TagGroup>>> {
    Ok(Json(p.page().slice(tags::groups(&state, &c).await?)))
}

#[derive(Debug, Deserialize)]
pub struct GroupInput {
    pub name: String,
}

pub async fn create_group(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(g): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<TagGroup>)> {
    Ok((StatusCode::CREATED, Json(tags::create_group(&state, &c, &g.name).await?)))
}

pub async fn of_customer(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Tag>>> {
    Ok(Json(p.page().slice(tags::of_customer(&state, &c, id).await?)))
}

#[derive(Debug, Deserialize)]
pub struct TagRef {
    pub tag_id: TagId,
}

/// Whether the call changed anything (tagging a tagged customer is not an error).
#[derive(Debug, Serialize)]
pub struct Changed {
    pub changed: bool,
}

pub async fn tag_customer(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(t): ApiJson<TagRef>,
) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: tags::set_on_customer(&state, &c, id, t.tag_id, true).await? }))
}

pub async fn untag_customer(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath((id, tag)): ApiPath<(CustomerId, TagId)>,
) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: tags::set_on_customer(&state, &c, id, tag, false).await? }))
}

pub async fn timeline(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<CustomerEvent>>> {
    Ok(Json(tags::timeline(&state, &c, id, p.page()).await?))
}
