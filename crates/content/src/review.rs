//! Maker-checker review (banking rule 5): a version goes draft → submitted → approved or rejected →
//! published → retired, and only a published, approved, unexpired version is ever sent.
//!
//! Reviewed words never change: a version that was rejected, approved or published is not edited in
//! place, the app starts a new draft version from it, and until that one is approved and published the
//! old one is still what goes out. The author of a version can never approve or reject it. A blocking
//! lint finding can be approved only with an override reason, which the approval carries so the app
//! writes it to the audit log. A branch's local variant of an HQ item is an item of its own with its
//! own versions, reviewed like any other.
//!
//! Pure: who the actor is and whether they hold the review permission arrive as an [`Actor`] (the app
//! checks the permission; this module refuses an actor without it too), the current lint findings as
//! an argument, time as `now`.

use serde::{Deserialize, Serialize};
use siyu_domain::lang::Text;
use siyu_domain::{ContentItemId, ContentVersionId, OrgUnitId, StaffId, Timestamp};

use crate::lint::Finding;

/// The longest override or rejection reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Approved,
    Rejected,
    Published,
    Retired,
}

impl Status {
    pub const ALL: [Self; 6] =
        [Self::Draft, Self::Submitted, Self::Approved, Self::Rejected, Self::Published, Self::Retired];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Published => "published",
            Self::Retired => "retired",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// `content_status.<code>` in the catalogue.
    pub fn text(self) -> Text {
        Text::new(&format!("content_status.{}", self.code()))
    }
}

/// Who acts: a member of staff, and whether the app found them holding the review permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: StaffId,
    pub reviewer: bool,
}

/// What is done to a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Change the words of a draft (only a draft: see the module's note).
    Edit,
    Submit,
    /// Take a submitted version back to draft before anyone reviewed it.
    Withdraw,
    Approve {
        override_reason: Option<String>,
    },
    Reject {
        reason: String,
    },
    Publish,
    Retire,
}

impl Action {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Submit => "submit",
            Self::Withdraw => "withdraw",
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::Publish => "publish",
            Self::Retire => "retire",
        }
    }

    /// `review_action.<code>` in the catalogue.
    pub fn text(&self) -> Text {
        Text::new(&format!("review_action.{}", self.code()))
    }
}

/// Who approved a version, when, and why despite blocking findings (if there were any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: StaffId,
    pub at: Timestamp,
    pub override_reason: Option<String>,
    /// The blocking findings the override reason was given for ([`Finding::key`]); publishing refuses
    /// any other, so one override never covers a claim nobody weighed.
    pub overridden: Vec<String>,
}

/// Who rejected a version, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub by: StaffId,
    pub at: Timestamp,
    pub reason: String,
}

/// A version's review state. The words themselves are the app's; this is what decides what may
/// happen to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionState {
    pub author: StaffId,
    pub status: Status,
    pub changed_at: Timestamp,
    pub approval: Option<Approval>,
    pub rejection: Option<Rejection>,
    /// After this instant the version is no longer sent (an activity that ended, a rate that changed).
    pub expires_at: Option<Timestamp>,
}

impl VersionState {
    /// A new draft by `author`: the first version of an item, or the next one after a reviewed one
    /// (whoever makes the next version is its author, and so may not review it).
    pub fn draft(author: StaffId, expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        Self { author, status: Status::Draft, changed_at: now, approval: None, rejection: None, expires_at }
    }

    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// Why an action was refused. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the author cannot review their own version")]
    OwnVersion,
    #[error("only a reviewer can review")]
    NotReviewer,
    #[error("only the author can {action}")]
    NotAuthor { action: &'static str },
    #[error("a {status:?} version cannot {action}")]
    WrongState { status: Status, action: &'static str },
    #[error("{count} blocking findings need an override reason")]
    OverrideNeeded { count: usize },
    #[error("a rejection needs a reason")]
    ReasonNeeded,
    #[error("the reason is longer than {max} characters")]
    ReasonTooLong { max: usize },
    #[error("a {status:?} version is edited as a new version")]
    NewVersionNeeded { status: Status },
    #[error("the version is retired")]
    Retired,
    #[error("the version has expired")]
    Expired,
    #[error("{count} blocking findings appeared since approval")]
    FindingsSinceApproval { count: usize },
    #[error("a variant can only be made of an HQ item")]
    VariantOfVariant,
    #[error("the HQ item has no sendable version")]
    VariantOfUnpublished,
}

impl ReviewError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OwnVersion => "own_version",
            Self::NotReviewer => "not_reviewer",
            Self::NotAuthor { .. } => "not_author",
            Self::WrongState { .. } => "wrong_state",
            Self::OverrideNeeded { .. } => "override_needed",
            Self::ReasonNeeded => "reason_needed",
            Self::ReasonTooLong { .. } => "reason_too_long",
            Self::NewVersionNeeded { .. } => "new_version_needed",
            Self::Retired => "retired",
            Self::Expired => "expired",
            Self::FindingsSinceApproval { .. } => "findings_since_approval",
            Self::VariantOfVariant => "variant_of_variant",
            Self::VariantOfUnpublished => "variant_of_unpublished",
        }
    }

    pub fn text(&self) -> Text {
        let action = |a: &str| Text::new(&format!("review_action.{a}"));
        match self {
            Self::OwnVersion => Text::new("review.own_version"),
            Self::NotReviewer => Text::new("review.not_reviewer"),
            Self::NotAuthor { action: a } => Text::new("review.not_author").text("action", action(a)),
            Self::WrongState { status, action: a } => {
                Text::new("review.wrong_state").text("status", status.text()).text("action", action(a))
            }
            Self::OverrideNeeded { count } => Text::new("review.override_needed").arg("count", count),
            Self::ReasonNeeded => Text::new("review.reason_needed"),
            Self::ReasonTooLong { max } => Text::new("review.reason_too_long").arg("max", max),
            Self::NewVersionNeeded { status } => Text::new("review.new_version_needed").text("status", status.text()),
            Self::Retired => Text::new("review.retired"),
            Self::Expired => Text::new("review.expired"),
            Self::FindingsSinceApproval { count } => Text::new("review.findings_since_approval").arg("count", count),
            Self::VariantOfVariant => Text::new("review.variant_of_variant"),
            Self::VariantOfUnpublished => Text::new("review.variant_of_unpublished"),
        }
    }
}

