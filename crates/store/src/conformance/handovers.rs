//! Conformance checks for password resets and hand-overs of a manager's customers.

use std::sync::Arc;

use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::handover::{FailReason, HandoverState};
use siyu_domain::job::{JobStatus, NewJob};
use siyu_domain::scope::DataScope;
use siyu_domain::{CustomerId, HandoverId, StaffId};

use super::{T0, customer, seed_bank};
use crate::*;

/// A reset sets the temporary password, demands a change and ends every session at once; the member's
/// own new password lifts the demand.
pub async fn a_password_reset_ends_sessions_and_demands_a_change(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    s.create_session(b"r1", b.cm1.id, "c1", T0.plus_secs(600)).await.unwrap();
    s.create_session(b"r2", b.cm2.id, "c2", T0.plus_secs(600)).await.unwrap();
    assert!(!s.session(b"r1", T0).await.unwrap().must_change_password);
    s.reset_password(b.cm1.id, "temp", T0).await.unwrap();
    assert!(matches!(s.session(b"r1", T0).await, Err(StoreError::NotFound)), "the member's sessions end");
    assert!(s.session(b"r2", T0).await.is_ok(), "nobody else's");
    assert_eq!(s.staff_credentials("cm1").await.unwrap().password_hash, "temp");
    s.create_session(b"r3", b.cm1.id, "c3", T0.plus_secs(600)).await.unwrap();
    assert!(s.session(b"r3", T0).await.unwrap().must_change_password, "signed in with the temporary password");
    s.set_password(b.cm1.id, "own", T0).await.unwrap();
    assert!(!s.session(b"r3", T0).await.unwrap().must_change_password, "their own password lifts it");
    assert!(matches!(s.reset_password(StaffId::new(999_999), "x", T0).await, Err(StoreError::NotFound)));
}

