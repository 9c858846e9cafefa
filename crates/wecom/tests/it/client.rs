//! The client against the fake server: token caching and refresh, retries with backoff, bounds,
//! timeouts, and a scripted customer whose callback arrives correctly signed and encrypted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Query;
use siyu_wecom::api::{ContactWay, Text, WelcomeMessage};
use siyu_wecom::client::{RetryPolicy, WecomClient, WecomError};
use siyu_wecom::crypto::CallbackCrypto;
use siyu_wecom::event::{CallbackEvent, ContactChange, EventKind};
use siyu_wecom::fake::{FakeConfig, FakeWecom, Fault};
use siyu_wecom::xml::Fields;

fn fast() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        timeout: Duration::from_millis(500),
        ..RetryPolicy::default()
    }
}

async fn setup() -> (FakeWecom, WecomClient) {
    let fake = FakeWecom::new(FakeConfig::default());
    fake.add_staff("cm_sh01_1");
    fake.add_staff("cm_sh01_2");
    let base = fake.spawn().await;
    let client = WecomClient::new(&base, &fake.config().corp_id, &fake.config().secret, fast());
    (fake, client)
}

fn way(users: &[&str], state: &str) -> ContactWay {
    ContactWay {
        config_id: String::new(),
        kind: if users.len() == 1 { 1 } else { 2 },
        scene: 2,
        remark: "陆家嘴海报".into(),
        skip_verify: true,
        state: state.into(),
        user: users.iter().map(|u| u.to_string()).collect(),
        qr_code: String::new(),
    }
}

#[tokio::test]
async fn the_token_is_fetched_once_and_renewed_when_refused() {
    let (fake, client) = setup().await;
    for _ in 0..5 {
        assert_eq!(client.follow_users().await.unwrap().len(), 2);
    }
    assert_eq!(fake.token_fetches(), 1, "cached");
    fake.inject(Fault::ExpireToken, 1);
    assert_eq!(client.follow_users().await.unwrap().len(), 2, "refetched and retried once");
    assert_eq!(fake.token_fetches(), 2);
    let wrong = WecomClient::new(client.base(), &fake.config().corp_id, "wrong-secret", fast());
    assert_eq!(wrong.follow_users().await.unwrap_err().errcode(), Some(40001));
}

#[tokio::test]
async fn busy_and_rate_limited_answers_are_retried_within_a_bound() {
    let (fake, client) = setup().await;
    fake.inject(Fault::Errcode(45009), 2);
    fake.inject(Fault::Status(502), 1);
    assert_eq!(client.follow_users().await.unwrap().len(), 2, "two 45009s and a 502, then success");
    assert_eq!(fake.calls_to("/cgi-bin/externalcontact/get_follow_user_list"), 4);

    fake.inject(Fault::Errcode(-1), 10);
    let e = client.follow_users().await.unwrap_err();
    assert!(matches!(e, WecomError::GaveUp { errcode: -1, attempts: 4, .. }), "{e:?}");

    let (fake, client) = setup().await;
    fake.inject(Fault::Delay(Duration::from_secs(2)), 1);
    assert!(matches!(client.follow_users().await.unwrap_err(), WecomError::Timeout(_)));
    fake.inject(Fault::Errcode(48002), 1);
    assert_eq!(
        client.follow_users().await.unwrap_err(),
        WecomError::Api { errcode: 48002, errmsg: "injected".into() },
        "not retried"
    );
}

#[tokio::test]
async fn a_member_without_customers_has_none() {
    let (_fake, client) = setup().await;
    assert!(client.customers_of("cm_sh01_1").await.unwrap().is_empty(), "84061 means an empty list");
}

