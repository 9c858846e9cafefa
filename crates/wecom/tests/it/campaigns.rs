//! Mass messages, Moments, groups, transfers and statistics through the client against the fake,
//! including WeCom's per-customer receive limit and group membership callbacks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use siyu_wecom::api::Text;
use siyu_wecom::campaigns::MsgTemplate;
use siyu_wecom::client::{RetryPolicy, WecomClient};
use siyu_wecom::crypto::CallbackCrypto;
use siyu_wecom::event::{CallbackEvent, ChatChange, EventKind};
use siyu_wecom::fake::{FakeConfig, FakeWecom};
use siyu_wecom::xml::Fields;

async fn setup() -> (FakeWecom, WecomClient) {
    let fake = FakeWecom::new(FakeConfig::default());
    fake.add_staff("cm1");
    fake.add_staff("cm2");
    let base = fake.spawn().await;
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    let client = WecomClient::new(&base, &fake.config().corp_id, &fake.config().secret, policy);
    (fake, client)
}

fn text_msg(customers: &[String], body: &str) -> MsgTemplate {
    MsgTemplate {
        chat_type: "single".into(),
        external_userid: customers.to_vec(),
        chat_id_list: vec![],
        sender: String::new(),
        text: Some(Text { content: body.into() }),
        attachments: vec![],
    }
}

#[tokio::test]
async fn a_mass_message_waits_for_the_manager_and_respects_the_receive_limit() {
    let (fake, client) = setup().await;
    let a = fake.add_contact("cm1", "甲", &[]);
    let b = fake.add_contact("cm1", "乙", &[]);
    let c = fake.add_contact("cm2", "丙", &[]);
    let created = client
        .add_msg_template(&text_msg(&[a.clone(), b.clone(), c.clone(), "wm-unknown".into()], "本周理财讲座"))
        .await
        .unwrap();
    assert_eq!(created.fail_list, ["wm-unknown"]);
    let mut tasks = client.msg_tasks(&created.msgid).await.unwrap();
    tasks.sort_by(|x, y| x.userid.cmp(&y.userid));
    assert_eq!(
        tasks.iter().map(|t| (t.userid.as_str(), t.status)).collect::<Vec<_>>(),
        [("cm1", 0), ("cm2", 0)],
        "nothing sent until confirmed"
    );
    assert!(client.msg_results(&created.msgid, "cm1").await.unwrap().is_empty());

    fake.staff_confirms(&created.msgid, "cm1").unwrap();
    let results = client.msg_results(&created.msgid, "cm1").await.unwrap();
    assert!(results.iter().filter(|r| r.external_userid == a || r.external_userid == b).all(|r| r.status == 1));
    assert_eq!(results.iter().find(|r| r.external_userid == c).unwrap().status, 2, "not cm1's contact");
    assert!(fake.staff_confirms(&created.msgid, "cm1").is_err(), "a task is confirmed once");

    // A second message the same day: the strictest WeCom setting lets each customer get one a day.
    let second = client.add_msg_template(&text_msg(std::slice::from_ref(&a), "再提醒一次")).await.unwrap();
    fake.staff_confirms(&second.msgid, "cm1").unwrap();
    assert_eq!(client.msg_results(&second.msgid, "cm1").await.unwrap()[0].status, 3, "over the receive limit");
    assert_eq!(client.msg_list("single", 0, i64::MAX).await.unwrap().len(), 2);
    client.cancel_msg(&second.msgid).await.unwrap();
}

#[tokio::test]
async fn moments_transfers_and_statistics() {
    let (fake, client) = setup().await;
    let job = client.add_moment_task("理财非存款、产品有风险、投资须谨慎", &["cm1".into()]).await.unwrap();
    let (status, moment) = client.moment_task_result(&job).await.unwrap();
    assert_eq!(status, 3);
    assert!(moment.is_some());

    let a = fake.add_contact("cm1", "甲", &[]);
    let r = client.transfer_customers(false, "cm1", "cm2", &[a.clone(), "wm-not-theirs".into()]).await.unwrap();
    assert_eq!(r, [(a.clone(), 0), ("wm-not-theirs".to_owned(), 40096)]);
    let st = client.transfer_results(false, "cm1", "cm2").await.unwrap();
    assert_eq!((st[0].external_userid.as_str(), st[0].status), (a.as_str(), 2), "waiting for the 24-hour takeover");
    assert!(client.transfer_results(true, "cm1", "cm2").await.unwrap().is_empty(), "resigned transfers are separate");

    let days = client.behavior_data(&["cm1".into()], 1_767_196_800, 1_767_283_200).await.unwrap();
    assert_eq!(days[0].new_contact_cnt, 1);
}

/// A delivered callback: signature, timestamp, nonce, ciphertext.
type Delivered = (String, String, String, String);

#[tokio::test]
async fn group_members_come_and_go_with_callbacks() {
    let (fake, client) = setup().await;
    let seen: Arc<Mutex<Vec<Delivered>>> = Arc::default();
    let sink = seen.clone();
    let app = axum::Router::new().route(
        "/cb",
        axum::routing::post(
            move |axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
                  body: String| {
                let sink = sink.clone();
                async move {
                    let enc = Fields::parse(&body).unwrap().get("Encrypt").unwrap().to_owned();
                    sink.lock().unwrap().push((
                        q["msg_signature"].clone(),
                        q["timestamp"].clone(),
                        q["nonce"].clone(),
                        enc,
                    ));
                    ""
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    fake.set_callback_url(&format!("http://{addr}/cb"));

    let chat = fake.create_group("cm1", "陆家嘴理财沙龙群");
    let (ids, _) = client.group_chats(&["cm1".into()], "").await.unwrap();
    assert_eq!(ids, std::slice::from_ref(&chat));
    let way = client.add_join_way(std::slice::from_ref(&chat), "grp_1", "沙龙签到").await.unwrap();
    assert!(!way.is_empty());
    let a = fake.add_contact("cm1", "甲", &[]);
    fake.customer_joins_group(&chat, &a).await.unwrap();
    let g = client.group_chat(&chat).await.unwrap();
    assert_eq!(g.member_list.iter().filter(|m| m.kind == 2).count(), 1);
    fake.customer_leaves_group(&chat, &a).await.unwrap();
    assert_eq!(client.group_chat(&chat).await.unwrap().member_list.len(), 1);

    let cfg = fake.config();
    let crypto = CallbackCrypto::new(&cfg.callback_token, &cfg.encoding_aes_key, &cfg.corp_id).unwrap();
    let events: Vec<CallbackEvent> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(s, t, n, e)| CallbackEvent::parse(&crypto.open(s, t, n, e).unwrap()).unwrap())
        .collect();
    let changes: Vec<(ChatChange, Vec<String>)> = events
        .into_iter()
        .map(|e| match e.kind {
            EventKind::ExternalChat(c) => (c.change, c.members_changed),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        changes,
        [
            (ChatChange::Updated { update_detail: "add_member".into() }, vec![a.clone()]),
            (ChatChange::Updated { update_detail: "del_member".into() }, vec![a.clone()])
        ]
    );
}
