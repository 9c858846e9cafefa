//! The callback URL over real HTTP, with the fake WeCom on the other side: URL verification with the
//! official vector, a scanning customer becoming an active relationship, a customer deleting their
//! manager, and forged, tampered, replayed and garbage callbacks refused with no state change.
//!
//! The jobs the callbacks queue run when a test calls `run_jobs`, so each assertion follows the work
//! it is about.

use crate::common::{TestApp, spawn_app_with_wecom};
use reqwest::StatusCode;
use siyu_app::jobs::{Job, Nothing, Options};
use siyu_app::wecom::events::ApplyCallback;
use siyu_app::wecom::sync::FullSync;
use siyu_store::{JobFilter, Page, RelationshipStatus};
use siyu_wecom::api::ContactWay;
use siyu_wecom::crypto::CallbackCrypto;
use siyu_wecom::fake::{FakeConfig, FakeWecom, Fault};

async fn setup() -> (FakeWecom, TestApp) {
    let fake = FakeWecom::new(FakeConfig::default());
    fake.add_staff("wx_cm_sh01_1");
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    (fake, app)
}

/// The fake WeCom with Lujiazui's two managers, the app, HQ signed in, and the SH01 sub-branch: what a
/// round-robin channel code of SH01 needs.
async fn two_managers_of_sh01() -> (FakeWecom, TestApp, crate::common::Session, siyu_domain::org::OrgUnit) {
    let fake = FakeWecom::new(FakeConfig::default());
    for u in ["wx_cm_sh01_1", "wx_cm_sh01_2"] {
        fake.add_staff(u);
    }
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    let hq = app.login("hq01").await;
    let sh01 = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "SH01").unwrap();
    (fake, app, hq, sh01)
}

async fn callback_jobs(app: &TestApp) -> i64 {
    let f = JobFilter { status: None, kind: Some(ApplyCallback::NAME.into()) };
    app.state.store.list_jobs(&f, Page::first(1)).await.unwrap().total
}

/// Runs the queued jobs; the relationship must then be in `status`.
async fn relationship_after_jobs(app: &TestApp, ext: &str, status: RelationshipStatus) -> siyu_store::Relationship {
    app.run_jobs().await;
    let all = app.state.store.relationships(ext).await.unwrap();
    all.iter().find(|r| r.status == status).cloned().unwrap_or_else(|| panic!("{ext} is not {status:?}: {all:?}"))
}

/// Runs the queued jobs; the WeCom contact customer `no` is then linked to, if any.
async fn linked_contact(app: &TestApp, no: &str) -> Option<String> {
    app.run_jobs().await;
    app.state.store.customer_by_no(siyu_domain::scope::DataScope::All, no).await.unwrap().wecom_external_userid
}

