//! The content library over HTTP (issue 17): an item's whole life through maker-checker review, each
//! bad input the issue names refused with its own code and nothing changed, two reviewers racing, the
//! published version still what goes out while a new one is drafted, and an override audited.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siyu_domain::product::{ProductRiskGrade, ProductType};

use crate::common::*;

async fn put_json(app: &TestApp, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
    let r = s.client.put(app.url(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

fn text_item(title: &str, body: &str) -> Value {
    json!({"kind": "text", "category": "finance_tips", "draft": {"title": title, "body": body, "channels": ["one_to_one"]}})
}

/// Creates an item as `s`: its item id and first version id.
async fn create(app: &TestApp, s: &Session, form: Value) -> (String, String, Value) {
    let (st, v) = s.post_json(app, "/api/v1/content/items", form).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    (v["item_id"].as_str().unwrap().to_owned(), v["version"]["id"].as_str().unwrap().to_owned(), v)
}

async fn act(app: &TestApp, s: &Session, version: &str, step: &str, body: Value) -> (StatusCode, Value) {
    s.content_step(app, version, step, body).await
}

async fn ok(app: &TestApp, s: &Session, version: &str, step: &str, body: Value) -> Value {
    let (st, v) = act(app, s, version, step, body).await;
    assert_eq!(st, StatusCode::OK, "{step}: {v}");
    v
}

async fn library_total(app: &TestApp, s: &Session) -> u64 {
    let (st, v) = s.get_json(app, "/api/v1/content/items").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["total"].as_u64().unwrap()
}

async fn audited(app: &TestApp, s: &Session, action: &str) -> Value {
    let (st, log) = s.get_json(app, &format!("/api/v1/audit?action={action}")).await;
    assert_eq!(st, StatusCode::OK, "{log}");
    log
}

/// HQ writes an item with a forbidden claim and sees it found; fixes the draft; compliance rejects it
/// with a reason; the rejected version cannot be edited in place, a new version can; it is approved
/// and published and becomes what a send uses; the queue empties as it goes.
#[tokio::test]
async fn an_item_goes_from_draft_through_review_to_what_is_sent() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let comp = app.login("comp01").await;
    let (item, v1, saved) = create(&app, &hq, text_item("稳健理财", "{客户称呼}您好，本产品保本。")).await;
    assert_eq!(saved["version"]["status"], "draft");
    assert!(saved["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "guaranteed_return"), "{saved}");

    let (st, v) = put_json(&app, &hq, &format!("/api/v1/content/versions/{v1}"), json!({"title": "稳健理财", "body": "{客户称呼}您好，了解一下稳健理财。", "channels": ["one_to_one", "moments"]})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["findings"], json!([]), "{v}");
    ok(&app, &hq, &v1, "submit", json!({})).await;
    let (_, q) = comp.get_json(&app, "/api/v1/content/review-queue").await;
    assert_eq!((q["total"].as_u64(), q["items"][0]["version"]["id"].as_str()), (Some(1), Some(v1.as_str())), "{q}");

    let (st, v) = act(&app, &comp, &v1, "reject", json!({"reason": "  "})).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_needed")), "{v}");
    let v = ok(&app, &comp, &v1, "reject", json!({"reason": "标题请写明产品名称"})).await;
    assert_eq!(
        (v["version"]["status"].as_str(), v["version"]["reject_reason"].as_str()),
        (Some("rejected"), Some("标题请写明产品名称"))
    );

    let (st, v) =
        put_json(&app, &hq, &format!("/api/v1/content/versions/{v1}"), json!({"title": "x", "body": "y"})).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_version_needed")), "{v}");
    let (st, v) = hq
        .post_json(
            &app,
            &format!("/api/v1/content/items/{item}/versions"),
            json!({"title": "稳健理财90天", "body": "{客户称呼}您好，了解一下稳健理财90天。", "channels": ["moments"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"]["number"], 2);
    let v2 = v["version"]["id"].as_str().unwrap().to_owned();
    let (st, v) = hq
        .post_json(&app, &format!("/api/v1/content/items/{item}/versions"), json!({"title": "再一版", "body": "z"}))
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("version_open")),
        "one open version at a time: {v}"
    );

    ok(&app, &hq, &v2, "submit", json!({})).await;
    let (st, v) = act(&app, &hq, &v2, "publish", json!({})).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_state")), "not approved yet: {v}");
    ok(&app, &comp, &v2, "approve", json!({})).await;
    let (_, got) = hq.get_json(&app, &format!("/api/v1/content/items/{item}")).await;
    assert_eq!(got["sendable_version"], Value::Null, "approved is not yet published: {got}");
    ok(&app, &hq, &v2, "publish", json!({})).await;
    let (_, got) = hq.get_json(&app, &format!("/api/v1/content/items/{item}")).await;
    assert_eq!(got["sendable_version"].as_str(), Some(v2.as_str()), "{got}");
    assert_eq!(got["versions"].as_array().unwrap().len(), 2);
    let (_, q) = comp.get_json(&app, "/api/v1/content/review-queue").await;
    assert_eq!(q["total"], 0, "{q}");

    let (_, list) = hq.get_json(&app, "/api/v1/content/items?status=published&channel=moments&q=90").await;
    assert_eq!(list["total"], 1, "{list}");
    let (_, list) = hq.get_json(&app, "/api/v1/content/items?category=persona").await;
    assert_eq!(list["total"], 0, "{list}");
    let cm = app.login("cm_sh01_1").await;
    let (st, list) = cm.get_json(&app, "/api/v1/content/items").await;
    assert_eq!((st, list["total"].as_u64()), (StatusCode::OK, Some(1)), "every role reads the library: {list}");
    let (st, _) = cm.post_json(&app, "/api/v1/content/items", text_item("a", "b")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a customer manager does not author");
    for (log, n) in
        [("content_draft_saved", 3), ("content_submitted", 2), ("content_rejected", 1), ("content_published", 1)]
    {
        assert_eq!(audited(&app, &comp, log).await["total"], n, "{log}");
    }

    ok(&app, &hq, &v2, "retire", json!({})).await;
    let (_, got) = hq.get_json(&app, &format!("/api/v1/content/items/{item}")).await;
    assert_eq!(got["sendable_version"], Value::Null, "a retired item is sent by no one: {got}");
}

/// Each bad input of the issue that is the library's gets its own code and changes nothing.
#[tokio::test]
async fn bad_input_is_refused_with_its_own_code_and_changes_nothing() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let admin = app.login("admin").await;

    // An unknown variable, with where it is.
    let (st, v) = hq.post_json(&app, "/api/v1/content/items", text_item("你好", "{客户名字}您好")).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_variable")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains('1'), "the position is given: {v}");
    // HTML with a script, named.
    let article = json!({"kind": "article", "category": "case", "draft": {"title": "案例", "body": "<p>好</p><script>alert(1)</script>"}});
    let (st, v) = hq.post_json(&app, "/api/v1/content/items", article).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("html_not_allowed")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("script"), "{v}");
    assert_eq!(library_total(&app, &hq).await, 0, "nothing was saved");

    // A wealth item whose product has no grade: saved as a draft with the disclaimer, never submitted.
    let p = siyu_app::records::NewProduct {
        code: "WM9".into(),
        name: "无评级理财".into(),
        kind: ProductType::Wealth,
        risk_grade: None,
        issuer: String::new(),
        on_sale: true,
    };
    let graded = siyu_app::records::NewProduct {
        code: "WM1".into(),
        risk_grade: ProductRiskGrade::new(2),
        name: "稳享".into(),
        ..p.clone()
    };
    let entry = siyu_domain::audit::NewAuditEntry {
        at: app.state.clock.now(),
        staff_id: None,
        actor: "test".into(),
        action: siyu_domain::audit::AuditAction::ProductsImported,
        target: "products".into(),
        detail: String::new(),
        ip: None,
    };
    app.state.store.upsert_products(&[p, graded], None, app.state.clock.now(), &entry).await.unwrap();
    let products = app.state.store.products(&Default::default(), siyu_app::records::Page::first(10)).await.unwrap();
    let id_of = |code: &str| products.items.iter().find(|p| p.product.code == code).unwrap().id.to_string();
    let mut wealth = text_item("稳享理财", "了解一下稳享理财");
    wealth["draft"]["product_ids"] = json!([id_of("WM9")]);
    let (_, version, saved) = create(&app, &hq, wealth).await;
    let body = saved["version"]["body"].as_str().unwrap();
    assert!(body.ends_with("理财非存款、产品有风险、投资须谨慎"), "the disclaimer is added: {body}");
    assert!(saved["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "product_ungraded"), "{saved}");
    let (st, v) = act(&app, &hq, &version, "submit", json!({})).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("product_ungraded")), "{v}");
    // The disclaimer cannot be removed: a save without it gets it back.
    let (st, v) = put_json(
        &app,
        &hq,
        &format!("/api/v1/content/versions/{version}"),
        json!({"title": "稳享理财", "body": "了解一下", "product_ids": [id_of("WM1")]}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["version"]["body"].as_str().unwrap().ends_with("理财非存款、产品有风险、投资须谨慎"), "{v}");
    assert_eq!(v["version"]["status"], "draft");

    // The author approving their own item (an administrator may both write and review).
    let (_, mine, _) = create(&app, &admin, text_item("人设", "我是您的客户经理")).await;
    ok(&app, &admin, &mine, "submit", json!({})).await;
    let (st, v) = act(&app, &admin, &mine, "approve", json!({})).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("own_version")), "{v}");
    assert_eq!(audited(&app, &admin, "content_approved").await["total"], 0);

    // Editing a published item in place.
    let comp = app.login("comp01").await;
    ok(&app, &comp, &mine, "approve", json!({})).await;
    ok(&app, &admin, &mine, "publish", json!({})).await;
    let (st, v) =
        put_json(&app, &admin, &format!("/api/v1/content/versions/{mine}"), json!({"title": "人设", "body": "改了"}))
            .await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_version_needed")), "{v}");
    let (_, list) = admin.get_json(&app, "/api/v1/content/items?status=published").await;
    assert_eq!(list["items"][0]["latest"]["body"], "我是您的客户经理", "{list}");
}

/// Two reviewers acting on one version at once: one acts, the other is refused, one audit entry.
#[tokio::test]
async fn two_reviewers_racing_cannot_both_act() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let (c1, c2) = (app.login("comp01").await, app.login("comp02").await);
    let (_, v, _) = create(&app, &hq, text_item("福利", "开户送积分")).await;
    ok(&app, &hq, &v, "submit", json!({})).await;
    let (a, r) =
        tokio::join!(act(&app, &c1, &v, "approve", json!({})), act(&app, &c2, &v, "reject", json!({"reason": "不行"})));
    let wins = [a.0, r.0].iter().filter(|s| s.is_success()).count();
    assert_eq!(wins, 1, "{a:?} {r:?}");
    let lost = if a.0.is_success() { r } else { a };
    assert!(
        lost.0 == StatusCode::CONFLICT || code(&lost.1) == Some("wrong_state"),
        "the loser is told the version moved on: {lost:?}"
    );
    let n = audited(&app, &c1, "content_approved").await["total"].as_u64().unwrap()
        + audited(&app, &c1, "content_rejected").await["total"].as_u64().unwrap();
    assert_eq!(n, 1);
}

/// While a new version is drafted, submitted and approved, the published one is what a send uses;
/// approving blocking findings needs an override reason, which the audit log keeps.
#[tokio::test]
async fn the_published_version_goes_out_until_its_successor_is_published_and_overrides_are_audited() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let comp = app.login("comp01").await;
    let (item, v1, _) = create(&app, &hq, text_item("投教", "投资有风险")).await;
    ok(&app, &hq, &v1, "submit", json!({})).await;
    ok(&app, &comp, &v1, "approve", json!({})).await;
    ok(&app, &hq, &v1, "publish", json!({})).await;

    let (st, v) = hq
        .post_json(
            &app,
            &format!("/api/v1/content/items/{item}/versions"),
            json!({"title": "投教", "body": "本产品零风险"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let v2 = v["version"]["id"].as_str().unwrap().to_owned();
    let item_id: siyu_domain::ContentItemId = item.parse().unwrap();
    let sendable = || async {
        siyu_app::services::content::sendable_version(&app.state, item_id).await.unwrap().map(|v| v.id.to_string())
    };
    assert_eq!(sendable().await.as_deref(), Some(v1.as_str()), "a draft is never sent");
    ok(&app, &hq, &v2, "submit", json!({})).await;
    assert_eq!(sendable().await.as_deref(), Some(v1.as_str()), "nor a version under review");

    let (st, v) = act(&app, &comp, &v2, "approve", json!({})).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("override_needed")), "{v}");
    assert_eq!(audited(&app, &comp, "content_approved").await["total"], 1, "only v1's approval");
    // An override names the findings it was given for: other ones than those found now are refused.
    let (st, e) =
        act(&app, &comp, &v2, "approve", json!({"override_reason": "已核实", "overriding": ["superlative@0-2"]})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    ok(&app, &comp, &v2, "approve", json!({"override_reason": "投教内容，讲解“零风险”为何不存在"})).await;
    assert_eq!(sendable().await.as_deref(), Some(v1.as_str()), "approved but not yet published");
    let log = audited(&app, &comp, "content_approved").await;
    let detail = log["items"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("投教内容") && detail.contains("guaranteed_return"), "{detail}");

    ok(&app, &hq, &v2, "publish", json!({})).await;
    assert_eq!(sendable().await.as_deref(), Some(v2.as_str()));
    let (_, got) = hq.get_json(&app, &format!("/api/v1/content/items/{item}")).await;
    let statuses: Vec<&str> =
        got["versions"].as_array().unwrap().iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["retired", "published"], "one published version per item");
}

/// A branch manager makes only local variants of published HQ items, owned by their own unit.
#[tokio::test]
async fn a_branch_makes_local_variants_of_published_hq_items_only() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let comp = app.login("comp01").await;
    let bm = app.login("bm_sh").await;
    let (st, v) = bm.post_json(&app, "/api/v1/content/items", text_item("本地", "本地活动")).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("variant_only")), "{v}");
    let (item, v1, _) = create(&app, &hq, text_item("活动", "{网点}周末活动")).await;
    let mut variant = text_item("活动（上海）", "{网点}周末活动，地址见名片{名片链接}");
    variant["variant_of"] = json!(item);
    let (st, v) = bm.post_json(&app, "/api/v1/content/items", variant.clone()).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("variant_of_unpublished")), "{v}");
    ok(&app, &hq, &v1, "submit", json!({})).await;
    ok(&app, &comp, &v1, "approve", json!({})).await;
    ok(&app, &hq, &v1, "publish", json!({})).await;
    let (local, lv, _) = create(&app, &bm, variant).await;
    let (_, got) = bm.get_json(&app, &format!("/api/v1/content/items/{local}")).await;
    assert_eq!(got["variant_of"].as_str(), Some(item.as_str()), "{got}");
    assert_eq!(got["owner_unit"], json!(bm.staff.org_unit_id), "{got}");
    ok(&app, &bm, &lv, "submit", json!({})).await;
    let (st, _) = act(&app, &bm, &v1, "retire", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "HQ's own item is outside a branch's hands");
}

