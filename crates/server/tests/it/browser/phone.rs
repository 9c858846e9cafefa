//! Every console page on a phone (390×844, as the bank's customer managers hold WeCom) in both
//! languages, then on a narrow tablet (800 px, English: the longest words) and a desktop (1440×900,
//! Chinese), for every role of the demo bank: the page is never wider than the screen, and with the
//! menu opened every navigation link is on screen, not covered by anything and (on touch screens) big
//! enough to tap. Chinese is laid out with real glyphs (`.ci/run` installs `fonts-noto-cjk`), so a
//! line that only fits in a fallback font does not pass here and break on the bank's phones.
//!
//! Pages are found as a person finds them — by following the links on the pages, starting from the
//! home page — and the test fails when a page in `siyu_web::console::page_paths()` was reached by no
//! role: a page added to the router has to be reachable, or named in [`NOT_SCREENS`] with the reason.

use std::collections::{BTreeSet, HashSet, VecDeque};

use serde_json::{Value, json};

use super::Browser;

/// The screens, each with the languages looked at on it.
const SCREENS: &[((u32, u32), &[&str])] =
    &[((390, 844), &["zh", "en"]), ((800, 1000), &["en"]), ((1440, 900), &["zh"])];

/// Paths the router serves that are not screens to look at, and why.
const NOT_SCREENS: &[(&str, &str)] = &[
    ("/lang/{lang}", "sets the language cookie and goes back; every page is visited in both languages"),
    ("/audiences/{id}/export", "a CSV download"),
    ("/imports/{id}/rejected.csv", "a CSV download"),
    ("/channels/{id}/qr.png", "an image, shown on the code's page"),
    ("/channels/{id}/poster.pdf", "a PDF to print"),
    ("/audit/export.csv", "a CSV download"),
    ("/imports/template.csv", "a file to download"),
    ("/imports/template.xlsx", "a file to download"),
    ("/products/template.csv", "a file to download"),
    ("/products/template.xlsx", "a file to download"),
    ("/products/export.csv", "a file to download"),
    ("/products/export.xlsx", "a file to download"),
];

/// The demo's people, one per role (HQ operations, a branch manager, a customer manager, compliance,
/// the administrator).
const PEOPLE: &[&str] = &["hq01", "bm_sh", "cm_sh01_1", "comp01", "admin"];

/// At most this many pages per person and language: one page per route pattern is visited, so this
/// only stops a runaway crawl.
const MAX_PAGES: usize = 80;

/// Measures the page: its width against the screen's, then opens the menu and checks that every link
/// in the header is inside the screen and is what a tap at its centre would hit; closes the menu.
/// On a touch screen (`arguments[0]`) a link must also be tall enough to tap. Returns the problems and
/// the page's same-site links (not downloads).
const CHECK: &str = r##"
const problems = [];
const doc = document.documentElement;
if (doc.scrollWidth > window.innerWidth) {
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 3)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).replace(/ /g, ".") : ""}`);
  problems.push(`the page is ${doc.scrollWidth}px wide on a ${window.innerWidth}px screen (widest: ${wide.join(", ")})`);
}
const toggle = document.querySelector("label.menu-toggle");
const state = document.getElementById("menu-open");
if (toggle && state) {
  if (!state.checked) toggle.click();
  const links = document.querySelectorAll("header.top nav a, header.top .who a, header.top .who button");
  if (links.length === 0) problems.push("the open menu shows no links");
  for (const a of links) {
    const r = a.getBoundingClientRect();
    const name = a.textContent.trim();
    if (r.width === 0 || r.height === 0 || r.left < 0 || r.top < 0 || r.right > window.innerWidth + 0.5 || r.bottom > window.innerHeight + 0.5) {
      problems.push(`the menu's link "${name}" is off screen (${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)})`);
      continue;
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(hit === a || a.contains(hit))) {
      problems.push(`the menu's link "${name}" is covered by ${hit ? hit.tagName.toLowerCase() + "." + hit.className : "nothing"}`);
    } else if (arguments[0] && r.height < 24) {
      problems.push(`the menu's link "${name}" is ${Math.round(r.height)}px high, too small to tap`);
    }
  }
  toggle.click();
} else if (document.querySelector("header.top")) {
  problems.push("the page's header has no menu button");
}
const hrefs = [...document.querySelectorAll("a[href]")]
  .filter((a) => !a.hasAttribute("download"))
  .map((a) => a.getAttribute("href"))
  .filter((h) => h.startsWith("/") && !h.startsWith("//"));
return { path: location.pathname, lang: document.documentElement.lang, problems, hrefs };
"##;

/// The router's pattern a path belongs to (`/customers/cus_12` → `/customers/{id}`), if any; literal
/// segments win over `{…}`, as in the router.
fn pattern_of<'a>(path: &str, patterns: &[&'a str]) -> Option<&'a str> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let matches = |p: &str| {
        let ps: Vec<&str> = p.trim_end_matches('/').split('/').collect();
        ps.len() == segs.len() && ps.iter().zip(&segs).all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}')))
    };
    let literal = |p: &str| p.split('/').filter(|s| !s.starts_with('{')).count();
    patterns.iter().copied().filter(|p| matches(p)).max_by_key(|p| literal(p))
}

