//! Administration endpoints: organisation, staff, API tokens, audit log, jobs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_app::records::{ApiToken, AuditFilter, JobFilter, NewOrgUnit, Paged, StaffFilter, StaffUpdate};
use siyu_domain::audit::{AuditAction, AuditEntry};
use siyu_domain::job::{Job, JobStatus};
use siyu_domain::lang::Text;
use siyu_domain::org::{GeoPoint, OrgUnit, OrgUnitKind, Role, Staff};
use siyu_domain::scope::ApiScope;
use siyu_domain::{ApiTokenId, OrgUnitId, StaffId, Timestamp};

use super::Paging;
use super::extract::{ApiJson, ApiPath, ApiQuery, blank_is_any};
use crate::auth::extract::ApiCaller;
use crate::error::{ApiResult, ServiceError};
use siyu_app::services::{audit, org, staff, tokens};
use siyu_app::state::AppState;

/// The whole tree, not paged: it is the bank's own structure (see the endpoint table).
#[utoipa::path(
    get,
    path = "/org-units",
    tag = "organisation",
    summary = "The organisation tree",
    responses((status = 200, description = "Every unit", body = Vec<OrgUnit>))
)]
pub async fn list_org_units(State(state): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<Json<Vec<OrgUnit>>> {
    Ok(Json(org::list(&state, &c).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OrgUnitInput {
    pub kind: OrgUnitKind,
    pub parent_id: Option<OrgUnitId>,
    /// The bank's code for the unit: 1–32 letters, digits or `-`.
    #[schema(min_length = 1)]
    pub code: String,
    /// 1–60 characters.
    #[schema(min_length = 1)]
    pub name: String,
    /// Latitude, −90 to 90; a sub-branch needs a location (`lat` and `lng`).
    pub lat: Option<f64>,
    /// Longitude, −180 to 180.
    pub lng: Option<f64>,
}

impl OrgUnitInput {
    fn into_new(self) -> NewOrgUnit {
        NewOrgUnit {
            kind: self.kind,
            parent_id: self.parent_id,
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            location: self.lat.zip(self.lng).map(|(lat, lng)| GeoPoint { lat, lng }),
        }
    }
}

#[utoipa::path(
    post,
    path = "/org-units",
    tag = "organisation",
    summary = "Create a branch or sub-branch",
    request_body = OrgUnitInput,
    responses((status = 201, description = "The new unit", body = OrgUnit))
)]
pub async fn create_org_unit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(u): ApiJson<OrgUnitInput>,
) -> ApiResult<(StatusCode, Json<OrgUnit>)> {
    Ok((StatusCode::CREATED, Json(org::create(&state, &c, &u.into_new()).await?)))
}

#[utoipa::path(
    put,
    path = "/org-units/{id}",
    tag = "organisation",
    summary = "Rename, recode or move a unit's pin",
    params(("id" = OrgUnitId, Path, description = "The unit")),
    request_body = OrgUnitInput,
    responses((status = 200, description = "The unit as changed", body = OrgUnit))
)]
pub async fn update_org_unit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<OrgUnitId>,
    ApiJson(u): ApiJson<OrgUnitInput>,
) -> ApiResult<Json<OrgUnit>> {
    Ok(Json(org::update(&state, &c, id, &u.into_new()).await?))
}

#[derive(Debug, Deserialize)]
pub struct StaffQuery {
    #[serde(default, deserialize_with = "blank_is_any")]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "blank_is_any")]
    pub org_unit: Option<OrgUnitId>,
    pub q: Option<String>,
}

#[utoipa::path(
    get,
    path = "/staff",
    tag = "staff",
    summary = "List staff, filtered and paged",
    responses((status = 200, description = "A page of staff", body = Paged<Staff>))
)]
pub async fn list_staff(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<StaffQuery>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Staff>>> {
    let f = StaffFilter { role: q.role, org_unit_id: q.org_unit, query: q.q };
    Ok(Json(staff::list(&state, &c, &f, p.page()).await?))
}

#[utoipa::path(
    get,
    path = "/staff/{id}",
    tag = "staff",
    summary = "One staff member",
    params(("id" = StaffId, Path, description = "The staff member")),
    responses((status = 200, description = "The staff member", body = Staff))
)]
pub async fn get_staff(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<StaffId>,
) -> ApiResult<Json<Staff>> {
    Ok(Json(staff::get(&state, &c, id).await?))
}