/// A reason as given: trimmed, non-empty, bounded.
fn reason(text: &str) -> Result<String, ReviewError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ReviewError::ReasonNeeded);
    }
    if t.chars().count() > MAX_REASON_CHARS {
        return Err(ReviewError::ReasonTooLong { max: MAX_REASON_CHARS });
    }
    Ok(t.to_owned())
}

/// The state after `actor` does `action` to a version in state `v`, given the lint's findings on its
/// words now (the app lints again at each step: HQ's list may have changed since the save).
pub fn transition(
    v: &VersionState,
    actor: Actor,
    action: &Action,
    findings: &[Finding],
    now: Timestamp,
) -> Result<VersionState, ReviewError> {
    use Status::*;
    if v.status == Retired {
        return Err(ReviewError::Retired);
    }
    let wrong = || ReviewError::WrongState { status: v.status, action: action.code() };
    let author_only =
        || if actor.id == v.author { Ok(()) } else { Err(ReviewError::NotAuthor { action: action.code() }) };
    let reviewer_only = || match (actor.reviewer, actor.id == v.author) {
        (false, _) => Err(ReviewError::NotReviewer),
        (true, true) => Err(ReviewError::OwnVersion),
        (true, false) => Ok(()),
    };
    let blocking = findings.iter().filter(|f| f.blocking).count();
    let mut next = v.clone();
    next.changed_at = now;
    match (action, v.status) {
        (Action::Edit, Draft) => author_only()?,
        (Action::Edit, Rejected | Approved | Published) => {
            return Err(ReviewError::NewVersionNeeded { status: v.status });
        }
        (Action::Submit, Draft) => {
            author_only()?;
            next.status = Submitted;
        }
        (Action::Withdraw, Submitted) => {
            author_only()?;
            next.status = Draft;
        }
        (Action::Approve { override_reason }, Submitted) => {
            reviewer_only()?;
            let given = override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let override_reason = match given {
                Some(r) => Some(reason(r)?),
                None if blocking > 0 => return Err(ReviewError::OverrideNeeded { count: blocking }),
                None => None,
            };
            next.status = Approved;
            let overridden = match override_reason {
                Some(_) => findings.iter().filter(|f| f.blocking).map(Finding::key).collect(),
                None => Vec::new(),
            };
            next.approval = Some(Approval { by: actor.id, at: now, override_reason, overridden });
        }
        (Action::Reject { reason: why }, Submitted) => {
            reviewer_only()?;
            next.status = Rejected;
            next.rejection = Some(Rejection { by: actor.id, at: now, reason: reason(why)? });
        }
        (Action::Publish, Approved) => {
            if v.expired(now) {
                return Err(ReviewError::Expired);
            }
            // A blocking finding the approval did not weigh (HQ's list grew since) needs a review again.
            let weighed: &[String] = v.approval.as_ref().map_or(&[], |a| &a.overridden);
            let unweighed = findings.iter().filter(|f| f.blocking && !weighed.contains(&f.key())).count();
            if unweighed > 0 {
                return Err(ReviewError::FindingsSinceApproval { count: unweighed });
            }
            next.status = Published;
        }
        (Action::Retire, _) => next.status = Retired,
        _ => return Err(wrong()),
    }
    Ok(next)
}

/// A version of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub id: ContentVersionId,
    pub state: VersionState,
}

/// Whether an item is HQ's own or a branch's local variant of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "origin")]
pub enum Origin {
    Hq,
    /// A branch's copy with its own sub-branch and managers: its own item, reviewed on its own, so an
    /// HQ approval never covers words the branch changed.
    BranchVariant {
        of: ContentItemId,
        unit: OrgUnitId,
    },
}

/// An item with its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub origin: Origin,
    pub versions: Vec<Version>,
}

/// The version a send of `item` uses at `now`: the newest one published (so approved) and not
/// expired — never a draft or a version under review, whatever was edited since. `None`: nothing of
/// the item may be sent, by anyone or anything.
pub fn sendable(item: &Item, now: Timestamp) -> Option<&Version> {
    item.versions.iter().rev().find(|v| v.state.status == Status::Published && !v.state.expired(now))
}

/// Whether a branch may make a local variant of `hq` now: only of an HQ item (a variant of a variant
/// would let words drift two steps from what HQ approved) that has a sendable version to start from.
pub fn variant_of(hq: &Item, now: Timestamp) -> Result<(), ReviewError> {
    if hq.origin != Origin::Hq {
        return Err(ReviewError::VariantOfVariant);
    }
    sendable(hq, now).map(|_| ()).ok_or(ReviewError::VariantOfUnpublished)
}

#[cfg(test)]
mod tests;
