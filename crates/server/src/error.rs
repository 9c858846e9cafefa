//! Errors of the service layer and how the API shows them: a stable machine-readable `code`, an HTTP
//! status, and a message for people.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
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
    #[error("missing or wrong CSRF token; reload the page and try again")]
    CsrfFailed,
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
    /// A request body past its route's limit (JSON and forms are small; only uploads are large).
    #[error("请求内容过大 / request body too large")]
    BodyTooLarge,
    #[error("此地址不支持该方法 / this method is not allowed here")]
    MethodNotAllowed,
    #[error("请求头过大 / request headers too large")]
    HeadersTooLarge,
    /// The body did not arrive in full within its time (`serve::BodyDeadline`).
    #[error("请求正文发送超时 / the request body took too long to arrive")]
    BodyTimeout,
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
            Self::CsrfFailed => "csrf_failed",
            Self::Invalid { code, .. } => code,
            Self::BadExpression { .. } => "bad_expression",
            Self::Conflict(_) => "conflict",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::TooLarge { .. } | Self::BodyTooLarge => "payload_too_large",
            Self::Busy => "busy",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::HeadersTooLarge => "headers_too_large",
            Self::BodyTimeout => "body_timeout",
            Self::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Invalid { .. } | Self::BadExpression { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge { .. } | Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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

/// The JSON body of every API error.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// For a bad expression: the 0-based character where it goes wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// A service error on its way out of a JSON endpoint.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl<E: Into<ServiceError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let ServiceError::Internal(m) = &e {
            // The details go to the log, not to the client.
            tracing::error!(error = %m, "internal error");
        }
        let message = match &e {
            ServiceError::Internal(_) => "internal error; see the server log".to_owned(),
            other => other.to_string(),
        };
        let position = match &e {
            ServiceError::BadExpression { position, .. } => Some(*position),
            _ => None,
        };
        let detail = ErrorDetail { code: e.code().to_owned(), message, position };
        let mut resp = (e.status(), Json(ErrorBody { error: detail })).into_response();
        if let ServiceError::TooManyAttempts { retry_after_secs } = e
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
