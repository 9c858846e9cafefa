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
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::Serialize;
use siyu_app::records::Page;
use siyu_domain::scope::Permission;

use crate::auth::extract::ApiCaller;
use crate::error::{ApiError, ServiceError};
use siyu_app::state::AppState;

/// What a query parameter may hold. Every parameter an endpoint reads is declared in the table with
/// one of these, checked before the handler runs, and listed in the OpenAPI document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// Text of at most `max_chars` characters (the handler checks what it means).
    Text { max_chars: usize },
    /// One of these words (blank means "any").
    OneOf(&'static [&'static str]),
}

/// One query parameter of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub about: &'static str,
}

const fn text(name: &'static str, max_chars: usize, about: &'static str) -> Param {
    Param { name, kind: ParamKind::Text { max_chars }, about }
}

/// `page` and `per_page`, shared by every paged list.
pub const PAGING: [Param; 2] = [
    Param { name: "page", kind: ParamKind::Int { min: 1, max: Page::MAX_NUMBER }, about: "Page number, from 1" },
    Param {
        name: "per_page",
        kind: ParamKind::Int { min: 1, max: Page::MAX_LIMIT },
        about: "Rows per page (default 50)",
    },
];

/// The query parameter the CSRF check reads on any write (upload forms cannot send a header); it is
/// never a handler's input.
const CSRF_PARAM: &str = "csrf";

/// Unix milliseconds up to the end of year 9999.
const MILLIS: ParamKind = ParamKind::Int { min: 0, max: 253_402_300_799_999 };

const CUSTOMER_QUERY: [Param; 6] = [
    text("sub_branch", 40, "A sub-branch id (`org_5`); the caller's scope still applies"),
    text("owner", 40, "A customer manager's id (`stf_9`)"),
    text("segment", 40, "`payroll`, `merchant`, `elderly`, `new_customer`, …"),
    text("risk_grade", 4, "Risk grade `C1`…`C5`"),
    text("aum_tier", 4, "AUM tier 1…5"),
    text("q", 100, "Customer number or name"),
];

/// What a request body is, which decides the most a route reads of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body is read.
    None,
    /// A JSON document, at most [`crate::router::BODY_LIMIT`] bytes.
    Json,
    /// A multipart file upload, at most the configured upload limit.
    Upload,
}

/// One endpoint: the router and the OpenAPI document are both built from this table, so the document
/// cannot drift from what is served.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Whether it can be called without signing in.
    pub public: bool,
    /// The permission the caller needs, checked before the request's body or query is read (the service
    /// checks it again, with the data scope); `None` for anyone signed in.
    pub permission: Option<Permission>,
    /// Every query parameter it reads; any other is refused.
    pub query: Vec<Param>,
    pub body: Body,
    /// For a list answered as a bare array rather than a page: why it cannot grow without bound.
    pub bounded: Option<&'static str>,
    handler: MethodRouter<AppState>,
}

impl Endpoint {
    fn needs(mut self, p: Permission) -> Self {
        self.permission = Some(p);
        self
    }

    fn paged(mut self) -> Self {
        self.query.extend(PAGING);
        self
    }

    fn query(mut self, params: &[Param]) -> Self {
        self.query.extend_from_slice(params);
        self
    }

    fn no_body(mut self) -> Self {
        self.body = Body::None;
        self
    }

    fn upload(mut self) -> Self {
        self.body = Body::Upload;
        self
    }

    fn bounded(mut self, why: &'static str) -> Self {
        self.bounded = Some(why);
        self
    }

    /// Whether it answers a page (`{"items": […], "total": n}`).
    pub fn is_paged(&self) -> bool {
        self.query.iter().any(|p| p.name == "page")
    }
}

