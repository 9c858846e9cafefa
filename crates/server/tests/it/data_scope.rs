//! One customer manager cannot read another's customer through any endpoint that reads customers; a
//! branch manager sees only their unit's customers; a compliance reviewer sees none.
//!
//! The walk takes its endpoints from the table's `Reads::Customers` mark (which a unit test of
//! `siyu-web` checks against every answer that can hold a customer), so a new endpoint that reads
//! customers is walked, or this test fails for want of a way to call it.

use std::collections::{HashMap, HashSet};

use crate::common::{Session, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siyu_domain::customer::Customer;
use siyu_domain::org::{OrgUnit, Staff};
use siyu_domain::scope::{Actor, DataScope};
use siyu_domain::{CustomerId, OrgUnitId};
use siyu_web::api::{Endpoint, Reads};

/// What the walk needs besides the demo bank: a tag to put on and take off, an audience of every
/// customer, an import whose rejected rows name a real customer, and a channel code every customer
/// added their manager through.
struct Fixtures {
    tag: String,
    audience: String,
    import: String,
    /// A hand-over of one customer (`hov_…`).
    handover: String,
    channel: String,
}

/// Every customer of the bank, and who may see which, worked out here from owners and the organisation
/// tree, not by the code under test.
struct Bank {
    all: Vec<Customer>,
    by_number: HashMap<String, CustomerId>,
    units: Vec<OrgUnit>,
}

impl Bank {
    async fn load(app: &TestApp) -> Self {
        let mut all = Vec::new();
        for n in 1.. {
            let page = siyu_store::Page::numbered(n, siyu_store::Page::MAX_LIMIT);
            let p = app.state.store.list_customers(DataScope::All, &Default::default(), page).await.unwrap();
            let done = p.items.len() < siyu_store::Page::MAX_LIMIT as usize;
            all.extend(p.items);
            if done {
                break;
            }
        }
        let by_number = all.iter().map(|c| (c.customer_no.clone(), c.id)).collect();
        Self { all, by_number, units: app.state.store.org_units().await.unwrap() }
    }

    /// The units at and below `top`.
    fn subtree(&self, top: OrgUnitId) -> HashSet<OrgUnitId> {
        let mut inside = HashSet::from([top]);
        loop {
            let more: Vec<OrgUnitId> = self
                .units
                .iter()
                .filter(|u| u.parent_id.is_some_and(|p| inside.contains(&p)) && !inside.contains(&u.id))
                .map(|u| u.id)
                .collect();
            if more.is_empty() {
                return inside;
            }
            inside.extend(more);
        }
    }

    fn scope_of(&self, staff: &Staff) -> HashSet<CustomerId> {
        let actor = Actor::Staff { id: staff.id, role: staff.role, org_unit_id: staff.org_unit_id };
        let visible: Box<dyn Fn(&Customer) -> bool> = match actor.data_scope() {
            DataScope::All => Box::new(|_| true),
            DataScope::OwnedBy(me) => Box::new(move |c| c.owner_id == Some(me)),
            DataScope::Subtree(top) => {
                let units = self.subtree(top);
                Box::new(move |c| units.contains(&c.sub_branch_id))
            }
        };
        self.all.iter().filter(|c| visible(c)).map(|c| c.id).collect()
    }

    /// The customers an answer names: every customer id in a JSON answer, every known customer number
    /// in a CSV or XLSX file's cells.
    fn named_in(&self, content_type: &str, body: &[u8]) -> Vec<CustomerId> {
        let cells: Vec<String> = if content_type.starts_with("application/json") {
            let mut out = Vec::new();
            strings(&serde_json::from_slice(body).unwrap(), &mut out);
            out
        } else if content_type.starts_with("text/csv") {
            let text = std::str::from_utf8(body).unwrap().trim_start_matches('\u{feff}');
            let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            r.records().flat_map(|row| row.unwrap().iter().map(str::to_owned).collect::<Vec<_>>()).collect()
        } else if content_type.starts_with("application/vnd.openxmlformats") {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
            let sheet = book.worksheet_range_at(0).unwrap().unwrap();
            sheet.rows().flat_map(|row| row.iter().map(|c| c.to_string()).collect::<Vec<_>>()).collect()
        } else {
            panic!("an answer of {content_type}");
        };
        cells
            .iter()
            .filter_map(|c| c.parse::<CustomerId>().ok().or_else(|| self.by_number.get(c.as_str()).copied()))
            .collect()
    }
}

/// Every string in a JSON value.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// How the walk calls one endpoint aimed at `target`: its requests (method, path under `/api/v1`,
/// body), and whether they name the customer (so that one outside the scope must be refused). An
/// endpoint of the table with no way to call it here fails the test: add one.
fn calls(e: &Endpoint, fx: &Fixtures, target: &Customer) -> (bool, Vec<(Method, String, Option<Value>)>) {
    let get = |path: String| (Method::GET, path, None);
    let id = target.id;
    let reveal = json!({"field": "phone", "reason": "核实客户身份"});
    match (e.method, e.path.as_str()) {
        ("get", "/customers") => (
            false,
            vec![
                get("/customers?per_page=500".into()),
                get(format!("/customers?per_page=500&q={}", target.customer_no)),
                get(format!("/customers?per_page=500&sub_branch={}", target.sub_branch_id)),
                get(format!(
                    "/customers?per_page=500&owner={}",
                    target.owner_id.map(|o| o.to_string()).unwrap_or_default()
                )),
            ],
        ),
        ("get", "/customers/{id}") => (true, vec![get(format!("/customers/{id}"))]),
        ("get", "/customers/by-number/{no}") => {
            (true, vec![get(format!("/customers/by-number/{}", target.customer_no))])
        }
        ("post", "/customers/{id}/reveal") => {
            (true, vec![(Method::POST, format!("/customers/{id}/reveal"), Some(reveal))])
        }
        ("get", "/customers/{id}/tags") => (true, vec![get(format!("/customers/{id}/tags"))]),
        ("post", "/customers/{id}/tags") => {
            (true, vec![(Method::POST, format!("/customers/{id}/tags"), Some(json!({"tag_id": fx.tag})))])
        }
        ("delete", "/customers/{id}/tags/{tag}") => {
            (true, vec![(Method::DELETE, format!("/customers/{id}/tags/{}", fx.tag), None)])
        }
        ("get", "/customers/{id}/timeline") => (true, vec![get(format!("/customers/{id}/timeline"))]),
        ("get", "/audiences/preview") => (false, vec![get("/audiences/preview?expr=aum_tier%20%3E%3D%201".into())]),
        ("get", "/audiences/{id}/members") => {
            (false, vec![get(format!("/audiences/{}/members?per_page=500", fx.audience))])
        }
        ("get", "/audiences/{id}/export") => (
            false,
            ["csv", "xlsx"].iter().map(|f| get(format!("/audiences/{}/export?format={f}", fx.audience))).collect(),
        ),
        ("get", "/imports/{id}/rejected.csv") => (false, vec![get(format!("/imports/{}/rejected.csv", fx.import))]),
        ("get", "/handovers/{id}") => (false, vec![get(format!("/handovers/{}", fx.handover))]),
        ("post", "/handovers") => {
            let owner = target.owner_id.map(|o| o.to_string()).unwrap_or_default();
            let body =
                json!({"from": owner, "resigned": false, "items": [{"customer_id": id.to_string(), "to": owner}]});
            (true, vec![(Method::POST, "/handovers".into(), Some(body))])
        }
        ("get", "/channels/{id}/customers") => {
            (false, vec![get(format!("/channels/{}/customers?per_page=500", fx.channel))])
        }
        ("post", "/content/links") => {
            let body = json!({"version_id": "cvr_1", "customer_id": id.to_string()});
            (true, vec![(Method::POST, "/content/links".into(), Some(body))])
        }
        (method, path) => panic!("{method} {path} reads customers and this walk has no way to call it: add one"),
    }
}

/// Calls every endpoint that reads customers as `who`, aimed at a customer inside their scope and at
/// one outside it: a refusal is 403 (no permission) or 404 (not in scope), no answer names a customer
/// outside the scope, and every list or file asked for around the customer inside names someone.
/// Returns how many customers the answers named. (Exports and the rejected-rows file need
/// permissions only bank-wide roles hold, so for the others the walk proves they are refused.)
async fn walk(app: &TestApp, bank: &Bank, fx: &Fixtures, who: &Session, outside: Option<&Customer>) -> usize {
    let scope = bank.scope_of(&who.staff);
    let me = &who.staff;
    let actor = Actor::Staff { id: me.id, role: me.role, org_unit_id: me.org_unit_id };
    let inside = bank.all.iter().find(|c| scope.contains(&c.id)).expect("someone in scope");
    if let Some(o) = outside {
        assert!(!scope.contains(&o.id), "{} sees {}", me.username, o.id);
    }
    let mut named = 0;
    let mut walked = 0;
    for e in siyu_web::api::endpoints().iter().filter(|e| e.reads == Reads::Customers) {
        walked += 1;
        for target in std::iter::once(inside).chain(outside) {
            let (aimed, requests) = calls(e, fx, target);
            for (method, path, body) in requests {
                let mut req = who.client.request(method.clone(), app.url(&format!("/api/v1{path}")));
                if method != Method::GET {
                    req = req.header("x-csrf-token", &who.csrf);
                }
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let r = req.send().await.unwrap();
                let status = r.status();
                let content_type =
                    r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                let bytes = r.bytes().await.unwrap();
                let at = format!("{} {method} {path}", me.username);
                let allowed = e.permission.is_none_or(|p| actor.can(p));
                let expected = if !allowed {
                    StatusCode::FORBIDDEN
                } else if aimed && target.id != inside.id {
                    StatusCode::NOT_FOUND
                } else {
                    status
                };
                assert_eq!(status, expected, "{at}: {}", String::from_utf8_lossy(&bytes));
                if !allowed || expected == StatusCode::NOT_FOUND {
                    continue;
                }
                assert!(status.is_success(), "{at}: {status} {}", String::from_utf8_lossy(&bytes));
                let shown = bank.named_in(&content_type, &bytes);
                for id in &shown {
                    assert!(scope.contains(id), "{at} shows {id}, outside the caller's scope");
                }
                named += shown.len();
                // A positive control, so an answer that shows nobody cannot pass for a scoped one: every
                // list, sample or file asked for around a customer in scope shows someone in scope, and
                // the one asked for by number is that customer.
                if !aimed && target.id == inside.id {
                    assert!(!shown.is_empty(), "{at} showed no customer at all, though one in scope matches");
                    if path.contains(&format!("q={}", inside.customer_no)) {
                        assert!(shown.contains(&inside.id), "{at} did not find {} by its number", inside.id);
                    }
                }
            }
        }
    }
    assert!(walked >= 12, "only {walked} endpoints walked");
    named
}

/// A hand-set tag (`tag_…`) for putting on and taking off customers.
async fn manual_tag(app: &TestApp) -> String {
    let now = app.state.clock.now();
    let group = app.state.store.create_tag_group("兴趣", now).await.unwrap();
    let new_tag = siyu_store::NewTag {
        group_id: group.id,
        name: "关注养老".into(),
        kind: siyu_domain::tag::TagKind::Manual,
        sync_to_wecom: false,
        rule_text: None,
    };
    app.state.store.create_tag(&new_tag, now).await.unwrap().id.to_string()
}

/// A channel code (made in the store: this app has no WeCom) that every customer with a manager on
/// WeCom added that manager through, each linked to their WeCom contact.
async fn channel_every_customer_added_through(app: &TestApp, bank: &Bank) -> String {
    let now = app.state.clock.now();
    let staff = app.state.store.all_staff(&Default::default()).await.unwrap();
    let code = siyu_store::NewChannelCode {
        name: "全行海报".into(),
        kind: siyu_domain::channel::ChannelKind::BranchPoster,
        sub_branch_id: None,
        assignment: siyu_domain::channel::Assignment::Named { staff_id: staff[0].id },
        welcome: Default::default(),
        tags: Vec::new(),
        controls: Default::default(),
        created_by: None,
        created_at: now,
    };
    let code = app.state.store.create_channel_code(&code).await.unwrap();
    let mut added = 0;
    for c in &bank.all {
        let Some(userid) = staff.iter().find(|s| Some(s.id) == c.owner_id).and_then(|s| s.wecom_userid.clone()) else {
            continue;
        };
        let external = format!("wm_{}", c.id);
        let method = siyu_domain::customer::WecomLinkMethod::Unionid;
        app.state.store.link_wecom(c.id, &external, method, now).await.unwrap();
        let change = siyu_store::RelationshipChange {
            external_userid: external,
            staff_userid: userid,
            status: siyu_store::RelationshipStatus::Active,
            state: Some(code.state()),
            event_at: now,
        };
        app.state.store.record_relationship(&change, now).await.unwrap();
        added += 1;
    }
    assert!(added > 0, "no customer's manager is on WeCom");
    code.id.to_string()
}

#[tokio::test]
async fn no_endpoint_shows_a_customer_outside_the_callers_scope() {
    let app = spawn_app().await;
    let bank = Bank::load(&app).await;
    let hq = app.login("hq01").await;
    let tag = manual_tag(&app).await;
    let (s, audience) =
        hq.post_json(&app, "/api/v1/audiences", json!({"name": "全部客户", "expr": "aum_tier >= 1"})).await;
    assert_eq!(s, StatusCode::CREATED, "{audience}");
    assert_eq!(audience["member_count"].as_u64(), Some(bank.all.len() as u64));
    // A file row naming a real customer (Hangzhou's) with a phone that cannot be: rejected.
    let hz = app.customer_of("cm_hz01_1").await;
    let file = format!("客户号,姓名,手机号,网点代码\n{},{},12345,HZ01\n", hz.customer_no, hz.name);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file.into_bytes()).file_name("rows.csv"));
    let r = hq.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &hq.csrf).multipart(form).send().await;
    let import: Value = r.unwrap().json().await.unwrap();
    let import = import["id"].as_str().unwrap().to_owned();
    let done = app.import_after_jobs(&hq, &import, "validating").await;
    assert_eq!(done["bad_rows"], 1, "{done}");
    let handed = app.customer_of("cm_sh01_1").await;
    let successor = app.staff("cm_sh01_2").await;
    let new = siyu_store::NewHandover {
        from_staff_id: handed.owner_id.unwrap(),
        resigned: false,
        created_by: None,
        items: vec![siyu_store::NewHandoverItem {
            customer_id: handed.id,
            to_staff_id: successor.id,
            external_userid: None,
        }],
    };
    let handover = app.state.store.create_handover(&new, app.state.clock.now()).await.unwrap().to_string();
    let channel = channel_every_customer_added_through(&app, &bank).await;
    let fx = Fixtures { tag, audience: audience["id"].as_str().unwrap().to_owned(), import, handover, channel };

    // A customer manager, against a colleague's customer at the same sub-branch; a branch head, against
    // another branch's; a sub-branch head, against the next sub-branch's; head office sees everyone.
    let cases = [
        ("cm_sh01_1", Some("cm_sh01_2")),
        ("bm_sh", Some("cm_hz01_1")),
        ("bm_sh01", Some("cm_sh02_1")),
        ("hq01", None),
    ];
    for (who, theirs) in cases {
        let session = app.login(who).await;
        let outside = match theirs {
            Some(owner) => Some(app.customer_of(owner).await),
            None => None,
        };
        let named = walk(&app, &bank, &fx, &session, outside.as_ref()).await;
        assert!(named > 0, "{who}: the walk saw no customer at all");
    }
}

