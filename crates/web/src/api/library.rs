//! Content library endpoints (issue 17): items and their versions, the review steps of a version,
//! and the reviewer's queue. Thin: parse, call `services::content` / `content_review`, serialise.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_app::records::{ContentFilter, Paged};
use siyu_app::services::content::{self, DraftForm, ItemRow, ItemView, NewItemForm, VersionView};
use siyu_app::services::content_lint::LintFinding;
use siyu_app::services::content_review::{self, QueueRow};
use siyu_app::state::AppState;
use siyu_content::{Action, AidaStage, Category, Channel, ItemKind, Status};
use siyu_domain::{ContentItemId, ContentVersionId};

use super::Paging;
use super::content::FindingView;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;

/// The codes each filter takes (a test checks they are the vocabulary's).
pub const KINDS: &[&str] = &["text", "image", "article", "link", "poster", "mini_program", "file"];
pub const CATEGORIES: &[&str] = &[
    "persona",
    "values",
    "case",
    "benefit",
    "ice_breaker",
    "finance_tips",
    "investor_education",
    "similar_story",
    "activity",
    "three_w",
];
pub const STAGES: &[&str] = &["attention", "interest", "desire", "action"];
pub const CHANNELS: &[&str] = &["one_to_one", "moments", "group"];
pub const STATUSES: &[&str] = &["draft", "submitted", "approved", "rejected", "published", "retired"];

/// The library's filters, each a code (checked against the lists above before the handler runs).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemsQuery {
    pub kind: Option<String>,
    pub category: Option<String>,
    pub stage: Option<String>,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
}

impl ItemsQuery {
    /// As the store's filter; an empty value is "any".
    pub fn filter(&self) -> ContentFilter {
        let code = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        ContentFilter {
            kind: code(&self.kind).and_then(|c| ItemKind::parse(&c)),
            category: code(&self.category).and_then(|c| Category::parse(&c)),
            stage: code(&self.stage).and_then(|c| AidaStage::parse(&c)),
            channel: code(&self.channel).and_then(|c| Channel::parse(&c)),
            status: code(&self.status).and_then(|c| Status::parse(&c)),
            query: code(&self.q),
            sendable_at: None,
            product: None,
        }
    }
}

/// A saved version and what the lint finds in it now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedView {
    pub item_id: ContentItemId,
    pub version: VersionView,
    pub findings: Vec<FindingView>,
}

/// An item with its versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemAnswer {
    #[serde(flatten)]
    pub item: ItemView,
    /// The version a send uses now: the published, unexpired one; `null` when nothing may be sent.
    pub sendable_version: Option<ContentVersionId>,
}

/// A rejection's reason.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectForm {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// The version's `revision` as the reviewer read it.
    pub seen: i64,
}

/// An approval; the override reason is needed when the lint finds anything blocking, and audited.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveForm {
    #[serde(default)]
    #[schema(max_length = 500)]
    pub override_reason: Option<String>,
    /// The version's `revision` as the reviewer read it: if it changed since, 409 and nothing is
    /// approved.
    pub seen: i64,
    /// With an override reason: the blocking findings the reviewer was shown, each `rule@start-end`
    /// (from `rule`, `start` and `end`); 409 when the findings are not those now.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub overriding: Vec<String>,
}

pub(crate) fn finding_views(findings: &[LintFinding]) -> Vec<FindingView> {
    let lang = crate::error::request_lang();
    findings
        .iter()
        .map(|f| FindingView {
            rule: f.rule.to_owned(),
            start: f.start,
            end: f.end,
            message: f.message.render(lang),
            blocking: f.blocking,
        })
        .collect()
}

fn saved(s: content::Saved) -> SavedView {
    SavedView { item_id: s.item, findings: finding_views(&s.findings), version: s.version }
}

#[utoipa::path(
    get,
    path = "/content/items",
    tag = "content",
    summary = "The content library, each item with its newest version, newest change first",
    responses((status = 200, description = "A page of items", body = Paged<ItemRow>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<ItemsQuery>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<ItemRow>>> {
    Ok(Json(content::list(&state, &c, &q.filter(), p.page()).await?))
}

#[utoipa::path(
    post,
    path = "/content/items",
    tag = "content",
    summary = "Create an item with its first draft (a branch manager: a local variant of an HQ item)",
    description = "The draft is checked at save: variables (`unknown_variable` with its position), products \
                   (`unknown_product`), an article's HTML (`html_not_allowed` naming a script, an event \
                   attribute, a javascript: link…), the kind's fields (`link_url_needed`, \
                   `mini_program_needed`). A wealth or fund item gets the risk disclaimer added. A branch \
                   manager without `variant_of` is refused as `variant_only`.",
    request_body = NewItemForm,
    responses((status = 201, description = "The item's first version and its findings", body = SavedView))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(form): ApiJson<NewItemForm>,
) -> ApiResult<(StatusCode, Json<SavedView>)> {
    Ok((StatusCode::CREATED, Json(saved(content::create(&state, &c, &form).await?))))
}

#[utoipa::path(
    get,
    path = "/content/items/{id}",
    tag = "content",
    summary = "One item with all its versions and the one a send uses now",
    params(("id" = ContentItemId, Path, description = "The item")),
    responses((status = 200, description = "The item", body = ItemAnswer))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ContentItemId>,
) -> ApiResult<Json<ItemAnswer>> {
    let item = content::item(&state, &c, id).await?;
    let sendable_version = content::sendable_version(&state, id).await?.map(|v| v.id);
    Ok(Json(ItemAnswer { item, sendable_version }))
}

