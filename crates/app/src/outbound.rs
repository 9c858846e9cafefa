//! Every message siyu sends a customer leaves through this module, and only through it: nothing
//! else in the application calls WeCom's customer-facing sends (`send_welcome`, the mass messages'
//! `add_msg_template`, Moments' `add_moment_task`, or `transfer_customers`, whose hand-over notice
//! WeCom shows the customer). A test (`tests/it/architecture.rs` in the `siyu` crate) scans the
//! application's sources and fails when another module does.
//!
//! So the rules of contact have one place to live. Today the messages are a channel code's welcome
//! (an approved item of the content library, never free text: `services::welcome`) and the notice WeCom shows a customer whose manager hands them over (离职/在职继承, started by the
//! `staff.handover` job, which records each customer as requested before it asks, so a retried job
//! never asks twice). The welcome answers the customer's own add within WeCom's 20-second window;
//! its idempotency key is WeCom's welcome code, which works once (a repeat answers 41051, taken as
//! sent). The journey
//! engine fills this module in: one contact policy for every message (frequency caps per customer
//! and channel, quiet hours), the customer's marketing consent checked before a marketing message,
//! content only as compliance approved it (an approved content id, not free text), and an
//! idempotency key per message recorded before the send, so a retried job never sends twice.

use siyu_domain::CustomerId;
use siyu_domain::org::Staff;
use siyu_store::ChannelCode;
use siyu_wecom::api::{Text, WelcomeMessage};
use siyu_wecom::client::WecomError;

use crate::services::channels::AddError;
use crate::services::welcome;
use crate::state::AppState;
use crate::wecom::WecomRuntime;

/// WeCom's answer when a welcome code was already used (by us on an earlier attempt, or another app).
const WELCOME_CODE_USED: i64 = 41051;

/// Sends `code`'s welcome to the contact who just added `staff` through it, with the `welcome_code`
/// of their add: the code's library item as it may be sent now ([`welcome::compose`]), nothing when
/// it has no sendable version. `customer`: the customer the contact is matched to, when known, whom
/// the welcome's tracked link names. Safe to run again: a code already used counts as sent.
pub async fn welcome(
    state: &AppState,
    rt: &WecomRuntime,
    code: &ChannelCode,
    staff: &Staff,
    customer: Option<CustomerId>,
    welcome_code: &str,
) -> Result<(), AddError> {
    let Some(item) = code.welcome.item else { return Ok(()) };
    let Some(c) = welcome::compose(state, item, staff, customer).await? else { return Ok(()) };
    let message = WelcomeMessage {
        welcome_code: welcome_code.to_owned(),
        text: c.text.map(|content| Text { content }),
        attachments: c.attachments,
    };
    match rt.client.send_welcome(&message).await {
        Ok(()) => {
            tracing::info!(code = %code.id, version = %c.version, "welcome sent");
            Ok(())
        }
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
