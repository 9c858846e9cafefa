//! Where an opened link leads, and whether a version may be sent at all: the one place the tracked
//! links meet the content items' storage, which is another branch's (i17-items, migration 0022).
//!
//! Left to wire when the items land: [`target_of`] reads the version (its kind and, for a link item,
//! its url — cached, since every open asks) and answers [`Target::Url`] for a link item, the article
//! page for the rest; [`check_sendable`] refuses a version that is not approved, published and
//! unexpired (`siyu_content::sendable`). Until then every version leads to its article page and
//! every version id is taken as sendable.

use siyu_domain::ContentVersionId;

use crate::error::ServiceResult;
use crate::state::AppState;

/// Where the browser goes after an open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// siyu's own mobile page for the version (`GET /h5/articles/{cvr}`).
    Article(ContentVersionId),
    /// A link item's address, outside siyu.
    Url(String),
}

impl Target {
    /// The address to redirect to.
    pub fn location(&self) -> String {
        match self {
            Self::Article(v) => format!("/h5/articles/{v}"),
            Self::Url(u) => u.clone(),
        }
    }
}

/// The target of a version's links (see the module doc for what is left to wire).
pub async fn target_of(_state: &AppState, version: ContentVersionId) -> Target {
    Target::Article(version)
}

/// Whether links to `version` may be issued (see the module doc for what is left to wire).
pub(crate) async fn check_sendable(_state: &AppState, _version: ContentVersionId) -> ServiceResult<()> {
    Ok(())
}
