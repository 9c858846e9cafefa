//! The store's records and filters, as the services take and return them: `siyu-web` names these
//! and never the store itself (it has no dependency on `siyu-store`, so it cannot call one).

pub use siyu_store::audience_records::*;
pub use siyu_store::content_records::*;
pub use siyu_store::figures::*;
pub use siyu_store::records::*;
