//! WeCom (企业微信), the one outside system siyu lives on.
//!
//! - [`crypto`]: the callback protocol's signature and AES-256-CBC envelope (WXBizMsgCrypt), checked
//!   against the official vectors in `tests/data/`.
//! - [`xml`] and [`event`]: the decrypted callback XML as typed customer-contact events.
//!
//! - [`client`] and [`api`]: the server API client (token cache, retries, typed errors) and the
//!   endpoints siyu calls for contacts, tags, contact ways and welcome messages; [`campaigns`]: mass
//!   messages, Moments, groups, transfers and statistics.
//! - `fake` (with the `fake` feature, which brings axum): a fake WeCom server for tests and the demo,
//!   with scripted customers and injected faults.

pub mod api;
pub mod campaigns;
pub mod client;
pub mod crypto;
pub mod event;
#[cfg(feature = "fake")]
pub mod fake;
pub mod xml;
