//! How a job fails: worth another attempt, or never going to succeed — with its cause kept whole (its
//! text becomes the job's `last_error`, its type stays for the log and for tests).

use siyu_store::StoreError;
use siyu_wecom::client::WecomError;

/// Why a job failed: any error, kept as it came.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// How a job body failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (the database was busy, WeCom was down, a file was briefly
    /// unreadable): retried with backoff until the kind's attempts run out.
    #[error("{0}")]
    Retry(Cause),
    /// Will never succeed (an unreadable payload, WeCom not configured): fails now.
    #[error("{0}")]
    Permanent(Cause),
}

impl JobError {
    pub fn retry(cause: impl Into<Cause>) -> Self {
        Self::Retry(cause.into())
    }

    pub fn permanent(cause: impl Into<Cause>) -> Self {
        Self::Permanent(cause.into())
    }

    /// Whether another attempt may succeed.
    pub fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

/// A store that fails is taken to be passing trouble (busy, restarting, a lost connection): try again.
impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        Self::Retry(Box::new(e))
    }
}

/// So is WeCom: its client has already retried what it retries itself.
impl From<WecomError> for JobError {
    fn from(e: WecomError) -> Self {
        Self::Retry(Box::new(e))
    }
}

/// A service a job calls fails the way its store would.
impl From<crate::error::ServiceError> for JobError {
    fn from(e: crate::error::ServiceError) -> Self {
        Self::Retry(Box::new(e))
    }
}

/// The reason a job that may not be run again fails with (it is not a handler's error).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unrunnable {
    #[error("no handler for job kind {0}")]
    UnknownKind(String),
    #[error("gave up after {attempts} attempts; last error: {last}")]
    GaveUp { attempts: i32, last: String },
    #[error("WeCom is not configured")]
    WecomNotConfigured,
}

impl From<Unrunnable> for JobError {
    fn from(e: Unrunnable) -> Self {
        Self::Permanent(Box::new(e))
    }
}