fn ep(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Endpoint {
    let body = if matches!(method, "post" | "put") { Body::Json } else { Body::None };
    Endpoint {
        method,
        path,
        summary,
        tag,
        public: false,
        permission: None,
        query: Vec::new(),
        body,
        bounded: None,
        handler,
    }
}

pub fn endpoints() -> Vec<Endpoint> {
    use Permission::*;
    vec![
        ep("get", "/me", "session", "The caller, and the CSRF token for cookie-authenticated writes", get(me)),
        ep(
            "get",
            "/customers",
            "customers",
            "List customers in the caller's data scope, filtered and paged",
            get(customers::list),
        )
        .needs(ReadCustomers)
        .query(&CUSTOMER_QUERY)
        .paged(),
        ep("get", "/customers/{id}", "customers", "One customer (personal numbers masked)", get(customers::get))
            .needs(ReadCustomers),
        ep(
            "get",
            "/customers/by-number/{no}",
            "customers",
            "One customer by the bank's customer number",
            get(customers::by_number),
        )
        .needs(ReadCustomers),
        ep(
            "post",
            "/customers/{id}/reveal",
            "customers",
            "Show a phone or ID number in clear, with a reason (audited)",
            post(customers::reveal),
        )
        .needs(RevealCustomerPii),
        ep("get", "/customers/{id}/tags", "tags", "A customer's tags, paged", get(tags::of_customer))
            .needs(ReadCustomers)
            .paged(),
        ep(
            "post",
            "/customers/{id}/tags",
            "tags",
            "Put a manual tag on a customer (`{\"tag_id\": \"tag_3\"}`)",
            post(tags::tag_customer),
        )
        .needs(TagCustomers),
        ep(
            "delete",
            "/customers/{id}/tags/{tag}",
            "tags",
            "Take a manual tag off a customer",
            delete(tags::untag_customer),
        )
        .needs(TagCustomers),
        ep(
            "get",
            "/customers/{id}/timeline",
            "customers",
            "A customer's timeline (tags, WeCom, audiences, …), newest first",
            get(tags::timeline),
        )
        .needs(ReadCustomers)
        .paged(),
        ep("get", "/tag-groups", "tags", "Tag groups, paged", get(tags::groups)).needs(ReadCustomers).paged(),
        ep("post", "/tag-groups", "tags", "Create a tag group", post(tags::create_group)).needs(ManageTags),
        ep("get", "/tags", "tags", "Tags, with how many of the caller's customers carry each, paged", get(tags::list))
            .needs(ReadCustomers)
            .paged(),
        ep("post", "/tags", "tags", "Define a tag (manual, imported, rule or behavioural)", post(tags::create))
            .needs(ManageTags),
        ep("put", "/tags/{id}", "tags", "Rename a tag, move it, change its rule or WeCom mirroring", put(tags::update))
            .needs(ManageTags),
        ep(
            "get",
            "/audiences/preview",
            "audiences",
            "Count an expression (`?expr=…`) within the caller's scope, with a masked sample",
            get(audiences::preview),
        )
        .needs(ReadAudiences)
        .query(&[text("expr", audiences::EXPR_MAX_CHARS, "An audience expression")]),
        ep("get", "/audiences", "audiences", "Saved audiences, paged", get(audiences::list))
            .needs(ReadAudiences)
            .paged(),
        ep(
            "post",
            "/audiences",
            "audiences",
            "Save an audience (its members are computed at once)",
            post(audiences::create),
        )
        .needs(ManageAudiences),
        ep("get", "/audiences/{id}", "audiences", "One saved audience", get(audiences::get)).needs(ReadAudiences),
        ep("put", "/audiences/{id}", "audiences", "Change a saved audience", put(audiences::update))
            .needs(ManageAudiences),
        ep(
            "get",
            "/audiences/{id}/members",
            "audiences",
            "Members the caller may see, paged (numbers masked)",
            get(audiences::members),
        )
        .needs(ReadAudiences)
        .paged(),
        ep(
            "post",
            "/audiences/{id}/refresh",
            "audiences",
            "Recompute members now; returns how many entered and left",
            post(audiences::refresh),
        )
        .needs(ManageAudiences)
        .no_body(),
        ep(
            "get",
            "/audiences/{id}/export",
            "audiences",
            "Members as `?format=csv` or `xlsx` (masked, audited)",
            get(audiences::export),
        )
        .needs(ExportCustomers)
        .query(&[Param {
            name: "format",
            kind: ParamKind::OneOf(&["csv", "xlsx"]),
            about: "File format (default csv)",
        }]),
        ep("get", "/org-units", "organisation", "The organisation tree", get(admin::list_org_units)).bounded(
            "the bank's own units (head office, branches, sub-branches: thousands at most), which data scope \
             and the console already hold whole",
        ),
        ep("post", "/org-units", "organisation", "Create a branch or sub-branch", post(admin::create_org_unit))
            .needs(ManageOrganisation),
        ep(
            "put",
            "/org-units/{id}",
            "organisation",
            "Rename, recode or move a unit's pin",
            put(admin::update_org_unit),
        )
        .needs(ManageOrganisation),
        ep("get", "/staff", "staff", "List staff, filtered and paged", get(admin::list_staff))
            .needs(ManageStaff)
            .query(&[
                Param {
                    name: "role",
                    kind: ParamKind::OneOf(&[
                        "admin",
                        "hq_operator",
                        "compliance_reviewer",
                        "branch_manager",
                        "customer_manager",
                    ]),
                    about: "Only staff with this role",
                },
                text("org_unit", 40, "Only staff of this unit (`org_3`)"),
                text("q", 100, "Username or name"),
            ])
            .paged(),
        ep("post", "/staff", "staff", "Create a staff member", post(admin::create_staff)).needs(ManageStaff),
        ep("get", "/staff/{id}", "staff", "One staff member", get(admin::get_staff)).needs(ManageStaff),
        ep("put", "/staff/{id}", "staff", "Edit a staff member (role changes are audited)", put(admin::update_staff))
            .needs(ManageStaff),
        ep("get", "/tokens", "tokens", "API tokens, paged", get(admin::list_tokens)).needs(ManageApiTokens).paged(),
        ep("post", "/tokens", "tokens", "Create an API token; the secret is returned once", post(admin::create_token))
            .needs(ManageApiTokens),
        ep("post", "/tokens/{id}/revoke", "tokens", "Revoke an API token", post(admin::revoke_token))
            .needs(ManageApiTokens)
            .no_body(),
        ep("get", "/audit", "audit", "Search the audit log, newest first", get(admin::search_audit))
            .needs(ReadAuditLog)
            .query(&[
                text("action", 40, "An audit action (`pii_reveal`, `login`, …)"),
                text("actor", 100, "Who acted (a username, `token:<name>`)"),
                text("target", 100, "What was acted on (an id)"),
                Param { name: "from", kind: MILLIS, about: "From this time (Unix milliseconds)" },
                Param { name: "to", kind: MILLIS, about: "Up to this time (Unix milliseconds)" },
            ])
            .paged(),
        ep("get", "/jobs", "jobs", "Background jobs, newest first", get(admin::list_jobs))
            .needs(ReadJobs)
            .query(&[
                Param {
                    name: "status",
                    kind: ParamKind::OneOf(&["queued", "running", "succeeded", "failed"]),
                    about: "Only jobs in this state",
                },
                text("kind", 60, "Only jobs of this kind (`import.commit`, `wecom.sync`, …)"),
            ])
            .paged(),
        ep("get", "/imports", "imports", "Customer file imports, newest first", get(imports::list))
            .needs(ImportCustomers)
            .paged(),
        ep(
            "post",
            "/imports",
            "imports",
            "Upload a CSV/XLSX customer file (multipart `file`, optional `mapping`); its dry run starts",
            post(imports::upload),
        )
        .needs(ImportCustomers)
        .upload(),
        ep("get", "/imports/{id}", "imports", "One import with its progress and counts", get(imports::get))
            .needs(ImportCustomers),
        ep(
            "get",
            "/imports/{id}/problems",
            "imports",
            "The dry run's problems, by row and column",
            get(imports::problems),
        )
        .needs(ImportCustomers)
        .paged(),
        ep(
            "post",
            "/imports/{id}/commit",
            "imports",
            "Commit the good rows of a validated import",
            post(imports::commit),
        )
        .needs(ImportCustomers)
        .no_body(),
        ep(
            "get",
            "/imports/{id}/rejected.csv",
            "imports",
            "The rejected rows with their reasons, as CSV (audited export)",
            get(imports::rejected_csv),
        )
        .needs(ImportCustomers),
        ep(
            "get",
            "/channels",
            "channels",
            "Channel QR codes (渠道活码) the caller may see, paged",
            get(channels::list),
        )
        .needs(ReadChannels)
        .paged(),
        ep("post", "/channels", "channels", "Create a channel code and its WeCom contact way", post(channels::create))
            .needs(ManageChannels),
        ep(
            "get",
            "/channels/{id}",
            "channels",
            "One channel code with its adds and deletions per day",
            get(channels::get),
        )
        .needs(ReadChannels),
        ep(
            "post",
            "/wecom/sync",
            "wecom",
            "Queue a full WeCom sync (staff, customers, relationships, matching to bank customers), unless one \
             is already due or running",
            post(wecom::sync),
        )
        .needs(SyncWecom)
        .no_body(),
        Endpoint { public: true, ..ep("get", "/openapi.json", "meta", "This document", get(openapi::document)) },
    ]
}

/// The API's routes. Each endpoint's permission and query parameters are checked in a layer in front
/// of its handler, so a caller without the permission learns nothing from the handler's extractors
/// (not the body's field names, not the query's); only the upload endpoints may send more than
/// [`crate::router::BODY_LIMIT`].
pub fn routes(state: &AppState) -> Router<AppState> {
    let upload_limit = crate::router::upload_limit(&state.config);
    endpoints()
        .into_iter()
        .fold(Router::new(), |r, e| {
            let guard = Guard { public: e.public, permission: e.permission, query: e.query.into() };
            let handler = match e.body {
                Body::Upload => e
                    .handler
                    .layer(DefaultBodyLimit::max(upload_limit))
                    .layer(middleware::from_fn(crate::serve::upload_deadline)),
                Body::Json | Body::None => e.handler,
            };
            let handler = handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                move |axum::extract::State(st): axum::extract::State<AppState>, req: Request, next: Next| {
                    let g = guard.clone();
                    async move { g.check(&st, req, next).await }
                },
            ));
            r.route(e.path, handler)
        })
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

