//! Tags and audiences over HTTP: a committed write shows in the next count, counts and samples stay
//! within the caller's scope, bad expressions point at the problem, saved audiences record who entered,
//! rule tags follow their rule, exports are masked and audited, and the engine agrees with a fresh load.

use crate::common::{Session, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn count(app: &TestApp, s: &Session, expr: &str) -> u64 {
    let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
    let (status, v) = s.get_json(app, &format!("/api/v1/audiences/preview?expr={q}")).await;
    assert_eq!(status, StatusCode::OK, "{expr}: {v}");
    v["count"].as_u64().unwrap()
}

/// HQ makes a group and a tag of `kind`; returns the tag's id.
async fn make_tag(app: &TestApp, hq: &Session, name: &str, kind: &str, rule: Option<&str>) -> String {
    let (_, groups) = hq.get_json(app, "/api/v1/tag-groups").await;
    let group = match groups["items"].as_array().unwrap().first() {
        Some(g) => g["id"].as_str().unwrap().to_owned(),
        None => {
            let (s, g) = hq.post_json(app, "/api/v1/tag-groups", json!({"name": "客户兴趣"})).await;
            assert_eq!(s, StatusCode::CREATED, "{g}");
            g["id"].as_str().unwrap().to_owned()
        }
    };
    let (s, t) =
        hq.post_json(app, "/api/v1/tags", json!({"group_id": group, "name": name, "kind": kind, "rule": rule})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_tag_counts_at_once_within_scope_and_only_its_own_manager_may_set_it() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let cm = app.login("cm_sh01_1").await;
    let tag = make_tag(&app, &hq, "关注养老", "manual", None).await;
    let mine = app.customer_of("cm_sh01_1").await;
    let theirs = app.customer_of("cm_hz01_1").await;
    let expr = "tag(\"关注养老\")";
    assert_eq!(count(&app, &hq, expr).await, 0);

    let (s, v) = cm.post_json(&app, &format!("/api/v1/customers/{}/tags", mine.id), json!({"tag_id": tag})).await;
    assert_eq!((s, v["changed"].as_bool()), (StatusCode::OK, Some(true)));
    // The answer came back: the next count includes the change, for HQ and for the manager.
    assert_eq!(count(&app, &hq, expr).await, 1);
    assert_eq!(count(&app, &cm, expr).await, 1);
    let again = cm.post_json(&app, &format!("/api/v1/customers/{}/tags", mine.id), json!({"tag_id": tag})).await;
    assert_eq!(again.1["changed"].as_bool(), Some(false), "tagging twice changes nothing");

    // Another manager's customer: not found, and nothing counted.
    let (s, _) = cm.post_json(&app, &format!("/api/v1/customers/{}/tags", theirs.id), json!({"tag_id": tag})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let hz = app.login("cm_hz01_1").await;
    hz.post_json(&app, &format!("/api/v1/customers/{}/tags", theirs.id), json!({"tag_id": tag})).await;
    assert_eq!(count(&app, &hq, expr).await, 2);
    assert_eq!(count(&app, &cm, expr).await, 1, "a manager counts only their own customers");
    let bm = app.login("bm_sh").await;
    assert_eq!(count(&app, &bm, expr).await, 1, "a branch manager counts their branch");

    // Every customer in a manager's sample is theirs, masked.
    let (_, p) = cm.get_json(&app, "/api/v1/audiences/preview?expr=aum_tier%20%3E%3D%201").await;
    assert_eq!(
        p["count"].as_u64().unwrap(),
        app.state
            .store
            .list_customers(
                siyu_domain::scope::DataScope::OwnedBy(cm.staff.id),
                &Default::default(),
                siyu_store::Page::first(1)
            )
            .await
            .unwrap()
            .total as u64
    );
    for c in p["sample"].as_array().unwrap() {
        assert_eq!(c["owner_id"], cm.staff.id.to_string());
        assert!(c["phone_masked"].as_str().is_none_or(|p| p.contains("****")));
    }

    // The timeline shows it; untagging is counted at once too.
    let (_, tl) = cm.get_json(&app, &format!("/api/v1/customers/{}/timeline", mine.id)).await;
    assert_eq!(tl["items"][0]["kind"], "tag_added");
    let r = cm
        .client
        .delete(app.url(&format!("/api/v1/customers/{}/tags/{tag}", mine.id)))
        .header("x-csrf-token", &cm.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(count(&app, &hq, expr).await, 1);
    assert_eq!(count(&app, &hq, "event(\"tag_removed\") >= 1 within 1d").await, 1, "events count too");

    // Only manual tags are set by hand, and only HQ defines tags.
    let imported = make_tag(&app, &hq, "持有理财", "imported", None).await;
    let (s, v) = cm.post_json(&app, &format!("/api/v1/customers/{}/tags", mine.id), json!({"tag_id": imported})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("tag_not_manual")));
    let (s, _) = cm.post_json(&app, "/api/v1/tag-groups", json!({"name": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_expressions_are_refused_with_the_position() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    make_tag(&app, &hq, "高意向", "manual", None).await;
    for (expr, position, code) in [
        ("aum_tier >= ", 12, "bad_expression"),
        ("aum_tier >= 3 and tag(\"没有的标签\")", 22, "bad_expression"),
        ("tag(\"高意向\") or colour = 3", 14, "bad_expression"),
        ("event(\"clicked\") >= 1 within 7d", 6, "bad_expression"),
        ("risk_grade = \"high\"", 13, "bad_expression"),
        ("audience(\"aud_77\")", 9, "bad_expression"),
    ] {
        let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
        let (s, v) = hq.get_json(&app, &format!("/api/v1/audiences/preview?expr={q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{expr}");
        assert_eq!(v["error"]["code"], code, "{expr}");
        assert_eq!(v["error"]["position"].as_u64(), Some(position), "{expr}: {v}");
    }
    let deep = format!("{}aum_tier = 1{}", "(".repeat(100), ")".repeat(100));
    let q = form_urlencoded::byte_serialize(deep.as_bytes()).collect::<String>();
    let (s, _) = hq.get_json(&app, &format!("/api/v1/audiences/preview?expr={q}")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "too deep");
}

#[tokio::test]
async fn saved_audiences_record_who_entered_and_rule_tags_follow_their_rule() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let cm = app.login("cm_sh01_1").await;
    let tag = make_tag(&app, &hq, "关注教育金", "manual", None).await;
    let form = json!({"name": "教育金潜客", "expr": "tag(\"关注教育金\")  and aum_tier >= 1", "description": "测试"});
    let (s, _) = cm.post_json(&app, "/api/v1/audiences", form.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "managers do not save audiences");
    let (s, a) = hq.post_json(&app, "/api/v1/audiences", form).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["expr"], "tag(\"关注教育金\") and aum_tier >= 1", "saved in canonical form");
    assert_eq!(a["member_count"], 0);
    let id = a["id"].as_str().unwrap();

    let mine = app.customer_of("cm_sh01_1").await;
    cm.post_json(&app, &format!("/api/v1/customers/{}/tags", mine.id), json!({"tag_id": tag})).await;
    let (_, change) = hq.post_json(&app, &format!("/api/v1/audiences/{id}/refresh"), json!({})).await;
    assert_eq!((change["entered"].as_u64(), change["exited"].as_u64()), (Some(1), Some(0)));
    let (_, tl) = cm.get_json(&app, &format!("/api/v1/customers/{}/timeline", mine.id)).await;
    assert_eq!(tl["items"][0]["kind"], "audience_entered");
    let (_, m) = cm.get_json(&app, &format!("/api/v1/audiences/{id}/members")).await;
    assert_eq!(m["total"], 1);
    assert_eq!(m["items"][0]["id"], mine.id.to_string());
    let other = app.login("cm_hz01_1").await;
    let (_, m) = other.get_json(&app, &format!("/api/v1/audiences/{id}/members")).await;
    assert_eq!(m["total"], 0, "another manager sees none of them");
    // An audience can use it; a reference to itself or a newer one is refused.
    let (s, b) = hq
        .post_json(
            &app,
            "/api/v1/audiences",
            json!({"name": "教育金高净值", "expr": format!("audience(\"{id}\") and aum_tier >= 4")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let r = hq
        .client
        .put(app.url(&format!("/api/v1/audiences/{id}")))
        .header("x-csrf-token", &hq.csrf)
        .json(&json!({"name": "教育金潜客", "expr": format!("audience(\"{}\")", b["id"].as_str().unwrap())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A rule tag holds exactly the customers its rule selects, and is refused as a manual tag.
    let rule = make_tag(&app, &hq, "高净值客户", "rule", Some("aum_tier >= 4")).await;
    assert_eq!(count(&app, &hq, "tag(\"高净值客户\")").await, count(&app, &hq, "aum_tier >= 4").await);
    let (s, _) = cm.post_json(&app, &format!("/api/v1/customers/{}/tags", mine.id), json!({"tag_id": rule})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = hq
        .post_json(
            &app,
            "/api/v1/tags",
            json!({"group_id": "tgr_1", "name": "套娃", "kind": "rule", "rule": "tag(\"高净值客户\")"}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule_refers_to_rule")));
}

#[tokio::test]
async fn exports_are_masked_scoped_and_audited() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let (_, a) = hq.post_json(&app, "/api/v1/audiences", json!({"name": "代发", "expr": "payroll = true"})).await;
    let id = a["id"].as_str().unwrap();
    let r = hq.client.get(app.url(&format!("/api/v1/audiences/{id}/export?format=csv"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines[0].trim_start_matches('\u{feff}').starts_with("客户号,姓名,手机号(脱敏)"));
    assert_eq!(lines.len() as u64 - 1, a["member_count"].as_u64().unwrap());
    assert!(lines[1..].iter().all(|l| l.contains("****") && !contains_clear_phone(l)), "phones masked");
    let x = hq.client.get(app.url(&format!("/api/v1/audiences/{id}/export?format=xlsx"))).send().await.unwrap();
    assert_eq!(x.status(), StatusCode::OK);
    assert!(x.bytes().await.unwrap().starts_with(b"PK"), "an xlsx is a zip");
    let admin = app.login("admin").await;
    let (_, audit) = admin.get_json(&app, "/api/v1/audit?action=export").await;
    assert_eq!(audit["total"], 2, "{audit}");
    // A customer manager may not export.
    let cm = app.login("cm_sh01_1").await;
    let r = cm.client.get(app.url(&format!("/api/v1/audiences/{id}/export"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// An 11-digit run starting with 1: a phone number in clear.
fn contains_clear_phone(line: &str) -> bool {
    let digits: Vec<char> = line.chars().collect();
    digits.windows(11).any(|w| w[0] == '1' && w.iter().all(char::is_ascii_digit))
}

#[tokio::test]
async fn the_live_engine_agrees_with_a_fresh_load_from_the_store() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let tag = make_tag(&app, &hq, "偏好线下活动", "manual", None).await;
    let cms = ["cm_sh01_1", "cm_hz01_1", "cm_nj01_1"];
    for u in cms {
        let s = app.login(u).await;
        let c = app.customer_of(u).await;
        s.post_json(&app, &format!("/api/v1/customers/{}/tags", c.id), json!({"tag_id": tag})).await;
    }
    make_tag(&app, &hq, "高净值", "rule", Some("aum_tier >= 4 and wealth = true")).await;
    let exprs = [
        "tag(\"偏好线下活动\")",
        "tag(\"高净值\") or tag(\"偏好线下活动\")",
        "aum_tier between 2 and 4 and not risk_grade in [1, 2] and gender = \"female\"",
        "payroll = true and payday in [5, 10, 15] and age >= 30",
        "event(\"tag_added\") >= 1 within 7d and sub_branch = \"SH01\"",
    ];
    let fresh = siyu_app::engine::Engine::load(&*app.state.store, app.state.clock.now()).await.unwrap();
    for e in exprs {
        let parsed = siyu_app::engine::compile(&app.state, e).unwrap();
        let expr = siyu_app::engine::bind_to_org(&app.state, &parsed).await.unwrap();
        let live = app.state.engine.select(&expr, None).unwrap();
        assert_eq!(live, fresh.select(&expr, None).unwrap(), "{e}");
        assert_eq!(live.len(), count(&app, &hq, e).await);
        assert!(!live.is_empty() && live.len() < 400, "{e} selects some, not all: {}", live.len());
    }
}

/// Makes the database refuse every untagging from now on, the way a full disk or a lock timeout would.
async fn untagging_fails(app: &TestApp) -> sqlx::SqlitePool {
    let db =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", app.dir.path().join("siyu.db").display())).await.unwrap();
    sqlx::raw_sql(
        "CREATE TRIGGER untag_fails BEFORE DELETE ON customer_tags BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
    )
    .execute(&db)
    .await
    .unwrap();
    db
}

#[tokio::test]
async fn a_rule_tag_whose_removals_fail_leaves_the_engine_as_the_store() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let id = make_tag(&app, &hq, "大众富裕", "rule", Some("aum_tier >= 4")).await;
    let tag: siyu_domain::TagId = id.parse().unwrap();
    let members = |s: Vec<siyu_domain::CustomerId>| siyu_app::engine::bitmap_of(&s);
    let db = untagging_fails(&app).await;
    // The new rule adds tier 3 and drops tiers 4 and 5: the additions commit, the removals fail.
    let group = app.state.store.tag(tag).await.unwrap().group_id;
    let r = hq
        .client
        .put(app.url(&format!("/api/v1/tags/{id}")))
        .header("x-csrf-token", &hq.csrf)
        .json(&json!({"group_id": group, "name": "大众富裕", "kind": "rule", "rule": "aum_tier = 3"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    let stored = members(app.state.store.tag_members(tag).await.unwrap());
    assert!(stored.len() > count(&app, &hq, "aum_tier >= 4").await, "the additions were kept");
    assert_eq!(app.state.engine.tag_members(tag, None), stored, "the engine holds what the store committed");
    sqlx::raw_sql("DROP TRIGGER untag_fails").execute(&db).await.unwrap();
    // The next recompute finishes the job.
    app.refresh_audiences().await;
    assert_eq!(count(&app, &hq, "tag(\"大众富裕\")").await, count(&app, &hq, "aum_tier = 3").await);
}

/// An administrator changes a sub-branch's code in place.
async fn recode(app: &TestApp, admin: &Session, from: &str, to: &str) {
    let (status, body) = try_recode(app, admin, from, to).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// An administrator asks to change a sub-branch's code: the status and the answer's text.
async fn try_recode(app: &TestApp, admin: &Session, from: &str, to: &str) -> (StatusCode, String) {
    let units = app.state.store.org_units().await.unwrap();
    let u = units.iter().find(|u| u.code == from).unwrap();
    let loc = u.location.unwrap();
    let r = admin
        .client
        .put(app.url(&format!("/api/v1/org-units/{}", u.id)))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"kind": "sub_branch", "parent_id": u.parent_id, "code": to, "name": u.name, "lat": loc.lat, "lng": loc.lng}))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn saved_audiences_and_rule_tags_keep_their_sub_branch_when_its_code_changes_or_is_reused() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let admin = app.login("admin").await;
    let in_sh01 = count(&app, &hq, "sub_branch = \"SH01\"").await;
    assert!(in_sh01 > 0);
    let tag: siyu_domain::TagId =
        make_tag(&app, &hq, "陆家嘴客户", "rule", Some("sub_branch = \"SH01\"")).await.parse().unwrap();
    let expr = "sub_branch in [\"SH01\", \"SH02\"] and not sub_branch = \"SH02\"";
    let (s, a) = hq.post_json(&app, "/api/v1/audiences", json!({"name": "陆家嘴客群", "expr": expr})).await;
    assert_eq!((s, a["member_count"].as_u64()), (StatusCode::CREATED, Some(in_sh01)), "{a}");
    let audience: siyu_domain::AudienceId = a["id"].as_str().unwrap().parse().unwrap();
    // Recomputed and refreshed from the store's text, as the hourly job and a restart do.
    let members = || async {
        app.refresh_audiences().await;
        let a = app.state.store.audience(audience).await.unwrap();
        (count(&app, &hq, "tag(\"陆家嘴客户\")").await, a.member_count as u64)
    };
    assert_eq!(members().await, (in_sh01, in_sh01));

    recode(&app, &admin, "SH01", "SH11").await;
    assert_eq!(members().await, (in_sh01, in_sh01), "the rule tag and the audience follow the new code");
    let rule = app.state.store.tag(tag).await.unwrap().rule_text.unwrap();
    assert!(rule.contains("SH11") && !rule.contains("SH01"), "{rule}");
    let text = app.state.store.audience(audience).await.unwrap().expr;
    assert!(text.contains("SH11") && !text.contains("SH01"), "{text}");

    // Another sub-branch takes the freed code: neither picks up its customers.
    recode(&app, &admin, "HZ01", "SH01").await;
    assert_eq!(members().await, (in_sh01, in_sh01), "the reused code means Hangzhou's unit, not theirs");

    // A code a saved expression names about no unit cannot be given to one, by a change or a new unit.
    let (s, v) =
        hq.post_json(&app, "/api/v1/audiences", json!({"name": "未来网点", "expr": "sub_branch = \"ZZ99\""})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (status, body) = try_recode(&app, &admin, "HZ02", "ZZ99").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("未来网点") && body.contains("ZZ99"), "the refusal names the audience: {body}");
    let hz = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "HZ").unwrap();
    let (s, v) = admin
        .post_json(
            &app,
            "/api/v1/org-units",
            json!({"kind": "sub_branch", "parent_id": hz.id, "code": "ZZ99", "name": "新网点", "lat": 30.2, "lng": 120.2}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(app.state.store.audience(audience_named(&app, "未来网点").await).await.unwrap().member_count, 0);
}

async fn audience_named(app: &TestApp, name: &str) -> siyu_domain::AudienceId {
    let all = app.state.store.audiences().await.unwrap();
    all.into_iter().find(|a| a.name == name).unwrap().id
}

#[tokio::test]
async fn a_sub_branch_keeps_its_customers_when_its_code_changes_and_a_reused_code_stays_in_its_branch() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let admin = app.login("admin").await;
    let in_sh01 = count(&app, &hq, "sub_branch = \"SH01\"").await;
    assert!(in_sh01 > 0);
    let branch_total = |who: &str| {
        let who = who.to_owned();
        let app = &app;
        async move {
            let s = app.staff(&who).await;
            let scope = siyu_domain::scope::DataScope::Subtree(s.org_unit_id);
            app.state.store.list_customers(scope, &Default::default(), siyu_store::Page::first(1)).await.unwrap().total
                as u64
        }
    };
    recode(&app, &admin, "SH01", "SH11").await;
    assert_eq!(count(&app, &hq, "sub_branch = \"SH11\"").await, in_sh01, "found under its new code at once");
    assert_eq!(count(&app, &hq, "sub_branch = \"SH01\"").await, 0, "the old code names nobody");
    let bm_sh = app.login("bm_sh").await;
    assert_eq!(count(&app, &bm_sh, "aum_tier >= 1").await, branch_total("bm_sh").await, "the branch keeps them");

    // Hangzhou's first sub-branch takes the freed code: its manager counts Hangzhou's customers only.
    let in_hz01 = count(&app, &hq, "sub_branch = \"HZ01\"").await;
    recode(&app, &admin, "HZ01", "SH01").await;
    assert_eq!(count(&app, &hq, "sub_branch = \"SH01\"").await, in_hz01);
    let bm_hz = app.login("bm_hz").await;
    assert_eq!(count(&app, &bm_hz, "aum_tier >= 1").await, branch_total("bm_hz").await);
    assert_eq!(count(&app, &bm_sh, "aum_tier >= 1").await, branch_total("bm_sh").await);
    // Saved audiences refresh against the organisation as it is now.
    let (s, a) =
        hq.post_json(&app, "/api/v1/audiences", json!({"name": "陆家嘴", "expr": "sub_branch = \"SH11\""})).await;
    assert_eq!((s, a["member_count"].as_u64()), (StatusCode::CREATED, Some(in_sh01)), "{a}");
}

/// The preview's answer for `expr`, which must be counted.
async fn preview(app: &TestApp, s: &Session, expr: &str) -> serde_json::Value {
    let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
    let (status, v) = s.get_json(app, &format!("/api/v1/audiences/preview?expr={q}")).await;
    assert_eq!(status, StatusCode::OK, "{expr}: {v}");
    v
}

#[tokio::test]
async fn the_operators_words_count_as_the_canonical_ones_and_print_back_canonically() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let by_code = count(&app, &hq, "sub_branch = \"SH01\"").await;
    assert!(by_code > 0);
    for expr in ["sub_branch = \"陆家嘴支行\"", "网点 = \"陆家嘴支行\"", "sub_branch = \"sh01\"", "网点 = “陆家嘴支行”"]
    {
        assert_eq!(count(&app, &hq, expr).await, by_code, "{expr}: by name = by code");
    }
    let by_number = count(&app, &hq, "risk_grade >= 3").await;
    assert!(by_number > 0);
    for expr in ["risk_grade >= C3", "risk_grade >= c3", "风险等级 >= C3", "风险等级 ≥ 3"] {
        assert_eq!(count(&app, &hq, expr).await, by_number, "{expr}");
    }
    let p = preview(&app, &hq, "网点 属于 【\"陆家嘴支行\"，\"SH02\"】 且 资产层级 >= 白金 且 性别 = 女").await;
    assert_eq!(p["canonical"], "sub_branch in [\"SH01\", \"SH02\"] and aum_tier >= 3 and gender = \"female\"");
    assert_eq!(p["warnings"], json!([]));
    assert_eq!(
        p["count"].as_u64(),
        Some(count(&app, &hq, "sub_branch in [\"SH01\", \"SH02\"] and aum_tier >= 3 and gender = \"female\"").await)
    );

    // Saved and printed in the canonical form, whatever was typed; a rule tag reads the same words.
    let (s, a) = hq
        .post_json(
            &app,
            "/api/v1/audiences",
            json!({"name": "陆家嘴高风险", "expr": "网点 = \"陆家嘴支行\" 且 风险等级 >= C4"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["expr"], "sub_branch = \"SH01\" and risk_grade >= 4");
    assert_eq!(a["member_count"].as_u64(), Some(count(&app, &hq, "sub_branch = \"SH01\" and risk_grade >= 4").await));
    make_tag(&app, &hq, "高风险偏好", "rule", Some("风险等级 >= 4")).await;
    let (_, tags) = hq.get_json(&app, "/api/v1/tags").await;
    let rule = tags["items"].as_array().unwrap().iter().find(|t| t["name"] == "高风险偏好").unwrap().clone();
    assert_eq!(rule["rule_text"], "risk_grade >= 4", "{rule}");
    assert_eq!(count(&app, &hq, "tag(\"高风险偏好\")").await, count(&app, &hq, "risk_grade >= 4").await);
}

#[tokio::test]
async fn a_value_that_matches_nothing_is_a_warning_with_the_nearest_not_a_silent_zero() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let p = preview(&app, &hq, "age >= 18 and sub_branch = \"陆家嘴\"").await;
    assert_eq!(p["count"], 0);
    let w = &p["warnings"][0];
    assert_eq!(
        (w["code"].as_str(), w["position"].as_u64(), w["value"].as_str()),
        (Some("unknown_sub_branch"), Some(27), Some("陆家嘴")),
        "{p}"
    );
    assert_eq!(w["suggestions"], json!(["陆家嘴支行"]));
    assert!(w["message"].as_str().unwrap().contains("陆家嘴支行"), "{w}");
    let p = preview(&app, &hq, "网点 = \"SH1\"").await;
    assert_eq!(
        p["warnings"][0]["suggestions"],
        json!(["陆家嘴支行"]),
        "a mistyped code suggests the unit by name: {p}"
    );

    // A name resolves only among the caller's own sub-branches: another branch's is a warning, and
    // suggests nothing of theirs.
    let cm = app.login("cm_sh01_1").await;
    assert!(count(&app, &cm, "网点 = \"陆家嘴支行\"").await > 0, "their own sub-branch by name");
    let p = preview(&app, &cm, "网点 = \"西湖支行\"").await;
    assert_eq!((p["count"].as_u64(), p["warnings"][0]["code"].as_str()), (Some(0), Some("unknown_sub_branch")), "{p}");
    assert!(!p.to_string().contains("HZ01"), "nothing of the other branch is shown: {p}");
    let bm = app.login("bm_sh").await;
    assert_eq!(preview(&app, &bm, "网点 = \"徐家汇支行\"").await["warnings"], json!([]));
    assert_eq!(preview(&app, &bm, "网点 = \"西湖支行\"").await["warnings"][0]["code"], "unknown_sub_branch");

    // Saving a name that matches none of the caller's sub-branches is refused with the same words and
    // the place: it could never select anyone. (An unknown code may be saved: it is kept for a unit to
    // come, and the preview warns of it.)
    let (s, v) =
        hq.post_json(&app, "/api/v1/audiences", json!({"name": "错字", "expr": "sub_branch = \"陆家嘴\""})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str(), v["error"]["position"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_expression"), Some(13)),
        "{v}"
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("陆家嘴支行"), "{v}");

    // An unknown tag names the nearest; an unknown Chinese word is refused where it stands, with the
    // same code as an unknown English one; a grade beyond C5 likewise.
    make_tag(&app, &hq, "高意向", "manual", None).await;
    for (expr, position, near) in [
        ("tag(\"高意\")", 4, "高意向"),
        ("age > 1 and colour = 3", 12, "未知属性"),
        ("年龄 > 1 且 颜色 = 3", 9, "未知属性"),
        ("风险 >= 3", 0, "风险等级"),
        ("风险等级 = C9", 7, "C1-C5"),
    ] {
        let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
        let (s, v) = hq.get_json(&app, &format!("/api/v1/audiences/preview?expr={q}")).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_expression")),
            "{expr}"
        );
        assert_eq!(v["error"]["position"].as_u64(), Some(position), "{expr}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(near), "{expr}: {v}");
    }

    // The console's builder: the caller's sub-branches by name to pick, the builder's own script, and
    // a save that would select nobody sent back with the suggestion.
    let html = hq.client.get(app.url("/audiences/new")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"builder-attr\"") && html.contains("/static/builder.js"), "the click builder");
    let builder = &html[html.find("id=\"builder\"").unwrap()..];
    assert!(builder.contains("陆家嘴支行&#34;\">陆家嘴支行</option>"), "sub-branches by name: {builder}");
    assert!(
        html.contains("<option value=\"C3\">C3</option>") && html.contains(">白金客户</option>"),
        "grades and tiers"
    );
    let cm_html = cm.client.get(app.url("/audiences/new")).send().await.unwrap().text().await.unwrap();
    assert!(!cm_html.contains("西湖支行"), "a manager is offered only their own sub-branch");
    let js = hq.client.get(app.url("/static/builder.js")).send().await.unwrap();
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let r = hq
        .client
        .post(app.url("/audiences"))
        .form(&[("csrf", hq.csrf.as_str()), ("name", "错字"), ("expr", "网点 = \"陆家嘴\"")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("role=\"alert\"") && page.contains("陆家嘴支行"), "the form says what was meant");
}

#[tokio::test]
async fn the_customer_list_takes_ranges_and_several_values() {
    let app = spawn_app().await;
    let hq = app.login("hq01").await;
    let total = |v: serde_json::Value| v["total"].as_u64().unwrap();
    let units = app.state.store.org_units().await.unwrap();
    let id_of = |code: &str| units.iter().find(|u| u.code == code).unwrap().id.to_string();
    let (sh01, sh02) = (id_of("SH01"), id_of("SH02"));

    let cases = [
        ("aum_tier_min=3".to_owned(), "aum_tier >= 3"),
        ("aum_tier_min=2&aum_tier_max=C4".to_owned(), "aum_tier between 2 and 4"),
        ("aum_tier=3".to_owned(), "aum_tier = 3"),
        ("risk_grade=C3,C4".to_owned(), "risk_grade in [3, 4]"),
        (format!("sub_branch={sh01},{sh02}"), "sub_branch in [\"SH01\", \"SH02\"]"),
        (
            format!("sub_branch={sh01}&risk_grade=1,5&aum_tier_min=2"),
            "sub_branch = \"SH01\" and risk_grade in [1, 5] and aum_tier >= 2",
        ),
    ];
    for (query, expr) in &cases {
        let (s, v) = hq.get_json(&app, &format!("/api/v1/customers?{query}")).await;
        assert_eq!(s, StatusCode::OK, "{query}: {v}");
        let n = total(v);
        assert!(n > 0, "{query}");
        assert_eq!(n, count(&app, &hq, expr).await, "{query} lists what {expr} counts");
    }
    // Lists are bounded before any is read.
    let many = vec![sh01.clone(); 101].join(",");
    let (s, v) = hq.get_json(&app, &format!("/api/v1/customers?sub_branch={many}")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_query")));
    let (s, _) = hq.get_json(&app, "/api/v1/customers?risk_grade=1,2,3,4,5,1").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The console's form sends one pair per ticked value: the same customers.
    let page = |s: &Session, q: String| {
        let url = app.url(&format!("/customers?{q}"));
        let client = s.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = page(&hq, format!("sub_branch={sh01}&sub_branch={sh02}&risk_grade=3&risk_grade=4&aum_tier_min=3")).await;
    let n = count(&app, &hq, "sub_branch in [\"SH01\", \"SH02\"] and risk_grade in [3, 4] and aum_tier >= 3").await;
    assert!(html.contains(&format!("<small class=\"muted\">{n} ")), "the console lists {n}");
    assert!(html.contains(&format!("value=\"{sh02}\" checked")) && html.contains("value=\"4\" checked"), "ticks kept");
    assert!(html.contains(">白金客户及以上</option>"), "a tier and above");
    let form = &html[html.find("id=\"customer-filters\"").unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        !form.contains("客群") && form.contains("业务标识"),
        "the segment filter is not named as the audiences are"
    );

    // A manager's scope still applies: another sub-branch's customers are not theirs to list.
    let cm = app.login("cm_sh01_1").await;
    let hz01 = id_of("HZ01");
    let (_, v) = cm.get_json(&app, &format!("/api/v1/customers?sub_branch={hz01},{sh01}")).await;
    let (_, mine) = cm.get_json(&app, "/api/v1/customers").await;
    assert_eq!(total(v), total(mine));
}
