//! Where an opened link leads, and whether links to a version may be issued: the one place the
//! tracked links meet the content library.
//!
//! Only articles (siyu's own page, which reports read time and forwards) and link items (the
//! address outside) are linkable: a tracked link is a WeCom link card, and the other kinds are sent
//! as what they are. A link is issued only for a published, unexpired version (`sendable`). An open
//! leads to the version its token names while that is still live; when the item was updated since
//! (its newer version published) the open leads to the item's current version, so a customer never
//! reads words compliance has withdrawn; when nothing of the item is sendable any more, to a neutral
//! page. The open is recorded against the token's version either way.
//!
//! Every open asks, and a viral Moments post asks thousands of times a second for one version: the
//! answer is kept for [`CACHE_FOR`], which bounds how long a retired version's link still leads on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use siyu_content::{ItemKind, Status};
use siyu_domain::lang::Text;
use siyu_domain::{ContentItemId, ContentVersionId, TagId};
use siyu_store::{ContentItemRecord, ContentVersionRecord};

use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// How long an open's answer for one version is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(30);

/// At most this many versions' answers are kept; past it the cache starts afresh (a few bytes each).
const CACHE_VERSIONS: usize = 10_000;

/// Where the browser goes after an open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// siyu's own mobile page for the version (`GET /h5/articles/{cvr}`).
    Article(ContentVersionId),
    /// A link item's address, outside siyu (https, checked at save).
    Url(String),
    /// Nothing of the item may be shown any more: a neutral page.
    Gone,
}

impl Target {
    /// The address to redirect to, carrying the token to an article page for its read-time and
    /// forward beacons; `None` for [`Target::Gone`].
    pub fn location(&self, token: &str) -> Option<String> {
        match self {
            Self::Article(v) => Some(format!("/h5/articles/{v}?t={token}")),
            Self::Url(u) => Some(u.clone()),
            Self::Gone => None,
        }
    }
}

/// What an open of a version leads to: where the browser goes, and the interest tags it earns a
/// customer named by the link (`super::interest`; none when the link leads nowhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub target: Target,
    pub interests: Vec<TagId>,
}

/// Recent answers of [`resolved`], by version.
#[derive(Debug, Default)]
pub struct TargetCache(pub Mutex<HashMap<ContentVersionId, (Resolved, Instant)>>);

fn live(v: &ContentVersionRecord, now: siyu_domain::Timestamp) -> bool {
    v.status == Status::Published && v.draft.expires_at.is_none_or(|e| e > now)
}

fn linkable(kind: ItemKind) -> bool {
    matches!(kind, ItemKind::Article | ItemKind::Link)
}

fn target_for(item: &ContentItemRecord, v: &ContentVersionRecord) -> Target {
    match item.item.kind {
        ItemKind::Link if v.draft.link_url.starts_with("https://") => Target::Url(v.draft.link_url.clone()),
        ItemKind::Article => Target::Article(v.id),
        _ => Target::Gone,
    }
}

async fn resolve(state: &AppState, version: ContentVersionId) -> Resolved {
    let gone = Resolved { target: Target::Gone, interests: Vec::new() };
    let Ok(v) = state.store.content_version(version).await else { return gone };
    let Ok(item) = state.store.content_item(v.item_id).await else { return gone };
    let now = if live(&v, state.clock.now()) {
        v
    } else {
        match crate::services::content::sendable_version(state, item.id).await {
            Ok(Some(now)) => now,
            _ => return gone,
        }
    };
    let target = target_for(&item, &now);
    if target == Target::Gone {
        return gone;
    }
    let interests = super::interest::tags_for(state, &item, &now).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, %version, "interest tags not found; the open is recorded without them");
        Vec::new()
    });
    Resolved { target, interests }
}

/// Where a version's links lead now and what an open earns (see the module doc).
pub async fn resolved(state: &AppState, version: ContentVersionId) -> Resolved {
    let cache = &state.link_targets.0;
    if let Some((r, at)) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&version)
        && at.elapsed() < CACHE_FOR
    {
        return r.clone();
    }
    let r = resolve(state, version).await;
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= CACHE_VERSIONS {
        map.clear();
    }
    map.insert(version, (r.clone(), Instant::now()));
    r
}

/// The target of a version's links now.
pub async fn target_of(state: &AppState, version: ContentVersionId) -> Target {
    resolved(state, version).await.target
}

/// Whether links to `version` may be issued: an article or a link item, published and unexpired.
/// Returns the version's item.
pub(crate) async fn check_sendable(state: &AppState, version: ContentVersionId) -> ServiceResult<ContentItemId> {
    let v = state.store.content_version(version).await?;
    let item = state.store.content_item(v.item_id).await?;
    if !linkable(item.item.kind) {
        return Err(ServiceError::invalid("not_linkable", Text::new("links.not_linkable")));
    }
    if !live(&v, state.clock.now()) {
        return Err(ServiceError::invalid("not_sendable", Text::new("links.not_sendable")));
    }
    Ok(item.id)
}
