//! Errors of the service layer: what went wrong, with a stable machine-readable `code` and a message
//! for people as a [`Text`] (a catalogue key and its arguments), put into the viewer's language only
//! where it is shown. How each is shown (an HTTP status, a JSON body, a console page) is `siyu-web`'s
//! part.

use siyu_domain::lang::{Lang, Text};
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
    Invalid { code: &'static str, message: Text },
    /// An audience expression that does not parse or names something unknown; `position` is the
    /// 0-based character where it goes wrong.
    #[error("{message}")]
    BadExpression { message: Text, position: usize },
    #[error("{0}")]
    Conflict(Text),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("payload too large: at most {limit_mib} MiB")]
    TooLarge { limit_mib: u64 },
    /// Too much of the same heavy work is under way (uploads being read); try again shortly.
    #[error("busy with other uploads; try again in a minute")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// Bad input. `message` is a catalogue [`Text`]; a plain `"中文 / English"` string is still taken
    /// (and shown in one language, split at " / ") until it is moved into the catalogue.
    pub fn invalid(code: &'static str, message: impl Into<Text>) -> Self {
        Self::Invalid { code, message: message.into() }
    }

    /// A clash with what is already there (a name taken).
    pub fn conflict(message: impl Into<Text>) -> Self {
        Self::Conflict(message.into())
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

    /// What to tell a person. An internal error's detail is for the log only: it is not in here.
    pub fn text(&self) -> Text {
        match self {
            Self::Unauthenticated => Text::new("error.unauthenticated"),
            Self::Forbidden => Text::new("error.forbidden"),
            Self::NotFound => Text::new("error.not_found"),
            Self::Invalid { message, .. } | Self::BadExpression { message, .. } | Self::Conflict(message) => {
                message.clone()
            }
            Self::TooManyAttempts { retry_after_secs } => {
                Text::new("error.too_many_attempts").arg("minutes", (retry_after_secs + 59) / 60)
            }
            Self::TooLarge { limit_mib } => Text::new("error.too_large").arg("limit_mib", limit_mib),
            Self::Busy => Text::new("error.busy"),
            Self::Internal(_) => Text::new("error.internal"),
        }
    }

    /// The message in the viewer's language.
    pub fn render(&self, lang: Lang) -> String {
        self.text().render(lang)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            // The store's own words (a constraint's name, a pair from a rule) are a fallback; a service
            // that expects a clash maps it to a message of its own.
            StoreError::Conflict(m) => Self::Conflict(m.into()),
            StoreError::Stale(m) => Self::Conflict(m.into()),
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
