//! The operator console: server-rendered pages (one askama struct per page), Simplified Chinese by
//! default with an English switch, a little hand-written JavaScript, no front-end build.

pub mod admin;
pub mod audiences;
pub mod channels;
pub mod customers;
pub mod i18n;
pub mod imports;
pub mod login;
pub mod org;
pub mod profile;
pub mod staff;
pub mod tags;
pub mod words_audience;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use siyu_domain::scope::Permission;

use crate::app::AppState;
use crate::auth::extract::{ConsoleUser, cookie};
use crate::error::ServiceError;
use i18n::{Lang, Tr};

/// The console's pages; only the two upload forms (a customer file, a tag's customer list) may send
/// more than [`crate::app::BODY_LIMIT`], up to `upload_limit` bytes.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    let upload = || {
        tower::ServiceBuilder::new()
            .layer(axum::extract::DefaultBodyLimit::max(upload_limit))
            .layer(axum::middleware::from_fn(crate::serve::upload_deadline))
    };
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang/{lang}", get(switch_lang))
        .route(
            "/static/app.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../static/app.css"))
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/app.js"))
            }),
        )
        .route("/customers", get(customers::list))
        .route("/customers/{id}", get(customers::detail))
        .route("/customers/{id}/reveal", post(customers::reveal))
        .route("/customers/{id}/tags", post(profile::set_tag))
        .route("/tags", get(tags::list).post(tags::create))
        .route("/tags/groups", post(tags::create_group))
        .route("/tags/{id}", get(tags::detail).post(tags::update))
        .route("/tags/{id}/list", post(tags::load_list).layer(upload()))
        .route("/audiences", get(audiences::list).post(audiences::create))
        .route("/audiences/new", get(audiences::new_page))
        .route("/audiences/{id}", get(audiences::detail).post(audiences::update))
        .route("/audiences/{id}/edit", get(audiences::edit_page))
        .route("/audiences/{id}/refresh", post(audiences::refresh))
        .route("/audiences/{id}/export", get(audiences::export))
        .route("/imports", get(imports::list).merge(post(imports::upload).layer(upload())))
        .route("/imports/{id}", get(imports::detail))
        .route("/imports/{id}/commit", post(imports::commit))
        .route("/imports/{id}/remap", post(imports::remap))
        .route("/imports/{id}/rejected.csv", get(imports::rejected_csv))
        .route("/org", get(org::list).post(org::create))
        .route("/org/{id}", get(org::edit_page).post(org::edit))
        .route("/staff", get(staff::list))
        .route("/staff/new", get(staff::new_page).post(staff::create))
        .route("/staff/{id}", get(staff::edit_page).post(staff::edit))
        .route("/channels", get(channels::list).post(channels::create))
        .route("/channels/{id}", get(channels::detail))
        .route("/channels/{id}/simulate", post(channels::simulate))
        .route("/audit", get(admin::audit))
        .route("/tokens", get(admin::tokens).post(admin::create_token))
        .route("/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/jobs", get(admin::jobs))
}

/// A link in the navigation bar.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What every page's frame needs: words, who is signed in, the CSRF token, the navigation.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub tr: Tr,
    pub lang: &'static str,
    pub user_name: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}

const NAV: [(&str, &str, Permission); 10] = [
    ("/customers", "nav.customers", Permission::ReadCustomers),
    ("/audiences", "nav.audiences", Permission::ReadAudiences),
    ("/tags", "nav.tags", Permission::ReadCustomers),
    ("/channels", "nav.channels", Permission::ReadChannels),
    ("/imports", "nav.imports", Permission::ImportCustomers),
    ("/org", "nav.org", Permission::ManageOrganisation),
    ("/staff", "nav.staff", Permission::ManageStaff),
    ("/tokens", "nav.tokens", Permission::ManageApiTokens),
    ("/audit", "nav.audit", Permission::ReadAuditLog),
    ("/jobs", "nav.jobs", Permission::ReadJobs),
];

