//! The conformance suite: behaviour every backend must show, run against SQLite and PostgreSQL alike.
//!
//! Each check takes a fresh, migrated, empty store. A backend's test file expands
//! [`conformance_tests!`](crate::conformance_tests) with a function that makes one, and gets one
//! `#[tokio::test]` per check.

use std::collections::HashSet;
use std::sync::Arc;

use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::customer::WecomLinkMethod::{RemarkMobile, Unionid};
use siyu_domain::customer::{AumTier, Consent, Gender, IdType, PiiField, RiskAssessment, RiskGrade, Segments};
use siyu_domain::import::Field;
use siyu_domain::job::{JobStatus, NewJob};
use siyu_domain::org::{GeoPoint, OrgUnitKind, Role, Staff};
use siyu_domain::scope::{ApiScope, DataScope};
use siyu_domain::{CustomerId, ImportId, OrgUnitId, StaffId, Timestamp};

use crate::*;

mod compliance;
mod content;
mod deep_org;
mod figures;
mod handovers;
mod imports;
mod links;
mod media;
mod products;
pub use compliance::compliance_words_are_replaced_whole_with_their_audit_entry;
pub use content::{
    content_review_steps_are_compare_and_set_with_their_audit_entry,
    one_version_per_item_is_published_and_the_library_filters,
};
pub use deep_org::{DeepBank, data_scope_reaches_any_depth, seed_deep_bank, staff_filter_takes_the_whole_subtree};
pub use figures::home_figures_are_derived_and_scoped;
pub use handovers::{
    a_password_reset_ends_sessions_and_demands_a_change,
    ending_a_hand_over_cancels_its_pending_customers_with_its_audit_entry,
    hand_overs_step_once_and_move_the_owner_on_success,
};
pub use imports::{
    an_unmapped_import_waits_for_its_mapping, column_mappings_are_remembered_per_header_set,
    import_preview_counts_what_the_upsert_does,
};
pub use links::{
    link_events_land_in_batches_with_their_timeline, sends_and_their_figures_are_counted_per_version_day_and_manager,
};
pub use media::{media_are_stored_once_per_content_and_listed_by_kind, wecom_copies_are_replaced_and_found_by_expiry};
pub use products::{a_product_import_lands_whole_or_not_at_all, products_are_upserted_by_code_and_filtered};

/// Expands to one test per conformance check. `$make` is an async fn returning
/// `Option<Arc<dyn Store>>`: `None` skips the check (a backend whose server is not reachable outside CI).
#[macro_export]
macro_rules! conformance_tests {
    ($make:path) => {
        $crate::conformance_tests!(@each $make;
            org_units_and_staff, customer_upsert_is_idempotent, upsert_leaves_absent_fields_alone,
            id_types_are_kept_with_their_number,
            data_scope_hides_other_customers, customer_filters_and_paging, phone_index_lookup,
            import_batches_apply_exactly_once, import_batch_reports_each_row_and_is_atomic,
            import_validation_is_replaced, import_commit_mark_carries_its_audit_entry, stale_uploads_are_found_past_a_page,
            import_preview_counts_what_the_upsert_does, column_mappings_are_remembered_per_header_set,
            an_unmapped_import_waits_for_its_mapping,
            jobs_dedupe_and_retry,
            a_job_queued_while_its_twin_runs_waits_for_it, two_workers_never_share_a_job, lapsed_lease_runs_again, audit_log_search, sessions_expire,
            api_tokens_revoke, callbacks_are_accepted_once, relationships_keep_the_newest_event,
            channel_codes_and_their_daily_figures, a_code_moves_on_once_per_add, a_code_keeps_its_controls_figures_contacts_and_qr, groups_keep_their_membership_history,
            tag_changes_reach_the_timeline, tag_names_are_unique_and_tags_change,
            wecom_changes_reach_the_timeline, engine_feed_reads_facts_and_events,
            audiences_record_who_entered_and_left, saved_expressions_follow_a_sub_branch_code,
            data_scope_reaches_any_depth, staff_filter_takes_the_whole_subtree, home_figures_are_derived_and_scoped,
            a_password_reset_ends_sessions_and_demands_a_change, hand_overs_step_once_and_move_the_owner_on_success,
            ending_a_hand_over_cancels_its_pending_customers_with_its_audit_entry,
            compliance_words_are_replaced_whole_with_their_audit_entry,
            products_are_upserted_by_code_and_filtered, a_product_import_lands_whole_or_not_at_all,
            link_events_land_in_batches_with_their_timeline,
            sends_and_their_figures_are_counted_per_version_day_and_manager,
            content_review_steps_are_compare_and_set_with_their_audit_entry,
            one_version_per_item_is_published_and_the_library_filters,
            media_are_stored_once_per_content_and_listed_by_kind, wecom_copies_are_replaced_and_found_by_expiry);
    };
    (@each $make:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                match $make().await {
                    Some(store) => $crate::conformance::$name(store).await,
                    None => eprintln!("skipped {}: backend not reachable", stringify!($name)),
                }
            }
        )*
    };
}

const T0: Timestamp = Timestamp::from_millis(1_750_000_000_000);

/// A small bank: head office, one branch with two sub-branches, two CMs, one branch manager.
pub struct Bank {
    pub hq: OrgUnitId,
    pub branch: OrgUnitId,
    pub sb1: OrgUnitId,
    pub sb2: OrgUnitId,
    pub cm1: Staff,
    pub cm2: Staff,
    pub manager: Staff,
}

/// A unit as the checks make them: named after its code, pinned in Shanghai.
fn new_unit(kind: OrgUnitKind, parent: Option<OrgUnitId>, code: &str) -> NewOrgUnit {
    NewOrgUnit {
        kind,
        parent_id: parent,
        code: code.into(),
        name: format!("单位{code}"),
        location: Some(GeoPoint { lat: 31.2, lng: 121.5 }),
    }
}

pub async fn seed_bank(s: &dyn Store) -> Bank {
    let unit = new_unit;
    let hq = s.create_org_unit(&unit(OrgUnitKind::HeadOffice, None, "HQ"), T0).await.unwrap().id;
    let branch = s.create_org_unit(&unit(OrgUnitKind::Branch, Some(hq), "BR1"), T0).await.unwrap().id;
    let sb1 = s.create_org_unit(&unit(OrgUnitKind::SubBranch, Some(branch), "SB1"), T0).await.unwrap().id;
    let sb2 = s.create_org_unit(&unit(OrgUnitKind::SubBranch, Some(branch), "SB2"), T0).await.unwrap().id;
    let staff = |username: &str, role, org_unit_id| NewStaff {
        username: username.into(),
        display_name: format!("员工{username}"),
        role,
        org_unit_id,
        wecom_userid: None,
        password_hash: "x".into(),
    };
    let cm1 = s.create_staff(&staff("cm1", Role::CustomerManager, sb1), T0).await.unwrap();
    let cm2 = s.create_staff(&staff("cm2", Role::CustomerManager, sb2), T0).await.unwrap();
    let manager = s.create_staff(&staff("bm1", Role::BranchManager, sb1), T0).await.unwrap();
    Bank { hq, branch, sb1, sb2, cm1, cm2, manager }
}

pub fn customer(no: &str, sub_branch: OrgUnitId, owner: Option<&Staff>) -> NewCustomer {
    NewCustomer {
        customer_no: no.into(),
        name: format!("客户{no}"),
        phone: Some(SealedPii {
            cipher: vec![1, 2, 3],
            index: format!("idx-{no}").into_bytes(),
            masked: "138****0000".into(),
        }),
        id_number: None,
        id_type: None,
        gender: Gender::Female,
        birthday: chrono::NaiveDate::from_ymd_opt(1985, 5, 20),
        sub_branch_id: sub_branch,
        owner_id: owner.map(|o| o.id),
        aum_tier: AumTier::new(2).unwrap(),
        segments: Segments { payroll_day: Some(15), credit_card: true, wealth: false, loan: false },
        risk: Some(RiskAssessment {
            grade: RiskGrade::new(3).unwrap(),
            assessed_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(),
        }),
        consent: Consent { one_to_one: true, moments: true, group: false, personalised: true },
        wecom_external_userid: None,
        wechat_unionid: None,
    }
}

pub async fn org_units_and_staff(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let units = s.org_units().await.unwrap();
    assert_eq!(units.len(), 4);
    assert_eq!(units[0].id, b.hq, "parents come first");
    assert_eq!(s.org_unit(b.sb1).await.unwrap().parent_id, Some(b.branch));

    let dup = NewStaff {
        username: "cm1".into(),
        display_name: "x".into(),
        role: Role::Admin,
        org_unit_id: b.hq,
        wecom_userid: None,
        password_hash: "x".into(),
    };
    assert!(matches!(s.create_staff(&dup, T0).await, Err(StoreError::Conflict(_))));

    let in_branch = s
        .list_staff(&StaffFilter { org_unit_id: Some(b.branch), ..Default::default() }, Page::first(50))
        .await
        .unwrap();
    assert_eq!(in_branch.total, 3);
    let cms = s
        .list_staff(&StaffFilter { role: Some(Role::CustomerManager), ..Default::default() }, Page::first(1))
        .await
        .unwrap();
    assert_eq!((cms.total, cms.items.len()), (2, 1));
    let found =
        s.list_staff(&StaffFilter { query: Some("CM2".into()), ..Default::default() }, Page::first(50)).await.unwrap();
    assert_eq!(found.items.iter().map(|x| x.username.as_str()).collect::<Vec<_>>(), ["cm2"]);

    let upd = StaffUpdate {
        display_name: "王经理".into(),
        role: Role::BranchManager,
        org_unit_id: b.branch,
        wecom_userid: Some("wang".into()),
        active: false,
    };
    let changed = s.update_staff(b.cm2.id, &upd, T0).await.unwrap();
    assert_eq!(
        (changed.role, changed.active, changed.wecom_userid.as_deref()),
        (Role::BranchManager, false, Some("wang"))
    );
    let cred = s.staff_credentials("cm2").await.unwrap();
    assert_eq!(cred.password_hash, "x");
    s.set_password(b.cm2.id, "y", T0).await.unwrap();
    assert_eq!(s.staff_credentials("cm2").await.unwrap().password_hash, "y");
    assert!(matches!(s.staff_credentials("nobody").await, Err(StoreError::NotFound)));

    // Names for a page of rows in one look-up, by id or by WeCom user id; unknown ones are left out.
    let named = s.staff_by_ids(&[b.cm1.id, StaffId::new(999_999)], &["wang".into(), "nobody".into()]).await.unwrap();
    let mut names: Vec<_> = named.iter().map(|x| x.username.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["cm1", "cm2"]);
    let many: Vec<StaffId> = (0..1200).map(|i| if i == 700 { b.cm1.id } else { StaffId::new(1_000_000 + i) }).collect();
    assert_eq!(s.staff_by_ids(&many, &[]).await.unwrap().len(), 1, "more ids than one statement takes");
}

