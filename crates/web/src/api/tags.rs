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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagView {
    #[serde(flatten)]
    pub tag: Tag,
    pub customers: u64,
}

#[utoipa::path(
    get,
    path = "/tags",
    tag = "tags",
    summary = "Tags, with how many of the caller's customers carry each, paged",
    responses((status = 200, description = "A page of tags", body = Paged<TagView>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<TagView>>> {
    let page = tags::list_page(&state, &c, p.page()).await?;
    let items = page.items.into_iter().map(|(tag, customers)| TagView { tag, customers }).collect();
    Ok(Json(Paged { items, total: page.total }))
}

#[utoipa::path(
    post,
    path = "/tags",
    tag = "tags",
    summary = "Define a tag (manual, imported, rule or behavioural)",
    request_body = tags::TagForm,
    responses((status = 201, description = "The new tag", body = Tag))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(form): ApiJson<tags::TagForm>,
) -> ApiResult<(StatusCode, Json<Tag>)> {
    Ok((StatusCode::CREATED, Json(tags::create(&state, &c, &form).await?)))
}

#[utoipa::path(
    put,
    path = "/tags/{id}",
    tag = "tags",
    summary = "Rename a tag, move it, change its rule or WeCom mirroring",
    params(("id" = TagId, Path, description = "The tag")),
    request_body = tags::TagForm,
    responses((status = 200, description = "The tag as changed", body = Tag))
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<TagId>,
    ApiJson(form): ApiJson<tags::TagForm>,
) -> ApiResult<Json<Tag>> {
    Ok(Json(tags::update(&state, &c, id, &form).await?))
}

#[utoipa::path(
    get,
    path = "/tag-groups",
    tag = "tags",
    summary = "Tag groups, paged",
    responses((status = 200, description = "A page of tag groups", body = Paged<TagGroup>))
)]
pub async fn groups(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<TagGroup>>> {
    Ok(Json(p.page().slice(tags::groups(&state, &c).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct GroupInput {
    /// 1–30 characters, no control characters.
    #[schema(min_length = 1)]
    pub name: String,
}

#[utoipa::path(
    post,
    path = "/tag-groups",
    tag = "tags",
    summary = "Create a tag group",
    request_body = GroupInput,
    responses((status = 201, description = "The new group", body = TagGroup))
)]
pub async fn create_group(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(g): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<TagGroup>)> {
    Ok((StatusCode::CREATED, Json(tags::create_group(&state, &c, &g.name).await?)))
}

#[utoipa::path(
    get,
    path = "/customers/{id}/tags",
    tag = "tags",
    summary = "A customer's tags, paged",
    params(("id" = CustomerId, Path, description = "The customer")),
    responses((status = 200, description = "A page of the customer's tags", body = Paged<Tag>))
)]
pub async fn of_customer(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Tag>>> {
    Ok(Json(p.page().slice(tags::of_customer(&state, &c, id).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TagRef {
    pub tag_id: TagId,
}

/// Whether the call changed anything (tagging a tagged customer is not an error).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Changed {
    pub changed: bool,
}

#[utoipa::path(
    post,
    path = "/customers/{id}/tags",
    tag = "tags",
    summary = "Put a manual tag on a customer",
    params(("id" = CustomerId, Path, description = "The customer")),
    request_body = TagRef,
    responses((status = 200, description = "Whether the customer was not tagged before", body = Changed))
)]
pub async fn tag_customer(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(t): ApiJson<TagRef>,
) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: tags::set_on_customer(&state, &c, id, t.tag_id, true).await? }))
}

#[utoipa::path(
    delete,
    path = "/customers/{id}/tags/{tag}",
    tag = "tags",
    summary = "Take a manual tag off a customer",
    params(
        ("id" = CustomerId, Path, description = "The customer"),
        ("tag" = TagId, Path, description = "The tag")
    ),
    responses((status = 200, description = "Whether the customer carried the tag", body = Changed))
)]
pub async fn untag_customer(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath((id, tag)): ApiPath<(CustomerId, TagId)>,
) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: tags::set_on_customer(&state, &c, id, tag, false).await? }))
}

#[utoipa::path(
    get,
    path = "/customers/{id}/timeline",
    tag = "customers",
    summary = "A customer's timeline (tags, WeCom, audiences, …), newest first",
    params(("id" = CustomerId, Path, description = "The customer")),
    responses((status = 200, description = "A page of the customer's events", body = Paged<CustomerEvent>))
)]
pub async fn timeline(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<CustomerEvent>>> {
    Ok(Json(tags::timeline(&state, &c, id, p.page()).await?))
}
