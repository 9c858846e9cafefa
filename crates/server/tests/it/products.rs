//! The product catalogue over HTTP: the import of CSV and XLSX product files (dry run, commit, every bad
//! row named, a bad file writing nothing, a re-import changing nothing), the template and the export
//! uploading back cleanly, the list's filters, the permission checked before the body, and the console's
//! upload, preview and confirm.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

const GOOD: &str = "产品代码,产品名称,产品类型,风险等级,发行机构,是否在售\n\
    WM90,稳享系列理财 90天,理财,R2,本行理财子公司,是\n\
    CD3Y,三年期大额存单,大额存单,,本行,在售\n\
    F300,沪深300指数基金,基金,R4（中高风险）,华夏基金,是\n\
    IN1,年金保险,保险,中风险,中国人寿,停售\n\
    LN1,消费贷,贷款,,本行,是\n\
    CC1,白金信用卡,信用卡,,本行信用卡中心,\n";

async fn upload(
    app: &TestApp,
    s: &Session,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
    lang: &str,
) -> (StatusCode, Value) {
    // A session's API calls speak the console's language: the switch's cookie.
    s.client.get(app.url(&format!("/lang/{lang}"))).send().await.unwrap();
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let path = if dry_run { "/api/v1/products/import?dry_run=true" } else { "/api/v1/products/import" };
    let r = s.client.post(app.url(path)).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Imports `csv` as the catalogue (committed) as `s`, who may; for the other areas' tests that need
/// products.
pub async fn import_catalogue(app: &TestApp, s: &Session, csv: &str) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("products.csv"));
    let r = s.client.post(app.url("/api/v1/products/import")).header("x-csrf-token", &s.csrf).multipart(form);
    let done: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(done["committed"], true, "{done}");
}

fn counts(v: &Value) -> (u64, u64, u64) {
    (v["added"].as_u64().unwrap(), v["updated"].as_u64().unwrap(), v["unchanged"].as_u64().unwrap())
}

