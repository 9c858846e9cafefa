//! Media endpoints: upload an image or file to the content library (multipart, field `file`), read
//! one's record with its URLs, and list them. The bytes are served at `/media/{id}` (staff) and at
//! the signed `/h5/media/{id}?sig=…` (customers, images only), see `crate::media`.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_app::records::{MediaRecord, Paged};
use siyu_app::services::{imports, media};
use siyu_app::state::AppState;
use siyu_domain::MediaId;
use siyu_domain::lang::Text;
use siyu_domain::media::MediaKind;

use super::Paging;
use super::extract::{ApiMultipart, ApiPath, ApiQuery, blank_is_any};
use crate::auth::extract::ApiCaller;
use crate::error::{ApiResult, ServiceError, ServiceResult};

/// The largest file, in MiB, as a refusal names it.
const LIMIT_MIB: u64 = (siyu_domain::media::MAX_FILE_BYTES >> 20) as u64;

/// Reads the form's `file` field (its name and bytes) once it is this upload's turn; other fields are
/// skipped unread. Callers check the permission first: nothing is read before it.
pub async fn read_file(state: &AppState, mut m: Multipart) -> ServiceResult<(String, Vec<u8>, impl Sized)> {
    let turn = imports::file_slot(state).await?;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServiceError::TooLarge { limit_mib: LIMIT_MIB }
        } else {
            ServiceError::invalid("bad_upload", e.body_text())
        }
    };
    while let Some(field) = m.next_field().await.map_err(too_large)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(too_large)?.to_vec();
            return Ok((name, bytes, turn));
        }
    }
    Err(ServiceError::invalid("no_file", Text::new("media.no_file")))
}

/// A medium and where it is served.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaView {
    #[serde(flatten)]
    pub record: MediaRecord,
    /// For signed-in staff: `/media/{id}`.
    pub url: String,
    /// For customers without a session (images only, for article pages): `/h5/media/{id}?sig=…`.
    pub public_url: Option<String>,
    /// Whether this upload stored it (false: the same bytes were already there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
}

pub fn view(state: &AppState, record: MediaRecord) -> MediaView {
    let public_url = (record.kind == MediaKind::Image).then(|| media::signed_path(state, record.id));
    MediaView { url: format!("/media/{}", record.id), public_url, record, created: None }
}

/// The multipart form of an upload, as the document describes it.
#[derive(Debug, utoipa::ToSchema)]
pub struct MediaUpload {
    /// A PNG, JPEG, GIF or WebP image (at most 2 MiB) or a PDF, DOCX, XLSX or PPTX file (at most
    /// 10 MiB), told by its bytes; its name's extension must agree.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[utoipa::path(
    post,
    path = "/media",
    tag = "media",
    summary = "Upload an image or file to the content library (checked by its bytes; the same bytes are kept once)",
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = MediaView),
        (status = 200, description = "The same bytes were already stored", body = MediaView)
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiMultipart(m): ApiMultipart,
) -> ApiResult<(StatusCode, Json<MediaView>)> {
    // The permission is checked before a byte of the upload is read.
    media::may_upload(&c)?;
    let (name, bytes, _turn) = read_file(&state, m).await?;
    let (rec, created) = media::upload(&state, &c, &name, bytes).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(MediaView { created: Some(created), ..view(&state, rec) })))
}

#[utoipa::path(
    get,
    path = "/media/{id}",
    tag = "media",
    summary = "One image or file's record and URLs",
    params(("id" = String, Path, description = "The medium (`med_3`)")),
    responses((status = 200, description = "The medium", body = MediaView))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<MediaId>,
) -> ApiResult<Json<MediaView>> {
    let rec = media::get(&state, &c, id).await?;
    Ok(Json(view(&state, rec)))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "blank_is_any")]
    pub kind: Option<MediaKind>,
}

#[utoipa::path(
    get,
    path = "/media",
    tag = "media",
    summary = "The content library's images and files, newest first",
    responses((status = 200, description = "A page of media", body = Paged<MediaView>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<MediaView>>> {
    let page = media::list(&state, &c, q.kind, p.page()).await?;
    Ok(Json(Paged { items: page.items.into_iter().map(|r| view(&state, r)).collect(), total: page.total }))
}
