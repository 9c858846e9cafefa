//! Serving the content library's images and files: `/media/{id}` for signed-in staff and
//! `/h5/media/{id}?sig=…` for customers' phones (article pages opened without a session; images only,
//! behind the HMAC `services::media::signed_path` gives). An id's bytes never change, so both are
//! cached a year and revalidated by their SHA-256 as the ETag; the type is the one siyu found in the
//! bytes, never guessed again by the browser (`nosniff`), and a restrictive policy keeps a file from
//! running anything even if opened in place.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use siyu_app::records::MediaRecord;
use siyu_app::services::media;
use siyu_app::state::AppState;
use siyu_domain::MediaId;
use siyu_domain::media::MediaKind;

use crate::api::extract::ApiPath;
use crate::auth::extract::ConsoleUser;
use crate::error::ApiError;

/// Nothing a medium is may load or run anything, be framed, or send a form.
const POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new().route("/media/{id}", get(staff_media)).route("/h5/media/{id}", get(customer_media))
}

async fn staff_media(
    State(state): State<AppState>,
    user: ConsoleUser,
    ApiPath(id): ApiPath<MediaId>,
    headers: HeaderMap,
) -> Response {
    match media::content(&state, &user.0, id).await {
        // Behind a staff session: kept by the browser, never by a shared cache on the way.
        Ok((rec, bytes)) => serve(&rec, bytes, &headers, "private, max-age=31536000, immutable"),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct Signed {
    #[serde(default)]
    sig: String,
}

async fn customer_media(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MediaId>,
    Query(q): Query<Signed>,
    headers: HeaderMap,
) -> Response {
    match media::public_content(&state, id, &q.sig).await {
        Ok((rec, bytes)) => serve(&rec, bytes, &headers, "public, max-age=31536000, immutable"),
        // A neutral answer: a bad signature, an unknown id and a file all read the same.
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The ETag of a medium: its SHA-256, quoted.
fn etag(rec: &MediaRecord) -> String {
    format!("\"{}\"", rec.sha256)
}

/// Whether `If-None-Match` names this medium's ETag (or is `*`).
fn not_modified(rec: &MediaRecord, headers: &HeaderMap) -> bool {
    let tag = etag(rec);
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || t == tag || t.strip_prefix("W/") == Some(tag.as_str())
    })
}

/// `attachment` (files) or `inline` (images), with the name as RFC 6266 asks: an ASCII fallback and
/// the UTF-8 name percent-encoded per RFC 5987.
pub fn disposition(kind: MediaKind, name: &str) -> String {
    let how = if kind == MediaKind::Image { "inline" } else { "attachment" };
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%') { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn serve(rec: &MediaRecord, bytes: Vec<u8>, req: &HeaderMap, cache: &'static str) -> Response {
    let mut h = HeaderMap::new();
    let value =
        |s: &str| HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::ETAG, value(&etag(rec)));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    if not_modified(rec, req) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(header::CONTENT_TYPE, value(&rec.content_type));
    h.insert(header::CONTENT_DISPOSITION, value(&disposition(rec.kind, &rec.file_name)));
    (h, bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_encoded_for_both_old_and_new_browsers() {
        assert_eq!(
            disposition(MediaKind::File, "年报 2026.pdf"),
            "attachment; filename=\"___2026.pdf\"; filename*=UTF-8''%E5%B9%B4%E6%8A%A5%202026.pdf"
        );
        assert_eq!(
            disposition(MediaKind::Image, "a\"b.png"),
            "inline; filename=\"a_b.png\"; filename*=UTF-8''a%22b.png"
        );
    }
}
