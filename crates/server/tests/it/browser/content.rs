//! The content library in a real browser (issue 17 §8): HQ writes an article with a forbidden claim
//! and sees it highlighted as they type, submits it anyway; compliance rejects it with a reason; HQ
//! fixes the words in a new version and submits that; compliance approves it and HQ publishes it; a
//! customer manager gets a tracked link on the item's page and opens it on a 390×844 phone, where the
//! article fits the screen. Screenshots land in `target/screenshots/`.

use serde_json::json;

use super::{Browser, Driver};

/// Waits (up to 10 s) for the first element matching `css` to have text satisfying `ok`, through
/// page loads (a step reloads the page, and an element found mid-load is gone the moment after).
async fn text_of(d: &Driver, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        let v = d
            .execute("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", json!([css]))
            .await;
        if let Some(t) = v.as_str() {
            if ok(t) {
                return t.to_owned();
            }
            last = t.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    d.screenshot("text-timeout").await;
    panic!("{css} stayed {last:?}");
}

/// Opens the review page of the queued version titled `title` (the demo has its own in the queue).
async fn open_in_queue(d: &Driver, base: &str, title: &str) {
    d.go(&format!("{base}/content/review")).await;
    let href = d
        .execute(
            "const a = [...document.querySelectorAll(\"a[href^='/content/review/cvr_']\")].find((a) => a.innerText.includes(arguments[0])); return a ? a.getAttribute('href') : null;",
            json!([title]),
        )
        .await;
    let href = href.as_str().unwrap_or_else(|| panic!("{title} is not in the review queue"));
    d.go(&format!("{base}{href}")).await;
    d.wait_url(|u| u.contains("/content/review/cvr_")).await;
}

/// Waits (up to 10 s) for an element matching `css` to be there (the lint answers after a pause).
async fn present(d: &Driver, css: &str) {
    for _ in 0..100 {
        if !d.find_all(css).await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    d.screenshot("present-timeout").await;
    panic!("{css} never appeared");
}

#[tokio::test]
async fn an_article_goes_from_a_flagged_claim_through_review_to_a_tracked_link_on_a_phone() {
    let Some(b) = Browser::launch((1400, 1000)).await else { return };
    let (d, base) = (&b.driver, b.base.as_str());

    // HQ writes the article; the claim is marked as it is typed.
    b.sign_in("hq01").await;
    d.go(&format!("{base}/content/new")).await;
    d.execute("document.getElementById('f-kind').value = 'article'; document.getElementById('f-kind').dispatchEvent(new Event('change'));", json!([])).await;
    d.execute("document.getElementById('f-category').value = 'finance_tips';", json!([])).await;
    d.type_into("#f-title", "稳健理财怎么选").await;
    d.type_into("#f-body", "<p>这款产品保本保收益，适合稳健的您。</p>").await;
    present(d, "#lint-marked mark.lint-block").await;
    let marked = text_of(d, "#lint-marked mark.lint-block", |t| !t.is_empty()).await;
    assert_eq!(marked, "保本", "the claim itself is highlighted");
    let findings = d.text(&d.find("#lint-findings").await).await;
    assert!(findings.contains("保本"), "{findings}");
    d.click(".f-channel[value=one_to_one]").await;
    d.click(".f-channel[value=moments]").await;
    d.screenshot("content-claim-flagged").await;
    d.click("#content-save").await;
    let item_page = d.wait_url(|u| u.contains("/content/cnt_")).await;
    d.click(".content-step[data-step=submit]").await;
    text_of(d, "h1", |t| t.contains("待审核")).await;

    // Compliance rejects it with a reason.
    b.sign_in("comp01").await;
    open_in_queue(d, base, "稳健理财怎么选").await;
    let review = d.text(&d.find("main").await).await;
    assert!(review.contains("保本"), "the finding is on the review page: {review}");
    d.type_into("#r-reason", "不得承诺保本保收益，请删除").await;
    d.click(".review-step[data-step=reject]").await;
    d.wait_url(|u| u.ends_with("/content/review")).await;

    // HQ fixes the words: a new version, submitted again.
    b.sign_in("hq01").await;
    d.go(&item_page).await;
    let history = d.text(&d.find("main").await).await;
    assert!(history.contains("不得承诺保本保收益"), "the rejection's reason is shown: {history}");
    d.clear("#f-body").await;
    d.type_into("#f-body", "<p>选择理财产品前，先看清风险等级和业绩比较基准。</p>").await;
    text_of(d, "#lint-findings", |t| t.contains("未发现")).await;
    d.click("#content-save").await;
    d.wait_url(|u| u == item_page).await;
    text_of(d, "h1", |t| t.contains("v2")).await;
    d.click(".content-step[data-step=submit]").await;
    text_of(d, "h1", |t| t.contains("待审核")).await;

    // Compliance approves the fixed version; HQ publishes it.
    b.sign_in("comp01").await;
    open_in_queue(d, base, "稳健理财怎么选").await;
    d.screenshot("content-review-v2").await;
    d.click(".review-step[data-step=approve]").await;
    d.wait_url(|u| u.ends_with("/content/review")).await;
    b.sign_in("hq01").await;
    d.go(&item_page).await;
    d.click(".content-step[data-step=publish]").await;
    text_of(d, "h1", |t| t.contains("已发布")).await;

    // A customer manager takes a link for their Moments from the item's page and opens it on a phone.
    b.sign_in("cm_sh01_1").await;
    d.go(&item_page).await;
    d.execute("document.getElementById('link-channel').value = 'moments';", json!([])).await;
    d.click("#link-make").await;
    let url = loop {
        let v = d.execute("return document.getElementById('link-url').value;", json!([])).await;
        if let Some(u) = v.as_str().filter(|u| !u.is_empty()) {
            break u.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(url.starts_with(base) && url.contains("/l/"), "{url}");
    d.viewport((390, 844)).await;
    d.go(&url).await;
    d.wait_url(|u| u.contains("/h5/articles/cvr_")).await;
    present(d, "article").await;
    d.wait_url(|u| !u.contains("t=")).await;
    let page = text_of(d, "article", |t| t.contains("稳健理财怎么选")).await;
    assert!(page.contains("风险等级") && !page.contains("保本"), "the approved words: {page}");
    let wide = d.execute("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).await;
    assert_eq!(wide, json!(true), "the article fits a 390-px phone");
    d.screenshot("content-article-phone").await;
    b.quit().await;
}
