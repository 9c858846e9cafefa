//! Channel codes' controls against the fake WeCom: a manager who reaches the daily cap hands the code
//! to the next and then to the backup, a new bank day lifts the caps, schedules give the code to the
//! backup outside working hours and skip-verify flips at its windows — each seen in the fake's
//! contact way. And the code's QR image, its poster (and the poster's answer when WeCom gives no
//! image), the list's figures and the customers a code brought in, scoped.

use chrono::{Datelike, Timelike};
use reqwest::StatusCode;
use serde_json::{Value, json};
use siyu_wecom::api::ContactWay;
use siyu_wecom::fake::{FakeConfig, FakeWecom};

use crate::common::{Session, TestApp, spawn_app_with_wecom};

/// The fake WeCom with Lujiazui's two managers and one of Hangzhou's, the app, HQ signed in.
async fn setup() -> (FakeWecom, TestApp, Session) {
    let fake = FakeWecom::new(FakeConfig::default());
    for u in ["wx_cm_sh01_1", "wx_cm_sh01_2", "wx_cm_hz01_1"] {
        fake.add_staff(u);
    }
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    let hq = app.login("hq01").await;
    (fake, app, hq)
}

fn way(fake: &FakeWecom, config_id: &str) -> ContactWay {
    fake.contact_ways().into_iter().find(|w| w.config_id == config_id).unwrap()
}

/// Creates a code from `body`; returns its id and config id.
async fn create(app: &TestApp, hq: &Session, body: Value) -> (String, String) {
    let (s, code) = hq.post_json(app, "/api/v1/channels", body).await;
    assert_eq!(s, StatusCode::CREATED, "{code}");
    (code["id"].as_str().unwrap().to_owned(), code["config_id"].as_str().unwrap().to_owned())
}

async fn put_controls(app: &TestApp, hq: &Session, id: &str, controls: Value) -> (StatusCode, Value) {
    let r = hq
        .client
        .put(app.url(&format!("/api/v1/channels/{id}/controls")))
        .header("x-csrf-token", &hq.csrf)
        .json(&controls)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A customer scans the code and the callback is applied; returns who they added.
async fn scan(app: &TestApp, fake: &FakeWecom, config_id: &str) -> String {
    let (_, userid, _, status) = fake.customer_scans(config_id, "王芳").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    app.run_jobs().await;
    userid
}

/// Moves siyu's clock and the fake's on `secs`, then lets the minute's schedule job run, as the
/// scheduler would.
async fn pass(app: &TestApp, fake: &FakeWecom, secs: i64) {
    fake.advance_secs(secs + 60);
    app.advance_secs(secs).await;
    siyu_app::jobs::scheduler::tick(&app.state).await;
    app.advance_secs(60).await;
}

/// Seconds from the app's now to the next `weekday` (1 Monday) at `hour`:00 bank time, at least a day on.
fn secs_until(app: &TestApp, weekday: u32, hour: u32) -> i64 {
    let now = siyu_app::services::channel_controls::bank_time(siyu_domain::Clock::now(&*app.state.clock));
    let today = now.weekday().number_from_monday();
    let days = (i64::from(weekday) - i64::from(today)).rem_euclid(7);
    let days = if days == 0 { 7 } else { days };
    let target = (now.date() + chrono::Days::new(days as u64)).and_hms_opt(hour, 0, 0).unwrap();
    (target - now).num_seconds()
}

#[tokio::test]
async fn a_capped_manager_hands_the_code_on_and_the_backup_takes_the_rest_until_the_next_day() {
    let (fake, app, hq) = setup().await;
    let sh01 = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "SH01").unwrap();
    let backup = app.staff("cm_hz01_1").await;
    let body = json!({
        "name": "陆家嘴支行海报",
        "kind": "branch_poster",
        "assignment": { "mode": "round_robin", "sub_branch_id": sh01.id },
        "controls": { "daily_cap": 2, "backup_staff_id": backup.id },
    });
    let (_, config_id) = create(&app, &hq, body).await;
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_sh01_1"]);
    // In turn: 1, 2, 1 (capped at 2 now) → 2 only.
    let mut took = Vec::new();
    for _ in 0..3 {
        took.push(scan(&app, &fake, &config_id).await);
    }
    assert_eq!(took, ["wx_cm_sh01_1", "wx_cm_sh01_2", "wx_cm_sh01_1"]);
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_sh01_2"], "manager 1 reached the cap: only manager 2");
    assert_eq!(scan(&app, &fake, &config_id).await, "wx_cm_sh01_2");
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_hz01_1"], "both capped: the backup");
    assert_eq!(scan(&app, &fake, &config_id).await, "wx_cm_hz01_1");
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_hz01_1"], "the backup has no cap");

    // A new bank day lifts the caps: the schedule job hands the code back to the managers in turn.
    let now = siyu_app::services::channel_controls::bank_time(siyu_domain::Clock::now(&*app.state.clock));
    let to_midnight = 86_400 - i64::from(now.num_seconds_from_midnight()) + 30;
    pass(&app, &fake, to_midnight).await;
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_sh01_1"], "back to the first in turn");
}