pub fn lang(headers: &HeaderMap) -> Tr {
    Tr(Lang::from_cookie(cookie(headers, Lang::COOKIE)))
}

impl PageCtx {
    pub fn new(user: &ConsoleUser, headers: &HeaderMap, current: &str) -> Self {
        let tr = lang(headers);
        let nav = NAV
            .iter()
            .filter(|(_, _, p)| user.0.actor.can(*p))
            .map(|(href, key, _)| NavItem { href, label: tr.t(key), active: current.starts_with(href) })
            .collect();
        Self {
            tr,
            lang: tr.0.code(),
            user_name: user.staff().display_name.clone(),
            role: tr.role(user.staff().role),
            csrf: user.csrf().to_owned(),
            nav,
        }
    }
}

/// Renders a page, or a plain 500 if the template fails (it cannot, for well-typed structs, but a
/// panic is never the answer).
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    message: String,
}

/// A service error as a page in the frame, with the right status.
pub fn error_page(ctx: PageCtx, e: ServiceError) -> Response {
    let message = match &e {
        ServiceError::Forbidden => ctx.tr.t("error.forbidden").to_owned(),
        ServiceError::NotFound => ctx.tr.t("error.not_found").to_owned(),
        ServiceError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            ctx.tr.t("error.title").to_owned()
        }
        other => other.to_string(),
    };
    let mut resp = render(&ErrorPage { ctx, message });
    *resp.status_mut() = e.status();
    resp
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
}

async fn home(user: ConsoleUser, headers: HeaderMap) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/");
    match ctx.nav.first() {
        Some(first) => Redirect::to(first.href).into_response(),
        None => render(&HomePage { ctx }),
    }
}

async fn switch_lang(axum::extract::Path(l): axum::extract::Path<String>, headers: HeaderMap) -> Response {
    let value = if l == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned())));
    // The referring page's path, under the same rule as sign-in's `next`: a referrer of
    // `https://evil.example//evil.example` must not make this an open redirect.
    let back = login::safe_next(back.as_deref());
    (
        // `Secure` is added for HTTPS requests by `crate::headers::harden`, as for every cookie.
        [(header::SET_COOKIE, format!("{}={value}; Path=/; Max-Age=31536000; SameSite=Lax", Lang::COOKIE))],
        Redirect::to(&back),
    )
        .into_response()
}

/// A typed id from the path (`/imports/{id}`). A text that is not such an id names nothing, so it
/// answers the same "not found" page as an id outside the caller's scope — once, here, for every page.
#[derive(Debug)]
pub struct IdPath<T>(pub T);

impl<T: std::str::FromStr + Send> FromRequestParts<AppState> for IdPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        // The parse error is dropped before the await, so it need not be `Send`.
        if let Ok(id) = raw.parse::<T>() {
            return Ok(Self(id));
        }
        let user = ConsoleUser::from_request_parts(parts, state).await?;
        Err(error_page(PageCtx::new(&user, &parts.headers, parts.uri.path()), ServiceError::NotFound))
    }
}

/// Page links for a list, keeping the other query parameters.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base_query` is the current query string without `page`.
    pub fn new(path: &str, base_query: &str, page: siyu_store::Page, total: i64) -> Self {
        let per = page.limit.max(1);
        let current = page.offset / per + 1;
        let pages = ((total + per - 1) / per).max(1);
        let href = |p: i64| {
            if base_query.is_empty() { format!("{path}?page={p}") } else { format!("{path}?{base_query}&page={p}") }
        };
        Self {
            page: current,
            pages,
            total,
            prev: (current > 1).then(|| href(current - 1)),
            next: (current < pages).then(|| href(current + 1)),
        }
    }
}

/// The query string without its `page` parameter.
pub fn query_without_page(q: Option<&str>) -> String {
    q.unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("page=")).collect::<Vec<_>>().join("&")
}

/// A timestamp as bank staff read it (UTC+8).
pub fn show_time(t: siyu_domain::Timestamp) -> String {
    t.bank_display()
}
