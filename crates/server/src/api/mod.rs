//! The JSON API under `/api/v1`, for the console's scripts and the bank's systems. Handlers are thin:
//! parse, call a service, serialise.

pub mod admin;
pub mod audiences;
pub mod channels;
pub mod customers;
pub mod extract;
pub mod imports;
pub mod openapi;
pub mod tags;
pub mod wecom;

use axum::Json;
use axum::Router;
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::extract::ApiCaller;

/// One endpoint: the router and the OpenAPI document are both built from this table, so the document
/// cannot drift from what is served.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Whether it can be called without signing in.
    pub public: bool,
    handler: MethodRouter<AppState>,
}

fn ep(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Endpoint {
    Endpoint { method, path, summary, tag, public: false, handler }
}

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep("get", "/me", "session", "The caller, and the CSRF token for cookie-authenticated writes", get(me)),
        ep(
            "get",
            "/customers",
            "customers",
            "List customers in the caller's data scope, filtered and paged",
            get(customers::list),
        ),
        ep("get", "/customers/{id}", "customers", "One customer (personal numbers masked)", get(customers::get)),
        ep(
            "get",
            "/customers/by-number/{no}",
            "customers",
            "One customer by the bank's customer number",
            get(customers::by_number),
        ),
        ep(
            "post",
            "/customers/{id}/reveal",
            "customers",
            "Show a phone or ID number in clear, with a reason (audited)",
            post(customers::reveal),
        ),
        ep("get", "/customers/{id}/tags", "tags", "A customer's tags", get(tags::of_customer)),
        ep(
            "post",
            "/customers/{id}/tags",
            "tags",
            "Put a manual tag on a customer (`{\"tag_id\": \"tag_3\"}`)",
            post(tags::tag_customer),
        ),
        ep(
            "delete",
            "/customers/{id}/tags/{tag}",
            "tags",
            "Take a manual tag off a customer",
            delete(tags::untag_customer),
        ),
        ep(
            "get",
            "/customers/{id}/timeline",
            "customers",
            "A customer's timeline (tags, WeCom, audiences, …), newest first",
            get(tags::timeline),
        ),
        ep("get", "/tag-groups", "tags", "Tag groups", get(tags::groups)),
        ep("post", "/tag-groups", "tags", "Create a tag group", post(tags::create_group)),
        ep("get", "/tags", "tags", "Every tag, with how many of the caller's customers carry it", get(tags::list)),
        ep("post", "/tags", "tags", "Define a tag (manual, imported, rule or behavioural)", post(tags::create)),
        ep("put", "/tags/{id}", "tags", "Rename a tag, move it, change its rule or WeCom mirroring", put(tags::update)),
        ep(
            "get",
            "/audiences/preview",
            "audiences",
            "Count an expression (`?expr=…`) within the caller's scope, with a masked sample",
            get(audiences::preview),
        ),
        ep("get", "/audiences", "audiences", "Saved audiences", get(audiences::list)),
        ep(
            "post",
            "/audiences",
            "audiences",
            "Save an audience (its members are computed at once)",
            post(audiences::create),
        ),
        ep("get", "/audiences/{id}", "audiences", "One saved audience", get(audiences::get)),
        ep("put", "/audiences/{id}", "audiences", "Change a saved audience", put(audiences::update)),
        ep(
            "get",
            "/audiences/{id}/members",
            "audiences",
            "Members the caller may see, paged (numbers masked)",
            get(audiences::members),
        ),
        ep(
            "post",
            "/audiences/{id}/refresh",
            "audiences",
            "Recompute members now; returns how many entered and left",
            post(audiences::refresh),
        ),
        ep(
            "get",
            "/audiences/{id}/export",
            "audiences",
            "Members as `?format=csv` or `xlsx` (masked, audited)",
            get(audiences::export),
        ),
        ep("get", "/org-units", "organisation", "The organisation tree", get(admin::list_org_units)),
        ep("post", "/org-units", "organisation", "Create a branch or sub-branch", post(admin::create_org_unit)),
        ep(
            "put",
            "/org-units/{id}",
            "organisation",
            "Rename, recode or move a unit's pin",
            put(admin::update_org_unit),
        ),
        ep("get", "/staff", "staff", "List staff, filtered and paged", get(admin::list_staff)),
        ep("post", "/staff", "staff", "Create a staff member", post(admin::create_staff)),
        ep("get", "/staff/{id}", "staff", "One staff member", get(admin::get_staff)),
        ep("put", "/staff/{id}", "staff", "Edit a staff member (role changes are audited)", put(admin::update_staff)),
        ep("get", "/tokens", "tokens", "API tokens", get(admin::list_tokens)),
        ep("post", "/tokens", "tokens", "Create an API token; the secret is returned once", post(admin::create_token)),
        ep("post", "/tokens/{id}/revoke", "tokens", "Revoke an API token", post(admin::revoke_token)),
        ep("get", "/audit", "audit", "Search the audit log, newest first", get(admin::search_audit)),
        ep("get", "/jobs", "jobs", "Background jobs, newest first", get(admin::list_jobs)),
        ep("get", "/imports", "imports", "Customer file imports, newest first", get(imports::list)),
        ep(
            "post",
            "/imports",
            "imports",
            "Upload a CSV/XLSX customer file (multipart `file`, optional `mapping`); its dry run starts",
            post(imports::upload),
        ),
        ep("get", "/imports/{id}", "imports", "One import with its progress and counts", get(imports::get)),
        ep(
            "get",
            "/imports/{id}/problems",
            "imports",
            "The dry run's problems, by row and column",
            get(imports::problems),
        ),
        ep(
            "post",
            "/imports/{id}/commit",
            "imports",
            "Commit the good rows of a validated import",
            post(imports::commit),
        ),
        ep(
            "get",
            "/imports/{id}/rejected.csv",
            "imports",
            "The rejected rows with their reasons, as CSV (audited export)",
            get(imports::rejected_csv),
        ),
        ep("get", "/channels", "channels", "Channel QR codes (渠道活码) the caller may see", get(channels::list)),
        ep("post", "/channels", "channels", "Create a channel code and its WeCom contact way", post(channels::create)),
        ep(
            "get",
            "/channels/{id}",
            "channels",
            "One channel code with its adds and deletions per day",
            get(channels::get),
        ),
        ep(
            "post",
            "/wecom/sync",
            "wecom",
            "Queue a full WeCom sync (staff, customers, relationships, matching to bank customers)",
            post(wecom::sync),
        ),
        Endpoint { public: true, ..ep("get", "/openapi.json", "meta", "This document", get(openapi::document)) },
    ]
}

pub fn routes() -> Router<AppState> {
    endpoints().into_iter().fold(Router::new(), |r, e| r.route(e.path, e.handler)).fallback(not_found)
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ServiceError::NotFound.into()
}

/// A file as a download, sent as it is written; a file that fails halfway is cut off, never ended as
/// if it were whole.
pub fn download(d: crate::services::download::Download) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let chunks = futures_util::stream::unfold(d.body, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    (
        [
            (header::CONTENT_TYPE, d.format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", d.file_name)),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

/// Who the caller is, as the API sees them.
#[derive(Debug, Serialize)]
pub struct Me {
    pub name: String,
    pub staff: Option<siyu_domain::org::Staff>,
    /// The token to send as `X-CSRF-Token` on state-changing calls made with the session cookie.
    pub csrf_token: Option<String>,
}

async fn me(ApiCaller(c): ApiCaller) -> Json<Me> {
    Json(Me { name: c.name(), staff: c.staff.clone(), csrf_token: c.csrf.clone() })
}

/// `?page=2&per_page=50`, shared by every list.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    pub fn page(self) -> siyu_store::Page {
        siyu_store::Page::numbered(self.page.unwrap_or(1), self.per_page.unwrap_or(50))
    }
}
