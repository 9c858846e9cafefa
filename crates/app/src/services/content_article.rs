//! An article's rich text (issue 17): sanitised with `ammonia` at save to a small allow-list, and
//! read back as plain words for the lint.
//!
//! HTML that would run or pull in something (a `<script>`, an event handler such as `onclick`, a
//! `javascript:` address, an iframe, object, embed, form, style or SVG) is refused with a message
//! naming what is not allowed, and nothing is saved: an author who pasted it should know, and a
//! reviewer should never approve words that were silently changed. Harmless markup outside the
//! allow-list (a `<div>`, a `<span>`, a font) is unwrapped, its words kept.

use std::borrow::Cow;
use std::collections::HashSet;

use siyu_domain::MediaId;
use siyu_domain::lang::Text;

use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// The tags an article keeps.
const TAGS: [&str; 12] = ["p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "blockquote", "img", "a"];

/// Tags refused outright: they run code, load another page or take input.
const REFUSED_TAGS: [&str; 13] =
    ["script", "style", "iframe", "frame", "object", "embed", "form", "input", "svg", "math", "link", "meta", "base"];

/// Address schemes refused outright.
const REFUSED_SCHEMES: [&str; 3] = ["javascript:", "vbscript:", "data:"];

fn refused(what: &str) -> ServiceError {
    ServiceError::invalid(
        "html_not_allowed",
        Text::new("library.html_not_allowed").arg("what", what).with_values_cut(40),
    )
}

/// The first thing in `html` that is refused, by name: a tag, an `on…` attribute or a scheme.
fn first_refused(html: &str) -> Option<String> {
    let lower = html.to_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(s) = REFUSED_SCHEMES.iter().find(|s| squeezed.contains(*s)) {
        return Some((*s).to_owned());
    }
    let mut rest = lower.as_str();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let end = after.find('>').unwrap_or(after.len());
        let tag = &after[..end];
        let mut words = tag.split(|c: char| c.is_whitespace() || c == '/').filter(|w| !w.is_empty());
        if let Some(name) = words.next() {
            let name: String = name.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            if REFUSED_TAGS.contains(&name.as_str()) {
                return Some(format!("<{name}>"));
            }
        }
        for w in words {
            let attr: String =
                w.split('=').next().unwrap_or("").chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            if attr.len() > 2 && attr.starts_with("on") {
                return Some(attr);
            }
        }
        rest = &after[end..];
    }
    None
}

/// The upload an image address names, when it is exactly siyu's own `/media/med_N`: nothing else
/// under `/media/` (no query, no other path a staff member's browser would fetch with their session).
fn media_of(src: &str) -> Option<MediaId> {
    let digits = src.strip_prefix("/media/med_")?;
    let ok = !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit());
    if ok { digits.parse().ok().map(MediaId::new) } else { None }
}

/// Whether an address may stay: links only to `https://`; images only uploads, never another site's
/// (which could change the picture after review and learns of every customer who opens the page).
fn allowed_url(element: &str, attribute: &str, value: &str) -> bool {
    let v = value.trim();
    match (element, attribute) {
        ("a", "href") => v.starts_with("https://"),
        ("img", "src") => media_of(v).is_some(),
        // Words a customer may read must be words the lint and the reviewer read.
        (_, "alt" | "title") => false,
        _ => true,
    }
}

/// Where each value of `attr` (`src`, `href`) sits in sanitised HTML, as byte ranges: ammonia writes
/// every attribute it keeps in double quotes, so reading `attr="…"` finds them all.
pub fn attribute_values<'a>(html: &'a str, attr: &'a str) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let open = format!("{attr}=\"");
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + html[from..].find(&open)? + open.len();
        let end = at + html[at..].find('"').unwrap_or(html.len() - at);
        from = end;
        Some(at..end)
    })
}

/// The uploads a sanitised article's images name, for the save's check that each is an image.
pub fn images_of(html: &str) -> Vec<MediaId> {
    attribute_values(html, "src").filter_map(|r| media_of(&html[r])).collect()
}