pub async fn customer_upsert_is_idempotent(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let rows: Vec<_> = (1..=3).map(|i| customer(&format!("C{i}"), b.sb1, Some(&b.cm1))).collect();
    let all = UpsertFields::all();
    let c = s.upsert_customers(&rows, &all, T0).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 3, updated: 0, unchanged: 0 });

    // Same values again, even with fresh ciphertext: nothing changes, not even updated_at.
    let mut again = rows.clone();
    again[0].phone.as_mut().unwrap().cipher = vec![9, 9, 9];
    let c = s.upsert_customers(&again, &all, T0.plus_secs(60)).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 0, updated: 0, unchanged: 3 });
    let first = s.customer_by_no(DataScope::All, "C1").await.unwrap();
    assert_eq!(first.updated_at, T0);

    let mut changed = rows.clone();
    changed[1].aum_tier = AumTier::new(4).unwrap();
    changed.push(customer("C4", b.sb2, Some(&b.cm2)));
    let c = s.upsert_customers(&changed, &all, T0.plus_secs(120)).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 1, updated: 1, unchanged: 2 });
    let second = s.customer_by_no(DataScope::All, "C2").await.unwrap();
    assert_eq!((second.aum_tier.get(), second.updated_at, second.created_at), (4, T0.plus_secs(120), T0));
    assert_eq!(second.segments.payroll_day, Some(15));
    assert_eq!(second.risk.unwrap().grade.get(), 3);
    assert_eq!(second.birthday, chrono::NaiveDate::from_ymd_opt(1985, 5, 20));
    assert!(second.consent.personalised && !second.consent.group);
}

pub async fn upsert_leaves_absent_fields_alone(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    s.upsert_customers(&[customer("C1", b.sb1, Some(&b.cm1))], &UpsertFields::all(), T0).await.unwrap();
    // A file with only number, name and sub-branch: phone, owner and risk must survive.
    let mut partial = customer("C1", b.sb1, None);
    partial.name = "新名字".into();
    partial.phone = None;
    partial.risk = None;
    let fields = UpsertFields(vec![Field::Name, Field::SubBranchCode]);
    let c = s.upsert_customers(&[partial], &fields, T0.plus_secs(1)).await.unwrap();
    assert_eq!(c.updated, 1);
    let got = s.customer_by_no(DataScope::All, "C1").await.unwrap();
    assert_eq!(got.name, "新名字");
    assert_eq!(got.owner_id, Some(b.cm1.id));
    assert_eq!(got.phone_masked.as_deref(), Some("138****0000"));
    assert!(got.risk.is_some());
}

/// The ID type is stored with the number, on insert and on update (the same number recorded under
/// another type is a change), and a file without an ID number column leaves both alone.
pub async fn id_types_are_kept_with_their_number(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let sealed =
        |n: &str| SealedPii { cipher: n.as_bytes().to_vec(), index: n.as_bytes().to_vec(), masked: "E12***678".into() };
    let mut passport = customer("P1", b.sb1, None);
    passport.id_number = Some(sealed("E12345678"));
    passport.id_type = Some(IdType::Passport);
    let mut card = customer("P2", b.sb1, None);
    card.id_number = Some(sealed("11010519491231002X"));
    card.id_type = Some(IdType::ResidentId);
    let all = UpsertFields::all();
    s.upsert_customers(&[passport.clone(), card.clone(), customer("P3", b.sb1, None)], &all, T0).await.unwrap();
    let got = |no: &'static str| {
        let s = s.clone();
        async move { s.customer_by_no(DataScope::All, no).await.unwrap() }
    };
    assert_eq!(got("P1").await.id_type, Some(IdType::Passport));
    assert_eq!(got("P2").await.id_type, Some(IdType::ResidentId));
    assert_eq!(got("P3").await.id_type, None, "no number, no type");

    // The same passport number, now typed as a Hong Kong and Macau permit: that is a change.
    let mut permit = passport.clone();
    permit.id_type = Some(IdType::HkMacauPermit);
    let c = s.upsert_customers(&[permit.clone(), card.clone()], &all, T0.plus_secs(1)).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 0, updated: 1, unchanged: 1 });
    assert_eq!(got("P1").await.id_type, Some(IdType::HkMacauPermit));
    // A file with a type column but no number column writes neither.
    let mut typeless = permit.clone();
    typeless.id_number = None;
    typeless.id_type = None;
    let fields = UpsertFields(vec![Field::Name, Field::IdType]);
    let c = s.upsert_customers(&[typeless], &fields, T0.plus_secs(2)).await.unwrap();
    assert_eq!(c.unchanged, 1);
    let p1 = got("P1").await;
    assert_eq!((p1.id_type, p1.id_number_masked.as_deref()), (Some(IdType::HkMacauPermit), Some("E12***678")));
    // A number cleared takes its type with it.
    let mut cleared = card.clone();
    cleared.id_number = None;
    cleared.id_type = None;
    s.upsert_customers(&[cleared], &UpsertFields(vec![Field::IdNumber]), T0.plus_secs(3)).await.unwrap();
    let p2 = got("P2").await;
    assert_eq!((p2.id_type, p2.id_number_masked), (None, None));
    // A payroll flag column writes the payday it confirms.
    let mut not_payroll = customer("P1", b.sb1, None);
    not_payroll.segments.payroll_day = None;
    s.upsert_customers(&[not_payroll], &UpsertFields(vec![Field::PayrollFlag]), T0.plus_secs(4)).await.unwrap();
    assert_eq!(got("P1").await.segments.payroll_day, None);
}

pub async fn data_scope_hides_other_customers(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let rows = [customer("A1", b.sb1, Some(&b.cm1)), customer("B1", b.sb2, Some(&b.cm2))];
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let a1 = s.customer_by_no(DataScope::All, "A1").await.unwrap().id;
    let b1 = s.customer_by_no(DataScope::All, "B1").await.unwrap().id;

    let cm1 = DataScope::OwnedBy(b.cm1.id);
    assert!(s.customer(cm1, a1).await.is_ok());
    assert!(matches!(s.customer(cm1, b1).await, Err(StoreError::NotFound)));
    assert!(matches!(s.customer_by_no(cm1, "B1").await, Err(StoreError::NotFound)));
    assert!(matches!(s.customer_pii(cm1, b1, PiiField::Phone).await, Err(StoreError::NotFound)));
    assert!(s.customers_by_phone_index(cm1, b"idx-B1").await.unwrap().is_empty());
    let listed = s.list_customers(cm1, &CustomerFilter::default(), Page::first(50)).await.unwrap();
    assert_eq!(listed.items.iter().map(|c| c.id).collect::<Vec<_>>(), [a1]);

    // A sub-branch head sees their sub-branch; a branch head both; head office everything.
    let sub = s.list_customers(DataScope::Subtree(b.sb1), &CustomerFilter::default(), Page::first(50)).await.unwrap();
    assert_eq!(sub.total, 1);
    let branch =
        s.list_customers(DataScope::Subtree(b.branch), &CustomerFilter::default(), Page::first(50)).await.unwrap();
    assert_eq!(branch.total, 2);
    let hq = s.list_customers(DataScope::Subtree(b.hq), &CustomerFilter::default(), Page::first(50)).await.unwrap();
    assert_eq!(hq.total, 2);
    assert!(matches!(s.customer(DataScope::Subtree(b.sb2), a1).await, Err(StoreError::NotFound)));
    let _ = b.manager;
}

