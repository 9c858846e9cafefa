//! The compliance lint over HTTP: `POST /api/v1/content/lint` and HQ compliance's word list
//! (`/api/v1/compliance/rules`), as a customer manager, compliance, and the bank's other systems
//! through API tokens see them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

/// `(rule, start, end, blocking)` of each finding.
fn spans(v: &Value) -> Vec<(String, u64, u64, bool)> {
    v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["start"].as_u64().unwrap(),
                f["end"].as_u64().unwrap(),
                f["blocking"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// A token's secret, made by the administrator with these scopes.
async fn token(app: &TestApp, admin: &Session, name: &str, scopes: &[&str]) -> String {
    let (s, t) = admin.post_json(app, "/api/v1/tokens", json!({"name": name, "scopes": scopes})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["secret"].as_str().unwrap().to_owned()
}

async fn lint_with_token(app: &TestApp, secret: &str, lang: &str, body: Value) -> (StatusCode, Value) {
    let r = client()
        .post(app.url("/api/v1/content/lint"))
        .bearer_auth(secret)
        .header("accept-language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A forbidden claim dodged with a space, traditional characters and full-width digits is found, its
/// span counted in characters: the emoji before it is one character (four bytes), each CJK character
/// one (three bytes).
#[tokio::test]
async fn dodged_claims_are_found_at_their_character_offsets() {
    let app = spawn_app_with(2).await;
    let cm = app.login("cm_sh01_1").await;
    let (s, v) = cm.post_json(&app, "/api/v1/content/lint", json!({"text": "🎉本产品保 本，穩賺！１００％"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let found = spans(&v);
    for want in [("guaranteed_return", 4, 7), ("guaranteed_return", 8, 10), ("superlative", 11, 15)] {
        assert!(
            found.iter().any(|(r, a, b, blocking)| (r.as_str(), *a, *b) == want && *blocking),
            "{want:?} in {found:?}"
        );
    }
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("保 本"), "Chinese for a console session: {v}");
    let (s, v) = cm.post_json(&app, "/api/v1/content/lint", json!({"text": "第一次开户送积分"})).await;
    assert_eq!((s, spans(&v).len()), (StatusCode::OK, 0), "an ordinal is no superlative: {v}");
}

/// A token with `content:lint` lints, in the language its `Accept-Language` asks for; one without the
/// scope cannot; unknown products and over-long texts are refused with their codes before any work.
#[tokio::test]
async fn other_systems_lint_with_the_scope_and_bad_requests_are_refused() {
    let app = spawn_app_with(2).await;
    let admin = app.login("admin").await;
    let linter = token(&app, &admin, "cms", &["content:lint"]).await;
    let reader = token(&app, &admin, "core", &["customers:read"]).await;

    let (s, v) = lint_with_token(&app, &linter, "en", json!({"text": "年化收益率可达4.5%，保本"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let messages: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("promises principal or return")), "{messages:?}");
    assert!(messages.iter().all(|m| !m.contains("营销")), "English only: {messages:?}");
    let (s, v) = lint_with_token(&app, &linter, "zh-CN", json!({"text": "保本"})).await;
    assert!(s.is_success() && v["findings"][0]["message"].as_str().unwrap().contains("营销"), "{v}");

    let (s, v) = lint_with_token(&app, &reader, "en", json!({"text": "保本"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // No product catalogue was imported here: every id is unknown, and named.
    let (s, v) = lint_with_token(&app, &linter, "en", json!({"text": "保本", "product_ids": ["prd_1"]})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_product")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("prd_1"), "{v}");
    let many: Vec<String> = (0..21).map(|i| format!("prd_{i}")).collect();
    let (s, v) = lint_with_token(&app, &linter, "en", json!({"text": "x", "product_ids": many})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many_products")), "{v}");

    let (s, v) = lint_with_token(&app, &linter, "en", json!({"text": format!("保{}", "a".repeat(20_000))})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text_too_long")), "{v}");
    let (s, v) = lint_with_token(&app, &linter, "en", json!({"text": "保本".repeat(15_000)})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    let (s, _) = lint_with_token(&app, &linter, "en", json!({"text": "a".repeat(20_000)})).await;
    assert_eq!(s, StatusCode::OK, "the bound itself is allowed");
}

/// A customer manager may read the rules but not change them; compliance changes them, a newly listed
/// word is then found (dodged too), the change is audited with its counts, and a duplicate of a
/// default word, however written, is refused and changes nothing.
#[tokio::test]
async fn compliance_keeps_the_word_list_and_the_lint_follows_it() {
    let app = spawn_app_with(2).await;
    let cm = app.login("cm_sh01_1").await;
    let comp = app.login("comp01").await;
    let put = |s: &Session, body: Value| {
        s.client.put(app.url("/api/v1/compliance/rules")).header("x-csrf-token", &s.csrf).json(&body).send()
    };
    let words = json!({"words": [{"word": "高额返利", "class": "listed", "blocking": true}]});

    let (s, v) = cm.get_json(&app, "/api/v1/compliance/rules").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["defaults"].as_array().unwrap().iter().any(|w| w["word"] == "保本"), "{v}");
    assert_eq!(v["listed"], json!([]));
    assert_eq!(put(&cm, words.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);

    let (s, v) = cm.post_json(&app, "/api/v1/content/lint", json!({"text": "限时高额 返利"})).await;
    assert_eq!((s, spans(&v).len()), (StatusCode::OK, 0), "not listed yet: {v}");

    let r = put(&comp, words).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["listed"][0]["word"], "高额返利");
    assert_eq!(v["listed"][0]["changed_by_login"], "comp01");

    let (_, v) = cm.post_json(&app, "/api/v1/content/lint", json!({"text": "限时高额 返利"})).await;
    assert_eq!(spans(&v), [("listed_word".to_owned(), 2, 7, true)], "{v}");

    let (s, log) = comp.get_json(&app, "/api/v1/audit?action=compliance_rules_changed").await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert_eq!(log["total"], 1, "{log}");
    let detail = log["items"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("新增1个") && detail.contains("+高额返利"), "{detail}");

    let dup = json!({"words": [{"word": "穩 賺", "class": "listed", "blocking": true}]});
    let r = put(&comp, dup).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "duplicate_word");
    let (_, v) = cm.get_json(&app, "/api/v1/compliance/rules").await;
    assert_eq!(v["listed"].as_array().unwrap().len(), 1, "a refused list changes nothing: {v}");
    let (_, log) = comp.get_json(&app, "/api/v1/audit?action=compliance_rules_changed").await;
    assert_eq!(log["total"], 1, "nor is audited");
}

/// The products a lint names come from the catalogue: a fund asks for the disclaimer, an ungraded
/// deposit is `product_ungraded`, a graded deposit adds nothing; a malformed id and one not in the
/// catalogue are refused as `unknown_product`, naming them.
#[tokio::test]
async fn linked_products_come_from_the_catalogue() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let file = "产品代码,产品名称,产品类型,风险等级\nF300,沪深300指数基金,基金,R4\nD1,智能通知存款,存款,\nD2,三年期大额存单,存款,R1\n";
    crate::products::import_catalogue(&app, &hq, file).await;
    let (_, list) = hq.get_json(&app, "/api/v1/products?per_page=10").await;
    let id = |code: &str| {
        list["items"].as_array().unwrap().iter().find(|p| p["code"] == code).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let cm = app.login("cm_sh01_1").await;
    let lint = |ids: Vec<String>| {
        let cm = &cm;
        let app = &app;
        async move { cm.post_json(app, "/api/v1/content/lint", json!({"text": "稳健之选", "product_ids": ids})).await }
    };
    let rules = |v: &Value| spans(v).into_iter().map(|f| f.0).collect::<Vec<_>>();
    let (s, v) = lint(vec![id("F300")]).await;
    assert_eq!((s, rules(&v)), (StatusCode::OK, vec!["disclaimer_missing".to_owned()]), "{v}");
    let (s, v) = lint(vec![id("D1")]).await;
    assert_eq!((s, rules(&v)), (StatusCode::OK, vec!["product_ungraded".to_owned()]), "{v}");
    let (s, v) = lint(vec![id("D2"), id("D2")]).await;
    assert_eq!((s, rules(&v)), (StatusCode::OK, Vec::<String>::new()), "{v}");
    for bad in ["prd_999999", "abc"] {
        let (s, v) = lint(vec![id("D2"), bad.to_owned()]).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_product")),
            "{v}"
        );
        assert!(v["error"]["message"].as_str().unwrap().contains(bad), "names {bad}: {v}");
    }
}
