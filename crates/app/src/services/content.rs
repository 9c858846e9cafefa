//! The content library as a service (issue 17): items and their versions as authors make them, the
//! library's list and an item's page, and the one question every send asks — which version of this
//! item may go out now (`sendable_version`). The review steps are in `content_review.rs`, article
//! HTML in `content_article.rs`.
//!
//! Who may author what: HQ (an operator or administrator, whose data scope is the whole bank) makes
//! HQ items and may work on any item; a branch manager makes only local variants of HQ items, each
//! owned by a unit in their own subtree, and works only on items owned there. Everyone who reads the
//! library reads all of it: the words are the bank's, not customers' data.

use serde::{Deserialize, Serialize};
use siyu_content::lint::needs_disclaimer;
use siyu_content::{AidaStage, Category, Channel, ItemKind, Status};
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::product::Product;
use siyu_domain::scope::{DataScope, Permission};
use siyu_domain::{ContentItemId, ContentVersionId, MediaId, OrgUnitId, ProductId, StaffId, Timestamp};
use siyu_store::{
    ContentDraft, ContentFilter, ContentItemRecord, ContentItemRow, ContentVersionRecord, NewContentItem, Page, Paged,
};

use super::content_article::{plain_text, sanitise};
use super::content_lint::{LintFinding, MAX_PRODUCT_IDS, lint_view, rule_set_now};
use super::{audit, org};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// The longest link, description, app id or page path, in characters.
pub const MAX_FIELD_CHARS: usize = 500;

/// A version's words and fields as an author sends them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftForm {
    #[cfg_attr(feature = "openapi", schema(max_length = 120))]
    pub title: String,
    /// The text (variables such as `{客户称呼}` allowed), or an article's HTML, at most 20,000
    /// characters. A wealth or fund item gets the risk disclaimer added.
    #[serde(default)]
    pub body: String,
    /// A link item's `https://` address.
    #[serde(default)]
    pub link_url: String,
    #[serde(default)]
    pub link_desc: String,
    /// A mini-program card's app id and page.
    #[serde(default)]
    pub mini_appid: String,
    #[serde(default)]
    pub mini_page: String,
    /// The uploaded image (`med_…`, PNG or JPEG) of an image, a poster or a mini-program's cover, a
    /// link's or an article's picture, or the upload of a file item.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "med_3"))]
    pub media_id: Option<MediaId>,
    /// `attention`, `interest`, `desire` or `action`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub stage: Option<AidaStage>,
    /// `one_to_one`, `moments`, `group`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub channels: Vec<Channel>,
    /// After this instant (milliseconds) the version is no longer sent.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Linked products, `prd_…`, at most 20.
    #[serde(default)]
    pub product_ids: Vec<String>,
}

/// A new item: what it is, and its first draft.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewItemForm {
    /// `text`, `image`, `article`, `link`, `poster`, `mini_program`, `file` (a variant takes the HQ item's).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ItemKind,
    /// The category's code (a variant takes the HQ item's).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    /// For a branch's local variant: the HQ item (`cnt_…`) it is made of.
    #[serde(default)]
    pub variant_of: Option<String>,
    /// For a local variant: the unit (`org_…`) that owns it; the caller's own unit when left out.
    #[serde(default)]
    pub owner_unit: Option<String>,
    pub draft: DraftForm,
}

/// A version as the API and the console show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    pub id: ContentVersionId,
    pub item_id: ContentItemId,
    pub number: i64,
    /// `draft`, `submitted`, `approved`, `rejected`, `published`, `retired`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: Status,
    #[serde(flatten)]
    pub draft: DraftForm,
    pub author: StaffId,
    pub created_at: Timestamp,
    pub changed_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub reviewer: Option<StaffId>,
    pub reviewed_at: Option<Timestamp>,
    pub reject_reason: Option<String>,
    pub override_reason: Option<String>,
    pub published_at: Option<Timestamp>,
    pub retired_at: Option<Timestamp>,
    /// Counts every change to the version; an approval or rejection names the one it was read at.
    pub revision: i64,
}