pub async fn customer_filters_and_paging(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let mut rows = Vec::new();
    for i in 0..25 {
        let mut c = customer(&format!("P{i:02}"), if i % 2 == 0 { b.sb1 } else { b.sb2 }, None);
        c.aum_tier = AumTier::new(1 + (i % 5) as u8).unwrap();
        c.segments.wealth = i % 3 == 0;
        c.segments.payroll_day = (i % 4 == 0).then_some(10);
        c.risk = (i % 5 != 0).then(|| RiskAssessment {
            grade: RiskGrade::new(1 + (i % 5) as u8).unwrap(),
            assessed_on: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        });
        rows.push(c);
    }
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let list = |f: CustomerFilter, p: Page| {
        let s = s.clone();
        async move { s.list_customers(DataScope::All, &f, p).await.unwrap() }
    };
    let p2 = list(CustomerFilter::default(), Page::numbered(2, 10)).await;
    assert_eq!((p2.total, p2.items.len(), p2.items[0].customer_no.as_str()), (25, 10, "P10"));
    let p3 = list(CustomerFilter::default(), Page::numbered(3, 10)).await;
    assert_eq!(p3.items.len(), 5);
    assert_eq!(
        list(CustomerFilter { sub_branch_ids: vec![b.sb1], ..Default::default() }, Page::first(50)).await.total,
        13
    );
    assert_eq!(
        list(CustomerFilter { sub_branch_ids: vec![b.sb1, b.sb2], ..Default::default() }, Page::first(50)).await.total,
        25,
        "several sub-branches: customers of any of them"
    );
    let tier = |min, max| CustomerFilter { aum_tier_min: min, aum_tier_max: max, ..Default::default() };
    assert_eq!(list(tier(Some(3), Some(3)), Page::first(50)).await.total, 5);
    assert_eq!(list(tier(Some(3), None), Page::first(50)).await.total, 15, "tier 3 and above");
    assert_eq!(list(tier(None, Some(2)), Page::first(50)).await.total, 10, "tier 2 and below");
    assert_eq!(list(tier(Some(2), Some(4)), Page::first(50)).await.total, 15);
    let grades = |g: &[u8]| CustomerFilter { risk_grades: g.to_vec(), ..Default::default() };
    assert_eq!(list(grades(&[1]), Page::first(50)).await.total, 0);
    assert_eq!(list(grades(&[2]), Page::first(50)).await.total, 5);
    assert_eq!(list(grades(&[2, 3, 5]), Page::first(50)).await.total, 15, "any of several grades");
    let both = CustomerFilter { risk_grades: vec![2, 3], aum_tier_min: Some(3), ..Default::default() };
    let listed = list(both, Page::first(50)).await;
    assert!(
        listed.items.iter().all(|c| c.aum_tier.get() >= 3 && c.risk.is_some_and(|r| [2, 3].contains(&r.grade.get()))),
        "every filter holds"
    );
    assert_eq!(
        list(CustomerFilter { segment: Some(SegmentFilter::Wealth), ..Default::default() }, Page::first(50))
            .await
            .total,
        9
    );
    assert_eq!(
        list(CustomerFilter { segment: Some(SegmentFilter::Payroll), ..Default::default() }, Page::first(50))
            .await
            .total,
        7
    );
    assert_eq!(
        list(CustomerFilter { query: Some("P07".into()), ..Default::default() }, Page::first(50)).await.total,
        1
    );
    assert_eq!(
        list(CustomerFilter { query: Some("客户P1".into()), ..Default::default() }, Page::first(50)).await.total,
        10
    );
    let both =
        CustomerFilter { sub_branch_ids: vec![b.sb2], segment: Some(SegmentFilter::Wealth), ..Default::default() };
    assert_eq!(list(both, Page::first(50)).await.total, 4);
}

pub async fn phone_index_lookup(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    s.upsert_customers(&[customer("X1", b.sb1, None), customer("X2", b.sb1, None)], &UpsertFields::all(), T0)
        .await
        .unwrap();
    let found = s.customers_by_phone_index(DataScope::All, b"idx-X2").await.unwrap();
    assert_eq!(found.iter().map(|c| c.customer_no.as_str()).collect::<Vec<_>>(), ["X2"]);
    let id = found[0].id;
    assert_eq!(s.customer_pii(DataScope::All, id, PiiField::Phone).await.unwrap(), vec![1, 2, 3]);
    assert!(matches!(s.customer_pii(DataScope::All, id, PiiField::IdNumber).await, Err(StoreError::NotFound)));
    assert!(matches!(s.customer(DataScope::All, CustomerId::new(999_999)).await, Err(StoreError::NotFound)));

    let x1 = s.customer_by_no(DataScope::All, "X1").await.unwrap().id;
    let link = |c, ext: &'static str, m| {
        let s = s.clone();
        async move { s.link_wecom(c, ext, m, T0).await.unwrap() }
    };
    let linked = |c| {
        let s = s.clone();
        async move { s.customer(DataScope::All, c).await.unwrap().wecom_external_userid }
    };
    assert!(link(id, "wmA", RemarkMobile).await);
    assert!(!link(id, "wmB", RemarkMobile).await, "already linked");
    assert!(!link(x1, "wmA", RemarkMobile).await, "wmA belongs to someone else");
    assert_eq!(linked(id).await.as_deref(), Some("wmA"));
    // A UnionID match replaces a remark-mobile link, the customer's own or another's on the contact.
    assert!(link(x1, "wmA", Unionid).await, "the UnionID says wmA is X1");
    assert_eq!((linked(x1).await.as_deref(), linked(id).await), (Some("wmA"), None));
    // A UnionID link is never replaced, by a remark or by another UnionID.
    assert!(!link(id, "wmA", RemarkMobile).await);
    assert!(!link(id, "wmA", Unionid).await);
    assert!(!link(x1, "wmZ", Unionid).await);
    assert!(!link(x1, "wmZ", RemarkMobile).await);
    assert_eq!(linked(x1).await.as_deref(), Some("wmA"));
    // A link from the bank's own file is not replaced either.
    let mut filed = customer("X3", b.sb1, None);
    filed.wecom_external_userid = Some("wmF".into());
    s.upsert_customers(&[filed], &UpsertFields::all(), T0).await.unwrap();
    let x3 = s.customer_by_no(DataScope::All, "X3").await.unwrap().id;
    assert!(!link(x3, "wmG", Unionid).await);
    assert!(!link(id, "wmF", Unionid).await, "wmF is X3's by the bank's file");
    assert_eq!(linked(x3).await.as_deref(), Some("wmF"));
    // The file gives a contact a manager's remark claimed: the claim gives way, the import goes on.
    let x2 = id;
    assert!(link(x2, "wmR", RemarkMobile).await);
    let mut x4 = customer("X4", b.sb1, None);
    x4.wecom_external_userid = Some("wmR".into());
    s.upsert_customers(&[x4], &UpsertFields::all(), T0).await.unwrap();
    let x4 = s.customer_by_no(DataScope::All, "X4").await.unwrap().id;
    assert_eq!((linked(x4).await.as_deref(), linked(x2).await), (Some("wmR"), None));
    // The file re-links a customer whose link came from a remark: the link is the file's now, and a
    // UnionID match elsewhere no longer takes it away.
    assert!(link(x2, "wmS", RemarkMobile).await);
    let mut again = customer("X2", b.sb1, None);
    again.wecom_external_userid = Some("wmT".into());
    s.upsert_customers(&[again], &UpsertFields::all(), T0).await.unwrap();
    assert_eq!(linked(x2).await.as_deref(), Some("wmT"));
    s.upsert_customers(&[customer("X5", b.sb1, None)], &UpsertFields::all(), T0).await.unwrap();
    let x5 = s.customer_by_no(DataScope::All, "X5").await.unwrap().id;
    assert!(!link(x5, "wmT", Unionid).await, "the file's link stays");
    assert_eq!(linked(x2).await.as_deref(), Some("wmT"));
    // In one batch: a new customer the file gives a contact, then the customer whose remark held it.
    assert!(link(x5, "wmQ", RemarkMobile).await);
    let mut x6 = customer("X6", b.sb1, None);
    x6.wecom_external_userid = Some("wmQ".into());
    let x5_again = customer("X5", b.sb1, None);
    s.upsert_customers(&[x6, x5_again], &UpsertFields::all(), T0).await.unwrap();
    let x6 = s.customer_by_no(DataScope::All, "X6").await.unwrap().id;
    assert_eq!((linked(x6).await.as_deref(), linked(x5).await), (Some("wmQ"), None));
    // A file's empty WeCom cell clears a remark link, and what the sync links next is the sync's again:
    // a UnionID match still replaces it.
    assert!(link(x5, "wmV", RemarkMobile).await);
    s.upsert_customers(&[customer("X5", b.sb1, None)], &UpsertFields::all(), T0).await.unwrap();
    assert_eq!(linked(x5).await, None);
    assert!(link(x5, "wmV", RemarkMobile).await);
    s.upsert_customers(&[customer("X7", b.sb1, None)], &UpsertFields::all(), T0).await.unwrap();
    let x7 = s.customer_by_no(DataScope::All, "X7").await.unwrap().id;
    assert!(link(x7, "wmV", Unionid).await, "a remark link, however it came back, gives way to a UnionID");
}

async fn validated_import(s: &dyn Store, good: i64) -> ImportId {
    let id = s
        .create_import(&NewImport {
            file_name: "a.csv".into(),
            stored_path: "/tmp/a.csv".into(),
            mapping_json: "{}".into(),
            created_by: None,
            created_at: T0,
        })
        .await
        .unwrap();
    let v = ImportValidation {
        status: ImportStatus::Validated,
        headers_json: "[\"a\"]".into(),
        file_error: None,
        total_rows: good,
        good_rows: good,
        bad_rows: 0,
        preview: UpsertCounts::default(),
        remembered_mapping: None,
    };
    s.record_validation(id, &v, &[], T0).await.unwrap();
    id
}

