//! Maker-checker review of content versions as a service (issue 17, banking rule 5): submit,
//! withdraw, approve, reject, publish, retire, and the reviewer's queue.
//!
//! Each step asks `siyu-content`'s state machine with the lint's findings as they are now (HQ's list
//! and the products may have changed since the save), then has the store move the version only from
//! the status it was read in, with its audit entry in the same transaction: of two reviewers acting
//! at once one wins and the other is told the version moved on. A linked product without a risk
//! grade stops a submit or an approval outright (`product_ungraded`): no override reason makes an
//! ungraded product suitable for anyone (rule 1), the catalogue must be fixed first.

use serde::Serialize;
use siyu_content::review::{Approval, Rejection};
use siyu_content::{Action, Actor, Category, ItemKind, Status, VersionState};
use siyu_domain::ContentVersionId;
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_store::{ContentVersionRecord, Page, Paged, ReviewStep, StoreError};

use super::audit;
use super::content::{VersionView, findings, may_author, staff_id, version_view};
use super::content_lint::{LintFinding, lint_view};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// The review state `siyu-content` decides on, read from a stored version.
pub(crate) fn state_of(v: &ContentVersionRecord) -> VersionState {
    let reviewed = v.reviewer.zip(v.reviewed_at);
    let approval = match (v.status, reviewed, &v.reject_reason) {
        (Status::Approved | Status::Published | Status::Retired, Some((by, at)), None) => Some(Approval {
            by,
            at,
            override_reason: v.override_reason.clone(),
            overridden: v.override_findings.clone(),
        }),
        _ => None,
    };
    let rejection = match (v.status, reviewed, &v.reject_reason) {
        (Status::Rejected, Some((by, at)), Some(reason)) => Some(Rejection { by, at, reason: reason.clone() }),
        _ => None,
    };
    VersionState {
        author: v.author,
        status: v.status,
        changed_at: v.changed_at,
        approval,
        rejection,
        expires_at: v.draft.expires_at,
    }
}

/// A store's `Stale` as people read it: someone else acted on the version first.
pub(crate) fn raced(e: StoreError) -> ServiceError {
    match e {
        StoreError::Stale(_) => ServiceError::conflict(Text::new("library.moved_on")),
        e => e.into(),
    }
}

/// A version after a step, with what the lint finds in it now.
#[derive(Debug, Clone)]
pub struct Stepped {
    pub version: VersionView,
    pub findings: Vec<LintFinding>,
}

fn audit_action(a: &Action) -> AuditAction {
    match a {
        Action::Edit => AuditAction::ContentDraftSaved,
        Action::Submit => AuditAction::ContentSubmitted,
        Action::Withdraw => AuditAction::ContentWithdrawn,
        Action::Approve { .. } => AuditAction::ContentApproved,
        Action::Reject { .. } => AuditAction::ContentRejected,
        Action::Publish => AuditAction::ContentPublished,
        Action::Retire => AuditAction::ContentRetired,
    }
}

/// What a reviewer read before deciding: the version's revision, and the blocking findings the page
/// showed (`rule@start-end`), which an override reason is given for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub revision: i64,
    pub blocking: Vec<String>,
}