#[tokio::test]
async fn url_verification_answers_the_official_vector() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wecom/tests/data/callback-vectors.json"))
            .unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = vectors["vectors"].as_array().unwrap().iter().find(|v| v["kind"] == "url_verification").unwrap();
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    let fake = FakeWecom::new(FakeConfig {
        corp_id: s("receive_id"),
        callback_token: s("token"),
        encoding_aes_key: s("encoding_aes_key"),
        ..FakeConfig::default()
    });
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(0, &fake, &base).await;
    let q = [
        ("msg_signature", s("msg_signature")),
        ("timestamp", s("timestamp")),
        ("nonce", s("nonce")),
        ("echostr", s("echostr")),
    ];
    let r = reqwest::Client::new().get(app.url("/wecom/callback")).query(&q).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), s("expected_plaintext"), "the plaintext alone, no quotes or newline");
    let mut bad = q.clone();
    bad[0].1 = "0".repeat(40);
    assert_eq!(
        reqwest::Client::new().get(app.url("/wecom/callback")).query(&bad).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_scanning_customer_becomes_an_active_relationship_and_a_deletion_ends_it() {
    let (fake, app) = setup().await;
    let rt = app.state.wecom.clone().unwrap();
    let way = ContactWay {
        config_id: String::new(),
        kind: 1,
        scene: 2,
        remark: "陆家嘴海报".into(),
        skip_verify: true,
        state: "ch_7".into(),
        user: vec!["wx_cm_sh01_1".into()],
        qr_code: String::new(),
    };
    let created = rt.client.add_contact_way(&way).await.unwrap();
    let (ext, userid, _code, status) = fake.customer_scans(&created.config_id, "王芳").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let r = relationship_after_jobs(&app, &ext, RelationshipStatus::Active).await;
    assert_eq!((r.staff_userid.as_str(), r.state.as_deref()), (userid.as_str(), Some("ch_7")));
    assert_eq!(fake.customer_deletes(&ext, &userid).await.unwrap(), StatusCode::OK);
    let r = relationship_after_jobs(&app, &ext, RelationshipStatus::DeletedByCustomer).await;
    assert!(r.ended_at.is_some());
}

#[tokio::test]
async fn forged_tampered_replayed_and_garbage_callbacks_change_nothing() {
    let (fake, app) = setup().await;
    let c = reqwest::Client::new();
    let cfg = fake.config().clone();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let xml = format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>sys</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType>\
         <Event>change_external_contact</Event><ChangeType>del_follow_user</ChangeType><UserID>wx_cm_sh01_1</UserID><ExternalUserID>wmX</ExternalUserID></xml>",
        cfg.corp_id
    );
    let post = |crypto: &CallbackCrypto, ts: u64, tamper: bool| {
        let enc = crypto.encrypt(&xml);
        let ts = ts.to_string();
        let mut sig = crypto.sign(&ts, "n1", &enc);
        if tamper {
            sig = "f".repeat(40);
        }
        let body = format!("<xml><ToUserName>{}</ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>", cfg.corp_id);
        c.post(app.url("/wecom/callback"))
            .query(&[("msg_signature", sig), ("timestamp", ts), ("nonce", "n1".into())])
            .body(body)
            .send()
    };
    let ours = CallbackCrypto::new(&cfg.callback_token, &cfg.encoding_aes_key, &cfg.corp_id).unwrap();
    assert_eq!(post(&ours, now, true).await.unwrap().status(), StatusCode::FORBIDDEN, "tampered signature");
    let other_corp = CallbackCrypto::new(&cfg.callback_token, &cfg.encoding_aes_key, "ww-someone-else").unwrap();
    assert_eq!(post(&other_corp, now, false).await.unwrap().status(), StatusCode::FORBIDDEN, "another corp's message");
    let forged = CallbackCrypto::new("guessed", &cfg.encoding_aes_key, &cfg.corp_id).unwrap();
    assert_eq!(post(&forged, now, false).await.unwrap().status(), StatusCode::FORBIDDEN, "signed with the wrong token");
    assert_eq!(post(&ours, now - 3600, false).await.unwrap().status(), StatusCode::FORBIDDEN, "an hour old: a replay");
    for garbage in ["", "not xml", "<xml><Encrypt></Encrypt></xml>", "<xml><Encrypt>@@@@</Encrypt></xml>"] {
        let r = c
            .post(app.url("/wecom/callback"))
            .query(&[("msg_signature", "x"), ("timestamp", &now.to_string()), ("nonce", "n")])
            .body(garbage)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{garbage:?} answered {}", r.status());
    }
    assert_eq!(callback_jobs(&app).await, 0, "nothing refused was queued");

    // The genuine one is accepted once; the same event again (WeCom's retry) is acknowledged and ignored.
    assert_eq!(post(&ours, now, false).await.unwrap().status(), StatusCode::OK);
    assert_eq!(post(&ours, now, false).await.unwrap().status(), StatusCode::OK);
    assert_eq!(callback_jobs(&app).await, 1);
}

/// Runs the queued jobs; `ok` must then hold.
async fn after_jobs(app: &TestApp, what: &str, ok: impl Fn() -> bool) {
    app.run_jobs().await;
    assert!(ok(), "{what} did not happen");
}

