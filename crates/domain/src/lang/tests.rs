//! The catalogue's own rules: keys once, both languages given, the same placeholders in both, and
//! each language only in its own column.

use super::*;

#[test]
fn keys_are_unique_and_both_languages_are_filled_alike() {
    let mut keys: Vec<_> = catalogue().map(|e| e.0).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(n, keys.len(), "a message key appears twice");
    for (key, zh, en) in catalogue() {
        assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{key}: both languages");
        let (mut a, mut b) = (placeholders(zh), placeholders(en));
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "{key}: the same placeholders in both languages");
        assert!(has_chinese(zh), "{key}: the Chinese text is Chinese: {zh}");
        assert!(!has_chinese(en), "{key}: the English text holds Chinese: {en}");
        assert!(!zh.contains(" / ") && !en.contains(" / "), "{key}: one language per entry");
    }
}

#[test]
fn a_catalogue_text_renders_in_the_language_asked_for() {
    let t = Text::new("tags.list_too_long").arg("max", 50_000);
    assert_eq!(t.render(Lang::Zh), "名单超过 50000 个客户号");
    assert_eq!(t.render(Lang::En), "The list holds more than 50000 customer numbers");
    let nested = Text::new("imports.not_committable").text("status", Text::new("import_status.rejected"));
    assert_eq!(nested.render(Lang::En), "The import is rejected, not ready to commit");
    assert_eq!(nested.render(Lang::Zh), "导入状态为“已拒绝”，不能提交");
    assert_eq!(Text::new("no.such.key").render(Lang::En), "?no.such.key");
}

#[test]
fn an_old_pair_shows_one_language_split_at_the_separator() {
    let t = Text::from("请选择文件 / choose a file");
    assert_eq!(t.render(Lang::Zh), "请选择文件");
    assert_eq!(t.render(Lang::En), "choose a file");
    assert_eq!(Text::from("C3").render(Lang::En), "C3", "no separator: as it is");
}

#[test]
fn accept_language_picks_english_only_when_it_comes_first() {
    let l = |h| Lang::from_accept_language(Some(h));
    assert_eq!(Lang::from_accept_language(None), Lang::Zh);
    assert_eq!(l("en-US,en;q=0.9"), Lang::En);
    assert_eq!(l("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
    assert_eq!(l("fr-FR, en;q=0.5"), Lang::En, "the first language siyu speaks");
    assert_eq!(l("de"), Lang::Zh);
    assert_eq!(l("en;q=0.2, zh;q=0.8"), Lang::Zh, "weights count");
    assert_eq!(l("EN-gb"), Lang::En);
    assert_eq!(l("en;q=0"), Lang::Zh, "q=0 means not wanted");
}

#[test]
fn quoted_values_are_cut_but_keys_are_kept() {
    let t = Text::new("value.bad_customer_no").arg("value", "9".repeat(500)).with_values_cut(10);
    assert_eq!(t.render(Lang::En), "Customer number must be 1-32 letters or digits: 9999999999…");
}
