//! Conformance checks for the content library: items and numbered versions with their products, a
//! draft edited only while it is a draft, review steps as compare-and-set with their audit entries,
//! one published version per item, and the library's filters.

use std::sync::Arc;

use siyu_content::{AidaStage, Category, Channel, ItemKind, Status};
use siyu_domain::StaffId;
use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::product::ProductType;

use super::{T0, seed_bank};
use crate::*;

fn audit(action: AuditAction, target: &str) -> NewAuditEntry {
    NewAuditEntry {
        at: T0,
        staff_id: None,
        actor: "t".into(),
        action,
        target: target.into(),
        detail: "d".into(),
        ip: None,
    }
}

fn draft(title: &str, body: &str) -> ContentDraft {
    ContentDraft {
        title: title.into(),
        body: body.into(),
        stage: Some(AidaStage::Interest),
        channels: vec![Channel::OneToOne, Channel::Moments],
        ..ContentDraft::default()
    }
}

fn step(from: Status, to: Status, by: StaffId) -> ReviewStep {
    ReviewStep::new(from, to, by, T0.plus_secs(10))
}

async fn audited(s: &dyn Store, action: AuditAction) -> i64 {
    s.search_audit(&AuditFilter { action: Some(action), ..Default::default() }, Page::first(50)).await.unwrap().total
}

