//! The JSON API under `/api/v1`, for the console's scripts and the bank's systems. Handlers are thin:
//! parse, call a service, serialise.

pub mod admin;
pub mod audiences;
pub mod channels;
pub mod content;
pub mod customers;
pub mod extract;
pub mod handovers;
pub mod imports;
pub mod library;
pub mod media;
pub mod openapi;
pub mod products;
pub mod tags;
pub mod wecom;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::Serialize;
use siyu_app::records::Page;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

use crate::auth::extract::ApiCaller;
use crate::error::{ApiError, ServiceError};
use siyu_app::state::AppState;

/// What a query parameter may hold. Every parameter an endpoint reads is declared in the table with
/// one of these, checked before the handler runs, and listed in the OpenAPI document with the same
/// bounds (`openapi::param_schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// Text of at most `max_chars` characters (the handler checks what it means).
    Text { max_chars: usize },
    /// One of these words, or empty for "any".
    OneOf(&'static [&'static str]),
    /// A typed id with this prefix (`org` for `org_3`), or empty for "any".
    Id(&'static str),
    /// Up to `max` of these words separated by commas (`C3,C4`), or empty for "any".
    SomeOf { words: &'static [&'static str], max: usize },
    /// Up to `max` typed ids with this prefix separated by commas (`org_3,org_5`), or empty for "any".
    Ids { prefix: &'static str, max: usize },
}

/// One query parameter of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub about: &'static str,
    /// Whether a call without it is refused.
    pub required: bool,
}

const fn text(name: &'static str, max_chars: usize, about: &'static str) -> Param {
    Param { name, kind: ParamKind::Text { max_chars }, about, required: false }
}

