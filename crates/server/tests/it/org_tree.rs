//! An organisation deeper than the demo's three levels, end to end: a branch's scope reaches a sub-branch
//! five levels down — in the customer API, the audience count, the console's filters and channel codes —
//! and a sibling's scope does not; a round-robin code turns through every manager of a big sub-branch.

use reqwest::StatusCode;
use siyu_domain::OrgUnitId;
use siyu_domain::org::{GeoPoint, OrgUnit, OrgUnitKind, Role, Staff};
use siyu_store::{NewOrgUnit, NewStaff};

use crate::common::{TestApp, spawn_app_with, spawn_app_with_wecom};

async fn unit(app: &TestApp, code: &str) -> OrgUnit {
    app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == code).unwrap()
}

/// Five levels under Shanghai's branch (二级分行 → 三级 → 四级 → 支行 → 网点): the units, top first.
/// Units this deep can only be made by the store; the console's forms keep to three levels.
async fn deep_line_under_sh(app: &TestApp) -> Vec<OrgUnitId> {
    let mut parent = unit(app, "SH").await.id;
    let mut line = Vec::new();
    for level in 1..=5 {
        let new = NewOrgUnit {
            kind: if level >= 4 { OrgUnitKind::SubBranch } else { OrgUnitKind::Branch },
            parent_id: Some(parent),
            code: format!("DEEP{level}"),
            name: format!("深层单位{level}"),
            location: Some(GeoPoint { lat: 31.2, lng: 121.5 }),
        };
        parent = app.state.store.create_org_unit(&new, siyu_domain::Clock::now(&*app.state.clock)).await.unwrap().id;
        line.push(parent);
    }
    line
}

async fn customer_manager(app: &TestApp, username: &str, unit: OrgUnitId) -> Staff {
    let new = NewStaff {
        username: username.into(),
        display_name: format!("经理{username}"),
        role: Role::CustomerManager,
        org_unit_id: unit,
        wecom_userid: Some(format!("wx_{username}")),
        password_hash: "not-a-login".into(),
    };
    app.state.store.create_staff(&new, siyu_domain::Clock::now(&*app.state.clock)).await.unwrap()
}

