//! Everything a reviewer approves besides the words: each field of a version beside the last
//! approved one's (address, description, mini-program, image, stage, channels, products, expiry, and
//! for an article every address its HTML links to or loads), so no change reaches a customer
//! unseen because the diff showed only the title and the body.

use siyu_app::services::content::VersionView;
use siyu_app::services::content_article;
use siyu_content::ItemKind;

use super::i18n::Tr;
use super::show_time;

/// One field: what it was in the last approved version and what it is now.
pub struct FieldRow {
    pub label: String,
    pub old: String,
    pub new: String,
    pub changed: bool,
    /// The values are uploads' addresses: the page shows the pictures themselves, so a reviewer
    /// approves the picture a customer will see, not its number.
    pub media: bool,
}

/// The addresses an article's (sanitised) HTML links to or loads: its links, then its pictures.
pub fn html_addresses(html: &str) -> Vec<String> {
    ["href", "src"]
        .into_iter()
        .flat_map(|attr| content_article::attribute_values(html, attr).map(|r| html[r].replace("&amp;", "&")))
        .collect()
}

/// The rows a reviewer sees for `v` against `old` (`None`: a first version, everything is new);
/// `products` are the linked products as shown, now and before. Empty fields on both sides are left
/// out, so a text item's page is not a wall of dashes.
pub fn field_rows(
    kind: ItemKind,
    old: Option<&VersionView>,
    v: &VersionView,
    products: (&[String], &[String]),
    tr: Tr,
) -> Vec<FieldRow> {
    let fields = |v: &VersionView, products: &[String]| -> Vec<(&'static str, String)> {
        let d = &v.draft;
        let mut f = vec![
            ("content.link_url", d.link_url.clone()),
            ("content.link_desc", d.link_desc.clone()),
            ("content.mini_appid", d.mini_appid.clone()),
            ("content.mini_page", d.mini_page.clone()),
            ("content.media", d.media_id.map(|m| format!("/media/{m}")).unwrap_or_default()),
            ("content.stage", d.stage.map(|s| tr.say(&s.text())).unwrap_or_default()),
            ("content.channel", d.channels.iter().map(|c| tr.say(&c.text())).collect::<Vec<_>>().join("、")),
            ("content.products", products.join("、")),
            ("content.expires", d.expires_at.map(show_time).unwrap_or_default()),
        ];
        if kind == ItemKind::Article {
            f.push(("content.addresses", html_addresses(&d.body).join("\n")));
        }
        f
    };
    let now = fields(v, products.0);
    let before = old.map(|o| fields(o, products.1));
    now.into_iter()
        .enumerate()
        .filter_map(|(i, (key, new))| {
            let old = before.as_ref().map(|b| b[i].1.clone()).unwrap_or_default();
            (!new.is_empty() || !old.is_empty()).then(|| FieldRow {
                media: key == "content.media",
                label: tr.t(key).to_owned(),
                changed: before.is_none() || old != new,
                old,
                new,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::html_addresses;

    #[test]
    fn every_address_of_an_article_is_found() {
        let html = r#"<p><a href="https://a.example/x?y=1&amp;z=2" rel="noopener">a</a><img src="/media/med_3"></p><a href="https://b.example">b</a>"#;
        assert_eq!(html_addresses(html), ["https://a.example/x?y=1&z=2", "https://b.example", "/media/med_3"]);
        assert!(html_addresses("<p>没有链接</p>").is_empty());
    }
}
