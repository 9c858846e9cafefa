//! The content library's records as the store keeps them (issue 17): items, versions with their
//! review fields, and the one review step a store applies with compare-and-set.

use siyu_content::{AidaStage, Category, Channel, ItemKind, Status};
use siyu_domain::{ContentItemId, ContentVersionId, OrgUnitId, ProductId, StaffId, Timestamp};

/// An item as it is created: what it is and who owns it. Kind and category never change (a
/// different kind is a different item); the words live in versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContentItem {
    pub kind: ItemKind,
    pub category: Category,
    /// `None`: HQ's own item. A branch's local variant names the unit that owns it.
    pub owner_unit: Option<OrgUnitId>,
    /// The HQ item a local variant was made of.
    pub variant_of: Option<ContentItemId>,
    pub created_by: Option<StaffId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentItemRecord {
    pub id: ContentItemId,
    pub item: NewContentItem,
    pub created_at: Timestamp,
}

/// The words of a version and everything a send needs besides them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContentDraft {
    pub title: String,
    /// The text, or an article's HTML as sanitised at save.
    pub body: String,
    pub link_url: String,
    pub link_desc: String,
    pub mini_appid: String,
    pub mini_page: String,
    /// An upload of the media table (another change's migration 0023): a plain number until then.
    pub media_id: Option<i64>,
    pub stage: Option<AidaStage>,
    pub channels: Vec<Channel>,
    pub expires_at: Option<Timestamp>,
    pub product_ids: Vec<ProductId>,
}

/// A version with where its review stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentVersionRecord {
    pub id: ContentVersionId,
    pub item_id: ContentItemId,
    /// 1, 2, … within the item.
    pub number: i64,
    pub draft: ContentDraft,
    pub status: Status,
    pub author: StaffId,
    pub created_at: Timestamp,
    pub changed_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub reviewer: Option<StaffId>,
    pub reviewed_at: Option<Timestamp>,
    pub reject_reason: Option<String>,
    pub override_reason: Option<String>,
    /// The blocking findings the override reason covered (`rule@start-end`), see migration 0025.
    pub override_findings: Vec<String>,
    pub published_at: Option<Timestamp>,
    pub retired_at: Option<Timestamp>,
    /// Counts every write to the version: what a reviewer names as the submission they read.
    pub revision: i64,
}

/// One step of the review, applied only if the version is still `from` (two reviewers racing: the
/// second finds it moved on and gets `StoreError::Stale`) and, with `seen`, is still at that revision
/// (a reviewer approves the words they read, not ones withdrawn, edited and resubmitted since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStep {
    pub from: Status,
    pub to: Status,
    pub by: StaffId,
    pub at: Timestamp,
    pub reject_reason: Option<String>,
    pub override_reason: Option<String>,
    /// On approval: the blocking findings the override reason covers.
    pub override_findings: Vec<String>,
    /// The version's `revision` as the step was decided on.
    pub seen: Option<i64>,
}

impl ReviewStep {
    /// A step with no reasons, decided on the version as it is whenever it runs.
    pub fn new(from: Status, to: Status, by: StaffId, at: Timestamp) -> Self {
        Self { from, to, by, at, reject_reason: None, override_reason: None, override_findings: Vec::new(), seen: None }
    }
}

/// What the library list is narrowed to; the version filters apply to each item's newest version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentFilter {
    pub kind: Option<ItemKind>,
    pub category: Option<Category>,
    pub stage: Option<AidaStage>,
    pub channel: Option<Channel>,
    pub status: Option<Status>,
    /// Words of the newest version's title or body.
    pub query: Option<String>,
    /// Only items with a version that may be sent at this instant (published, unexpired), each row
    /// then showing that version and the version filters reading it, whatever the newest one is doing.
    pub sendable_at: Option<Timestamp>,
    /// Only items whose version links this product.
    pub product: Option<ProductId>,
}

/// A row of the library: the item and its newest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentItemRow {
    pub item: ContentItemRecord,
    pub latest: ContentVersionRecord,
}