/// The whole channel-code path over real HTTP: an operator creates a code; a customer scans it at the
/// fake WeCom; the callback binds them to the right customer manager; the code's welcome message goes
/// out with the callback's welcome code; its tags are marked; the code rotates to the next manager;
/// the day's figures count the add. Then the same under injected 45009s and a token expiry, with no
/// message sent twice.
#[tokio::test]
async fn a_customer_scans_a_channel_code_end_to_end() {
    let (fake, app, hq, sh01) = two_managers_of_sh01().await;
    // The welcome is an approved library item: a link card with its words, the manager's name filled in.
    let comp = app.login("comp01").await;
    let perks = serde_json::json!({"kind": "link", "category": "benefit", "draft": {
        "title": "新客专享权益", "body": "您好，我是{客户经理}，有任何问题随时找我。",
        "link_url": "https://bank.example/welcome", "link_desc": "添加即领", "channels": ["one_to_one"]}});
    let item = hq.published_item(&app, &comp, perks).await;
    let code_with = |welcome: serde_json::Value| {
        serde_json::json!({
            "name": "陆家嘴支行海报",
            "kind": "branch_poster",
            "assignment": { "mode": "round_robin", "sub_branch_id": sh01.id },
            "welcome": welcome,
            "tags": ["网点海报", "陆家嘴"]
        })
    };
    // Free text nobody reviewed is no welcome, nor is an item that is only a draft.
    let (st, e) =
        hq.post_json(&app, "/api/v1/channels", code_with(serde_json::json!({"text": "随便写的欢迎语"}))).await;
    assert!(st.is_client_error(), "{st} {e}");
    let draft = serde_json::json!({"kind": "text", "category": "persona", "draft": {"title": "草稿", "body": "您好", "channels": ["one_to_one"]}});
    let (_, d) = hq.post_json(&app, "/api/v1/content/items", draft).await;
    let (st, e) = hq.post_json(&app, "/api/v1/channels", code_with(serde_json::json!({"item": d["item_id"]}))).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_welcome")), "{e}");
    assert!(fake.contact_ways().is_empty(), "nothing was made at WeCom");
    let body = code_with(serde_json::json!({"item": item}));
    let r =
        hq.client.post(app.url("/api/v1/channels")).header("x-csrf-token", &hq.csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let code: serde_json::Value = r.json().await.unwrap();
    let config_id = code["config_id"].as_str().unwrap().to_owned();
    let state = code["state"].as_str().unwrap().to_owned();
    assert_eq!(fake.contact_ways()[0].state, state);
    assert_eq!(fake.contact_ways()[0].user, ["wx_cm_sh01_1"], "the first manager in turn");

    let (ext, userid, welcome_code, status) = fake.customer_scans(&config_id, "王芳").await.unwrap();
    assert_eq!((status, userid.as_str()), (StatusCode::OK, "wx_cm_sh01_1"));
    let r = relationship_after_jobs(&app, &ext, RelationshipStatus::Active).await;
    assert_eq!((r.staff_userid.as_str(), r.state.as_deref()), ("wx_cm_sh01_1", Some(state.as_str())));
    after_jobs(&app, "the welcome message", || fake.welcomes_sent().len() == 1).await;
    let sent = &fake.welcomes_sent()[0];
    assert_eq!(sent.welcome_code, welcome_code);
    let manager = app.state.store.staff_by_ids(&[], &["wx_cm_sh01_1".into()]).await.unwrap().remove(0);
    assert_eq!(
        sent.text.as_ref().unwrap().content,
        format!("您好，我是{}，有任何问题随时找我。", manager.display_name)
    );
    let link = &sent.attachments[0]["link"];
    assert_eq!((link["title"].as_str(), link["desc"].as_str()), (Some("新客专享权益"), Some("添加即领")));
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with("http://") && url.contains("/l/"), "a tracked link on siyu's public address: {url}");
    // Opening it leads where the item says, and counts for the manager who was added.
    let path = &url[url.find("/l/").unwrap()..];
    let r = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = r.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "https://bank.example/welcome");
    after_jobs(&app, "the tags", || fake.marked_tags().len() == 1).await;
    assert_eq!(fake.marked_tags()[0]["external_userid"], ext);
    assert_eq!(fake.marked_tags()[0]["add_tag"].as_array().unwrap().len(), 2);
    after_jobs(&app, "the rotation", || fake.contact_ways()[0].user == ["wx_cm_sh01_2"]).await;

    // WeCom throttles and the token expires: the next customer still gets exactly one welcome.
    fake.inject(Fault::Errcode(45009), 2);
    fake.inject(Fault::ExpireToken, 1);
    let (ext2, userid2, _, status) = fake.customer_scans(&config_id, "李雷").await.unwrap();
    assert_eq!((status, userid2.as_str()), (StatusCode::OK, "wx_cm_sh01_2"), "bound to the next manager in turn");
    relationship_after_jobs(&app, &ext2, RelationshipStatus::Active).await;
    after_jobs(&app, "the second welcome", || fake.welcomes_sent().len() == 2).await;
    after_jobs(&app, "the rotation back", || fake.contact_ways()[0].user == ["wx_cm_sh01_1"]).await;
    // Whatever waits for a retry runs too.
    app.advance_secs(60).await;
    assert_eq!(fake.welcomes_sent().len(), 2, "nothing sent twice");

    // The day's figures: two added; one deletion after the customer leaves.
    fake.customer_deletes(&ext, "wx_cm_sh01_1").await.unwrap();
    relationship_after_jobs(&app, &ext, RelationshipStatus::DeletedByCustomer).await;
    let id = code["id"].as_str().unwrap();
    let v: serde_json::Value =
        hq.client.get(app.url(&format!("/api/v1/channels/{id}"))).send().await.unwrap().json().await.unwrap();
    let today = &v["stats"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((today["added"].as_i64(), today["deleted"].as_i64()), (Some(2), Some(1)), "{v}");

    // A customer manager of another sub-branch cannot see the code.
    let other = app.login("cm_hz01_1").await;
    assert_eq!(
        other.client.get(app.url(&format!("/api/v1/channels/{id}"))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let mine = app.login("cm_sh01_2").await;
    assert_eq!(
        mine.client.get(app.url(&format!("/api/v1/channels/{id}"))).send().await.unwrap().status(),
        StatusCode::OK
    );
}

/// A full sync records every existing relationship and links a WeCom contact to the bank's customer by
/// the mobile number in the manager's remark — only a customer within that manager's own scope.
#[tokio::test]
async fn a_full_sync_records_relationships_and_matches_customers_by_remark_mobile() {
    let (fake, app) = setup().await;
    let s = &app.state;
    let sh01 = s.store.org_units().await.unwrap().into_iter().find(|u| u.code == "SH01").unwrap();
    let hz01 = s.store.org_units().await.unwrap().into_iter().find(|u| u.code == "HZ01").unwrap();
    let (mine, theirs) = (app.login("cm_sh01_1").await.staff.id, app.login("cm_hz01_1").await.staff.id);
    let draft = siyu_domain::customer::CustomerDraft {
        customer_no: "W001".into(),
        name: "赵敏".into(),
        phone: Some("13700001234".into()),
        owner_id: Some(mine),
        ..draft_template(sh01.id)
    };
    save_customer(&app, draft).await;
    let known = fake.add_contact("wx_cm_sh01_1", "赵敏", &["137 0000 1234"]);
    // Another manager's customer: typing their mobile into a remark must not claim them.
    let elsewhere = siyu_domain::customer::CustomerDraft {
        customer_no: "W002".into(),
        name: "周芷若".into(),
        phone: Some("13700005678".into()),
        owner_id: Some(theirs),
        ..draft_template(hz01.id)
    };
    save_customer(&app, elsewhere).await;
    let claim = fake.add_contact("wx_cm_sh01_1", "冒认", &["13700005678"]);
    // A branch manager with a WeCom account sees their branch's customers, but a remark is still only
    // their word about their own contact: a customer manager's customer in their branch is not theirs.
    let bm = app.login("bm_sh").await.staff;
    let update = siyu_store::StaffUpdate {
        display_name: bm.display_name.clone(),
        role: bm.role,
        org_unit_id: bm.org_unit_id,
        wecom_userid: Some("wx_bm_sh".into()),
        active: true,
    };
    s.store.update_staff(bm.id, &update, siyu_domain::Clock::now(&*s.clock)).await.unwrap();
    fake.add_staff("wx_bm_sh");
    let branch_customer = siyu_domain::customer::CustomerDraft {
        customer_no: "W004".into(),
        name: "张无忌".into(),
        phone: Some("13700004444".into()),
        owner_id: Some(mine),
        ..draft_template(sh01.id)
    };
    save_customer(&app, branch_customer).await;
    let bm_claim = fake.add_contact("wx_bm_sh", "分行长的联系人", &["13700004444"]);
    let stranger = fake.add_contact("wx_cm_sh01_1", "路人", &["13900009999"]);
    // A customer the bank knows by WeChat UnionID, with no mobile in the remark.
    let by_union = siyu_domain::customer::CustomerDraft {
        customer_no: "W003".into(),
        name: "孙丽".into(),
        phone: None,
        wechat_unionid: Some("oUNION0003".into()),
        ..draft_template(sh01.id)
    };
    save_customer(&app, by_union).await;
    let union_contact = fake.add_contact_with_unionid("wx_cm_sh01_1", "孙丽", &[], Some("oUNION0003"));

    let hq = app.login("hq01").await;
    let r = hq.client.post(app.url("/api/v1/wecom/sync")).header("x-csrf-token", &hq.csrf).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    relationship_after_jobs(&app, &stranger, RelationshipStatus::Active).await;
    relationship_after_jobs(&app, &known, RelationshipStatus::Active).await;
    assert_eq!(linked_contact(&app, "W001").await.as_deref(), Some(known.as_str()));
    assert_eq!(linked_contact(&app, "W003").await.as_deref(), Some(union_contact.as_str()), "matched by UnionID");
    relationship_after_jobs(&app, &claim, RelationshipStatus::Active).await;
    assert_eq!(linked_contact(&app, "W002").await, None, "not the remarking manager's customer");
    relationship_after_jobs(&app, &bm_claim, RelationshipStatus::Active).await;
    assert_eq!(linked_contact(&app, "W004").await, None, "not the branch manager's own customer");
    // Only HQ roles may start one.
    let cm = app.login("cm_sh01_1").await;
    assert_eq!(
        cm.client.post(app.url("/api/v1/wecom/sync")).header("x-csrf-token", &cm.csrf).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

/// Customers joining and leaving a group arrive by callback and are recorded; a full sync reads the
/// groups of every staff member whole.
#[tokio::test]
async fn group_membership_follows_callbacks_and_the_sync() {
    let (fake, app) = setup().await;
    let chat = fake.create_group("wx_cm_sh01_1", "陆家嘴理财沙龙群");
    let a = fake.add_contact("wx_cm_sh01_1", "甲", &[]);
    let b = fake.add_contact("wx_cm_sh01_1", "乙", &[]);
    assert_eq!(fake.customer_joins_group(&chat, &a).await.unwrap(), StatusCode::OK);
    assert_eq!(fake.customer_joins_group(&chat, &b).await.unwrap(), StatusCode::OK);
    assert_eq!(fake.customer_leaves_group(&chat, &a).await.unwrap(), StatusCode::OK);
    let s = &app.state;
    app.run_jobs().await;
    let (_, members) = s.store.group(&chat).await.unwrap();
    let state_of =
        |u: &str| members.iter().find(|m| m.member_userid == u).map(|m| (m.member_type, m.left_at.is_some()));
    assert_eq!(state_of(&a), Some((2, true)), "joined, then left: {members:?}");
    assert_eq!(state_of(&b), Some((2, false)));

    // The sync reads the group whole: its name, its owner among the members.
    let hq = app.login("hq01").await;
    hq.client.post(app.url("/api/v1/wecom/sync")).header("x-csrf-token", &hq.csrf).send().await.unwrap();
    app.run_jobs().await;
    let (g, m) = s.store.group(&chat).await.unwrap();
    let named =
        g.name == "陆家嘴理财沙龙群" && m.iter().any(|m| m.member_userid == "wx_cm_sh01_1" && m.member_type == 1);
    assert!(named, "the sync filled in the group");
    assert_eq!(s.store.groups_of(&b).await.unwrap().len(), 1);
    assert!(s.store.groups_of(&a).await.unwrap().is_empty());
}

/// Tags both ways: a corp tag a manager marked in WeCom reaches siyu with the sync; a siyu tag marked
/// "sync to WeCom" becomes a corp tag, and tagging or untagging a customer marks their WeCom contact.
#[tokio::test]
async fn tags_mirror_between_siyu_and_wecom() {
    let (fake, app) = setup().await;
    let s = &app.state;
    let cm_staff = app.staff("cm_sh01_1").await;
    let draft = siyu_domain::customer::CustomerDraft {
        customer_no: "W002".into(),
        name: "钱敏".into(),
        phone: Some("13700005678".into()),
        owner_id: Some(cm_staff.id),
        ..draft_template(cm_staff.org_unit_id)
    };
    save_customer(&app, draft).await;
    let ext = fake.add_contact("wx_cm_sh01_1", "钱敏", &["13700005678"]);
    // In WeCom, the manager already marked a corp tag on her.
    let rt = s.wecom.as_deref().unwrap();
    let met = rt.client.add_corp_tags("客户经理标签", &["已面谈"]).await.unwrap().tag[0].id.clone();
    rt.client.mark_tags("wx_cm_sh01_1", &ext, std::slice::from_ref(&met), &[]).await.unwrap();
    // WeCom allows the same name in another corp group; siyu's names are unique, and the sync goes on.
    rt.client.add_corp_tags("另一组", &["已面谈"]).await.unwrap();

    let hq = app.login("hq01").await;
    hq.client.post(app.url("/api/v1/wecom/sync")).header("x-csrf-token", &hq.csrf).send().await.unwrap();
    app.run_jobs().await;
    let customer = s.store.customer_by_no(siyu_domain::scope::DataScope::All, "W002").await.unwrap();
    let tags = s.store.customer_tags(customer.id).await.unwrap();
    assert!(tags.iter().any(|t| t.name == "已面谈"), "the sync tagged her: {tags:?}");
    assert_eq!(tags[0].wecom_tag_id.as_deref(), Some(met.as_str()), "linked to the corp tag");

    // siyu → WeCom: a mirrored tag becomes a corp tag in a group of its group's name.
    let (_, g) = hq.post_json(&app, "/api/v1/tag-groups", serde_json::json!({"name": "兴趣"})).await;
    let tag = serde_json::json!({"group_id": g["id"], "name": "关注养老", "kind": "manual", "sync_to_wecom": true});
    let (_, t) = hq.post_json(&app, "/api/v1/tags", tag).await;
    let tag_id: siyu_domain::TagId = t["id"].as_str().unwrap().parse().unwrap();
    app.run_jobs().await;
    let corp = s.store.tag(tag_id).await.unwrap().wecom_tag_id.expect("the corp tag was made");
    let groups = fake.corp_tag_groups();
    assert!(
        groups.iter().any(|g| g.group_name == "兴趣" && g.tag.iter().any(|t| t.id == corp && t.name == "关注养老"))
    );

    // The manager tags her in siyu: her WeCom contact gets the corp tag; untagging takes it off.
    let cm = app.login("cm_sh01_1").await;
    let r = cm
        .client
        .post(app.url(&format!("/api/v1/customers/{}/tags", customer.id)))
        .header("x-csrf-token", &cm.csrf)
        .json(&serde_json::json!({"tag_id": tag_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    after_jobs(&app, "the contact carries the corp tag", || fake.contact_tags(&ext, "wx_cm_sh01_1").contains(&corp))
        .await;
    cm.client
        .delete(app.url(&format!("/api/v1/customers/{}/tags/{tag_id}", customer.id)))
        .header("x-csrf-token", &cm.csrf)
        .send()
        .await
        .unwrap();
    after_jobs(&app, "the corp tag is taken off", || !fake.contact_tags(&ext, "wx_cm_sh01_1").contains(&corp)).await;
    assert!(fake.contact_tags(&ext, "wx_cm_sh01_1").contains(&met), "the manager's own tag stays");
}

/// A customer draft with nothing but the required fields, for tests to fill in.
pub(crate) fn draft_template(sub_branch_id: siyu_domain::OrgUnitId) -> siyu_domain::customer::CustomerDraft {
    siyu_domain::customer::CustomerDraft {
        customer_no: String::new(),
        name: String::new(),
        phone: None,
        id_number: None,
        id_type: None,
        gender: Default::default(),
        birthday: None,
        sub_branch_id,
        owner_id: None,
        aum_tier: siyu_domain::customer::AumTier::new(2).unwrap(),
        segments: Default::default(),
        risk: None,
        consent: Default::default(),
        wecom_external_userid: None,
        wechat_unionid: None,
    }
}

/// Seals and stores one customer, as an import would.
async fn save_customer(app: &TestApp, draft: siyu_domain::customer::CustomerDraft) {
    let s = &app.state;
    let now = siyu_domain::Clock::now(&*s.clock);
    s.store.upsert_customers(&[s.vault.seal_customer(draft)], &siyu_store::UpsertFields::all(), now).await.unwrap();
}

/// A full sync already due or running is reported by `POST /wecom/sync`, not queued a second time,
/// whoever queued it; the nightly sync, hours away, does not stop a manual one.
#[tokio::test]
async fn a_manual_sync_is_not_queued_while_another_is_due_or_running() {
    let (_fake, app) = setup().await;
    let hq = app.login("hq01").await;
    let post = || async {
        let r = hq.client.post(app.url("/api/v1/wecom/sync")).header("x-csrf-token", &hq.csrf).send().await.unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    let now = app.state.clock.now();
    let sync = FullSync::NAME;
    // Only the scheduler's nightly sync waits: a manual one is queued.
    let waiting = app
        .state
        .store
        .list_jobs(
            &JobFilter { status: Some(siyu_domain::job::JobStatus::Queued), kind: Some(sync.into()) },
            Page::first(10),
        )
        .await
        .unwrap();
    let nightly_soon = waiting.items.iter().any(|j| j.run_at.millis() < now.millis() + 20 * 60 * 1000);
    if !nightly_soon {
        let (s, v) = post().await;
        assert_eq!((s, v["queued"].as_bool()), (StatusCode::ACCEPTED, Some(true)), "{v}");
        // Let it finish, so that what follows sees only the job queued below.
        let id = v["job_id"].as_str().unwrap().to_owned();
        let done = JobFilter { status: Some(siyu_domain::job::JobStatus::Succeeded), kind: Some(sync.into()) };
        app.run_jobs().await;
        let jobs = app.state.store.list_jobs(&done, Page::first(10)).await.unwrap().items;
        assert!(jobs.iter().any(|j| j.id.to_string() == id), "the manual sync did not finish");
    }
    // A retry (or another process's sync) queued to run in five minutes.
    let in_five_minutes = Options::at(siyu_domain::Timestamp::from_millis(now.millis() + 300_000));
    let soon = siyu_app::jobs::row::<FullSync>(&Nothing, &in_five_minutes.once_as("retry-test"), now);
    let soon_id = app.state.store.enqueue(&soon).await.unwrap().unwrap();
    for _ in 0..3 {
        let (s, v) = post().await;
        assert_eq!((s, v["queued"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
        assert_eq!(v["job_id"], soon_id.to_string(), "the sync already queued is named");
    }
    let f = JobFilter { status: Some(siyu_domain::job::JobStatus::Queued), kind: Some(sync.into()) };
    let queued = app.state.store.list_jobs(&f, Page::first(10)).await.unwrap().items;
    assert!(queued.iter().all(|j| j.id == soon_id || j.run_at.millis() > now.millis() + 3_600_000), "{queued:?}");
}

/// A round-robin code moves on once per add: a callback job that runs again, or an older add of the
/// same contact arriving late, does not move it past the next manager.
#[tokio::test]
async fn a_channel_code_rotates_once_per_add_whatever_runs_again() {
    let (fake, app, hq, sh01) = two_managers_of_sh01().await;
    let body = serde_json::json!({
        "name": "陆家嘴支行海报",
        "kind": "branch_poster",
        "assignment": { "mode": "round_robin", "sub_branch_id": sh01.id },
    });
    let (s, code) = hq.post_json(&app, "/api/v1/channels", body).await;
    assert_eq!(s, StatusCode::CREATED, "{code}");
    let config_id = code["config_id"].as_str().unwrap().to_owned();
    let code_id: siyu_domain::ChannelCodeId = code["id"].as_str().unwrap().parse().unwrap();
    let (ext, userid, _, _) = fake.customer_scans(&config_id, "王芳").await.unwrap();
    assert_eq!(userid, "wx_cm_sh01_1");
    relationship_after_jobs(&app, &ext, RelationshipStatus::Active).await;
    after_jobs(&app, "the rotation", || fake.contact_ways()[0].user == ["wx_cm_sh01_2"]).await;
    let cm2 = app.staff("cm_sh01_2").await;
    let current = || async { app.state.store.channel_code(code_id).await.unwrap().current_staff_id };
    assert_eq!(current().await, Some(cm2.id));

    // The callback job runs again (its worker died before completing it).
    let f = JobFilter { status: None, kind: Some(ApplyCallback::NAME.into()) };
    let done = app.state.store.list_jobs(&f, Page::first(1)).await.unwrap().items.remove(0);
    let again =
        siyu_domain::job::NewJob::now(&done.kind, done.payload.clone(), siyu_domain::Clock::now(&*app.state.clock));
    app.state.store.enqueue(&again).await.unwrap().unwrap();
    let all_done = |n: i64| {
        let f = f.clone();
        let app = &app;
        async move {
            app.run_jobs().await;
            let all = app.state.store.list_jobs(&f, Page::first(10)).await.unwrap();
            let succeeded = all.items.iter().all(|j| j.status == siyu_domain::job::JobStatus::Succeeded);
            assert!(all.total == n && succeeded, "{n} callback jobs did not all succeed: {:?}", all.items);
        }
    };
    all_done(2).await;
    assert_eq!(fake.contact_ways()[0].user, ["wx_cm_sh01_2"], "a re-run does not move the code again");
    assert_eq!(current().await, Some(cm2.id));

    // An older add of the same contact through the same code arrives late.
    let state = code["state"].as_str().unwrap();
    let stale = format!(
        "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>\
         <ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[wx_cm_sh01_1]]></UserID>\
         <ExternalUserID><![CDATA[{ext}]]></ExternalUserID><State><![CDATA[{state}]]></State></xml>",
        fake.config().corp_id,
        done_time(&done.payload) - 60,
    );
    assert_eq!(fake.deliver(&stale).await.unwrap(), StatusCode::OK);
    all_done(3).await;
    assert_eq!(fake.contact_ways()[0].user, ["wx_cm_sh01_2"], "a stale add does not move the code");
    assert_eq!(current().await, Some(cm2.id));
}

/// The CreateTime of a callback's XML.
fn done_time(xml: &str) -> i64 {
    let start = xml.find("<CreateTime>").unwrap() + "<CreateTime>".len();
    let end = xml[start..].find('<').unwrap() + start;
    xml[start..end].parse().unwrap()
}

/// A staff member joining a group is recorded as staff however many staff the bank has: one far past
/// the first 500 the store lists too.
#[tokio::test]
async fn a_group_member_is_known_as_staff_among_thousands() {
    let (fake, app) = setup().await;
    let unit = app.staff("cm_sh01_1").await.org_unit_id;
    let staff = crate::common::extra_staff(&*app.state.store, unit, 600, app.state.clock.now()).await;
    let late = staff.last().unwrap().wecom_userid.clone().unwrap();
    let chat = fake.create_group("wx_cm_sh01_1", "大户群");
    let customer = fake.add_contact("wx_cm_sh01_1", "丙", &[]);
    assert_eq!(fake.customer_joins_group(&chat, &late).await.unwrap(), StatusCode::OK);
    assert_eq!(fake.customer_joins_group(&chat, &customer).await.unwrap(), StatusCode::OK);
    app.run_jobs().await;
    let (_, members) = app.state.store.group(&chat).await.unwrap();
    let kind_of = |u: &str| members.iter().find(|m| m.member_userid == u).map(|m| m.member_type);
    assert_eq!(kind_of(&late), Some(1), "the 600th extra staff member is staff: {members:?}");
    assert_eq!(kind_of(&customer), Some(2));
}