/// Uploads left waiting are found however many there are, oldest first, a page at a time: a page handled
/// (marked failed) makes way for the next, and a fresh or finished import is never among them.
pub async fn stale_uploads_are_found_past_a_page(s: Arc<dyn Store>) {
    let mut stale = Vec::new();
    for i in 0..520 {
        let id = validated_import(&*s, 1).await;
        if i % 2 == 1 {
            // Rejected but kept for a re-mapping: waiting too.
            s.finish_import(id, ImportStatus::Rejected, None, T0).await.unwrap();
        }
        stale.push(id);
    }
    let committed = validated_import(&*s, 1).await;
    s.start_commit(committed, T0).await.unwrap();
    let validating = s
        .create_import(&NewImport {
            file_name: "v.csv".into(),
            stored_path: "/tmp/v.csv".into(),
            mapping_json: "{}".into(),
            created_by: None,
            created_at: T0,
        })
        .await
        .unwrap();
    let later = T0.plus_secs(3600);
    let fresh = validated_import(&*s, 1).await;
    s.finish_import(fresh, ImportStatus::Validated, None, later).await.unwrap();

    let mut found = Vec::new();
    loop {
        let page = s.stale_uploads(T0.plus_secs(60), 500).await.unwrap();
        assert!(page.len() <= 500);
        if page.is_empty() {
            break;
        }
        for rec in &page {
            s.finish_import(rec.id, ImportStatus::Failed, Some("expired"), later).await.unwrap();
        }
        found.extend(page.into_iter().map(|r| r.id));
    }
    assert_eq!(found, stale, "every waiting upload, oldest first, none twice");
    for id in [committed, validating, fresh] {
        assert_ne!(s.import(id).await.unwrap().status, ImportStatus::Failed, "{id} is not waiting or not stale");
    }
    assert!(s.stale_uploads(later.plus_secs(1), 10).await.unwrap().iter().map(|r| r.id).eq([fresh]));
}

/// The committed mark and the import's audit entry are written together, once.
pub async fn import_commit_mark_carries_its_audit_entry(s: Arc<dyn Store>) {
    let id = validated_import(&*s, 0).await;
    let entry = NewAuditEntry {
        at: T0,
        staff_id: None,
        actor: "token:core".into(),
        action: AuditAction::ImportCommitted,
        target: id.to_string(),
        detail: "a.csv: 0 inserted".into(),
        ip: None,
    };
    assert!(!s.mark_import_committed(id, &entry, T0).await.unwrap(), "only a committing import is marked");
    s.start_commit(id, T0).await.unwrap();
    assert!(s.mark_import_committed(id, &entry, T0).await.unwrap());
    assert!(!s.mark_import_committed(id, &entry, T0).await.unwrap(), "a second mark writes nothing");
    assert_eq!(s.import(id).await.unwrap().status, ImportStatus::Committed);
    let f = AuditFilter { action: Some(AuditAction::ImportCommitted), ..Default::default() };
    let logged = s.search_audit(&f, Page::first(10)).await.unwrap();
    assert_eq!((logged.total, logged.items[0].target.as_str()), (1, id.to_string().as_str()));
}

pub async fn import_batches_apply_exactly_once(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let id = validated_import(&*s, 4).await;
    let fields = UpsertFields::all();
    let batch1 = [customer("I1", b.sb1, None), customer("I2", b.sb1, None)];
    assert!(
        matches!(s.commit_import_batch(id, 0, &batch1, &fields, T0).await, Err(StoreError::Stale(_))),
        "not committing yet"
    );
    s.start_commit(id, T0).await.unwrap();
    assert!(matches!(s.start_commit(id, T0).await, Err(StoreError::Stale(_))), "only once");
    s.commit_import_batch(id, 0, &batch1, &fields, T0).await.unwrap();
    // A second worker replaying the same batch is refused and writes nothing.
    assert!(matches!(s.commit_import_batch(id, 0, &batch1, &fields, T0).await, Err(StoreError::Stale(_))));
    let batch2 = [customer("I3", b.sb1, None), customer("I1", b.sb1, None)];
    let (c, changed) = s.commit_import_batch(id, 2, &batch2, &fields, T0.plus_secs(1)).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 1, updated: 0, unchanged: 1 });
    let i3 = s.customer_by_no(DataScope::All, "I3").await.unwrap().id;
    assert_eq!(
        changed,
        [WrittenRow { id: i3, customer_no: "I3".into(), inserted: true }],
        "the rows written, not the unchanged one"
    );
    let facts = s.customer_facts_of(&[i3, CustomerId::new(999_999)]).await.unwrap();
    assert_eq!((facts.len(), facts[0].sub_branch_id), (1, b.sb1));
    s.finish_import(id, ImportStatus::Committed, None, T0).await.unwrap();
    let rec = s.import(id).await.unwrap();
    assert_eq!((rec.status, rec.rows_committed), (ImportStatus::Committed, 4));
    assert_eq!(rec.counts, UpsertCounts { inserted: 3, updated: 0, unchanged: 1 });
    let all = s.list_customers(DataScope::All, &CustomerFilter::default(), Page::first(50)).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(s.list_imports(Page::first(10)).await.unwrap().items[0].id, id);
}

pub async fn import_batch_reports_each_row_and_is_atomic(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let fields = UpsertFields::all();
    s.upsert_customers(&[customer("K1", b.sb1, None), customer("K2", b.sb1, None)], &fields, T0).await.unwrap();
    let id = validated_import(&*s, 4).await;
    s.start_commit(id, T0).await.unwrap();
    // New rows around stored ones, one of which changes: each new row's id is the one stored.
    let mut k2 = customer("K2", b.sb1, None);
    k2.aum_tier = AumTier::new(5).unwrap();
    let batch = [customer("N1", b.sb1, None), customer("K1", b.sb1, None), k2, customer("N2", b.sb2, Some(&b.cm2))];
    let (c, written) = s.commit_import_batch(id, 0, &batch, &fields, T0.plus_secs(1)).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 2, updated: 1, unchanged: 1 });
    let mut got: Vec<_> = written.iter().map(|w| (w.customer_no.as_str(), w.inserted, w.id)).collect();
    got.sort();
    let id_of = |no: &'static str| {
        let s = s.clone();
        async move { s.customer_by_no(DataScope::All, no).await.unwrap().id }
    };
    assert_eq!(
        got,
        [("K2", false, id_of("K2").await), ("N1", true, id_of("N1").await), ("N2", true, id_of("N2").await)]
    );
    assert_eq!(s.customer_by_no(DataScope::All, "K2").await.unwrap().aum_tier.get(), 5);
    assert_eq!(s.customer_by_no(DataScope::All, "N2").await.unwrap().owner_id, Some(b.cm2.id));

    // A batch that breaks a rule halfway (two customers, one WeCom contact) writes none of its rows
    // and leaves the checkpoint where it was.
    let id = validated_import(&*s, 2).await;
    s.start_commit(id, T0).await.unwrap();
    let mut x1 = customer("X1", b.sb1, None);
    x1.wecom_external_userid = Some("wm-same".into());
    let mut x2 = customer("X2", b.sb1, None);
    x2.wecom_external_userid = Some("wm-same".into());
    assert!(matches!(s.commit_import_batch(id, 0, &[x1, x2], &fields, T0).await, Err(StoreError::Conflict(_))));
    assert!(matches!(s.customer_by_no(DataScope::All, "X1").await, Err(StoreError::NotFound)));
    assert_eq!(s.import(id).await.unwrap().rows_committed, 0);
}

pub async fn import_validation_is_replaced(s: Arc<dyn Store>) {
    let id = s
        .create_import(&NewImport {
            file_name: "b.csv".into(),
            stored_path: "/tmp/b.csv".into(),
            mapping_json: "{}".into(),
            created_by: None,
            created_at: T0,
        })
        .await
        .unwrap();
    assert_eq!(s.import(id).await.unwrap().status, ImportStatus::Validating);
    let problems: Vec<_> = (0..2500)
        .map(|i| ImportProblem {
            row_no: i + 2,
            column: "phone".into(),
            code: "bad_phone".into(),
            message: "不是手机号".into(),
            raw_json: "[\"x\"]".into(),
        })
        .collect();
    let v = ImportValidation {
        status: ImportStatus::Validated,
        headers_json: "[\"a\"]".into(),
        file_error: None,
        total_rows: 3000,
        good_rows: 500,
        bad_rows: 2500,
        preview: UpsertCounts::default(),
        remembered_mapping: None,
    };
    s.record_validation(id, &v, &problems, T0).await.unwrap();
    let page = s.import_problems(id, Page::numbered(2, 100)).await.unwrap();
    assert_eq!((page.total, page.items[0].row_no), (2500, 102));
    assert!(
        matches!(s.record_validation(id, &v, &problems, T0).await, Err(StoreError::Stale(_))),
        "a validated import is not validated again"
    );
    let rec = s.import(id).await.unwrap();
    assert_eq!((rec.good_rows, rec.bad_rows, rec.total_rows), (500, 2500, 3000));
    assert_eq!(rec.headers_json, "[\"a\"]");
}

pub async fn jobs_dedupe_and_retry(s: Arc<dyn Store>) {
    let mut j = NewJob::now("demo.echo", "{}".into(), T0);
    j.dedupe_key = Some("tick".into());
    let first = s.enqueue(&j).await.unwrap();
    assert!(first.is_some());
    assert_eq!(s.enqueue(&j).await.unwrap(), None, "same key while queued");

    let got = s.claim("w1", T0, 30).await.unwrap().unwrap();
    assert_eq!((got.id, got.attempts, got.status), (first.unwrap(), 1, JobStatus::Running));
    assert!(s.claim("w2", T0, 30).await.unwrap().is_none(), "held by w1");
    assert!(matches!(s.complete(got.id, "w2", T0).await, Err(StoreError::Stale(_))));
    s.fail(got.id, "w1", "boom", Some(T0.plus_secs(5)), T0).await.unwrap();
    assert!(s.claim("w1", T0.plus_secs(4), 30).await.unwrap().is_none(), "backing off");
    let again = s.claim("w1", T0.plus_secs(5), 30).await.unwrap().unwrap();
    assert_eq!((again.attempts, again.last_error.as_deref()), (2, Some("boom")));
    s.fail(again.id, "w1", "boom twice", None, T0.plus_secs(6)).await.unwrap();
    let failed = s.job(again.id).await.unwrap();
    assert_eq!((failed.status, failed.last_error.as_deref()), (JobStatus::Failed, Some("boom twice")));
    assert!(s.enqueue(&j).await.unwrap().is_some(), "the key is free once the job ended");

    let listed =
        s.list_jobs(&JobFilter { status: Some(JobStatus::Failed), kind: None }, Page::first(10)).await.unwrap();
    assert_eq!(listed.total, 1);
}

