//! Errors a store reports, in terms the service layer can act on.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or is outside the caller's data scope (the two are not told apart, so
    /// a scope check never confirms that a record exists).
    #[error("not found")]
    NotFound,
    /// A unique key is taken (a login name, a customer number, a unit code).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The record moved on since it was read: a lease was lost or a checkpoint already advanced.
    #[error("stale: {0}")]
    Stale(String),
    /// A stored value cannot be read back (a role name the code does not know, say).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
