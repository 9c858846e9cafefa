//! One customer manager cannot read another's customer through any endpoint that reads customers; a
//! branch manager sees only their unit's customers; a compliance reviewer sees none.

use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_manager_cannot_read_another_managers_customer_anywhere() {
    let app = spawn_app().await;
    let me = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let theirs = app.customer_of("cm_hz01_1").await;
    let other_cm = app.staff("cm_hz01_1").await;

    let now = app.state.clock.now();
    let group = app.state.store.create_tag_group("兴趣", now).await.unwrap();
    let new_tag = siyu_store::NewTag {
        group_id: group.id,
        name: "关注养老".into(),
        kind: siyu_domain::tag::TagKind::Manual,
        sync_to_wecom: false,
        rule_text: None,
    };
    let tag = app.state.store.create_tag(&new_tag, now).await.unwrap().id.to_string();
    app.state.store.tag_customers(tag.parse().unwrap(), &[theirs.id], "manual:test", now).await.unwrap();

    // Every API endpoint that reads a customer, aimed at the other manager's customer.
    let id = theirs.id.to_string();
    let no = theirs.customer_no.clone();
    let checks: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("/customers/{id}", me.client.get(app.url(&format!("/api/v1/customers/{id}")))),
        ("/customers/by-number/{no}", me.client.get(app.url(&format!("/api/v1/customers/by-number/{no}")))),
        (
            "/customers/{id}/reveal",
            me.client
                .post(app.url(&format!("/api/v1/customers/{id}/reveal")))
                .header("x-csrf-token", &me.csrf)
                .json(&json!({"field": "phone", "reason": "核实客户身份"})),
        ),
        ("/customers/{id}/tags", me.client.get(app.url(&format!("/api/v1/customers/{id}/tags")))),
        (
            "/customers/{id}/tags",
            me.client
                .post(app.url(&format!("/api/v1/customers/{id}/tags")))
                .header("x-csrf-token", &me.csrf)
                .json(&json!({"tag_id": tag})),
        ),
        (
            "/customers/{id}/tags/{tag}",
            me.client.delete(app.url(&format!("/api/v1/customers/{id}/tags/{tag}"))).header("x-csrf-token", &me.csrf),
        ),
        ("/customers/{id}/timeline", me.client.get(app.url(&format!("/api/v1/customers/{id}/timeline")))),
    ];
    let covered: Vec<&str> = checks.iter().map(|(p, _)| *p).chain(["/customers"]).collect();
    // Adding a customer endpoint without adding it here fails this test.
    for e in siyu_web::api::endpoints().iter().filter(|e| e.path.starts_with("/customers")) {
        assert!(covered.contains(&e.path), "endpoint {} {} is not walked by this test", e.method, e.path);
    }
    for (path, req) in checks {
        let status = req.send().await.unwrap().status();
        assert!(matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{path} answered {status}");
    }
    // The list never includes them, even when asked by their owner or number.
    for q in [format!("owner={}", other_cm.id), format!("q={no}"), String::new()] {
        let v: serde_json::Value = me
            .client
            .get(app.url(&format!("/api/v1/customers?{q}&per_page=500")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert!(!ids.contains(&id.as_str()), "listed with ?{q}");
        assert!(
            v["items"].as_array().unwrap().iter().all(|c| c["owner_id"] == me.staff.id.to_string()),
            "only own customers, ?{q}"
        );
    }
    // Console pages too.
    assert_eq!(
        me.client.get(app.url(&format!("/customers/{id}"))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let reveal = me.client.post(app.url(&format!("/customers/{id}/reveal"))).form(&[
        ("csrf", me.csrf.as_str()),
        ("field", "phone"),
        ("reason", "核实客户身份"),
    ]);
    assert_eq!(reveal.send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // The other manager's customer still carries the tag nobody in scope could take off.
    assert_eq!(app.state.store.customer_tags(theirs.id).await.unwrap().len(), 1);
    let page = me.client.get(app.url("/customers?per_page=500")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains(&format!("/customers/{id}\"")));
    // …while their own customer is readable.
    let own = me.client.get(app.url(&format!("/api/v1/customers/{}", mine.id))).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn branch_managers_see_their_unit_and_reviewers_see_no_customers() {
    let app = spawn_app().await;
    let sh = app.login("bm_sh").await;
    let hz_customer = app.customer_of("cm_hz02_1").await;
    let sh_customer = app.customer_of("cm_sh02_1").await;
    let get = |s: &crate::common::Session, id: String| s.client.get(app.url(&format!("/api/v1/customers/{id}"))).send();
    assert_eq!(get(&sh, sh_customer.id.to_string()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(get(&sh, hz_customer.id.to_string()).await.unwrap().status(), StatusCode::NOT_FOUND);
    // A sub-branch head sees only that sub-branch.
    let sub = app.login("bm_sh01").await;
    assert_eq!(get(&sub, sh_customer.id.to_string()).await.unwrap().status(), StatusCode::NOT_FOUND);

    let reviewer = app.login("comp01").await;
    assert_eq!(get(&reviewer, sh_customer.id.to_string()).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(reviewer.client.get(app.url("/api/v1/customers")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(reviewer.client.get(app.url("/customers")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
