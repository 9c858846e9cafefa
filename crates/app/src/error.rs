//! Errors of the service layer: what went wrong, with a stable machine-readable `code` and a message
//! for people. How each is shown (an HTTP status, a JSON body, a console page) is `siyu-web`'s part.

use siyu_store::StoreError;

/// What a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("please sign in")]
    Unauthenticated,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Bad input; `code` is stable (`bad_phone`, `unknown_column`, …).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// An audience expression that does not parse or names something unknown; `position` is the
    /// 0-based character where it goes wrong.
    #[error("{message}")]
    BadExpression { message: String, position: usize },
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("payload too large: at most {limit_mib} MiB")]
    TooLarge { limit_mib: u64 },
    /// Too much of the same heavy work is under way (uploads being read); try again shortly.
    #[error("系统正忙，请稍后再试 / busy with other uploads; try again in a minute")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { code, message: message.into() }
    }

    /// The stable code API clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Invalid { code, .. } => code,
            Self::BadExpression { .. } => "bad_expression",
            Self::Conflict(_) => "conflict",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::TooLarge { .. } => "payload_too_large",
            Self::Busy => "busy",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Stale(m) => Self::Conflict(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
