//! siyu's domain: the bank's own concepts as types and the rules over them, with no IO.
//!
//! Nothing here touches a database, the network, the file system or the wall clock; time comes in
//! through [`clock::Clock`]. That keeps every rule testable in microseconds and lets the store and the
//! server crates depend on one vocabulary.

pub mod audience;
pub mod audit;
pub mod channel;
pub mod channel_controls;
pub mod clock;
pub mod customer;
pub mod handover;
pub mod ids;
pub mod import;
pub mod import_template;
pub mod job;
pub mod lang;
pub mod masking;
pub mod media;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod org;
pub mod org_tree;
pub mod product;
pub mod scope;
pub mod spreadsheet;
pub mod tag;
pub mod timeline;
pub mod validate;

pub use clock::{Clock, Timestamp};
pub use ids::*;
