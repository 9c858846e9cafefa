//! Staff administration over HTTP: the member form's defaults, rules and saved notice; an
//! administrator's password reset, which ends the member's sessions and opens nothing but the change
//! of password (console and API) until they choose their own; and the hand-over of a leaving manager's
//! customers through the fake WeCom's transfer endpoints, polled to the end, never asked twice — with
//! a successor or leaver whose WeCom account went, a busy WeCom, a job that gave up (run again) and an
//! administrator ending the rest; and the same over the JSON API.

use reqwest::{Client, StatusCode};
use siyu_app::jobs::handover::{HandOver, HandoverPayload, POLL_SECS};
use siyu_app::jobs::{Options, row};
use siyu_domain::Clock;
use siyu_domain::audit::AuditAction;
use siyu_domain::customer::{Customer, WecomLinkMethod};
use siyu_domain::handover::{FailReason, HandoverState};
use siyu_domain::org::Staff;
use siyu_domain::scope::DataScope;
use siyu_domain::{HandoverId, StaffId};
use siyu_store::{AuditFilter, CustomerFilter, HandoverStep, Page, RelationshipChange, RelationshipStatus};
use siyu_wecom::fake::{FakeConfig, FakeWecom};

use crate::common::{Session, TestApp, client, spawn_app, spawn_app_with_wecom};

/// The text between `start` and the next `"` or `<` in `html`.
fn after<'a>(html: &'a str, start: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    html[i..].split(['"', '<']).next()
}

