//! The content library's images and files (issue 17): uploaded by those who author content, checked
//! by their bytes (`siyu_domain::media`), kept once per SHA-256; read by every role; served to
//! customers only through a signed URL; and copied to WeCom as temporary media ahead of use, the copy
//! renewed before its three days run out (the `media.renew` job) so outbound messages always name a
//! live `media_id`.
//!
//! The customer-facing URL is `/h5/media/{id}?sig=…`: an HMAC of the id under a key of its own
//! derived from the vault's master key. Media are the bank's marketing material, not customer data,
//! and content-addressed (an id's bytes never change), so the signature does not expire: an article
//! published today still shows its images next year. The signature only keeps the URL space closed,
//! so no one can walk `med_1`, `med_2`, … and read drafts' images.

use sha2::{Digest, Sha256};
use siyu_domain::MediaId;
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::media::{self, MediaKind, MediaRefusal};
use siyu_domain::scope::Permission;
use siyu_store::{MediaRecord, NewMedia, Page, Paged, WecomMedia};
use siyu_wecom::client::{MediaType as WecomType, TEMPORARY_MEDIA_SECS};

use super::audit;
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// The most an upload route reads: the largest file plus room for the multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = media::MAX_FILE_BYTES + (64 << 10);

/// A WeCom copy is renewed when it has less than this left: the renewal job runs hourly, so a copy
/// is renewed at least 11 hours before it expires, and a send never names one about to lapse.
pub const RENEW_WITHIN_SECS: i64 = 12 * 3600;

/// What the signed URL's signature signs under.
const SIGNING_LABEL: &str = "media";

/// Whether `caller` may upload: checked before a byte of an upload is read.
pub fn may_upload(caller: &Caller) -> ServiceResult<()> {
    caller.require(Permission::AuthorContent)
}

/// A refusal as a service error: a size past the kind's limit is a 413, the rest 422s with their
/// own code and a message naming what the bytes really are.
fn refused(r: &MediaRefusal, name: &str) -> ServiceError {
    match r {
        MediaRefusal::TooLarge { max_mib, .. } => ServiceError::TooLarge { limit_mib: *max_mib as u64 },
        other => ServiceError::invalid(other.code(), other.message(name)),
    }
}

/// Lower-case hex of the SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks and keeps an upload; the same bytes uploaded before give the stored record (and `false`).
pub async fn upload(
    state: &AppState,
    caller: &Caller,
    file_name: &str,
    bytes: Vec<u8>,
) -> ServiceResult<(MediaRecord, bool)> {
    may_upload(caller)?;
    let name = media::sanitise_name(file_name);
    let t = media::check(&name, &bytes).map_err(|r| refused(&r, &name))?;
    let m = NewMedia {
        sha256: sha256_hex(&bytes),
        content_type: t.mime().to_owned(),
        kind: t.kind(),
        file_name: name,
        bytes,
    };
    let detail = format!("{} ({}, {} bytes)", m.file_name, t.label(), m.bytes.len());
    let entry = audit::entry(state, caller, AuditAction::MediaUploaded, "", &detail);
    let by = caller.staff.as_ref().map(|s| s.id);
    Ok(state.store.store_media(&m, by, state.clock.now(), &entry).await?)
}

/// One medium's record.
pub async fn get(state: &AppState, caller: &Caller, id: MediaId) -> ServiceResult<MediaRecord> {
    caller.require(Permission::ReadContent)?;
    state.store.media(id).await?.ok_or(ServiceError::NotFound)
}

/// A page of media, newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    kind: Option<MediaKind>,
    page: Page,
) -> ServiceResult<Paged<MediaRecord>> {
    caller.require(Permission::ReadContent)?;
    Ok(state.store.media_list(kind, page).await?)
}

/// One medium with its bytes, for staff.
pub async fn content(state: &AppState, caller: &Caller, id: MediaId) -> ServiceResult<(MediaRecord, Vec<u8>)> {
    caller.require(Permission::ReadContent)?;
    state.store.media_bytes(id).await?.ok_or(ServiceError::NotFound)
}

