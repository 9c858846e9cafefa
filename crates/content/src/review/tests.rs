//! Every transition of the review and every refusal.

use siyu_domain::lang::{Lang, MISSING};

use super::*;
use crate::lint::Rule;

const AUTHOR: Actor = Actor { id: StaffId::new(1), reviewer: false };
/// A reviewer who wrote the version: still its author.
const AUTHOR_REVIEWER: Actor = Actor { id: StaffId::new(1), reviewer: true };
const REVIEWER: Actor = Actor { id: StaffId::new(2), reviewer: true };
const OTHER: Actor = Actor { id: StaffId::new(3), reviewer: false };

fn t(s: i64) -> Timestamp {
    Timestamp::from_millis(s * 1000)
}

fn blocking() -> Vec<Finding> {
    vec![Finding {
        rule: Rule::GuaranteedReturn,
        start: 0,
        end: 2,
        message: Text::new("lint.guaranteed"),
        blocking: true,
    }]
}

fn warning() -> Vec<Finding> {
    vec![Finding {
        rule: Rule::YieldFigure,
        start: 0,
        end: 2,
        message: Text::new("lint.yield_figure"),
        blocking: false,
    }]
}

fn draft() -> VersionState {
    VersionState::draft(AUTHOR.id, None, t(0))
}

fn step(v: &VersionState, who: Actor, a: Action) -> Result<VersionState, ReviewError> {
    transition(v, who, &a, &[], t(10))
}

fn approve(reason: Option<&str>) -> Action {
    Action::Approve { override_reason: reason.map(str::to_owned) }
}

fn submitted() -> VersionState {
    step(&draft(), AUTHOR, Action::Submit).unwrap()
}

fn approved() -> VersionState {
    step(&submitted(), REVIEWER, approve(None)).unwrap()
}

#[test]
fn the_happy_path_records_who_and_when() {
    let v = submitted();
    assert_eq!((v.status, v.changed_at), (Status::Submitted, t(10)));
    let v = approved();
    assert_eq!(v.approval, Some(Approval { by: REVIEWER.id, at: t(10), override_reason: None, overridden: vec![] }));
    let v = step(&v, OTHER, Action::Publish).unwrap();
    assert_eq!(v.status, Status::Published);
    assert!(v.approval.is_some(), "a published version keeps its approval");
    assert_eq!(step(&v, OTHER, Action::Retire).unwrap().status, Status::Retired);
}

#[test]
fn the_author_can_never_review_their_own_version() {
    let v = submitted();
    assert_eq!(step(&v, AUTHOR_REVIEWER, approve(None)), Err(ReviewError::OwnVersion));
    assert_eq!(step(&v, AUTHOR_REVIEWER, approve(Some("急用"))), Err(ReviewError::OwnVersion));
    let reject = Action::Reject { reason: "自己驳回".into() };
    assert_eq!(step(&v, AUTHOR_REVIEWER, reject), Err(ReviewError::OwnVersion));
}

#[test]
fn only_reviewers_review_and_only_the_author_edits_submits_and_withdraws() {
    let v = submitted();
    assert_eq!(step(&v, OTHER, approve(None)), Err(ReviewError::NotReviewer));
    assert_eq!(step(&v, OTHER, Action::Reject { reason: "x".into() }), Err(ReviewError::NotReviewer));
    assert_eq!(step(&draft(), OTHER, Action::Edit), Err(ReviewError::NotAuthor { action: "edit" }));
    assert_eq!(step(&draft(), REVIEWER, Action::Submit), Err(ReviewError::NotAuthor { action: "submit" }));
    assert_eq!(step(&v, REVIEWER, Action::Withdraw), Err(ReviewError::NotAuthor { action: "withdraw" }));
    assert_eq!(step(&v, AUTHOR, Action::Withdraw).unwrap().status, Status::Draft);
    assert_eq!(step(&draft(), AUTHOR, Action::Edit).unwrap().status, Status::Draft);
}

#[test]
fn a_blocking_finding_is_approved_only_with_an_override_reason_which_is_kept() {
    let v = submitted();
    let a = |r| transition(&v, REVIEWER, &approve(r), &blocking(), t(10));
    assert_eq!(a(None), Err(ReviewError::OverrideNeeded { count: 1 }));
    assert_eq!(a(Some("   ")), Err(ReviewError::OverrideNeeded { count: 1 }));
    let long = "理".repeat(MAX_REASON_CHARS + 1);
    assert_eq!(a(Some(&long)), Err(ReviewError::ReasonTooLong { max: MAX_REASON_CHARS }));
    let ok = a(Some(" 法务已确认为历史业绩 ")).unwrap();
    assert_eq!(ok.approval.unwrap().override_reason.as_deref(), Some("法务已确认为历史业绩"));
    // A warning needs nothing.
    assert!(transition(&v, REVIEWER, &approve(None), &warning(), t(10)).is_ok());
}

#[test]
fn a_rejection_needs_a_reason() {
    let v = submitted();
    assert_eq!(step(&v, REVIEWER, Action::Reject { reason: " ".into() }), Err(ReviewError::ReasonNeeded));
    let r = step(&v, REVIEWER, Action::Reject { reason: "含保本表述".into() }).unwrap();
    assert_eq!(r.status, Status::Rejected);
    assert_eq!(r.rejection.unwrap().reason, "含保本表述");
}