async fn download(app: &TestApp, s: &Session, path: &str) -> Vec<u8> {
    let r = s.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

async fn total(app: &TestApp, s: &Session, query: &str) -> u64 {
    let (st, v) = s.get_json(app, &format!("/api/v1/products?{query}")).await;
    assert_eq!(st, StatusCode::OK, "{query}: {v}");
    v["total"].as_u64().unwrap()
}

/// A dry run counts and writes nothing; the commit writes the file with an audit entry; the same file
/// again is all unchanged; a changed row is an update; the list filters as asked.
#[tokio::test]
async fn a_csv_catalogue_is_previewed_committed_and_re_imported_unchanged() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let (s, v) = upload(&app, &hq, "products.csv", GOOD.into(), true, "zh").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((counts(&v), v["committed"].as_bool(), v["rows"].as_u64()), ((6, 0, 0), Some(false), Some(6)), "{v}");
    assert_eq!(total(&app, &hq, "").await, 0, "a dry run writes nothing");

    let (s, v) = upload(&app, &hq, "products.csv", GOOD.into(), false, "zh").await;
    assert_eq!((s, counts(&v), v["committed"].as_bool()), (StatusCode::OK, (6, 0, 0), Some(true)), "{v}");
    let (s, v) = upload(&app, &hq, "products.csv", GOOD.into(), false, "zh").await;
    assert_eq!((s, counts(&v)), (StatusCode::OK, (0, 0, 6)), "the same file again changes nothing: {v}");
    let changed = GOOD.replace("白金信用卡", "白金信用卡（新版）");
    let (_, v) = upload(&app, &hq, "products.csv", changed.into_bytes(), false, "zh").await;
    assert_eq!(counts(&v), (0, 1, 5), "{v}");

    let cm = app.login("cm_sh01_1").await;
    assert_eq!(total(&app, &cm, "").await, 6, "every role reads the catalogue");
    assert_eq!(total(&app, &cm, "kind=fund").await, 1);
    assert_eq!(total(&app, &cm, "risk_grade=R4").await, 1);
    assert_eq!(total(&app, &cm, "risk_grade=3").await, 1, "中风险 is R3");
    assert_eq!(total(&app, &cm, "on_sale=false").await, 1, "停售");
    assert_eq!(total(&app, &cm, "q=%E5%AD%98%E5%8D%95").await, 1, "存单 in a name");
    assert_eq!(total(&app, &cm, "per_page=2&page=2").await, 6);
    let (s, v) = cm.get_json(&app, "/api/v1/products?kind=stock").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_query")), "{v}");
    let (_, page) = cm.get_json(&app, "/api/v1/products?q=F300").await;
    let f300 = &page["items"][0];
    assert_eq!((f300["kind"].as_str(), f300["risk_grade"].as_u64()), (Some("fund"), Some(4)), "{page}");
    let (s, one) = cm.get_json(&app, &format!("/api/v1/products/{}", f300["id"].as_str().unwrap())).await;
    assert_eq!((s, one["code"].as_str()), (StatusCode::OK, Some("F300")), "{one}");
    let (s, _) = cm.get_json(&app, "/api/v1/products/prd_999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let admin = app.login("admin").await;
    let (_, log) = admin.get_json(&app, "/api/v1/audit?action=products_imported").await;
    assert_eq!(log["total"], 3, "each commit is audited, a dry run is not: {log}");
    let detail =
        log["items"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap_or("")).collect::<Vec<_>>();
    assert!(detail.iter().any(|d| d.contains("products.csv") && d.contains('6')), "{detail:?}");
}

/// Each kind of bad row is named with its line, its column as the file heads it and the reason in the
/// reader's language; a file with any bad row writes nothing, committed or not.
#[tokio::test]
async fn every_bad_row_is_named_and_a_bad_file_writes_nothing() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let long = "x".repeat(41);
    let file = format!(
        "code,name,type,risk grade,on sale\n\
         OK1,Fine deposit,deposit,,yes\n\
         S1,Stock,stock,R3,yes\n\
         W1,Wealth,wealth,R9,yes\n\
         W2,Ungraded wealth,wealth,,yes\n\
         ,No code,deposit,,yes\n\
         {long},Long code,deposit,,yes\n\
         N1,,loan,,yes\n\
         OK1,Again,card,,maybe\n"
    );
    let (s, v) = upload(&app, &hq, "bad.csv", file.clone().into_bytes(), false, "en").await;
    assert_eq!((s, v["committed"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    let got: Vec<(u64, String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        (3, "type", "unknown_type"),
        (4, "risk grade", "bad_grade"),
        (5, "risk grade", "grade_required"),
        (6, "code", "empty_code"),
        (7, "code", "code_too_long"),
        (8, "name", "empty_name"),
        (9, "code", "duplicate_code"),
        (9, "on sale", "bad_on_sale"),
    ];
    let want: Vec<(u64, String, String)> =
        want.iter().map(|(r, c, k)| (*r, (*c).to_owned(), (*k).to_owned())).collect();
    assert_eq!(got, want, "{v}");
    assert_eq!(v["problems_total"], 8);
    let messages: Vec<&str> =
        v["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap()).collect();
    assert!(messages[0].contains("Unknown product type") && messages[0].contains("stock"), "{messages:?}");
    assert!(messages[6].contains("line 2"), "the duplicate names the first line: {messages:?}");
    assert_eq!(total(&app, &hq, "").await, 0, "nothing written, not even the good row");
    let (_, v) = upload(&app, &hq, "bad.csv", file.into_bytes(), true, "zh").await;
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("不认识的产品类型"), "Chinese when asked: {v}");

    let (s, v) = upload(&app, &hq, "x.csv", "产品代码,产品名称\nA,B\n".into(), false, "en").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("missing_column")), "{v}");
    let big = vec![b'a'; (2 << 20) + 1];
    let (s, v) = upload(&app, &hq, "big.csv", big, false, "en").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    let mut many = String::from("code,name,type\n");
    for i in 0..5001 {
        many.push_str(&format!("C{i},Card {i},card\n"));
    }
    let (s, v) = upload(&app, &hq, "many.csv", many.into_bytes(), false, "en").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_file")), "{v}");
    assert_eq!(total(&app, &hq, "").await, 0);
}

/// The templates (CSV and XLSX, both languages) upload back with no problem and no product; an export in
/// each format and language re-imports as all unchanged, an XLSX export into an empty catalogue as
/// all added.
#[tokio::test]
async fn templates_and_exports_upload_back_cleanly() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    for format in ["csv", "xlsx"] {
        for lang in ["zh", "en"] {
            let bytes = download(&app, &hq, &format!("/api/v1/products/template?format={format}&lang={lang}")).await;
            let (s, v) = upload(&app, &hq, &format!("t.{format}"), bytes, true, lang).await;
            assert_eq!(
                (s, v["problems_total"].as_u64(), v["rows"].as_u64()),
                (StatusCode::OK, Some(0), Some(0)),
                "{format} {lang}: {v}"
            );
            let bytes = download(&app, &hq, &format!("/products/template.{format}?lang={lang}")).await;
            let (_, v) = upload(&app, &hq, &format!("t.{format}"), bytes, true, lang).await;
            assert_eq!(v["problems_total"], 0, "the console's template, {format} {lang}: {v}");
        }
    }
    let (_, v) = upload(&app, &hq, "products.csv", GOOD.into(), false, "zh").await;
    assert_eq!(v["committed"], true, "{v}");
    let cm = app.login("cm_sh01_1").await;
    let mut xlsx = Vec::new();
    for format in ["csv", "xlsx"] {
        for lang in ["zh", "en"] {
            let bytes = download(&app, &cm, &format!("/api/v1/products/export?format={format}&lang={lang}")).await;
            if format == "xlsx" && lang == "zh" {
                xlsx = bytes.clone();
            }
            let (s, v) = upload(&app, &hq, &format!("e.{format}"), bytes, false, lang).await;
            assert_eq!(
                (s, counts(&v), v["problems_total"].as_u64()),
                (StatusCode::OK, (0, 0, 6), Some(0)),
                "{format} {lang}: {v}"
            );
        }
    }
    let other = spawn_app_with(2).await;
    let hq2 = other.login("hq01").await;
    let (s, v) = upload(&other, &hq2, "e.xlsx", xlsx, false, "zh").await;
    assert_eq!((s, counts(&v)), (StatusCode::OK, (6, 0, 0)), "an XLSX file imports: {v}");
    let (_, page) = hq2.get_json(&other, "/api/v1/products?q=F300").await;
    assert_eq!(page["items"][0]["risk_grade"], 4, "{page}");
}

