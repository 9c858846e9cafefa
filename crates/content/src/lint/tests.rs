//! The lint's rules one by one, with the text each finding points at.

use siyu_domain::ProductId;
use siyu_domain::lang::{Lang, MISSING};
use siyu_domain::product::{Product, ProductRiskGrade, ProductType};

use super::*;

fn product(kind: ProductType, grade: Option<u8>) -> Product {
    Product {
        id: ProductId::new(1), name: "稳享一号".into(), kind, risk_grade: grade.and_then(ProductRiskGrade::new)
    }
}

fn check(text: &str, products: &[Product]) -> Vec<Finding> {
    let rules = RuleSet::default();
    lint(text, &Context { products, category: None, rules: &rules })
}

/// Each finding as (rule, the characters it covers, blocking).
fn found(text: &str) -> Vec<(Rule, String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    check(text, &[]).into_iter().map(|f| (f.rule, chars[f.start..f.end].iter().collect(), f.blocking)).collect()
}

#[test]
fn guaranteed_principal_and_return_are_blocked() {
    assert_eq!(
        found("本产品保本保息，零风险"),
        [(Rule::GuaranteedReturn, "保本保息".into(), true), (Rule::GuaranteedReturn, "零风险".into(), true),]
    );
    assert_eq!(found("稳 赚 不 赔！"), [(Rule::GuaranteedReturn, "稳 赚 不 赔".into(), true)]);
    assert_eq!(
        found("穩賺，無風險"),
        [(Rule::GuaranteedReturn, "穩賺".into(), true), (Rule::GuaranteedReturn, "無風險".into(), true),]
    );
    assert_eq!(found("保證收益"), [(Rule::GuaranteedReturn, "保證收益".into(), true)]);
}

#[test]
fn dodges_with_pinyin_are_found_but_plain_pinyin_is_not() {
    assert_eq!(found("这款bao本哦"), [(Rule::GuaranteedReturn, "bao本".into(), true)]);
    assert_eq!(found("保b"), [(Rule::GuaranteedReturn, "保b".into(), true)]);
    assert_eq!(found("WEN赚"), [(Rule::GuaranteedReturn, "WEN赚".into(), true)]);
    assert!(found("bao ben wen zhuan, zui hao, 100 percent").is_empty());
}

#[test]
fn expected_and_promised_yields_need_a_figure_and_block() {
    assert_eq!(found("预期年化收益率4.5%，欢迎咨询"), [(Rule::ExpectedYield, "预期年化收益率4.5%".into(), true)]);
    assert_eq!(found("5 %的预期收益"), [(Rule::ExpectedYield, "5 %的预期收益".into(), true)]);
    assert_eq!(
        found("预 期 收 益 率 高达３．８％"),
        [(Rule::ExpectedYield, "预 期 收 益 率 高达３．８％".into(), true)]
    );
    assert!(found("预期收益不等于实际收益").is_empty(), "no figure, no promise");
    assert!(found("预期收益率说明请见第二页。附：存款利率1.5%").is_empty(), "the figure is far away");
}

#[test]
fn a_plain_yield_figure_is_a_warning() {
    assert_eq!(found("近一年收益率12.3%"), [(Rule::YieldFigure, "收益率12.3%".into(), false)]);
}

#[test]
fn superlatives_are_blocked_but_ordinary_uses_are_not() {
    assert_eq!(found("最安全的选择"), [(Rule::Superlative, "最安全".into(), true)]);
    assert_eq!(found("１００％满意"), [(Rule::Superlative, "１００％".into(), true)]);
    assert_eq!(found("业绩第一名"), [(Rule::Superlative, "第一".into(), true)]);
    assert!(found("第一次开户，第一步登录，第一时间通知您").is_empty());
    assert_eq!(found("最高可贷50万"), [(Rule::Superlative, "最高".into(), false)], "a limit: a warning");
    assert!(found("1100%").is_empty() && found("最hot单品").is_empty());
}