/// An item with its versions, oldest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub id: ContentItemId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ItemKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    /// `None`: HQ's own item.
    pub owner_unit: Option<OrgUnitId>,
    pub variant_of: Option<ContentItemId>,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
    pub versions: Vec<VersionView>,
}

/// A row of the library: the item and its newest version.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemRow {
    pub id: ContentItemId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ItemKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    pub owner_unit: Option<OrgUnitId>,
    pub variant_of: Option<ContentItemId>,
    pub latest: VersionView,
}

/// A saved version with what the lint found in it now.
#[derive(Debug, Clone)]
pub struct Saved {
    pub item: ContentItemId,
    pub version: VersionView,
    pub findings: Vec<LintFinding>,
}

pub(crate) fn version_view(v: &ContentVersionRecord) -> VersionView {
    let d = &v.draft;
    VersionView {
        id: v.id,
        item_id: v.item_id,
        number: v.number,
        status: v.status,
        draft: DraftForm {
            title: d.title.clone(),
            body: d.body.clone(),
            link_url: d.link_url.clone(),
            link_desc: d.link_desc.clone(),
            mini_appid: d.mini_appid.clone(),
            mini_page: d.mini_page.clone(),
            media_id: d.media_id.map(MediaId::new),
            stage: d.stage,
            channels: d.channels.clone(),
            expires_at: d.expires_at,
            product_ids: d.product_ids.iter().map(ToString::to_string).collect(),
        },
        author: v.author,
        created_at: v.created_at,
        changed_at: v.changed_at,
        submitted_at: v.submitted_at,
        reviewer: v.reviewer,
        reviewed_at: v.reviewed_at,
        reject_reason: v.reject_reason.clone(),
        override_reason: v.override_reason.clone(),
        published_at: v.published_at,
        retired_at: v.retired_at,
        revision: v.revision,
    }
}

fn item_view(i: &ContentItemRecord, versions: &[ContentVersionRecord]) -> ItemView {
    ItemView {
        id: i.id,
        kind: i.item.kind,
        category: i.item.category,
        owner_unit: i.item.owner_unit,
        variant_of: i.item.variant_of,
        created_by: i.item.created_by,
        created_at: i.created_at,
        versions: versions.iter().map(version_view).collect(),
    }
}

fn invalid(code: &'static str, key: &str) -> ServiceError {
    ServiceError::invalid(code, Text::new(key))
}

/// The member of staff behind a call that writes: a version has an author (an API token is not one).
pub(crate) fn staff_id(caller: &Caller) -> ServiceResult<StaffId> {
    caller.staff.as_ref().map(|s| s.id).ok_or(ServiceError::Forbidden)
}

/// Whether the caller may author `owner` (an item's owning unit, `None` for HQ's).
pub(crate) async fn may_author(state: &AppState, caller: &Caller, owner: Option<OrgUnitId>) -> ServiceResult<bool> {
    caller.require(Permission::AuthorContent)?;
    Ok(match (caller.scope(), owner) {
        (DataScope::All, _) => true,
        (DataScope::Subtree(root), Some(unit)) => org::tree(state).await?.contains(root, unit),
        _ => false,
    })
}

/// The linked products as the lint reads them, each id checked: an unknown one is refused.
pub(crate) async fn products_of(state: &AppState, ids: &[String]) -> ServiceResult<Vec<(ProductId, Product)>> {
    if ids.len() > MAX_PRODUCT_IDS {
        return Err(ServiceError::invalid(
            "too_many_products",
            Text::new("lint.too_many_products").arg("max", MAX_PRODUCT_IDS),
        ));
    }
    let unknown = |id: &str| {
        ServiceError::invalid("unknown_product", Text::new("library.unknown_product").arg("id", id).with_values_cut(40))
    };
    let mut parsed = Vec::with_capacity(ids.len());
    for id in ids {
        let p: ProductId = id.trim().parse().map_err(|_| unknown(id))?;
        if !parsed.contains(&p) {
            parsed.push(p);
        }
    }
    let found = state.store.products_by_ids(&parsed).await?;
    parsed
        .iter()
        .map(|id| {
            found.iter().find(|r| r.id == *id).map(|r| (*id, r.as_product())).ok_or_else(|| unknown(&id.to_string()))
        })
        .collect()
}