/// A change made while a job runs needs a run after it: its twin (same dedupe key) is queued, not
/// dropped, and waits until the running one ends; queued twins are still folded into one.
pub async fn a_job_queued_while_its_twin_runs_waits_for_it(s: Arc<dyn Store>) {
    let mut j = NewJob::now("wecom.tags.push", "{\"tag_id\":\"tag_1\"}".into(), T0);
    j.dedupe_key = Some("wecom.tags.push:tag_1".into());
    let first = s.enqueue(&j).await.unwrap().unwrap();
    assert_eq!(s.claim("w1", T0, 30).await.unwrap().unwrap().id, first);
    let twin = s.enqueue(&j).await.unwrap().expect("queued while its twin runs");
    assert_eq!(s.enqueue(&j).await.unwrap(), None, "one queued twin is enough");
    // Other work is not held up by the waiting twin.
    let other = s.enqueue(&NewJob::now("demo.echo", "{}".into(), T0)).await.unwrap().unwrap();
    assert_eq!(s.claim("w2", T0, 30).await.unwrap().unwrap().id, other, "the twin waits, the rest runs");
    s.complete(other, "w2", T0).await.unwrap();
    assert!(s.claim("w2", T0, 30).await.unwrap().is_none(), "never beside its running twin");
    s.complete(first, "w1", T0.plus_secs(1)).await.unwrap();
    let next = s.claim("w2", T0.plus_secs(1), 30).await.unwrap().unwrap();
    assert_eq!((next.id, next.status), (twin, JobStatus::Running));

    // A running job that fails while a twin waits leaves the retry to the twin (two queued twins
    // would break the fold); it ends failed with its error.
    let third = s.enqueue(&j).await.unwrap().unwrap();
    s.fail(twin, "w2", "WeCom busy", Some(T0.plus_secs(10)), T0.plus_secs(2)).await.unwrap();
    let failed = s.job(twin).await.unwrap();
    assert_eq!((failed.status, failed.last_error.as_deref()), (JobStatus::Failed, Some("WeCom busy")));
    assert_eq!(s.claim("w1", T0.plus_secs(2), 30).await.unwrap().unwrap().id, third);

    // A twin of a job whose worker died waits too: the lapsed job is taken over first.
    let fourth = s.enqueue(&j).await.unwrap().unwrap();
    let late = T0.plus_secs(40);
    assert_eq!(s.claim("w2", late, 30).await.unwrap().unwrap().id, third, "the lapsed one runs again");
    assert!(s.claim("w1", late, 30).await.unwrap().is_none());
    s.complete(third, "w2", late).await.unwrap();
    assert_eq!(s.claim("w1", late, 30).await.unwrap().unwrap().id, fourth);
}

pub async fn two_workers_never_share_a_job(s: Arc<dyn Store>) {
    for i in 0..40 {
        s.enqueue(&NewJob::now("demo.echo", format!("{{\"n\":{i}}}"), T0)).await.unwrap();
    }
    let worker = |name: &'static str| {
        let s = s.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(j) = s.claim(name, T0, 60).await.unwrap() {
                mine.push(j.id);
                s.complete(j.id, name, T0).await.unwrap();
            }
            mine
        })
    };
    let (a, b) = (worker("a"), worker("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: HashSet<_> = a.iter().chain(&b).copied().collect();
    assert_eq!(a.len() + b.len(), 40, "every job claimed once");
    assert_eq!(all.len(), 40, "no job claimed twice");
}

pub async fn lapsed_lease_runs_again(s: Arc<dyn Store>) {
    let id = s.enqueue(&NewJob::now("demo.echo", "{}".into(), T0)).await.unwrap().unwrap();
    let j = s.claim("dead", T0, 30).await.unwrap().unwrap();
    assert_eq!(j.id, id);
    assert!(s.claim("alive", T0.plus_secs(29), 30).await.unwrap().is_none());
    let again = s.claim("alive", T0.plus_secs(31), 30).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts, again.worker.as_deref()), (id, 2, Some("alive")));
    assert!(
        matches!(s.complete(id, "dead", T0.plus_secs(32)).await, Err(StoreError::Stale(_))),
        "the dead worker lost it"
    );
    s.extend_lease(id, "alive", T0.plus_secs(90)).await.unwrap();
    s.complete(id, "alive", T0.plus_secs(33)).await.unwrap();
    assert_eq!(s.job(id).await.unwrap().status, JobStatus::Succeeded);
}

pub async fn audit_log_search(s: Arc<dyn Store>) {
    let e = |action, actor: &str, target: &str, at| NewAuditEntry {
        at,
        staff_id: None,
        actor: actor.into(),
        action,
        target: target.into(),
        detail: "客户来电核实".into(),
        ip: Some("127.0.0.1".into()),
    };
    s.append_audit(&e(AuditAction::Login, "alice", "stf_1", T0)).await.unwrap();
    s.append_audit(&e(AuditAction::RevealPii, "alice", "cus_7", T0.plus_secs(10))).await.unwrap();
    s.append_audit(&e(AuditAction::RevealPii, "bob", "cus_8", T0.plus_secs(20))).await.unwrap();
    let all = s.search_audit(&AuditFilter::default(), Page::first(10)).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items[0].actor, "bob", "newest first");
    let reveals = s
        .search_audit(
            &AuditFilter { action: Some(AuditAction::RevealPii), actor: Some("ALI".into()), ..Default::default() },
            Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(reveals.items.iter().map(|x| x.target.as_str()).collect::<Vec<_>>(), ["cus_7"]);
    let window = s
        .search_audit(
            &AuditFilter { from: Some(T0.plus_secs(5)), to: Some(T0.plus_secs(15)), ..Default::default() },
            Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(window.total, 1);
}

pub async fn sessions_expire(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    s.create_session(b"h1", b.cm1.id, "csrf1", T0.plus_secs(60)).await.unwrap();
    let got = s.session(b"h1", T0).await.unwrap();
    assert_eq!((got.staff.id, got.csrf_token.as_str()), (b.cm1.id, "csrf1"));
    assert!(matches!(s.session(b"h1", T0.plus_secs(61)).await, Err(StoreError::NotFound)));
    s.create_session(b"h2", b.cm2.id, "csrf2", T0.plus_secs(60)).await.unwrap();
    let off = StaffUpdate {
        display_name: "x".into(),
        role: Role::CustomerManager,
        org_unit_id: b.sb2,
        wecom_userid: None,
        active: false,
    };
    s.update_staff(b.cm2.id, &off, T0).await.unwrap();
    assert!(matches!(s.session(b"h2", T0).await, Err(StoreError::NotFound)), "deactivated staff lose their sessions");
    assert_eq!(s.purge_expired_sessions(T0.plus_secs(61)).await.unwrap(), 2, "h1 and h2 have expired by then");
    s.create_session(b"h1", b.cm1.id, "csrf1", T0.plus_secs(60)).await.unwrap();
    s.delete_session(b"h1").await.unwrap();
    assert!(s.session(b"h1", T0).await.is_err());
    s.create_session(b"h3", b.cm1.id, "c", T0.plus_secs(60)).await.unwrap();
    s.delete_sessions_of(b.cm1.id).await.unwrap();
    assert!(s.session(b"h3", T0).await.is_err());
}

pub async fn api_tokens_revoke(s: Arc<dyn Store>) {
    let t = s
        .create_api_token(&NewApiToken {
            name: "core-banking".into(),
            token_hash: b"hash".to_vec(),
            scopes: vec![ApiScope::CustomersRead, ApiScope::CustomersImport],
            created_by: None,
            created_at: T0,
        })
        .await
        .unwrap();
    let used = s.use_api_token(b"hash", T0.plus_secs(5)).await.unwrap();
    assert_eq!((used.id, used.scopes.len(), used.last_used_at), (t.id, 2, Some(T0.plus_secs(5))));
    assert!(matches!(s.use_api_token(b"other", T0).await, Err(StoreError::NotFound)));
    s.revoke_api_token(t.id, T0).await.unwrap();
    assert!(matches!(s.use_api_token(b"hash", T0).await, Err(StoreError::NotFound)));
    assert_eq!(s.list_api_tokens().await.unwrap()[0].revoked_at, Some(T0));
}

pub async fn callbacks_are_accepted_once(s: Arc<dyn Store>) {
    let job = NewJob::now("wecom.callback", "<xml/>".into(), T0);
    assert!(s.accept_callback("k1", &job, T0).await.unwrap());
    assert!(!s.accept_callback("k1", &job, T0.plus_secs(1)).await.unwrap(), "a replay");
    assert!(s.accept_callback("k2", &job, T0).await.unwrap());
    let queued = s
        .list_jobs(&JobFilter { status: Some(JobStatus::Queued), kind: Some("wecom.callback".into()) }, Page::first(10))
        .await
        .unwrap();
    assert_eq!(queued.total, 2, "one job per accepted callback");
    assert_eq!(s.purge_callbacks_before(T0.plus_secs(1)).await.unwrap(), 2);
    assert!(s.accept_callback("k1", &job, T0.plus_secs(2)).await.unwrap(), "forgotten keys are new again");
    let batch: Vec<(String, NewJob)> = ["k3", "k1", "k3", "k4"].iter().map(|k| (k.to_string(), job.clone())).collect();
    assert_eq!(s.accept_callbacks(&batch, T0).await.unwrap(), [true, false, false, true], "one commit, each key once");
}

pub async fn relationships_keep_the_newest_event(s: Arc<dyn Store>) {
    let change = |status, state: Option<&str>, at| RelationshipChange {
        external_userid: "wmA".into(),
        staff_userid: "cm1".into(),
        status,
        state: state.map(str::to_owned),
        event_at: at,
    };
    assert!(s.record_relationship(&change(RelationshipStatus::Active, Some("ch_1"), T0), T0).await.unwrap().applied);
    assert!(
        s.record_relationship(&change(RelationshipStatus::DeletedByCustomer, None, T0.plus_secs(60)), T0)
            .await
            .unwrap()
            .applied
    );
    // The add arriving again, late, does not bring the relationship back.
    assert!(!s.record_relationship(&change(RelationshipStatus::Active, Some("ch_1"), T0), T0).await.unwrap().applied);
    let r = s.relationships("wmA").await.unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].status, r[0].state.as_deref()), (RelationshipStatus::DeletedByCustomer, Some("ch_1")));
    assert_eq!((r[0].added_at, r[0].ended_at), (Some(T0), Some(T0.plus_secs(60))));
    // Added again later: active, with the end cleared and the original state kept.
    assert!(
        s.record_relationship(&change(RelationshipStatus::Active, None, T0.plus_secs(120)), T0).await.unwrap().applied
    );
    let r = s.relationships("wmA").await.unwrap();
    assert_eq!((r[0].status, r[0].ended_at, r[0].state.as_deref()), (RelationshipStatus::Active, None, Some("ch_1")));
    assert_eq!(r[0].added_at, Some(T0.plus_secs(120)));
}