/// A customer is in one unfinished hand-over at a time; a step applies only from the state it names;
/// success moves the customer to the successor in the same step, and nothing else moves them.
pub async fn hand_overs_step_once_and_move_the_owner_on_success(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let rows = [customer("H1", b.sb1, Some(&b.cm1)), customer("H2", b.sb1, Some(&b.cm1))];
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let c1 = s.customer_by_no(DataScope::All, "H1").await.unwrap().id;
    let c2 = s.customer_by_no(DataScope::All, "H2").await.unwrap().id;
    let item = |c, ext: Option<&str>| NewHandoverItem {
        customer_id: c,
        to_staff_id: b.cm2.id,
        external_userid: ext.map(str::to_owned),
    };
    let new = NewHandover {
        from_staff_id: b.cm1.id,
        resigned: true,
        created_by: Some(b.manager.id),
        items: vec![item(c1, Some("wmH1")), item(c2, None)],
    };
    let h = s.create_handover(&new, T0).await.unwrap();
    assert_eq!(s.customers_in_open_handovers(&[c1, c2, CustomerId::new(999_999)]).await.unwrap(), [c1, c2]);
    let again = NewHandover { items: vec![item(c1, None)], ..new.clone() };
    assert!(matches!(s.create_handover(&again, T0).await, Err(StoreError::Conflict(_))), "c1 is being handed over");
    assert_eq!(s.list_handovers(Page::first(10)).await.unwrap().total, 1, "the refused one left nothing behind");

    let step = |c, from, to, reason| HandoverStep { customer_id: c, from, to, reason, takeover_at: None, audit: None };
    use HandoverState::*;
    assert!(s.step_handover(h, &step(c1, Pending, Requested, None), T0).await.unwrap());
    assert!(!s.step_handover(h, &step(c1, Pending, Requested, None), T0).await.unwrap(), "already moved on");
    let waiting = HandoverStep { takeover_at: Some(T0.plus_secs(86_400)), ..step(c1, Requested, Waiting, None) };
    assert!(s.step_handover(h, &waiting, T0).await.unwrap());
    assert_eq!(s.customer(DataScope::All, c1).await.unwrap().owner_id, Some(b.cm1.id), "waiting: still the leaver's");
    let entry = NewAuditEntry {
        at: T0.plus_secs(5),
        staff_id: None,
        actor: "job:staff.handover".into(),
        action: AuditAction::CustomerHandedOver,
        target: c1.to_string(),
        detail: "cm1 → cm2".into(),
        ip: None,
    };
    let handed = AuditFilter { action: Some(AuditAction::CustomerHandedOver), ..Default::default() };
    let done = HandoverStep { audit: Some(entry.clone()), ..step(c1, Waiting, Succeeded, None) };
    assert!(s.step_handover(h, &done, T0.plus_secs(5)).await.unwrap());
    assert_eq!(s.customer(DataScope::All, c1).await.unwrap().owner_id, Some(b.cm2.id), "done: the successor's");
    let audited = s.search_audit(&handed, Page::first(10)).await.unwrap();
    assert_eq!(audited.total, 1, "the move's audit entry, in the same step");
    assert_eq!(
        (audited.items[0].target.as_str(), audited.items[0].detail.as_str()),
        (entry.target.as_str(), "cm1 → cm2")
    );
    assert!(!s.step_handover(h, &done, T0.plus_secs(6)).await.unwrap(), "a step not applied");
    assert_eq!(s.search_audit(&handed, Page::first(10)).await.unwrap().total, 1, "writes no entry");
    assert!(s.step_handover(h, &step(c2, Pending, Failed, Some(FailReason::QuotaFull)), T0).await.unwrap());
    assert_eq!(s.customer(DataScope::All, c2).await.unwrap().owner_id, Some(b.cm1.id), "a failure moves nobody");

    let got = s.handover(h).await.unwrap();
    assert_eq!((got.from_staff_id, got.resigned, got.created_by), (b.cm1.id, true, Some(b.manager.id)));
    let states: Vec<_> = got.items.iter().map(|i| (i.customer_id, i.state, i.reason)).collect();
    assert_eq!(states, [(c1, Succeeded, None), (c2, Failed, Some(FailReason::QuotaFull))]);
    assert_eq!(got.items[0].external_userid.as_deref(), Some("wmH1"));
    assert!(s.customers_in_open_handovers(&[c1, c2]).await.unwrap().is_empty(), "both final");
    s.finish_handover(h, T0.plus_secs(9)).await.unwrap();
    s.finish_handover(h, T0.plus_secs(99)).await.unwrap();
    let list = s.list_handovers(Page::first(10)).await.unwrap();
    let row = &list.items[0];
    assert_eq!((row.customers, row.succeeded, row.failed, row.cancelled), (2, 1, 1, 0));
    assert_eq!(row.finished_at, Some(T0.plus_secs(9)));
    // A finished customer may be handed over again (back, say).
    let back = NewHandover { from_staff_id: b.cm2.id, items: vec![item(c1, None)], ..new };
    s.create_handover(&back, T0).await.unwrap();
    assert!(matches!(s.handover(HandoverId::new(999_999)).await, Err(StoreError::NotFound)));

    // A hand-over's job is found by its key, the newest row whatever its status.
    let job = |key: &str| NewJob {
        kind: "staff.handover".into(),
        payload: "{}".into(),
        run_at: T0,
        max_attempts: 1,
        dedupe_key: Some(key.into()),
    };
    assert!(s.latest_job_with_key("staff.handover:hov_1").await.unwrap().is_none());
    let first = s.enqueue(&job("staff.handover:hov_1")).await.unwrap().unwrap();
    let claimed = s.claim("w", T0, 60).await.unwrap().unwrap();
    assert_eq!(claimed.id, first);
    s.fail(first, "w", "gave up", None, T0).await.unwrap();
    s.enqueue(&job("staff.handover:hov_2")).await.unwrap().unwrap();
    let latest = s.latest_job_with_key("staff.handover:hov_1").await.unwrap().unwrap();
    assert_eq!((latest.id, latest.status, latest.last_error.as_deref()), (first, JobStatus::Failed, Some("gave up")));
    let second = s.enqueue(&job("staff.handover:hov_1")).await.unwrap().unwrap();
    assert_eq!(s.latest_job_with_key("staff.handover:hov_1").await.unwrap().unwrap().id, second, "the newest");
}

