//! The operator console: server-rendered pages (one askama struct per page), Simplified Chinese by
//! default with an English switch, a little hand-written JavaScript, no front-end build.

pub mod admin;
pub mod audience_words;
pub mod audiences;
pub mod channel_detail;
pub mod channels;
pub mod channels_words;
mod chart;
pub mod compliance;
pub mod compliance_words;
pub mod content;
mod content_diff;
mod content_fields;
mod content_stats;
pub mod content_words;
pub mod customer_filter_words;
pub mod customers;
pub mod handover;
pub mod home;
pub mod home_words;
pub mod i18n;
pub mod import_words;
pub mod imports;
pub mod login;
pub mod media;
pub mod media_words;
pub mod names_words;
pub mod org;
pub mod products;
pub mod products_words;
pub mod profile;
mod scripts;
pub mod staff;
pub mod staff_words;
pub mod tags;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use siyu_domain::scope::Permission;

use crate::auth::extract::{ConsoleUser, cookie};
use i18n::Tr;
use siyu_app::error::ServiceError;
use siyu_app::state::AppState;

/// Who may send one of the console's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the sign-in form (checked by its own token and the throttle).
    Public,
    /// Anyone signed in, whatever their role: signing out.
    SignedIn,
    /// Staff whose role has this permission; the service checks it again, with the data scope.
    Needs(Permission),
}

/// One console form (a POST route): its path, who may send it, and whether it is an upload.
pub struct FormRoute {
    pub path: &'static str,
    pub access: Access,
    /// Only uploads may send more than [`crate::router::BODY_LIMIT`].
    pub upload: bool,
    handler: MethodRouter<AppState>,
}

fn form(path: &'static str, access: Access, handler: MethodRouter<AppState>) -> FormRoute {
    FormRoute { path, access, upload: false, handler }
}

/// Every form the console accepts. The router adds POST routes from this table only, each behind a
/// layer that checks [`Access`] before the handler's extractors run, so a caller without the
/// permission gets the forbidden page and learns nothing from the form's parser (not its field names).
pub fn forms() -> Vec<FormRoute> {
    use Access::{Needs, Public, SignedIn};
    use Permission::*;
    vec![
        form("/login", Public, post(login::submit)),
        form("/logout", SignedIn, post(login::logout)),
        form("/customers/{id}/reveal", Needs(RevealCustomerPii), post(customers::reveal)),
        form("/customers/{id}/tags", Needs(TagCustomers), post(profile::set_tag)),
        form("/tags", Needs(ManageTags), post(tags::create)),
        form("/tags/groups", Needs(ManageTags), post(tags::create_group)),
        form("/tags/{id}", Needs(ManageTags), post(tags::update)),
        FormRoute { upload: true, ..form("/tags/{id}/list", Needs(ManageTags), post(tags::load_list)) },
        form("/audiences", Needs(ManageAudiences), post(audiences::create)),
        form("/audiences/{id}", Needs(ManageAudiences), post(audiences::update)),
        form("/audiences/{id}/refresh", Needs(ManageAudiences), post(audiences::refresh)),
        FormRoute { upload: true, ..form("/imports", Needs(ImportCustomers), post(imports::upload)) },
        form("/imports/{id}/commit", Needs(ImportCustomers), post(imports::commit)),
        form("/imports/{id}/remap", Needs(ImportCustomers), post(imports::remap)),
        form("/org", Needs(ManageOrganisation), post(org::create)),
        form("/org/{id}", Needs(ManageOrganisation), post(org::edit)),
        form("/staff/new", Needs(ManageStaff), post(staff::create)),
        form("/staff/{id}", Needs(ManageStaff), post(staff::edit)),
        form("/staff/{id}/password", Needs(ManageStaff), post(staff::reset_password)),
        form("/password", SignedIn, post(login::change_password)),
        form("/handovers", Needs(ManageStaff), post(handover::start)),
        form("/handovers/{id}/run-again", Needs(ManageStaff), post(handover::run_again)),
        form("/handovers/{id}/end-rest", Needs(ManageStaff), post(handover::end_rest)),
        form("/channels", Needs(ManageChannels), post(channels::create)),
        form("/channels/{id}/simulate", Needs(ManageChannels), post(channels::simulate)),
        form("/channels/{id}/controls", Needs(ManageChannels), post(channels::set_controls)),
        form("/tokens", Needs(ManageApiTokens), post(admin::create_token)),
        form("/tokens/{id}/revoke", Needs(ManageApiTokens), post(admin::revoke_token)),
        FormRoute { upload: true, ..form("/products/import", Needs(ManageProducts), post(products::upload)) },
        form("/products/import/confirm", Needs(ManageProducts), post(products::confirm)),
        FormRoute {
            upload: true,
            ..form(
                "/media",
                Needs(AuthorContent),
                post(media::upload)
                    .layer(DefaultBodyLimit::max(siyu_app::services::media::UPLOAD_BODY_LIMIT))
                    .layer(middleware::from_fn(crate::serve::upload_deadline)),
            )
        },
    ]
}