pub async fn channel_codes_and_their_daily_figures(s: Arc<dyn Store>) {
    use siyu_domain::channel::{Assignment, ChannelKind, Welcome};
    let b = seed_bank(&*s).await;
    let new = NewChannelCode {
        name: "陆家嘴网点海报".into(),
        kind: ChannelKind::BranchPoster,
        sub_branch_id: Some(b.sb1),
        assignment: Assignment::RoundRobin { sub_branch_id: b.sb1 },
        welcome: Welcome { item: Some(siyu_domain::ContentItemId::new(7)) },
        tags: vec!["网点海报".into()],
        controls: Default::default(),
        created_by: Some(b.manager.id),
        created_at: T0,
    };
    let c = s.create_channel_code(&new).await.unwrap();
    assert_eq!((c.state(), c.active, c.config_id.as_deref()), (format!("ch_{}", c.id.get()), true, None));
    s.set_channel_wecom(c.id, "cfg1", "https://qr/1", T0).await.unwrap();
    s.set_channel_staff(c.id, b.cm1.id, T0).await.unwrap();
    let got = s.channel_code(c.id).await.unwrap();
    assert_eq!(
        (got.config_id.as_deref(), got.current_staff_id, got.assignment.clone()),
        (Some("cfg1"), Some(b.cm1.id), new.assignment.clone())
    );
    let other = s.create_channel_code(&NewChannelCode { sub_branch_id: Some(b.sb2), ..new.clone() }).await.unwrap();
    assert_eq!(s.list_channel_codes(None, Page::first(10)).await.unwrap().total, 2);
    let mine = s.list_channel_codes(Some(&[b.sb2]), Page::first(10)).await.unwrap();
    assert_eq!(mine.items.iter().map(|c| c.id).collect::<Vec<_>>(), [other.id]);

    // Two adds on one day (UTC+8), one of them deleted the next day.
    let day1 = Timestamp::from_millis(1_767_196_800_000); // 2026-01-01 00:00 UTC+8
    let rel = |ext: &str, status, at| RelationshipChange {
        external_userid: ext.into(),
        staff_userid: "cm1".into(),
        status,
        state: Some(c.state()),
        event_at: at,
    };
    s.record_relationship(&rel("a", RelationshipStatus::Active, day1.plus_secs(3600)), T0).await.unwrap();
    s.record_relationship(&rel("b", RelationshipStatus::Active, day1.plus_secs(7200)), T0).await.unwrap();
    s.record_relationship(&rel("b", RelationshipStatus::DeletedByCustomer, day1.plus_secs(86_400 + 60)), T0)
        .await
        .unwrap();
    let stats = s.channel_stats(&c.state()).await.unwrap();
    let d1 = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    assert_eq!(
        stats,
        [DayStat { day: d1, added: 2, deleted: 0 }, DayStat { day: d1.succ_opt().unwrap(), added: 0, deleted: 1 }]
    );
    assert_eq!(s.active_customers(&["cm1".into(), "cm9".into()]).await.unwrap(), [("cm1".to_string(), 1)]);
    s.set_channel_active(c.id, false, T0).await.unwrap();
    assert!(!s.channel_code(c.id).await.unwrap().active);
}

/// A rotating code's step is recorded with the add that made it: once per add, and only from where
/// the code points; a second add of an active relationship keeps the time it started.
pub async fn a_code_moves_on_once_per_add(s: Arc<dyn Store>) {
    use siyu_domain::channel::{Assignment, ChannelKind, Welcome};
    let b = seed_bank(&*s).await;
    let new = NewChannelCode {
        name: "海报".into(),
        kind: ChannelKind::BranchPoster,
        sub_branch_id: Some(b.sb1),
        assignment: Assignment::RoundRobin { sub_branch_id: b.sb1 },
        welcome: Welcome::default(),
        tags: Vec::new(),
        controls: Default::default(),
        created_by: None,
        created_at: T0,
    };
    let c = s.create_channel_code(&new).await.unwrap();
    s.set_channel_staff(c.id, b.cm1.id, T0).await.unwrap();
    assert!(!s.channel_rotated(c.id, "wmA|cm1|1").await.unwrap());
    assert!(s.record_rotation(c.id, "wmA|cm1|1", Some(b.cm1.id), b.cm2.id, T0).await.unwrap());
    assert!(s.channel_rotated(c.id, "wmA|cm1|1").await.unwrap());
    assert!(!s.record_rotation(c.id, "wmA|cm1|1", Some(b.cm2.id), b.cm1.id, T0).await.unwrap(), "once per add");
    assert!(
        !s.record_rotation(c.id, "wmB|cm2|2", Some(b.cm1.id), b.cm2.id, T0).await.unwrap(),
        "the code no longer points at cm1"
    );
    assert!(!s.channel_rotated(c.id, "wmB|cm2|2").await.unwrap(), "a refused step is not recorded");
    assert_eq!(s.channel_code(c.id).await.unwrap().current_staff_id, Some(b.cm2.id));

    let add = |at| RelationshipChange {
        external_userid: "wmA".into(),
        staff_userid: "cm1".into(),
        status: RelationshipStatus::Active,
        state: Some(c.state()),
        event_at: at,
    };
    s.record_relationship(&add(T0), T0).await.unwrap();
    assert!(s.record_relationship(&add(T0.plus_secs(5)), T0).await.unwrap().applied);
    assert_eq!(s.relationships("wmA").await.unwrap()[0].added_at, Some(T0), "still the add at T0");
}

