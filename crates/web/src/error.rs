//! How errors reach a client: every [`ServiceError`] gets an HTTP status here, and the refusals only
//! HTTP can make (a CSRF token missing, a body too large or too slow, a method no route takes) join
//! them in [`ApiError`], whose JSON body carries the same stable `code` on every endpoint.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
pub use siyu_app::error::{ServiceError, ServiceResult};

/// The HTTP status a service error is answered with.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
        ServiceError::Forbidden => StatusCode::FORBIDDEN,
        ServiceError::NotFound => StatusCode::NOT_FOUND,
        ServiceError::Invalid { .. } | ServiceError::BadExpression { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        ServiceError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ServiceError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a JSON endpoint (or the middleware in front of every route) can answer with instead of its
/// result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("missing or wrong CSRF token; reload the page and try again")]
    CsrfFailed,
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
    /// The session is a member's first after an administrator reset their password: it may do nothing
    /// until they choose their own (on the console's `/password` page).
    #[error("请先修改密码 / change your password first (console page /password)")]
    PasswordChangeRequired,
}

impl ApiError {
    /// The stable code API clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Service(e) => e.code(),
            Self::CsrfFailed => "csrf_failed",
            Self::BodyTooLarge => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::HeadersTooLarge => "headers_too_large",
            Self::BodyTimeout => "body_timeout",
            Self::PasswordChangeRequired => "password_change_required",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Service(e) => status_of(e),
            Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PasswordChangeRequired => StatusCode::FORBIDDEN,
        }
    }
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, for clients to match on (`not_found`, `bad_query`, `forbidden`, …).
    pub code: String,
    /// For people: Chinese, then English.
    pub message: String,
    /// For a bad expression: the 0-based character where it goes wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Service(ServiceError::Internal(m)) = &self {
            // The details go to the log, not to the client.
            tracing::error!(error = %m, "internal error");
        }
        let message = match &self {
            Self::Service(ServiceError::Internal(_)) => "internal error; see the server log".to_owned(),
            other => other.to_string(),
        };
        let position = match &self {
            Self::Service(ServiceError::BadExpression { position, .. }) => Some(*position),
            _ => None,
        };
        let detail = ErrorDetail { code: self.code().to_owned(), message, position };
        let mut resp = (self.status(), Json(ErrorBody { error: detail })).into_response();
        if let Self::Service(ServiceError::TooManyAttempts { retry_after_secs }) = self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