/// Every page of the console (GET), by path. Tests walk this list: the browser test visits each page
/// on a phone, so a page added here and not reachable is a failing test, not a forgotten screen.
fn pages() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(home::page)),
        ("/login", get(login::page)),
        ("/lang/{lang}", get(switch_lang)),
        ("/customers", get(customers::list)),
        ("/customers/{id}", get(customers::detail)),
        ("/tags", get(tags::list)),
        ("/tags/{id}", get(tags::detail)),
        ("/audiences", get(audiences::list)),
        ("/audiences/new", get(audiences::new_page)),
        ("/audiences/{id}", get(audiences::detail)),
        ("/audiences/{id}/edit", get(audiences::edit_page)),
        ("/audiences/{id}/export", get(audiences::export)),
        ("/imports", get(imports::list)),
        ("/imports/template.csv", get(imports::template_csv)),
        ("/imports/template.xlsx", get(imports::template_xlsx)),
        ("/imports/{id}", get(imports::detail)),
        ("/imports/{id}/rejected.csv", get(imports::rejected_csv)),
        ("/org", get(org::list)),
        ("/org/{id}", get(org::edit_page)),
        ("/staff", get(staff::list)),
        ("/staff/new", get(staff::new_page)),
        ("/staff/{id}", get(staff::edit_page)),
        ("/password", get(login::password_page)),
        ("/handovers", get(handover::list)),
        ("/handovers/new", get(handover::new_page)),
        ("/handovers/{id}", get(handover::detail)),
        ("/channels", get(channels::list)),
        ("/channels/{id}", get(channels::detail)),
        ("/channels/{id}/qr.png", get(channels::qr_png)),
        ("/channels/{id}/poster.pdf", get(channels::poster_pdf)),
        ("/compliance/rules", get(compliance::page)),
        ("/audit", get(admin::audit)),
        ("/audit/export.csv", get(admin::audit_export)),
        ("/tokens", get(admin::tokens)),
        ("/jobs", get(admin::jobs)),
        ("/products", get(products::list)),
        ("/products/import", get(products::import_form)),
        ("/products/template.csv", get(products::template_csv)),
        ("/products/template.xlsx", get(products::template_xlsx)),
        ("/products/export.csv", get(products::export_csv)),
        ("/products/export.xlsx", get(products::export_xlsx)),
        ("/content", get(content::list)),
        ("/content/new", get(content::new_page)),
        ("/content/review", get(content::review_queue)),
        ("/content/scripts", get(scripts::page)),
        ("/content/review/{id}", get(content::review_page)),
        ("/content/versions/{id}/preview", get(content::preview)),
        ("/content/{id}", get(content::detail)),
        ("/content/{id}/stats", get(content_stats::page)),
        ("/media", get(media::list)),
    ]
}

