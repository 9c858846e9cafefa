//! The script library over HTTP (issue 17 §5): a manager sees only published one-to-one text items,
//! with their own name and sub-branch filled in, found by scenario, product and words; a copy is
//! counted as their use and their send; a draft, a Moments-only text and a bad filter are not scripts.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn managers_find_approved_scripts_personalised_and_each_copy_counts() {
    let app = spawn_app().await;
    let (hq, comp) = (app.login("hq01").await, app.login("comp01").await);
    crate::products::import_catalogue(&app, &hq, "产品代码,产品名称,产品类型,风险等级\nCD3Y,三年期大额存单,存款,R1\n")
        .await;
    let (_, products) = hq.get_json(&app, "/api/v1/products").await;
    let cd = products["items"][0]["id"].as_str().unwrap().to_owned();
    let script = json!({"kind": "text", "category": "three_w", "draft": {
        "title": "大额存单3W", "body": "{客户称呼}好，我是{网点}的{客户经理}，大额存单的三点请您参考。",
        "stage": "action", "channels": ["one_to_one"], "product_ids": [cd]}});
    let item = hq.published_item(&app, &comp, script).await;
    let moments = json!({"kind": "text", "category": "three_w", "draft": {"title": "朋友圈文案", "body": "周末愉快", "channels": ["moments"]}});
    hq.published_item(&app, &comp, moments).await;
    let draft = json!({"kind": "text", "category": "three_w", "draft": {"title": "未审核话术", "body": "草稿", "channels": ["one_to_one"]}});
    hq.post_json(&app, "/api/v1/content/items", draft).await;

    let cm = app.login("cm_sh01_1").await;
    let (st, found) = cm.get_json(&app, "/api/v1/scripts").await;
    assert_eq!(st, StatusCode::OK, "{found}");
    assert_eq!(found["total"], 1, "only the published one-to-one text: {found}");
    let s = &found["items"][0];
    let me = &cm.staff;
    let text = s["text"].as_str().unwrap();
    assert!(text.starts_with("您好，我是") && text.contains(&me.display_name) && !text.contains('{'), "{text}");
    assert_eq!(s["products"], json!(["三年期大额存单"]));
    for (query, n) in [
        ("category=three_w", 1),
        ("category=persona", 0),
        ("stage=action", 1),
        (&format!("product={cd}") as &str, 1),
        ("q=大额存单", 1),
        ("q=没有的词", 0),
    ] {
        let (st, v) = cm.get_json(&app, &format!("/api/v1/scripts?{query}")).await;
        assert_eq!((st, v["total"].as_u64()), (StatusCode::OK, Some(n)), "{query}: {v}");
    }
    let (st, v) = cm.get_json(&app, "/api/v1/scripts?category=nonsense").await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_query")), "{v}");

    let (st, _) = cm.post_json(&app, &format!("/api/v1/scripts/{item}/used"), json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, found) = cm.get_json(&app, "/api/v1/scripts").await;
    assert_eq!(found["items"][0]["my_uses"], 1);
    let (_, f) = hq.get_json(&app, &format!("/api/v1/content/items/{item}/figures")).await;
    assert_eq!((f["versions"][0]["sends"].as_u64(), f["managers_sending"].as_u64()), (Some(1), Some(1)), "{f}");

    // The console page shows it with its copy button.
    let page = cm.client.get(app.url("/content/scripts?q=大额存单")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("script-copy") && page.contains(&me.display_name), "{page}");
}