/// The `value` of the selected option of the select named `name`.
fn selected_in(html: &str, name: &str) -> String {
    let select = &html[html.find(&format!("name=\"{name}\"")).unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    let opt = select.split("<option").find(|o| o.contains(" selected")).unwrap_or_else(|| panic!("no {name} chosen"));
    after(opt, "value=\"").unwrap().to_owned()
}

async fn form(s: &Session, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut all: Vec<(&str, &str)> = vec![("csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    s.client.post(app.url(path)).form(&all).send().await.unwrap()
}

/// Signs in with a password of one's own choosing; the client keeps the session cookie.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (Client, StatusCode, String) {
    let c = client();
    let token = app.login_token(&c).await;
    let r = c
        .post(app.url("/login"))
        .form(&[("username", username), ("password", password), ("next", "/customers"), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    let to = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (c, r.status(), to)
}

#[tokio::test]
async fn the_new_member_form_defaults_to_a_pair_it_accepts_shows_its_rules_and_confirms_the_save() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let page = admin.client.get(app.url("/staff/new")).send().await.unwrap().text().await.unwrap();
    // The rules are on the form before anything failed.
    for rule in ["3–32 位小写字母", "至少 10 位，须同时包含字母和数字", "客户经理属于支行"]
    {
        assert!(page.contains(rule), "{rule} shown up front");
    }
    let (role, unit) = (selected_in(&page, "role"), selected_in(&page, "org_unit_id"));
    assert_eq!(role, "customer_manager");
    let unit_id: siyu_domain::OrgUnitId = unit.parse().unwrap();
    let kind = app.state.store.org_unit(unit_id).await.unwrap().kind;
    assert_eq!(kind, siyu_domain::org::OrgUnitKind::SubBranch, "a customer manager's unit by default");
    // A unit the default role cannot belong to is offered only when a role that can is chosen.
    assert!(page.contains("data-kind=\"head_office\" hidden disabled"), "head office hidden for a CM");

    // A refusal keeps what was typed.
    let typed = [
        ("username", "li.na"),
        ("display_name", "李娜"),
        ("role", role.as_str()),
        ("org_unit_id", unit.as_str()),
        ("wecom_userid", "wx_li_na"),
        ("password", "short1"),
    ];
    let r = form(&admin, &app, "/staff/new", &typed).await;
    let body = r.text().await.unwrap();
    assert!(body.contains("role=\"alert\""), "refused: {body}");
    for kept in ["value=\"li.na\"", "value=\"李娜\"", "value=\"wx_li_na\""] {
        assert!(body.contains(kept), "{kept} kept after the refusal");
    }
    assert_eq!(selected_in(&body, "org_unit_id"), unit, "the unit kept");

    // The defaults as they stand, with a name and a password, are accepted; the list confirms it.
    let ok: Vec<(&str, &str)> =
        typed.iter().map(|&(k, v)| if k == "password" { (k, "good password 1") } else { (k, v) }).collect();
    let r = form(&admin, &app, "/staff/new", &ok).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/staff?created=stf_"), "{to}");
    let list = admin.client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("id=\"saved-notice\">已创建员工：李娜（li.na）"), "the saved notice");
    admin.client.get(app.url("/lang/en")).send().await.unwrap();
    let en = admin.client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(en.contains("Staff member created: 李娜 (li.na)"), "in English too");

    // An edit confirms too.
    let id = to.trim_start_matches("/staff?created=");
    let edit = [("display_name", "李娜娜"), ("role", role.as_str()), ("org_unit_id", unit.as_str()), ("active", "1")];
    let r = form(&admin, &app, &format!("/staff/{id}"), &edit).await;
    assert_eq!(r.headers()["location"], format!("/staff?saved={id}").as_str());

    // The administrator chose that password, so it opens nothing but its change: the first sign-in
    // signs in, and every page sends them to the change-password page.
    let (c, status, _) = sign_in(&app, "li.na", "good password 1").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed in");
    let r = c.get(app.url("/customers")).send().await.unwrap();
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(to.as_deref(), Some("/password"), "a new member picks their own password first");
}

#[tokio::test]
async fn a_reset_ends_the_members_sessions_and_opens_nothing_but_the_change_until_they_choose_their_own() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let cm = app.login("cm_sh01_1").await;
    let id = cm.staff.id;
    let r = form(&admin, &app, &format!("/staff/{id}/password"), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let temporary = after(&page, "id=\"temporary-password\">").unwrap().to_owned();
    assert!(siyu_app::auth::password::check_new_password(&temporary).is_ok(), "{temporary}");
    assert!(page.contains("只显示这一次"), "said to be shown once");

    // The member's session ended.
    assert_eq!(cm.client.get(app.url("/api/v1/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // The audit has the reset, and no password.
    let f = AuditFilter { action: Some(AuditAction::PasswordReset), ..Default::default() };
    let entries = app.state.store.search_audit(&f, Page::first(10)).await.unwrap().items;
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].target.as_str(), entries[0].actor.as_str()), (id.to_string().as_str(), "admin"));
    assert!(!entries[0].detail.contains(&temporary), "no password in the audit: {}", entries[0].detail);

    // The old password no longer opens anything; the temporary one opens only the change.
    let (_, status, _) = sign_in(&app, "cm_sh01_1", crate::common::PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (c, status, _) = sign_in(&app, "cm_sh01_1", &temporary).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for page in ["/customers", "/", "/audiences"] {
        let r = c.get(app.url(page)).send().await.unwrap();
        assert_eq!(r.headers().get("location").map(|v| v.to_str().unwrap()), Some("/password"), "{page}");
    }
    let r = c.get(app.url("/api/v1/customers")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password_change_required");
    let page = c.get(app.url("/password")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"must-change\""), "the page says why");
    let csrf = after(&page, "name=\"csrf\" value=\"").unwrap().to_owned();

    // A mismatch, then a weak one, are refused in the page's language; the right one goes through.
    let change = |new: &str, repeat: &str| {
        let fields =
            [("csrf", csrf.clone()), ("current", temporary.clone()), ("new", new.into()), ("repeat", repeat.into())];
        c.post(app.url("/password")).form(&fields).send()
    };
    let r = change("my own password 7", "my own password 8").await.unwrap();
    assert!(r.text().await.unwrap().contains("两次输入的新密码不一致"));
    let r = change("short7", "short7").await.unwrap();
    assert!(r.text().await.unwrap().contains("新密码至少 10 位"));
    let r = change("my own password 7", "my own password 7").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/password?changed=1");
    assert_eq!(c.get(app.url("/customers")).send().await.unwrap().status(), StatusCode::OK, "open again");
    assert_eq!(c.get(app.url("/api/v1/me")).send().await.unwrap().status(), StatusCode::OK);
    let (_, status, _) = sign_in(&app, "cm_sh01_1", "my own password 7").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "their own password signs in");
    let f = AuditFilter { action: Some(AuditAction::PasswordChanged), ..Default::default() };
    assert_eq!(app.state.store.search_audit(&f, Page::first(10)).await.unwrap().total, 1);

    // An administrator cannot reset their own; a customer manager cannot reset anyone's.
    let r = form(&admin, &app, &format!("/staff/{}/password", admin.staff.id), &[]).await;
    assert!(r.text().await.unwrap().contains("不能重置自己的密码"));
    let other = app.login("cm_sh01_2").await;
    let r = form(&other, &app, &format!("/staff/{}/password", admin.staff.id), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The fake WeCom with Lujiazui's two managers as members, and two customers of the first linked to
/// their WeCom contacts (as a sync leaves them).
async fn wecom_bank() -> (FakeWecom, TestApp, Staff, Staff, Vec<(Customer, String)>) {
    let fake = FakeWecom::new(FakeConfig::default());
    for u in ["wx_cm_sh01_1", "wx_cm_sh01_2", "wx_cm_hz01_1"] {
        fake.add_staff(u);
    }
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(300, &fake, &base).await;
    let (leaver, successor) = (app.staff("cm_sh01_1").await, app.staff("cm_sh01_2").await);
    let f = CustomerFilter { owner_id: Some(leaver.id), ..Default::default() };
    let mine = app.state.store.list_customers(DataScope::All, &f, Page::first(3)).await.unwrap().items;
    assert!(mine.len() >= 3, "the leaver has customers");
    let now = app.clock.now();
    let mut linked = Vec::new();
    for c in mine.into_iter().take(2) {
        let ext = fake.add_contact("wx_cm_sh01_1", &c.name, &[]);
        app.state.store.link_wecom(c.id, &ext, WecomLinkMethod::Unionid, now).await.unwrap();
        let change = RelationshipChange {
            external_userid: ext.clone(),
            staff_userid: "wx_cm_sh01_1".into(),
            status: RelationshipStatus::Active,
            state: None,
            event_at: now,
        };
        app.state.store.record_relationship(&change, now).await.unwrap();
        linked.push((c, ext));
    }
    (fake, app, leaver, successor, linked)
}

async fn owner_of(app: &TestApp, c: &Customer) -> Option<StaffId> {
    app.state.store.customer(DataScope::All, c.id).await.unwrap().owner_id
}

#[tokio::test]
async fn a_hand_over_reaches_wecom_once_and_moves_each_customer_only_when_wecom_says_done() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    let admin = app.login("admin").await;
    let page = admin.client.get(app.url(&format!("/handovers/new?from={}", leaver.id))).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains(&linked[0].0.name), "the leaver's customers are listed by name");
    // Masked numbers only.
    assert!(page.contains("****"), "phones masked");

    let f = CustomerFilter { owner_id: Some(leaver.id), ..Default::default() };
    let third = app.state.store.list_customers(DataScope::All, &f, Page::first(3)).await.unwrap().items[2].clone();
    let (a, b) = (&linked[0], &linked[1]);
    let to = |c: &Customer| format!("to_{}", c.id);
    let successor_id = successor.id.to_string();
    let from = leaver.id.to_string();
    let fields = [
        ("from", from.as_str()),
        ("mode", "onjob"),
        ("bulk", successor_id.as_str()),
        (&to(&a.0), "bulk"),
        (&to(&b.0), successor_id.as_str()),
        (&to(&third), "bulk"),
    ];
    let r = form(&admin, &app, "/handovers", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let to_page = r.headers()["location"].to_str().unwrap().to_owned();
    let id: HandoverId = to_page.trim_start_matches("/handovers/").split('?').next().unwrap().parse().unwrap();

    // As if a run had died after recording the second customer as asked and before asking WeCom.
    let died = HandoverStep {
        customer_id: b.0.id,
        from: HandoverState::Pending,
        to: HandoverState::Requested,
        reason: None,
        takeover_at: None,
        audit: None,
    };
    assert!(app.state.store.step_handover(id, &died, app.clock.now()).await.unwrap());
    app.run_jobs().await;
    let h = app.state.store.handover(id).await.unwrap();
    let state_of = |h: &siyu_store::Handover, c: &Customer| {
        let i = h.items.iter().find(|i| i.customer_id == c.id).unwrap();
        (i.state, i.reason)
    };
    assert_eq!(state_of(&h, &a.0), (HandoverState::Waiting, None));
    assert_eq!(state_of(&h, &b.0), (HandoverState::Waiting, None), "WeCom never saw it: asked now, once");
    assert_eq!(state_of(&h, &third), (HandoverState::Succeeded, None), "no WeCom contact: moved at once");
    assert_eq!((fake.transfer_requests(&a.1), fake.transfer_requests(&b.1)), (1, 1));
    assert_eq!(owner_of(&app, &a.0).await, Some(leaver.id), "waiting: still the leaver's");
    assert_eq!(owner_of(&app, &third).await, Some(successor.id));

    // A retried job (a second copy, as after a worker lost its lease) asks WeCom nothing again.
    let again = row::<HandOver>(&HandoverPayload { handover_id: id }, &Options::now(), app.clock.now());
    app.state.store.enqueue(&again).await.unwrap();
    app.run_jobs().await;
    assert_eq!((fake.transfer_requests(&a.1), fake.transfer_requests(&b.1)), (1, 1), "never asked twice");

    // The second customer refuses; the 24 hours pass for the first; the next look settles both.
    fake.customer_refuses_transfer(&b.1).unwrap();
    fake.complete_transfers();
    app.advance_secs(POLL_SECS).await;
    let h = app.state.store.handover(id).await.unwrap();
    assert_eq!(state_of(&h, &a.0), (HandoverState::Succeeded, None));
    assert_eq!(state_of(&h, &b.0), (HandoverState::Failed, Some(FailReason::CustomerRefused)));
    assert!(h.finished_at.is_some(), "every customer final: finished");
    assert_eq!(owner_of(&app, &a.0).await, Some(successor.id), "done: the successor's");
    assert_eq!(owner_of(&app, &b.0).await, Some(leaver.id), "refused: stays with the leaver");
    assert_eq!((fake.transfer_requests(&a.1), fake.transfer_requests(&b.1)), (1, 1));
    // The successor now sees the customer, the leaver no longer does.
    let mine = app.login("cm_sh01_2").await;
    let (status, _) = mine.get_json(&app, &format!("/api/v1/customers/{}", a.0.id)).await;
    assert_eq!(status, StatusCode::OK);

    // The page shows the results by name, in one language.
    let page = admin.client.get(app.url(&to_page)).send().await.unwrap().text().await.unwrap();
    for shown in [a.0.name.as_str(), "已完成", "客户拒绝", "无企业微信好友，仅在系统内移交", &successor.display_name]
    {
        assert!(page.contains(shown), "{shown} on the page");
    }
    assert!(!page.contains("cus_") && !page.contains("stf_"), "names, not ids");
    let f = AuditFilter { action: Some(AuditAction::HandoverStarted), ..Default::default() };
    assert_eq!(app.state.store.search_audit(&f, Page::first(10)).await.unwrap().total, 1);
    let f = AuditFilter { action: Some(AuditAction::CustomerHandedOver), ..Default::default() };
    assert_eq!(app.state.store.search_audit(&f, Page::first(10)).await.unwrap().total, 2, "the two moved");

    // A customer whose hand-over failed can be handed over again; one done is no longer the leaver's.
    let fields = [("from", from.as_str()), ("mode", "onjob"), ("bulk", successor_id.as_str()), (&to(&a.0), "bulk")];
    let r = form(&admin, &app, "/handovers", &fields).await;
    assert!(r.text().await.unwrap().contains("所选客户不属于该客户经理"));
}

#[tokio::test]
async fn successors_outside_the_leavers_branch_or_not_managers_are_refused_and_the_choice_is_bounded() {
    let (_fake, app, leaver, successor, linked) = wecom_bank().await;
    let admin = app.login("admin").await;
    let from = leaver.id.to_string();
    let a = &linked[0].0;
    let field = format!("to_{}", a.id);
    let elsewhere = app.staff("cm_hz01_1").await;
    let manager = app.staff("bm_sh01").await;
    for (who, wrong) in [("another branch", elsewhere.id), ("a branch manager", manager.id), ("the leaver", leaver.id)]
    {
        let w = wrong.to_string();
        let r = form(&admin, &app, "/handovers", &[("from", &from), ("mode", "onjob"), (&field, &w)]).await;
        let body = r.text().await.unwrap();
        assert!(body.contains("接收人须为同一分行内在职的客户经理"), "{who} refused: {body}");
        // The page is offered again, with the choice kept.
        assert!(body.contains("id=\"handover-customers\""), "{who}: the choice again");
    }
    assert_eq!(app.state.store.list_handovers(Page::first(5)).await.unwrap().total, 0, "nothing started");
    // The page offers only the allowed successors.
    let page = admin.client.get(app.url(&format!("/handovers/new?from={from}"))).send().await.unwrap();
    let page = page.text().await.unwrap();
    let bulk = &page[page.find("name=\"bulk\"").unwrap()..];
    let bulk = &bulk[..bulk.find("</select>").unwrap()];
    assert!(bulk.contains(&successor.display_name), "{bulk}");
    for not in [&elsewhere, &manager, &leaver] {
        assert!(!bulk.contains(&format!("value=\"{}\"", not.id)), "{} not offered", not.username);
    }

    // Bounds, at the service: none, more than 500, the same customer twice, a customer not theirs.
    let input = |items: Vec<(siyu_domain::CustomerId, StaffId)>| siyu_app::services::handover::HandoverInput {
        from: leaver.id,
        resigned: false,
        items,
    };
    let admin_caller = admin_caller(&app).await;
    let start = |i| siyu_app::services::handover::start(&app.state, &admin_caller, i);
    let code = |r: Result<HandoverId, siyu_app::error::ServiceError>| r.unwrap_err().code();
    assert_eq!(code(start(input(vec![])).await), "no_customers");
    let many = (1..=501).map(|n| (siyu_domain::CustomerId::new(n), successor.id)).collect();
    assert_eq!(code(start(input(many)).await), "too_many_customers");
    assert_eq!(code(start(input(vec![(a.id, successor.id), (a.id, successor.id)])).await), "duplicate_customer");
    let not_theirs = app.customer_of("cm_sh01_2").await;
    assert_eq!(code(start(input(vec![(not_theirs.id, successor.id)])).await), "not_leavers_customer");
    // One already being handed over cannot be started again.
    start(input(vec![(a.id, successor.id)])).await.unwrap();
    assert_eq!(code(start(input(vec![(a.id, successor.id)])).await), "conflict");
    // A customer manager may not hand anyone over.
    let cm = app.login("cm_sh01_2").await;
    let r = form(&cm, &app, "/handovers", &[("from", &from), (&field, "bulk")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The administrator as a service caller.
async fn admin_caller(app: &TestApp) -> siyu_app::caller::Caller {
    let s = app.staff("admin").await;
    siyu_app::caller::Caller {
        actor: siyu_domain::scope::Actor::Staff { id: s.id, role: s.role, org_unit_id: s.org_unit_id },
        staff: Some(s),
        csrf: None,
        ip: "test".into(),
    }
}

#[tokio::test]
async fn a_successor_with_a_full_quota_and_a_contact_wecom_does_not_know_fail_and_stay_with_the_leaver() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    let admin = app.login("admin").await;
    let (a, b) = (&linked[0], &linked[1]);
    // WeCom no longer has the second as the leaver's contact (they deleted the manager, unseen yet).
    fake.customer_deletes(&b.1, "wx_cm_sh01_1").await.unwrap();
    fake.set_quota_full("wx_cm_sh01_2");
    let (from, to) = (leaver.id.to_string(), successor.id.to_string());
    let (fa, fb) = (format!("to_{}", a.0.id), format!("to_{}", b.0.id));
    let fields = [("from", from.as_str()), ("mode", "resigned"), ("bulk", to.as_str()), (&fa, "bulk"), (&fb, "bulk")];
    let r = form(&admin, &app, "/handovers", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
    fake.complete_transfers();
    app.advance_secs(POLL_SECS).await;
    let h = app.state.store.list_handovers(Page::first(1)).await.unwrap().items[0].id;
    let h = app.state.store.handover(h).await.unwrap();
    let reasons: Vec<_> = h.items.iter().map(|i| (i.customer_id, i.state, i.reason)).collect();
    assert!(reasons.contains(&(a.0.id, HandoverState::Failed, Some(FailReason::QuotaFull))), "{reasons:?}");
    assert!(reasons.contains(&(b.0.id, HandoverState::Failed, Some(FailReason::Refused))), "{reasons:?}");
    assert!(h.finished_at.is_some());
    assert!(h.resigned, "the resigned transfer was asked for");
    assert_eq!(fake.calls_to("/cgi-bin/externalcontact/resigned/transfer_customer"), 1);
    for (c, _) in &linked {
        assert_eq!(owner_of(&app, c).await, Some(leaver.id), "a failure moves nobody");
    }
    let page = admin.client.get(app.url(&format!("/handovers/{}", h.id))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("接收人客户数已满") && page.contains("企业微信拒绝发起"), "the reasons, in words");
}

/// Removes a member's WeCom account in siyu (as an administrator's edit does).
async fn drop_wecom(app: &TestApp, s: &Staff) {
    let u = siyu_store::StaffUpdate {
        display_name: s.display_name.clone(),
        role: s.role,
        org_unit_id: s.org_unit_id,
        wecom_userid: None,
        active: s.active,
    };
    app.state.store.update_staff(s.id, &u, app.clock.now()).await.unwrap();
}

/// Starts a hand-over of `items` through the service, as the administrator.
async fn start_as_admin(app: &TestApp, from: &Staff, items: Vec<(siyu_domain::CustomerId, StaffId)>) -> HandoverId {
    let input = siyu_app::services::handover::HandoverInput { from: from.id, resigned: false, items };
    siyu_app::services::handover::start(&app.state, &admin_caller(app).await, input).await.unwrap()
}

fn state_of(h: &siyu_store::Handover, c: &Customer) -> (HandoverState, Option<FailReason>) {
    let i = h.items.iter().find(|i| i.customer_id == c.id).unwrap();
    (i.state, i.reason)
}

#[tokio::test]
async fn a_successor_whose_wecom_account_went_fails_only_their_customers_and_the_others_go_on() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    fake.add_staff("wx_cm_sh02_1");
    let other = app.staff("cm_sh02_1").await;
    assert!(other.wecom_userid.is_some(), "the demo gives managers WeCom accounts");
    let (a, b) = (&linked[0], &linked[1]);
    let id = start_as_admin(&app, &leaver, vec![(a.0.id, successor.id), (b.0.id, other.id)]).await;
    // The successor's WeCom account is removed after the start.
    drop_wecom(&app, &successor).await;
    app.run_jobs().await;
    let h = app.state.store.handover(id).await.unwrap();
    assert_eq!(state_of(&h, &a.0), (HandoverState::Failed, Some(FailReason::SuccessorWithoutWecom)));
    assert_eq!(state_of(&h, &b.0), (HandoverState::Waiting, None), "the other successor's customer goes on");
    assert_eq!((fake.transfer_requests(&a.1), fake.transfer_requests(&b.1)), (0, 1));
    assert!(app.state.store.customers_in_open_handovers(&[a.0.id]).await.unwrap().is_empty(), "may be chosen again");
    let admin = app.login("admin").await;
    let page = admin.client.get(app.url(&format!("/handovers/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("接收人没有企业微信账号"), "the reason in the reader's language");
}

#[tokio::test]
async fn a_leaver_without_a_wecom_account_fails_every_wecom_customer_and_moves_the_others() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    let f = CustomerFilter { owner_id: Some(leaver.id), ..Default::default() };
    let third = app.state.store.list_customers(DataScope::All, &f, Page::first(3)).await.unwrap().items[2].clone();
    let (a, b) = (&linked[0], &linked[1]);
    let items = vec![(a.0.id, successor.id), (b.0.id, successor.id), (third.id, successor.id)];
    let id = start_as_admin(&app, &leaver, items).await;
    drop_wecom(&app, &leaver).await;
    app.run_jobs().await;
    let h = app.state.store.handover(id).await.unwrap();
    for (c, _) in &linked {
        assert_eq!(state_of(&h, c), (HandoverState::Failed, Some(FailReason::LeaverWithoutWecom)));
        assert_eq!(owner_of(&app, c).await, Some(leaver.id));
    }
    assert_eq!(state_of(&h, &third), (HandoverState::Succeeded, None));
    assert!(h.finished_at.is_some(), "nothing left: finished");
    assert_eq!(fake.calls_to("/cgi-bin/externalcontact/transfer_customer"), 0);
}

#[tokio::test]
async fn a_busy_or_rate_limited_wecom_refuses_nobody_and_the_retry_asks_once() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    let a = &linked[0];
    let path = "/cgi-bin/externalcontact/transfer_customer";
    let tries = siyu_wecom::client::RetryPolicy::default().max_attempts as usize;
    for (n, code) in [(1, -1), (2, 45009)] {
        let c = &linked[n - 1];
        let id = start_as_admin(&app, &leaver, vec![(c.0.id, successor.id)]).await;
        // Every attempt the client makes of this call answers the code, so the client gives up.
        fake.inject_on(path, siyu_wecom::fake::Fault::Errcode(code), tries);
        app.run_jobs().await;
        let h = app.state.store.handover(id).await.unwrap();
        assert_eq!(state_of(&h, &c.0), (HandoverState::Requested, None), "{code}: not refused, still asked");
        let job = app.state.store.latest_job_with_key(&format!("staff.handover:{id}")).await.unwrap().unwrap();
        assert_eq!(job.status, siyu_domain::job::JobStatus::Queued, "{code}: retried");
        app.advance_secs(3600).await;
        let h = app.state.store.handover(id).await.unwrap();
        assert_eq!(state_of(&h, &c.0), (HandoverState::Waiting, None), "{code}: asked on the retry");
        assert_eq!(fake.transfer_requests(&c.1), 1, "{code}: started once");
    }
    assert_eq!(fake.transfer_requests(&a.1), 1);
}

/// The queued job of a hand-over, failed for good as the worker leaves one that gave up.
async fn give_up(app: &TestApp, id: HandoverId) {
    let job = app.state.store.latest_job_with_key(&format!("staff.handover:{id}")).await.unwrap().unwrap();
    let claimed = app.state.store.claim("gone", app.clock.now(), 60).await.unwrap().unwrap();
    assert_eq!(claimed.id, job.id);
    let now = app.clock.now();
    // Stored as the worker stores it: a catalogue text, put into the reader's words on the page.
    let why = siyu_domain::lang::Text::new("job.gave_up")
        .arg("attempts", 10)
        .text("last", siyu_domain::lang::Text::new("job.wecom_unreachable"));
    let why = siyu_app::stored_text::encode(&why);
    app.state.store.fail(job.id, "gone", &why, None, now).await.unwrap();
}

#[tokio::test]
async fn a_stopped_hand_over_is_run_again_or_its_rest_ended_and_both_are_audited() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    let admin = app.login("admin").await;
    let (a, b) = (&linked[0], &linked[1]);
    app.run_jobs().await;
    let id = start_as_admin(&app, &leaver, vec![(a.0.id, successor.id), (b.0.id, successor.id)]).await;
    give_up(&app, id).await;
    let page = admin.client.get(app.url(&format!("/handovers/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("id=\"handover-job-stopped\"") && page.contains("尝试 10 次后放弃：无法连接企业微信"),
        "how the job stopped"
    );
    assert!(page.contains("id=\"handover-run-again\"") && page.contains("id=\"handover-end-rest\""));
    assert!(page.contains("data-confirm=\"确定重新运行此移交"), "asked to confirm");

    // Run again: the job goes on and asks WeCom.
    let r = form(&admin, &app, &format!("/handovers/{id}/run-again"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
    let h = app.state.store.handover(id).await.unwrap();
    assert_eq!(state_of(&h, &a.0), (HandoverState::Waiting, None));

    // A second hand-over, stopped before it asked anyone: ending the rest cancels the pending, keeps the
    // one already asked of WeCom, and the job follows it to the end.
    let f = CustomerFilter { owner_id: Some(leaver.id), ..Default::default() };
    let third = app.state.store.list_customers(DataScope::All, &f, Page::first(3)).await.unwrap().items[2].clone();
    let d = third.clone();
    let id2 = start_as_admin(&app, &leaver, vec![(d.id, successor.id)]).await;
    give_up(&app, id2).await;
    let r = form(&admin, &app, &format!("/handovers/{id2}/end-rest"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let h2 = app.state.store.handover(id2).await.unwrap();
    assert_eq!(state_of(&h2, &d), (HandoverState::Cancelled, Some(FailReason::EndedByAdministrator)));
    assert!(h2.finished_at.is_some(), "nothing left unfinal: finished");
    assert_eq!(owner_of(&app, &d).await, Some(leaver.id), "cancelled: stays with the leaver");
    let page = admin.client.get(app.url(&format!("/handovers/{id2}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("管理员结束了剩余客户的移交") && !page.contains("id=\"handover-end-rest\""));

    // Ending the first one's rest: nobody pending; the waiting customer is still followed to done.
    let caller = admin_caller(&app).await;
    let ended = siyu_app::services::handover::end_rest(&app.state, &caller, id).await.unwrap();
    assert_eq!((ended.cancelled, ended.still_followed, ended.finished), (0, 2, false));
    fake.complete_transfers();
    app.advance_secs(POLL_SECS).await;
    let h = app.state.store.handover(id).await.unwrap();
    assert!(h.finished_at.is_some());
    assert_eq!(owner_of(&app, &a.0).await, Some(successor.id));
    let done = siyu_app::services::handover::run_again(&app.state, &caller, id).await.unwrap_err();
    assert_eq!(done.code(), "conflict", "a finished hand-over is not run again");
    // Run again once (the refused one writes nothing), the rest ended twice.
    for (action, n) in [(AuditAction::HandoverRunAgain, 1), (AuditAction::HandoverEnded, 2)] {
        let f = AuditFilter { action: Some(action), ..Default::default() };
        assert_eq!(app.state.store.search_audit(&f, Page::first(10)).await.unwrap().total, n, "{action:?}");
    }
    // A customer manager may do neither.
    let cm = app.login("cm_sh01_2").await;
    for path in ["run-again", "end-rest"] {
        let r = form(&cm, &app, &format!("/handovers/{id}/{path}"), &[]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_hand_over_api_starts_reads_runs_again_and_ends_with_stable_codes() {
    let (_fake, app, leaver, successor, linked) = wecom_bank().await;
    let admin = app.login("admin").await;
    let (a, b) = (&linked[0], &linked[1]);
    let body = serde_json::json!({
        "from": leaver.id.to_string(),
        "resigned": false,
        "items": [{"customer_id": a.0.id.to_string(), "to": successor.id.to_string()}],
    });
    let (status, h) = admin.post_json(&app, "/api/v1/handovers", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let id = h["id"].as_str().unwrap().to_owned();
    assert_eq!(h["items"][0]["state"], "pending");
    assert_eq!(h["items"][0]["customer_name"], a.0.name.as_str());
    assert!(h["items"][0]["phone_masked"].as_str().is_none_or(|p| p.contains('*')), "masked");
    assert!(!h.to_string().contains(&a.1), "no WeCom contact id");
    let (status, again) = admin.post_json(&app, "/api/v1/handovers", body).await;
    assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{again}");
    // Bad bodies.
    let r = admin
        .client
        .post(app.url("/api/v1/handovers"))
        .header("x-csrf-token", &admin.csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "bad_json", "{e}");
    for bad in [
        serde_json::json!({"from": leaver.id.to_string()}),
        serde_json::json!({"from": "cus_1", "resigned": false, "items": []}),
        serde_json::json!({"from": leaver.id.to_string(), "resigned": false, "items": [{"customer_id": 1}]}),
    ] {
        let (status, e) = admin.post_json(&app, "/api/v1/handovers", bad.clone()).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_json")),
            "{bad}: {e}"
        );
    }
    let empty = serde_json::json!({"from": leaver.id.to_string(), "resigned": false, "items": []});
    let (status, e) = admin.post_json(&app, "/api/v1/handovers", empty).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_customers")), "{e}");
    let elsewhere = app.staff("cm_hz01_1").await;
    let wrong = serde_json::json!({
        "from": leaver.id.to_string(), "resigned": false,
        "items": [{"customer_id": b.0.id.to_string(), "to": elsewhere.id.to_string()}],
    });
    let (status, e) = admin.post_json(&app, "/api/v1/handovers", wrong).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("successor_out_of_scope"))
    );

    // Read, list, run again, end the rest.
    let (status, one) = admin.get_json(&app, &format!("/api/v1/handovers/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["job"]["status"], "queued");
    let (status, list) = admin.get_json(&app, "/api/v1/handovers").await;
    assert_eq!((status, list["total"].as_i64()), (StatusCode::OK, Some(1)));
    let (status, _) = admin.get_json(&app, "/api/v1/handovers/hov_999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, r) = admin.post_json(&app, &format!("/api/v1/handovers/{id}/run-again"), serde_json::json!({})).await;
    assert_eq!((status, r["queued"].as_bool()), (StatusCode::ACCEPTED, Some(false)), "already queued: {r}");
    let (status, r) = admin.post_json(&app, &format!("/api/v1/handovers/{id}/end-rest"), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["cancelled"].as_u64(), r["finished"].as_bool()), (Some(1), Some(true)));
    let (status, r) = admin.post_json(&app, &format!("/api/v1/handovers/{id}/end-rest"), serde_json::json!({})).await;
    assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (status, _) = admin.post_json(&app, "/api/v1/handovers/hov_999999/run-again", serde_json::json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A branch manager sees no hand-over, of their branch or another's.
    for who in ["bm_sh", "bm_hz"] {
        let bm = app.login(who).await;
        let (status, _) = bm.get_json(&app, &format!("/api/v1/handovers/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (status, _) = bm.get_json(&app, "/api/v1/handovers").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn the_password_reset_api_is_the_consoles_audited_must_change_reset() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let member = app.staff("cm_sh01_2").await;
    let (status, r) =
        admin.post_json(&app, &format!("/api/v1/staff/{}/password-reset", member.id), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let temporary = r["temporary_password"].as_str().unwrap().to_owned();
    let (c, status, _) = sign_in(&app, "cm_sh01_2", &temporary).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the temporary password signs in");
    let r = c.get(app.url("/customers")).send().await.unwrap();
    assert_eq!(r.headers().get("location").map(|v| v.to_str().unwrap()), Some("/password"), "must change first");
    let f = AuditFilter { action: Some(AuditAction::PasswordReset), ..Default::default() };
    let audited = app.state.store.search_audit(&f, Page::first(5)).await.unwrap();
    assert_eq!(audited.total, 1);
    assert!(!audited.items[0].detail.contains(&temporary), "never the password");
    let (status, e) =
        admin.post_json(&app, &format!("/api/v1/staff/{}/password-reset", admin.staff.id), serde_json::json!({})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("self_reset")));
    let (status, _) = admin.post_json(&app, "/api/v1/staff/stf_999999/password-reset", serde_json::json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let cm = app.login("cm_sh01_1").await;
    let (status, _) =
        cm.post_json(&app, &format!("/api/v1/staff/{}/password-reset", member.id), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A customer recorded as asked whom WeCom never saw (the job died between recording and asking) is
/// cancelled once an administrator ended the rest — never asked of WeCom after the end.
#[tokio::test]
async fn after_the_end_no_one_is_asked_of_wecom_even_one_recorded_as_asked() {
    let (fake, app, leaver, successor, linked) = wecom_bank().await;
    let a = &linked[0];
    app.run_jobs().await;
    let id = start_as_admin(&app, &leaver, vec![(a.0.id, successor.id)]).await;
    let step = siyu_store::HandoverStep {
        customer_id: a.0.id,
        from: HandoverState::Pending,
        to: HandoverState::Requested,
        reason: None,
        takeover_at: None,
        audit: None,
    };
    assert!(app.state.store.step_handover(id, &step, app.clock.now()).await.unwrap(), "recorded, never asked");
    let caller = admin_caller(&app).await;
    let ended = siyu_app::services::handover::end_rest(&app.state, &caller, id).await.unwrap();
    assert_eq!((ended.cancelled, ended.still_followed, ended.finished), (0, 1, false), "asked: still followed");
    app.run_jobs().await;
    let h = app.state.store.handover(id).await.unwrap();
    assert_eq!(state_of(&h, &a.0), (HandoverState::Cancelled, Some(FailReason::EndedByAdministrator)));
    assert_eq!(fake.transfer_requests(&a.1), 0, "WeCom never asked after the end");
    assert!(h.finished_at.is_some(), "nothing left unfinal: finished");
    assert_eq!(owner_of(&app, &a.0).await, Some(leaver.id));
    let f = AuditFilter { action: Some(AuditAction::HandoverEnded), ..Default::default() };
    let log = app.state.store.search_audit(&f, Page::first(10)).await.unwrap();
    assert_eq!(log.total, 1, "the end is audited with the change");
    // A second end of a finished hand-over is refused and writes nothing.
    let again = siyu_app::services::handover::end_rest(&app.state, &caller, id).await.unwrap_err();
    assert_eq!(again.code(), "conflict");
    assert_eq!(app.state.store.search_audit(&f, Page::first(10)).await.unwrap().total, 1);
}