/// A code's controls and turn, its figures today and in all, the contacts it brought in (all, or one
/// manager's), and its QR image kept once fetched.
pub async fn a_code_keeps_its_controls_figures_contacts_and_qr(s: Arc<dyn Store>) {
    use siyu_domain::channel::{Assignment, ChannelKind, Welcome};
    use siyu_domain::channel_controls::{ChannelControls, Window};
    let b = seed_bank(&*s).await;
    let controls = ChannelControls {
        daily_cap: Some(2),
        backup_staff_id: Some(b.cm2.id),
        schedules: Vec::new(),
        skip_verify_windows: vec![Window { days: vec![6, 7], from: "00:00".into(), to: "24:00".into() }],
    };
    let new = NewChannelCode {
        name: "海报".into(),
        kind: ChannelKind::BranchPoster,
        sub_branch_id: Some(b.sb1),
        assignment: Assignment::Named { staff_id: b.cm1.id },
        welcome: Welcome::default(),
        tags: Vec::new(),
        controls: controls.clone(),
        created_by: None,
        created_at: T0,
    };
    let c = s.create_channel_code(&new).await.unwrap();
    let plain = s.create_channel_code(&NewChannelCode { controls: Default::default(), ..new.clone() }).await.unwrap();
    assert_eq!((c.controls.clone(), c.skip_verify), (controls.clone(), true));
    assert!(s.channel_codes_with_controls().await.unwrap().is_empty(), "not at WeCom yet");
    s.set_channel_wecom(c.id, "cfg1", "https://qr/1", T0).await.unwrap();
    s.set_channel_wecom(plain.id, "cfg2", "https://qr/2", T0).await.unwrap();
    s.set_channel_staff(c.id, b.cm1.id, T0).await.unwrap();
    let with: Vec<_> = s.channel_codes_with_controls().await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(with, [c.id]);
    let fewer = ChannelControls { daily_cap: Some(5), ..controls.clone() };
    s.set_channel_controls(c.id, &fewer, T0).await.unwrap();
    assert_eq!(s.channel_code(c.id).await.unwrap().controls, fewer);
    assert!(s.set_channel_turn(c.id, Some(b.cm1.id), b.cm2.id, false, T0).await.unwrap());
    assert!(!s.set_channel_turn(c.id, Some(b.cm1.id), b.cm1.id, true, T0).await.unwrap(), "moved meanwhile");
    let got = s.channel_code(c.id).await.unwrap();
    assert_eq!((got.current_staff_id, got.skip_verify), (Some(b.cm2.id), false));

    // Yesterday one add; today two to cm1 and one to cm2, one of them deleted since.
    let today = T0.plus_secs(86_400);
    let rel = |ext: &str, staff: &str, status, at| RelationshipChange {
        external_userid: ext.into(),
        staff_userid: staff.into(),
        status,
        state: Some(c.state()),
        event_at: at,
    };
    s.record_relationship(&rel("wmY", "cm1", RelationshipStatus::Active, T0), T0).await.unwrap();
    for (ext, staff, secs) in [("wmA", "cm1", 10), ("wmB", "cm1", 20), ("wmC", "cm2", 30)] {
        s.record_relationship(&rel(ext, staff, RelationshipStatus::Active, today.plus_secs(secs)), today)
            .await
            .unwrap();
    }
    s.record_relationship(&rel("wmB", "cm1", RelationshipStatus::DeletedByCustomer, today.plus_secs(40)), today)
        .await
        .unwrap();
    let mut adds = s.channel_adds_since(&c.state(), today).await.unwrap();
    adds.sort();
    assert_eq!(adds, [("cm1".to_string(), 2), ("cm2".to_string(), 1)]);
    let figures = s.channel_figures(&[c.state(), plain.state()], today).await.unwrap();
    assert_eq!(figures, [ChannelFigures { state: c.state(), today: 3, total: 4 }], "a code with no adds has no row");
    assert!(s.channel_figures(&[], today).await.unwrap().is_empty());

    let all = s.channel_contacts(&c.state(), None, Page::first(10)).await.unwrap();
    assert_eq!(all.total, 4);
    let order: Vec<&str> = all.items.iter().map(|r| r.external_userid.as_str()).collect();
    assert_eq!(order, ["wmC", "wmB", "wmA", "wmY"], "newest first");
    assert_eq!(all.items[1].status, RelationshipStatus::DeletedByCustomer);
    let cm2s = s.channel_contacts(&c.state(), Some(&["cm2".to_string()]), Page::first(10)).await.unwrap();
    assert_eq!((cm2s.total, cm2s.items[0].external_userid.as_str()), (1, "wmC"));
    assert_eq!(s.channel_contacts(&c.state(), Some(&[]), Page::first(10)).await.unwrap().total, 0);

    assert_eq!(s.channel_qr_image(c.id).await.unwrap(), None);
    let png = QrImage {
        qr_code: "https://qr/1".into(),
        content_type: "image/png".into(),
        bytes: vec![0x89, 0, 255],
        fetched_at: T0,
    };
    s.save_channel_qr_image(c.id, &png).await.unwrap();
    let again = QrImage { bytes: vec![1, 2, 3, 4], fetched_at: today, ..png.clone() };
    s.save_channel_qr_image(c.id, &again).await.unwrap();
    assert_eq!(s.channel_qr_image(c.id).await.unwrap(), Some(again));
    assert_eq!(s.channel_qr_image(plain.id).await.unwrap(), None);
}

pub async fn groups_keep_their_membership_history(s: Arc<dyn Store>) {
    let g = GroupChatRecord {
        chat_id: "wr1".into(),
        name: "理财沙龙群".into(),
        owner_userid: "cm1".into(),
        member_version: "v1".into(),
        dismissed: false,
    };
    let m =
        |u: &str, t, at| GroupMemberRecord { member_userid: u.into(), member_type: t, joined_at: at, left_at: None };
    s.save_group(&g, &[m("cm1", 1, T0), m("wmA", 2, T0), m("wmB", 2, T0)], T0).await.unwrap();
    // A callback: wmC joins; wmA leaves; a late, older "join" of wmA does not bring them back.
    s.record_group_member("wr1", "wmC", 2, true, T0.plus_secs(10)).await.unwrap();
    s.record_group_member("wr1", "wmA", 2, false, T0.plus_secs(20)).await.unwrap();
    let (got, members) = s.group("wr1").await.unwrap();
    assert_eq!(got.name, "理财沙龙群");
    let present: Vec<&str> = members.iter().filter(|m| m.left_at.is_none()).map(|m| m.member_userid.as_str()).collect();
    assert_eq!(present, ["cm1", "wmB", "wmC"]);
    assert_eq!(s.groups_of("wmC").await.unwrap().len(), 1);
    assert!(s.groups_of("wmA").await.unwrap().is_empty());
    // A full read replaces the membership: wmB is gone now.
    let g2 = GroupChatRecord { member_version: "v2".into(), ..g.clone() };
    s.save_group(&g2, &[m("cm1", 1, T0), m("wmC", 2, T0.plus_secs(10))], T0.plus_secs(30)).await.unwrap();
    let (_, members) = s.group("wr1").await.unwrap();
    assert_eq!(members.iter().find(|m| m.member_userid == "wmB").unwrap().left_at, Some(T0.plus_secs(30)));
    // A group first heard of by callback exists as a placeholder.
    s.record_group_member("wr2", "wmD", 2, true, T0).await.unwrap();
    assert_eq!(s.groups_of("wmD").await.unwrap()[0].chat_id, "wr2");
    s.dismiss_group("wr1", T0).await.unwrap();
    assert!(s.groups_of("wmC").await.unwrap().is_empty(), "a dismissed group holds no one");
}

pub async fn tag_changes_reach_the_timeline(s: Arc<dyn Store>) {
    use siyu_domain::tag::TagKind;
    let b = seed_bank(&*s).await;
    s.upsert_customers(&[customer("T1", b.sb1, None), customer("T2", b.sb1, None)], &UpsertFields::all(), T0)
        .await
        .unwrap();
    let (t1, t2) = (
        s.customer_by_no(DataScope::All, "T1").await.unwrap().id,
        s.customer_by_no(DataScope::All, "T2").await.unwrap().id,
    );
    let g = s.create_tag_group("客群", T0).await.unwrap();
    assert!(matches!(s.create_tag_group("客群", T0).await, Err(StoreError::Conflict(_))));
    let new =
        NewTag { group_id: g.id, name: "代发".into(), kind: TagKind::Imported, sync_to_wecom: true, rule_text: None };
    let tag = s.create_tag(&new, T0).await.unwrap();
    assert_eq!((tag.group_name.as_str(), tag.kind, tag.sync_to_wecom), ("客群", TagKind::Imported, true));
    assert!(matches!(s.create_tag(&new, T0).await, Err(StoreError::Conflict(_))), "unique within its group");
    assert_eq!(s.tag_customers(tag.id, &[t1, t2], "import", T0).await.unwrap(), [t1, t2]);
    assert!(s.tag_customers(tag.id, &[t1], "import", T0.plus_secs(1)).await.unwrap().is_empty(), "already tagged");
    assert_eq!(s.tag_members(tag.id).await.unwrap(), [t1, t2]);
    assert_eq!(s.untag_customers(tag.id, &[t2], T0.plus_secs(2)).await.unwrap(), [t2]);
    assert_eq!(s.customer_tags(t1).await.unwrap()[0].name, "代发");
    assert!(s.customer_tags(t2).await.unwrap().is_empty());
    let timeline = s.customer_events(t2, Page::first(10)).await.unwrap();
    assert_eq!(
        timeline.items.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["tag_removed", "tag_added"],
        "newest first"
    );
    assert_eq!(s.tags().await.unwrap().len(), 1);
}

pub async fn tag_names_are_unique_and_tags_change(s: Arc<dyn Store>) {
    use siyu_domain::tag::TagKind;
    let g1 = s.create_tag_group("产品", T0).await.unwrap();
    let g2 = s.create_tag_group("兴趣", T0).await.unwrap();
    let new = |g: &TagGroup, name: &str| NewTag {
        group_id: g.id,
        name: name.into(),
        kind: TagKind::Rule,
        sync_to_wecom: false,
        rule_text: Some("aum_tier >= 4".into()),
    };
    let t = s.create_tag(&new(&g1, "高净值"), T0).await.unwrap();
    assert!(
        matches!(s.create_tag(&new(&g2, "高净值"), T0).await, Err(StoreError::Conflict(_))),
        "an expression names a tag by name alone, so names are unique across groups"
    );
    let changed = s
        .update_tag(t.id, &NewTag { rule_text: Some("aum_tier = 5".into()), ..new(&g2, "私行客户") }, T0)
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.group_name.as_str(), changed.rule_text.as_deref()),
        ("私行客户", "兴趣", Some("aum_tier = 5"))
    );
    s.set_tag_wecom_id(t.id, Some("etXYZ"), T0).await.unwrap();
    assert_eq!(s.tag(t.id).await.unwrap().wecom_tag_id.as_deref(), Some("etXYZ"));
    assert!(matches!(s.tag(siyu_domain::TagId::new(999)).await, Err(StoreError::NotFound)));
    assert_eq!(
        s.tag_groups().await.unwrap().iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["产品", "兴趣"],
        "in the order they were made"
    );
}

