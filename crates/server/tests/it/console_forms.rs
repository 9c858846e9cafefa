//! Console forms check the sender's permission before they are read: staff posting a form their role
//! may not send get the console's forbidden page, never the form parser's words (its field names).
//! The routes come from `siyu_web::console::forms`, the table the router builds every POST route from, so a
//! new form is walked here as soon as it exists.

use reqwest::StatusCode;
use siyu_domain::scope::Actor;
use siyu_web::console::{Access, forms};

/// Posts an empty form (only the session's CSRF token) to every form `username` may not send and
/// checks each answer; returns how many were refused.
async fn refused_forms(app: &crate::common::TestApp, username: &str) -> usize {
    let me = app.login(username).await;
    let actor = Actor::Staff { id: me.staff.id, role: me.staff.role, org_unit_id: me.staff.org_unit_id };
    let mut refused = 0;
    for f in forms() {
        let Access::Needs(p) = f.access else { continue };
        if actor.can(p) {
            continue;
        }
        // Ids that exist (the demo has unit 1, staff 1, customer 1…) and ids that do not answer alike.
        let path = f.path.replace("{id}", "1");
        let r = me.client.post(app.url(&path)).form(&[("csrf", me.csrf.as_str())]).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{username} POST {path}: {body}");
        // The console's own forbidden page, in its frame…
        assert!(body.contains("您没有权限访问此页面"), "{username} POST {path} is not the forbidden page: {body}");
        assert!(body.contains("<nav"), "{username} POST {path} has no frame: {body}");
        // …and nothing from a parser.
        for word in ["missing field", "deserialize", "multipart", "boundary", "unknown variant", "invalid type"] {
            assert!(!body.to_lowercase().contains(word), "{username} POST {path} says {word:?}: {body}");
        }
        refused += 1;
    }
    refused
}

#[tokio::test]
async fn forms_a_customer_manager_may_not_send_are_refused_before_they_are_read() {
    let app = crate::common::spawn_app_with(20).await;
    // All but revealing, tagging their own customers, signing in and out, and changing their password.
    let refused = refused_forms(&app, "cm_sh01_1").await;
    assert_eq!(refused, forms().len() - 5, "every form a customer manager may not send was tried");
}

#[tokio::test]
async fn a_reviewer_may_send_no_form_but_sign_out() {
    let app = crate::common::spawn_app_with(20).await;
    let needs = forms().iter().filter(|f| matches!(f.access, Access::Needs(_))).count();
    assert_eq!(refused_forms(&app, "comp01").await, needs);
    // Signing out needs only a session.
    let me = app.login("comp01").await;
    let r = me.client.post(app.url("/logout")).form(&[("csrf", me.csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_form_sent_without_a_session_goes_to_sign_in() {
    let app = crate::common::spawn_app_with(20).await;
    let anon = crate::common::client();
    for f in forms().into_iter().filter(|f| f.access != Access::Public) {
        let path = f.path.replace("{id}", "1");
        let r = anon.post(app.url(&path)).form(&[("x", "1")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST {path}");
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/login?next="), "POST {path} went to {to}");
    }
}

#[tokio::test]
async fn a_customer_manager_still_reaches_the_forms_they_may_send() {
    let app = crate::common::spawn_app().await;
    let me = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    // An empty tag form reaches the handler, which answers on the customer page.
    let r = me
        .client
        .post(app.url(&format!("/customers/{}/tags", mine.id)))
        .form(&[("csrf", me.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("请选择标签"));
}