const fn one_of(name: &'static str, words: &'static [&'static str], about: &'static str) -> Param {
    Param { name, kind: ParamKind::OneOf(words), about, required: false }
}

const fn id(name: &'static str, prefix: &'static str, about: &'static str) -> Param {
    Param { name, kind: ParamKind::Id(prefix), about, required: false }
}

const fn some_of(name: &'static str, words: &'static [&'static str], max: usize, about: &'static str) -> Param {
    Param { name, kind: ParamKind::SomeOf { words, max }, about, required: false }
}

const fn ids(name: &'static str, prefix: &'static str, max: usize, about: &'static str) -> Param {
    Param { name, kind: ParamKind::Ids { prefix, max }, about, required: false }
}

/// `page` and `per_page`, shared by every paged list.
pub const PAGING: [Param; 2] = [
    Param {
        name: "page",
        kind: ParamKind::Int { min: 1, max: Page::MAX_NUMBER },
        about: "Page number, from 1",
        required: false,
    },
    Param {
        name: "per_page",
        kind: ParamKind::Int { min: 1, max: Page::MAX_LIMIT },
        about: "Rows per page (default 50)",
        required: false,
    },
];

/// The query parameter the CSRF check reads on any write (upload forms cannot send a header); it is
/// never a handler's input.
const CSRF_PARAM: &str = "csrf";

/// Unix milliseconds up to the end of year 9999.
const MILLIS: ParamKind = ParamKind::Int { min: 0, max: 253_402_300_799_999 };

/// Risk grades and AUM tiers as a filter takes them: `C3`, `c3` or `3` (the filter has always read all
/// three, for both).
const GRADES: &[&str] = &["1", "2", "3", "4", "5", "C1", "C2", "C3", "C4", "C5", "c1", "c2", "c3", "c4", "c5"];
const TIERS: &[&str] = GRADES;

const CUSTOMER_QUERY: [Param; 8] = [
    ids(
        "sub_branch",
        siyu_domain::OrgUnitId::PREFIX,
        siyu_app::records::MAX_FILTER_SUB_BRANCHES,
        "Sub-branches (`org_5` or `org_5,org_6`): customers of any of them; the caller's scope still applies",
    ),
    id("owner", siyu_domain::StaffId::PREFIX, "A customer manager (`stf_9`)"),
    one_of("segment", SEGMENTS, "Customers of this business line"),
    some_of("risk_grade", GRADES, 5, "Risk grades `C1`…`C5` (or `1`…`5`), one or several (`C3,C4,C5`)"),
    one_of("aum_tier", TIERS, "AUM tier 1…5 exactly (a `C` before it is allowed)"),
    one_of("aum_tier_min", TIERS, "AUM tier at least this (3: platinum and above)"),
    one_of("aum_tier_max", TIERS, "AUM tier at most this"),
    text("q", 100, "Customer number (exact) or part of the name"),
];

/// The content library's filters (`library::ItemsQuery`).
const LIBRARY_QUERY: [Param; 6] = [
    one_of("kind", library::KINDS, "Items of this kind"),
    one_of("category", library::CATEGORIES, "Items of this category"),
    one_of("stage", library::STAGES, "Items whose newest version serves this AIDA stage"),
    one_of("channel", library::CHANNELS, "Items whose newest version may go to this channel"),
    one_of("status", library::STATUSES, "Items whose newest version is in this review state"),
    text("q", 100, "Words of the newest version's title or body"),
];

const SCRIPTS_QUERY: [Param; 4] = [
    one_of("category", library::CATEGORIES, "Scripts for this scenario (the item's category)"),
    one_of("stage", library::STAGES, "Scripts for this AIDA stage"),
    id("product", "prd", "Scripts about this product"),
    text("q", 100, "Words of the title or the text"),
];

const SEGMENTS: &[&str] = &["payroll", "credit_card", "wealth", "loan"];
const ROLES: &[&str] = &["admin", "hq_operator", "compliance_reviewer", "branch_manager", "customer_manager"];
const JOB_STATUSES: &[&str] = &["queued", "running", "succeeded", "failed"];
const AUDIT_ACTIONS: &[&str] = &[
    "login",
    "login_failed",
    "logout",
    "reveal_pii",
    "import_committed",
    "export",
    "staff_created",
    "staff_changed",
    "role_changed",
    "org_unit_changed",
    "api_token_created",
    "api_token_revoked",
    "channel_code_created",
    "channel_controls_changed",
    "tag_defined",
    "audience_saved",
    "password_reset",
    "password_changed",
    "handover_started",
    "customer_handed_over",
    "handover_run_again",
    "handover_ended",
    "mapping_remembered",
    "compliance_rules_changed",
    "products_imported",
    "content_draft_saved",
    "content_submitted",
    "content_withdrawn",
    "content_approved",
    "content_rejected",
    "content_published",
    "content_retired",
    "media_uploaded",
];

/// `format` and `lang` of a product file (template or export).
const PRODUCT_FILE: [Param; 2] = [
    one_of("format", &["csv", "xlsx"], "File format (default csv)"),
    one_of("lang", &["zh", "en"], "Header language (default the request's)"),
];

/// What a request body is, which decides the most a route reads of it. Read from the handler's
/// `#[utoipa::path(request_body = …)]`, so the limit and the document cannot differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body is read.
    None,
    /// A JSON document, at most [`crate::router::BODY_LIMIT`] bytes.
    Json,
    /// A multipart file upload, at most the configured upload limit.
    Upload,
}

/// Whether an endpoint reaches customers' data. Every row of the table says, with no default, so the
/// data-scope walk (`tests/it/data_scope.rs`) calls each such endpoint as a customer manager and a
/// branch manager and a new one cannot be left out; a test also finds any endpoint whose answer holds
/// a customer and is not marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Its answer can hold customers (one, a page, a sample, a file of them), or it reads or changes
    /// one customer named in its path.
    Customers,
    /// Nothing of any customer (counts at most).
    NoCustomers,
}

/// One endpoint: the router and the OpenAPI document are both built from this table, so the document
/// cannot drift from what is served. Method, path, body and responses come from the handler's
/// `#[utoipa::path]` (through `utoipa_axum::routes!`, which also builds the route from them);
/// permissions, query parameters and paging from the row.
pub struct Endpoint {
    /// `get`, `post`, `put` or `delete`.
    pub method: &'static str,
    /// Under `/api/v1`, with `{name}` for a path parameter.
    pub path: String,
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
    pub reads: Reads,
    /// For an upload, the most it reads when less than the configured upload limit.
    pub max_body: Option<usize>,
    /// The operation as the handler documents it (summary, path parameters, body, success answers).
    pub operation: utoipa::openapi::path::Operation,
    /// The schemas that operation refers to.
    pub schemas: Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
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

