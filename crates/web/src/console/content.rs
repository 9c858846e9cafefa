//! The content library's pages (issue 17): the library list, the editor for a new item and for an
//! item's versions (live lint through `/api/v1/content/lint`), the reviewer's queue and the review of
//! one version with its diff against the last approved one, a staff preview, and the public article
//! page a tracked link opens. Every change goes through the JSON API from `static/content.js`, so the
//! console adds no form of its own.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use siyu_app::services::content::{self, VersionView};
use siyu_app::services::content_lint::LintFinding;
use siyu_app::services::{content_article, content_review};
use siyu_app::state::AppState;
use siyu_content::{AidaStage, Category, Channel, ItemKind, Status};
use siyu_domain::scope::Permission;
use siyu_domain::{ContentItemId, ContentVersionId};

use super::content_diff::{Run, diff};
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::api::Paging;
use crate::api::library::ItemsQuery;
use crate::auth::extract::ConsoleUser;

/// A code and its words, for a select.
pub struct Choice {
    pub code: &'static str,
    pub words: String,
    pub selected: bool,
}

pub(super) fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    words: impl Fn(T) -> String,
    chosen: &[&str],
) -> Vec<Choice> {
    all.iter().map(|v| Choice { code: code(*v), words: words(*v), selected: chosen.contains(&code(*v)) }).collect()
}

/// One row of the library list.
pub struct Row {
    pub href: String,
    pub title: String,
    pub kind: String,
    pub category: String,
    pub status: String,
    pub number: i64,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "content/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    pager: Pager,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    stages: Vec<Choice>,
    channels: Vec<Choice>,
    statuses: Vec<Choice>,
    q: String,
    can_author: bool,
    can_review: bool,
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(f): Query<ItemsQuery>,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    let page = p.page();
    let items = match content::list(&state, &user.0, &f.filter(), page).await {
        Ok(i) => i,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let rows = items
        .items
        .iter()
        .map(|r| Row {
            href: format!("/content/{}", r.id),
            title: r.latest.draft.title.clone(),
            kind: tr.say(&r.kind.text()),
            category: tr.say(&r.category.text()),
            status: tr.say(&r.latest.status.text()),
            number: r.latest.number,
            changed: show_time(r.latest.changed_at),
        })
        .collect();
    let one = |v: &Option<String>| v.clone().unwrap_or_default();
    let (k, c, s, ch, st) = (one(&f.kind), one(&f.category), one(&f.stage), one(&f.channel), one(&f.status));
    let pager = Pager::new("/content", &query_without_page(raw.as_deref()), page, items.total);
    render(&ListPage {
        rows,
        pager,
        kinds: choices(ItemKind::ALL, ItemKind::code, |v| tr.say(&v.text()), &[&k]),
        categories: choices(Category::ALL, Category::code, |v| tr.say(&v.text()), &[&c]),
        stages: choices(AidaStage::ALL, AidaStage::code, |v| tr.say(&v.text()), &[&s]),
        channels: choices(Channel::ALL, Channel::code, |v| tr.say(&v.text()), &[&ch]),
        statuses: choices(&Status::ALL, Status::code, |v| tr.say(&v.text()), &[&st]),
        q: one(&f.q),
        can_author: user.0.actor.can(Permission::AuthorContent),
        can_review: user.0.actor.can(Permission::ReviewContent),
        ctx,
    })
}

/// A product the editor may link.
pub struct ProductChoice {
    pub id: String,
    pub name: String,
    pub grade: String,
    pub checked: bool,
}

/// One version in the item's history.
pub struct VersionRow {
    pub id: String,
    pub number: i64,
    pub status: String,
    pub title: String,
    pub changed: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "content/editor.html")]
struct EditorPage {
    ctx: PageCtx,
    /// `POST /api/v1/content/items`, `POST …/items/{id}/versions` or `PUT …/versions/{id}`.
    save_method: &'static str,
    save_url: String,
    /// Whether this is a new item (kind and category chosen here).
    new_item: bool,
    variant_of: String,
    kind: &'static str,
    kind_words: String,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    stages: Vec<Choice>,
    channels: Vec<Choice>,
    products: Vec<ProductChoice>,
    /// The chosen upload (`med_…`), and the newest uploads as suggestions (any id may be typed).
    media: String,
    uploads: Vec<(String, String)>,
    form: VersionView,
    expires: String,
    /// The version the buttons act on, and which steps it offers.
    version_id: String,
    status: String,
    steps: Vec<(&'static str, &'static str)>,
    history: Vec<VersionRow>,
    can_author: bool,
    /// The version a tracked link is issued for (published, unexpired, an article or a link), when
    /// the reader is a member of staff who sends: the item page's "get a link" panel.
    linkable: Option<String>,
}