#[tokio::test]
async fn contact_ways_tags_and_messages_round_trip() {
    let (fake, client) = setup().await;
    let created = client.add_contact_way(&way(&["cm_sh01_1"], "ch_1")).await.unwrap();
    assert!(client.fetch_qr_image(&created.qr_code).await.is_ok(), "the fake serves the way's QR image");
    let mut w = client.contact_way(&created.config_id).await.unwrap();
    assert_eq!((w.state.as_str(), w.user.as_slice()), ("ch_1", ["cm_sh01_1".to_owned()].as_slice()));
    w.user = vec!["cm_sh01_2".into()];
    client.update_contact_way(&w).await.unwrap();
    assert_eq!(client.contact_way(&created.config_id).await.unwrap().user, ["cm_sh01_2"]);
    assert_eq!(client.add_contact_way(&way(&["nobody"], "x")).await.unwrap_err().errcode(), Some(60111));
    assert_eq!(
        client.add_contact_way(&way(&["cm_sh01_1"], &"长".repeat(31))).await.unwrap_err().errcode(),
        Some(40058)
    );
    client.delete_contact_way(&created.config_id).await.unwrap();
    assert_eq!(client.contact_way(&created.config_id).await.unwrap_err().errcode(), Some(41044));

    let g = client.add_corp_tags("客户来源", &["网点海报", "公众号"]).await.unwrap();
    assert_eq!(g.tag.len(), 2);
    assert_eq!(client.corp_tags().await.unwrap()[0].group_name, "客户来源");
    client.edit_corp_tag(&g.tag[0].id, "大堂海报").await.unwrap();
    assert_eq!(client.corp_tags().await.unwrap()[0].tag[0].name, "大堂海报");
    client.delete_corp_tags(std::slice::from_ref(&g.tag[1].id), &[]).await.unwrap();
    assert_eq!(client.corp_tags().await.unwrap()[0].tag.len(), 1);
    client.delete_corp_tags(std::slice::from_ref(&g.tag[0].id), &[]).await.unwrap();
    assert!(client.corp_tags().await.unwrap().is_empty(), "a group without tags is gone");
    assert_eq!(client.edit_corp_tag("nope", "x").await.unwrap_err().errcode(), Some(40068));
    assert_eq!(client.staff_ids().await.unwrap(), ["cm_sh01_1", "cm_sh01_2"]);
    client.notify_staff(1000002, &["cm_sh01_1".into()], "新线索：王女士").await.unwrap();
    assert_eq!(fake.app_messages()[0]["text"]["content"], "新线索：王女士");
}

/// What a callback receiver saw: the query and the body of each POST.
type Seen = Arc<Mutex<Vec<(std::collections::HashMap<String, String>, String)>>>;

#[tokio::test]
async fn a_scanning_customer_arrives_as_a_signed_encrypted_callback() {
    let (fake, client) = setup().await;
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let app = axum::Router::new().route(
        "/cb",
        axum::routing::post(move |Query(q): Query<std::collections::HashMap<String, String>>, body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((q, body));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    fake.set_callback_url(&format!("http://{addr}/cb"));

    let created = client.add_contact_way(&way(&["cm_sh01_1", "cm_sh01_2"], "ch_42")).await.unwrap();
    let (ext, userid, code, status) = fake.customer_scans(&created.config_id, "王芳").await.unwrap();
    assert_eq!(status, 200);

    let (q, body) = seen.lock().unwrap()[0].clone();
    let cfg = fake.config();
    let crypto = CallbackCrypto::new(&cfg.callback_token, &cfg.encoding_aes_key, &cfg.corp_id).unwrap();
    let encrypt = Fields::parse(&body).unwrap().get("Encrypt").unwrap().to_owned();
    let plain = crypto.open(&q["msg_signature"], &q["timestamp"], &q["nonce"], &encrypt).unwrap();
    let e = CallbackEvent::parse(&plain).unwrap();
    let EventKind::ExternalContact(c) = e.kind else { panic!("a contact event") };
    assert_eq!(
        (c.change, c.external_user_id.as_str(), c.user_id.as_str()),
        (ContactChange::Added, ext.as_str(), userid.as_str())
    );
    assert_eq!((c.state.as_deref(), c.welcome_code.as_deref()), (Some("ch_42"), Some(code.as_str())));

    // The welcome code works once.
    let msg = WelcomeMessage {
        welcome_code: code,
        text: Some(Text { content: "您好，我是您的客户经理".into() }),
        attachments: vec![],
    };
    client.send_welcome(&msg).await.unwrap();
    assert_eq!(client.send_welcome(&msg).await.unwrap_err().errcode(), Some(41051));
    assert_eq!(fake.welcomes_sent().len(), 1);
    let (contact, follows) = client.external_contact(&ext).await.unwrap();
    assert_eq!((contact.name.as_str(), follows[0].state.as_deref()), ("王芳", Some("ch_42")));
    assert_eq!(client.customers_of(&userid).await.unwrap(), std::slice::from_ref(&ext));
    let page = client.contacts_by_staff(std::slice::from_ref(&userid), "", 100).await.unwrap();
    assert_eq!((page.items.len(), page.next_cursor.as_str()), (1, ""));
}

/// A server that gives a token, then hangs up on every other request without answering.
async fn hangs_up_after_the_token() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                if String::from_utf8_lossy(&buf[..n]).contains("/cgi-bin/gettoken") {
                    let body = r#"{"errcode":0,"errmsg":"ok","access_token":"TOKEN-abc123","expires_in":7200}"#;
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                }
                // Anything else: dropped unanswered.
            });
        }
    });
    base
}