/// Does `action` to version `id` as `caller`. An approval or rejection names the version's
/// `revision` as the reviewer read it (`seen`): if the author withdrew, edited and resubmitted it
/// since, the reviewer is told so and nothing is decided on words they have not read.
pub async fn step(
    state: &AppState,
    caller: &Caller,
    id: ContentVersionId,
    action: Action,
    seen: Option<Seen>,
) -> ServiceResult<Stepped> {
    let reviewer = caller.actor.can(Permission::ReviewContent);
    let author = caller.actor.can(Permission::AuthorContent);
    match action {
        Action::Approve { .. } | Action::Reject { .. } => caller.require(Permission::ReviewContent)?,
        Action::Publish | Action::Retire if reviewer => {}
        _ => caller.require(Permission::AuthorContent)?,
    }
    let me = staff_id(caller)?;
    let v = state.store.content_version(id).await?;
    let item = state.store.content_item(v.item_id).await?;
    // An author works within their own units; compliance reviews the whole library.
    let may = reviewer || (author && may_author(state, caller, item.item.owner_unit).await?);
    if !may {
        return Err(ServiceError::NotFound);
    }
    if matches!(action, Action::Approve { .. } | Action::Reject { .. }) {
        match &seen {
            None => return Err(ServiceError::invalid("seen_needed", Text::new("library.seen_needed"))),
            Some(s) if s.revision != v.revision => {
                return Err(ServiceError::conflict(Text::new("library.changed_since_read")));
            }
            Some(_) => {}
        }
    }
    let found = findings(state, item.item.kind, item.item.category, &v.draft).await?;
    // An override is given for the blocking findings the reviewer was shown, and only those: when HQ's
    // list or a linked product changed since the page was read, the findings are not the ones weighed.
    if let (Action::Approve { override_reason: Some(why) }, Some(s)) = (&action, &seen)
        && !why.trim().is_empty()
    {
        let mut now: Vec<String> = found.iter().filter(|f| f.blocking).map(siyu_content::Finding::key).collect();
        let mut shown = s.blocking.clone();
        now.sort();
        shown.sort();
        shown.dedup();
        if now != shown {
            return Err(ServiceError::conflict(Text::new("library.findings_changed")));
        }
    }
    if matches!(action, Action::Submit | Action::Approve { .. })
        && let Some(f) = found.iter().find(|f| f.rule == siyu_content::Rule::ProductUngraded)
    {
        return Err(ServiceError::invalid("product_ungraded", f.message.clone()));
    }
    let now = state.clock.now();
    let next = siyu_content::transition(&state_of(&v), Actor { id: me, reviewer }, &action, &found, now)
        .map_err(|e| ServiceError::invalid(e.code(), e.text()))?;
    let (reject_reason, override_reason) = match (&next.rejection, &next.approval) {
        (Some(r), _) if next.status == Status::Rejected => (Some(r.reason.clone()), None),
        (_, Some(a)) if next.status == Status::Approved => (None, a.override_reason.clone()),
        _ => (v.reject_reason.clone(), v.override_reason.clone()),
    };
    let detail = match (&action, &override_reason, &reject_reason) {
        (Action::Approve { .. }, Some(why), _) => {
            let rules: Vec<&str> = found.iter().filter(|f| f.blocking).map(|f| f.rule.code()).collect();
            format!("v{} override ({} blocking: {}): {why}", v.number, rules.len(), rules.join(", "))
        }
        (Action::Reject { .. }, _, Some(why)) => format!("v{}: {why}", v.number),
        _ => format!("v{}: {}", v.number, v.draft.title.chars().take(60).collect::<String>()),
    };
    let entry = audit::entry(state, caller, audit_action(&action), &id.to_string(), &detail);
    let override_findings = match &next.approval {
        Some(a) if next.status == Status::Approved => a.overridden.clone(),
        _ => v.override_findings.clone(),
    };
    let step = ReviewStep {
        from: v.status,
        to: next.status,
        by: me,
        at: now,
        reject_reason,
        override_reason,
        override_findings,
        seen: Some(v.revision),
    };
    let saved = state.store.step_content_version(id, &step, &entry).await.map_err(raced)?;
    Ok(Stepped { version: version_view(&saved), findings: lint_view(&found) })
}

/// A version waiting for review, with what the lint finds in it now.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ItemKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    /// How many findings block approval without an override reason.
    pub blocking: usize,
    pub findings: usize,
    pub version: VersionView,
}

/// The submitted versions, the longest waiting first.
pub async fn queue(state: &AppState, caller: &Caller, page: Page) -> ServiceResult<Paged<QueueRow>> {
    caller.require(Permission::ReviewContent)?;
    let rows = state.store.content_review_queue(page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for v in &rows.items {
        let item = state.store.content_item(v.item_id).await?;
        let f = lint_view(&findings(state, item.item.kind, item.item.category, &v.draft).await?);
        items.push(QueueRow {
            kind: item.item.kind,
            category: item.item.category,
            blocking: f.iter().filter(|f| f.blocking).count(),
            findings: f.len(),
            version: version_view(v),
        });
    }
    Ok(Paged { items, total: rows.total })
}

/// What a reviewer weighs: the version, what the lint finds in it, and the item's last approved
/// version before it (to diff against; `None` for a first version).
#[derive(Debug, Clone)]
pub struct ReviewDetail {
    pub kind: ItemKind,
    pub category: Category,
    pub version: VersionView,
    pub findings: Vec<LintFinding>,
    pub previous: Option<VersionView>,
    /// The linked products as a reviewer reads them (`名称 R3`), of this version and the previous one.
    pub products: (Vec<String>, Vec<String>),
}

/// Linked products by name and risk grade, as the catalogue has them now.
async fn product_names(state: &AppState, v: Option<&VersionView>) -> ServiceResult<Vec<String>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let found = super::content::products_of(state, &v.draft.product_ids).await?;
    Ok(found
        .into_iter()
        .map(|(id, p)| match p.risk_grade {
            Some(g) => format!("{} R{} ({id})", p.name, g.get()),
            None => format!("{} ({id})", p.name),
        })
        .collect())
}

pub async fn detail(state: &AppState, caller: &Caller, id: ContentVersionId) -> ServiceResult<ReviewDetail> {
    caller.require(Permission::ReadContent)?;
    let v = state.store.content_version(id).await?;
    let item = state.store.content_item(v.item_id).await?;
    let versions = state.store.content_versions(v.item_id).await?;
    let previous = versions
        .iter()
        .filter(|p| p.number < v.number && state_of(p).approval.is_some())
        .max_by_key(|p| p.number)
        .map(version_view);
    let found = lint_view(&findings(state, item.item.kind, item.item.category, &v.draft).await?);
    let version = version_view(&v);
    let products = (product_names(state, Some(&version)).await?, product_names(state, previous.as_ref()).await?);
    Ok(ReviewDetail {
        kind: item.item.kind,
        category: item.item.category,
        version,
        findings: found,
        previous,
        products,
    })
}