/// A customer manager may read the catalogue but not import it: refused before the body is read (a
/// body past every limit is answered 403, not 413), on the API and on the console's forms.
#[tokio::test]
async fn a_customer_manager_is_refused_before_the_body_is_read() {
    let app = spawn_app_with(2).await;
    let cm = app.login("cm_sh01_1").await;
    let huge = vec![b'a'; 3 << 20];
    let (s, v) = upload(&app, &cm, "p.csv", huge.clone(), false, "en").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{v}");
    let r = cm
        .client
        .post(app.url(&format!("/products/import?csrf={}", cm.csrf)))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = cm.client.get(app.url("/api/v1/products/template")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the template is for those who import");
    assert_eq!(total(&app, &cm, "").await, 0);
}

/// The console: the list with its filters and grades as people read them, the upload's preview of
/// counts and bad rows, the confirm, and the result.
#[tokio::test]
async fn the_console_previews_confirms_and_lists() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(GOOD.as_bytes().to_vec()).file_name("products.csv"));
    let r =
        hq.client.post(app.url(&format!("/products/import?csrf={}", hq.csrf))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"count-added\">6<"), "{page}");
    assert_eq!(total(&app, &hq, "").await, 0, "a preview writes nothing");
    let token = page.split("name=\"token\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("a confirm form");
    let r = hq
        .client
        .post(app.url("/products/import/confirm"))
        .form(&[("csrf", hq.csrf.as_str()), ("token", token), ("file_name", "products.csv")])
        .send()
        .await
        .unwrap();
    let done = r.text().await.unwrap();
    assert!(done.contains("id=\"committed\""), "{done}");
    assert_eq!(total(&app, &hq, "").await, 6);
    let r = hq
        .client
        .post(app.url("/products/import/confirm"))
        .form(&[("csrf", hq.csrf.as_str()), ("token", token), ("file_name", "products.csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a confirm is used once");

    let bad = GOOD.replace("基金,R4", "股票,R4");
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bad.into_bytes()).file_name("bad.csv"));
    let r =
        hq.client.post(app.url(&format!("/products/import?csrf={}", hq.csrf))).multipart(form).send().await.unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"problems\"") && page.contains("股票") && !page.contains("name=\"token\""), "{page}");

    let cm = app.login("cm_sh01_1").await;
    let list = cm.client.get(app.url("/products?kind=fund")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("沪深300指数基金") && list.contains("R4 中高风险"), "{list}");
    assert!(!list.contains("稳享系列理财"), "filtered by type: {list}");
    assert!(list.contains("href=\"/products\""), "in the navigation: {list}");
    assert!(!list.contains("/products/import\""), "no import link for a customer manager");
    let list = cm.client.get(app.url("/products?risk_grade=R2&on_sale=true&q=%E7%A8%B3")).send().await.unwrap();
    assert!(list.text().await.unwrap().contains("稳享系列理财 90天"));
}
