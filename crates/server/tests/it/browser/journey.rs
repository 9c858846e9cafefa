//! A real browser against the real binary: `siyu demo` starts, headless Chromium signs in as a
//! customer manager and sees the customer list with masked phone numbers, tags a customer, then HQ
//! builds an audience, and the console switches to English. Screenshots land in `target/screenshots/`.

use std::time::Duration;

use super::Browser;

#[tokio::test]
async fn a_customer_manager_signs_in_to_the_demo_and_sees_their_customers() {
    let Some(b) = Browser::launch((1400, 1000)).await else { return };
    let (d, base) = (&b.driver, b.base.as_str());
    d.go(&format!("{base}/customers")).await;
    assert!(d.url().await.contains("/login?next=%2Fcustomers"), "signed-out visitors are sent to sign in");
    d.type_into("input[name=username]", "cm_sh01_1").await;
    d.type_into("input[name=password]", siyu::demo::DEMO_PASSWORD).await;
    d.click("#login-submit").await;
    d.wait_url(|u| u.ends_with("/customers")).await;

    let rows = d.find_all("#customer-list tbody tr").await;
    assert!(!rows.is_empty(), "the customer list shows customers");
    let first = d.text(&rows[0]).await;
    let masked = first
        .split_whitespace()
        .find(|w| w.len() == 11 && w.contains("****"))
        .unwrap_or_else(|| panic!("no masked phone in {first:?}"));
    assert!(masked.starts_with('1') && &masked[3..7] == "****");
    let heading = d.text(&d.find("h1").await).await;
    assert!(heading.contains("客户列表"), "Chinese by default: {heading}");
    d.screenshot("customers-zh").await;

    // Filter by segment, then open a customer.
    d.go(&format!("{base}/customers?segment=payroll")).await;
    let rows = d.find_all("#customer-list tbody tr").await;
    assert!(!rows.is_empty());
    d.click("#customer-list tbody tr a").await;
    d.wait_url(|u| u.contains("/customers/cus_")).await;
    d.screenshot("customer-zh").await;

    // The channel codes of their sub-branch, with the demo's scans counted per day.
    d.go(&format!("{base}/channels")).await;
    let mut codes = Vec::new();
    for _ in 0..100 {
        codes = d.find_all("#channel-list tbody tr a").await;
        if !codes.is_empty() {
            break;
        }
        // The demo creates its codes just after it starts listening.
        tokio::time::sleep(Duration::from_millis(100)).await;
        d.go(&format!("{base}/channels")).await;
    }
    assert!(!codes.is_empty(), "the demo's channel code for 陆家嘴 is listed");
    d.click("#channel-list tbody tr a").await;
    d.wait_url(|u| u.contains("/channels/chc_")).await;
    let mut counted = false;
    for _ in 0..100 {
        if !d.find_all("#day-table tbody tr").await.is_empty() {
            counted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let here = d.url().await;
        d.go(&here).await;
    }
    assert!(counted, "the day's adds are shown");
    d.screenshot("channel-zh").await;

    // The 360° page: the manager puts a manual tag on the customer and sees it and its timeline entry.
    d.go(&format!("{base}/customers?segment=payroll")).await;
    d.click("#customer-list tbody tr a").await;
    d.wait_url(|u| u.contains("/customers/cus_")).await;
    d.click("#add-tag button").await;
    d.wait_url(|u| u.ends_with("#tags")).await;
    let tags = d.text(&d.find("#tags").await).await;
    let timeline = d.text(&d.find("#timeline").await).await;
    assert!(timeline.contains("打标签"), "the timeline shows the new tag: {timeline}");
    assert!(tags.contains('×'), "a manual tag can be taken off again: {tags}");
    d.screenshot("customer-360-zh").await;

    // HQ builds an audience: a live count with a masked sample while typing, the error's place when the
    // expression is wrong, words inserted by a click, then saved with its members listed.
    d.call(reqwest::Method::DELETE, "/cookie", None).await;
    d.go(&format!("{base}/login")).await;
    d.type_into("input[name=username]", "hq01").await;
    d.type_into("input[name=password]", siyu::demo::DEMO_PASSWORD).await;
    d.click("#login-submit").await;
    d.wait_url(|u| !u.contains("/login")).await;
    d.go(&format!("{base}/audiences")).await;
    assert!(d.find_all("#audience-list tbody tr").await.len() >= 3, "the demo's saved audiences are listed");
    d.go(&format!("{base}/audiences/new")).await;
    d.type_into("#expr", "tag(\"持有理财\") and aum_tier >= 2").await;
    let n = d.wait_text("#preview-count", |t| t.chars().any(|c| c.is_ascii_digit())).await;
    assert!(n.replace(',', "").parse::<u64>().unwrap() > 0, "some customers match: {n}");
    let sample = d.find_all("#preview-sample tbody tr").await;
    assert!(!sample.is_empty(), "a sample is shown");
    assert!(d.text(&sample[0]).await.contains("****"), "the sample is masked");
    d.screenshot("audience-builder-zh").await;
    d.clear("#expr").await;
    d.type_into("#expr", "aum_tier >= ").await;
    let err = d.wait_text("#expr-error", |t| t.contains("第")).await;
    assert!(err.contains('^'), "the error shows where: {err}");
    d.screenshot("audience-builder-error-zh").await;
    // The operator's words: a sub-branch by name counts as its code does, and the canonical form says so.
    d.clear("#expr").await;
    d.type_into("#expr", "网点 = \"陆家嘴支行\" 且 风险等级 >= C3").await;
    let canonical = d.wait_text("#preview-canonical", |t| t.contains("SH01")).await;
    assert_eq!(canonical, "sub_branch = \"SH01\" and risk_grade >= 3");
    d.clear("#expr").await;
    d.type_into("#expr", "网点 = \"陆家嘴\"").await;
    let warning = d.wait_text("#expr-warnings", |t| t.contains("陆家嘴支行")).await;
    assert!(!warning.contains(" / "), "the warning in the page's language only: {warning}");
    // The click builder: the first attribute's first value, then a tag joined to it.
    d.clear("#expr").await;
    d.click("#builder-add").await;
    d.click(".chip.tagchip").await;
    d.wait_text("#preview-count", |t| t.chars().any(|c| c.is_ascii_digit())).await;
    d.type_into("input[name=name]", "浏览器测试客群").await;
    d.click("#save-audience").await;
    d.wait_url(|u| u.contains("/audiences/aud_")).await;
    assert!(!d.find_all("#member-list tbody tr").await.is_empty(), "the saved audience lists its members");
    d.screenshot("audience-zh").await;

    // The tag pages: every tag with its customers, and one imported tag with its list upload.
    d.go(&format!("{base}/tags")).await;
    let tag_rows = d.find_all("#tag-list tbody tr").await;
    assert!(tag_rows.len() >= 10, "the demo's tags are listed");
    d.screenshot("tags-zh").await;
    d.click("#tag-list tbody tr a").await;
    d.wait_url(|u| u.contains("/tags/tag_")).await;
    assert!(!d.find_all("#list-form").await.is_empty(), "an imported tag offers a list upload");
    d.screenshot("tag-zh").await;
    d.go(&format!("{base}/audiences")).await;
    d.screenshot("audiences-zh").await;

    // English on a click.
    d.go(&format!("{base}/customers")).await;
    d.click("a[href='/lang/en']").await;
    d.wait_url(|u| u.ends_with("/customers")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heading = d.text(&d.find("h1").await).await;
    assert!(heading.contains("Customers"), "English after the switch: {heading}");
    d.screenshot("customers-en").await;
    d.go(&format!("{base}/audiences/new")).await;
    let heading = d.text(&d.find("h1").await).await;
    assert!(heading.contains("New audience"), "the builder in English: {heading}");
    d.screenshot("audience-builder-en").await;

    b.quit().await;
}
