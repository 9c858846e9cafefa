//! Tracked links over HTTP: a manager gets a link for their own customer only; opening it records one
//! event and one `link_opened` timeline entry, and sends the browser to the article; a second open is
//! an open but not a new opener; a tampered or expired token records nothing and shows the neutral
//! page; read time and forwards are bounded and recorded; a Moments opener is matched to the customer
//! when the same browser opens that customer's own link; an open gives its customer interest tags.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siyu_domain::ContentVersionId;
use siyu_store::Page;

use crate::common::{Session, TestApp, client, spawn_app};

/// A published article of HQ's, approved by compliance: the version links are issued for.
async fn published(app: &TestApp) -> (String, ContentVersionId) {
    let (hq, comp) = (app.login("hq01").await, app.login("comp01").await);
    let form = json!({"kind": "article", "category": "finance_tips", "draft": {"title": "认识净值", "body": "<p>净值会波动</p>"}});
    let (s, saved) = hq.post_json(app, "/api/v1/content/items", form).await;
    assert_eq!(s, StatusCode::CREATED, "{saved}");
    let v = saved["version"]["id"].as_str().unwrap().to_owned();
    for (who, step) in [(&hq, "submit"), (&comp, "approve"), (&hq, "publish")] {
        let (s, body) = who.content_step(app, &v, step, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{step}: {body}");
    }
    let id = v.parse().unwrap();
    (v, id)
}

async fn issue(app: &TestApp, who: &Session, body: Value) -> (StatusCode, Value) {
    who.post_json(app, "/api/v1/content/links", body).await
}

async fn stats(app: &TestApp, version: ContentVersionId) -> siyu_store::LinkStats {
    app.state.store.link_stats(version).await.unwrap()
}

async fn link_opened(app: &TestApp, customer: siyu_domain::CustomerId) -> usize {
    let events = app.state.store.customer_events(customer, Page::first(100)).await.unwrap().items;
    events.iter().filter(|e| e.kind == "link_opened").count()
}

/// A browser with its own cookie jar, following no redirects.
fn browser() -> reqwest::Client {
    client()
}

#[tokio::test]
async fn an_open_is_recorded_once_with_its_timeline_entry_and_goes_to_the_article() {
    let app = spawn_app().await;
    let (version, vid) = published(&app).await;
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let theirs = app.customer_of("cm_sh01_2").await;

    let (status, link) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine.id.to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["channel"], "one_to_one");
    let path = link["path"].as_str().unwrap().to_owned();
    assert_eq!(path, format!("/l/{}", link["token"].as_str().unwrap()));
    // Another manager's customer is not found: no link for them, nothing said about them.
    let (status, body) = issue(&app, &cm, json!({"version_id": version, "customer_id": theirs.id.to_string()})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Both a customer and a channel, or neither, is refused.
    let both = json!({"version_id": version, "customer_id": mine.id.to_string(), "channel": "moments"});
    assert_eq!(issue(&app, &cm, both).await.1["error"]["code"], "bad_recipient");
    assert_eq!(issue(&app, &cm, json!({"version_id": version})).await.1["error"]["code"], "bad_recipient");

    let phone = browser();
    let r = phone.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let token = link["token"].as_str().unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/h5/articles/{version}?t={token}"));
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("sy_v=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(
        stats(&app, vid).await,
        siyu_store::LinkStats { opens: 1, unique_openers: 1, forwards: 0, read_seconds: 0 }
    );
    assert_eq!(link_opened(&app, mine.id).await, 1);

    // The same browser again: an open more, the same opener, no new cookie.
    let visitor = cookie.split(';').next().unwrap().to_owned();
    let r = phone.get(app.url(&path)).header("cookie", &visitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(r.headers().get("set-cookie").is_none());
    let s = stats(&app, vid).await;
    assert_eq!((s.opens, s.unique_openers), (2, 1));
    assert_eq!(link_opened(&app, mine.id).await, 2);
    // Another browser of the same customer is still one opener (the token names the customer).
    browser().get(app.url(&path)).send().await.unwrap();
    let s = stats(&app, vid).await;
    assert_eq!((s.opens, s.unique_openers), (3, 1));

    // Over HTTPS (a proxy saying so) the visitor cookie is Secure.
    let r = browser().get(app.url(&path)).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
}

#[tokio::test]
async fn tampered_and_expired_tokens_record_nothing_and_show_the_neutral_page() {
    let app = spawn_app().await;
    let (version, vid) = published(&app).await;
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let (_, link) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine.id.to_string()})).await;
    let token = link["token"].as_str().unwrap().to_owned();

    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), &token[..40], "x", &format!("{token}AAAA")] {
        for lang in ["zh-CN,zh;q=0.9", "en-GB,en;q=0.8"] {
            let r = browser().get(app.url(&format!("/l/{bad}"))).header("accept-language", lang).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{bad}");
            assert!(r.headers().get("location").is_none() && r.headers().get("set-cookie").is_none());
            let html = r.text().await.unwrap();
            let expected =
                if lang.starts_with("en") { "This content is not available" } else { "内容暂时无法查看" };
            assert!(html.contains(expected), "{html}");
            assert!(!html.contains("expired") && !html.contains("signature") && !html.contains("过期"), "{html}");
        }
        let beacon = browser().post(app.url(&format!("/l/{bad}/read"))).body(r#"{"seconds": 5}"#).send().await.unwrap();
        assert_eq!(beacon.status(), StatusCode::NOT_FOUND);
        let beacon = browser().post(app.url(&format!("/l/{bad}/forward"))).send().await.unwrap();
        assert_eq!(beacon.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(stats(&app, vid).await, siyu_store::LinkStats::default());
    assert_eq!(link_opened(&app, mine.id).await, 0);

    // 90 days later the good token has expired: the same neutral page, nothing recorded.
    app.advance_secs(90 * 24 * 3600).await;
    let r = browser().get(app.url(&format!("/l/{token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("内容暂时无法查看"));
    assert_eq!(stats(&app, vid).await, siyu_store::LinkStats::default());
}

#[tokio::test]
async fn read_time_and_forwards_are_bounded_and_recorded() {
    let app = spawn_app().await;
    let (version, vid) = published(&app).await;
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let (_, link) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine.id.to_string()})).await;
    let path = link["path"].as_str().unwrap().to_owned();
    let phone = browser();
    let read = |body: &'static str| {
        phone.post(app.url(&format!("{path}/read"))).header("content-type", "text/plain").body(body)
    };
    assert_eq!(read(r#"{"seconds": 42}"#).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(read(r#"{"seconds": 3600}"#).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    for bad in [r#"{"seconds": 0}"#, r#"{"seconds": 3601}"#, r#"{"seconds": -5}"#, r#"{"seconds": "9"}"#, "", "{}"] {
        assert_eq!(read(bad).send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let big = format!(r#"{{"seconds": 1, "pad": "{}"}}"#, "x".repeat(2000));
    let r = phone.post(app.url(&format!("{path}/read"))).body(big).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(phone.post(app.url(&format!("{path}/forward"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let s = stats(&app, vid).await;
    assert_eq!((s.opens, s.forwards, s.read_seconds), (0, 1, 3642));
    assert_eq!(link_opened(&app, mine.id).await, 0, "reads and forwards are not opens");
}

#[tokio::test]
async fn a_moments_opener_is_matched_when_the_same_browser_opens_their_own_link() {
    let app = spawn_app().await;
    let (version, vid) = published(&app).await;
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let (status, moments) = issue(&app, &cm, json!({"version_id": version, "channel": "moments"})).await;
    assert_eq!(status, StatusCode::OK, "{moments}");
    assert_eq!(moments["channel"], "moments");
    let (_, own) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine.id.to_string()})).await;

    let phone = browser();
    let r = phone.get(app.url(moments["path"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let visitor = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    phone
        .post(app.url(&format!("{}/read", moments["path"].as_str().unwrap())))
        .header("cookie", &visitor)
        .body(r#"{"seconds": 30}"#)
        .send()
        .await
        .unwrap();
    // A second anonymous browser.
    browser().get(app.url(moments["path"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(stats(&app, vid).await.unique_openers, 2);
    assert_eq!(link_opened(&app, mine.id).await, 0, "an anonymous open names no one");
    assert!(app.state.store.customer_link_events(mine.id, 10).await.unwrap().is_empty());

    // The first browser opens the customer's own link: its Moments open and read are theirs now.
    phone.get(app.url(own["path"].as_str().unwrap())).header("cookie", &visitor).send().await.unwrap();
    let s = stats(&app, vid).await;
    assert_eq!((s.opens, s.unique_openers, s.read_seconds), (3, 2, 30));
    let events = app.state.store.customer_link_events(mine.id, 10).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.attributed_to == Some(mine.id)));
    assert_eq!(events.iter().filter(|e| e.event.customer_id.is_none()).count(), 2, "the Moments open and read");
    assert_eq!(link_opened(&app, mine.id).await, 1, "only the open of their own link is on the timeline");

    // The stats endpoint shows the same figures to staff.
    let (status, body) = cm.get_json(&app, &format!("/api/v1/content/versions/{version}/link-stats")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"opens": 3, "unique_openers": 2, "forwards": 0, "read_seconds": 30}));
}

/// Links are issued only for what may be sent, and an open never shows withdrawn words: a draft or a
/// text item gets no link; once the item's next version is published an old link leads to it (the
/// open still counted for the version sent); once nothing of the item is live, to the neutral page.
#[tokio::test]
async fn links_lead_only_to_what_is_live_now() {
    let app = spawn_app().await;
    let (version, vid) = published(&app).await;
    let (hq, comp, cm) = (app.login("hq01").await, app.login("comp01").await, app.login("cm_sh01_1").await);
    let mine = app.customer_of("cm_sh01_1").await.id.to_string();
    let text = json!({"kind": "text", "category": "finance_tips", "draft": {"title": "问候", "body": "您好"}});
    let (_, saved) = hq.post_json(&app, "/api/v1/content/items", text).await;
    let draft = saved["version"]["id"].as_str().unwrap().to_owned();
    let (s, body) = issue(&app, &cm, json!({"version_id": draft, "customer_id": mine})).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_linkable")), "{body}");
    let article =
        json!({"kind": "article", "category": "finance_tips", "draft": {"title": "草稿", "body": "<p>未审</p>"}});
    let (_, saved) = hq.post_json(&app, "/api/v1/content/items", article).await;
    let unreviewed = saved["version"]["id"].as_str().unwrap().to_owned();
    let (s, body) = issue(&app, &cm, json!({"version_id": unreviewed, "customer_id": mine})).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_sendable")), "{body}");

    let (_, link) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine})).await;
    let path = link["path"].as_str().unwrap().to_owned();
    // The article page carries the token to its beacons.
    let r = browser().get(app.url(&path)).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let page = browser().get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("净值会波动") && page.contains("link_beacon.js") && page.contains("data-link-forward"),
        "{page}"
    );

    // The item's next version is published, which retires the first: the old link now leads to it.
    let v1 = app.state.store.content_version(vid).await.unwrap();
    let (_, next) = hq
        .post_json(
            &app,
            &format!("/api/v1/content/items/{}/versions", v1.item_id),
            json!({"title": "认识净值（更新）", "body": "<p>净值每日更新</p>"}),
        )
        .await;
    let v2 = next["version"]["id"].as_str().unwrap().to_owned();
    for (who, step) in [(&hq, "submit"), (&comp, "approve"), (&hq, "publish")] {
        let (s, body) = who.content_step(&app, &v2, step, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{step}: {body}");
    }
    // An open's answer is kept for a few seconds (`links::target::CACHE_FOR`): start afresh.
    app.state.link_targets.0.lock().unwrap().clear();
    let r = browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(
        r.headers()["location"].to_str().unwrap().starts_with(&format!("/h5/articles/{v2}?t=")),
        "to the live version"
    );
    assert_eq!(stats(&app, vid).await.opens, 2, "counted for the version sent");

    let (s, body) = hq.post_json(&app, &format!("/api/v1/content/versions/{v2}/retire"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.state.link_targets.0.lock().unwrap().clear();
    let r = browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "nothing live: the neutral page");
    assert!(r.headers().get("location").is_none());
}

/// An open of a link naming a customer gives them interest tags — the item's category and the
/// product line of each linked product — once, in the open's transaction, seen at once by the
/// audience engine; an anonymous Moments opener earns none.
#[tokio::test]
async fn opens_give_the_customer_interest_tags_by_category_and_product_line() {
    let app = spawn_app().await;
    let (hq, comp) = (app.login("hq01").await, app.login("comp01").await);
    crate::products::import_catalogue(&app, &hq, "产品代码,产品名称,产品类型,风险等级\nWM1,稳享理财,理财,R2\n").await;
    let (_, products) = hq.get_json(&app, "/api/v1/products").await;
    let wm1 = products["items"][0]["id"].clone();
    let form = json!({"kind": "article", "category": "investor_education", "draft": {
        "title": "理财产品怎么选", "body": "<p>看清风险等级再选择</p>", "product_ids": [wm1]}});
    let item = hq.published_item(&app, &comp, form).await;
    let (_, got) = hq.get_json(&app, &format!("/api/v1/content/items/{item}")).await;
    let version = got["sendable_version"].as_str().unwrap().to_owned();
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;

    // A Moments opener is nobody yet: no tags, and none made.
    let (_, shared) = issue(&app, &cm, json!({"version_id": version, "channel": "moments"})).await;
    browser().get(app.url(shared["path"].as_str().unwrap())).send().await.unwrap();
    let tags = app.state.store.tags().await.unwrap();
    let interest: Vec<_> = tags.iter().filter(|t| t.group_name == "内容兴趣").collect();
    assert_eq!(interest.len(), 2, "made with the link's target, given to nobody: {interest:?}");
    for t in &interest {
        assert!(app.state.store.tag_members(t.id).await.unwrap().is_empty());
    }

    let (_, link) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine.id.to_string()})).await;
    let path = link["path"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        assert_eq!(browser().get(app.url(&path)).send().await.unwrap().status(), StatusCode::FOUND);
    }
    let names: Vec<String> =
        app.state.store.customer_tags(mine.id).await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["兴趣·投教", "兴趣·理财"], "the category's and the product line's");
    for t in app.state.store.customer_tags(mine.id).await.unwrap() {
        assert_eq!(t.kind, siyu_domain::tag::TagKind::Behavioural);
        let members = app.state.engine.tag_members(t.id, None);
        assert!(members.contains(mine.id.get() as u32), "the engine knows at once: {}", t.name);
    }
    let timeline = app.state.store.customer_events(mine.id, Page::first(20)).await.unwrap().items;
    assert_eq!(timeline.iter().filter(|e| e.kind == "tag_added").count(), 2, "each given once: {timeline:?}");
}

/// An item's figures: a link issued is a send, its opens are counted for its version and its sender,
/// the day's chart has them, and the managers who did not send it are listed with zeros. A customer
/// manager sees only themselves.
#[tokio::test]
async fn an_items_figures_count_sends_and_opens_and_who_did_not_send() {
    let app = spawn_app().await;
    let (version, _) = published(&app).await;
    let hq = app.login("hq01").await;
    let item = app.state.store.content_version(version.parse().unwrap()).await.unwrap().item_id.to_string();
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let (_, link) = issue(&app, &cm, json!({"version_id": version, "customer_id": mine.id.to_string()})).await;
    issue(&app, &cm, json!({"version_id": version, "channel": "moments"})).await;
    for _ in 0..2 {
        browser().get(app.url(link["path"].as_str().unwrap())).send().await.unwrap();
    }

    let (st, f) = hq.get_json(&app, &format!("/api/v1/content/items/{item}/figures")).await;
    assert_eq!(st, StatusCode::OK, "{f}");
    let v = &f["versions"][0];
    assert_eq!((v["sends"].as_u64(), v["senders"].as_u64(), v["opens"].as_u64()), (Some(2), Some(1), Some(2)), "{f}");
    assert_eq!(f["days"].as_array().unwrap().len(), 14);
    let today = &f["days"][13];
    assert_eq!((today["sends"].as_u64(), today["opens"].as_u64()), (Some(2), Some(2)), "{f}");
    assert_eq!(f["managers_sending"], 1);
    assert!(f["managers"].as_u64().unwrap() >= 2, "{f}");

    let (st, page) = hq.get_json(&app, &format!("/api/v1/content/items/{item}/senders?per_page=100")).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let rows = page["items"].as_array().unwrap();
    let staff = app.state.store.all_staff(&Default::default()).await.unwrap();
    let of = |login: &str| {
        let id = staff.iter().find(|s| s.username == login).unwrap().id.to_string();
        rows.iter().find(|r| r["staff_id"] == id.as_str()).unwrap_or_else(|| panic!("{login}: {page}")).clone()
    };
    assert_eq!((of("cm_sh01_1")["sends"].as_u64(), of("cm_sh01_1")["opens"].as_u64()), (Some(2), Some(2)));
    assert_eq!(of("cm_sh01_2")["sends"], 0, "who did not send is listed");
    assert!(rows[0].get("staff").is_none() && rows[0]["display_name"].is_string(), "names only: {}", rows[0]);

    let (_, own) = cm.get_json(&app, &format!("/api/v1/content/items/{item}/senders")).await;
    assert_eq!(own["total"], 1, "a manager sees themselves: {own}");
    let (_, own) = cm.get_json(&app, &format!("/api/v1/content/items/{item}/figures")).await;
    assert_eq!((own["managers"].as_u64(), own["managers_sending"].as_u64()), (Some(1), Some(1)));
}
