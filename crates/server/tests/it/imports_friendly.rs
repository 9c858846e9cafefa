//! The import as an operator meets it: the template in both languages uploads back cleanly, the
//! console's own export re-imports unchanged (masked numbers never overwrite real ones), a column
//! mapping is remembered for its header row, "needs mapping" is its own state, and the dry run
//! previews new / updated / unchanged / rejected rows with a bar coloured by outcome.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use siyu_domain::lang::Lang;
use siyu_domain::scope::DataScope;

use super::imports::{commit, dry_run, upload};
use crate::common::{Session, TestApp, spawn_app_with};

async fn get_bytes(app: &TestApp, s: &Session, path: &str) -> (StatusCode, Vec<u8>) {
    let r = s.client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

async fn page(app: &TestApp, s: &Session, path: &str) -> String {
    s.client.get(app.url(path)).send().await.unwrap().text().await.unwrap()
}

fn counts(v: &serde_json::Value, at: &str) -> (i64, i64, i64) {
    let c = if at.is_empty() { v } else { &v[at] };
    (c["inserted"].as_i64().unwrap(), c["updated"].as_i64().unwrap(), c["unchanged"].as_i64().unwrap())
}

/// A customer with a phone number on record, and the code of their sub-branch.
async fn customer_with_phone(app: &TestApp) -> (siyu_domain::customer::Customer, String) {
    let all = siyu_store::Page::first(100);
    let p = app.state.store.list_customers(DataScope::All, &Default::default(), all).await.unwrap();
    let c = p.items.into_iter().find(|c| c.phone_masked.is_some()).expect("a customer with a phone");
    let units = app.state.store.org_units().await.unwrap();
    let code = units.into_iter().find(|u| u.id == c.sub_branch_id).unwrap().code;
    (c, code)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap().trim_start_matches('\u{feff}').to_owned()
}

#[tokio::test]
async fn the_template_comes_in_both_languages_and_uploads_back_cleanly() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let list = page(&app, &hq, "/imports").await;
    assert!(list.contains("href=\"/imports/template.xlsx\"") && list.contains("href=\"/imports/template.csv\""));
    for (lang, first) in
        [("zh", "*客户号,*姓名,*网点代码,客户经理工号"), ("en", "*customer_no,*name,*sub_branch_code,owner")]
    {
        let (status, csv) = get_bytes(&app, &hq, &format!("/imports/template.csv?lang={lang}")).await;
        assert_eq!(status, StatusCode::OK);
        let csv = text(&csv);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "header, notes, example:\n{csv}");
        assert!(lines[0].starts_with(first), "{}", lines[0]);
        assert_eq!(lines[0].split(',').count(), 24, "every field but ignore");
        assert!(lines.iter().all(|l| l.split(',').all(|c| !c.starts_with(['=', '+', '@']))), "no formula");
        // As it came: recognised headers, notes and example skipped, nothing to import.
        let v = dry_run(&app, &hq, &format!("template-{lang}.csv"), csv.clone().into_bytes()).await;
        assert_eq!(v["status"], "validated", "{v}");
        assert_eq!((v["total_rows"].as_i64(), v["bad_rows"].as_i64()), (Some(0), Some(0)));
        // The example row, unmarked and given a manager of this bank, is a good row.
        let example = lines[2].replacen("示例：", "", 1).replacen("Example: ", "", 1).replace("cm001", "cm_sh01_1");
        let filled = format!("{}\n{}\n{}\n", lines[0], lines[1], example);
        let v = dry_run(&app, &hq, &format!("filled-{lang}.csv"), filled.into_bytes()).await;
        assert_eq!((v["good_rows"].as_i64(), v["bad_rows"].as_i64()), (Some(1), Some(0)), "{lang}: {v}");
        assert_eq!(counts(&v, "preview"), (1, 0, 0));

        let (status, xlsx) = get_bytes(&app, &hq, &format!("/imports/template.xlsx?lang={lang}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(xlsx.starts_with(b"PK"), "an xlsx is a zip");
        let v = dry_run(&app, &hq, &format!("template-{lang}.xlsx"), xlsx).await;
        assert_eq!((v["status"].as_str(), v["total_rows"].as_i64()), (Some("validated"), Some(0)), "{v}");
    }
    // Without `lang` (or with one siyu does not have) the viewer's language is used.
    hq.client.get(app.url("/lang/en")).send().await.unwrap();
    let (_, csv) = get_bytes(&app, &hq, "/imports/template.csv?lang=fr").await;
    assert!(text(&csv).starts_with("*customer_no"));
    // Only those who may import get it.
    let cm = app.login("cm_sh01_1").await;
    let (status, _) = get_bytes(&app, &cm, "/imports/template.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_consoles_export_imports_back_unchanged_in_both_languages() {
    let app = spawn_app_with(60).await;
    let hq = app.login("hq01").await;
    let (_, a) = hq.post_json(&app, "/api/v1/audiences", json!({"name": "全部", "expr": "aum_tier >= 1"})).await;
    let id = a["id"].as_str().unwrap().to_owned();
    let members = a["member_count"].as_i64().unwrap();
    assert_eq!(members, 60);
    let (before, _) = customer_with_phone(&app).await;
    assert!(before.phone_masked.is_some());
    for lang in ["zh", "en"] {
        hq.client.get(app.url(&format!("/lang/{lang}"))).send().await.unwrap();
        for format in ["csv", "xlsx"] {
            let (status, file) = get_bytes(&app, &hq, &format!("/audiences/{id}/export?format={format}")).await;
            assert_eq!(status, StatusCode::OK);
            if format == "csv" {
                let head = text(&file);
                let head = head.lines().next().unwrap();
                let want =
                    if lang == "zh" { "客户号,姓名,手机号(脱敏)" } else { "customer_no,name,phone (masked)" };
                assert!(head.starts_with(want), "{head}");
            }
            let v = dry_run(&app, &hq, &format!("export-{lang}.{format}"), file).await;
            assert_eq!(v["status"], "validated", "{lang} {format}: {v}");
            assert_eq!((v["good_rows"].as_i64(), v["bad_rows"].as_i64()), (Some(members), Some(0)), "{v}");
            assert_eq!(counts(&v, "preview"), (0, 0, members), "{lang} {format}");
            let done = commit(&app, &hq, v["id"].as_str().unwrap()).await;
            assert_eq!(counts(&done, ""), (0, 0, members), "{lang} {format}");
        }
    }
    let after = app.state.store.customer_by_no(DataScope::All, &before.customer_no).await.unwrap();
    assert_eq!(after, before, "a masked column leaves the stored numbers as they were");
}

#[tokio::test]
async fn a_masked_number_in_a_phone_column_never_overwrites_the_real_one() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let (c, unit) = customer_with_phone(&app).await;
    let masked = c.phone_masked.clone().unwrap();
    let csv = format!("客户号,姓名,网点代码,手机号\n{},{},{unit},{masked}\n", c.customer_no, c.name);
    let v = dry_run(&app, &hq, "masked.csv", csv.into_bytes()).await;
    assert_eq!((v["good_rows"].as_i64(), v["bad_rows"].as_i64()), (Some(0), Some(1)));
    let (_, p) = hq.get_json(&app, &format!("/api/v1/imports/{}/problems", v["id"].as_str().unwrap())).await;
    assert_eq!(p["items"][0]["code"], "masked_number", "{p}");
    let stored = app.state.store.customer_by_no(DataScope::All, &c.customer_no).await.unwrap();
    assert_eq!(stored.phone_masked, c.phone_masked);
}

#[tokio::test]
async fn an_unmapped_file_needs_mapping_and_its_mapping_is_remembered() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let file = |no: &str| format!("客户号,姓名,网点代码,移动电话,备注\n{no},王芳,SH01,13800001234,VIP\n").into_bytes();
    let v = dry_run(&app, &hq, "a.csv", file("R1")).await;
    assert_eq!(v["status"], "needs_mapping", "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    // The page names the state in the viewer's words and opens the mapping.
    let html = page(&app, &hq, &format!("/imports/{id}")).await;
    assert!(html.contains("待映射") && !html.contains("已拒绝") && html.contains("id=\"needs-mapping\""));
    assert!(html.contains("<details class=\"card\" id=\"remap\" open>"));
    assert!(!html.contains("id=\"outcome-bar\"") && !html.contains("id=\"progress-bar\""), "no bar for no rows");
    hq.client.get(app.url("/lang/en")).send().await.unwrap();
    let html = page(&app, &hq, &format!("/imports/{id}")).await;
    assert!(html.contains("Needs mapping") && !html.contains("待映射") && !html.contains("unknown columns"));
    // A file that cannot be committed yet.
    let r = hq
        .client
        .post(app.url(&format!("/api/v1/imports/{id}/commit")))
        .header("x-csrf-token", &hq.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let remap = |id: String, phone: &'static str| {
        let hq = &hq;
        let app = &app;
        async move {
            let form = [
                ("csrf", hq.csrf.as_str()),
                ("col0", "customer_no"),
                ("col1", "name"),
                ("col2", "sub_branch_code"),
                ("col3", phone),
                ("col4", "ignore"),
            ];
            let r = hq.client.post(app.url(&format!("/imports/{id}/remap"))).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            app.import_after_jobs(hq, &id, "validating").await
        }
    };
    let v = remap(id.clone(), "phone").await;
    assert_eq!((v["status"].as_str(), v["good_rows"].as_i64()), (Some("validated"), Some(1)), "{v}");
    assert_eq!(v["mapping_remembered"], false, "the operator's own choice");

    // The same headers again, however spelled, are mapped at once, and the page says so.
    let spelled = "客户号,姓名,网点代码,移动 电话,备注\nR2,李雷,SH01,13800001235,\n".as_bytes().to_vec();
    let v = dry_run(&app, &hq, "b.csv", spelled).await;
    assert_eq!((v["status"].as_str(), v["mapping_remembered"].as_bool()), (Some("validated"), Some(true)), "{v}");
    let second = v["id"].as_str().unwrap().to_owned();
    let html = page(&app, &hq, &format!("/imports/{second}")).await;
    assert!(html.contains("id=\"mapping-remembered\""));
    let done = commit(&app, &hq, &second).await;
    assert_eq!(counts(&done, ""), (1, 0, 0));
    let r2 = app.state.store.customer_by_no(DataScope::All, "R2").await.unwrap();
    assert_eq!(r2.phone_masked.as_deref(), Some("138****1235"), "the remembered mapping reached the commit");

    // The operator can still change it; the change is what the next upload gets.
    let v = dry_run(&app, &hq, "c.csv", file("R3")).await;
    let v = remap(v["id"].as_str().unwrap().to_owned(), "ignore").await;
    assert_eq!(v["status"], "validated");
    let v = dry_run(&app, &hq, "d.csv", file("R4")).await;
    assert!(v["mapping_json"].as_str().unwrap().contains(r#""移动电话":"ignore""#), "{v}");
    // Each choice that set or changed the remembered mapping is in the audit log: who, which header set
    // and which column became what, never the file's words or data. An upload it mapped adds nothing.
    let auditor = app.login("admin").await;
    // In the reader's language: the console's own calls follow its language switch.
    auditor.client.get(app.url("/lang/en")).send().await.unwrap();
    let (s, log) = auditor.get_json(&app, "/api/v1/audit?action=mapping_remembered").await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "the first choice and its change: {log}");
    let told: Vec<String> = entries
        .iter()
        .map(|e| {
            assert_eq!((e["actor"].as_str(), e["staff_id"].is_null()), (Some("hq01"), false), "{e}");
            let detail = e["detail"].as_str().unwrap();
            assert!(!detail.starts_with('{'), "words, not the stored form: {detail}");
            siyu_app::stored_text::decode(detail).render(Lang::En)
        })
        .collect();
    let changed = told.iter().find(|t| t.contains("column 4 Mobile phone → Ignore this column")).expect("the change");
    assert!(changed.starts_with("Header set ") && !changed.contains("column 1"), "{changed}");
    let first = told.iter().find(|t| *t != changed).unwrap();
    assert!(first.contains("column 1 read by its header → Customer number"), "{first}");
    for t in &told {
        assert!(!t.contains("移动电话") && !t.contains("13800001234") && !t.contains("王芳"), "{t}");
    }
    // Other headers are not mapped by it.
    let v = dry_run(&app, &hq, "e.csv", "客户号,姓名,网点代码,移动电话\nR5,王,SH01,1\n".as_bytes().to_vec()).await;
    assert_eq!(v["status"], "needs_mapping");

    // A system sending the same file with an API token is read by its own mapping alone: an
    // operator's choice never rewires a feed unseen.
    let admin = app.login("admin").await;
    let (_, token) = admin
        .post_json(&app, "/api/v1/tokens", serde_json::json!({"name": "核心系统", "scopes": ["customers:import"]}))
        .await;
    let form = Form::new().part("file", Part::bytes(file("R6")).file_name("feed.csv")).text("mapping", "");
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/imports"))
        .bearer_auth(token["secret"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{}", r.text().await.unwrap());
    let fed: serde_json::Value = r.json().await.unwrap();
    let v = app.import_after_jobs(&hq, fed["id"].as_str().unwrap(), "validating").await;
    assert_eq!((v["status"].as_str(), v["mapping_remembered"].as_bool()), (Some("needs_mapping"), Some(false)), "{v}");
}

#[tokio::test]
async fn the_dry_run_previews_new_updated_unchanged_and_rejected_rows() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let first = "客户号,姓名,网点代码,资产层级\nP1,甲,SH01,1\nP2,乙,SH01,2\n".as_bytes().to_vec();
    let v = dry_run(&app, &hq, "first.csv", first).await;
    assert_eq!(counts(&v, "preview"), (2, 0, 0));
    commit(&app, &hq, v["id"].as_str().unwrap()).await;

    let next = "客户号,姓名,网点代码,资产层级\nP1,甲,SH01,1\nP2,乙,SH01,4\nP3,丙,SH01,1\nP4,丁,NOPE,1\n";
    let v = dry_run(&app, &hq, "next.csv", next.as_bytes().to_vec()).await;
    assert_eq!(counts(&v, "preview"), (1, 1, 1), "P3 new, P2 changed, P1 as it was");
    assert_eq!(v["bad_rows"], 1);
    let id = v["id"].as_str().unwrap().to_owned();
    let html = page(&app, &hq, &format!("/imports/{id}")).await;
    for kind in ["new", "updated", "unchanged", "rejected"] {
        assert!(html.contains(&format!("seg-{kind}\" data-kind=\"{kind}\" style=\"width: 25.00%\"")), "{kind}");
    }
    assert!(html.contains("将新增") && html.contains("将更新"));
    let done = commit(&app, &hq, &id).await;
    assert_eq!(counts(&done, ""), counts(&v, "preview"), "the commit does what the dry run said");
    let html = page(&app, &hq, &format!("/imports/{id}")).await;
    assert!(html.contains("已新增") && html.contains("seg-updated\" data-kind=\"updated\" style=\"width: 25.00%\""));

    // No good row: the bar is all rejected, nothing to commit.
    let v = dry_run(&app, &hq, "bad.csv", "客户号,姓名,网点代码\nX1,甲,NOPE\n".as_bytes().to_vec()).await;
    let html = page(&app, &hq, &format!("/imports/{}", v["id"].as_str().unwrap())).await;
    assert!(html.contains("seg-rejected\" data-kind=\"rejected\" style=\"width: 100.00%\""));
    assert!(html.contains("seg-new\" data-kind=\"new\" style=\"width: 0.00%\""));
    assert!(html.contains("id=\"no-good-rows\"") && !html.contains("id=\"commit\""));
}

#[tokio::test]
async fn bad_mappings_are_refused_before_the_work() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let csv = "客户号,姓名,网点代码\nA1,甲,SH01\n".as_bytes().to_vec();
    // Too long, too many columns, not a mapping: refused at upload, nothing stored.
    let long = format!(r#"{{"{}":"ignore"}}"#, "长".repeat(30_000));
    let many: serde_json::Map<String, serde_json::Value> =
        (0..600).map(|i| (format!("c{i}"), json!("ignore"))).collect();
    let many = serde_json::Value::Object(many).to_string();
    for bad in [long.as_str(), many.as_str(), r#"{"备注":"no_such_field"}"#, "[1,2]"] {
        let r = upload(&app, &hq, "x.csv", csv.clone(), bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_mapping", "{v}");
    }
    assert_eq!(app.state.store.list_imports(siyu_store::Page::first(5)).await.unwrap().total, 0);
    // A committed import cannot be mapped again; form fields for columns the file lacks are ignored.
    let v = dry_run(&app, &hq, "x.csv", csv).await;
    let id = v["id"].as_str().unwrap().to_owned();
    let r = hq
        .client
        .post(app.url(&format!("/imports/{id}/remap")))
        .form(&[
            ("csrf", hq.csrf.as_str()),
            ("col0", "customer_no"),
            ("col1", "name"),
            ("col2", "sub_branch_code"),
            ("col999", "phone"),
            ("colx", "phone"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = app.import_after_jobs(&hq, &id, "validating").await;
    assert_eq!(v["status"], "validated", "{v}");
    assert!(!v["mapping_json"].as_str().unwrap().contains("phone"));
    commit(&app, &hq, &id).await;
    let r = hq
        .client
        .post(app.url(&format!("/imports/{id}/remap")))
        .form(&[("csrf", hq.csrf.as_str()), ("col0", "customer_no")])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::SEE_OTHER, "a committed import is not mapped again");
    let (_, v) = hq.get_json(&app, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(v["status"], "committed");
}