#[test]
fn hq_lists_block_or_warn_as_configured() {
    assert_eq!(found("理财产品可以存款替代"), [(Rule::ListedWord, "存款替代".into(), true)]);
    assert_eq!(found("名额有限"), [(Rule::ListedWord, "名额有限".into(), false)]);
    let rules = RuleSet::new(vec![WordRule {
        word: "躺赚".into(),
        class: WordClass::Listed,
        blocking: true,
        unless_followed_by: String::new(),
    }])
    .unwrap();
    let f = lint("天天躺 赚", &Context { products: &[], category: None, rules: &rules });
    assert_eq!((f[0].start, f[0].end, f[0].rule, f[0].blocking), (2, 5, Rule::ListedWord, true));
    assert!(lint("保本", &Context { products: &[], category: None, rules: &rules }).is_empty(), "only HQ's list");
}

#[test]
fn investor_education_may_name_the_claims_it_warns_against() {
    let rules = RuleSet::default();
    let ctx = Context { products: &[], category: Some(Category::InvestorEducation), rules: &rules };
    let f = lint("打破刚性兑付，不存在保本理财", &ctx);
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.rule == Rule::GuaranteedReturn && !f.blocking));
    let f = lint("最安全", &ctx);
    assert!(f[0].blocking, "superlatives stay blocked");
}

#[test]
fn wealth_and_fund_items_carry_the_disclaimer() {
    let wealth = [product(ProductType::Wealth, Some(2))];
    let text = "稳健之选，欢迎咨询";
    let f = check(text, &wealth);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].rule, f[0].start, f[0].end, f[0].blocking), (Rule::DisclaimerMissing, 9, 9, true));
    let added = with_disclaimer(text, &wealth);
    assert_eq!(added, format!("{text}\n{DISCLAIMER}"));
    assert!(check(&added, &wealth).is_empty(), "the disclaimer itself is clean");
    assert_eq!(with_disclaimer(&added, &wealth), added, "added once");
    assert!(check("理财非存款，产品有风险，投资须谨慎。", &[product(ProductType::Fund, Some(3))]).is_empty());
    // Removed, or a word of it changed: found again.
    let edited = added.replace("须谨慎", "要大胆");
    assert_eq!(check(&edited, &wealth)[0].rule, Rule::DisclaimerMissing);
    // A deposit needs none.
    assert_eq!(with_disclaimer(text, &[product(ProductType::Deposit, Some(1))]), text);
    assert!(check(text, &[product(ProductType::Deposit, Some(1))]).is_empty());
    assert_eq!(with_disclaimer("", &wealth), DISCLAIMER);
}

#[test]
fn every_linked_product_needs_a_grade() {
    let f = check("欢迎了解", &[product(ProductType::Deposit, None), product(ProductType::Loan, Some(1))]);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].rule, f[0].start, f[0].end, f[0].blocking), (Rule::ProductUngraded, 0, 0, true));
    assert!(f[0].message.render(Lang::Zh).contains("稳享一号"));
}

#[test]
fn the_text_is_bounded_before_any_work() {
    let f = check(&"保".repeat(MAX_TEXT_CHARS + 1), &[]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, Rule::TextTooLong);
    let many = check(&"保本，".repeat(MAX_TEXT_CHARS / 3), &[]);
    assert_eq!(many.len(), MAX_FINDINGS, "findings are bounded too");
    // Warnings in front cannot push a blocking claim out of the bounded list.
    let stuffed = format!("{}本产品保本", "最高可贷50万。".repeat(MAX_FINDINGS + 50));
    let f = check(&stuffed, &[]);
    assert_eq!(f.len(), MAX_FINDINGS);
    assert!(f.iter().any(|x| x.blocking && x.rule == Rule::GuaranteedReturn), "the claim is kept");
    assert!(f.windows(2).all(|w| w[0].start <= w[1].start), "in the text's order");
}

#[test]
fn every_message_is_in_the_catalogue_and_quotes_the_text() {
    let text = "保本！最好！预期收益率5%！近期回报率3%！内幕！秒杀！";
    let mut f = check(text, &[product(ProductType::Fund, None)]);
    f.extend(check(&"字".repeat(MAX_TEXT_CHARS + 1), &[]));
    let rules: std::collections::HashSet<_> = f.iter().map(|f| f.rule).collect();
    assert_eq!(rules.len(), 8, "every rule at least once: {f:?}");
    for finding in f {
        for lang in Lang::ALL {
            let m = finding.message.render(lang);
            assert!(!m.starts_with(MISSING) && !m.contains("{word}"), "{m}");
        }
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["rule"], finding.rule.code());
    }
}
