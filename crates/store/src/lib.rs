//! siyu's storage: the traits the server talks to, the records that cross them, and one conformance
//! suite that every backend must pass.
//!
//! Backends live in their own crates (`siyu-store-sqlite`, `siyu-store-postgres`), each with its own
//! append-only migrations. Most SQL reads the same on both, so it is written once, in [`sql`], as macros
//! that each backend expands against its own `sqlx` driver; what differs (schema, claiming a job) stays
//! in the backend crate.

pub mod audience_records;
pub mod conformance;
pub mod content_records;
pub mod error;
pub mod expressions;
pub mod figures;
pub mod migrate;
pub mod records;
#[macro_use]
pub mod sql;
pub mod traits;

pub use audience_records::*;
pub use content_records::*;
pub use error::StoreError;
pub use figures::*;
pub use records::*;
pub use traits::*;

// Re-exported for the SQL macros, which expand inside the backend crates.
#[doc(hidden)]
pub use async_trait::async_trait;
#[doc(hidden)]
pub use serde_json;
#[doc(hidden)]
pub use siyu_content as content;
#[doc(hidden)]
pub use siyu_domain as domain;
