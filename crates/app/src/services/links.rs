//! Tracked links for staff (雷达链接, issue 17 §4): a link for a send, signed for the customer it goes
//! to or for the manager's Moments or group, and a version's figures from its links.
//!
//! Issuing records a send for the item's figures and nothing else (the token carries everything, and
//! an unopened link is no event), so it has no audit entry; the opens it leads to are recorded with
//! the manager it names. A link names its
//! customer only when the caller may see that customer: a customer manager gets links for their own
//! customers, and another's is not found, as on every scoped read.

use serde::{Deserialize, Serialize};
use siyu_content::Channel;
use siyu_content::link_token::{DEFAULT_TTL_SECS, LinkToken, Recipient, SharedChannel};
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::{ContentVersionId, CustomerId, Timestamp};
use siyu_store::{LinkStats, NewContentSend};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::links::target;
use crate::state::AppState;

/// What a link is for: a version, and one customer or one shared channel.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The item version sent (`cvr_…`).
    pub version_id: ContentVersionId,
    /// The customer it is sent to in a one-to-one chat; leave out for Moments and groups.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// `moments` or `group` for a shared link; `one_to_one` (or nothing) with a customer.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(one_to_one|moments|group)$"))]
    pub channel: Option<String>,
}

/// A link issued.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedLink {
    /// The signed token (URL-safe, 67 characters).
    pub token: String,
    /// The link's path on this server (`/l/<token>`); put the bank's public origin in front of it.
    pub path: String,
    pub channel: String,
    /// Unix milliseconds after which the link opens only a neutral page.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub expires_at: Timestamp,
}

fn bad_recipient() -> ServiceError {
    ServiceError::invalid("bad_recipient", Text::new("links.bad_recipient"))
}

/// A link for a send by the calling manager (permission `ReadContent`; the customer in their scope).
pub async fn issue(state: &AppState, caller: &Caller, req: &LinkRequest) -> ServiceResult<IssuedLink> {
    caller.require(Permission::ReadContent)?;
    let Some(staff) = caller.staff.as_ref() else {
        return Err(ServiceError::invalid("staff_only", Text::new("links.staff_only")));
    };
    let channel = match req.channel.as_deref() {
        None => None,
        Some(code) => Some(Channel::parse(code).ok_or_else(bad_recipient)?),
    };
    let recipient = match (req.customer_id, channel) {
        (Some(c), None | Some(Channel::OneToOne)) => {
            // Not found unless the caller may see the customer: no link for another manager's.
            state.store.customer(caller.scope(), c).await?;
            Recipient::Customer(c)
        }
        (None, Some(Channel::Moments)) => Recipient::Shared(SharedChannel::Moments),
        (None, Some(Channel::Group)) => Recipient::Shared(SharedChannel::Group),
        _ => return Err(bad_recipient()),
    };
    let item = target::check_sendable(state, req.version_id).await?;
    let now = state.clock.now();
    let token = LinkToken::new(req.version_id, staff.id, recipient, now, DEFAULT_TTL_SECS);
    // The send, for the item's figures: which managers take which items to their customers.
    let send = NewContentSend {
        item_id: item,
        version_id: req.version_id,
        staff_id: staff.id,
        customer_id: token.customer(),
        channel: token.channel().code().to_owned(),
        at: now,
    };
    state.store.record_content_send(&send).await?;
    let text = token.encode(|m| state.vault.link_tag(m));
    Ok(IssuedLink {
        path: format!("/l/{text}"),
        token: text,
        channel: token.channel().code().to_owned(),
        expires_at: token.expires_at,
    })
}

/// A version's opens, unique openers, forwards and read time (permission `ReadContent`). Figures,
/// no customers.
pub async fn stats(state: &AppState, caller: &Caller, version: ContentVersionId) -> ServiceResult<LinkStats> {
    caller.require(Permission::ReadContent)?;
    Ok(state.store.link_stats(version).await?)
}