/// The words the lint reads of a version: its title, a link's description and the body (an
/// article's without its tags), a line each; findings' offsets count in this text.
fn lint_words(kind: ItemKind, title: &str, link_desc: &str, body: &str) -> String {
    let body = if kind == ItemKind::Article { plain_text(body) } else { body.to_owned() };
    [title, link_desc, body.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("\n")
}

pub(crate) fn lint_text(kind: ItemKind, d: &ContentDraft) -> String {
    lint_words(kind, &d.title, &d.link_desc, &d.body)
}

/// The text a version's findings count their offsets in (for a page that marks them).
pub fn version_lint_text(kind: ItemKind, v: &VersionView) -> String {
    lint_words(kind, &v.draft.title, &v.draft.link_desc, &v.draft.body)
}

/// A version's body as a reviewer compares it: an article's words without tags.
pub fn version_words(kind: ItemKind, v: &VersionView) -> String {
    if kind == ItemKind::Article { plain_text(&v.draft.body) } else { v.draft.body.clone() }
}

/// Whether the caller may change `item` (for the editor's buttons; each step checks again).
pub async fn may_edit(state: &AppState, caller: &Caller, item: &ItemView) -> bool {
    may_author(state, caller, item.owner_unit).await.unwrap_or(false)
}

/// A stored version as the API and pages show it.
pub fn version_view_of(v: &ContentVersionRecord) -> VersionView {
    version_view(v)
}

/// The lint's findings on a version now (HQ's list as it is now, the products as they are now).
pub(crate) async fn findings(
    state: &AppState,
    kind: ItemKind,
    category: Category,
    d: &ContentDraft,
) -> ServiceResult<Vec<siyu_content::Finding>> {
    let ids: Vec<String> = d.product_ids.iter().map(ToString::to_string).collect();
    let products: Vec<Product> = products_of(state, &ids).await?.into_iter().map(|(_, p)| p).collect();
    let rules = rule_set_now(state).await?;
    let ctx = siyu_content::Context { products: &products, category: Some(category), rules: &rules };
    Ok(siyu_content::lint(&lint_text(kind, d), &ctx))
}

fn check_len(s: &str, max: usize, code: &'static str, key: &str) -> ServiceResult<()> {
    if s.chars().nth(max).is_some() {
        return Err(ServiceError::invalid(code, Text::new(key).arg("max", max)));
    }
    Ok(())
}

/// The most pictures one article may show.
const MAX_ARTICLE_IMAGES: usize = 30;

/// Checks a form and makes it a draft as it is stored: bounds, the kind's own fields, variables
/// (an unknown one refused with its position), products (each known), an article's HTML sanitised
/// (anything that runs refused, by name), and the risk disclaimer added when a product needs it.
pub(crate) async fn draft_of(state: &AppState, kind: ItemKind, f: &DraftForm) -> ServiceResult<ContentDraft> {
    let title = f.title.trim();
    if title.is_empty() {
        return Err(invalid("title_needed", "library.title_needed"));
    }
    check_len(title, MAX_TITLE_CHARS, "title_too_long", "library.title_too_long")?;
    check_len(&f.body, siyu_content::MAX_TEXT_CHARS, "text_too_long", "lint.text_too_long")?;
    for s in [&f.link_url, &f.link_desc, &f.mini_appid, &f.mini_page] {
        check_len(s, MAX_FIELD_CHARS, "field_too_long", "library.field_too_long")?;
    }
    let link_url = f.link_url.trim();
    match kind {
        ItemKind::Link if !link_url.starts_with("https://") || link_url.len() <= "https://".len() => {
            return Err(invalid("link_url_needed", "library.link_url_needed"));
        }
        ItemKind::MiniProgram if f.mini_appid.trim().is_empty() || f.mini_page.trim().is_empty() => {
            return Err(invalid("mini_program_needed", "library.mini_program_needed"));
        }
        ItemKind::Text | ItemKind::Article if f.body.trim().is_empty() => {
            return Err(invalid("body_needed", "library.body_needed"));
        }
        _ => {}
    }
    // An image, a poster's picture or a mini-program's cover is an uploaded PNG or JPEG (what WeCom
    // takes); a file item's upload may be anything the uploads accept; a link's picture an image.
    match (kind, f.media_id) {
        (ItemKind::Image | ItemKind::Poster | ItemKind::MiniProgram, None) => {
            return Err(invalid("media_needed", "library.media_needed"));
        }
        (ItemKind::File, Some(m)) => {
            if state.store.media(m).await?.is_none() {
                return Err(invalid("unknown_media", "library.unknown_media"));
            }
        }
        (ItemKind::File, None) => return Err(invalid("media_needed", "library.media_needed")),
        (_, Some(m)) => super::media::check_cover(state, m).await?,
        (_, None) => {}
    }
    let products = products_of(state, &f.product_ids).await?;
    let catalogue: Vec<Product> = products.iter().map(|(_, p)| p.clone()).collect();
    let body = if kind == ItemKind::Article {
        let clean = sanitise(&f.body)?;
        // Each picture an upload, and an image (a missing or non-image one would show nothing the
        // reviewer saw, or only what a browser writes in its place).
        let images = super::content_article::images_of(&clean);
        if images.len() > MAX_ARTICLE_IMAGES {
            return Err(invalid("too_many_images", "library.too_many_images"));
        }
        for m in images {
            super::media::check_cover(state, m).await?;
        }
        if needs_disclaimer(&catalogue) && !siyu_content::lint::has_disclaimer(&plain_text(&clean)) {
            format!("{clean}<p>{}</p>", siyu_content::DISCLAIMER)
        } else {
            clean
        }
    } else {
        siyu_content::with_disclaimer(&f.body, &catalogue)
    };
    // Variables are checked in the words a customer reads: the title, the description and the body.
    for words in [title, f.link_desc.as_str(), body.as_str()] {
        if let Err(errors) = siyu_content::variables::parse(words) {
            let first = &errors[0];
            return Err(ServiceError::invalid(first.code(), first.text()));
        }
    }
    let mut channels = Vec::new();
    for c in &f.channels {
        if !channels.contains(c) {
            channels.push(*c);
        }
    }
    Ok(ContentDraft {
        title: title.to_owned(),
        body,
        link_url: link_url.to_owned(),
        link_desc: f.link_desc.trim().to_owned(),
        mini_appid: f.mini_appid.trim().to_owned(),
        mini_page: f.mini_page.trim().to_owned(),
        media_id: f.media_id.map(|m| m.get()),
        stage: f.stage,
        channels,
        expires_at: f.expires_at,
        product_ids: products.into_iter().map(|(id, _)| id).collect(),
    })
}

fn saved_detail(v: &ContentVersionRecord) -> String {
    format!("{} v{}: {}", v.id, v.number, v.draft.title.chars().take(60).collect::<String>())
}

/// Creates an item with its first draft. A branch manager's item is a local variant of an HQ item
/// with a published version, owned by a unit in their subtree.
pub async fn create(state: &AppState, caller: &Caller, form: &NewItemForm) -> ServiceResult<Saved> {
    caller.require(Permission::AuthorContent)?;
    let author = staff_id(caller)?;
    let now = state.clock.now();
    let (kind, category, variant_of, owner_unit) = match form.variant_of.as_deref().map(str::trim) {
        None | Some("") => {
            if caller.scope() != DataScope::All {
                return Err(ServiceError::invalid("variant_only", Text::new("library.variant_only")));
            }
            (form.kind, form.category, None, None)
        }
        Some(of) => {
            let hq_id: ContentItemId =
                of.parse().map_err(|_| ServiceError::invalid("unknown_item", Text::new("library.unknown_item")))?;
            let hq = match state.store.content_item(hq_id).await {
                Ok(i) => i,
                Err(siyu_store::StoreError::NotFound) => {
                    return Err(ServiceError::invalid("unknown_item", Text::new("library.unknown_item")));
                }
                Err(e) => return Err(e.into()),
            };
            let versions = state.store.content_versions(hq_id).await?;
            siyu_content::variant_of(&pure_item(&hq, &versions), now)
                .map_err(|e| ServiceError::invalid(e.code(), e.text()))?;
            let unit = match form.owner_unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(u) => {
                    u.parse().map_err(|_| ServiceError::invalid("unknown_unit", Text::new("library.unknown_unit")))?
                }
                None => match &caller.actor {
                    siyu_domain::scope::Actor::Staff { org_unit_id, .. } => *org_unit_id,
                    siyu_domain::scope::Actor::System { .. } => return Err(ServiceError::Forbidden),
                },
            };
            if !may_author(state, caller, Some(unit)).await? {
                return Err(ServiceError::invalid("unit_out_of_scope", Text::new("library.unit_out_of_scope")));
            }
            (hq.item.kind, hq.item.category, Some(hq_id), Some(unit))
        }
    };
    let draft = draft_of(state, kind, &form.draft).await?;
    let item = NewContentItem { kind, category, owner_unit, variant_of, created_by: Some(author) };
    // The ids exist only once the row is written, so the entry names the new item by what it is.
    let detail = format!("{} {}: {}", kind.code(), category.code(), draft.title.chars().take(60).collect::<String>());
    let target = variant_of.map_or_else(|| "content".to_owned(), |of| format!("variant of {of}"));
    let entry = audit::entry(state, caller, AuditAction::ContentDraftSaved, &target, &detail);
    let (rec, v) = state.store.create_content_item(&item, &draft, author, now, &entry).await?;
    let findings = lint_view(&findings(state, kind, category, &v.draft).await?);
    Ok(Saved { item: rec.id, version: version_view(&v), findings })
}

