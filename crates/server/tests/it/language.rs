//! One language per screen: every console page, for every role, in Chinese and in English, shows no
//! words of the other language from the console's tables or the message catalogue, no untranslated
//! key and no "中文 / English" pair; every message in the catalogue renders in both languages with its
//! placeholders filled; and the JSON API answers errors in the language `Accept-Language` asks for
//! (the console's own calls, with its session, in the console's language).
//!
//! The pages come from the `.route("…", get(…))` lines of `siyu_web::console::routes`, read from its
//! source, so a new page is walked here as soon as it exists, or this test fails for want of an id to
//! fill its path with. Customer and branch names in the data are Chinese and may appear on English
//! pages: the checks look for the tables' words, not for Chinese as such.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};
use siyu_domain::lang::{Lang, Text, catalogue, has_chinese, placeholders};
use siyu_wecom::fake::{FakeConfig, FakeWecom};

use crate::common::{Session, TestApp, spawn_app_with_wecom};

/// The header row of the fixture file: the file's own words, shown on its import page as they are.
const FILE_HEADERS: &str = "客户号,姓名,手机号,网点代码,性别";

const ROLES: [&str; 5] = ["admin", "hq01", "bm_sh", "cm_sh01_1", "comp01"];

/// The GET routes of the console, from its table of pages.
fn page_routes() -> Vec<String> {
    siyu_web::console::page_paths().into_iter().map(str::to_owned).collect()
}

