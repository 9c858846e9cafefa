//! How errors reach a client: every [`ServiceError`] gets an HTTP status here, and the refusals only
//! HTTP can make (a CSRF token missing, a body too large or too slow, a method no route takes) join
//! them in [`ApiError`], whose JSON body carries the same stable `code` on every endpoint, and a
//! message in the language of the request ([`request_lang`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
pub use siyu_app::error::{ServiceError, ServiceResult};
use siyu_domain::lang::{Lang, Text};

tokio::task_local! {
    /// The language of the request being answered, set by [`with_request_lang`] around every route.
    static REQUEST_LANG: Lang;
}

/// The language a request is answered in. The console's pages, and the API calls its own pages make
/// (they carry the session cookie), speak the console's language: the switch's cookie, Chinese without
/// one, whatever the browser's `Accept-Language` says. Other API clients get the language their
/// `Accept-Language` asks for (Chinese unless an `en…` tag comes first).
pub fn lang_of(path: &str, headers: &axum::http::HeaderMap) -> Lang {
    use crate::auth::extract::cookie;
    let console = !path.starts_with("/api/") || cookie(headers, crate::auth::SESSION_COOKIE).is_some();
    if console {
        return crate::console::i18n::lang_of_cookie(cookie(headers, crate::console::i18n::LANG_COOKIE));
    }
    Lang::from_accept_language(headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// Runs the rest of the request with its language known to every error it may answer with.
pub async fn with_request_lang(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let lang = lang_of(req.uri().path(), req.headers());
    REQUEST_LANG.scope(lang, next.run(req)).await
}

/// The language of the request being answered (Chinese outside one).
pub fn request_lang() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

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
    #[error("request body too large")]
    BodyTooLarge,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("request headers too large")]
    HeadersTooLarge,
    /// The body did not arrive in full within its time (`serve::BodyDeadline`).
    #[error("the request body took too long to arrive")]
    BodyTimeout,
    /// The session is a member's first after an administrator reset their password: it may do nothing
    /// until they choose their own (on the console's `/password` page).
    #[error("change your password first (console page /password)")]
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

    /// What to tell a person (`http.*` in the catalogue for the refusals only HTTP makes).
    pub fn text(&self) -> Text {
        match self {
            Self::Service(e) => e.text(),
            Self::CsrfFailed => Text::new("http.csrf_failed"),
            Self::BodyTooLarge => Text::new("http.body_too_large"),
            Self::MethodNotAllowed => Text::new("http.method_not_allowed"),
            Self::HeadersTooLarge => Text::new("http.headers_too_large"),
            Self::BodyTimeout => Text::new("http.body_timeout"),
            Self::PasswordChangeRequired => Text::new("http.password_change_required"),
        }
    }

    /// The message in the language of the request being answered.
    pub fn message(&self) -> String {
        self.text().render(request_lang())
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
    /// For people, in the request's language (`Accept-Language`; Chinese by default).
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
        // An internal error's detail went to the log above; its text says only that it happened.
        let message = self.message();
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