/// The item's own rules as `siyu-content` reads them.
pub(crate) fn pure_item(item: &ContentItemRecord, versions: &[ContentVersionRecord]) -> siyu_content::Item {
    let origin = match (item.item.variant_of, item.item.owner_unit) {
        (Some(of), Some(unit)) => siyu_content::Origin::BranchVariant { of, unit },
        _ => siyu_content::Origin::Hq,
    };
    siyu_content::Item {
        origin,
        versions: versions
            .iter()
            .map(|v| siyu_content::Version { id: v.id, state: super::content_review::state_of(v) })
            .collect(),
    }
}

/// Edits a draft in place. Only a draft, only by its author: an approved or published version is
/// refused as `new_version_needed` (start a new version; the published one stays in use).
pub async fn edit(state: &AppState, caller: &Caller, id: ContentVersionId, form: &DraftForm) -> ServiceResult<Saved> {
    caller.require(Permission::AuthorContent)?;
    let me = staff_id(caller)?;
    let v = state.store.content_version(id).await?;
    let item = state.store.content_item(v.item_id).await?;
    if !may_author(state, caller, item.item.owner_unit).await? {
        return Err(ServiceError::NotFound);
    }
    let actor = siyu_content::Actor { id: me, reviewer: caller.actor.can(Permission::ReviewContent) };
    let now = state.clock.now();
    siyu_content::transition(&super::content_review::state_of(&v), actor, &siyu_content::Action::Edit, &[], now)
        .map_err(|e| ServiceError::invalid(e.code(), e.text()))?;
    let draft = draft_of(state, item.item.kind, form).await?;
    let entry = audit::entry(state, caller, AuditAction::ContentDraftSaved, &id.to_string(), &saved_detail(&v));
    let saved = state.store.edit_content_draft(id, &draft, now, &entry).await.map_err(super::content_review::raced)?;
    let findings = lint_view(&findings(state, item.item.kind, item.item.category, &saved.draft).await?);
    Ok(Saved { item: item.id, version: version_view(&saved), findings })
}