#[tokio::test]
async fn outside_working_hours_the_backup_takes_adds_and_skip_verify_follows_its_windows() {
    let (fake, app, hq) = setup().await;
    let (cm1, cm2) = (app.staff("cm_sh01_1").await, app.staff("cm_sh01_2").await);
    let body = json!({
        "name": "理财沙龙",
        "kind": "event",
        "assignment": { "mode": "named", "staff_id": cm1.id },
    });
    let (id, config_id) = create(&app, &hq, body).await;
    assert!(way(&fake, &config_id).skip_verify, "no windows: always without verification");
    let monday = secs_until(&app, 1, 10); // Monday 10:00
    fake.advance_secs(monday);
    app.advance_secs(monday).await;
    let hq = app.login("hq01").await; // the session from days ago has lapsed
    let controls = json!({
        "backup_staff_id": cm2.id,
        "schedules": [{ "staff_id": cm1.id, "days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00" }],
        "skip_verify_windows": [
            { "days": [1, 2, 3, 4, 5], "from": "18:00", "to": "24:00" },
            { "days": [6, 7], "from": "00:00", "to": "24:00" }
        ],
    });
    let (s, v) = put_controls(&app, &hq, &id, controls).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let w = way(&fake, &config_id);
    assert_eq!((w.user.as_slice(), w.skip_verify), (&["wx_cm_sh01_1".to_string()][..], false), "on duty, verified");
    assert_eq!(scan(&app, &fake, &config_id).await, "wx_cm_sh01_1");

    pass(&app, &fake, 8 * 3600).await; // Monday 18:00
    let w = way(&fake, &config_id);
    assert_eq!((w.user.as_slice(), w.skip_verify), (&["wx_cm_sh01_2".to_string()][..], true), "off duty: backup");
    assert_eq!(scan(&app, &fake, &config_id).await, "wx_cm_sh01_2");
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_sh01_2"], "an add outside hours stays with the backup");

    pass(&app, &fake, 15 * 3600).await; // Tuesday 09:00
    let w = way(&fake, &config_id);
    assert_eq!((w.user.as_slice(), w.skip_verify), (&["wx_cm_sh01_1".to_string()][..], false), "back on duty");
    let hq = app.login("hq01").await;
    let page = hq.client.get(app.url(&format!("/channels/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("需客户经理确认"), "the page says requests are verified now");
}

#[tokio::test]
async fn controls_out_of_bounds_are_refused_with_their_code() {
    let (fake, app, hq) = setup().await;
    let cm1 = app.staff("cm_sh01_1").await;
    let body =
        json!({ "name": "海报", "kind": "branch_poster", "assignment": { "mode": "named", "staff_id": cm1.id } });
    let (id, config_id) = create(&app, &hq, body).await;
    let hq_staff = app.staff("hq01").await;
    let window = |from: &str, to: &str| json!({ "staff_id": cm1.id, "days": [1], "from": from, "to": to });
    let many: Vec<Value> = (0..61).map(|_| window("09:00", "10:00")).collect();
    for (controls, code) in [
        (json!({ "daily_cap": 0 }), "bad_daily_cap"),
        (json!({ "daily_cap": 501 }), "bad_daily_cap"),
        (json!({ "schedules": [window("9:00", "18:00")] }), "bad_time"),
        (json!({ "schedules": [window("18:00", "09:00")] }), "bad_time"),
        (json!({ "schedules": [window("09:00", "25:00")] }), "bad_time"),
        (json!({ "schedules": [{ "staff_id": cm1.id, "days": [8], "from": "09:00", "to": "10:00" }] }), "bad_days"),
        (json!({ "schedules": many }), "too_many_schedules"),
        (json!({ "backup_staff_id": hq_staff.id }), "bad_staff"),
    ] {
        let (s, v) = put_controls(&app, &hq, &id, controls.clone()).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{controls}");
    }
    assert_eq!(way(&fake, &config_id).user, ["wx_cm_sh01_1"], "nothing refused reached WeCom");
    // A branch manager names only managers of their own branch: another branch's is refused as if it
    // were no manager at all (the answer tells nothing of who it is), and HQ may name anyone's.
    let all = app.state.store.all_staff(&Default::default()).await.unwrap();
    let elsewhere = all
        .iter()
        .find(|s| {
            s.role == siyu_domain::org::Role::CustomerManager
                && !s.username.starts_with("cm_sh")
                && s.wecom_userid.is_some()
        })
        .expect("a manager of another branch");
    let bm = app.login("bm_sh").await;
    let (s, v) = put_controls(&app, &bm, &id, json!({ "backup_staff_id": elsewhere.id })).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_staff")), "{v}");
    let (s, v) = put_controls(&app, &hq, &id, json!({ "backup_staff_id": elsewhere.id })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cm = app.login("cm_sh01_1").await;
    let (s, _) = put_controls(&app, &cm, &id, json!({ "daily_cap": 5 })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a customer manager does not set controls");
}

#[tokio::test]
async fn the_qr_image_and_poster_come_from_wecom_once_and_a_missing_image_is_said_so() {
    let (fake, app, hq) = setup().await;
    let cm1 = app.staff("cm_sh01_1").await;
    let body = json!({ "name": "陆家嘴支行海报", "kind": "branch_poster", "assignment": { "mode": "named", "staff_id": cm1.id } });
    let (id, _) = create(&app, &hq, body.clone()).await;
    let r = hq.client.get(app.url(&format!("/channels/{id}/qr.png"))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let r = hq.client.get(app.url(&format!("/channels/{id}/poster.pdf"))).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "application/pdf"));
    let pdf = r.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-1.4") && text.contains("/BaseFont /STSong-Light"));
    let hex: String = "陆家嘴支行".encode_utf16().map(|u| format!("{u:04X}")).collect();
    assert!(text.contains(&format!("<{hex}> Tj")), "the sub-branch's name is on the poster");

    // WeCom's image host now fails: the kept image still serves; a new code's poster says so.
    fake.serve_qr_as(Some((502, "text/html", b"<html>bad gateway</html>".to_vec())));
    let r = hq.client.get(app.url(&format!("/channels/{id}/qr.png"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "kept from the first fetch");
    let (other, _) = create(&app, &hq, body).await;
    let r = hq.client.get(app.url(&format!("/channels/{other}/poster.pdf"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("暂时无法从企业微信取得这个渠道码的二维码图片"), "{page}");
    let detail = hq.client.get(app.url(&format!("/channels/{other}"))).send().await.unwrap().text().await.unwrap();
    assert!(detail.contains("id=\"qr-missing\"") && !detail.contains("id=\"qr-image\""), "no broken image");
    let en = hq.client.get(app.url("/lang/en")).send().await.unwrap();
    assert!(en.status().is_success() || en.status().is_redirection());
    let page =
        hq.client.get(app.url(&format!("/channels/{other}/poster.pdf"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("WeCom did not give this code&#39;s QR image") && !page.contains("暂时无法"), "{page}");
}

#[tokio::test]
async fn the_list_counts_adds_at_once_and_each_manager_sees_only_the_customers_who_added_them() {
    let (fake, app, hq) = setup().await;
    let sh01 = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "SH01").unwrap();
    let body = json!({ "name": "陆家嘴支行海报", "kind": "branch_poster", "assignment": { "mode": "round_robin", "sub_branch_id": sh01.id } });
    let (id, config_id) = create(&app, &hq, body).await;
    let list = hq.client.get(app.url("/channels")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("data-today=\"0\"") && !list.contains(">state<"), "a new code counts 0, no raw column");
    scan(&app, &fake, &config_id).await;
    let list = hq.client.get(app.url("/channels")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("data-today=\"1\"") && list.contains("data-total=\"1\""), "the first scan counts at once");
    let detail = hq.client.get(app.url(&format!("/channels/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!detail.contains("id=\"no-adds\""), "the chart has today's add");
    for _ in 0..2 {
        scan(&app, &fake, &config_id).await;
    }
    // Three adds: manager 1 twice, manager 2 once; none of them linked to a bank customer yet.
    let unlinked = |s: &Session| {
        let s = s.client.get(app.url(&format!("/channels/{id}")));
        async move { s.send().await.unwrap().text().await.unwrap().matches("未关联银行客户").count() }
    };
    assert_eq!(unlinked(&hq).await, 3);
    assert_eq!(unlinked(&app.login("cm_sh01_1").await).await, 2);
    assert_eq!(unlinked(&app.login("cm_sh01_2").await).await, 1);
    assert_eq!(unlinked(&app.login("bm_sh").await).await, 3);
    // The same through the API, paged as every list is.
    let api = |s: Session| {
        let r = s.client.get(app.url(&format!("/api/v1/channels/{id}/customers?per_page=2")));
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let all = api(hq).await;
    assert_eq!((all["total"].as_i64(), all["items"].as_array().map(Vec::len)), (Some(3), Some(2)), "{all}");
    assert_eq!(
        (all["items"][0]["linked"].as_bool(), all["items"][0]["status"].as_str()),
        (Some(false), Some("active"))
    );
    let mine = api(app.login("cm_sh01_2").await).await;
    assert_eq!(mine["total"].as_i64(), Some(1), "{mine}");
}

#[tokio::test]
async fn a_failed_qr_fetch_is_remembered_for_a_while_and_then_tried_again() {
    let (fake, app, hq) = setup().await;
    let cm1 = app.staff("cm_sh01_1").await;
    let body = json!({ "name": "陆家嘴支行海报", "kind": "branch_poster", "assignment": { "mode": "named", "staff_id": cm1.id } });
    let (id, _) = create(&app, &hq, body).await;
    fake.serve_qr_as(Some((502, "text/html", b"<html>bad gateway</html>".to_vec())));
    let view = || async {
        let page = hq.client.get(app.url(&format!("/channels/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("id=\"qr-missing\""), "the page says the image is missing");
    };
    view().await;
    let tried = fake.qr_fetches();
    assert!(tried >= 1, "the first view asks WeCom");
    // WeCom is back, but within the next minutes views answer at once without asking it again.
    fake.serve_qr_as(None);
    view().await;
    let r = hq.client.get(app.url(&format!("/channels/{id}/qr.png"))).send().await.unwrap();
    assert_ne!(r.status(), StatusCode::OK, "still remembered as unavailable");
    assert_eq!(fake.qr_fetches(), tried, "no view within the while asked WeCom");
    app.advance_secs(siyu_app::services::channels::QR_FAILURE_SECS).await;
    let r = hq.client.get(app.url(&format!("/channels/{id}/qr.png"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "tried again after the while, and WeCom gave it");
    assert_eq!(fake.qr_fetches(), tried + 1);
}

#[tokio::test]
async fn every_change_of_a_codes_controls_is_audited_with_what_changed() {
    let (_fake, app, hq) = setup().await;
    let cm1 = app.staff("cm_sh01_1").await;
    let cm2 = app.staff("cm_sh01_2").await;
    let body =
        json!({ "name": "海报", "kind": "branch_poster", "assignment": { "mode": "named", "staff_id": cm1.id } });
    let (id, _) = create(&app, &hq, body).await;
    let admin = app.login("admin").await;
    let audited = || async {
        let (s, v) = admin.get_json(&app, "/api/v1/audit?action=channel_controls_changed").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut items: Vec<Value> = v["items"].as_array().cloned().unwrap_or_default();
        items.reverse();
        items
            .into_iter()
            .map(|e| (e["target"].as_str().unwrap().to_owned(), e["detail"].as_str().unwrap().to_owned()))
            .collect::<Vec<_>>()
    };
    assert!(audited().await.is_empty());
    let (s, _) = put_controls(&app, &hq, &id, json!({ "daily_cap": 5, "backup_staff_id": cm2.id })).await;
    assert_eq!(s, StatusCode::OK);
    let window = json!({ "days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00" });
    let (s, _) = put_controls(
        &app,
        &hq,
        &id,
        json!({ "daily_cap": 8, "backup_staff_id": cm2.id, "skip_verify_windows": [window] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = put_controls(&app, &hq, &id, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let entries = audited().await;
    let detail: Vec<&str> = entries.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(
        detail,
        [
            format!("daily_cap: none → 5, backup: none → {}", cm2.id),
            "daily_cap: 5 → 8, skip_verify_windows: 0 → 1".to_owned(),
            format!("daily_cap: 8 → none, backup: {} → none, skip_verify_windows: 1 → 0", cm2.id),
        ]
    );
    assert!(entries.iter().all(|(t, _)| *t == id), "the code is the target");
    let log =
        admin.client.get(app.url("/audit?action=channel_controls_changed")).send().await.unwrap().text().await.unwrap();
    assert!(log.contains("修改渠道活码接待规则") && log.contains("每人每日上限"), "the console names the change");
}
