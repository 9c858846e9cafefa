//! The compliance lint (banking rule 4): one function the app calls at save, at submit, at review and
//! again at send, and the API offers to the bank's other systems, so every one of them sees the same
//! findings.
//!
//! A finding names its rule by a stable code, the characters it is about as offsets into the text
//! exactly as written (however the word was dodged: `normalise.rs`), a message, and whether it blocks
//! approval (without an override reason: `review.rs`).

pub mod normalise;
mod rules;

use serde::{Deserialize, Serialize};
use siyu_domain::lang::Text;
use siyu_domain::product::Product;

pub use rules::{MAX_GAP, MAX_WORD_CHARS, MAX_WORDS, RuleSet, RuleSetError, WordClass, WordRule};

use crate::vocabulary::Category;
use crate::{MAX_TEXT_CHARS, too_long};
use normalise::{Skeleton, fold};
use rules::{Compiled, YIELD_WORDS};

/// The risk disclaimer every wealth-management and fund item carries (rule 4).
pub const DISCLAIMER: &str = "理财非存款、产品有风险、投资须谨慎";

/// At most this many findings are reported for one text: a reviewer reads them, and a text pasted
/// full of one word should not answer with thousands.
pub const MAX_FINDINGS: usize = 200;

/// A yield word and a percentage belong together when the figure follows within this many characters
/// (预期年化收益率可达 4.5%) or comes just before (4.5%的预期收益), in the same sentence.
const FIGURE_AFTER: usize = 20;
const FIGURE_BEFORE: usize = 8;

/// What a finding is about, by its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The text is over the bound and was not checked.
    TextTooLong,
    /// Guaranteed principal or return, risk-free.
    GuaranteedReturn,
    /// A promised or expected yield with a figure.
    ExpectedYield,
    /// A yield figure that may be honest past performance: a warning.
    YieldFigure,
    /// An absolute superlative.
    Superlative,
    /// A word of HQ compliance's own list.
    ListedWord,
    /// A wealth-management or fund item without the disclaimer.
    DisclaimerMissing,
    /// A linked product without a risk grade.
    ProductUngraded,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Self::TextTooLong => "text_too_long",
            Self::GuaranteedReturn => "guaranteed_return",
            Self::ExpectedYield => "expected_yield",
            Self::YieldFigure => "yield_figure",
            Self::Superlative => "superlative",
            Self::ListedWord => "listed_word",
            Self::DisclaimerMissing => "disclaimer_missing",
            Self::ProductUngraded => "product_ungraded",
        }
    }
}

/// One finding. `start..end` are character offsets into the original text (`end` exclusive); a
/// finding about the item rather than its words (a product's grade) has the empty span `0..0`, and a
/// missing disclaimer the empty span at the end, where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Rule,
    pub start: usize,
    pub end: usize,
    pub message: Text,
    pub blocking: bool,
}

impl Finding {
    /// The finding's identity within one version's words, `rule@start-end`: reviewed words never
    /// change, so an approval records the keys its override covered and publishing compares them.
    pub fn key(&self) -> String {
        format!("{}@{}-{}", self.rule.code(), self.start, self.end)
    }
}

/// What the lint knows of the item besides its text.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The linked products: their types decide the disclaimer, each needs a grade.
    pub products: &'a [Product],
    /// The item's category, when there is an item (the lint API may check bare text). Investor
    /// education (投教) explains why 保本 and 无风险 are not promised; there those words are warnings
    /// for the reviewer to read in context, not blocks.
    pub category: Option<Category>,
    /// HQ compliance's list.
    pub rules: &'a RuleSet,
}

/// A match before it becomes a finding.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    rule: Rule,
    blocking: bool,
}