/// Ending a hand-over's rest marks it ended, cancels the customers still pending (nobody else) and
/// appends its audit entry with the counts, in one step; a finished hand-over cannot be ended.
pub async fn ending_a_hand_over_cancels_its_pending_customers_with_its_audit_entry(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let rows =
        [customer("E1", b.sb1, Some(&b.cm1)), customer("E2", b.sb1, Some(&b.cm1)), customer("E3", b.sb1, Some(&b.cm1))];
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let mut ids = Vec::new();
    for no in ["E1", "E2", "E3"] {
        ids.push(s.customer_by_no(DataScope::All, no).await.unwrap().id);
    }
    let [c1, c2, c3] = ids[..] else { unreachable!() };
    let item = |c| NewHandoverItem { customer_id: c, to_staff_id: b.cm2.id, external_userid: Some(format!("wm{c}")) };
    let new = NewHandover {
        from_staff_id: b.cm1.id,
        resigned: false,
        created_by: Some(b.manager.id),
        items: vec![item(c1), item(c2), item(c3)],
    };
    let h = s.create_handover(&new, T0).await.unwrap();
    let step = |c, from, to| HandoverStep { customer_id: c, from, to, reason: None, takeover_at: None, audit: None };
    use HandoverState::*;
    assert!(s.step_handover(h, &step(c1, Pending, Requested), T0).await.unwrap());
    assert!(s.handover(h).await.unwrap().ended_at.is_none());

    let audit = |cancelled: u64, left: u64| NewAuditEntry {
        at: T0.plus_secs(7),
        staff_id: Some(b.manager.id),
        actor: "manager".into(),
        action: AuditAction::HandoverEnded,
        target: h.to_string(),
        detail: format!("{cancelled} cancelled; {left} followed"),
        ip: None,
    };
    let ended = s.end_handover(h, FailReason::EndedByAdministrator, &audit, T0.plus_secs(7)).await.unwrap();
    assert_eq!(ended, Some((2, 1)), "the two pending cancelled, the one asked still followed");
    let got = s.handover(h).await.unwrap();
    assert_eq!(got.ended_at, Some(T0.plus_secs(7)));
    let states: Vec<_> = got.items.iter().map(|i| (i.customer_id, i.state, i.reason)).collect();
    let cancelled = Some(FailReason::EndedByAdministrator);
    assert_eq!(states, [(c1, Requested, None), (c2, Cancelled, cancelled), (c3, Cancelled, cancelled)]);
    let f = AuditFilter { action: Some(AuditAction::HandoverEnded), ..Default::default() };
    let log = s.search_audit(&f, Page::first(10)).await.unwrap();
    assert_eq!((log.total, log.items[0].detail.as_str()), (1, "2 cancelled; 1 followed"), "with the change");
    assert_eq!(s.customers_in_open_handovers(&[c1, c2, c3]).await.unwrap(), [c1], "the cancelled may be chosen again");

    // Ended twice: the first end stands, nothing more is cancelled.
    let again = s.end_handover(h, FailReason::EndedByAdministrator, &audit, T0.plus_secs(8)).await.unwrap();
    assert_eq!(again, Some((0, 1)));
    assert_eq!(s.handover(h).await.unwrap().ended_at, Some(T0.plus_secs(7)));
    s.finish_handover(h, T0.plus_secs(9)).await.unwrap();
    assert_eq!(s.end_handover(h, FailReason::EndedByAdministrator, &audit, T0.plus_secs(10)).await.unwrap(), None);
    assert_eq!(s.search_audit(&f, Page::first(10)).await.unwrap().total, 2, "a finished one writes no entry");
}
