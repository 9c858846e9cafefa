//! The API's shape: the OpenAPI document matches what is served, errors carry codes, health and metrics
//! answer, masked data never leaks, and a clear view is audited.

mod common;

use common::spawn_app_with;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_documented_endpoint_is_served_and_guarded() {
    let app = spawn_app_with(5).await;
    let doc: serde_json::Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let c = reqwest::Client::new();
    let mut n = 0;
    for (path, ops) in paths {
        for (method, _) in ops.as_object().unwrap() {
            let url = app.url(&path.replace("{id}", "cus_1").replace("{no}", "C1").replace("{tag}", "tag_1"));
            let req = match method.as_str() {
                "get" => c.get(&url),
                "post" => c.post(&url),
                "put" => c.put(&url),
                "delete" => c.delete(&url),
                other => panic!("unexpected method {other}"),
            };
            let status = req.send().await.unwrap().status();
            if path.ends_with("openapi.json") {
                assert_eq!(status, StatusCode::OK);
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} without credentials");
            }
            n += 1;
        }
    }
    assert_eq!(n, siyu::api::endpoints().len());
    let r = c.get(app.url("/api/v1/no-such-thing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
}

#[tokio::test]
async fn bad_input_gets_a_coded_error() {
    let app = spawn_app_with(5).await;
    let admin = app.login("admin").await;
    let post = |path: &str| admin.client.post(app.url(path)).header("x-csrf-token", &admin.csrf);
    let r = post("/api/v1/tokens").header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_json");
    let r = admin.client.get(app.url("/api/v1/customers?risk_grade=9")).send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_query");
    let r = admin.client.get(app.url("/api/v1/customers?page=abc")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post("/api/v1/staff")
        .json(
            &json!({"username": "x", "display_name": "", "role": "admin", "org_unit_id": "org_1", "password": "short"}),
        )
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_username");
    let r = post("/api/v1/org-units").json(&json!({"kind": "sub_branch", "parent_id": "org_2", "code": "SH09", "name": "新网点", "lat": 123.0, "lng": 121.0})).send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_location");
    let r = post("/api/v1/org-units").json(&json!({"kind": "sub_branch", "parent_id": "org_1", "code": "SH09", "name": "新网点", "lat": 31.0, "lng": 121.0})).send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_parent", "a sub-branch hangs under a branch, not head office");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app_with(5).await;
    assert_eq!(reqwest::get(app.url("/healthz")).await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(reqwest::get(app.url("/readyz")).await.unwrap().text().await.unwrap(), "ok: sqlite");
    let admin = app.login("admin").await;
    let m = admin.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("siyu_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"), "{m}");
    assert!(m.contains("siyu_pii_reveals_total 0"));
}

#[tokio::test]
async fn personal_numbers_are_masked_and_a_clear_view_is_audited() {
    let app = common::spawn_app().await;
    let cm = app.login("cm_sh01_1").await;
    let c = app.customer_of("cm_sh01_1").await;
    let body =
        cm.client.get(app.url(&format!("/api/v1/customers/{}", c.id))).send().await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let masked = v["phone_masked"].as_str().unwrap();
    assert!(masked.contains("****") && masked.len() == 11, "{masked}");
    assert!(!body.contains("phone\""), "no clear phone field in a staff view");
    let page = cm.client.get(app.url(&format!("/customers/{}", c.id))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(masked));

    let reveal = |reason: &str| {
        cm.client
            .post(app.url(&format!("/api/v1/customers/{}/reveal", c.id)))
            .header("x-csrf-token", &cm.csrf)
            .json(&json!({"field": "phone", "reason": reason}))
            .send()
    };
    let r = reveal("  ").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r: serde_json::Value = reveal("客户来电核实身份").await.unwrap().json().await.unwrap();
    let clear = r["value"].as_str().unwrap();
    assert_eq!(clear.len(), 11);
    assert_eq!(&clear[..3], &masked[..3]);
    assert_eq!(&clear[7..], &masked[7..]);
    let entries = app
        .state
        .store
        .search_audit(
            &siyu_store::AuditFilter { target: Some(c.id.to_string()), ..Default::default() },
            siyu_store::Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(entries.total, 1);
    assert_eq!(entries.items[0].actor, "cm_sh01_1");
    assert_eq!(entries.items[0].detail, "phone: 客户来电核实身份");
    // The console's reveal shows the number and audits it too.
    let page = cm
        .client
        .post(app.url(&format!("/customers/{}/reveal", c.id)))
        .form(&[("csrf", cm.csrf.as_str()), ("field", "phone"), ("reason", "回访核实")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(clear));
    let admin = app.login("admin").await;
    let m = admin.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("siyu_pii_reveals_total 2"));
}

#[tokio::test]
async fn console_pages_render_for_the_roles_that_may_see_them() {
    let app = spawn_app_with(30).await;
    let admin = app.login("admin").await;
    for path in [
        "/customers",
        "/customers?segment=payroll&aum_tier=2",
        "/imports",
        "/org",
        "/staff",
        "/staff/new",
        "/audit",
        "/tokens",
        "/jobs",
        "/customers?page=x",
    ] {
        let r = admin.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"zh-CN\">"), "{path} is Chinese by default");
    }
    // An id of the wrong kind, or no id at all, is the console's not-found page.
    for path in ["/customers/stf_1", "/imports/cus_1", "/org/nonsense", "/staff/org_1", "/channels/chc_x"] {
        let r = admin.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(r.text().await.unwrap().contains("未找到"), "{path} shows the page, not a bare error");
    }
    let cm = app.login("cm_sh01_1").await;
    for path in ["/staff", "/audit", "/tokens", "/org", "/imports"] {
        assert_eq!(cm.client.get(app.url(path)).send().await.unwrap().status(), StatusCode::FORBIDDEN, "{path}");
    }
    // English on request.
    let r = admin.client.get(app.url("/lang/en")).header("referer", app.url("/customers")).send().await.unwrap();
    assert_eq!(r.headers().get("location").unwrap(), "/customers");
    let html = admin.client.get(app.url("/customers")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Customers"), "English words");
}

/// `/metrics` answers only a caller allowed to read it — an administrator, or an API token with the
/// `metrics:read` scope (what a Prometheus scraper uses) — and its labels stay a fixed set: a made-up
/// method is counted as `other`, a made-up path under the `unmatched` route, never as themselves.
#[tokio::test]
async fn metrics_need_a_reader_and_keep_their_labels_bounded() {
    let app = spawn_app_with(5).await;
    let anonymous = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let cm = app.login("cm_sh01_1").await;
    assert_eq!(cm.client.get(app.url("/metrics")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;
    let (_, read) =
        admin.post_json(&app, "/api/v1/tokens", json!({"name": "core", "scopes": ["customers:read"]})).await;
    let (status, scraper) =
        admin.post_json(&app, "/api/v1/tokens", json!({"name": "prometheus", "scopes": ["metrics:read"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{scraper}");
    let c = reqwest::Client::new();
    let r = c.get(app.url("/metrics")).bearer_auth(read["secret"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a token without the scope");

    let brew = reqwest::Method::from_bytes(b"BREWCOFFEE").unwrap();
    c.request(brew, app.url("/healthz")).send().await.unwrap();
    c.get(app.url("/no/such/page-4711")).send().await.unwrap();
    c.get(app.url("/api/v1/no-such-endpoint-4711")).send().await.unwrap();
    let r = c.get(app.url("/metrics")).bearer_auth(scraper["secret"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let m = r.text().await.unwrap();
    assert!(m.contains("method=\"other\""), "{m}");
    assert!(!m.contains("BREWCOFFEE") && !m.contains("4711"), "{m}");
    assert!(m.contains("route=\"unmatched\""), "{m}");
    assert!(admin.client.get(app.url("/metrics")).send().await.unwrap().status().is_success());
}

/// Where the server keeps an upload is its own business: no API answer names a server path.
#[tokio::test]
async fn import_answers_name_no_server_path() {
    let app = spawn_app_with(5).await;
    let hq = app.login("hq01").await;
    let csv = "客户号,姓名,手机号,网点代码\nP001,王小明,13812345678,SH01\nP002,李四,123,SH01\n";
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("客户.csv"));
    let r = hq.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &hq.csrf).multipart(form);
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v: serde_json::Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_owned();
    app.wait_import(&hq, &id, "validating").await;
    let dir = app.dir.path().display().to_string();
    for path in [format!("/api/v1/imports/{id}"), "/api/v1/imports".into(), format!("/api/v1/imports/{id}/problems")] {
        let body = hq.client.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(!body.contains("stored_path") && !body.contains(&dir) && !body.contains(".sealed"), "{path}: {body}");
        assert!(!body.contains("raw_json"), "{path}: no sealed row either: {body}");
    }
}