    fn bounded(mut self, why: &'static str) -> Self {
        self.bounded = Some(why);
        self
    }

    fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Whether it answers a page (`{"items": […], "total": n}`).
    pub fn is_paged(&self) -> bool {
        self.query.iter().any(|p| p.name == "page")
    }

    /// Whether it changes anything (and so needs the CSRF token with the session cookie).
    pub fn is_write(&self) -> bool {
        self.method != "get"
    }
}

/// A row from a handler documented with `#[utoipa::path]`: its one path and method, its operation and
/// its route.
fn ep((schemas, paths, handler): UtoipaMethodRouter<AppState>, reads: Reads) -> Endpoint {
    let mut paths = paths.paths.into_iter();
    let (path, item) = paths.next().expect("a documented handler");
    assert!(paths.next().is_none(), "{path}: one handler, one path");
    let mut ops = [
        ("get", item.get),
        ("post", item.post),
        ("put", item.put),
        ("delete", item.delete),
        ("patch", item.patch),
        ("head", item.head),
        ("options", item.options),
        ("trace", item.trace),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)));
    let (method, operation) = ops.next().unwrap_or_else(|| panic!("{path}: no method"));
    assert!(ops.next().is_none(), "{path}: one handler, one method");
    let body = match operation.request_body.as_ref().map(|b| b.content.keys().cloned().collect::<Vec<_>>()) {
        None => Body::None,
        Some(types) if types == ["multipart/form-data"] => Body::Upload,
        Some(types) if types == ["application/json"] => Body::Json,
        Some(types) => panic!("{method} {path}: a body of {types:?}"),
    };
    Endpoint {
        method,
        path,
        public: false,
        permission: None,
        query: Vec::new(),
        body,
        bounded: None,
        reads,
        max_body: None,
        operation,
        schemas,
        handler,
    }
}