pub async fn wecom_changes_reach_the_timeline(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    s.upsert_customers(&[customer("W1", b.sb1, Some(&b.cm1))], &UpsertFields::all(), T0).await.unwrap();
    let id = s.customer_by_no(DataScope::All, "W1").await.unwrap().id;
    assert!(s.link_wecom(id, "wmW1", siyu_domain::customer::WecomLinkMethod::RemarkMobile, T0).await.unwrap());
    let change = |status, at| RelationshipChange {
        external_userid: "wmW1".into(),
        staff_userid: "cm1".into(),
        status,
        state: None,
        event_at: at,
    };
    let first = s.record_relationship(&change(RelationshipStatus::Active, T0), T0).await.unwrap();
    assert_eq!(first, RelationshipWrite { applied: true, timeline: Some(id) });
    // The same state again (a full sync re-reading the contact) is not a new event.
    s.record_relationship(&change(RelationshipStatus::Active, T0.plus_secs(5)), T0).await.unwrap();
    s.record_relationship(&change(RelationshipStatus::DeletedByCustomer, T0.plus_secs(60)), T0).await.unwrap();
    let kinds: Vec<String> =
        s.customer_events(id, Page::first(10)).await.unwrap().items.into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["wecom_deleted", "wecom_added"]);
}

pub async fn engine_feed_reads_facts_and_events(s: Arc<dyn Store>) {
    use siyu_domain::tag::TagKind;
    let b = seed_bank(&*s).await;
    let rows: Vec<NewCustomer> = (1..=5).map(|i| customer(&format!("F{i}"), b.sb2, Some(&b.cm2))).collect();
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let all = s.customer_facts(0, 3, None).await.unwrap();
    assert_eq!(all.len(), 3, "paged by limit");
    let f = &all[0];
    assert_eq!(
        (f.sub_branch_id, f.owner_id, f.aum_tier, f.risk_grade, f.payroll_day, f.credit_card, f.wealth),
        (b.sb2, Some(b.cm2.id), 2, Some(3), Some(15), true, false)
    );
    assert_eq!(f.birthday, chrono::NaiveDate::from_ymd_opt(1985, 5, 20));
    let rest = s.customer_facts(all[2].id.get(), 10, None).await.unwrap();
    assert_eq!(rest.len(), 2, "keyset paging continues after the last id");
    // A later write of one row: only it is changed since then.
    let mut moved = customer("F3", b.sb1, Some(&b.cm1));
    moved.aum_tier = siyu_domain::customer::AumTier::new(5).unwrap();
    s.upsert_customers(&[moved], &UpsertFields::all(), T0.plus_secs(100)).await.unwrap();
    let changed = s.customer_facts(0, 10, Some(T0.plus_secs(100))).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!((changed[0].sub_branch_id, changed[0].aum_tier), (b.sb1, 5));
    // Events since a time, in id order.
    let g = s.create_tag_group("组", T0).await.unwrap();
    let tag = s
        .create_tag(
            &NewTag { group_id: g.id, name: "t".into(), kind: TagKind::Manual, sync_to_wecom: false, rule_text: None },
            T0,
        )
        .await
        .unwrap();
    let ids: Vec<CustomerId> = all.iter().map(|f| f.id).collect();
    s.tag_customers(tag.id, &ids, "manual", T0.plus_secs(200)).await.unwrap();
    s.untag_customers(tag.id, &ids[..1], T0.plus_secs(300)).await.unwrap();
    let ev = s.events_since(T0.plus_secs(250), 0, 100).await.unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].customer_id, ev[0].kind.as_str()), (ids[0], "tag_removed"));
    let ev = s.events_since(T0, 0, 2).await.unwrap();
    assert_eq!(ev.len(), 2);
    assert!(ev[0].id < ev[1].id);
    // Customers by id keep the asked order and drop what is out of scope.
    let got = s.customers_by_ids(DataScope::All, &[ids[2], ids[0]]).await.unwrap();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[2], ids[0]]);
    let mut with_union = customer("F6", b.sb1, None);
    with_union.wechat_unionid = Some("oUnion123".into());
    s.upsert_customers(&[with_union], &UpsertFields::all(), T0).await.unwrap();
    let f6 = s.customer_by_no(DataScope::All, "F6").await.unwrap().id;
    assert_eq!(s.customers_by_unionid("oUnion123").await.unwrap(), [f6]);
    assert!(s.customers_by_unionid("oOther").await.unwrap().is_empty());
    let by_no = s.customer_ids_by_numbers(&["F2".into(), "NOPE".into()]).await.unwrap();
    assert_eq!(by_no.len(), 1);
    assert_eq!(by_no["F2"], ids[1]);
    let scoped = s.customers_by_ids(DataScope::OwnedBy(b.cm1.id), &ids).await.unwrap();
    assert_eq!(scoped.iter().map(|c| c.customer_no.as_str()).collect::<Vec<_>>(), ["F3"]);
}

pub async fn audiences_record_who_entered_and_left(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let rows: Vec<NewCustomer> = (1..=4).map(|i| customer(&format!("A{i}"), b.sb1, None)).collect();
    s.upsert_customers(&rows, &UpsertFields::all(), T0).await.unwrap();
    let ids: Vec<CustomerId> = s.customer_facts(0, 10, None).await.unwrap().iter().map(|f| f.id).collect();
    let new = NewAudience {
        name: "高净值".into(),
        expr: "aum_tier >= 4".into(),
        description: String::new(),
        created_by: Some(b.cm1.id),
    };
    let a = s.create_audience(&new, T0).await.unwrap();
    assert_eq!((a.member_count, a.refreshed_at), (0, None));
    assert!(matches!(s.create_audience(&new, T0).await, Err(StoreError::Conflict(_))), "names are unique");
    let c = s.refresh_audience(a.id, &ids[..3], T0.plus_secs(1)).await.unwrap();
    assert_eq!(c, MembershipChange { entered: 3, exited: 0 });
    let c = s.refresh_audience(a.id, &ids[..3], T0.plus_secs(2)).await.unwrap();
    assert_eq!(c, MembershipChange::default(), "the same members again change nothing");
    let c = s.refresh_audience(a.id, &ids[1..], T0.plus_secs(3)).await.unwrap();
    assert_eq!(c, MembershipChange { entered: 1, exited: 1 });
    assert_eq!(s.audience_members(a.id).await.unwrap(), ids[1..]);
    let got = s.audience(a.id).await.unwrap();
    assert_eq!((got.member_count, got.refreshed_at), (3, Some(T0.plus_secs(3))));
    let kinds = |i: usize| {
        let s = s.clone();
        let id = ids[i];
        async move {
            s.customer_events(id, Page::first(10)).await.unwrap().items.into_iter().map(|e| e.kind).collect::<Vec<_>>()
        }
    };
    assert_eq!(kinds(0).await, ["audience_exited", "audience_entered"]);
    assert_eq!(kinds(3).await, ["audience_entered"]);
    let renamed =
        s.update_audience(a.id, &NewAudience { name: "私行".into(), ..new.clone() }, T0.plus_secs(4)).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.member_count), ("私行", 3));
    assert_eq!(s.audiences().await.unwrap().len(), 1);
    assert!(matches!(s.audience(siyu_domain::AudienceId::new(99)).await, Err(StoreError::NotFound)));
}

pub async fn saved_expressions_follow_a_sub_branch_code(s: Arc<dyn Store>) {
    use siyu_domain::tag::TagKind;
    let b = seed_bank(&*s).await;
    let g = s.create_tag_group("网点", T0).await.unwrap();
    let rule = |text: &str| NewTag {
        group_id: g.id,
        name: "一号网点".into(),
        kind: TagKind::Rule,
        sync_to_wecom: false,
        rule_text: Some(text.into()),
    };
    let tag = s.create_tag(&rule(r#"sub_branch = "SB1""#), T0).await.unwrap();
    let audience = |name: &str, expr: &str| NewAudience {
        name: name.into(),
        expr: expr.into(),
        description: String::new(),
        created_by: None,
    };
    let a = s.create_audience(&audience("两个网点", r#"sub_branch in ["SB1", "SB2"]"#), T0).await.unwrap();
    let other = s.create_audience(&audience("高净值", "aum_tier >= 4"), T0).await.unwrap();
    let unit = |code: &str| NewOrgUnit {
        kind: OrgUnitKind::SubBranch,
        parent_id: Some(b.branch),
        code: code.into(),
        name: "一号".into(),
        location: Some(GeoPoint { lat: 31.2, lng: 121.5 }),
    };
    s.update_org_unit(b.sb1, &unit("SB9"), T0.plus_secs(1)).await.unwrap();
    assert_eq!(s.org_unit(b.sb1).await.unwrap().code, "SB9");
    assert_eq!(s.tag(tag.id).await.unwrap().rule_text.as_deref(), Some(r#"sub_branch = "SB9""#));
    assert_eq!(s.audience(a.id).await.unwrap().expr, r#"sub_branch in ["SB9", "SB2"]"#);
    assert_eq!(s.audience(other.id).await.unwrap().expr, "aum_tier >= 4", "others untouched");
    // A code saved expressions name about no unit is given to none, and nothing changes.
    s.create_audience(&audience("未开业", r#"sub_branch = "SB7""#), T0).await.unwrap();
    assert!(matches!(s.create_org_unit(&unit("SB7"), T0).await, Err(StoreError::Conflict(m)) if m.contains("未开业")));
    assert!(matches!(s.update_org_unit(b.sb2, &unit("SB7"), T0).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.org_unit(b.sb2).await.unwrap().code, "SB2");
    assert_eq!(s.audience(a.id).await.unwrap().expr, r#"sub_branch in ["SB9", "SB2"]"#, "rolled back");
    assert!(matches!(s.update_org_unit(OrgUnitId::new(999), &unit("SB8"), T0).await, Err(StoreError::NotFound)));
}
