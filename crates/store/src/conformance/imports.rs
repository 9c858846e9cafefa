//! Conformance checks for the import's friendlier side: the dry run's preview counts what the upsert
//! then does, remembered column mappings, and "needs mapping" as a state of its own.

use std::sync::Arc;

use siyu_domain::Timestamp;
use siyu_domain::customer::{AumTier, Gender, IdType, RiskAssessment, RiskGrade};
use siyu_domain::import::Field;
use siyu_domain::scope::DataScope;

use super::{T0, customer, seed_bank};
use crate::*;

/// For one set of fields, a preview of `rows` and then the upsert count alike, and the preview wrote
/// nothing.
async fn preview_then_upsert(s: &Arc<dyn Store>, rows: &[NewCustomer], fields: &UpsertFields, at: Timestamp) {
    let before = s.list_customers(DataScope::All, &CustomerFilter::default(), Page::first(1)).await.unwrap().total;
    let preview = s.preview_upsert(rows, fields).await.unwrap();
    let after = s.list_customers(DataScope::All, &CustomerFilter::default(), Page::first(1)).await.unwrap().total;
    assert_eq!(before, after, "a preview inserts nothing");
    let done = s.upsert_customers(rows, fields, at).await.unwrap();
    assert_eq!(preview, done, "fields {:?}", fields.0);
}

pub async fn import_preview_counts_what_the_upsert_does(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let stored: Vec<_> = (0..20).map(|i| customer(&format!("P{i}"), b.sb1, Some(&b.cm1))).collect();
    s.upsert_customers(&stored, &UpsertFields::all(), T0).await.unwrap();
    // One row per kind of change, each in a column the upsert compares; the rest as stored.
    let mut rows = stored.clone();
    rows[0].name = "改名".into();
    rows[1].phone.as_mut().unwrap().index = b"idx-other".to_vec();
    rows[2].phone = None;
    rows[3].id_number = Some(SealedPii { cipher: vec![7], index: b"id-3".to_vec(), masked: "E1***3".into() });
    rows[3].id_type = Some(IdType::Passport);
    rows[4].gender = Gender::Male;
    rows[5].birthday = None;
    rows[6].sub_branch_id = b.sb2;
    rows[7].owner_id = None;
    rows[8].aum_tier = AumTier::new(5).unwrap();
    rows[9].segments.payroll_day = Some(1);
    rows[10].segments.credit_card = false;
    rows[11].risk = Some(RiskAssessment {
        grade: RiskGrade::new(3).unwrap(),
        assessed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
    });
    rows[12].consent.group = true;
    rows[13].wecom_external_userid = Some("wm-13".into());
    rows[14].wechat_unionid = Some("union-14".into());
    // Fresh ciphertext of the same number is no change.
    rows[15].phone.as_mut().unwrap().cipher = vec![9, 9];
    // More new rows than one statement asks about.
    rows.extend((0..1100).map(|i| customer(&format!("N{i}"), b.sb1, None)));

    // A file of a few columns compares those only: the name and the tier here.
    let few = UpsertFields(vec![Field::Name, Field::AumTier, Field::SubBranchCode]);
    let c = s.preview_upsert(&rows, &few).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 1100, updated: 3, unchanged: 17 });
    // Every column: each changed row is an update, the rest unchanged.
    let all = UpsertFields::all();
    let c = s.preview_upsert(&rows, &all).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 1100, updated: 15, unchanged: 5 });
    preview_then_upsert(&s, &rows, &all, T0.plus_secs(1)).await;
    // Once written, the same rows preview as unchanged.
    let c = s.preview_upsert(&rows, &all).await.unwrap();
    assert_eq!(c, UpsertCounts { inserted: 0, updated: 0, unchanged: 1120 });
    // Every field alone, against a row that differs in everything.
    let mut other = customer("P0", b.sb2, Some(&b.cm2));
    other.name = "另一个".into();
    other.phone.as_mut().unwrap().index = b"idx-else".to_vec();
    other.id_number = Some(SealedPii { cipher: vec![7], index: b"id-x".to_vec(), masked: "E1***3".into() });
    other.id_type = Some(IdType::Passport);
    other.gender = Gender::Male;
    other.birthday = chrono::NaiveDate::from_ymd_opt(1990, 1, 1);
    other.aum_tier = AumTier::new(4).unwrap();
    other.segments =
        siyu_domain::customer::Segments { payroll_day: Some(3), credit_card: false, wealth: true, loan: true };
    other.risk = Some(RiskAssessment { grade: RiskGrade::new(4).unwrap(), assessed_on: T0.bank_date() });
    other.consent =
        siyu_domain::customer::Consent { one_to_one: false, moments: false, group: true, personalised: false };
    other.wecom_external_userid = Some("wm-x".into());
    other.wechat_unionid = Some("union-x".into());
    for f in UpsertFields::all().0 {
        let fields = UpsertFields(vec![f]);
        let preview = s.preview_upsert(std::slice::from_ref(&other), &fields).await.unwrap();
        assert_eq!(preview, UpsertCounts { inserted: 0, updated: 1, unchanged: 0 }, "{f:?}");
    }
}