/// Text a person reads on a page: text between tags, and the placeholder and title attributes.
fn visible_texts(html: &str) -> Vec<String> {
    let mut s = html.to_owned();
    for tag in ["script", "style"] {
        while let Some(a) = s.find(&format!("<{tag}")) {
            let end = s[a..].find(&format!("</{tag}>")).map_or(s.len(), |b| a + b + tag.len() + 3);
            s.replace_range(a..end, " ");
        }
    }
    let unescape = |t: &str| {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
    };
    let mut out = Vec::new();
    let mut rest = s.as_str();
    while let Some(lt) = rest.find('<') {
        out.push(unescape(rest[..lt].trim()));
        let Some(gt) = rest[lt..].find('>') else { break };
        let tag = &rest[lt..lt + gt];
        for attr in ["placeholder=\"", "title=\""] {
            if let Some(i) = tag.find(attr) {
                let v = &tag[i + attr.len()..];
                out.push(unescape(v[..v.find('"').unwrap_or(v.len())].trim()));
            }
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push(unescape(rest.trim()));
    out.retain(|t| !t.is_empty());
    out
}

/// The words a page in `lang` must not show: the other language's, as whole texts (the console's
/// tables) and as the fixed parts of the catalogue's messages.
struct Foreign {
    /// Whole texts of the tables in the other language (that the page's own language does not share).
    whole: Vec<&'static str>,
    /// Fixed parts of the catalogue's messages in the other language, long enough not to be data.
    parts: Vec<String>,
    /// Every key, which a page must never show as such.
    keys: Vec<&'static str>,
    /// The bank's own data (names of staff, units, tags; a file's headers), which may be Chinese on an
    /// English page and may happen to equal a word of the tables (an administrator named 系统管理员).
    data: Vec<String>,
}

impl Foreign {
    fn of(lang: Lang, data: &[String]) -> Self {
        let words: Vec<_> = siyu_web::console::i18n::all_words().chain(catalogue()).collect();
        let own: Vec<&str> = words.iter().map(|(_, zh, en)| lang.pick(zh, en)).collect();
        let other = |(_, zh, en): &&(&'static str, &'static str, &'static str)| match lang {
            Lang::Zh => *en,
            Lang::En => *zh,
        };
        let whole = words
            .iter()
            // The language switch names the other language on purpose.
            .filter(|w| w.0 != "nav.lang")
            .map(other)
            .filter(|t| !own.contains(t) && placeholders(t).is_empty())
            .filter(|t| match lang {
                Lang::En => has_chinese(t),
                // A short English word (a code, "C3", "API") may be the same in Chinese text.
                Lang::Zh => t.chars().filter(char::is_ascii_alphabetic).count() > 3,
            })
            .collect();
        let mut parts = Vec::new();
        for w in catalogue() {
            let text = other(&w);
            let mut fixed = text.to_owned();
            for p in placeholders(text) {
                fixed = fixed.replace(&format!("{{{p}}}"), "\u{0}");
            }
            for piece in fixed.split('\u{0}').map(str::trim) {
                let long = match lang {
                    Lang::En => piece.chars().filter(|c| has_chinese(&c.to_string())).count() >= 4,
                    Lang::Zh => piece.chars().filter(char::is_ascii_alphabetic).count() >= 12,
                };
                if long && !own.iter().any(|o| o.contains(piece)) {
                    parts.push(piece.to_owned());
                }
            }
        }
        let keys = words.iter().map(|w| w.0).collect();
        Self { whole, parts, keys, data: data.to_vec() }
    }

    /// What is wrong with one page's texts, if anything.
    fn problems(&self, texts: &[String], lang: Lang) -> Vec<String> {
        let mut out = Vec::new();
        // Expression words (`aum_tier`) are what an operator types, so they are shown as written.
        let typed: Vec<&str> = siyu_domain::audience::Attr::ALL.iter().map(|a| a.name()).collect();
        let raw_codes: Vec<String> = siyu_domain::audit::AuditAction::ALL
            .iter()
            .map(|a| a.as_str().to_owned())
            .chain(siyu_app::jobs::Registry::standard().kinds().map(str::to_owned))
            .chain(siyu_domain::import::Field::all().map(|f| f.name().to_owned()).filter(|n| n.contains('_')))
            .filter(|c| !typed.contains(&c.as_str()))
            .collect();
        for t in texts.iter().filter(|t| !self.data.contains(t)) {
            if self.whole.contains(&t.as_str()) {
                out.push(format!("words of the other language: {t:?}"));
            }
            if let Some(p) = self.parts.iter().find(|p| t.contains(p.as_str())) {
                out.push(format!("a message of the other language ({p:?}): {t:?}"));
            }
            if t == "?" || t.starts_with('?') && t[1..].contains('.') && !t.contains(' ') {
                out.push(format!("a missing translation: {t:?}"));
            }
            if self.keys.contains(&t.as_str()) && t.contains('.') {
                out.push(format!("a key shown as it is: {t:?}"));
            }
            if raw_codes.contains(t) {
                out.push(format!("a raw code where words belong: {t:?}"));
            }
            // "中文 / English": Chinese just before the separator, English just after (not "and / or").
            if let Some((left, right)) = t.split_once(" / ")
                && left.chars().last().is_some_and(|c| has_chinese(&c.to_string()))
                && right.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            {
                out.push(format!("two languages in one text: {t:?}"));
            }
            if let Some(id) = id_of_named_thing(t) {
                out.push(format!("an id where a name belongs ({id}): {t:?}"));
            }
            if lang == Lang::En && t.contains('{') && t.contains('}') && !t.contains('"') {
                out.push(format!("a placeholder left unfilled: {t:?}"));
            }
        }
        out
    }
}

/// An id of something people know by a name or number (`aud_3`, `cus_42`, `imp_7`) in a text a person
/// reads: a page names it instead (ids belong in links and form fields, which are not read).
fn id_of_named_thing(text: &str) -> Option<&str> {
    const NAMED: [&str; 9] = ["org", "stf", "cus", "chc", "tgr", "tag", "aud", "tok", "imp"];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).find(|w| {
        w.split_once('_').is_some_and(|(prefix, n)| {
            NAMED.contains(&prefix) && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
        })
    })
}

/// An API token's secret with one scope, made by the administrator.
async fn api_token(app: &TestApp, scope: &str) -> String {
    let admin = app.login("admin").await;
    let (s, created) = admin.post_json(app, "/api/v1/tokens", json!({"name": "核心系统", "scopes": [scope]})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created["secret"].as_str().unwrap().to_owned()
}

/// A session in `lang`: the switch sets the cookie, as the header's link does.
async fn session_in(app: &TestApp, user: &str, lang: Lang) -> Session {
    let s = app.login(user).await;
    let code = if lang == Lang::En { "en" } else { "zh" };
    let r = s.client.get(app.url(&format!("/lang/{code}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    s
}

/// Real ids for every `{id}` of the console's paths, by the area the path is in.
struct Ids(HashMap<&'static str, String>);

impl Ids {
    fn fill(&self, route: &str) -> String {
        if !route.contains('{') {
            return route.to_owned();
        }
        let area = route.trim_start_matches('/').split('/').next().unwrap();
        let id = self
            .0
            .get(area)
            .unwrap_or_else(|| panic!("the page {route} is not walked: add an id of its area ({area}) to language.rs"));
        route.replace("{id}", id)
    }
}

async fn fixtures(app: &TestApp, fake: &FakeWecom) -> Ids {
    let hq = app.login("hq01").await;
    let admin = app.login("admin").await;
    let mut ids = HashMap::new();
    let customer = app.customer_of("cm_sh01_1").await;
    ids.insert("customers", customer.id.to_string());
    let now = app.state.clock.now();
    let group = app.state.store.create_tag_group("兴趣", now).await.unwrap();
    let new_tag = siyu_store::NewTag {
        group_id: group.id,
        name: "高意向".into(),
        kind: siyu_domain::tag::TagKind::Manual,
        sync_to_wecom: false,
        rule_text: None,
    };
    let tag = app.state.store.create_tag(&new_tag, now).await.unwrap();
    ids.insert("tags", tag.id.to_string());
    // Put on a customer by hand, so the customer's timeline names where the tag came from.
    let r = admin
        .client
        .post(app.url(&format!("/customers/{}/tags", customer.id)))
        .form(&[("csrf", admin.csrf.as_str()), ("tag_id", tag.id.to_string().as_str()), ("action", "add")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "tagged by hand");
    let (s, aud) = hq.post_json(app, "/api/v1/audiences", json!({"name": "高净值", "expr": "aum_tier >= 3"})).await;
    assert_eq!(s, StatusCode::CREATED, "{aud}");
    ids.insert("audiences", aud["id"].as_str().unwrap().to_owned());
    // An import with one good and two rejected rows, so its page lists problems.
    let file = format!(
        "{FILE_HEADERS}\nL001,王芳,13800138000,SH01,女\nL002,李四,12345,SH01,女\nL003,张三,13800138001,XX99,X\n"
    );
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file.into_bytes()).file_name("rows.csv"));
    let r = hq.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &hq.csrf).multipart(form).send().await;
    let import: Value = r.unwrap().json().await.unwrap();
    let import = import["id"].as_str().unwrap().to_owned();
    app.import_after_jobs(&hq, &import, "validating").await;
    ids.insert("imports", import);
    let sh01 = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "SH01").unwrap();
    ids.insert("org", sh01.id.to_string());
    ids.insert("staff", app.staff("cm_sh01_1").await.id.to_string());
    let body = json!({
        "name": "陆家嘴支行海报",
        "kind": "branch_poster",
        "assignment": { "mode": "round_robin", "sub_branch_id": sh01.id },
    });
    let (s, code) = hq.post_json(app, "/api/v1/channels", body).await;
    assert_eq!(s, StatusCode::CREATED, "{code}");
    ids.insert("channels", code["id"].as_str().unwrap().to_owned());
    // One scan, so the code has a figure and a customer a WeCom relationship.
    fake.customer_scans(code["config_id"].as_str().unwrap(), "王芳").await.unwrap();
    app.run_jobs().await;
    // A job that fails for good, so the jobs page shows a last error (a callback that does not read).
    let broken = siyu_domain::job::NewJob::now("wecom.callback", "<xml>not a callback".into(), app.state.clock.now());
    app.state.store.enqueue(&broken).await.unwrap().unwrap();
    app.run_jobs().await;
    // A hand-over, for its page: another of cm_sh01_1's customers (not the one walked) to a colleague.
    let (leaver, successor) = (app.staff("cm_sh01_1").await, app.staff("cm_sh01_2").await);
    let mine = siyu_store::CustomerFilter { owner_id: Some(leaver.id), ..Default::default() };
    let scope = siyu_domain::scope::DataScope::All;
    let page = app.state.store.list_customers(scope, &mine, siyu_store::Page::first(2)).await.unwrap();
    let other = page.items.into_iter().find(|c| c.id != customer.id).expect("a second customer");
    let (from, to) = (leaver.id.to_string(), successor.id.to_string());
    let pick = format!("to_{}", other.id);
    let fields = [("csrf", admin.csrf.as_str()), ("from", &from), ("mode", "onjob"), ("bulk", &to), (&pick, "bulk")];
    let r = admin.client.post(app.url("/handovers")).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the hand-over starts");
    let at = r.headers()["location"].to_str().unwrap().trim_start_matches("/handovers/");
    ids.insert("handovers", at.split('?').next().unwrap().to_owned());
    // A product catalogue, for the products page: Chinese names, a graded fund and an ungraded loan.
    let products =
        "产品代码,产品名称,产品类型,风险等级,发行机构\nF300,沪深300指数基金,基金,R4,华夏基金\nLN1,消费贷,贷款,,本行\n";
    crate::products::import_catalogue(app, &hq, products).await;
    // A content item with a finding, for its editor page (the version pages take a version id and
    // are walked as not found with the item's).
    let item = json!({"kind": "text", "category": "finance_tips", "draft": {"title": "周末理财小课堂", "body": "欢迎参加，稳赚不赔"}});
    let (s, item) = hq.post_json(app, "/api/v1/content/items", item).await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    ids.insert("content", item["item_id"].as_str().unwrap().to_owned());
    Ids(ids)
}

/// The names in the bank's data, and the fixture file's headers.
async fn bank_data(app: &TestApp) -> Vec<String> {
    let s = &app.state.store;
    let mut out: Vec<String> = FILE_HEADERS.split(',').map(str::to_owned).collect();
    let staff = s.list_staff(&Default::default(), siyu_store::Page::first(siyu_store::Page::MAX_LIMIT)).await.unwrap();
    out.extend(staff.items.into_iter().map(|x| x.display_name));
    out.extend(s.org_units().await.unwrap().into_iter().map(|u| u.name));
    out.extend(s.tags().await.unwrap().into_iter().flat_map(|t| [t.name, t.group_name]));
    let products = s.products(&Default::default(), siyu_store::Page::first(100)).await.unwrap();
    out.extend(products.items.into_iter().flat_map(|p| [p.product.name, p.product.issuer]));
    out
}

/// Every console page, for every role, in both languages: one language on each.
#[tokio::test]
async fn every_page_shows_one_language_for_every_role() {
    let fake = FakeWecom::new(FakeConfig::default());
    for u in ["wx_cm_sh01_1", "wx_cm_sh01_2"] {
        fake.add_staff(u);
    }
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(200, &fake, &base).await;
    let ids = fixtures(&app, &fake).await;
    // Skipped: the stylesheet and script, and the language switch itself (a redirect).
    let skip = ["/static/app.css", "/static/app.js", "/lang/{lang}"];
    let routes: Vec<String> = page_routes().into_iter().filter(|r| !skip.contains(&r.as_str())).collect();
    let data = bank_data(&app).await;
    let mut problems = Vec::new();
    let mut pages = 0;
    for lang in Lang::ALL {
        let foreign = Foreign::of(lang, &data);
        for user in ROLES {
            let s = session_in(&app, user, lang).await;
            for route in &routes {
                let path = ids.fill(route);
                let r = s.client.get(app.url(&path)).send().await.unwrap();
                let status = r.status();
                assert!(!status.is_server_error(), "{user} {lang:?} GET {path}: {status}");
                let is_html = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|c| c.starts_with("text/html"));
                let body = r.text().await.unwrap();
                if !is_html {
                    continue;
                }
                pages += 1;
                if user == "admin" && path == "/jobs" {
                    // The failed job's last error is the bank's words in the page's language.
                    let told = Text::new("job.bad_callback").render(lang);
                    assert!(visible_texts(&body).contains(&told), "{lang:?} /jobs shows {told:?}: {body}");
                    let (_, jobs) = s.get_json(&app, "/api/v1/jobs?status=failed").await;
                    assert_eq!(jobs["items"][0]["last_error"], told.as_str(), "{lang:?} the API's job list: {jobs}");
                }
                for p in foreign.problems(&visible_texts(&body), lang) {
                    problems.push(format!("{user} {lang:?} {path}: {p}"));
                }
            }
        }
        // Signed out: the sign-in page.
        let c = crate::common::client();
        let code = if lang == Lang::En { "en" } else { "zh" };
        c.get(app.url(&format!("/lang/{code}"))).send().await.unwrap();
        let body = c.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        for p in foreign.problems(&visible_texts(&body), lang) {
            problems.push(format!("signed out {lang:?} /login: {p}"));
        }
    }
    assert!(pages > routes.len() * ROLES.len(), "the pages were walked: {pages}");
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// The import page, its problems and its rejected-rows file speak the viewer's language.
#[tokio::test]
async fn import_problems_read_in_the_viewers_language() {
    let fake = FakeWecom::new(FakeConfig::default());
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    let hq = app.login("hq01").await;
    let file = "客户号,姓名,手机号,网点代码\nL002,李四,12345,SH01\n".to_owned();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file.into_bytes()).file_name("rows.csv"));
    let r = hq.client.post(app.url("/api/v1/imports")).header("x-csrf-token", &hq.csrf).multipart(form).send().await;
    let id = r.unwrap().json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    app.import_after_jobs(&hq, &id, "validating").await;
    let secret = api_token(&app, "customers:import").await;
    for (lang, said, unsaid, head) in [
        (Lang::Zh, "不是有效的手机号", "Not a mainland mobile number", "行号,"),
        (Lang::En, "Not a mainland mobile number", "不是有效的手机号", "Row,"),
    ] {
        let s = session_in(&app, "hq01", lang).await;
        let page = s.client.get(app.url(&format!("/imports/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(said) && !page.contains(unsaid), "{lang:?}: {page}");
        let csv = s.client.get(app.url(&format!("/imports/{id}/rejected.csv"))).send().await.unwrap();
        let csv = csv.text().await.unwrap();
        let csv = csv.trim_start_matches('\u{feff}');
        assert!(csv.starts_with(head) && csv.contains(said) && !csv.contains(unsaid), "{lang:?}: {csv}");
        // An API client takes its language from Accept-Language; the console's own calls from its cookie.
        let tag = if lang == Lang::En { "en-GB,en;q=0.9" } else { "zh-CN" };
        let v: Value = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/imports/{id}/problems")))
            .bearer_auth(&secret)
            .header("accept-language", tag)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let message = v["items"][0]["message"].as_str().unwrap();
        assert_eq!(v["items"][0]["code"], "bad_phone", "the stable code is kept");
        assert!(message.contains(said), "{lang:?}: {v}");
        let v: Value = s
            .client
            .get(app.url(&format!("/api/v1/imports/{id}/problems")))
            .header("accept-language", if lang == Lang::En { "zh-CN" } else { "en" })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(v["items"][0]["message"].as_str().unwrap().contains(said), "the console's call, {lang:?}: {v}");
    }
}

/// API errors keep their stable code and speak the language `Accept-Language` asks for (Chinese when
/// it asks for none); a form's error in the console speaks the cookie's.
#[tokio::test]
async fn errors_speak_the_language_asked_for_and_keep_their_codes() {
    let fake = FakeWecom::new(FakeConfig::default());
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    let secret = api_token(&app, "customers:read").await;
    let bank = reqwest::Client::new();
    let ask = |accept: Option<&'static str>| {
        let mut r = bank.get(app.url("/api/v1/customers?bogus=1")).bearer_auth(&secret);
        if let Some(a) = accept {
            r = r.header("accept-language", a);
        }
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    for (accept, message) in [
        (None, "未知参数 bogus"),
        (Some("zh-CN,zh;q=0.9,en;q=0.8"), "未知参数 bogus"),
        (Some("en-US,en;q=0.9"), "Unknown parameter bogus"),
        (Some("fr, en;q=0.5"), "Unknown parameter bogus"),
    ] {
        let v = ask(accept).await;
        assert_eq!(v["error"]["code"], "unknown_parameter", "{accept:?}: {v}");
        assert_eq!(v["error"]["message"], message, "{accept:?}: {v}");
    }
    // The console's own call with a bad expression: positioned, in the console's English, its code
    // as before, whatever the browser's Accept-Language.
    let en = session_in(&app, "hq01", Lang::En).await;
    let r = en
        .client
        .post(app.url("/api/v1/audiences"))
        .header("x-csrf-token", &en.csrf)
        .header("accept-language", "zh-CN")
        .json(&json!({"name": "x", "expr": "age >= "}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_expression", "{v}");
    assert_eq!(v["error"]["position"], 7, "{v}");
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.starts_with("At character 8: ") && !has_chinese(m), "{v}");
    // Not allowed: a token without the permission is refused, in each language.
    for (accept, chinese) in [("en", false), ("zh", true)] {
        let r = bank
            .get(app.url("/api/v1/audit"))
            .bearer_auth(&secret)
            .header("accept-language", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "forbidden");
        assert_eq!(has_chinese(v["error"]["message"].as_str().unwrap()), chinese, "{v}");
    }
    // A console form's error, in the cookie's language.
    for lang in Lang::ALL {
        let s = session_in(&app, "hq01", lang).await;
        let r = s
            .client
            .post(app.url("/audiences"))
            .form(&[("csrf", s.csrf.as_str()), ("name", "x"), ("expr", "age >= ")])
            .send()
            .await
            .unwrap();
        let page = r.text().await.unwrap();
        let want = Text::new("expr.at").arg("at", 8).render(lang);
        let want = want.trim_end_matches("{message}");
        assert!(page.contains(want), "{lang:?}: {want:?} in {page}");
    }
}

/// Every message in the catalogue renders in both languages with its placeholders filled, and every
/// key the code names is in the catalogue.
#[test]
fn every_message_renders_in_both_languages_and_every_key_used_exists() {
    for (key, _, _) in catalogue() {
        let mut t = Text::new(key);
        for p in placeholders(siyu_domain::lang::words(key, Lang::Zh).unwrap()) {
            t = t.arg(p, "42");
        }
        for lang in Lang::ALL {
            let s = t.render(lang);
            assert!(!s.trim().is_empty() && !s.contains('{') && !s.starts_with('?'), "{key} in {lang:?}: {s}");
            assert_eq!(has_chinese(&s), lang == Lang::Zh, "{key} in {lang:?} is in the other language: {s}");
        }
    }
    // `Text::new("…")` with a literal key anywhere in the sources names a catalogue entry.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut files = Vec::new();
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    for krate in ["domain", "content", "app", "web", "server"] {
        walk(&std::path::Path::new(root).join(krate).join("src"), &mut files);
    }
    let mut used = 0;
    // The catalogue's own test names a key that is not there, on purpose.
    files.retain(|f| !f.ends_with("lang/tests.rs"));
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for part in src.split("Text::new(\"").skip(1) {
            let key = &part[..part.find('"').unwrap()];
            used += 1;
            assert!(
                siyu_domain::lang::words(key, Lang::Zh).is_some(),
                "{}: Text::new(\"{key}\") names no catalogue entry",
                f.display()
            );
        }
    }
    assert!(used > 100, "the sources were read: {used} keys");
}