/// Versions are numbered within their item and keep their products; a draft is edited in place, a
/// submitted one is not (`Stale`, nothing written); a step from a status the version has left is
/// `Stale` and writes no audit entry, so of two reviewers racing only one acts.
pub async fn content_review_steps_are_compare_and_set_with_their_audit_entry(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let wm = NewProduct {
        code: "WM1".into(),
        name: "理财".into(),
        kind: ProductType::Wealth,
        risk_grade: None,
        issuer: String::new(),
        on_sale: true,
    };
    let audit_p = audit(AuditAction::ProductsImported, "products");
    s.upsert_products(&[wm], None, T0, &audit_p).await.unwrap();
    let pid = s.products(&ProductFilter::default(), Page::first(5)).await.unwrap().items[0].id;

    let item = NewContentItem {
        kind: ItemKind::Text,
        category: Category::FinanceTips,
        owner_unit: None,
        variant_of: None,
        created_by: Some(b.manager.id),
    };
    let mut d = draft("稳健理财", "理财小知识");
    d.product_ids = vec![pid, pid];
    let (it, v1) = s
        .create_content_item(&item, &d, b.manager.id, T0, &audit(AuditAction::ContentDraftSaved, "cnt"))
        .await
        .unwrap();
    assert_eq!(it.item, item);
    assert_eq!((v1.number, v1.status, v1.author), (1, Status::Draft, b.manager.id));
    assert_eq!(v1.draft.product_ids, vec![pid], "a product named twice is linked once");
    assert_eq!(v1.draft.channels, vec![Channel::OneToOne, Channel::Moments]);

    let mut d2 = draft("稳健理财", "理财小知识（修订）");
    d2.expires_at = Some(T0.plus_secs(3600));
    let e =
        s.edit_content_draft(v1.id, &d2, T0.plus_secs(1), &audit(AuditAction::ContentDraftSaved, "c")).await.unwrap();
    assert_eq!(e.draft.body, "理财小知识（修订）");
    assert!(e.draft.product_ids.is_empty(), "the products are replaced with the draft's");
    assert_eq!(e.draft.expires_at, Some(T0.plus_secs(3600)));

    let sub = s
        .step_content_version(
            v1.id,
            &step(Status::Draft, Status::Submitted, b.manager.id),
            &audit(AuditAction::ContentSubmitted, "c"),
        )
        .await
        .unwrap();
    assert_eq!(sub.status, Status::Submitted);
    assert!(sub.submitted_at.is_some());
    assert_eq!(s.content_review_queue(Page::first(10)).await.unwrap().total, 1);

    let before = audited(&*s, AuditAction::ContentDraftSaved).await;
    let err = s
        .edit_content_draft(v1.id, &d, T0.plus_secs(2), &audit(AuditAction::ContentDraftSaved, "c"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Stale(_)), "{err:?}");
    assert_eq!(audited(&*s, AuditAction::ContentDraftSaved).await, before, "a refused edit writes no audit entry");
    assert_eq!(s.content_version(v1.id).await.unwrap().draft.body, "理财小知识（修订）");

    // A reviewer who read the version before it last changed acts on nothing.
    let mut late = step(Status::Submitted, Status::Approved, b.cm1.id);
    late.seen = Some(s.content_version(v1.id).await.unwrap().revision - 1);
    let err = s.step_content_version(v1.id, &late, &audit(AuditAction::ContentApproved, "c")).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale(_)), "{err:?}");
    assert_eq!(s.content_version(v1.id).await.unwrap().status, Status::Submitted);

    // Two reviewers racing: both read `submitted`; one approves, the other's reject is stale.
    let mut approve = step(Status::Submitted, Status::Approved, b.cm1.id);
    approve.override_reason = Some("已核实".into());
    approve.override_findings = vec!["claim_guarantee@0-2".into(), "claim_yield@5-9".into()];
    approve.seen = Some(s.content_version(v1.id).await.unwrap().revision);
    let mut reject = step(Status::Submitted, Status::Rejected, b.cm2.id);
    reject.reject_reason = Some("不行".into());
    let (audit_a, audit_r) = (audit(AuditAction::ContentApproved, "c"), audit(AuditAction::ContentRejected, "c"));
    let a = s.step_content_version(v1.id, &approve, &audit_a);
    let r = s.step_content_version(v1.id, &reject, &audit_r);
    let (a, r) = tokio::join!(a, r);
    assert!(a.is_ok() != r.is_ok(), "exactly one reviewer acts: {a:?} {r:?}");
    let lost = match (a, r) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("exactly one reviewer acts: {other:?}"),
    };
    assert!(matches!(lost, StoreError::Stale(_)), "{lost:?}");
    let acted = audited(&*s, AuditAction::ContentApproved).await + audited(&*s, AuditAction::ContentRejected).await;
    assert_eq!(acted, 1, "only the winner's audit entry is written");
    let after = s.content_version(v1.id).await.unwrap();
    assert!(after.reviewer.is_some() && after.reviewed_at.is_some());
    if after.status == Status::Approved {
        assert_eq!(after.override_reason.as_deref(), Some("已核实"));
        assert_eq!(after.override_findings, ["claim_guarantee@0-2", "claim_yield@5-9"]);
    } else {
        assert_eq!(after.reject_reason.as_deref(), Some("不行"));
    }
    assert_eq!(s.content_review_queue(Page::first(10)).await.unwrap().total, 0);

    let missing = s
        .step_content_version(
            siyu_domain::ContentVersionId::new(9999),
            &approve,
            &audit(AuditAction::ContentApproved, "c"),
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound), "{missing:?}");
}