/// Starts the item's next version as a draft by the caller. Refused while a version is still a
/// draft or under review (`version_open`): one set of changes at a time, so a reviewer never has two
/// versions of one item to weigh against each other.
pub async fn new_version(
    state: &AppState,
    caller: &Caller,
    item_id: ContentItemId,
    form: &DraftForm,
) -> ServiceResult<Saved> {
    caller.require(Permission::AuthorContent)?;
    let me = staff_id(caller)?;
    let item = state.store.content_item(item_id).await?;
    if !may_author(state, caller, item.item.owner_unit).await? {
        return Err(ServiceError::NotFound);
    }
    let versions = state.store.content_versions(item_id).await?;
    if let Some(open) = versions.iter().find(|v| matches!(v.status, Status::Draft | Status::Submitted)) {
        return Err(ServiceError::invalid(
            "version_open",
            Text::new("library.version_open").arg("number", open.number).text("status", open.status.text()),
        ));
    }
    let draft = draft_of(state, item.item.kind, form).await?;
    let entry = audit::entry(state, caller, AuditAction::ContentDraftSaved, &item_id.to_string(), "new version");
    let v = state
        .store
        .add_content_version(item_id, &draft, me, state.clock.now(), &entry)
        .await
        .map_err(super::content_review::raced)?;
    let findings = lint_view(&findings(state, item.item.kind, item.item.category, &v.draft).await?);
    Ok(Saved { item: item_id, version: version_view(&v), findings })
}