#[utoipa::path(
    post,
    path = "/staff",
    tag = "staff",
    summary = "Create a staff member",
    request_body = staff::StaffInput,
    responses((status = 201, description = "The new staff member", body = Staff))
)]
pub async fn create_staff(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(s): ApiJson<staff::StaffInput>,
) -> ApiResult<(StatusCode, Json<Staff>)> {
    Ok((StatusCode::CREATED, Json(staff::create(&state, &c, s).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StaffUpdateInput {
    #[schema(min_length = 1)]
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: OrgUnitId,
    pub wecom_userid: Option<String>,
    pub active: bool,
}

#[utoipa::path(
    put,
    path = "/staff/{id}",
    tag = "staff",
    summary = "Edit a staff member (role changes are audited)",
    params(("id" = StaffId, Path, description = "The staff member")),
    request_body = StaffUpdateInput,
    responses((status = 200, description = "The staff member as changed", body = Staff))
)]
pub async fn update_staff(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<StaffId>,
    ApiJson(u): ApiJson<StaffUpdateInput>,
) -> ApiResult<Json<Staff>> {
    let u = StaffUpdate {
        display_name: u.display_name,
        role: u.role,
        org_unit_id: u.org_unit_id,
        wecom_userid: u.wecom_userid,
        active: u.active,
    };
    Ok(Json(staff::update(&state, &c, id, u).await?))
}

#[utoipa::path(
    get,
    path = "/tokens",
    tag = "tokens",
    summary = "API tokens, paged",
    responses((status = 200, description = "A page of tokens (never their secrets)", body = Paged<ApiToken>))
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<ApiToken>>> {
    Ok(Json(p.page().slice(tokens::list(&state, &c).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenInput {
    /// 1–60 characters.
    #[schema(min_length = 1)]
    pub name: String,
    #[schema(min_items = 1)]
    pub scopes: Vec<ApiScope>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    /// Shown once: store it now.
    pub secret: String,
}

#[utoipa::path(
    post,
    path = "/tokens",
    tag = "tokens",
    summary = "Create an API token; the secret is returned once",
    request_body = TokenInput,
    responses((status = 201, description = "The new token and its secret", body = CreatedToken))
)]
pub async fn create_token(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(t): ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (token, secret) = tokens::create(&state, &c, &t.name, t.scopes).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

#[utoipa::path(
    post,
    path = "/tokens/{id}/revoke",
    tag = "tokens",
    summary = "Revoke an API token",
    params(("id" = ApiTokenId, Path, description = "The token")),
    responses((status = 204, description = "Revoked (or already revoked)"))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ApiTokenId>,
) -> ApiResult<StatusCode> {
    tokens::revoke(&state, &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    /// Unix milliseconds.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, ServiceError> {
        let action = match self.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(
                AuditAction::parse(a)
                    .ok_or_else(|| ServiceError::invalid("bad_query", Text::new("admin.bad_query")))?,
            ),
        };
        Ok(AuditFilter {
            action,
            actor: self.actor.clone(),
            target: self.target.clone(),
            from: self.from.map(Timestamp::from_millis),
            to: self.to.map(Timestamp::from_millis),
        })
    }
}

#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    summary = "Search the audit log, newest first",
    responses((status = 200, description = "A page of audit entries", body = Paged<AuditEntry>))
)]
pub async fn search_audit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<AuditQuery>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<AuditEntry>>> {
    let mut entries = audit::search(&state, &c, &q.filter()?, p.page()).await?;
    // A remembered mapping's change is stored as a catalogue text and given in the client's language;
    // every other detail is the record as written (a channel code's name that looks like one included).
    let lang = crate::error::request_lang();
    for e in entries.items.iter_mut().filter(|e| e.action.detail_is_text()) {
        e.detail = siyu_app::stored_text::decode(&e.detail).render(lang);
    }
    Ok(Json(entries))
}

#[derive(Debug, Deserialize)]
pub struct JobQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
}

#[utoipa::path(
    get,
    path = "/jobs",
    tag = "jobs",
    summary = "Background jobs, newest first",
    responses((status = 200, description = "A page of jobs", body = Paged<Job>))
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<JobQuery>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Job>>> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(JobStatus::parse(s).ok_or_else(|| {
            let all = JobStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            ServiceError::invalid("bad_query", Text::new("query.one_of").arg("name", "status").arg("all", all))
        })?),
    };
    let mut jobs = siyu_app::services::jobs::list(&state, &c, &JobFilter { status, kind: q.kind }, p.page()).await?;
    // A job's last error is stored as a catalogue text: it is given in the language the client asks for.
    let lang = crate::error::request_lang();
    for j in &mut jobs.items {
        j.last_error = j.last_error.as_deref().map(|e| siyu_app::stored_text::decode(e).render(lang));
    }
    Ok(Json(jobs))
}
