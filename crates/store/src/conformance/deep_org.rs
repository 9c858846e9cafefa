//! Conformance checks on an organisation deeper than today's three levels: the data scope and the staff
//! filter reach every unit the domain's `OrgTree` finds under a unit, and nothing beside it.

use std::sync::Arc;

use siyu_domain::customer::PiiField;
use siyu_domain::org::{OrgUnitKind, Role, Staff};
use siyu_domain::scope::DataScope;
use siyu_domain::{OrgUnitId, StaffId};

use super::{T0, customer, new_unit};
use crate::*;

/// A bank seven levels deep: 总行 → 分行 → four more levels → a 网点 five levels below the branch, the
/// same line again beside it under the branch, and a second branch with a line of its own. Codes sort
/// against the levels (deep units first), so an order by code alone would put children first.
pub struct DeepBank {
    pub hq: OrgUnitId,
    pub branch: OrgUnitId,
    /// `line[0]` hangs under the branch, `line[4]` five levels below it.
    pub line: Vec<OrgUnitId>,
    /// Beside `line`, under the same branch.
    pub beside: Vec<OrgUnitId>,
    pub other_branch: OrgUnitId,
    pub other_line: Vec<OrgUnitId>,
    pub deep_cm: Staff,
    pub beside_cm: Staff,
    pub other_cm: Staff,
}

async fn chain(s: &dyn Store, top: OrgUnitId, prefix: &str) -> Vec<OrgUnitId> {
    let mut line = Vec::new();
    let mut parent = top;
    for level in 1..=5 {
        let kind = if level >= 4 { OrgUnitKind::SubBranch } else { OrgUnitKind::Branch };
        parent =
            s.create_org_unit(&new_unit(kind, Some(parent), &format!("{prefix}{}", 6 - level)), T0).await.unwrap().id;
        line.push(parent);
    }
    line
}

pub async fn seed_deep_bank(s: &dyn Store) -> DeepBank {
    let top = new_unit;
    let hq = s.create_org_unit(&top(OrgUnitKind::HeadOffice, None, "ZHQ"), T0).await.unwrap().id;
    let branch = s.create_org_unit(&top(OrgUnitKind::Branch, Some(hq), "ZBR1"), T0).await.unwrap().id;
    let other_branch = s.create_org_unit(&top(OrgUnitKind::Branch, Some(hq), "ZBR2"), T0).await.unwrap().id;
    let line = chain(s, branch, "A").await;
    let beside = chain(s, branch, "B").await;
    let other_line = chain(s, other_branch, "C").await;
    let cm = |username: &str, unit| NewStaff {
        username: username.into(),
        display_name: format!("员工{username}"),
        role: Role::CustomerManager,
        org_unit_id: unit,
        wecom_userid: None,
        password_hash: "x".into(),
    };
    let deep_cm = s.create_staff(&cm("cm_deep", line[4]), T0).await.unwrap();
    let beside_cm = s.create_staff(&cm("cm_beside", beside[4]), T0).await.unwrap();
    let other_cm = s.create_staff(&cm("cm_other", other_line[4]), T0).await.unwrap();
    DeepBank { hq, branch, line, beside, other_branch, other_line, deep_cm, beside_cm, other_cm }
}

