//! The API's shape: the OpenAPI document matches what is served, errors carry codes, health and metrics
//! answer, masked data never leaks, and a clear view is audited.

use crate::common::spawn_app_with;
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
        for (method, op) in ops.as_object().unwrap() {
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
                assert!(op["responses"].get("401").is_some(), "{method} {path} documents the refusal");
            }
            n += 1;
        }
    }
    assert_eq!(n, siyu_web::api::endpoints().len());
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
    let app = crate::common::spawn_app().await;
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
    app.import_after_jobs(&hq, &id, "validating").await;
    let dir = app.dir.path().display().to_string();
    for path in [format!("/api/v1/imports/{id}"), "/api/v1/imports".into(), format!("/api/v1/imports/{id}/problems")] {
        let body = hq.client.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(!body.contains("stored_path") && !body.contains(&dir) && !body.contains(".sealed"), "{path}: {body}");
        assert!(!body.contains("raw_json"), "{path}: no sealed row either: {body}");
    }
}

/// A path of the endpoint table with its parameters filled in from `ids` (keyed by the path's first
/// segment). A path whose parameters have no fixture fails the test: add one.
fn fill(path: &str, ids: &std::collections::HashMap<&str, String>) -> String {
    // The first segment names the resource, or the first two where one area has several (`content/items`).
    let mut segs = path.trim_start_matches('/').split('/');
    let first = segs.next().unwrap();
    let two = segs.next().map(|second| format!("{first}/{second}"));
    let resource = two.as_deref().filter(|k| ids.contains_key(k)).unwrap_or(first);
    let mut out = path.to_owned();
    for (param, key) in [("{id}", resource), ("{no}", "customer_no"), ("{tag}", "tags")] {
        if out.contains(param) {
            let v = ids.get(key).unwrap_or_else(|| panic!("no fixture for {param} in {path}: add one to this test"));
            out = out.replace(param, v);
        }
    }
    out
}