pub fn endpoints() -> Vec<Endpoint> {
    use Permission::*;
    use Reads::{Customers, NoCustomers};
    vec![
        ep(routes!(me), NoCustomers),
        ep(routes!(customers::list), Customers).needs(ReadCustomers).query(&CUSTOMER_QUERY).paged(),
        ep(routes!(customers::get), Customers).needs(ReadCustomers),
        ep(routes!(customers::by_number), Customers).needs(ReadCustomers),
        ep(routes!(customers::reveal), Customers).needs(RevealCustomerPii),
        ep(routes!(tags::of_customer), Customers).needs(ReadCustomers).paged(),
        ep(routes!(tags::tag_customer), Customers).needs(TagCustomers),
        ep(routes!(tags::untag_customer), Customers).needs(TagCustomers),
        ep(routes!(tags::timeline), Customers).needs(ReadCustomers).paged(),
        ep(routes!(tags::groups), NoCustomers).needs(ReadCustomers).paged(),
        ep(routes!(tags::create_group), NoCustomers).needs(ManageTags),
        ep(routes!(tags::list), NoCustomers).needs(ReadCustomers).paged(),
        ep(routes!(tags::create), NoCustomers).needs(ManageTags),
        ep(routes!(tags::update), NoCustomers).needs(ManageTags),
        ep(routes!(audiences::preview), Customers)
            .needs(ReadAudiences)
            .query(&[Param { required: true, ..text("expr", audiences::EXPR_MAX_CHARS, "An audience expression") }]),
        ep(routes!(audiences::list), NoCustomers).needs(ReadAudiences).paged(),
        ep(routes!(audiences::create), NoCustomers).needs(ManageAudiences),
        ep(routes!(audiences::get), NoCustomers).needs(ReadAudiences),
        ep(routes!(audiences::update), NoCustomers).needs(ManageAudiences),
        ep(routes!(audiences::members), Customers).needs(ReadAudiences).paged(),
        ep(routes!(audiences::refresh), NoCustomers).needs(ManageAudiences),
        ep(routes!(audiences::export), Customers).needs(ExportCustomers).query(&[one_of(
            "format",
            &["csv", "xlsx"],
            "File format (default csv)",
        )]),
        ep(routes!(admin::list_org_units), NoCustomers).bounded(
            "the bank's own units (head office, branches, sub-branches: thousands at most), which data scope \
             and the console already hold whole",
        ),
        ep(routes!(admin::create_org_unit), NoCustomers).needs(ManageOrganisation),
        ep(routes!(admin::update_org_unit), NoCustomers).needs(ManageOrganisation),
        ep(routes!(admin::list_staff), NoCustomers)
            .needs(ManageStaff)
            .query(&[
                one_of("role", ROLES, "Only staff with this role"),
                id("org_unit", siyu_domain::OrgUnitId::PREFIX, "Only staff of this unit (`org_3`)"),
                text("q", 100, "Username or name"),
            ])
            .paged(),
        ep(routes!(admin::create_staff), NoCustomers).needs(ManageStaff),
        ep(routes!(admin::get_staff), NoCustomers).needs(ManageStaff),
        ep(routes!(admin::update_staff), NoCustomers).needs(ManageStaff),
        ep(routes!(handovers::reset_password), NoCustomers).needs(ManageStaff),
        ep(routes!(handovers::list), NoCustomers).needs(ManageStaff).paged(),
        ep(routes!(handovers::get), Customers).needs(ManageStaff),
        ep(routes!(handovers::start), Customers).needs(ManageStaff),
        ep(routes!(handovers::run_again), NoCustomers).needs(ManageStaff),
        ep(routes!(handovers::end_rest), NoCustomers).needs(ManageStaff),
        ep(routes!(admin::list_tokens), NoCustomers).needs(ManageApiTokens).paged(),
        ep(routes!(admin::create_token), NoCustomers).needs(ManageApiTokens),
        ep(routes!(admin::revoke_token), NoCustomers).needs(ManageApiTokens),
        ep(routes!(admin::search_audit), NoCustomers)
            .needs(ReadAuditLog)
            .query(&[
                one_of("action", AUDIT_ACTIONS, "An audit action"),
                text("actor", 100, "Who acted (a username, `token:<name>`)"),
                text("target", 100, "What was acted on (an id)"),
                Param { name: "from", kind: MILLIS, about: "From this time (Unix milliseconds)", required: false },
                Param { name: "to", kind: MILLIS, about: "Up to this time (Unix milliseconds)", required: false },
            ])
            .paged(),
        ep(routes!(admin::list_jobs), NoCustomers)
            .needs(ReadJobs)
            .query(&[
                one_of("status", JOB_STATUSES, "Only jobs in this state"),
                text("kind", 60, "Only jobs of this kind (`import.commit`, `wecom.sync`, …)"),
            ])
            .paged(),
        ep(routes!(imports::list), NoCustomers).needs(ImportCustomers).paged(),
        ep(routes!(imports::upload), NoCustomers).needs(ImportCustomers),
        ep(routes!(imports::get), NoCustomers).needs(ImportCustomers),
        ep(routes!(imports::problems), NoCustomers).needs(ImportCustomers).paged(),
        ep(routes!(imports::commit), NoCustomers).needs(ImportCustomers),
        ep(routes!(imports::rejected_csv), Customers).needs(ImportCustomers),
        ep(routes!(channels::list), NoCustomers).needs(ReadChannels).paged(),
        ep(routes!(channels::create), NoCustomers).needs(ManageChannels),
        ep(routes!(channels::get), NoCustomers).needs(ReadChannels),
        ep(routes!(channels::set_controls), NoCustomers).needs(ManageChannels),
        ep(routes!(channels::customers), Customers).needs(ReadCustomers).paged(),
        ep(routes!(wecom::sync), NoCustomers).needs(SyncWecom),
        ep(routes!(content::lint), NoCustomers).needs(LintContent),
        ep(routes!(content::rules), NoCustomers).needs(LintContent),
        ep(routes!(content::set_rules), NoCustomers).needs(ManageComplianceRules),
        ep(routes!(content::issue_link), Customers).needs(ReadContent),
        ep(routes!(content::link_stats), NoCustomers).needs(ReadContent),
        ep(routes!(content::item_figures), NoCustomers).needs(ReadContent),
        ep(routes!(content::item_senders), NoCustomers).needs(ReadContent).paged(),
        ep(routes!(content::scripts), NoCustomers).needs(ReadContent).query(&SCRIPTS_QUERY).paged(),
        ep(routes!(content::script_used), NoCustomers).needs(ReadContent),
        ep(routes!(openapi::document), NoCustomers).public(),
        ep(routes!(products::list), NoCustomers)
            .needs(ReadProducts)
            .query(&[
                one_of("kind", products::TYPES, "Only products of this type"),
                one_of("risk_grade", products::GRADES, "Only products of this risk grade (`R3`, `r3` or `3`)"),
                one_of("on_sale", &["true", "false"], "Only products on sale (`true`) or not (`false`)"),
                text("q", 100, "Part of the code or the name"),
            ])
            .paged(),
        ep(routes!(products::get), NoCustomers).needs(ReadProducts),
        ep(routes!(products::import), NoCustomers).needs(ManageProducts).query(&[one_of(
            "dry_run",
            &["true", "false"],
            "`true`: count and check only, write nothing (default false)",
        )]),
        ep(routes!(products::template), NoCustomers).needs(ManageProducts).query(&PRODUCT_FILE),
        ep(routes!(products::export), NoCustomers).needs(ReadProducts).query(&PRODUCT_FILE),
        ep(routes!(library::list), NoCustomers).needs(ReadContent).query(&LIBRARY_QUERY).paged(),
        ep(routes!(library::create), NoCustomers).needs(AuthorContent),
        ep(routes!(library::get), NoCustomers).needs(ReadContent),
        ep(routes!(library::new_version), NoCustomers).needs(AuthorContent),
        ep(routes!(library::edit), NoCustomers).needs(AuthorContent),
        ep(routes!(library::submit), NoCustomers).needs(AuthorContent),
        ep(routes!(library::withdraw), NoCustomers).needs(AuthorContent),
        ep(routes!(library::approve), NoCustomers).needs(ReviewContent),
        ep(routes!(library::reject), NoCustomers).needs(ReviewContent),
        ep(routes!(library::publish), NoCustomers).needs(ReadContent),
        ep(routes!(library::retire), NoCustomers).needs(ReadContent),
        ep(routes!(library::review_queue), NoCustomers).needs(ReviewContent).paged(),
        ep(routes!(media::upload), NoCustomers)
            .needs(AuthorContent)
            .max_body(siyu_app::services::media::UPLOAD_BODY_LIMIT),
        ep(routes!(media::get), NoCustomers).needs(ReadContent),
        ep(routes!(media::list), NoCustomers)
            .needs(ReadContent)
            .query(&[one_of("kind", &["image", "file"], "Only images or only files")])
            .paged(),
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
                    .layer(DefaultBodyLimit::max(e.max_body.unwrap_or(upload_limit)))
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
            r.route(&e.path, handler)
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
    let bad = |message: Text| ServiceError::invalid("bad_query", message);
    let mut seen: Vec<&str> = Vec::new();
    // Blank is "any" for a word or an id; anything else must be exactly one (no spaces around it,
    // which the handlers would not read).
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == CSRF_PARAM {
            continue;
        }
        let Some(p) = params.iter().find(|p| p.name == name) else {
            let shown: String = name.chars().take(NAME_ECHO).collect();
            return Err(ServiceError::invalid(
                "unknown_parameter",
                Text::new("query.unknown_parameter").arg("name", shown),
            ));
        };
        if seen.contains(&p.name) {
            return Err(bad(Text::new("query.twice").arg("name", p.name)));
        }
        seen.push(p.name);
        match p.kind {
            ParamKind::Int { min, max } => match value.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => {}
                Ok(_) => {
                    return Err(bad(Text::new("query.range").arg("name", p.name).arg("min", min).arg("max", max)));
                }
                Err(_) => return Err(bad(Text::new("query.whole_number").arg("name", p.name))),
            },
            ParamKind::Text { max_chars } => {
                if value.chars().count() > max_chars {
                    return Err(bad(Text::new("query.too_long").arg("name", p.name).arg("max", max_chars)));
                }
            }
            ParamKind::OneOf(words) => {
                if !value.is_empty() && !words.contains(&value.as_ref()) {
                    let all = words.join(", ");
                    return Err(bad(Text::new("query.one_of").arg("name", p.name).arg("all", all)));
                }
            }
            ParamKind::Id(prefix) => {
                if !value.is_empty() && !is_id(prefix, &value) {
                    return Err(bad(Text::new("query.id").arg("name", p.name).arg("prefix", prefix)));
                }
            }
            ParamKind::SomeOf { words, max } => {
                // Counted before each is looked at: a list is bounded before any work on it.
                if !value.is_empty() && value.split(',').nth(max).is_some() {
                    return Err(bad(Text::new("query.too_many_values").arg("name", p.name).arg("max", max)));
                }
                if !value.is_empty() && !value.split(',').all(|w| words.contains(&w)) {
                    let all = words.join(", ");
                    return Err(bad(Text::new("query.some_of").arg("name", p.name).arg("all", all)));
                }
            }
            ParamKind::Ids { prefix, max } => {
                if !value.is_empty() && value.split(',').nth(max).is_some() {
                    return Err(bad(Text::new("query.too_many_values").arg("name", p.name).arg("max", max)));
                }
                if !value.is_empty() && !value.split(',').all(|v| is_id(prefix, v)) {
                    return Err(bad(Text::new("query.ids").arg("name", p.name).arg("prefix", prefix)));
                }
            }
        }
    }
    if let Some(p) = params.iter().find(|p| p.required && !seen.contains(&p.name)) {
        return Err(bad(Text::new("query.required").arg("name", p.name)));
    }
    Ok(())
}