/// A published article is a phone page of its sanitised HTML; a draft, a retired or an unknown
/// version is one neutral page; staff preview any version; the review page diffs against the last
/// approved version with `<del>`/`<ins>` and asks for an override reason when findings block.
#[tokio::test]
async fn articles_are_served_when_published_and_reviewers_see_the_diff() {
    let app = spawn_app_with(2).await;
    let hq = app.login("hq01").await;
    let comp = app.login("comp01").await;
    // A picture of another site, or an upload that does not exist, is no picture of an article.
    let with_img = |src: &str| {
        json!({"kind": "article", "category": "finance_tips", "draft": {
        "title": "认识净值", "body": format!("<div><p>净值会<strong>波动</strong></p><img src=\"{src}\" alt=\"保本\"><a href=\"https://bank.example/x\">详情</a></div>")}})
    };
    let (st, v) = hq.post_json(&app, "/api/v1/content/items", with_img("/media/med_99")).await;
    assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_cover")), "{v}");
    let (_, png) = crate::media::upload(&app, &hq, "chart.png", crate::media::PNG.to_vec()).await;
    let img = png["id"].as_str().unwrap().to_owned();
    let article = with_img(&format!("/media/{img}"));
    let (item, v1, saved) = create(&app, &hq, article).await;
    let body = saved["version"]["body"].as_str().unwrap();
    assert!(!body.contains("<div") && body.contains("rel=\"noopener noreferrer\""), "sanitised at save: {body}");
    assert!(!body.contains("alt="), "no words the lint does not read: {body}");
    let (_, other) = hq.post_json(&app, "/api/v1/content/items", with_img("https://elsewhere.example/a.png")).await;
    assert!(
        !other["version"]["body"].as_str().unwrap().contains("elsewhere"),
        "another site's picture is dropped: {other}"
    );
    let page = |path: String| {
        let c = client();
        let url = app.url(&path);
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (st, html) = page(format!("/h5/articles/{v1}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "a draft is not served");
    assert!(html.contains("内容不可用") && !html.contains("净值"), "{html}");
    let (st, _) = page("/h5/articles/cvr_999".into()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = page("/h5/articles/nonsense".into()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let r = hq.client.get(app.url(&format!("/content/versions/{v1}/preview"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<strong>波动</strong>"), "staff preview a draft");

    ok(&app, &hq, &v1, "submit", json!({})).await;
    ok(&app, &comp, &v1, "approve", json!({})).await;
    ok(&app, &hq, &v1, "publish", json!({})).await;
    let r = client().get(app.url(&format!("/h5/articles/{v1}"))).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer", "the token in the address goes nowhere");
    let (st, html) = page(format!("/h5/articles/{v1}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("width=device-width") && html.contains("<strong>波动</strong>"), "{html}");
    assert!(
        html.contains(&format!("src=\"/h5/media/{img}?sig=")) && !html.contains("src=\"/media/"),
        "an upload by its signed address: {html}"
    );

    let (_, v) = hq
        .post_json(
            &app,
            &format!("/api/v1/content/items/{item}/versions"),
            json!({"title": "认识净值", "body": "<p>净值保本不会波动</p><a href=\"https://other.example/y\">了解</a>"}),
        )
        .await;
    let v2 = v["version"]["id"].as_str().unwrap().to_owned();
    ok(&app, &hq, &v2, "submit", json!({})).await;
    let seen = app.state.store.content_version(v2.parse().unwrap()).await.unwrap().revision;
    let r = comp.client.get(app.url(&format!("/content/review/{v2}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<ins>") && html.contains("<del>"), "{html}");
    assert!(html.contains("r-override"), "an override field when findings block: {html}");
    // The words are not all a reviewer approves: a changed address is shown beside the old one.
    let fields = html.split("id=\"content-fields\"").nth(1).expect("the fields table");
    assert!(fields.contains("https://bank.example/x") && fields.contains("https://other.example/y"), "{fields}");
    assert!(fields.contains("class=\"changed\""), "{fields}");
    assert!(html.contains(&format!("data-seen=\"{seen}\"")), "the page names the submission it shows");

    // The author withdraws, changes and resubmits while the reviewer reads: approving what was read
    // is refused, nothing is approved, and the new words are reviewed afresh.
    ok(&app, &hq, &v2, "withdraw", json!({})).await;
    let (st, e) = put_json(
        &app,
        &hq,
        &format!("/api/v1/content/versions/{v2}"),
        json!({"title": "认识净值", "body": "<p>净值不会波动，稳赚</p>"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    ok(&app, &hq, &v2, "submit", json!({})).await;
    let (st, e) = act(&app, &comp, &v2, "approve", json!({"override_reason": "已核实", "seen": seen})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("重新提交"), "{e}");
    assert_eq!(
        app.state.store.content_version(v2.parse().unwrap()).await.unwrap().status,
        siyu_content::Status::Submitted
    );
    let (st, html) = page(format!("/h5/articles/{v1}")).await;
    assert_eq!(st, StatusCode::OK, "the published version is still served");
    assert!(!html.contains("保本"), "{html}");
    let r = comp.client.get(app.url("/content/review")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains(&format!("/content/review/{v2}")));
}