/// The signature of `id`'s customer-facing URL: 128 bits of an HMAC, URL-safe hex.
fn signature(state: &AppState, id: MediaId) -> String {
    state.vault.sign(SIGNING_LABEL, id.to_string().as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a customer without a session sees `id` (an image in an article page): `/h5/media/{id}?sig=…`.
pub fn signed_path(state: &AppState, id: MediaId) -> String {
    format!("/h5/media/{id}?sig={}", signature(state, id))
}

/// An image for a customer, by its signed URL. A wrong signature and an unknown id both answer
/// `NotFound`, so the answer tells nothing of which ids exist; files are never served this way.
pub async fn public_content(state: &AppState, id: MediaId, sig: &str) -> ServiceResult<(MediaRecord, Vec<u8>)> {
    let given: Option<Vec<u8>> = (sig.len() == 32)
        .then(|| (0..16).map(|i| u8::from_str_radix(sig.get(2 * i..2 * i + 2)?, 16).ok()).collect())
        .flatten();
    let ok = given.is_some_and(|g| state.vault.verify(SIGNING_LABEL, id.to_string().as_bytes(), &g));
    if !ok {
        return Err(ServiceError::NotFound);
    }
    match state.store.media_bytes(id).await? {
        Some((rec, bytes)) if rec.kind == MediaKind::Image => Ok((rec, bytes)),
        _ => Err(ServiceError::NotFound),
    }
}

/// Why a medium could not be put on WeCom.
#[derive(Debug, thiserror::Error)]
pub enum WecomMediaError {
    #[error("WeCom is not configured")]
    NotConfigured,
    #[error("no medium {0}")]
    Missing(MediaId),
    /// WeCom takes only JPG and PNG as images.
    #[error("{0} is {1}; WeCom takes only PNG and JPEG images")]
    ImageType(MediaId, String),
    #[error(transparent)]
    Wecom(#[from] siyu_wecom::client::WecomError),
    #[error(transparent)]
    Store(#[from] siyu_store::StoreError),
}

/// The `media_id` WeCom knows `id` by now, for an outbound message: the stored copy while it has
/// more than [`RENEW_WITHIN_SECS`] left, else a fresh upload (recorded before it is returned).
pub async fn wecom_media_id(state: &AppState, id: MediaId) -> Result<String, WecomMediaError> {
    let now = state.clock.now();
    if let Some(c) = state.store.wecom_media(id).await?
        && c.expires_at > now.plus_secs(RENEW_WITHIN_SECS)
    {
        return Ok(c.wecom_media_id);
    }
    Ok(upload_to_wecom(state, id).await?.wecom_media_id)
}

/// Uploads `id` to WeCom as temporary media and records the copy: three days from when WeCom took it
/// (or from siyu's clock, if that is earlier).
pub(crate) async fn upload_to_wecom(state: &AppState, id: MediaId) -> Result<WecomMedia, WecomMediaError> {
    let rt = state.wecom.as_deref().ok_or(WecomMediaError::NotConfigured)?;
    let (rec, bytes) = state.store.media_bytes(id).await?.ok_or(WecomMediaError::Missing(id))?;
    let kind = match rec.kind {
        MediaKind::Image if matches!(rec.content_type.as_str(), "image/png" | "image/jpeg") => WecomType::Image,
        MediaKind::Image => return Err(WecomMediaError::ImageType(id, rec.content_type)),
        MediaKind::File => WecomType::File,
    };
    let up = rt.client.upload_media(kind, &rec.file_name, &rec.content_type, &bytes).await?;
    let now = state.clock.now();
    let taken = siyu_domain::Timestamp::from_millis(up.created_at.saturating_mul(1000)).min(now);
    let copy = WecomMedia {
        media: id,
        wecom_media_id: up.media_id,
        uploaded_at: now,
        expires_at: taken.plus_secs(TEMPORARY_MEDIA_SECS),
    };
    state.store.set_wecom_media(&copy).await?;
    Ok(copy)
}

/// Whether `id` is an image WeCom takes (PNG or JPEG): a library item's picture or a mini-program
/// card's cover.
pub async fn check_cover(state: &AppState, id: MediaId) -> ServiceResult<()> {
    match state.store.media(id).await? {
        Some(m) if matches!(m.content_type.as_str(), "image/png" | "image/jpeg") => Ok(()),
        _ => Err(ServiceError::invalid("bad_cover", Text::new("media.not_an_image"))),
    }
}