/// The JSON body of `r`, or null.
async fn answer(r: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn every_list_pages_and_every_query_parameter_is_bounded() {
    use siyu_web::api::ParamKind;
    let app = crate::common::spawn_app().await;
    let admin = app.login("admin").await;
    let customer = app.customer_of("cm_sh01_1").await;
    // Two of everything a list shows, so that a list that ignores `per_page` is caught.
    for name in ["兴趣", "生命周期"] {
        let (s, g) = admin.post_json(&app, "/api/v1/tag-groups", json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let (s, t) = admin
            .post_json(
                &app,
                "/api/v1/tags",
                json!({"group_id": g["id"], "name": format!("{name}标签"), "kind": "manual"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let path = format!("/api/v1/customers/{}/tags", customer.id);
        assert_eq!(admin.post_json(&app, &path, json!({"tag_id": t["id"]})).await.0, StatusCode::OK);
    }
    let mut audience = String::new();
    for name in ["代发客户", "高净值"] {
        let (s, a) = admin.post_json(&app, "/api/v1/audiences", json!({"name": name, "expr": "aum_tier >= 1"})).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        audience = a["id"].as_str().unwrap().to_owned();
    }
    for name in ["核心系统", "数据仓库"] {
        let (s, _) = admin.post_json(&app, "/api/v1/tokens", json!({"name": name, "scopes": ["customers:read"]})).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let csv = "客户号,姓名,手机号\nC900001,张三,13800000000\nC900002,李四,bad\nC900003,王五,bad\n";
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("c.csv"));
    let r = admin.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &admin.csrf).multipart(form);
    let (s, imp) = answer(r.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{imp}");
    let import = imp["id"].as_str().unwrap().to_owned();
    app.import_after_jobs(&admin, &import, "validating").await;
    // A channel code (made in the store: this app has no WeCom), so its paged lists answer a page.
    let code = siyu_store::NewChannelCode {
        name: "海报".into(),
        kind: siyu_domain::channel::ChannelKind::BranchPoster,
        sub_branch_id: None,
        assignment: siyu_domain::channel::Assignment::Named { staff_id: admin.staff.id },
        welcome: Default::default(),
        tags: Vec::new(),
        controls: Default::default(),
        created_by: None,
        created_at: app.state.clock.now(),
    };
    let channel = app.state.store.create_channel_code(&code).await.unwrap().id.to_string();
    let products = "产品代码,产品名称,产品类型,风险等级\nF300,沪深300指数基金,基金,R4\nCD3Y,三年期大额存单,存款,\n";
    crate::products::import_catalogue(&app, &admin, products).await;
    let (_, listed) = answer(admin.client.get(app.url("/api/v1/products")).send().await.unwrap()).await;
    let product = listed["items"][0]["id"].as_str().unwrap().to_owned();
    // A library item, so its paged lists (the managers who sent it) answer a page.
    let hq = app.login("hq01").await;
    let item =
        json!({"kind": "text", "category": "finance_tips", "draft": {"title": "理财小知识", "body": "净值会波动"}});
    let (s, made) = hq.post_json(&app, "/api/v1/content/items", item).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let ids: std::collections::HashMap<&str, String> = [
        ("products", product),
        ("customers", customer.id.to_string()),
        ("customer_no", customer.customer_no.clone()),
        ("audiences", audience),
        ("imports", import),
        ("staff", admin.staff.id.to_string()),
        ("channels", channel),
        ("tags", "tag_1".to_owned()),
        ("handovers", "hov_1".to_owned()),
        ("content/versions", "cvr_1".to_owned()),
        ("content/items", made["item_id"].as_str().unwrap().to_owned()),
        ("media", "med_1".to_owned()),
    ]
    .into();

    let get = |path: String| {
        let url = app.url(&format!("/api/v1{path}"));
        async { answer(admin.client.get(url).send().await.unwrap()).await }
    };
    let mut lists = 0;
    for e in siyu_web::api::endpoints().iter().filter(|e| e.method == "get") {
        let path = fill(&e.path, &ids);
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, v) = get(path.clone()).await;
        assert!(s.as_u16() < 500, "{path} answered {s}");
        if e.path == "/audiences/preview" {
            assert_eq!(v["error"]["code"], "bad_query", "a preview needs an expression");
        } else if !e.path.ends_with(".csv") && !e.path.ends_with("/export") {
            assert!(s.is_success() || s == StatusCode::NOT_FOUND, "{path} answered {s}: {v}");
        }
        if v.is_array() {
            assert!(e.bounded.is_some(), "{path} answers a bare array: page it, or say in the table why it is bounded");
        }
        // Every parameter refuses what is out of its bounds with a coded error, never a 500.
        let mut out_of_bounds: Vec<String> = vec!["no_such_parameter=1".into()];
        for p in &e.query {
            match p.kind {
                ParamKind::Int { min, max } => {
                    out_of_bounds.push(format!("{}={}", p.name, max as i128 + 1));
                    out_of_bounds.push(format!("{}={}", p.name, min as i128 - 1));
                    out_of_bounds.push(format!("{}=abc", p.name));
                }
                ParamKind::Text { max_chars } => {
                    out_of_bounds.push(format!("{}={}", p.name, "长".repeat(max_chars + 1)))
                }
                ParamKind::Id(prefix) => {
                    out_of_bounds.push(format!("{}=nonsense", p.name));
                    out_of_bounds.push(format!("{}={prefix}_0", p.name));
                    out_of_bounds.push(format!("{}=%20{prefix}_1", p.name));
                    let (s, v) = get(format!("{path}{sep}{}={prefix}_1", p.name)).await;
                    assert!(s.is_success(), "{path} {}={prefix}_1: {s} {v}", p.name);
                    let (s, v) = get(format!("{path}{sep}{}=", p.name)).await;
                    assert!(s.is_success(), "{path} {}= is any: {s} {v}", p.name);
                }
                ParamKind::SomeOf { words, max } => {
                    out_of_bounds.push(format!("{}=nonsense", p.name));
                    out_of_bounds.push(format!("{}={},nonsense", p.name, words[0]));
                    out_of_bounds.push(format!("{}={}", p.name, vec![words[0]; max + 1].join(",")));
                    let several = words[..max.min(words.len())].join(",");
                    for q in [String::new(), several] {
                        let (s, v) = get(format!("{path}{sep}{}={q}", p.name)).await;
                        assert!(s.is_success(), "{path} {}={q}: {s} {v}", p.name);
                    }
                }
                ParamKind::Ids { prefix, max } => {
                    out_of_bounds.push(format!("{}=nonsense", p.name));
                    out_of_bounds.push(format!("{}={prefix}_1,{prefix}_0", p.name));
                    out_of_bounds.push(format!("{}={}", p.name, vec![format!("{prefix}_1"); max + 1].join(",")));
                    for q in [String::new(), format!("{prefix}_1"), format!("{prefix}_1,{prefix}_2")] {
                        let (s, v) = get(format!("{path}{sep}{}={q}", p.name)).await;
                        assert!(s.is_success(), "{path} {}={q}: {s} {v}", p.name);
                    }
                }
                ParamKind::OneOf(words) => {
                    out_of_bounds.push(format!("{}=nonsense", p.name));
                    let (s, v) = get(format!("{path}{sep}{}=", p.name)).await;
                    assert!(s.is_success(), "{path} {}= is any: {s} {v}", p.name);
                    for w in words {
                        let (s, v) = get(format!("{path}{sep}{}={w}", p.name)).await;
                        assert!(s.as_u16() < 500 && s != StatusCode::BAD_REQUEST, "{path} {}={w}: {s} {v}", p.name);
                    }
                }
            }
        }
        for q in out_of_bounds {
            let (s, v) = get(format!("{path}{sep}{q}")).await;
            let shown: String = q.chars().take(30).collect();
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}?{shown}: {v}");
            let code = v["error"]["code"].as_str().unwrap_or_default();
            assert!(["bad_query", "unknown_parameter"].contains(&code), "{path}: {v}");
        }
        if !e.is_paged() {
            continue;
        }
        lists += 1;
        // Paged lists answer a page whatever their other parameters.
        let (s, v) = get(format!("{path}{sep}page=1&per_page=10")).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        let total = v["total"].as_i64().unwrap_or_else(|| panic!("{path} is not a page: {v}"));
        assert!(v["items"].as_array().unwrap().len() <= 10, "{path}");
        if total >= 2 {
            let (_, v) = get(format!("{path}{sep}page=2&per_page=1")).await;
            assert_eq!(v["items"].as_array().unwrap().len(), 1, "{path} ignores per_page: {v}");
        }
        for q in ["page=368934881474191034", "per_page=-5", "page=x", "page=1&page=2"] {
            let (s, v) = get(format!("{path}{sep}{q}")).await;
            assert_eq!(
                (s, v["error"]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_query")),
                "{path}?{q}"
            );
        }
        // The last page there can be is empty: its offset did not wrap around to the start.
        let last = siyu_store::Page::MAX_NUMBER;
        let (s, v) = get(format!("{path}{sep}page={last}&per_page={}", siyu_store::Page::MAX_LIMIT)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        assert_eq!(v["items"].as_array().unwrap().len(), 0, "{path} page {last}");
    }
    assert!(lists >= 13, "only {lists} paged lists walked");
    // The filters of the lists that were broken by a flattened page work too.
    for q in [
        "/jobs?page=1&status=succeeded&kind=import.dry_run",
        "/staff?page=1&role=admin",
        "/audit?page=1&from=0&to=9999999999999",
    ] {
        let (s, v) = get(q.to_owned()).await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
    }
    // The document lists every parameter with its bounds.
    let doc: serde_json::Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    let params = doc["paths"]["/api/v1/jobs"]["get"]["parameters"].as_array().unwrap();
    let page = params.iter().find(|p| p["name"] == "page").expect("page is documented");
    assert_eq!(
        (page["in"].as_str(), page["schema"]["maximum"].as_i64()),
        (Some("query"), Some(siyu_store::Page::MAX_NUMBER))
    );
}

#[tokio::test]
async fn a_caller_without_the_permission_learns_nothing_from_a_body() {
    let app = spawn_app_with(5).await;
    let cm = app.login("cm_sh01_1").await;
    let actor =
        siyu_domain::scope::Actor::Staff { id: cm.staff.id, role: cm.staff.role, org_unit_id: cm.staff.org_unit_id };
    let mut refused = 0;
    for e in siyu_web::api::endpoints().iter().filter(|e| e.method != "get") {
        // Every write names the permission it needs, so that the check runs before its body is read.
        let need = e.permission.unwrap_or_else(|| panic!("{} {} names no permission", e.method, e.path));
        if actor.can(need) {
            continue;
        }
        let url = app.url(&format!("/api/v1{}", e.path.replace("{id}", "x_1").replace("{tag}", "tag_1")));
        let req = match e.method {
            "post" => cm.client.post(url),
            "put" => cm.client.put(url),
            "delete" => cm.client.delete(url),
            other => panic!("unexpected method {other}"),
        };
        let r = req.header("x-csrf-token", &cm.csrf).json(&json!({})).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {}: {body}", e.method, e.path);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], "forbidden", "{} {}", e.method, e.path);
        assert!(
            !body.contains("field") && !body.contains('`'),
            "{} {} tells what the body needs: {body}",
            e.method,
            e.path
        );
        refused += 1;
    }
    assert!(refused >= 15, "only {refused} writes refused");
    // The one from the issue: `POST /staff` with `{}` used to list the missing fields.
    let (s, v) = cm.post_json(&app, "/api/v1/staff", json!({})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
}

/// Beside a masked ID number a full birthday would leave only a handful of candidates for the whole
/// number, so staff see the year of birth, never the day: in the API and on the page.
#[tokio::test]
async fn staff_views_show_the_year_of_birth_never_the_birthday() {
    let app = spawn_app_with(40).await;
    let all = app
        .state
        .store
        .list_customers(siyu_domain::scope::DataScope::All, &Default::default(), siyu_store::Page::first(40))
        .await
        .unwrap();
    let c = all.items.into_iter().find(|c| c.birthday.is_some()).expect("a demo customer with a birthday");
    let day = c.birthday.unwrap();
    let hq = app.login("hq01").await;
    let (s, v) = hq.get_json(&app, &format!("/api/v1/customers/{}", c.id)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["birth_year"].as_i64(), Some(i64::from(chrono::Datelike::year(&day))), "{v}");
    assert!(v.get("birthday").is_none() && !v.to_string().contains(&day.to_string()), "{v}");
    let list = hq.client.get(app.url("/api/v1/customers?per_page=40")).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains(&day.to_string()), "not in the list either");
    let page = hq.client.get(app.url(&format!("/customers/{}", c.id))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&chrono::Datelike::year(&day).to_string()), "the page shows the year");
    assert!(!page.contains("岁"), "and no age beside it, which would tell whether the birthday has passed");
    assert!(!page.contains(&day.to_string()) && !page.contains(&day.format("%Y/%m/%d").to_string()), "never the day");
}
