//! The callback URL over real HTTP, with the fake WeCom on the other side: URL verification with the
//! official vector, a scanning customer becoming an active relationship, a customer deleting their
//! manager, and forged, tampered, replayed and garbage callbacks refused with no state change.

mod common;

use std::time::Duration;

use common::{TestApp, spawn_app_with_wecom};
use reqwest::StatusCode;
use siyu_store::{JobFilter, Page, RelationshipStatus};
use siyu_wecom::api::ContactWay;
use siyu_wecom::crypto::CallbackCrypto;
use siyu_wecom::fake::{FakeConfig, FakeWecom};

async fn setup() -> (FakeWecom, TestApp) {
    let fake = FakeWecom::new(FakeConfig::default());
    fake.add_staff("wx_cm_sh01_1");
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    (fake, app)
}

async fn callback_jobs(app: &TestApp) -> i64 {
    let f = JobFilter { status: None, kind: Some(siyu::wecom::CALLBACK_JOB.into()) };
    app.state.store.list_jobs(&f, Page::first(1)).await.unwrap().total
}

/// Waits for the relationship to reach `status`.
async fn wait_relationship(app: &TestApp, ext: &str, status: RelationshipStatus) -> siyu_store::Relationship {
    for _ in 0..200 {
        if let Some(r) = app.state.store.relationships(ext).await.unwrap().into_iter().find(|r| r.status == status) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{ext} never became {status:?}");
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
    let r = wait_relationship(&app, &ext, RelationshipStatus::Active).await;
    assert_eq!((r.staff_userid.as_str(), r.state.as_deref()), (userid.as_str(), Some("ch_7")));
    assert_eq!(fake.customer_deletes(&ext, &userid).await.unwrap(), StatusCode::OK);
    let r = wait_relationship(&app, &ext, RelationshipStatus::DeletedByCustomer).await;
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