pub async fn data_scope_reaches_any_depth(s: Arc<dyn Store>) {
    let b = seed_deep_bank(&*s).await;
    let rows = [
        customer("D1", b.line[4], Some(&b.deep_cm)),
        customer("D2", b.line[2], None),
        customer("S1", b.beside[4], Some(&b.beside_cm)),
        customer("O1", b.other_line[4], Some(&b.other_cm)),
    ];
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let id = |no: &'static str| {
        let s = s.clone();
        async move { s.customer_by_no(DataScope::All, no).await.unwrap().id }
    };
    let (d1, s1, o1) = (id("D1").await, id("S1").await, id("O1").await);
    let listed = |scope| {
        let s = s.clone();
        async move {
            let page = s.list_customers(scope, &CustomerFilter::default(), Page::first(50)).await.unwrap();
            let mut nos: Vec<String> = page.items.into_iter().map(|c| c.customer_no).collect();
            nos.sort();
            (page.total, nos)
        }
    };

    // The branch's manager sees the customer five levels below, and the line beside it; not the other
    // branch's.
    let branch = DataScope::Subtree(b.branch);
    assert_eq!(listed(branch).await, (3, vec!["D1".into(), "D2".into(), "S1".into()]));
    assert!(s.customer(branch, d1).await.is_ok(), "five levels below the branch");
    assert!(matches!(s.customer(branch, o1).await, Err(StoreError::NotFound)), "the sibling branch");
    assert!(s.customer_by_no(branch, "D1").await.is_ok());
    assert!(matches!(s.customer_by_no(branch, "O1").await, Err(StoreError::NotFound)));
    assert!(s.customer_pii(branch, d1, PiiField::Phone).await.is_ok());
    assert!(matches!(s.customer_pii(branch, o1, PiiField::Phone).await, Err(StoreError::NotFound)));
    assert_eq!(s.customers_by_phone_index(branch, b"idx-D1").await.unwrap().len(), 1);
    assert!(s.customers_by_phone_index(branch, b"idx-O1").await.unwrap().is_empty());
    let by_ids = s.customers_by_ids(branch, &[o1, s1, d1]).await.unwrap();
    assert_eq!(by_ids.iter().map(|c| c.id).collect::<Vec<_>>(), [s1, d1]);
    let spread = s.customer_breakdown(branch, &CustomerFilter::default()).await.unwrap();
    assert_eq!(spread.by_aum_tier.iter().map(|x| x.1).sum::<i64>(), 3);

    // Lower down, the sibling subtree is out of scope: the head of the line's first level sees its two
    // customers, not the one beside it.
    let first = DataScope::Subtree(b.line[0]);
    assert_eq!(listed(first).await, (2, vec!["D1".into(), "D2".into()]));
    assert!(matches!(s.customer(first, s1).await, Err(StoreError::NotFound)), "the line beside");
    assert_eq!(listed(DataScope::Subtree(b.line[3])).await, (1, vec!["D1".into()]));
    assert_eq!(listed(DataScope::Subtree(b.line[4])).await, (1, vec!["D1".into()]));
    assert_eq!(listed(DataScope::Subtree(b.other_branch)).await, (1, vec!["O1".into()]));
    assert_eq!(listed(DataScope::Subtree(b.hq)).await.0, 4);
    // A unit that does not exist covers nobody.
    assert_eq!(listed(DataScope::Subtree(OrgUnitId::new(999_999))).await.0, 0);
}

pub async fn staff_filter_takes_the_whole_subtree(s: Arc<dyn Store>) {
    let b = seed_deep_bank(&*s).await;
    let usernames = |unit| {
        let s = s.clone();
        async move {
            let f = StaffFilter { role: Some(Role::CustomerManager), org_unit_id: Some(unit), query: None };
            let page = s.list_staff(&f, Page::first(50)).await.unwrap();
            let mut v: Vec<String> = page.items.into_iter().map(|x| x.username).collect();
            v.sort();
            (page.total, v)
        }
    };
    assert_eq!(usernames(b.branch).await, (2, vec!["cm_beside".into(), "cm_deep".into()]));
    assert_eq!(usernames(b.line[0]).await, (1, vec!["cm_deep".into()]));
    assert_eq!(usernames(b.line[4]).await, (1, vec!["cm_deep".into()]));
    assert_eq!(usernames(b.other_branch).await, (1, vec!["cm_other".into()]));
    assert_eq!(usernames(b.hq).await.0, 3);
    let all = s.all_staff(&StaffFilter { org_unit_id: Some(b.branch), ..Default::default() }).await.unwrap();
    let ids: Vec<StaffId> = all.iter().map(|x| x.id).collect();
    assert_eq!(ids, [b.deep_cm.id, b.beside_cm.id]);

    // The whole tree comes parents before children, level by level, though codes sort the other way.
    let units = s.org_units().await.unwrap();
    assert_eq!(units.len(), 18);
    assert_eq!(units[0].id, b.hq);
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = u.parent_id {
            let at = units.iter().position(|x| x.id == p).unwrap();
            assert!(at < i, "{} comes after its parent", u.code);
        }
    }
    let deepest: Vec<&str> = units[15..].iter().map(|u| u.code.as_str()).collect();
    assert_eq!(deepest, ["A1", "B1", "C1"], "the deepest level last, by code");
}
