//! A channel code's welcome made from the content library (issue 17 §2, banking rule 5): the item's
//! version that is published and unexpired at the moment of the add becomes one WeCom welcome message,
//! and nothing else ever does — there is no free text to fall back on.
//!
//! A text item is its words with the variables filled in for this add (the customer's salutation, the
//! manager's name, their sub-branch, their business card); a link or an article is a link card
//! (title, picture, description, and a tracked link signed for this customer — or, for a contact not
//! yet matched to a customer, for the manager's one-to-one chat); an image or poster is the image, put
//! on WeCom first; a mini-program is its card with its uploaded cover. Sending stays in
//! [`crate::outbound`]; this module only says what would be sent, and when the item has nothing
//! sendable (retired, expired, its new version still in review) it says so and nothing is sent.

use serde_json::json;
use siyu_content::link_token::{DEFAULT_TTL_SECS, LinkToken, Recipient, SharedChannel};
use siyu_content::variables::{self, Values};
use siyu_content::{Channel, ItemKind};
use siyu_domain::lang::Text;
use siyu_domain::org::Staff;
use siyu_domain::{ContentItemId, ContentVersionId, CustomerId};
use siyu_store::{ContentFilter, ContentVersionRecord, Page, Paged, StoreError};

use super::content::ItemRow;
use super::media::{self, WecomMediaError};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::channels::AddError;
use crate::state::AppState;

/// How a customer is addressed when siyu does not know them yet (a new add), or the bank's file
/// gives no salutation.
pub const DEFAULT_SALUTATION: &str = "您";

/// What one add's welcome says: the version it came from, its text and WeCom attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct Composed {
    pub version: ContentVersionId,
    pub text: Option<String>,
    pub attachments: Vec<serde_json::Value>,
}

/// Whether `kind` can be a welcome: what WeCom's welcome message carries (text, a link, an image,
/// a mini-program). Files are not offered: a new contact's first message is not a download.
pub fn welcomes(kind: ItemKind) -> bool {
    !matches!(kind, ItemKind::File)
}

/// Items an operator may choose as a welcome, newest first: those with a version that may be sent
/// now (permission `ReadContent`; `check_item` decides at save).
pub async fn choices(state: &AppState, caller: &Caller, page: Page) -> ServiceResult<Paged<ItemRow>> {
    let filter = ContentFilter { sendable_at: Some(state.clock.now()), ..Default::default() };
    let mut rows = super::content::list(state, caller, &filter, page).await?;
    rows.items.retain(|r| welcomes(r.kind));
    Ok(rows)
}

/// Checks, when a channel code is saved, that `item` can be its welcome: an item of a kind a welcome
/// carries, meant for one-to-one chats, with a version that may be sent now.
pub async fn check_item(state: &AppState, item: ContentItemId) -> ServiceResult<()> {
    let not = |key: &str| ServiceError::invalid("bad_welcome", Text::new(key));
    let rec = match state.store.content_item(item).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(not("welcome.unknown_item")),
        Err(e) => return Err(e.into()),
    };
    if !welcomes(rec.item.kind) {
        return Err(not("welcome.kind"));
    }
    let Some(v) = super::content::sendable_version(state, item).await? else {
        return Err(not("welcome.not_sendable"));
    };
    if !v.draft.channels.contains(&Channel::OneToOne) {
        return Err(not("welcome.not_one_to_one"));
    }
    Ok(())
}

