//! Sign-in, sessions, CSRF, throttling, API tokens, and the audit entries they leave.

mod common;

use common::{PASSWORD, client};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let app = spawn_app_small().await;
    let c = client();
    let token = app.login_token(&c).await;
    let resp = sign_in(&app, &c, "admin", PASSWORD, &token).await;
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(resp.headers().get("location").unwrap(), "/");
}

/// Another site cannot sign a browser in (to the attacker's account): the sign-in form carries a token
/// that must match a cookie only the sign-in page sets. Without it the right password signs no one in,
/// and the page comes back with a fresh token.
#[tokio::test]
async fn sign_in_needs_the_sign_in_page_token() {
    let app = spawn_app_small().await;
    let c = client();
    let r = sign_in(&app, &c, "admin", PASSWORD, "").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap().starts_with("siyu_session=")));
    assert!(r.text().await.unwrap().contains("登录页面已过期"));
    // A token of the attacker's own (their cookie is not the victim's) fails the same way.
    let other = client();
    let theirs = app.login_token(&other).await;
    let r = sign_in(&app, &c, "admin", PASSWORD, &theirs).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The page's own token works.
    let mine = app.login_token(&c).await;
    let r = sign_in(&app, &c, "admin", PASSWORD, &mine).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn spawn_app_small() -> common::TestApp {
    common::spawn_app_with(10).await
}

/// Posts the sign-in form as `c` with the given form token.
async fn sign_in(
    app: &common::TestApp,
    c: &reqwest::Client,
    username: &str,
    password: &str,
    token: &str,
) -> reqwest::Response {
    let form = [("username", username), ("password", password), ("csrf", token)];
    c.post(app.url("/login")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn wrong_passwords_are_throttled_and_audited() {
    let app = spawn_app_small().await;
    let c = client();
    let token = app.login_token(&c).await;
    for _ in 0..5 {
        let r = sign_in(&app, &c, "hq01", "wrong password 1", &token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked out now, even with the right password.
    let token = app.login_token(&c).await;
    let r = sign_in(&app, &c, "hq01", PASSWORD, &token).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("分钟后再试"));
    // Unknown names fail the same way.
    let token = app.login_token(&c).await;
    let r = sign_in(&app, &c, "nobody", PASSWORD, &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let admin = app.login("admin").await;
    let v: serde_json::Value =
        admin.client.get(app.url("/api/v1/audit?action=login_failed")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["total"], 6);
    let v: serde_json::Value =
        admin.client.get(app.url("/api/v1/audit?action=login&actor=admin")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["total"], 1);
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let app = spawn_app_small().await;
    let admin = app.login("admin").await;
    let body = json!({"name": "core", "scopes": ["customers:read"]});
    let r = admin.client.post(app.url("/api/v1/tokens")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "csrf_failed");
    let r =
        admin.client.post(app.url("/api/v1/tokens")).header("x-csrf-token", "forged").json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Console forms: without the hidden field, refused; with it, accepted.
    let r = admin.client.post(app.url("/logout")).form(&[("x", "1")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .client
        .post(app.url("/api/v1/tokens"))
        .header("x-csrf-token", &admin.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = admin.client.post(app.url("/logout")).form(&[("csrf", admin.csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Signed out: the old cookie no longer works.
    assert_eq!(admin.client.get(app.url("/api/v1/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(admin.client.get(app.url("/customers")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn api_tokens_act_within_their_scopes_until_revoked() {
    let app = spawn_app_small().await;
    let admin = app.login("admin").await;
    let (_, created) =
        admin.post_json(&app, "/api/v1/tokens", json!({"name": "核心系统", "scopes": ["customers:read"]})).await;
    let secret = created["secret"].as_str().unwrap();
    let bank = reqwest::Client::new();
    let r = bank.get(app.url("/api/v1/customers")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // No CSRF for bearer calls, but no permission beyond the scope either.
    let r = bank.get(app.url("/api/v1/imports")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = bank.get(app.url("/api/v1/customers")).bearer_auth("siyu_not-a-token").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let id = created["token"]["id"].as_str().unwrap();
    let r = admin
        .client
        .post(app.url(&format!("/api/v1/tokens/{id}/revoke")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = bank.get(app.url("/api/v1/customers")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: serde_json::Value =
        admin.client.get(app.url("/api/v1/audit?action=api_token_revoked")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["total"], 1);
}

#[tokio::test]
async fn role_changes_are_audited_and_end_sessions() {
    let app = spawn_app_small().await;
    let admin = app.login("admin").await;
    let cm = app.login("cm_nj01_1").await;
    let branch = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "NJ").unwrap();
    let body = json!({"display_name": "升任经理", "role": "branch_manager", "org_unit_id": branch.id, "wecom_userid": null, "active": true});
    let r = admin
        .client
        .put(app.url(&format!("/api/v1/staff/{}", cm.staff.id)))
        .header("x-csrf-token", &admin.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(
        cm.client.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "old session ended"
    );
    let v: serde_json::Value = admin
        .client
        .get(app.url(&format!("/api/v1/audit?action=role_changed&target={}", cm.staff.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1);
    assert!(v["items"][0]["detail"].as_str().unwrap().contains("customer_manager → branch_manager"));
    // A customer manager cannot be filed at head office.
    let hq = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "HQ").unwrap();
    let bad = json!({"display_name": "x", "role": "customer_manager", "org_unit_id": hq.id, "wecom_userid": null, "active": true});
    let r = admin
        .client
        .put(app.url(&format!("/api/v1/staff/{}", cm.staff.id)))
        .header("x-csrf-token", &admin.csrf)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Only administrators manage staff.
    let hq_op = app.login("hq01").await;
    assert_eq!(hq_op.client.get(app.url("/api/v1/staff")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