/// Whether `text` is an id with this prefix, as the typed ids parse it.
fn is_id(prefix: &str, text: &str) -> bool {
    text.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('_')).and_then(siyu_domain::ids::key_of).is_some()
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub name: String,
    pub staff: Option<siyu_domain::org::Staff>,
    /// The token to send as `X-CSRF-Token` on state-changing calls made with the session cookie.
    pub csrf_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/me",
    tag = "session",
    summary = "The caller, and the CSRF token for cookie-authenticated writes",
    responses((status = 200, description = "The caller", body = Me))
)]
pub async fn me(ApiCaller(c): ApiCaller) -> Json<Me> {
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
                ParamKind::OneOf(w) | ParamKind::SomeOf { words: w, .. } => w.to_vec(),
                other => panic!("{other:?}"),
            }
        };
        let roles: Vec<&str> = siyu_domain::org::Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(words("/staff", "role"), roles);
        let statuses: Vec<&str> = siyu_domain::job::JobStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words("/jobs", "status"), statuses);
        let segments: Vec<&str> = siyu_app::records::SegmentFilter::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words("/customers", "segment"), segments);
        let actions: Vec<&str> = siyu_domain::audit::AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(words("/audit", "action"), actions);
        let grades: Vec<String> = (1..=5)
            .map(|n| n.to_string())
            .chain((1..=5).map(|n| format!("C{n}")))
            .chain((1..=5).map(|n| format!("c{n}")))
            .collect();
        assert_eq!(words("/customers", "risk_grade"), grades);
        assert_eq!(words("/customers", "aum_tier"), grades, "tiers are read the same way as grades");
        for g in words("/customers", "risk_grade") {
            let q = super::customers::CustomerQuery { risk_grade: Some(g.to_owned()), ..Default::default() };
            assert!(q.filter().is_ok(), "{g} is a grade the filter reads");
            let q = super::customers::CustomerQuery { aum_tier: Some(g.to_owned()), ..Default::default() };
            assert!(q.filter().is_ok(), "{g} is a tier the filter reads");
        }
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
        let words = [one_of("role", &["admin"], ""), id("unit", "org", "")];
        assert!(check_query(&words, "role=&unit=").is_ok(), "blank is any");
        assert!(check_query(&words, "role=admin&unit=org_3").is_ok());
        for q in ["role=%20admin", "role=Admin", "unit=org_03", "unit=stf_3", "unit=%20org_3", "unit=org_"] {
            assert_eq!(check_query(&words, q).unwrap_err().code(), "bad_query", "{q}");
        }
        let needed = [Param { required: true, ..text("expr", 10, "") }];
        assert_eq!(check_query(&needed, "").unwrap_err().code(), "bad_query");
        assert!(check_query(&needed, "expr=x").is_ok());
    }
}