/// What the layer in front of one endpoint checks.
#[derive(Clone)]
struct Guard {
    public: bool,
    permission: Option<Permission>,
    query: std::sync::Arc<[Param]>,
}

impl Guard {
    async fn check(&self, state: &AppState, req: Request, next: Next) -> Response {
        let (parts, body) = req.into_parts();
        if !self.public {
            let caller = match crate::auth::extract::caller_of(&parts, state).await {
                Ok(c) => c,
                Err(e) => return ApiError::from(e).into_response(),
            };
            if let Some(p) = self.permission
                && !caller.actor.can(p)
            {
                return ApiError::from(ServiceError::Forbidden).into_response();
            }
        }
        if let Err(e) = check_query(&self.query, parts.uri.query().unwrap_or("")) {
            return ApiError::from(e).into_response();
        }
        next.run(Request::from_parts(parts, body)).await
    }
}

/// At most this many characters of a caller's parameter name are echoed in an error.
const NAME_ECHO: usize = 40;

/// Checks a query string against the parameters an endpoint declares: each known, given once, and
/// within its bounds.
pub fn check_query(params: &[Param], query: &str) -> Result<(), ServiceError> {
    let bad = |message: String| ServiceError::invalid("bad_query", message);
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == CSRF_PARAM {
            continue;
        }
        let Some(p) = params.iter().find(|p| p.name == name) else {
            let shown: String = name.chars().take(NAME_ECHO).collect();
            return Err(ServiceError::invalid(
                "unknown_parameter",
                format!("未知参数 {shown} / unknown parameter {shown}"),
            ));
        };
        if seen.contains(&p.name) {
            return Err(bad(format!("参数 {0} 重复 / {0} is given twice", p.name)));
        }
        seen.push(p.name);
        match p.kind {
            ParamKind::Int { min, max } => match value.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => {}
                Ok(_) => {
                    return Err(bad(format!(
                        "参数 {0} 应在 {min} 到 {max} 之间 / {0} must be from {min} to {max}",
                        p.name
                    )));
                }
                Err(_) => return Err(bad(format!("参数 {0} 应为整数 / {0} must be a whole number", p.name))),
            },
            ParamKind::Text { max_chars } => {
                if value.chars().count() > max_chars {
                    return Err(bad(format!(
                        "参数 {0} 最多 {max_chars} 个字符 / {0} is at most {max_chars} characters",
                        p.name
                    )));
                }
            }
            ParamKind::OneOf(words) => {
                let v = value.trim();
                if !v.is_empty() && !words.contains(&v) {
                    let all = words.join(", ");
                    return Err(bad(format!("参数 {0} 应为 {all} 之一 / {0} must be one of {all}", p.name)));
                }
            }
        }
    }
    Ok(())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn not_found() -> ApiError {
    ServiceError::NotFound.into()
}

