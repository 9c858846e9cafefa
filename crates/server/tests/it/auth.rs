//! Sign-in, sessions, CSRF, throttling, API tokens, and the audit entries they leave.

use crate::common::{PASSWORD, client};
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

async fn spawn_app_small() -> crate::common::TestApp {
    crate::common::spawn_app_with(10).await
}

/// Posts the sign-in form as `c` with the given form token.
async fn sign_in(
    app: &crate::common::TestApp,
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

/// The throttle counts an attempt before its password is checked: fifty wrong passwords for one name
/// sent at once are not fifty guesses. At most `login_max_failures` of them reach a password check (each
/// leaves a `login_failed` entry); the rest are refused as too many attempts.
#[tokio::test]
async fn concurrent_wrong_passwords_get_no_more_guesses_than_the_limit() {
    let app = spawn_app_small().await;
    let c = client();
    let token = app.login_token(&c).await;
    let limit = app.state.config.security.login_max_failures as usize;
    let attempts = (0..50).map(|i| {
        let (c, token, url) = (c.clone(), token.clone(), app.url("/login"));
        async move {
            let pw = format!("wrong password {i}");
            let form = [("username", "hq01"), ("password", pw.as_str()), ("csrf", token.as_str())];
            c.post(url).form(&form).send().await.unwrap().status()
        }
    });
    let statuses: Vec<StatusCode> = futures_join_all(attempts).await;
    let wrong = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(wrong + refused, 50, "{statuses:?}");
    assert!(wrong <= limit, "{wrong} passwords were checked, the limit is {limit}");
    let audited = app
        .state
        .store
        .search_audit(
            &siyu_store::AuditFilter {
                action: Some(siyu_domain::audit::AuditAction::LoginFailed),
                ..Default::default()
            },
            siyu_store::Page::first(100),
        )
        .await
        .unwrap();
    assert!(audited.total as usize <= limit, "{} failures were verified and audited", audited.total);
    assert!(app.state.passwords.verifications() as usize <= limit, "password checks run");
}

/// Runs the futures concurrently on the test's runtime and collects their outputs in order.
async fn futures_join_all<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(
    fs: impl IntoIterator<Item = F>,
) -> Vec<T> {
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// A login name longer than any staff name can be, or a password longer than any that can be set, is
/// refused as a wrong sign-in before any hashing, and the name is neither kept by the throttle nor
/// written to the audit log.
#[tokio::test]
async fn over_long_login_fields_are_refused_and_never_kept() {
    let app = spawn_app_small().await;
    let c = client();
    let token = app.login_token(&c).await;
    // Within the route's 64 KiB body limit (past it the answer is 413 before any of this).
    let long_name = "a".repeat(10_000);
    let r = sign_in(&app, &c, &long_name, "wrong password 1", &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let long_password = "p1".repeat(600);
    let r = sign_in(&app, &c, "hq01", &long_password, &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.state.passwords.verifications(), 0, "neither was hashed");
    assert!(!app.state.throttle.tracks(&long_name), "the throttle keeps no over-long name");
    let all = app.state.store.search_audit(&siyu_store::AuditFilter::default(), siyu_store::Page::first(100)).await;
    assert!(all.unwrap().items.iter().all(|e| e.actor.len() <= 64), "no over-long name in the audit log");
    // The right password still works: neither attempt counted against the name.
    let r = sign_in(&app, &c, "hq01", PASSWORD, &token).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Cookies carry `Secure` when the request came over HTTPS — here through a TLS-terminating proxy's
/// `X-Forwarded-Proto` — and only then: every cookie siyu sets goes through one place.
#[tokio::test]
async fn cookies_are_secure_when_the_request_came_over_https() {
    let app = spawn_app_small().await;
    let cookies_of = |r: &reqwest::Response| -> Vec<String> {
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    };
    let c = client();
    let plain = c.get(app.url("/login")).send().await.unwrap();
    let set = cookies_of(&plain);
    assert!(!set.is_empty() && set.iter().all(|v| !v.contains("Secure")), "{set:?}");

    let c = client();
    let https = |rb: reqwest::RequestBuilder| rb.header("x-forwarded-proto", "https");
    let page = https(c.get(app.url("/login"))).send().await.unwrap();
    let set = cookies_of(&page);
    assert!(set.iter().any(|v| v.starts_with("siyu_login_csrf=")), "{set:?}");
    assert!(set.iter().all(|v| v.contains("; Secure")), "sign-in form cookie: {set:?}");
    let html = page.text().await.unwrap();
    let field = r#"name="csrf" value=""#;
    let start = html.find(field).unwrap() + field.len();
    let token = html[start..].split('"').next().unwrap().to_owned();
    let form = [("username", "admin"), ("password", PASSWORD), ("csrf", token.as_str())];
    // reqwest's cookie store does not send a Secure cookie over http, so the form cookie goes by hand.
    let r = https(client().post(app.url("/login")))
        .header("cookie", format!("siyu_login_csrf={token}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = cookies_of(&r);
    assert!(set.iter().any(|v| v.starts_with("siyu_session=") && v.contains("; Secure")), "session: {set:?}");
    let r = https(client().get(app.url("/lang/en"))).send().await.unwrap();
    let set = cookies_of(&r);
    assert!(!set.is_empty() && set.iter().all(|v| v.contains("; Secure")), "language: {set:?}");
    let r = client().get(app.url("/lang/en")).send().await.unwrap();
    assert!(cookies_of(&r).iter().all(|v| !v.contains("Secure")), "plain http keeps working");
}

/// Answers for a signed-in caller — a clear phone number, a new token's secret, any API answer — are
/// never kept by a browser's or a proxy's cache.
#[tokio::test]
async fn signed_in_answers_are_not_cached() {
    let app = spawn_app_small().await;
    let admin = app.login("admin").await;
    let no_store = |r: &reqwest::Response| {
        r.headers().get("cache-control").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("no-store"))
    };
    let f = siyu_store::CustomerFilter::default();
    let all = app.state.store.list_customers(siyu_domain::scope::DataScope::All, &f, siyu_store::Page::first(1));
    let c = all.await.unwrap().items.remove(0);
    let r = admin
        .client
        .post(app.url(&format!("/api/v1/customers/{}/reveal", c.id)))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"field": "phone", "reason": "回访核实"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(no_store(&r), "API reveal");
    let r = admin
        .client
        .post(app.url(&format!("/customers/{}/reveal", c.id)))
        .form(&[("csrf", admin.csrf.as_str()), ("field", "phone"), ("reason", "回访核实")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(no_store(&r), "console reveal page");
    let r = admin
        .client
        .post(app.url("/tokens"))
        .form(&[("csrf", admin.csrf.as_str()), ("name", "核心"), ("scope", "customers:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(no_store(&r), "the page showing a new token's secret");
    let r = admin.client.post(app.url("/api/v1/tokens")).header("x-csrf-token", &admin.csrf);
    let r = r.json(&json!({"name": "核心2", "scopes": ["customers:read"]})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(no_store(&r), "the API's new token");
    for path in ["/api/v1/me", "/customers", "/api/v1/customers", "/api/v1/no-such-thing"] {
        let r = admin.client.get(app.url(path)).send().await.unwrap();
        assert!(no_store(&r), "{path}");
    }
}

/// After sign-in the browser goes back only to a path of this site: nothing that a browser, a proxy
/// or a second decoding turns into another host.
#[tokio::test]
async fn sign_in_goes_back_only_to_a_path_of_this_site() {
    let app = spawn_app_small().await;
    for (next, expected) in [
        ("/%09/evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("//evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example", "/"),
        ("/customers?q=%E5%BC%A0", "/customers?q=%E5%BC%A0"),
    ] {
        let c = client();
        let token = app.login_token(&c).await;
        let form = [("username", "admin"), ("password", PASSWORD), ("csrf", token.as_str()), ("next", next)];
        let r = c.post(app.url("/login")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers().get("location").unwrap(), expected, "{next:?}");
    }
}