/// Checks a text against every rule.
pub fn lint(text: &str, ctx: &Context<'_>) -> Vec<Finding> {
    if too_long(text) {
        return vec![Finding {
            rule: Rule::TextTooLong,
            start: 0,
            end: 0,
            message: Text::new("lint.text_too_long").arg("max", MAX_TEXT_CHARS),
            blocking: true,
        }];
    }
    let chars: Vec<char> = text.chars().collect();
    let s = Skeleton::of(text);
    let span = |(a, b): (usize, usize)| (s.at[a], s.at[b - 1] + 1);
    let education = ctx.category == Some(Category::InvestorEducation);

    let mut hits = Vec::new();
    for (w, a, b) in ctx.rules.find_all(&s) {
        let rule = match w.class {
            WordClass::Guaranteed => Rule::GuaranteedReturn,
            WordClass::Superlative => Rule::Superlative,
            WordClass::Listed => Rule::ListedWord,
        };
        let blocking = w.blocking && !(education && w.class == WordClass::Guaranteed);
        let (start, end) = span((a, b));
        hits.push(Hit { start, end, rule, blocking });
    }
    let figures = percentages(&chars);
    if !figures.is_empty() {
        for (word, promised) in YIELD_WORDS {
            let rule = if *promised { Rule::ExpectedYield } else { Rule::YieldFigure };
            for (ws, we) in Compiled::new(word, "").find_all(&s).into_iter().map(span) {
                let near = figures
                    .iter()
                    .find(|(fs, _)| *fs >= we && fs - we <= FIGURE_AFTER && same_sentence(&chars[we..*fs]))
                    .or_else(|| {
                        figures
                            .iter()
                            .rev()
                            .find(|(_, fe)| *fe <= ws && ws - fe <= FIGURE_BEFORE && same_sentence(&chars[*fe..ws]))
                    });
                if let Some((fs, fe)) = near {
                    hits.push(Hit { start: ws.min(*fs), end: we.max(*fe), rule, blocking: *promised });
                }
            }
        }
    }

    // At most MAX_FINDINGS, blocking ones first: a text stuffed with warnings must not push a claim
    // that blocks out of the list (and so out of the review's override).
    let (mut kept, warnings): (Vec<Hit>, Vec<Hit>) = outermost(hits).into_iter().partition(|h| h.blocking);
    kept.truncate(MAX_FINDINGS);
    let room = MAX_FINDINGS - kept.len();
    kept.extend(warnings.into_iter().take(room));
    kept.sort_by_key(|h| (h.start, h.end));
    let mut findings: Vec<Finding> = kept
        .into_iter()
        .map(|h| {
            let word: String = chars[h.start..h.end].iter().collect();
            let key = match (h.rule, h.blocking) {
                (Rule::GuaranteedReturn, _) => "lint.guaranteed",
                (Rule::Superlative, _) => "lint.superlative",
                (Rule::ExpectedYield, _) => "lint.expected_yield",
                (Rule::YieldFigure, _) => "lint.yield_figure",
                (_, true) => "lint.listed_blocking",
                (_, false) => "lint.listed_warning",
            };
            let message = Text::new(key).arg("word", word).with_values_cut(40);
            Finding { rule: h.rule, start: h.start, end: h.end, message, blocking: h.blocking }
        })
        .collect();

    if needs_disclaimer(ctx.products) && !has_disclaimer(text) {
        let n = chars.len();
        findings.push(Finding {
            rule: Rule::DisclaimerMissing,
            start: n,
            end: n,
            message: Text::new("lint.disclaimer_missing").arg("disclaimer", DISCLAIMER),
            blocking: true,
        });
    }
    for p in ctx.products.iter().filter(|p| p.risk_grade.is_none()) {
        findings.push(Finding {
            rule: Rule::ProductUngraded,
            start: 0,
            end: 0,
            message: Text::new("lint.product_ungraded").arg("product", &p.name).with_values_cut(40),
            blocking: true,
        });
    }
    findings
}

/// Drops a hit that lies inside another at least as blocking (稳赚 inside 稳赚不赔, 收益率 inside
/// 预期收益率), so one phrase is one finding; sorted by where they start.
fn outermost(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(b.blocking.cmp(&a.blocking)));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    // A container starts no earlier than this far before what it contains (the longest word, its
    // gaps, a figure window): looking further back is wasted work on a text full of hits.
    let reach = MAX_WORD_CHARS * (MAX_GAP + 1) + FIGURE_AFTER + FIGURE_BEFORE;
    for h in hits {
        let inside = kept
            .iter()
            .rev()
            .take_while(|k| h.start - k.start <= reach)
            .any(|k| k.start <= h.start && h.end <= k.end && k.blocking >= h.blocking);
        if !inside {
            kept.push(h);
        }
    }
    kept
}

/// Whether the characters between a yield word and a figure stay within one sentence: a rate quoted
/// in the next sentence (存款利率1.5%) is not the yield the word speaks of.
fn same_sentence(between: &[char]) -> bool {
    !between.iter().any(|c| matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n'))
}

/// Percentages in the text, as `[start, end)` character offsets: digits, an optional decimal part,
/// up to two spaces and `%` (full-width forms included). Written-out figures (百分之五) are not
/// read; the superlative list has 百分百.
fn percentages(chars: &[char]) -> Vec<(usize, usize)> {
    let f: Vec<char> = chars.iter().map(|c| fold(*c)).collect();
    let digit = |i: usize| f.get(i).is_some_and(char::is_ascii_digit);
    let mut out = Vec::new();
    let mut i = 0;
    while i < f.len() {
        if !digit(i) || (i > 0 && (digit(i - 1) || f[i - 1] == '.')) {
            i += 1;
            continue;
        }
        let start = i;
        while digit(i) {
            i += 1;
        }
        if f.get(i) == Some(&'.') && digit(i + 1) {
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        let mut j = i;
        while j < f.len() && j - i < 2 && f[j] == ' ' {
            j += 1;
        }
        if f.get(j) == Some(&'%') {
            out.push((start, j + 1));
            i = j + 1;
        }
    }
    out
}

/// Whether any linked product is of a type whose marketing carries the disclaimer.
pub fn needs_disclaimer(products: &[Product]) -> bool {
    products.iter().any(|p| p.kind.needs_disclaimer())
}

/// Whether the text carries the disclaimer, compared as the lint compares words: 理财非存款，产品有风险，
/// 投资须谨慎 with other punctuation or spaces counts, a changed word does not.
pub fn has_disclaimer(text: &str) -> bool {
    Skeleton::of(text).contains(&normalise::skeleton_of_word(DISCLAIMER))
}

/// The text with the disclaimer appended on a line of its own when the products need it and it is not
/// there: what the app saves, so an author never has to remember it (and removing it later is a
/// finding).
pub fn with_disclaimer(text: &str, products: &[Product]) -> String {
    if !needs_disclaimer(products) || has_disclaimer(text) {
        return text.to_owned();
    }
    let body = text.trim_end();
    if body.is_empty() { DISCLAIMER.to_owned() } else { format!("{body}\n{DISCLAIMER}") }
}

#[cfg(test)]
mod tests;