/// Visits every page `person` can reach by links, once per route pattern; returns the patterns seen
/// and the problems found, each naming its page.
async fn crawl(
    b: &Browser,
    screen: &str,
    person: &str,
    lang: &str,
    patterns: &[&'static str],
) -> (BTreeSet<&'static str>, Vec<String>) {
    let d = &b.driver;
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    let mut queued: HashSet<&'static str> = HashSet::new();
    let mut queue = VecDeque::from([String::from("/")]);
    let skip: HashSet<&str> = NOT_SCREENS.iter().map(|(p, _)| *p).collect();
    let mut visited = 0;
    let touch = screen.parse::<u32>().is_ok_and(|w| w < 960);
    while let Some(href) = queue.pop_front() {
        if visited == MAX_PAGES {
            problems.push(format!(
                "{screen} {person} {lang}: more than {MAX_PAGES} pages; is a link generating new routes?"
            ));
            break;
        }
        visited += 1;
        d.go(&format!("{}{href}", b.base)).await;
        let v: Value = d.execute(CHECK, json!([touch])).await;
        let path = v["path"].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            v["lang"].as_str(),
            Some(if lang == "en" { "en" } else { "zh-CN" }),
            "{href} is in the chosen language"
        );
        if let Some(p) = pattern_of(&path, patterns)
            && seen.insert(p)
            && visited <= 12
        {
            let name = p.trim_matches('/').replace(['/', '{', '}'], "_");
            d.screenshot(&format!("{screen}-{person}-{lang}-{name}")).await;
        }
        // The menu button shows below 960 px; on wider screens the links are in the header itself.
        if visited == 1 && touch {
            d.click("label.menu-toggle").await;
            d.screenshot(&format!("{screen}-{person}-{lang}-menu")).await;
            d.click("label.menu-toggle").await;
        }
        for msg in v["problems"].as_array().into_iter().flatten() {
            problems.push(format!("{screen} {person} {lang} {path}: {}", msg.as_str().unwrap_or_default()));
        }
        for h in v["hrefs"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            let bare = h.split(['?', '#']).next().unwrap_or(h);
            let Some(p) = pattern_of(bare, patterns) else { continue };
            if skip.contains(p) || bare == "/logout" {
                continue;
            }
            if queued.insert(p) {
                queue.push_back(h.to_owned());
            }
        }
    }
    (seen, problems)
}

#[tokio::test]
async fn every_page_fits_phones_tablets_and_desktops_with_its_menu_on_screen() {
    let Some(b) = Browser::launch(SCREENS[0].0).await else { return };
    let patterns = siyu_web::console::page_paths();
    let d = &b.driver;

    // Signed out: the sign-in page fits too.
    d.go(&format!("{}/login", b.base)).await;
    let v = d.execute(CHECK, json!([true])).await;
    let mut problems: Vec<String> =
        v["problems"].as_array().into_iter().flatten().map(|m| format!("signed out /login: {m}")).collect();
    d.screenshot("390-login").await;
    let mut reached: BTreeSet<&str> = BTreeSet::from(["/login"]);

    // An import, so that its page exists to be looked at: HQ uploads the test file through the form.
    b.sign_in("hq01").await;
    d.go(&format!("{}/imports", b.base)).await;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/customers.xlsx");
    d.type_into("#upload-form input[type=file]", file).await;
    d.click("#upload-form button[type=submit]").await;
    d.wait_url(|u| u.contains("/imports/imp_")).await;

    // A hand-over, so that its page exists: the administrator hands one customer of the last manager
    // listed (not the customer manager crawled below) to a colleague.
    b.sign_in("admin").await;
    d.go(&format!("{}/handovers/new", b.base)).await;
    d.execute(r#"const s = document.querySelector("select[name=from]"); s.selectedIndex = s.options.length - 1; s.form.submit();"#, json!([])).await;
    d.wait_url(|u| u.contains("from=")).await;
    let started = d
        .execute(
            r#"const f = document.getElementById("handover-form"); if (!f) return false;
               document.getElementById("handover-bulk").selectedIndex = 1;
               document.querySelectorAll("select[data-follows-bulk]").forEach((s, i) => { s.value = i === 0 ? "bulk" : "skip"; });
               f.submit(); return true;"#,
            json!([]),
        )
        .await;
    assert_eq!(started, json!(true), "the last manager has customers and colleagues to hand them to");
    d.wait_url(|u| u.contains("/handovers/hov_")).await;

    // A content item, written in the editor, so its page, its preview and its review page exist.
    b.sign_in("hq01").await;
    d.go(&format!("{}/content/new", b.base)).await;
    d.type_into("#f-title", "周末理财小课堂").await;
    d.type_into("#f-body", "欢迎参加").await;
    d.click("#content-save").await;
    d.wait_url(|u| u.contains("/content/cnt_")).await;

    for &(size, langs) in SCREENS {
        d.viewport(size).await;
        let screen = size.0.to_string();
        for person in PEOPLE {
            b.sign_in(person).await;
            for lang in langs {
                d.go(&format!("{}/lang/{lang}", b.base)).await;
                let (seen, found) = crawl(&b, &screen, person, lang, &patterns).await;
                reached.extend(seen);
                problems.extend(found);
            }
        }
    }
    b.quit().await;

    let skipped: BTreeSet<&str> = NOT_SCREENS.iter().map(|(p, _)| *p).collect();
    let unreached: Vec<&&str> = patterns.iter().filter(|p| !reached.contains(*p) && !skipped.contains(*p)).collect();
    assert!(
        unreached.is_empty(),
        "no role reached these pages by following links (link them, or name them in NOT_SCREENS): {unreached:?}"
    );
    assert!(
        problems.is_empty(),
        "{} problems on phone, tablet or desktop screens:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