/// The welcome for one add through a code whose welcome is `item`, sent by `staff` to `customer`
/// (when the contact is matched to one). `None`: the item has nothing sendable now.
pub async fn compose(
    state: &AppState,
    item: ContentItemId,
    staff: &Staff,
    customer: Option<CustomerId>,
) -> Result<Option<Composed>, AddError> {
    let rec = match state.store.content_item(item).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let versions = state.store.content_versions(item).await?;
    let live = siyu_content::sendable(&super::content::pure_item(&rec, &versions), state.clock.now()).map(|v| v.id);
    let Some(v) = versions.into_iter().find(|v| Some(v.id) == live) else {
        tracing::warn!(%item, "the welcome's item has no published, unexpired version; no welcome is sent");
        return Ok(None);
    };
    // Its version now may be meant for Moments or groups only: then it is no one-to-one welcome.
    if !welcomes(rec.item.kind) || !v.draft.channels.contains(&Channel::OneToOne) {
        tracing::warn!(%item, "the welcome's item is not for one-to-one chats now; no welcome is sent");
        return Ok(None);
    }
    let d = &v.draft;
    let values = values_for(state, staff).await?;
    let fill = |words: &str| match variables::parse(words) {
        Ok(t) => variables::render(&t, &values),
        // Variables are checked at save; words that no longer parse are sent as reviewed.
        Err(_) => words.to_owned(),
    };
    let mut text = None;
    let mut attachments = Vec::new();
    match rec.item.kind {
        ItemKind::Text => text = Some(fill(&d.body)),
        ItemKind::Link | ItemKind::Article => {
            let desc = if rec.item.kind == ItemKind::Link {
                fill(&d.link_desc)
            } else {
                super::content_article::plain_text(&d.body).chars().take(60).collect()
            };
            let picurl = match d.media_id {
                Some(m) => {
                    format!("{}{}", state.config.public_url(), media::signed_path(state, siyu_domain::MediaId::new(m)))
                }
                None => String::new(),
            };
            let url = tracked(state, &v, staff, customer);
            attachments.push(
                json!({ "msgtype": "link", "link": { "title": d.title, "url": url, "desc": desc, "picurl": picurl } }),
            );
            if rec.item.kind == ItemKind::Link && !d.body.trim().is_empty() {
                text = Some(fill(&d.body));
            }
        }
        ItemKind::Image | ItemKind::Poster => {
            let Some(m) = d.media_id else { return Ok(None) };
            let Some(id) = on_wecom(state, siyu_domain::MediaId::new(m)).await? else { return Ok(None) };
            attachments.push(json!({ "msgtype": "image", "image": { "media_id": id } }));
            if !d.body.trim().is_empty() {
                text = Some(fill(&d.body));
            }
        }
        ItemKind::MiniProgram => {
            let Some(m) = d.media_id else { return Ok(None) };
            let Some(cover) = on_wecom(state, siyu_domain::MediaId::new(m)).await? else { return Ok(None) };
            attachments.push(json!({ "msgtype": "miniprogram", "miniprogram": {
                "title": d.title, "pic_media_id": cover, "appid": d.mini_appid, "page": d.mini_page } }));
            if !d.body.trim().is_empty() {
                text = Some(fill(&d.body));
            }
        }
        ItemKind::File => return Ok(None),
    }
    Ok(Some(Composed { version: v.id, text: text.filter(|t| !t.trim().is_empty()), attachments }))
}

/// The variables' values for words `staff` sends to a customer siyu does not name (a welcome, a
/// script copied into a chat): the salutation is [`DEFAULT_SALUTATION`].
pub(crate) async fn values_for(state: &AppState, staff: &Staff) -> Result<Values, StoreError> {
    let sub_branch = match state.store.org_unit(staff.org_unit_id).await {
        Ok(u) => u.name,
        Err(StoreError::NotFound) => String::new(),
        Err(e) => return Err(e),
    };
    Ok(Values {
        salutation: DEFAULT_SALUTATION.to_owned(),
        manager_name: staff.display_name.clone(),
        sub_branch,
        card_link: format!("{}/h5/cards/{}", state.config.public_url(), staff.id),
    })
}

/// A tracked link to `v` for this add, on siyu's public address.
fn tracked(state: &AppState, v: &ContentVersionRecord, staff: &Staff, customer: Option<CustomerId>) -> String {
    let recipient = match customer {
        Some(c) => Recipient::Customer(c),
        None => Recipient::Shared(SharedChannel::Chat),
    };
    let token = LinkToken::new(v.id, staff.id, recipient, state.clock.now(), DEFAULT_TTL_SECS);
    format!("{}/l/{}", state.config.public_url(), token.encode(|m| state.vault.link_tag(m)))
}

/// The current WeCom `media_id` of an upload; an upload WeCom cannot take is logged and the
/// welcome left unsent (WeCom or the store failing is an error: the add is retried).
async fn on_wecom(state: &AppState, id: siyu_domain::MediaId) -> Result<Option<String>, AddError> {
    match media::wecom_media_id(state, id).await {
        Ok(m) => Ok(Some(m)),
        Err(WecomMediaError::Wecom(e)) => Err(AddError::Wecom(e)),
        Err(WecomMediaError::Store(e)) => Err(AddError::Store(e)),
        Err(e) => {
            tracing::warn!(media = %id, error = %e, "the welcome's image is not on WeCom; no welcome is sent");
            Ok(None)
        }
    }
}