/// An item with all its versions.
pub async fn item(state: &AppState, caller: &Caller, id: ContentItemId) -> ServiceResult<ItemView> {
    caller.require(Permission::ReadContent)?;
    let item = state.store.content_item(id).await?;
    let versions = state.store.content_versions(id).await?;
    Ok(item_view(&item, &versions))
}

/// One version, with its item.
pub async fn version(
    state: &AppState,
    caller: &Caller,
    id: ContentVersionId,
) -> ServiceResult<(ItemView, VersionView, Vec<LintFinding>)> {
    caller.require(Permission::ReadContent)?;
    let v = state.store.content_version(id).await?;
    let item = state.store.content_item(v.item_id).await?;
    let versions = state.store.content_versions(v.item_id).await?;
    let f = lint_view(&findings(state, item.item.kind, item.item.category, &v.draft).await?);
    Ok((item_view(&item, &versions), version_view(&v), f))
}

/// A page of the library.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &ContentFilter,
    page: Page,
) -> ServiceResult<Paged<ItemRow>> {
    caller.require(Permission::ReadContent)?;
    let rows = state.store.content_items(filter, page).await?;
    Ok(Paged { items: rows.items.iter().map(row_view).collect(), total: rows.total })
}

fn row_view(r: &ContentItemRow) -> ItemRow {
    ItemRow {
        id: r.item.id,
        kind: r.item.item.kind,
        category: r.item.item.category,
        owner_unit: r.item.item.owner_unit,
        variant_of: r.item.item.variant_of,
        latest: version_view(&r.latest),
    }
}

/// The version a send of `item` uses now: the published, unexpired one, never a draft or a version
/// under review, whatever was edited since. `None`: nothing of the item may be sent, by anyone or
/// anything. For the send and tracked-link code, which checks its own caller first.
pub async fn sendable_version(state: &AppState, item: ContentItemId) -> ServiceResult<Option<ContentVersionRecord>> {
    let rec = state.store.content_item(item).await?;
    let versions = state.store.content_versions(item).await?;
    let pure = pure_item(&rec, &versions);
    let id = siyu_content::sendable(&pure, state.clock.now()).map(|v| v.id);
    Ok(id.and_then(|id| versions.into_iter().find(|v| v.id == id)))
}

/// An article version as the public page shows it: only a published, unexpired article (anything
/// else is `NotFound`, and the page says nothing about why).
pub async fn published_article(state: &AppState, id: ContentVersionId) -> ServiceResult<ContentVersionRecord> {
    let v = state.store.content_version(id).await?;
    let item = state.store.content_item(v.item_id).await?;
    let live = v.status == Status::Published && v.draft.expires_at.is_none_or(|e| e > state.clock.now());
    if item.item.kind != ItemKind::Article || !live {
        return Err(ServiceError::NotFound);
    }
    Ok(v)
}

/// The products an author may link, for the editor's picker: those on sale, by code (the catalogue is
/// a few hundred; the picker shows the first 200).
pub async fn product_choices(state: &AppState, caller: &Caller) -> ServiceResult<Vec<siyu_store::ProductRecord>> {
    caller.require(Permission::ReadContent)?;
    let f = siyu_store::ProductFilter { on_sale: Some(true), ..Default::default() };
    Ok(state.store.products(&f, Page::first(200)).await?.items)
}
