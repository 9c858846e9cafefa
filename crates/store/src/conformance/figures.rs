//! Conformance checks of the home pages' figures: friends over time from the relationships, reach by
//! consent, per-unit and per-manager tables, a manager's lists, audit counts per day — each within its
//! scope.

use std::sync::Arc;

use siyu_domain::Timestamp;
use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::customer::{Consent, RiskAssessment, RiskGrade};
use siyu_domain::scope::DataScope;

use super::{T0, customer, seed_bank};
use crate::*;

const DAY: i64 = 86_400;

fn change(ext: &str, staff: &str, status: RelationshipStatus, at: Timestamp) -> RelationshipChange {
    RelationshipChange { external_userid: ext.into(), staff_userid: staff.into(), status, state: None, event_at: at }
}

pub async fn home_figures_are_derived_and_scoped(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    // The managers use WeCom as cm1 / cm2.
    for (m, userid) in [(&b.cm1, "wx1"), (&b.cm2, "wx2")] {
        let u = StaffUpdate {
            display_name: m.display_name.clone(),
            role: m.role,
            org_unit_id: m.org_unit_id,
            wecom_userid: Some(userid.into()),
            active: true,
        };
        s.update_staff(m.id, &u, T0).await.unwrap();
    }
    let today = T0.bank_date();
    // Three customers of cm1 (two on WeCom), one of cm2 (on WeCom), one nobody's at sb2.
    let mut a = customer("A1", b.sb1, Some(&b.cm1));
    a.wecom_external_userid = Some("wmA".into());
    a.birthday = today.checked_add_days(chrono::Days::new(1)).and_then(|d| d.with_year_safe(1980));
    a.risk =
        Some(RiskAssessment { grade: RiskGrade::new(2).unwrap(), assessed_on: today - chrono::Duration::days(400) });
    let mut a2 = customer("A2", b.sb1, Some(&b.cm1));
    a2.wecom_external_userid = Some("wmA2".into());
    a2.consent = Consent { one_to_one: false, moments: true, group: true, personalised: false };
    a2.risk =
        Some(RiskAssessment { grade: RiskGrade::new(2).unwrap(), assessed_on: today - chrono::Duration::days(10) });
    let a3 = customer("A3", b.sb1, Some(&b.cm1));
    let mut c2 = customer("B1", b.sb2, Some(&b.cm2));
    c2.wecom_external_userid = Some("wmB".into());
    let nobody = customer("N1", b.sb2, None);
    s.upsert_customers(&[a, a2, a3, c2, nobody], &UpsertFields::all(), T0).await.unwrap();

    // cm1: wmA added two days ago; wmA2 added five days ago and deleted by the customer yesterday;
    // an unlinked contact added today. cm2: wmB added today.
    let now = T0;
    let rel = |ext: &str, staff: &str, st, at| {
        let s = s.clone();
        let c = change(ext, staff, st, at);
        async move { s.record_relationship(&c, now).await.unwrap() }
    };
    rel("wmA2", "wx1", RelationshipStatus::Active, now.plus_secs(-5 * DAY)).await;
    rel("wmA2", "wx1", RelationshipStatus::DeletedByCustomer, now.plus_secs(-DAY)).await;
    rel("wmA", "wx1", RelationshipStatus::Active, now.plus_secs(-2 * DAY)).await;
    rel("wmX", "wx1", RelationshipStatus::Active, now).await;
    rel("wmB", "wx2", RelationshipStatus::Active, now).await;

    let from = Timestamp::bank_day_start(today - chrono::Duration::days(6));
    let to = Timestamp::bank_day_start(today + chrono::Duration::days(1));
    let all = s.friend_days(DataScope::All, from, to).await.unwrap();
    assert_eq!(all.active_before, 0);
    let added: i64 = all.days.iter().map(|d| d.added).sum();
    let deleted: i64 = all.days.iter().map(|d| d.deleted).sum();
    assert_eq!((added, deleted), (4, 1), "{all:?}");
    let last = all.days.last().unwrap();
    assert_eq!((last.day, last.added), (today, 2));
    // From yesterday on, wmA and wmA2 were friends before (wmA2 ends within the range).
    let since_yesterday =
        s.friend_days(DataScope::All, Timestamp::bank_day_start(today - chrono::Duration::days(1)), to).await.unwrap();
    assert_eq!(since_yesterday.active_before, 2, "{since_yesterday:?}");
    // The sub-branch sb2 sees only cm2's friend; cm1 only their own.
    let sb2 = s.friend_days(DataScope::Subtree(b.sb2), from, to).await.unwrap();
    assert_eq!(sb2.days.iter().map(|d| d.added).sum::<i64>(), 1);
    let own = s.friend_days(DataScope::OwnedBy(b.cm1.id), from, to).await.unwrap();
    assert_eq!(own.days.iter().map(|d| (d.added, d.deleted)).fold((0, 0), |a, x| (a.0 + x.0, a.1 + x.1)), (3, 1));

    // Reach: consent and a WeCom link.
    let r = s.reach(DataScope::All).await.unwrap();
    assert_eq!((r.customers, r.on_wecom, r.one_to_one, r.moments, r.group), (5, 3, 2, 3, 1), "{r:?}");
    let r = s.reach(DataScope::Subtree(b.sb2)).await.unwrap();
    assert_eq!((r.customers, r.on_wecom, r.one_to_one), (2, 1, 1));

    // Per unit and per manager.
    let units = s.unit_figures(DataScope::Subtree(b.branch), from, to).await.unwrap();
    let sb1 = units.iter().find(|u| u.unit_id == b.sb1).unwrap();
    assert_eq!((sb1.customers, sb1.on_wecom, sb1.friends, sb1.added, sb1.deleted), (3, 2, 2, 3, 1), "{sb1:?}");
    let only_sb2 = s.unit_figures(DataScope::Subtree(b.sb2), from, to).await.unwrap();
    assert!(only_sb2.iter().all(|u| u.unit_id == b.sb2), "{only_sb2:?}");
    let managers = s.manager_figures(DataScope::Subtree(b.branch), from, to).await.unwrap();
    let m1 = managers.iter().find(|m| m.staff_id == b.cm1.id).unwrap();
    assert_eq!((m1.customers, m1.friends, m1.added, m1.deleted), (3, 2, 3, 1));
    let m2 = s.manager_figures(DataScope::OwnedBy(b.cm2.id), from, to).await.unwrap();
    assert_eq!(m2.iter().map(|m| m.staff_id).collect::<Vec<_>>(), vec![b.cm2.id]);

    // A manager's lists: new friends (linked, still friends), birthdays, risk, not contacted.
    let new = s.new_friends(DataScope::OwnedBy(b.cm1.id), now.plus_secs(-7 * DAY), 10).await.unwrap();
    assert_eq!(new.total, 1, "wmA2 left, wmX is nobody's customer: {new:?}");
    assert_eq!((new.items[0].name.as_str(), new.items[0].at), ("客户A1", Some(now.plus_secs(-2 * DAY))));
    assert_eq!(s.new_friends(DataScope::OwnedBy(b.cm2.id), now.plus_secs(-7 * DAY), 10).await.unwrap().total, 1);
    let next = today.checked_add_days(chrono::Days::new(1)).unwrap();
    use chrono::Datelike;
    let born = s.birthdays_on(DataScope::OwnedBy(b.cm1.id), &[(next.month(), next.day())], 10).await.unwrap();
    assert_eq!(born.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["客户A1"]);
    assert_eq!(s.birthdays_on(DataScope::OwnedBy(b.cm2.id), &[(next.month(), next.day())], 10).await.unwrap().total, 0);
    let due = s.risk_due(DataScope::OwnedBy(b.cm1.id), today - chrono::Duration::days(335), 10).await.unwrap();
    // A1 (400 days ago); not A2 (10 days ago) nor A3 (the check's fixed date, 2025-01-02, months ago).
    assert_eq!(due.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["客户A1"], "{due:?}");
    assert_eq!(due.items[0].on, Some(today - chrono::Duration::days(400)));
    let quiet =
        s.not_contacted(DataScope::OwnedBy(b.cm1.id), &["wecom_added"], now.plus_secs(-90 * DAY), 10).await.unwrap();
    // A1 was added two days ago; A2's add five days ago counts too; A3 never.
    assert_eq!(
        quiet.items.iter().map(|m| (m.name.as_str(), m.at)).collect::<Vec<_>>(),
        [("客户A3", None)],
        "{quiet:?}"
    );
    let long_ago =
        s.not_contacted(DataScope::OwnedBy(b.cm1.id), &["wecom_added"], now.plus_secs(DAY), 1).await.unwrap();
    assert_eq!((long_ago.total, long_ago.items.len()), (3, 1), "limit bounds the rows, not the total");
    assert_eq!(long_ago.items[0].at, None, "never contacted comes first");

    // Audit counts per day, of the actions asked for only.
    for (i, action) in [AuditAction::RevealPii, AuditAction::RevealPii, AuditAction::Export, AuditAction::Login]
        .into_iter()
        .enumerate()
    {
        let e = NewAuditEntry {
            at: now.plus_secs(-(i as i64) * DAY / 2),
            staff_id: None,
            actor: "a".into(),
            action,
            target: "cus_1".into(),
            detail: String::new(),
            ip: None,
        };
        s.append_audit(&e).await.unwrap();
    }
    let days = s.audit_days(&[AuditAction::RevealPii, AuditAction::Export], from, to).await.unwrap();
    assert_eq!(days.iter().map(|d| d.count).sum::<i64>(), 3, "{days:?}");
    assert!(days.iter().all(|d| d.action != AuditAction::Login));
}

/// `with_year` that gives 1 March for 29 February in a year without it.
trait WithYearSafe {
    fn with_year_safe(self, y: i32) -> Option<chrono::NaiveDate>;
}

impl WithYearSafe for chrono::NaiveDate {
    fn with_year_safe(self, y: i32) -> Option<chrono::NaiveDate> {
        use chrono::Datelike;
        self.with_year(y).or_else(|| chrono::NaiveDate::from_ymd_opt(y, 3, 1))
    }
}