#[tokio::test]
async fn a_branch_sees_customers_five_levels_down_and_a_sibling_does_not() {
    let app = spawn_app_with(20).await;
    let (bm_sh, bm_sh01, bm_hz) = (app.login("bm_sh").await, app.login("bm_sh01").await, app.login("bm_hz").await);
    let everyone = |s: &crate::common::Session| {
        let q = form_urlencoded::byte_serialize(b"aum_tier >= 1").collect::<String>();
        let path = format!("/api/v1/audiences/preview?expr={q}");
        let (client, url) = (s.client.clone(), app.url(&path));
        async move {
            let v: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
            v["count"].as_u64().unwrap()
        }
    };
    let (sh_before, hz_before) = (everyone(&bm_sh).await, everyone(&bm_hz).await);

    let line = deep_line_under_sh(&app).await;
    let cm = customer_manager(&app, "cm_deep", line[4]).await;
    let draft = siyu_domain::customer::CustomerDraft {
        customer_no: "DEEP0001".into(),
        name: "深层客户".into(),
        owner_id: Some(cm.id),
        ..crate::wecom::draft_template(line[4])
    };
    let s = &app.state;
    let now = siyu_domain::Clock::now(&*s.clock);
    s.store.upsert_customers(&[s.vault.seal_customer(draft)], &siyu_store::UpsertFields::all(), now).await.unwrap();
    let deep = s.store.customer_by_no(siyu_domain::scope::DataScope::All, "DEEP0001").await.unwrap();
    s.engine.note_customers(&*s.store, &[deep.id], now).await.unwrap();

    // The customer API: the branch reads the customer; the sub-branch beside the line and the other
    // branch find nothing there.
    let path = format!("/api/v1/customers/{}", deep.id);
    assert_eq!(bm_sh.get_json(&app, &path).await.0, StatusCode::OK);
    assert_eq!(bm_sh01.get_json(&app, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(bm_hz.get_json(&app, &path).await.0, StatusCode::NOT_FOUND);

    // The audience engine counts what the store lists: one more for the branch, none for Hangzhou.
    assert_eq!(everyone(&bm_sh).await, sh_before + 1);
    assert_eq!(everyone(&bm_hz).await, hz_before);
    let sh = unit(&app, "SH").await.id;
    let listed = s
        .store
        .list_customers(siyu_domain::scope::DataScope::Subtree(sh), &Default::default(), siyu_store::Page::first(1))
        .await
        .unwrap();
    assert_eq!(listed.total as u64, sh_before + 1);

    // The console offers the deep sub-branch in the branch's filter only, and its manager among the
    // owners only to a caller whose scope holds them, whatever unit the query names.
    let page = |s: &crate::common::Session, query: String| {
        let (client, url) = (s.client.clone(), app.url(&format!("/customers{query}")));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    // The filter names units as people read them, without their codes.
    assert!(page(&bm_sh, String::new()).await.contains("> 深层单位5</label>"));
    assert!(!page(&bm_sh01, String::new()).await.contains("深层单位5"));
    let narrowed = format!("?sub_branch={}", line[4]);
    assert!(page(&bm_sh, narrowed.clone()).await.contains("(cm_deep)"));
    assert!(!page(&bm_hz, narrowed.clone()).await.contains("cm_deep"), "a unit outside the scope lists nobody");
    assert!(!page(&bm_sh01, narrowed).await.contains("cm_deep"));
}

/// 501 customer managers in one sub-branch, five levels below Shanghai's branch: the branch manager may
/// make its round-robin code (Hangzhou's may not), and the code turns from the 500th to the 501st
/// rather than back to the first, as it would if only the first page of managers were read.
#[tokio::test]
async fn a_round_robin_code_turns_past_the_five_hundredth_manager_of_a_deep_sub_branch() {
    let fake = siyu_wecom::fake::FakeWecom::new(siyu_wecom::fake::FakeConfig::default());
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(0, &fake, &base).await;
    let line = deep_line_under_sh(&app).await;
    let mut cms = Vec::new();
    for n in 0..501 {
        let cm = customer_manager(&app, &format!("cm_big_{n:03}"), line[4]).await;
        fake.add_staff(cm.wecom_userid.as_deref().unwrap());
        cms.push(cm);
    }
    let body = serde_json::json!({
        "name": "深层网点海报",
        "kind": "branch_poster",
        "assignment": { "mode": "round_robin", "sub_branch_id": line[4] },
    });
    let bm_hz = app.login("bm_hz").await;
    assert_eq!(bm_hz.post_json(&app, "/api/v1/channels", body.clone()).await.0, StatusCode::FORBIDDEN);
    let bm_sh = app.login("bm_sh").await;
    let (status, code) = bm_sh.post_json(&app, "/api/v1/channels", body).await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let id: siyu_domain::ChannelCodeId = code["id"].as_str().unwrap().parse().unwrap();
    let listed = |s: &crate::common::Session| {
        let (client, url) = (s.client.clone(), app.url("/api/v1/channels"));
        async move {
            let v: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
            v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(&bm_sh).await, [id.to_string()]);
    assert!(listed(&bm_hz).await.is_empty());
    // The console's choices offer every manager, not the first page of them: the code form's managers
    // and the customer list's owner filter both reach the 501st.
    let page = |path: String| {
        let (client, url) = (bm_sh.client.clone(), app.url(&path));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let channels = page("/channels".into()).await;
    assert!(channels.contains("经理cm_big_000") && channels.contains("经理cm_big_500"), "the code form's managers");
    let customers = page(format!("/customers?sub_branch={}", line[4])).await;
    assert!(customers.contains("(cm_big_500)"), "the owner filter");

    let s = &app.state;
    let now = siyu_domain::Clock::now(&*s.clock);
    assert_eq!(s.store.channel_code(id).await.unwrap().current_staff_id, Some(cms[0].id), "the first in turn");
    s.store.set_channel_staff(id, cms[499].id, now).await.unwrap();
    let code = s.store.channel_code(id).await.unwrap();
    // A customer scans the code: the callback's job moves the code on from where it points.
    fake.customer_scans(code.config_id.as_deref().unwrap(), "深层客户").await.unwrap();
    assert!(app.run_jobs().await >= 1, "the add's callback was applied");
    assert_eq!(s.store.channel_code(id).await.unwrap().current_staff_id, Some(cms[500].id));
    assert_eq!(fake.contact_ways()[0].user, ["wx_cm_big_500"]);
}