pub async fn column_mappings_are_remembered_per_header_set(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    assert_eq!(s.remembered_mapping("k1").await.unwrap(), None);
    s.remember_mapping("k1", r#"{"手机":"phone"}"#, Some(b.cm1.id), T0).await.unwrap();
    s.remember_mapping("k2", r#"{"备注":"ignore"}"#, None, T0).await.unwrap();
    assert_eq!(s.remembered_mapping("k1").await.unwrap().as_deref(), Some(r#"{"手机":"phone"}"#));
    // A later choice for the same headers replaces the earlier one.
    s.remember_mapping("k1", r#"{"手机":"ignore"}"#, None, T0.plus_secs(1)).await.unwrap();
    assert_eq!(s.remembered_mapping("k1").await.unwrap().as_deref(), Some(r#"{"手机":"ignore"}"#));
    assert_eq!(s.remembered_mapping("k2").await.unwrap().as_deref(), Some(r#"{"备注":"ignore"}"#));
}

pub async fn an_unmapped_import_waits_for_its_mapping(s: Arc<dyn Store>) {
    let new = NewImport {
        file_name: "c.csv".into(),
        stored_path: "/tmp/c.csv".into(),
        mapping_json: String::new(),
        created_by: None,
        created_at: T0,
    };
    let id = s.create_import(&new).await.unwrap();
    let unmapped = ImportValidation {
        status: ImportStatus::NeedsMapping,
        headers_json: "[\"客户号\",\"备注\"]".into(),
        file_error: Some("无法识别的列 / unknown columns: 备注".into()),
        total_rows: 0,
        good_rows: 0,
        bad_rows: 0,
        preview: UpsertCounts::default(),
        remembered_mapping: None,
    };
    s.record_validation(id, &unmapped, &[], T0).await.unwrap();
    let rec = s.import(id).await.unwrap();
    assert_eq!((rec.status, rec.mapping_remembered), (ImportStatus::NeedsMapping, false));
    assert!(s.start_commit(id, T0).await.is_err(), "nothing to commit before it maps");
    let stale = s.stale_uploads(T0.plus_secs(1), 10).await.unwrap();
    assert!(stale.iter().any(|r| r.id == id), "an unmapped upload is cleaned up like the others");

    s.restart_validation(id, r#"{"备注":"ignore"}"#, T0.plus_secs(2)).await.unwrap();
    let mapped = ImportValidation {
        status: ImportStatus::Validated,
        file_error: None,
        total_rows: 10,
        good_rows: 9,
        bad_rows: 1,
        preview: UpsertCounts { inserted: 4, updated: 3, unchanged: 2 },
        ..unmapped.clone()
    };
    s.record_validation(id, &mapped, &[], T0.plus_secs(3)).await.unwrap();
    let rec = s.import(id).await.unwrap();
    assert_eq!((rec.status, rec.preview), (ImportStatus::Validated, mapped.preview));
    assert_eq!(rec.mapping_json, r#"{"备注":"ignore"}"#, "no remembered mapping: the operator's stays");

    // A dry run that used a remembered mapping records it as the import's, and says so; a re-run
    // starts from nothing again.
    s.restart_validation(id, "", T0.plus_secs(4)).await.unwrap();
    assert_eq!(s.import(id).await.unwrap().preview, UpsertCounts::default());
    let remembered = ImportValidation { remembered_mapping: Some(r#"{"备注":"name"}"#.into()), ..mapped };
    s.record_validation(id, &remembered, &[], T0.plus_secs(5)).await.unwrap();
    let rec = s.import(id).await.unwrap();
    assert_eq!((rec.mapping_json.as_str(), rec.mapping_remembered), (r#"{"备注":"name"}"#, true));
}
