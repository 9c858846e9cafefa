//! Hand-over endpoints (离职继承 / 在职继承): the list, one hand-over with its customers (masked) and
//! how its job stands, starting one, running its job again and ending the rest; and an
//! administrator's password reset of a staff member. Each calls the same service as the console.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_app::records::{HandoverSummary, Paged};
use siyu_app::services::handover::{self, EndedRest, HandoverInput};
use siyu_app::services::staff;
use siyu_domain::handover::{FailReason, HandoverState};
use siyu_domain::job::JobStatus;
use siyu_domain::{CustomerId, HandoverId, StaffId, Timestamp};

use super::Paging;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;
use siyu_app::state::AppState;

/// One customer of a hand-over, masked as every staff view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HandoverItemView {
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub phone_masked: Option<String>,
    /// The successor.
    pub to_staff_id: StaffId,
    pub state: HandoverState,
    /// Why it failed or was cancelled.
    pub reason: Option<FailReason>,
    /// Whether the customer is one of the leaver's WeCom contacts (else moved in siyu only).
    pub wecom: bool,
    /// WeCom's takeover time: planned while waiting, when it happened once done.
    pub takeover_at: Option<Timestamp>,
}

/// How the hand-over's job stands (its latest queue row).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HandoverJobView {
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Set when it failed or is being retried.
    pub last_error: Option<String>,
}

/// A hand-over with every customer in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HandoverView {
    pub id: HandoverId,
    pub from_staff_id: StaffId,
    pub resigned: bool,
    pub created_at: Timestamp,
    /// Set once every customer's hand-over is final.
    pub finished_at: Option<Timestamp>,
    pub items: Vec<HandoverItemView>,
    /// `None` before its job was first queued.
    pub job: Option<HandoverJobView>,
}

async fn view(state: &AppState, c: &siyu_app::caller::Caller, id: HandoverId) -> ApiResult<HandoverView> {
    let handover::Detail { handover: h, customers, job } = handover::detail(state, c, id).await?;
    let customers: HashMap<CustomerId, _> = customers.into_iter().map(|c| (c.id, c)).collect();
    let job = job.map(|j| HandoverJobView {
        status: j.status,
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        // Stored as a catalogue text (`jobs::error`): given in the client's language.
        last_error: j
            .last_error
            .as_deref()
            .map(|e| siyu_app::stored_text::decode(e).render(crate::error::request_lang())),
    });
    let items = h
        .items
        .iter()
        // A customer the caller's scope no longer covers is left out, never shown by id alone.
        .filter_map(|i| {
            let cu = customers.get(&i.customer_id)?;
            Some(HandoverItemView {
                customer_id: i.customer_id,
                customer_name: cu.name.clone(),
                phone_masked: cu.phone_masked.clone(),
                to_staff_id: i.to_staff_id,
                state: i.state,
                reason: i.reason,
                wecom: i.external_userid.is_some(),
                takeover_at: i.takeover_at,
            })
        })
        .collect();
    Ok(HandoverView {
        id: h.id,
        from_staff_id: h.from_staff_id,
        resigned: h.resigned,
        created_at: h.created_at,
        finished_at: h.finished_at,
        items,
        job,
    })
}

#[utoipa::path(
    get,
    path = "/handovers",
    tag = "handovers",
    summary = "Hand-overs of leaving managers' customers, newest first, paged",
    responses((status = 200, description = "A page of hand-overs (counts, no customers)", body = Paged<HandoverSummary>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<HandoverSummary>>> {
    Ok(Json(handover::list(&state, &c, p.page()).await?))
}

#[utoipa::path(
    get,
    path = "/handovers/{id}",
    tag = "handovers",
    summary = "One hand-over: each customer's state, reason and successor (customers masked), and its job",
    params(("id" = HandoverId, Path, description = "The hand-over")),
    responses((status = 200, description = "The hand-over", body = HandoverView))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<HandoverId>,
) -> ApiResult<Json<HandoverView>> {
    Ok(Json(view(&state, &c, id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverItemInput {
    pub customer_id: CustomerId,
    /// The successor: an active customer manager of the leaver's branch.
    pub to: StaffId,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverStartInput {
    /// The leaving customer manager.
    pub from: StaffId,
    /// 离职继承 (the leaver has left the corp in WeCom) rather than 在职继承.
    pub resigned: bool,
    /// 1–500 customers of the leaver's, each once.
    #[schema(min_items = 1, max_items = 500)]
    pub items: Vec<HandoverItemInput>,
}

#[utoipa::path(
    post,
    path = "/handovers",
    tag = "handovers",
    summary = "Start a hand-over of a leaving manager's customers (audited); WeCom is asked by a job",
    request_body = HandoverStartInput,
    responses((status = 201, description = "The new hand-over", body = HandoverView))
)]
pub async fn start(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<HandoverStartInput>,
) -> ApiResult<(StatusCode, Json<HandoverView>)> {
    let input = HandoverInput {
        from: input.from,
        resigned: input.resigned,
        items: input.items.iter().map(|i| (i.customer_id, i.to)).collect(),
    };
    let id = handover::start(&state, &c, input).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &c, id).await?)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunAgainView {
    /// Whether a run was queued: `false` when one is queued already.
    pub queued: bool,
}

#[utoipa::path(
    post,
    path = "/handovers/{id}/run-again",
    tag = "handovers",
    summary = "Queue an unfinished hand-over's job again (audited), after it stopped, say",
    params(("id" = HandoverId, Path, description = "The hand-over")),
    responses((status = 202, description = "Queued (or already queued)", body = RunAgainView))
)]
pub async fn run_again(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<HandoverId>,
) -> ApiResult<(StatusCode, Json<RunAgainView>)> {
    let queued = handover::run_again(&state, &c, id).await?;
    Ok((StatusCode::ACCEPTED, Json(RunAgainView { queued })))
}

#[utoipa::path(
    post,
    path = "/handovers/{id}/end-rest",
    tag = "handovers",
    summary = "End an unfinished hand-over's customers not yet asked of WeCom (cancelled, audited)",
    params(("id" = HandoverId, Path, description = "The hand-over")),
    responses((status = 200, description = "What was ended and what is still followed", body = EndedRest))
)]
pub async fn end_rest(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<HandoverId>,
) -> ApiResult<Json<EndedRest>> {
    Ok(Json(handover::end_rest(&state, &c, id).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasswordResetView {
    pub staff_id: StaffId,
    /// Shown once, for the administrator to hand over; the member must change it at next sign-in.
    pub temporary_password: String,
}

#[utoipa::path(
    post,
    path = "/staff/{id}/password-reset",
    tag = "staff",
    summary = "Reset a staff member's password (audited): a temporary one they must change; their sessions end",
    params(("id" = StaffId, Path, description = "The staff member")),
    responses((status = 200, description = "The temporary password, shown once", body = PasswordResetView))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<StaffId>,
) -> ApiResult<Json<PasswordResetView>> {
    let (s, temporary_password) = staff::reset_password(&state, &c, id).await?;
    Ok(Json(PasswordResetView { staff_id: s.id, temporary_password }))
}