/// The paths of every console page (GET), as the router spells them (`/customers/{id}`).
pub fn page_paths() -> Vec<&'static str> {
    pages().into_iter().map(|(path, _)| path).collect()
}

/// The console's pages (GET) and its forms (POST, from [`forms`] only); only the two upload forms
/// (a customer file, a tag's customer list) may send more than [`crate::router::BODY_LIMIT`], up to
/// `upload_limit` bytes.
pub fn routes(state: &AppState, upload_limit: usize) -> Router<AppState> {
    let assets = Router::new()
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
        .route(
            "/static/compliance.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/compliance.js"))
            }),
        )
        .route(
            "/static/content.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/content.js"))
            }),
        )
        .route(
            "/static/scripts.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/scripts.js"))
            }),
        )
        // The article page a tracked link opens: public, outside the console's pages (no frame).
        .route("/h5/articles/{id}", get(content::article))
        .route(
            "/static/builder.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/builder.js"))
            }),
        );
    let pages = pages().into_iter().fold(assets, |r, (path, handler)| r.route(path, handler));
    // A path with a page and a form gets one method router: `route` merges the POST into the GET.
    forms().into_iter().fold(pages, |r, f| {
        let handler = if f.upload {
            let upload = tower::ServiceBuilder::new()
                .layer(DefaultBodyLimit::max(upload_limit))
                .layer(middleware::from_fn(crate::serve::upload_deadline));
            f.handler.layer(upload)
        } else {
            f.handler
        };
        let access = f.access;
        let handler =
            handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                move |State(st): State<AppState>, req: Request, next: Next| async move {
                    guard(&st, access, req, next).await
                },
            ));
        r.route(f.path, handler)
    })
}

