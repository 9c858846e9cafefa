//! Every message siyu sends a customer leaves through this module, and only through it: nothing
//! else in the application calls WeCom's customer-facing sends (`send_welcome`, the mass messages'
//! `add_msg_template`, Moments' `add_moment_task`, or `transfer_customers`, whose hand-over notice
//! WeCom shows the customer). A test (`tests/it/architecture.rs` in the `siyu` crate) scans the
//! application's sources and fails when another module does.
//!
//! So the rules of contact have one place to live. Today the messages are a channel code's welcome
//! and the notice WeCom shows a customer whose manager hands them over (离职/在职继承, started by the
//! `staff.handover` job, which records each customer as requested before it asks, so a retried job
//! never asks twice). The welcome answers the customer's own add within WeCom's 20-second window;
//! its idempotency key is WeCom's welcome code, which works once (a repeat answers 41051, taken as
//! sent). The journey
//! engine fills this module in: one contact policy for every message (frequency caps per customer
//! and channel, quiet hours), the customer's marketing consent checked before a marketing message,
//! content only as compliance approved it (an approved content id, not free text), and an
//! idempotency key per message recorded before the send, so a retried job never sends twice.

use siyu_domain::channel::Welcome;
use siyu_store::ChannelCode;
use siyu_wecom::api::{Text, WelcomeMessage};
use siyu_wecom::client::WecomError;

use crate::services::channels::AddError;
use crate::services::media::WecomMediaError;
use crate::state::AppState;
use crate::wecom::WecomRuntime;

/// WeCom's answer when a welcome code was already used (by us on an earlier attempt, or another app).
const WELCOME_CODE_USED: i64 = 41051;

/// The welcome message for a code, as WeCom takes it; `cover` is the current WeCom `media_id` of the
/// mini-program's uploaded cover, when it has one (see [`cover_media_id`]).
pub fn welcome_message(w: &Welcome, welcome_code: &str, cover: Option<&str>) -> WelcomeMessage {
    let mut attachments = Vec::new();
    if let Some(l) = &w.link {
        attachments.push(serde_json::json!({ "msgtype": "link", "link": { "title": l.title, "url": l.url, "desc": l.desc, "picurl": l.picurl } }));
    }
    if let Some(url) = &w.image_url {
        attachments.push(serde_json::json!({ "msgtype": "image", "image": { "pic_url": url } }));
    }
    // A card whose uploaded cover could not be put on WeCom is left out rather than sent without one.
    if let Some(m) = &w.miniprogram
        && let Some(pic) =
            cover.or((m.cover.is_none() && !m.pic_media_id.is_empty()).then_some(m.pic_media_id.as_str()))
    {
        attachments.push(serde_json::json!({ "msgtype": "miniprogram", "miniprogram": { "title": m.title, "pic_media_id": pic, "appid": m.appid, "page": m.page } }));
    }
    let text = (!w.text.trim().is_empty()).then(|| Text { content: w.text.clone() });
    WelcomeMessage { welcome_code: welcome_code.to_owned(), text, attachments }
}

/// The current WeCom `media_id` of a welcome's uploaded mini-program cover (uploaded or renewed now
/// when its copy is missing or about to lapse). WeCom or the store failing is an error (the add is
/// retried); a cover WeCom cannot take is logged and the card left out.
pub async fn cover_media_id(state: &AppState, w: &Welcome) -> Result<Option<String>, AddError> {
    let Some(id) = w.miniprogram.as_ref().and_then(|m| m.cover) else { return Ok(None) };
    match crate::services::media::wecom_media_id(state, id).await {
        Ok(m) => Ok(Some(m)),
        Err(WecomMediaError::Wecom(e)) => Err(AddError::Wecom(e)),
        Err(WecomMediaError::Store(e)) => Err(AddError::Store(e)),
        Err(e) => {
            tracing::warn!(media = %id, error = %e, "welcome cover not on WeCom; the card is left out");
            Ok(None)
        }
    }
}

/// Sends `code`'s welcome to the customer who just added through it, with the `welcome_code` of
/// their add. Safe to run again: a code already used counts as sent.
pub async fn welcome(
    state: &AppState,
    rt: &WecomRuntime,
    code: &ChannelCode,
    welcome_code: &str,
) -> Result<(), AddError> {
    let cover = cover_media_id(state, &code.welcome).await?;
    match rt.client.send_welcome(&welcome_message(&code.welcome, welcome_code, cover.as_deref())).await {
        Ok(()) => Ok(()),
        Err(e) if e.errcode() == Some(WELCOME_CODE_USED) => {
            tracing::info!(code = %code.id, "welcome code already used; not sent again");
            Ok(())
        }
        Err(e) => Err(AddError::Wecom(e)),
    }
}

/// Asks WeCom to hand `customers` (at most [`siyu_domain::handover::WECOM_BATCH`]) from one member to
/// another: the resigned transfer (离职继承) when the old member has left the corp, else the on-the-job
/// one (在职继承), after which WeCom shows the customer its notice and waits 24 hours for them to
/// refuse. Returns each customer's errcode (0: started).
pub async fn transfer(
    rt: &WecomRuntime,
    resigned: bool,
    from_userid: &str,
    to_userid: &str,
    customers: &[String],
) -> Result<Vec<(String, i64)>, WecomError> {
    debug_assert!(customers.len() <= siyu_domain::handover::WECOM_BATCH);
    rt.client.transfer_customers(resigned, from_userid, to_userid, customers).await
}