/// A file as a download, sent as it is written; a file that fails halfway is cut off, never ended as
/// if it were whole.
pub fn download(d: siyu_app::services::download::Download) -> axum::response::Response {
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

/// `?page=2&per_page=50`, shared by every list (bounded by [`PAGING`] before a handler runs). Read as a
/// query of its own, never `#[serde(flatten)]`ed into another: through `flatten` serde_urlencoded hands
/// over every value as a string, and numbers no longer parse.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    pub fn page(self) -> siyu_app::records::Page {
        siyu_app::records::Page::numbered(self.page.unwrap_or(1), self.per_page.unwrap_or(50))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_lists_are_the_domains_words() {
        let words = |path: &str, name: &str| -> Vec<&'static str> {
            let e = endpoints().into_iter().find(|e| e.path == path && e.method == "get").unwrap();
            match e.query.iter().find(|p| p.name == name).unwrap().kind {
                ParamKind::OneOf(w) => w.to_vec(),
                other => panic!("{other:?}"),
            }
        };
        let roles: Vec<&str> = siyu_domain::org::Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(words("/staff", "role"), roles);
        let statuses: Vec<&str> = siyu_domain::job::JobStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words("/jobs", "status"), statuses);
    }

    #[test]
    fn query_bounds() {
        let p = PAGING;
        assert!(check_query(&p, "page=1&per_page=10&csrf=x").is_ok());
        for q in ["page=0", "page=368934881474191034", "per_page=-5", "per_page=501", "page=abc", "page=1&page=2"] {
            assert_eq!(check_query(&p, q).unwrap_err().code(), "bad_query", "{q}");
        }
        assert_eq!(check_query(&p, "pag=1").unwrap_err().code(), "unknown_parameter");
        let t = [text("q", 3, "")];
        assert!(check_query(&t, "q=%E4%B8%AD%E6%96%87%E5%AD%97").is_ok(), "characters, not bytes");
        assert!(check_query(&t, "q=abcd").is_err());
    }
}