/// A sanitised article as a customer's phone loads it: each upload's staff address `/media/med_N`
/// becomes its signed public one (the customer has no staff session), everything else unchanged.
pub fn for_customers(state: &AppState, html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut done = 0;
    for r in attribute_values(html, "src") {
        if let Some(id) = media_of(&html[r.clone()]) {
            out.push_str(&html[done..r.start]);
            out.push_str(&super::media::signed_path(state, id));
            done = r.end;
        }
    }
    out.push_str(&html[done..]);
    out
}

/// The article's HTML cleaned to the allow-list, or the refusal naming what is not allowed.
pub fn sanitise(html: &str) -> ServiceResult<String> {
    if let Some(what) = first_refused(html) {
        return Err(refused(&what));
    }
    let clean = ammonia::Builder::empty()
        .add_tags(TAGS)
        .add_tag_attributes("a", ["href"])
        // No `alt`: words a customer may read must be words the lint and the reviewer read.
        .add_tag_attributes("img", ["src"])
        .url_schemes(HashSet::from(["https"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(
            |element, attribute, value| {
                if allowed_url(element, attribute, value) { Some(Cow::Borrowed(value)) } else { None }
            },
        )
        .clean(html)
        .to_string();
    Ok(clean)
}

/// The words of sanitised HTML without its tags, entities read back, a line break for each block:
/// what the lint checks and a reader reads.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                if matches!(name.as_str(), "p" | "br" | "li" | "h2" | "h3" | "blockquote")
                    && !out.ends_with('\n')
                    && !out.is_empty()
                {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_runs_is_refused_by_name_and_the_rest_is_kept_to_the_allow_list() {
        for (html, what) in [
            ("<p>hi</p><script>alert(1)</script>", "<script>"),
            ("<p onclick=\"x()\">hi</p>", "onclick"),
            ("<a href=\"javascript:alert(1)\">x</a>", "javascript:"),
            ("<a href=\"java script:alert(1)\">x</a>", "javascript:"),
            ("<IFRAME src=https://x></IFRAME>", "<iframe>"),
            ("<img src=x onerror=alert(1)>", "onerror"),
        ] {
            let err = sanitise(html).unwrap_err();
            assert_eq!(err.code(), "html_not_allowed", "{html}");
            assert!(
                err.render(siyu_domain::lang::Lang::En).contains(what),
                "{html}: {}",
                err.render(siyu_domain::lang::Lang::En)
            );
        }
        let clean = sanitise(
            "<div><p>稳健<strong>理财</strong></p><a href=\"https://bank.cn/x\">看</a><a href=\"http://x.cn\">不</a>\
             <img src=\"/media/med_1\"><img src=\"//evil.cn/a.png\"><h1>大</h1></div>",
        )
        .unwrap();
        assert!(clean.contains("<p>稳健<strong>理财</strong></p>"), "{clean}");
        assert!(clean.contains("<a href=\"https://bank.cn/x\" rel=\"noopener noreferrer\">看</a>"), "{clean}");
        assert!(!clean.contains("http://"), "{clean}");
        assert!(clean.contains("<img src=\"/media/med_1\">"), "{clean}");
        assert_eq!(sanitise("<img src=\"/media/med_2\" alt=\"保本\">").unwrap(), "<img src=\"/media/med_2\">");
        for odd in ["/media/med_1/../../api/v1/x", "/media/med_1?x=1", "/media/med_", "/media/x", "/media/med_1a"] {
            let kept = sanitise(&format!("<img src=\"{odd}\">")).unwrap();
            assert!(!kept.contains("/media/"), "{odd}: {kept}");
        }
        assert!(!clean.contains("evil"), "{clean}");
        assert!(!clean.contains("<div") && !clean.contains("<h1") && clean.contains('大'), "{clean}");
    }

    #[test]
    fn plain_text_reads_the_words_with_a_line_per_block() {
        assert_eq!(plain_text("<p>保<strong>本</strong></p><p>a &amp; b &lt;c&gt;</p>"), "保本\na & b <c>");
    }
}