/// Publishing a version retires the one published before, in the same step; the next version is
/// numbered past the newest; the library lists each item once, by its newest version, and filters.
pub async fn one_version_per_item_is_published_and_the_library_filters(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let by = b.manager.id;
    let item = NewContentItem {
        kind: ItemKind::Article,
        category: Category::Case,
        owner_unit: Some(b.branch),
        variant_of: None,
        created_by: Some(by),
    };
    let a = |x| audit(x, "c");
    let (it, v1) = s
        .create_content_item(&item, &draft("案例一", "<p>正文</p>"), by, T0, &a(AuditAction::ContentDraftSaved))
        .await
        .unwrap();
    for (from, to) in [
        (Status::Draft, Status::Submitted),
        (Status::Submitted, Status::Approved),
        (Status::Approved, Status::Published),
    ] {
        s.step_content_version(v1.id, &step(from, to, b.cm1.id), &a(AuditAction::ContentPublished)).await.unwrap();
    }
    let v2 = s
        .add_content_version(it.id, &draft("案例一", "<p>新正文</p>"), b.cm2.id, T0, &a(AuditAction::ContentDraftSaved))
        .await
        .unwrap();
    assert_eq!((v2.number, v2.status, v2.author), (2, Status::Draft, b.cm2.id));
    let vs = s.content_versions(it.id).await.unwrap();
    assert_eq!(vs.iter().map(|v| v.status).collect::<Vec<_>>(), [Status::Published, Status::Draft]);
    for (from, to) in [
        (Status::Draft, Status::Submitted),
        (Status::Submitted, Status::Approved),
        (Status::Approved, Status::Published),
    ] {
        s.step_content_version(v2.id, &step(from, to, by), &a(AuditAction::ContentPublished)).await.unwrap();
    }
    let vs = s.content_versions(it.id).await.unwrap();
    assert_eq!(vs.iter().map(|v| v.status).collect::<Vec<_>>(), [Status::Retired, Status::Published]);
    assert!(vs[0].retired_at.is_some());

    let other = NewContentItem {
        kind: ItemKind::Text,
        category: Category::Persona,
        owner_unit: None,
        variant_of: None,
        created_by: None,
    };
    let mut d = draft("人设", "我是王经理");
    d.channels = vec![Channel::Group];
    d.stage = None;
    s.create_content_item(&other, &d, by, T0.plus_secs(5), &a(AuditAction::ContentDraftSaved)).await.unwrap();

    let list = |f: ContentFilter| {
        let s = s.clone();
        async move { s.content_items(&f, Page::first(10)).await.unwrap() }
    };
    let all = list(ContentFilter::default()).await;
    assert_eq!(all.total, 2, "one row per item");
    let row = all.items.iter().find(|r| r.item.id == it.id).unwrap();
    assert_eq!(row.latest.number, 2, "the newest version");
    assert_eq!(list(ContentFilter { kind: Some(ItemKind::Article), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { category: Some(Category::Persona), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { channel: Some(Channel::Group), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { channel: Some(Channel::Moments), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { stage: Some(AidaStage::Interest), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { status: Some(Status::Published), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { status: Some(Status::Draft), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { query: Some("王经理".into()), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { query: Some("新正文".into()), ..Default::default() }).await.total, 1);
    assert_eq!(list(ContentFilter { query: Some("没有".into()), ..Default::default() }).await.total, 0);
    let paged = s.content_items(&ContentFilter::default(), Page { offset: 1, limit: 1 }).await.unwrap();
    assert_eq!((paged.total, paged.items.len()), (2, 1));
    assert!(matches!(s.content_item(siyu_domain::ContentItemId::new(999)).await, Err(StoreError::NotFound)));

    // What may be sent: the published version of each item, even with a newer draft, searched as it is.
    s.add_content_version(it.id, &draft("案例一", "<p>草稿正文</p>"), b.cm1.id, T0, &a(AuditAction::ContentDraftSaved))
        .await
        .unwrap();
    let live =
        |q: Option<&str>| ContentFilter { sendable_at: Some(T0), query: q.map(Into::into), ..Default::default() };
    let sendable = list(live(None)).await;
    assert_eq!(sendable.total, 1, "the draft-only item is not sendable");
    assert_eq!((sendable.items[0].latest.id, sendable.items[0].latest.status), (v2.id, Status::Published));
    assert_eq!(list(live(Some("新正文"))).await.total, 1, "the published words are searched");
    assert_eq!(list(live(Some("草稿正文"))).await.total, 0, "not the newer draft's");
    let later = ContentFilter { sendable_at: Some(T0.plus_secs(1)), ..Default::default() };
    assert_eq!(list(later).await.total, 1);
    let product = ContentFilter { product: Some(siyu_domain::ProductId::new(1)), ..Default::default() };
    assert_eq!(list(product).await.total, 0, "no item links a product here");
}