#[tokio::test]
async fn transport_errors_never_carry_the_secret_or_the_token() {
    // Nothing listens on port 9: the token request itself fails, its URL holding corpsecret.
    let client = WecomClient::new("http://127.0.0.1:9", "corp1", "SECRET-xyz789", fast());
    let e = client.get::<serde_json::Value>("/cgi-bin/user/list_id", &[]).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, WecomError::Http(_)), "{e:?}");
    assert!(!text.contains("SECRET-xyz789") && !text.contains("corpsecret"), "{text}");
    assert!(!format!("{e:?}").contains("SECRET-xyz789"), "nor in the debug form");

    let base = hangs_up_after_the_token().await;
    let client = WecomClient::new(&base, "corp1", "SECRET-xyz789", fast());
    let e = client.get::<serde_json::Value>("/cgi-bin/user/list_id", &[]).await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(matches!(e, WecomError::Http(_)), "{e:?}");
    assert!(!text.contains("TOKEN-abc123") && !text.contains("access_token"), "{text}");
}

/// WeCom (or a proxy before it) sends the head of an answer, then stalls in the body.
#[tokio::test]
async fn a_body_that_stalls_is_a_timeout_and_its_text_has_no_url() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let client = WecomClient::new(&base, "corp", "the-app-secret", fast());
    let e = client.follow_users().await.unwrap_err();
    assert!(matches!(e, WecomError::Timeout(_)), "{e:?}");
    let text = e.to_string();
    assert!(!text.contains("the-app-secret") && !text.contains("corpsecret") && !text.contains("http://"), "{text}");
}

#[tokio::test]
async fn temporary_media_are_uploaded_as_a_multipart_field_and_retried_when_refused_for_the_token() {
    use siyu_wecom::client::MediaType;
    let (fake, client) = setup().await;
    let png = b"\x89PNG\r\n\x1a\n-a-cover-".to_vec();
    let up = client.upload_media(MediaType::Image, "封面.png", "image/png", &png).await.unwrap();
    assert!(!up.media_id.is_empty());
    assert!(up.created_at > 1_700_000_000, "{up:?}");
    // A token WeCom stopped taking is renewed and the same form sent again.
    fake.inject(Fault::ExpireToken, 1);
    let pdf = b"%PDF-1.7 a brochure".to_vec();
    let again = client.upload_media(MediaType::File, "brochure.pdf", "application/pdf", &pdf).await.unwrap();
    let taken = fake.media_uploads();
    assert_eq!(taken.len(), 2);
    assert_eq!((taken[0].kind.as_str(), taken[0].file_name.as_str(), taken[0].size), ("image", "封面.png", png.len()));
    assert_eq!((taken[1].media_id.as_str(), taken[1].size), (again.media_id.as_str(), pdf.len()));
    // WeCom takes only JPG and PNG as an image.
    let gif = b"GIF89a-a-gif-".to_vec();
    let refused = client.upload_media(MediaType::Image, "a.gif", "image/gif", &gif).await.unwrap_err();
    assert_eq!(refused.errcode(), Some(40005));
}
