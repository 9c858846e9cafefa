//! The script library (话术, issue 17 §5): the words a customer manager copies into a chat, found by
//! scenario (the item's category and AIDA stage) and product, with their variables filled in for the
//! manager (their name, sub-branch and business card; the customer is addressed as 您), one click to
//! copy, and each copy counted as that manager's send of the item.
//!
//! A script is a library item like any other — a text item meant for one-to-one chats — so it is
//! reviewed like any other, and only its published, unexpired version is ever shown: a draft or a
//! version in review never reaches a manager's clipboard.

use serde::{Deserialize, Serialize};
use siyu_content::{AidaStage, Category, Channel, ItemKind};
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::{ContentItemId, ContentVersionId, ProductId};
use siyu_store::{ContentFilter, NewContentSend, Page, Paged};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// What a manager looks for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScriptQuery {
    pub category: Option<Category>,
    pub stage: Option<AidaStage>,
    pub product: Option<ProductId>,
    /// Words of the title or the text.
    pub q: Option<String>,
}

/// A script as the manager copies it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Script {
    pub item_id: ContentItemId,
    pub version_id: ContentVersionId,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub stage: Option<AidaStage>,
    /// The words with the variables filled in for the caller.
    pub text: String,
    /// Linked products by name.
    pub products: Vec<String>,
    /// How many times the caller has used it.
    pub my_uses: u64,
}

fn staff_only() -> ServiceError {
    ServiceError::invalid("staff_only", Text::new("links.staff_only"))
}

/// A page of scripts for the calling manager (permission `ReadContent`).
pub async fn search(state: &AppState, caller: &Caller, q: &ScriptQuery, page: Page) -> ServiceResult<Paged<Script>> {
    caller.require(Permission::ReadContent)?;
    let staff = caller.staff.as_ref().ok_or_else(staff_only)?;
    let filter = ContentFilter {
        kind: Some(ItemKind::Text),
        channel: Some(Channel::OneToOne),
        category: q.category,
        stage: q.stage,
        product: q.product,
        // At most 100 characters of words, as the API's table allows, whoever asks.
        query: q.q.as_deref().map(|w| w.chars().take(100).collect()),
        sendable_at: Some(state.clock.now()),
        ..Default::default()
    };
    let rows = state.store.content_items(&filter, page).await?;
    let values = super::welcome::values_for(state, staff).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for r in &rows.items {
        let v = &r.latest;
        let text = match siyu_content::variables::parse(&v.draft.body) {
            Ok(t) => siyu_content::variables::render(&t, &values),
            Err(_) => v.draft.body.clone(),
        };
        let ids: Vec<String> = v.draft.product_ids.iter().map(ToString::to_string).collect();
        let products = super::content::products_of(state, &ids).await.unwrap_or_default();
        let versions: Vec<_> = state.store.content_versions(r.item.id).await?.into_iter().map(|v| v.id).collect();
        let mine = state.store.content_senders(r.item.id, &versions, &[staff.id]).await?;
        items.push(Script {
            item_id: r.item.id,
            version_id: v.id,
            title: v.draft.title.clone(),
            category: r.item.item.category,
            stage: v.draft.stage,
            text,
            products: products.into_iter().map(|(_, p)| p.name).collect(),
            my_uses: mine.first().map(|m| m.sends).unwrap_or(0),
        });
    }
    Ok(Paged { items, total: rows.total })
}

/// The calling manager copied `item`'s script into a chat: one use, counted as their send of it.
/// Only a script that may be sent now counts (a retired one is refused as `not_sendable`).
pub async fn used(state: &AppState, caller: &Caller, item: ContentItemId) -> ServiceResult<()> {
    caller.require(Permission::ReadContent)?;
    let staff = caller.staff.as_ref().ok_or_else(staff_only)?;
    let rec = state.store.content_item(item).await?;
    let live = super::content::sendable_version(state, item).await?;
    let Some(v) = live.filter(|v| rec.item.kind == ItemKind::Text && v.draft.channels.contains(&Channel::OneToOne))
    else {
        return Err(ServiceError::invalid("not_sendable", Text::new("links.not_sendable")));
    };
    let send = NewContentSend {
        item_id: item,
        version_id: v.id,
        staff_id: staff.id,
        customer_id: None,
        channel: Channel::OneToOne.code().to_owned(),
        at: state.clock.now(),
    };
    state.store.record_content_send(&send).await?;
    Ok(())
}