#[utoipa::path(
    post,
    path = "/content/items/{id}/versions",
    tag = "content",
    summary = "Start the item's next version as a draft (the published one stays in use until it is replaced)",
    description = "Refused as `version_open` while a version is still a draft or under review.",
    params(("id" = ContentItemId, Path, description = "The item")),
    request_body = DraftForm,
    responses((status = 201, description = "The new draft and its findings", body = SavedView))
)]
pub async fn new_version(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ContentItemId>,
    ApiJson(form): ApiJson<DraftForm>,
) -> ApiResult<(StatusCode, Json<SavedView>)> {
    Ok((StatusCode::CREATED, Json(saved(content::new_version(&state, &c, id, &form).await?))))
}

#[utoipa::path(
    put,
    path = "/content/versions/{id}",
    tag = "content",
    summary = "Change a draft (only a draft, only by its author)",
    description = "An approved, published or rejected version is refused as `new_version_needed`: start a \
                   new version instead.",
    params(("id" = ContentVersionId, Path, description = "The version")),
    request_body = DraftForm,
    responses((status = 200, description = "The draft as changed and its findings", body = SavedView))
)]
pub async fn edit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ContentVersionId>,
    ApiJson(form): ApiJson<DraftForm>,
) -> ApiResult<Json<SavedView>> {
    Ok(Json(saved(content::edit(&state, &c, id, &form).await?)))
}

async fn stepped(
    state: &AppState,
    c: &siyu_app::caller::Caller,
    id: ContentVersionId,
    a: Action,
    seen: Option<content_review::Seen>,
) -> ApiResult<Json<SavedView>> {
    let s = content_review::step(state, c, id, a, seen).await?;
    Ok(Json(SavedView { item_id: s.version.item_id, findings: finding_views(&s.findings), version: s.version }))
}

macro_rules! step_endpoint {
    ($name:ident, $path:literal, $summary:literal, $action:expr) => {
        #[utoipa::path(
                            post,
                            path = $path,
                            tag = "content",
                            summary = $summary,
                            params(("id" = ContentVersionId, Path, description = "The version")),
                            responses((status = 200, description = "The version after the step", body = SavedView))
                        )]
        pub async fn $name(
            State(state): State<AppState>,
            ApiCaller(c): ApiCaller,
            ApiPath(id): ApiPath<ContentVersionId>,
        ) -> ApiResult<Json<SavedView>> {
            stepped(&state, &c, id, $action, None).await
        }
    };
}

step_endpoint!(
    submit,
    "/content/versions/{id}/submit",
    "Submit a draft for review (its author; a linked product without a risk grade is refused)",
    Action::Submit
);
step_endpoint!(
    withdraw,
    "/content/versions/{id}/withdraw",
    "Take a submitted version back to draft (its author)",
    Action::Withdraw
);
step_endpoint!(
    publish,
    "/content/versions/{id}/publish",
    "Publish an approved version: from now on it is what is sent",
    Action::Publish
);
step_endpoint!(retire, "/content/versions/{id}/retire", "Retire a version: it is no longer sent", Action::Retire);

#[utoipa::path(
    post,
    path = "/content/versions/{id}/approve",
    tag = "content",
    summary = "Approve a submitted version (a reviewer, never its author)",
    description = "Blocking findings need `override_reason` (`override_needed`), written to the audit log; \
                   `seen` is the version's `revision` as read, and a version changed since is 409. The author is refused as `own_version`; a reviewer who lost a race to another gets 409.",
    params(("id" = ContentVersionId, Path, description = "The version")),
    request_body = ApproveForm,
    responses((status = 200, description = "The version after the step", body = SavedView))
)]
pub async fn approve(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ContentVersionId>,
    ApiJson(form): ApiJson<ApproveForm>,
) -> ApiResult<Json<SavedView>> {
    if form.overriding.len() > 200 {
        return Err(siyu_app::error::ServiceError::invalid(
            "too_many_findings",
            siyu_domain::lang::Text::new("library.too_many_findings").arg("max", 200),
        )
        .into());
    }
    let seen = content_review::Seen { revision: form.seen, blocking: form.overriding };
    stepped(&state, &c, id, Action::Approve { override_reason: form.override_reason }, Some(seen)).await
}

#[utoipa::path(
    post,
    path = "/content/versions/{id}/reject",
    tag = "content",
    summary = "Reject a submitted version with a reason (a reviewer, never its author)",
    params(("id" = ContentVersionId, Path, description = "The version")),
    request_body = RejectForm,
    responses((status = 200, description = "The version after the step", body = SavedView))
)]
pub async fn reject(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ContentVersionId>,
    ApiJson(form): ApiJson<RejectForm>,
) -> ApiResult<Json<SavedView>> {
    let seen = content_review::Seen { revision: form.seen, blocking: Vec::new() };
    stepped(&state, &c, id, Action::Reject { reason: form.reason }, Some(seen)).await
}

#[utoipa::path(
    get,
    path = "/content/review-queue",
    tag = "content",
    summary = "Versions waiting for review, the longest waiting first, with their finding counts",
    responses((status = 200, description = "A page of the queue", body = Paged<QueueRow>))
)]
pub async fn review_queue(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<QueueRow>>> {
    Ok(Json(content_review::queue(&state, &c, p.page()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_words_are_the_vocabularys_codes() {
        let codes = |all: Vec<&'static str>| all;
        assert_eq!(KINDS, codes(ItemKind::ALL.iter().map(|k| k.code()).collect()));
        assert_eq!(CATEGORIES, codes(Category::ALL.iter().map(|k| k.code()).collect()));
        assert_eq!(STAGES, codes(AidaStage::ALL.iter().map(|k| k.code()).collect()));
        assert_eq!(CHANNELS, codes(Channel::ALL.iter().map(|k| k.code()).collect()));
        assert_eq!(STATUSES, codes(Status::ALL.iter().map(|k| k.code()).collect()));
    }
}
