//! JSON, query and path extractors whose rejections are API errors with stable codes, not axum's
//! plain-text defaults.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, ServiceError};

/// A JSON body; a malformed one answers `bad_json` with the parser's message.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state).await.map(|Json(v)| Self(v)).map_err(|r| {
            // A body past the route's limit is 413, not a malformed document.
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge
            } else {
                ServiceError::invalid("bad_json", r.body_text()).into()
            }
        })
    }
}

/// Query parameters; unreadable ones answer `bad_query`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|r| ServiceError::invalid("bad_query", r.body_text()).into())
    }
}

/// Path parameters. An id of the wrong kind (`stf_1` where a customer is expected) or a malformed one
/// is simply not found: it cannot name anything.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(|_| ServiceError::NotFound.into())
    }
}

/// A multipart upload; a request that is not one (no boundary, another content type) answers
/// `bad_upload`, as a malformed one does.
#[derive(Debug)]
pub struct ApiMultipart(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Multipart::from_request(req, state)
            .await
            .map(Self)
            .map_err(|r| ServiceError::invalid("bad_upload", r.body_text()).into())
    }
}

/// A query value where blank means "any", as the endpoint table documents for words and ids
/// (`?role=`): `None` for an empty one, else the value as `T` reads it.
pub fn blank_is_any<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some(v) => T::deserialize(v.into_deserializer()).map(Some),
    }
}