/// Lets a form through to its handler only if the caller may send it: not signed in goes to the
/// sign-in page, signed in without the permission gets the forbidden page, before the body is read.
async fn guard(state: &AppState, access: Access, req: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let user = match ConsoleUser::from_request_parts(&mut parts, state).await {
        Ok(u) => u,
        Err(to_login) => return to_login,
    };
    if let Access::Needs(p) = access
        && !user.0.actor.can(p)
    {
        return error_page(PageCtx::new(&user, &parts.headers, parts.uri.path()), ServiceError::Forbidden);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// A link in the navigation bar.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What every page's frame needs: words, who is signed in, the CSRF token, the navigation, and the
/// bar of the current area's own pages (empty outside an area that has one).
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub tr: Tr,
    pub lang: &'static str,
    pub user_name: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub area_nav: Vec<NavItem>,
}

/// A page of the navigation: where it is, its words, who sees it.
type NavLink = (&'static str, &'static str, Permission);

/// The content area's pages, one entry in the top bar and listed in a bar of their own on each of
/// them: the top bar has room for about a dozen entries on a desktop, and an operator finds the
/// library, its review, its images, the product catalogue and the word list as one place.
const CONTENT_AREA: [NavLink; 6] = [
    ("/content", "nav.content", Permission::ReadContent),
    ("/content/scripts", "nav.scripts", Permission::ReadContent),
    ("/content/review", "nav.content_review", Permission::ReviewContent),
    ("/media", "nav.media", Permission::ReadContent),
    ("/products", "nav.products", Permission::ReadProducts),
    ("/compliance/rules", "nav.compliance_rules", Permission::ManageComplianceRules),
];

/// The top bar: each entry, and the pages of its area when it has several.
const NAV: [(NavLink, &[NavLink]); 11] = [
    (("/customers", "nav.customers", Permission::ReadCustomers), &[]),
    (("/audiences", "nav.audiences", Permission::ReadAudiences), &[]),
    (("/tags", "nav.tags", Permission::ReadCustomers), &[]),
    (("/channels", "nav.channels", Permission::ReadChannels), &[]),
    (("/imports", "nav.imports", Permission::ImportCustomers), &[]),
    (("/org", "nav.org", Permission::ManageOrganisation), &[]),
    (("/staff", "nav.staff", Permission::ManageStaff), &[]),
    (("/tokens", "nav.tokens", Permission::ManageApiTokens), &[]),
    (("/audit", "nav.audit", Permission::ReadAuditLog), &[]),
    (("/content", "nav.content_area", Permission::ReadContent), &CONTENT_AREA),
    (("/jobs", "nav.jobs", Permission::ReadJobs), &[]),
];

/// Whether `current` is the page `href` or one below it (`/content/7` is under `/content`, and
/// `/contents` is not).
fn under(current: &str, href: &str) -> bool {
    current.strip_prefix(href).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub fn lang(headers: &HeaderMap) -> Tr {
    Tr(i18n::lang_of_cookie(cookie(headers, i18n::LANG_COOKIE)))
}

impl PageCtx {
    pub fn new(user: &ConsoleUser, headers: &HeaderMap, current: &str) -> Self {
        let tr = lang(headers);
        let can = |p: Permission| user.0.actor.can(p);
        let mut nav = Vec::new();
        let mut area_nav = Vec::new();
        for ((href, key, p), area) in NAV.iter() {
            let in_area = area.iter().any(|(h, _, _)| under(current, h));
            if !can(*p) {
                continue;
            }
            nav.push(NavItem { href, label: tr.t(key), active: under(current, href) || in_area });
            if in_area {
                let shown: Vec<&NavLink> = area.iter().filter(|(_, _, p)| can(*p)).collect();
                // The most specific page is the current one (`/content/review` rather than `/content`).
                let best = shown.iter().filter(|(h, _, _)| under(current, h)).map(|(h, _, _)| h.len()).max();
                area_nav = shown
                    .iter()
                    .map(|(h, k, _)| NavItem {
                        href: h,
                        label: tr.t(k),
                        active: Some(h.len()) == best && under(current, h),
                    })
                    .collect();
            }
        }
        Self {
            tr,
            lang: tr.0.html_code(),
            user_name: user.staff().display_name.clone(),
            role: tr.role_title(user.staff().role, user.1),
            csrf: user.csrf().to_owned(),
            nav,
            area_nav,
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
        other => ctx.tr.error(other),
    };
    let mut resp = render(&ErrorPage { ctx, message });
    *resp.status_mut() = crate::error::status_of(&e);
    resp
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
        [(header::SET_COOKIE, format!("{}={value}; Path=/; Max-Age=31536000; SameSite=Lax", i18n::LANG_COOKIE))],
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
    pub fn new(path: &str, base_query: &str, page: siyu_app::records::Page, total: i64) -> Self {
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

/// Every template file, in the area folders and at the top (the shared layout, error page, pager).
#[cfg(test)]
pub(crate) fn template_files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { walk(&path, out) } else { out.push(path) }
        }
    }
    let mut out = Vec::new();
    walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/templates")), &mut out);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    /// Templates are grouped by console area: each folder is named for the `console/` module whose
    /// pages it holds (`customers/list.html` for `console/customers.rs`), and only what every area
    /// shares sits at the top (the layout, the error page, the pager, the charts).
    #[test]
    fn templates_are_grouped_by_console_area() {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/templates"));
        let console = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/console"));
        let files = super::template_files();
        assert!(files.len() > 20, "the templates were found: {files:?}");
        for path in files {
            let rel = path.strip_prefix(root).unwrap();
            let mut parts = rel.iter().map(|p| p.to_str().unwrap());
            let first = parts.next().unwrap();
            match parts.next() {
                None => assert!(
                    ["base.html", "error.html", "pager.html", "chart.html"].contains(&first),
                    "{}: a page belongs in the folder of its console area",
                    rel.display()
                ),
                Some(_) => assert!(
                    console.join(format!("{first}.rs")).is_file() && rel.iter().count() == 2,
                    "{}: templates/<area>/<page>.html, where console/<area>.rs renders it",
                    rel.display()
                ),
            }
        }
    }
}
