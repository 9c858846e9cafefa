//! WeCom (企业微信), the one outside system siyu lives on.
//!
//! - [`crypto`]: the callback protocol's signature and AES-256-CBC envelope (WXBizMsgCrypt), checked
//!   against the official vectors in `tests/data/`.
//! - [`xml`] and [`event`]: the decrypted callback XML as typed customer-contact events.
//!
//! Pure and synchronous: no network here yet. The HTTP client and the fake server build on these.

pub mod crypto;
pub mod event;
pub mod xml;