#[test]
fn reviewed_versions_are_never_edited_in_place() {
    let rejected = step(&submitted(), REVIEWER, Action::Reject { reason: "改".into() }).unwrap();
    let published = step(&approved(), OTHER, Action::Publish).unwrap();
    for v in [rejected, approved(), published] {
        assert_eq!(step(&v, AUTHOR, Action::Edit), Err(ReviewError::NewVersionNeeded { status: v.status }));
    }
    assert_eq!(
        step(&submitted(), AUTHOR, Action::Edit),
        Err(ReviewError::WrongState { status: Status::Submitted, action: "edit" })
    );
}

#[test]
fn nothing_is_published_without_approval_and_nothing_follows_retirement() {
    for v in [draft(), submitted()] {
        assert!(matches!(step(&v, REVIEWER, Action::Publish), Err(ReviewError::WrongState { .. })));
    }
    let retired = step(&approved(), OTHER, Action::Retire).unwrap();
    for a in [Action::Edit, Action::Submit, Action::Publish, Action::Retire, approve(Some("x"))] {
        assert_eq!(step(&retired, REVIEWER, a), Err(ReviewError::Retired));
    }
}

#[test]
fn publishing_checks_expiry_and_findings_that_appeared_since_approval() {
    let mut v = approved();
    assert_eq!(
        transition(&v, OTHER, &Action::Publish, &blocking(), t(10)),
        Err(ReviewError::FindingsSinceApproval { count: 1 })
    );
    let overridden = transition(&submitted(), REVIEWER, &approve(Some("已评估")), &blocking(), t(10)).unwrap();
    assert!(transition(&overridden, OTHER, &Action::Publish, &blocking(), t(10)).is_ok());
    // The override covered the claim the reviewer saw, not one HQ's list finds later.
    let mut grown = blocking();
    grown.push(Finding { start: 5, end: 7, ..blocking()[0].clone() });
    assert_eq!(
        transition(&overridden, OTHER, &Action::Publish, &grown, t(10)),
        Err(ReviewError::FindingsSinceApproval { count: 1 })
    );
    v.expires_at = Some(t(10));
    assert_eq!(step(&v, OTHER, Action::Publish), Err(ReviewError::Expired));
}

fn version(id: i64, state: VersionState) -> Version {
    Version { id: ContentVersionId::new(id), state }
}

#[test]
fn a_send_uses_the_newest_published_unexpired_version_never_a_newer_draft() {
    let published = step(&approved(), OTHER, Action::Publish).unwrap();
    let mut item = Item { origin: Origin::Hq, versions: vec![version(1, published.clone())] };
    assert_eq!(sendable(&item, t(20)).map(|v| v.id), Some(ContentVersionId::new(1)));
    // Editing makes a new draft; the published one is still what is sent.
    item.versions.push(version(2, VersionState::draft(OTHER.id, None, t(30))));
    assert_eq!(sendable(&item, t(40)).map(|v| v.id), Some(ContentVersionId::new(1)));
    item.versions.push(version(3, published.clone()));
    assert_eq!(sendable(&item, t(40)).map(|v| v.id), Some(ContentVersionId::new(3)));
    let expiring = VersionState { expires_at: Some(t(50)), ..published };
    let item = Item { origin: Origin::Hq, versions: vec![version(4, expiring)] };
    assert!(sendable(&item, t(49)).is_some());
    assert!(sendable(&item, t(50)).is_none(), "expired at its instant");
    let approved_only = Item { origin: Origin::Hq, versions: vec![version(5, approved())] };
    assert!(sendable(&approved_only, t(20)).is_none(), "approved but not published");
}

#[test]
fn a_branch_variant_is_made_of_a_sendable_hq_item_only() {
    let published = step(&approved(), OTHER, Action::Publish).unwrap();
    let hq = Item { origin: Origin::Hq, versions: vec![version(1, published.clone())] };
    assert_eq!(variant_of(&hq, t(20)), Ok(()));
    let unpublished = Item { origin: Origin::Hq, versions: vec![version(2, submitted())] };
    assert_eq!(variant_of(&unpublished, t(20)), Err(ReviewError::VariantOfUnpublished));
    let variant = Item {
        origin: Origin::BranchVariant { of: ContentItemId::new(1), unit: OrgUnitId::new(7) },
        versions: vec![version(3, published)],
    };
    assert_eq!(variant_of(&variant, t(20)), Err(ReviewError::VariantOfVariant));
}

#[test]
fn every_refusal_has_a_code_and_words_in_both_languages() {
    let all = [
        ReviewError::OwnVersion,
        ReviewError::NotReviewer,
        ReviewError::NotAuthor { action: "submit" },
        ReviewError::WrongState { status: Status::Draft, action: "publish" },
        ReviewError::OverrideNeeded { count: 2 },
        ReviewError::ReasonNeeded,
        ReviewError::ReasonTooLong { max: 500 },
        ReviewError::NewVersionNeeded { status: Status::Published },
        ReviewError::Retired,
        ReviewError::Expired,
        ReviewError::FindingsSinceApproval { count: 1 },
        ReviewError::VariantOfVariant,
        ReviewError::VariantOfUnpublished,
    ];
    let mut codes: Vec<_> = all.iter().map(ReviewError::code).collect();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    for e in &all {
        for lang in Lang::ALL {
            let words = e.text().render(lang);
            assert!(!words.contains(MISSING) && !words.contains('{'), "{e:?}: {words}");
        }
    }
    assert_eq!(
        ReviewError::WrongState { status: Status::Draft, action: "publish" }.text().render(Lang::Zh),
        "版本状态为“草稿”，不能发布"
    );
    for s in Status::ALL {
        assert_eq!(Status::parse(s.code()), Some(s));
    }
}