#[tokio::test]
async fn a_manager_cannot_read_another_managers_customer_anywhere() {
    let app = spawn_app().await;
    let me = app.login("cm_sh01_1").await;
    let mine = app.customer_of("cm_sh01_1").await;
    let theirs = app.customer_of("cm_hz01_1").await;
    let other_cm = app.staff("cm_hz01_1").await;

    let tag = manual_tag(&app).await;
    let now = app.state.clock.now();
    app.state.store.tag_customers(tag.parse().unwrap(), &[theirs.id], "manual:test", now).await.unwrap();
    let id = theirs.id.to_string();
    let no = theirs.customer_no.clone();
    // Taking the tag off through the API is refused (the walk above covers every endpoint).
    let r = me.client.delete(app.url(&format!("/api/v1/customers/{id}/tags/{tag}"))).header("x-csrf-token", &me.csrf);
    assert_eq!(r.send().await.unwrap().status(), StatusCode::NOT_FOUND);
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

/// The home page names customers (a customer manager's lists) and counts them (everyone else's
/// figures): the names are the caller's own only, and the counts are of their scope.
#[tokio::test]
async fn the_home_page_names_and_counts_only_customers_in_scope() {
    let app = spawn_app().await;
    let bank = Bank::load(&app).await;
    for who in ["cm_sh01_1", "cm_hz01_1", "bm_sh", "bm_sh01", "hq01", "comp01"] {
        let session = app.login(who).await;
        let page = session.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        let scope = bank.scope_of(&session.staff);
        let named = crate::home::customer_links(&page);
        for id in &named {
            assert!(scope.contains(id), "{who}'s home names {id}, outside their scope");
        }
        match session.staff.role {
            // Positive control: a manager's "not contacted" list names some of their customers.
            siyu_domain::org::Role::CustomerManager => assert!(!named.is_empty(), "{who}: no customer named"),
            siyu_domain::org::Role::ComplianceReviewer => assert!(named.is_empty() && !page.contains("kpi-customers")),
            _ => {
                let at = page.find("id=\"kpi-customers\"").unwrap();
                let figure: usize =
                    page[at..].split("<b>").nth(1).unwrap().split("</b>").next().unwrap().parse().unwrap();
                assert_eq!(figure, scope.len(), "{who}'s customer count is their scope's");
            }
        }
    }
}