/// `?variant_of=cnt_3`: a local variant, its first draft taken from the HQ item's sendable version.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    pub variant_of: Option<String>,
}

fn empty_version() -> VersionView {
    VersionView {
        id: ContentVersionId::new(0),
        item_id: ContentItemId::new(0),
        number: 0,
        status: Status::Draft,
        draft: Default::default(),
        author: siyu_domain::StaffId::new(0),
        created_at: siyu_domain::Timestamp::from_millis(0),
        changed_at: siyu_domain::Timestamp::from_millis(0),
        revision: 0,
        submitted_at: None,
        reviewer: None,
        reviewed_at: None,
        reject_reason: None,
        override_reason: None,
        published_at: None,
        retired_at: None,
    }
}

/// The datetime-local value of an expiry, in the bank's time (UTC+8).
fn expires_value(v: &VersionView) -> String {
    v.draft
        .expires_at
        .and_then(|t| chrono::DateTime::from_timestamp_millis(t.millis() + 8 * 3_600_000))
        .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

async fn product_choices(state: &AppState, user: &ConsoleUser, linked: &[String]) -> Vec<ProductChoice> {
    let all = content::product_choices(state, &user.0).await.unwrap_or_default();
    all.iter()
        .map(|p| ProductChoice {
            id: p.id.to_string(),
            name: p.product.name.clone(),
            grade: p.product.risk_grade.map(|g| g.label()).unwrap_or_else(|| "—".into()),
            checked: linked.contains(&p.id.to_string()),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn editor(
    state: &AppState,
    user: &ConsoleUser,
    ctx: PageCtx,
    kind: ItemKind,
    category: Category,
    form: VersionView,
    save: (&'static str, String),
    item: Option<(&content::ItemView, bool)>,
    variant_of: String,
) -> Response {
    let tr = ctx.tr;
    let products = product_choices(state, user, &form.draft.product_ids).await;
    let linkable = match item {
        Some((i, _)) if matches!(kind, ItemKind::Article | ItemKind::Link) && user.0.staff.is_some() => {
            match content::sendable_version(state, i.id).await {
                Ok(Some(v)) => Some(v.id.to_string()),
                _ => None,
            }
        }
        _ => None,
    };
    let chosen: Vec<&str> = form.draft.channels.iter().map(|c| c.code()).collect();
    let stage: Vec<&str> = form.draft.stage.iter().map(|s| s.code()).collect();
    let (version_id, status, steps) = match item.and_then(|(i, _)| i.versions.last()) {
        Some(v) => {
            let steps: &[(&str, &str)] = match v.status {
                Status::Draft => &[("submit", "content.submit")],
                Status::Submitted => &[("withdraw", "content.withdraw")],
                Status::Approved => &[("publish", "content.publish"), ("retire", "content.retire")],
                Status::Published => &[("retire", "content.retire")],
                Status::Rejected | Status::Retired => &[],
            };
            (v.id.to_string(), tr.say(&v.status.text()), steps.iter().map(|(s, k)| (*s, tr.t(k))).collect())
        }
        None => (String::new(), String::new(), Vec::new()),
    };
    let history = item
        .map(|(i, _)| {
            i.versions
                .iter()
                .rev()
                .map(|v| VersionRow {
                    id: v.id.to_string(),
                    number: v.number,
                    status: tr.say(&v.status.text()),
                    title: v.draft.title.clone(),
                    changed: show_time(v.changed_at),
                    reason: v.reject_reason.clone().or_else(|| v.override_reason.clone()).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let can_author = item.is_none_or(|(_, may)| may) && user.0.actor.can(Permission::AuthorContent);
    render(&EditorPage {
        save_method: save.0,
        save_url: save.1,
        new_item: item.is_none(),
        variant_of,
        kind: kind.code(),
        kind_words: tr.say(&kind.text()),
        kinds: choices(ItemKind::ALL, ItemKind::code, |v| tr.say(&v.text()), &[kind.code()]),
        categories: choices(Category::ALL, Category::code, |v| tr.say(&v.text()), &[category.code()]),
        stages: choices(AidaStage::ALL, AidaStage::code, |v| tr.say(&v.text()), &stage),
        channels: choices(Channel::ALL, Channel::code, |v| tr.say(&v.text()), &chosen),
        products,
        media: form.draft.media_id.map(|m| m.to_string()).unwrap_or_default(),
        uploads: siyu_app::services::media::list(state, &user.0, None, siyu_app::records::Page::first(50))
            .await
            .map(|p| {
                p.items.iter().map(|m| (m.id.to_string(), format!("{} · {}", m.file_name, m.content_type))).collect()
            })
            .unwrap_or_default(),
        expires: expires_value(&form),
        form,
        version_id,
        status,
        steps,
        history,
        can_author,
        linkable,
        ctx,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<NewQuery>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    if let Err(e) = user.0.require(Permission::AuthorContent) {
        return error_page(ctx, e);
    }
    let mut form = empty_version();
    let (mut kind, mut category) = (ItemKind::Text, Category::Persona);
    let of = q.variant_of.unwrap_or_default();
    if let Ok(id) = of.parse::<ContentItemId>() {
        match content::item(&state, &user.0, id).await {
            Ok(hq) => {
                (kind, category) = (hq.kind, hq.category);
                if let Ok(Some(v)) = content::sendable_version(&state, id).await
                    && let Some(v) = hq.versions.iter().find(|x| x.id == v.id)
                {
                    form.draft = v.draft.clone();
                }
            }
            Err(e) => return error_page(ctx, e),
        }
    }
    editor(&state, &user, ctx, kind, category, form, ("POST", "/api/v1/content/items".into()), None, of).await
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ContentItemId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    let item = match content::item(&state, &user.0, id).await {
        Ok(i) => i,
        Err(e) => return error_page(ctx, e),
    };
    let Some(latest) = item.versions.last().cloned() else {
        return error_page(ctx, siyu_app::error::ServiceError::NotFound);
    };
    // A draft is edited in place; anything else is the start of the next version.
    let save = if latest.status == Status::Draft {
        ("PUT", format!("/api/v1/content/versions/{}", latest.id))
    } else {
        ("POST", format!("/api/v1/content/items/{id}/versions"))
    };
    let may = content::may_edit(&state, &user.0, &item).await;
    let (kind, category) = (item.kind, item.category);
    editor(&state, &user, ctx, kind, category, latest, save, Some((&item, may)), String::new()).await
}

/// One queued version.
pub struct QueueItem {
    pub href: String,
    pub title: String,
    pub kind: String,
    pub category: String,
    pub number: i64,
    pub submitted: String,
    pub blocking: usize,
    pub findings: usize,
}

#[derive(Template)]
#[template(path = "content/queue.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<QueueItem>,
    pager: Pager,
}

pub async fn review_queue(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(p): Query<Paging>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    let page = p.page();
    let queue = match content_review::queue(&state, &user.0, page).await {
        Ok(q) => q,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let rows = queue
        .items
        .iter()
        .map(|r| QueueItem {
            href: format!("/content/review/{}", r.version.id),
            title: r.version.draft.title.clone(),
            kind: tr.say(&r.kind.text()),
            category: tr.say(&r.category.text()),
            number: r.version.number,
            submitted: r.version.submitted_at.map(show_time).unwrap_or_default(),
            blocking: r.blocking,
            findings: r.findings,
        })
        .collect();
    let pager = Pager::new("/content/review", "", page, queue.total);
    render(&QueuePage { ctx, rows, pager })
}

/// A run of the diff for the template.
pub struct DiffRun {
    /// `same`, `del` or `ins`.
    pub how: &'static str,
    pub text: String,
}

/// A finding as the reviewer reads it: the characters it is about and the message.
pub struct FindingRow {
    pub words: String,
    pub message: String,
    pub blocking: bool,
}

#[derive(Template)]
#[template(path = "content/review.html")]
struct ReviewPage {
    ctx: PageCtx,
    version_id: String,
    item_href: String,
    title: String,
    kind: String,
    category: String,
    number: i64,
    status: String,
    previous: Option<i64>,
    title_diff: Vec<DiffRun>,
    body_diff: Vec<DiffRun>,
    fields: Vec<super::content_fields::FieldRow>,
    findings: Vec<FindingRow>,
    blocking: usize,
    can_review: bool,
    submitted: bool,
    /// The version's `revision` as read: the approval names it, so words changed since are not
    /// approved unseen.
    seen: i64,
    /// The blocking findings shown (`rule@start-end`, space-separated), which an override is given for.
    overriding: String,
}

fn runs(old: &str, new: &str) -> Vec<DiffRun> {
    diff(old, new)
        .into_iter()
        .map(|r| match r {
            Run::Same(text) => DiffRun { how: "same", text },
            Run::Deleted(text) => DiffRun { how: "del", text },
            Run::Inserted(text) => DiffRun { how: "ins", text },
        })
        .collect()
}

fn finding_rows(text: &str, findings: &[LintFinding], tr: super::i18n::Tr) -> Vec<FindingRow> {
    let chars: Vec<char> = text.chars().collect();
    findings
        .iter()
        .map(|f| FindingRow {
            words: chars.get(f.start..f.end.min(chars.len())).map(|c| c.iter().collect()).unwrap_or_default(),
            message: tr.say(&f.message),
            blocking: f.blocking,
        })
        .collect()
}

pub async fn review_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ContentVersionId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    let d = match content_review::detail(&state, &user.0, id).await {
        Ok(d) => d,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let words = |v: &VersionView| content::version_words(d.kind, v);
    let (old_title, old_body) = d.previous.as_ref().map(|p| (p.draft.title.clone(), words(p))).unwrap_or_default();
    let body = words(&d.version);
    let lint_text = content::version_lint_text(d.kind, &d.version);
    render(&ReviewPage {
        version_id: d.version.id.to_string(),
        item_href: format!("/content/{}", d.version.item_id),
        title: d.version.draft.title.clone(),
        kind: tr.say(&d.kind.text()),
        category: tr.say(&d.category.text()),
        number: d.version.number,
        status: tr.say(&d.version.status.text()),
        previous: d.previous.as_ref().map(|p| p.number),
        title_diff: runs(&old_title, &d.version.draft.title),
        body_diff: runs(&old_body, &body),
        fields: super::content_fields::field_rows(
            d.kind,
            d.previous.as_ref(),
            &d.version,
            (&d.products.0, &d.products.1),
            tr,
        ),
        seen: d.version.revision,
        overriding: d
            .findings
            .iter()
            .filter(|f| f.blocking)
            .map(|f| format!("{}@{}-{}", f.rule, f.start, f.end))
            .collect::<Vec<_>>()
            .join(" "),
        blocking: d.findings.iter().filter(|f| f.blocking).count(),
        findings: finding_rows(&lint_text, &d.findings, tr),
        can_review: user.0.actor.can(Permission::ReviewContent),
        submitted: d.version.status == Status::Submitted,
        ctx,
    })
}

#[derive(Template)]
#[template(path = "content/article.html")]
struct ArticlePage {
    lang: &'static str,
    title: String,
    /// Sanitised at save (`services::content_article`), so shown as it is.
    html: String,
    /// For a staff preview: what state the version is in.
    banner: String,
    /// The tracked link's token the page was opened with, for its read-time and forward beacons.
    token: Option<String>,
}

/// The token an article page was opened with (`?t=` from `/l/{token}`'s redirect), kept only when it
/// looks like one: the beacons verify it, this only keeps anything else out of the page.
fn beacon_token(raw: Option<&str>) -> Option<String> {
    raw.filter(|t| {
        t.len() <= 100 && !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
    .map(str::to_owned)
}

fn article_html(kind: ItemKind, v: &VersionView) -> String {
    if kind == ItemKind::Article {
        v.draft.body.clone()
    } else {
        let escaped =
            askama::filters::escape(&v.draft.body, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
        format!("<p>{}</p>", escaped.replace('\n', "<br>"))
    }
}

/// An article page's guard rails: authors' HTML is sanitised at save, and besides, the page may load
/// only siyu's own script and images from siyu or `https:`, send nothing but its beacons, sit in no
/// frame, and tell the sites it links to nothing of the address it was opened at (whose `?t=` names
/// the customer the link was made for).
fn guarded(mut page: Response) -> Response {
    use axum::http::{HeaderValue, header};
    let h = page.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; \
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    page
}

/// Staff preview of any version they may read, as the customer would see it.
pub async fn preview(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ContentVersionId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content");
    let (item, v, _) = match content::version(&state, &user.0, id).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let banner = format!("{} · {}", ctx.tr.t("content.preview"), ctx.tr.say(&v.status.text()));
    guarded(render(&ArticlePage {
        lang: ctx.lang,
        title: v.draft.title.clone(),
        html: article_html(item.kind, &v),
        banner,
        token: None,
    }))
}

/// The public article page a tracked link opens: a published, unexpired article version only;
/// anything else is one neutral page that says nothing about why.
pub async fn article(
    State(state): State<AppState>,
    axum::extract::Path(raw): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let found = match raw.parse::<ContentVersionId>() {
        Ok(id) => content::published_article(&state, id).await.ok(),
        Err(_) => None,
    };
    match found {
        Some(v) => {
            let view = content::version_view_of(&v);
            guarded(render(&ArticlePage {
                lang: "zh-CN",
                title: view.draft.title.clone(),
                html: content_article::for_customers(&state, &article_html(ItemKind::Article, &view)),
                banner: String::new(),
                token: beacon_token(q.get("t").map(String::as_str)),
            }))
        }
        None => (
            axum::http::StatusCode::NOT_FOUND,
            Html("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>内容不可用</title></head><body><p style=\"font:16px sans-serif;padding:2em;text-align:center;color:#555\">内容不可用</p></body></html>"),
        )
            .into_response(),
    }
}
