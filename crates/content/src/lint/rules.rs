//! The words the lint looks for and how one is found in a text however it was dodged.
//!
//! A [`RuleSet`] is the list HQ compliance edits (guaranteed-return words, superlatives and its own
//! list, each blocking or a warning), with sensible Chinese defaults; the yield words are fixed here
//! because they need a figure beside them to mean anything. Matching runs on the text's skeleton
//! (`normalise.rs`): each character of a word matches itself, or — for characters with known pinyin —
//! its pinyin or initial, as long as at least one Chinese character of the word is written as itself
//! (so plain English or pinyin text is never flagged), and with at most [`MAX_GAP`] fillers between two
//! characters (so a word is not assembled from characters a paragraph apart).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use siyu_domain::lang::Text;

use super::normalise::{Skeleton, is_hanzi, latin_spellings, skeleton_of_word};

/// What a listed word is flagged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordClass {
    /// Guaranteed principal or return, risk-free (banking rule 4).
    Guaranteed,
    /// Absolute superlatives (rule 4; the Advertising Law's 最/第一 words).
    Superlative,
    /// HQ compliance's own list.
    Listed,
}

/// One word of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordRule {
    pub word: String,
    pub class: WordClass,
    /// A blocking finding stops approval without an override reason; a warning is shown only.
    pub blocking: bool,
    /// Characters that, right after the word, make it ordinary (第一 before 次 is "the first time").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unless_followed_by: String,
}

/// Why HQ's edited list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("an empty word")]
    EmptyWord,
    #[error("`{word}` is longer than {max} characters")]
    WordTooLong { word: String, max: usize },
    #[error("the characters after `{word}` are longer than {max}")]
    UnlessTooLong { word: String, max: usize },
    #[error("more than {max} words")]
    TooMany { max: usize },
    #[error("`{word}` appears twice")]
    Duplicate { word: String },
}

impl RuleSetError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyWord => "empty_word",
            Self::WordTooLong { .. } => "word_too_long",
            Self::UnlessTooLong { .. } => "unless_too_long",
            Self::TooMany { .. } => "too_many_words",
            Self::Duplicate { .. } => "duplicate_word",
        }
    }

    pub fn text(&self) -> Text {
        match self {
            Self::EmptyWord => Text::new("rules.empty_word"),
            Self::WordTooLong { word, max } => Text::new("rules.word_too_long").arg("word", word).arg("max", max),
            Self::UnlessTooLong { word, max } => Text::new("rules.unless_too_long").arg("word", word).arg("max", max),
            Self::TooMany { max } => Text::new("rules.too_many").arg("max", max),
            Self::Duplicate { word } => Text::new("rules.duplicate").arg("word", word),
        }
    }
}

/// Bounds on HQ's list: the matcher's work grows with the number of words and their length.
pub const MAX_WORDS: usize = 500;
pub const MAX_WORD_CHARS: usize = 20;
/// The characters that, right after a word, make it ordinary (`unless_followed_by`).
pub const MAX_UNLESS_CHARS: usize = 40;

/// At most this many fillers between two characters of a word: a dodge inserts one or two, a sentence
/// break with a paragraph after it is not a dodge.
pub const MAX_GAP: usize = 4;

/// One character of a compiled word.
#[derive(Debug, Clone)]
struct Elem {
    c: char,
    latin: Vec<&'static str>,
}

/// A word ready to match.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    elems: Vec<Elem>,
    has_hanzi: bool,
    unless: Vec<char>,
}

impl Compiled {
    pub(crate) fn new(word: &str, unless: &str) -> Self {
        let elems: Vec<Elem> =
            skeleton_of_word(word).into_iter().map(|c| Elem { c, latin: latin_spellings(c) }).collect();
        let has_hanzi = elems.iter().any(|e| is_hanzi(e.c));
        Self { elems, has_hanzi, unless: skeleton_of_word(unless) }
    }

    /// Every place the word occurs in the skeleton, as `[start, end)` skeleton indices.
    pub(crate) fn find_all(&self, s: &Skeleton) -> Vec<(usize, usize)> {
        let firsts = self.first_chars();
        (0..s.chars.len())
            .filter(|i| firsts.contains(&s.chars[*i]))
            .filter_map(|start| self.match_at(s, start).map(|end| (start, end)))
            .collect()
    }

    /// The characters a match can begin with: the first character itself, or the first letter of
    /// one of its Latin spellings.
    fn first_chars(&self) -> Vec<char> {
        let Some(first) = self.elems.first() else { return Vec::new() };
        let mut out = vec![first.c];
        out.extend(first.latin.iter().filter_map(|l| l.chars().next()));
        out.dedup();
        out
    }

    /// The end of a match that begins at skeleton index `start`, if one does.
    fn match_at(&self, s: &Skeleton, start: usize) -> Option<usize> {
        self.walk(s, start, 0, false).filter(|end| self.bounded(s, start, *end))
    }

    /// Matches elements `k..` from skeleton index `i`; returns the end, or `None`. `literal` says a
    /// Chinese character of the word has been written as itself.
    fn walk(&self, s: &Skeleton, i: usize, k: usize, literal: bool) -> Option<usize> {
        if k == self.elems.len() {
            return (literal || !self.has_hanzi).then_some(i);
        }
        let e = &self.elems[k];
        if s.chars.get(i) == Some(&e.c)
            && self.close(s, i, 1, k)
            && let Some(end) = self.walk(s, i + 1, k + 1, literal || is_hanzi(e.c))
        {
            return Some(end);
        }
        for l in &e.latin {
            let n = l.len();
            let spelled = s.chars.get(i..i + n).is_some_and(|w| w.iter().copied().eq(l.chars()));
            if spelled
                && self.close(s, i, n, k)
                && let Some(end) = self.walk(s, i + n, k + 1, literal)
            {
                return Some(end);
            }
        }
        None
    }

    /// Whether skeleton characters `i..i + n`, and the one before them when the word has begun
    /// (`k > 0`), stand close enough in the original text: at most [`MAX_GAP`] fillers between
    /// neighbours.
    fn close(&self, s: &Skeleton, i: usize, n: usize, k: usize) -> bool {
        let from = if k > 0 { i - 1 } else { i };
        (from..i + n - 1).all(|j| s.at[j + 1] - s.at[j] - 1 <= MAX_GAP)
    }

    /// A match that starts or ends with a Latin letter or digit must not run on into more of them:
    /// `最h` inside 最hot is not 最好, and `100%` inside 1100% is not 100%. The exception characters
    /// are checked here too.
    fn bounded(&self, s: &Skeleton, start: usize, end: usize) -> bool {
        let alnum = |i: usize| s.chars.get(i).is_some_and(char::is_ascii_alphanumeric);
        let before = start > 0 && alnum(start) && alnum(start - 1);
        let after = alnum(end - 1) && alnum(end);
        let excepted = s.chars.get(end).is_some_and(|c| self.unless.contains(c));
        !before && !after && !excepted
    }
}

/// HQ compliance's list, checked and compiled.
#[derive(Debug, Clone)]
pub struct RuleSet {
    words: Vec<WordRule>,
    compiled: Vec<Compiled>,
    /// The words by the characters a match can begin with, so a text is walked once for all of
    /// them, whatever the length of HQ's list, and each position tries only the words it can start.
    by_first: HashMap<char, Vec<usize>>,
}

impl RuleSet {
    /// Checks and compiles a list: words non-empty once spaces and punctuation are dropped, at most
    /// [`MAX_WORD_CHARS`] characters, at most [`MAX_WORDS`] of them, none twice (compared as the lint
    /// compares them, so 穩賺 and 稳赚 are the same word).
    pub fn new(words: Vec<WordRule>) -> Result<Self, RuleSetError> {
        if words.len() > MAX_WORDS {
            return Err(RuleSetError::TooMany { max: MAX_WORDS });
        }
        let mut seen: Vec<Vec<char>> = Vec::with_capacity(words.len());
        for w in &words {
            if w.word.chars().count() > MAX_WORD_CHARS {
                return Err(RuleSetError::WordTooLong { word: w.word.clone(), max: MAX_WORD_CHARS });
            }
            if w.unless_followed_by.chars().count() > MAX_UNLESS_CHARS {
                return Err(RuleSetError::UnlessTooLong { word: w.word.clone(), max: MAX_UNLESS_CHARS });
            }
            let key = skeleton_of_word(&w.word);
            if key.is_empty() {
                return Err(RuleSetError::EmptyWord);
            }
            if seen.contains(&key) {
                return Err(RuleSetError::Duplicate { word: w.word.clone() });
            }
            seen.push(key);
        }
        let compiled: Vec<Compiled> = words.iter().map(|w| Compiled::new(&w.word, &w.unless_followed_by)).collect();
        let mut by_first: HashMap<char, Vec<usize>> = HashMap::new();
        for (i, c) in compiled.iter().enumerate() {
            for f in c.first_chars() {
                by_first.entry(f).or_default().push(i);
            }
        }
        Ok(Self { words, compiled, by_first })
    }

    pub fn words(&self) -> &[WordRule] {
        &self.words
    }

    /// Every match of every word in the skeleton: the word and its `[start, end)` skeleton indices.
    pub(crate) fn find_all(&self, s: &Skeleton) -> Vec<(&WordRule, usize, usize)> {
        let mut out = Vec::new();
        for (start, c) in s.chars.iter().enumerate() {
            for &w in self.by_first.get(c).map_or(&[][..], Vec::as_slice) {
                if let Some(end) = self.compiled[w].match_at(s, start) {
                    out.push((&self.words[w], start, end));
                }
            }
        }
        out
    }
}

/// Guaranteed principal or return, risk-free: blocking.
#[rustfmt::skip]
const GUARANTEED: &[&str] = &[
    "保本", "保息", "保本保息", "保收益", "保证收益", "保证本金", "保底收益", "稳赚", "稳赚不赔", "稳赢",
    "零风险", "无风险", "没有风险", "刚性兑付", "刚兑", "本金无忧", "本息无忧", "只赚不赔", "包赚",
    "旱涝保收", "承诺收益",
];

/// Absolute superlatives: blocking (最高/最低 and 第一 are added apart, below).
#[rustfmt::skip]
const SUPERLATIVES: &[&str] = &[
    "最好", "最佳", "最优", "最安全", "最稳", "唯一", "顶级", "首选", "绝对", "100%", "百分百", "百分之百",
    "万无一失", "史上最", "全网最", "国家级",
];

/// HQ's list to start from, blocking: wealth management sold as a deposit, inside information,
/// gifts tied to buying wealth management (rule 3).
const LISTED_BLOCKING: &[&str] =
    &["内部消息", "内幕", "高息", "存款替代", "替代存款", "等同存款", "收益翻倍", "买理财送", "理财送礼"];

/// HQ's list to start from, warnings: pressure selling, gifts the reviewer should look at.
const LISTED_WARNING: &[&str] = &["限时抢购", "错过再等一年", "名额有限", "返现", "抽奖", "秒杀"];

impl Default for RuleSet {
    /// The defaults HQ starts from (and tests dodge): rule 4's claims and the Advertising Law's
    /// superlatives, blocking; limits people state honestly (最高可贷, 最低起购), warnings; 第一 except
    /// as an ordinal (第一次, 第一步, 第一时间); and the starting list above.
    fn default() -> Self {
        let w = |word: &str, class, blocking, unless: &str| WordRule {
            word: word.to_owned(),
            class,
            blocking,
            unless_followed_by: unless.to_owned(),
        };
        let mut words: Vec<WordRule> = Vec::new();
        words.extend(GUARANTEED.iter().map(|g| w(g, WordClass::Guaranteed, true, "")));
        words.extend(SUPERLATIVES.iter().map(|s| w(s, WordClass::Superlative, true, "")));
        words.push(w("第一", WordClass::Superlative, true, "次步天期季批周年月章条页部个时笔单份节课轮阶站"));
        words.push(w("最高", WordClass::Superlative, false, ""));
        words.push(w("最低", WordClass::Superlative, false, ""));
        words.extend(LISTED_BLOCKING.iter().map(|l| w(l, WordClass::Listed, true, "")));
        words.extend(LISTED_WARNING.iter().map(|l| w(l, WordClass::Listed, false, "")));
        Self::new(words).expect("the default list is valid")
    }
}

/// A yield word: found only with a percentage near it. Blocking when it is a promise or an
/// expectation; a warning when it may be honest past performance.
pub(crate) const YIELD_WORDS: &[(&str, bool)] = &[
    ("预期收益率", true),
    ("预期收益", true),
    ("预期年化", true),
    ("预计收益", true),
    ("预计年化", true),
    ("目标收益", true),
    ("锁定收益", true),
    ("承诺收益率", true),
    ("年化收益率", false),
    ("年化收益", false),
    ("年化回报", false),
    ("收益率", false),
    ("回报率", false),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(word: &str, text: &str) -> Vec<(usize, usize)> {
        let s = Skeleton::of(text);
        Compiled::new(word, "").find_all(&s).into_iter().map(|(a, b)| (s.at[a], s.at[b - 1] + 1)).collect()
    }

    #[test]
    fn a_word_is_found_through_dodges_with_its_original_span() {
        assert_eq!(spans("保本", "本产品保本"), [(3, 5)]);
        assert_eq!(spans("保本", "保 本"), [(0, 3)]);
        assert_eq!(spans("保本", "保-本"), [(0, 3)]);
        assert_eq!(spans("保本", "保。本"), [(0, 3)]);
        assert_eq!(spans("稳赚", "穩賺"), [(0, 2)]);
        assert_eq!(spans("100%", "１００％"), [(0, 4)]);
        assert_eq!(spans("保本", "保b"), [(0, 2)]);
        assert_eq!(spans("保本", "bao本"), [(0, 4)]);
        assert_eq!(spans("稳赚", "wen赚"), [(0, 4)]);
        assert_eq!(spans("稳赚", "稳zh"), [(0, 3)]);
        assert_eq!(spans("无风险", "无f险"), [(0, 3)]);
        assert_eq!(spans("零风险", "零 F E N G 险"), [(0, 11)]);
    }

    #[test]
    fn plain_latin_text_and_runs_into_letters_or_digits_are_not_matches() {
        assert!(spans("保本", "bao ben").is_empty(), "no Chinese character written as itself");
        assert!(spans("稳赚", "wz").is_empty());
        assert!(spans("最好", "最hot产品").is_empty());
        assert!(spans("100%", "1100%").is_empty());
        assert!(spans("100%", "100.5%").is_empty());
        assert!(spans("保本", "abao本").is_empty());
        assert!(spans("保本", "保 。，、 本").is_empty(), "five fillers: too far apart");
        assert_eq!(spans("保本", "保 。， 本"), [(0, 6)], "four fillers: still a dodge");
    }

    #[test]
    fn exceptions_after_the_word_make_it_ordinary() {
        let s = Skeleton::of("第一次开户，第 一名");
        let c = Compiled::new("第一", "次");
        let found: Vec<_> = c.find_all(&s).into_iter().map(|(a, b)| (s.at[a], s.at[b - 1] + 1)).collect();
        assert_eq!(found, [(6, 9)]);
    }

    #[test]
    fn bad_lists_are_refused() {
        let w = |word: &str| WordRule {
            word: word.into(),
            class: WordClass::Listed,
            blocking: true,
            unless_followed_by: String::new(),
        };
        assert_eq!(RuleSet::new(vec![w(" 。")]).unwrap_err(), RuleSetError::EmptyWord);
        assert_eq!(
            RuleSet::new(vec![w("稳赚"), w("穩 賺")]).unwrap_err(),
            RuleSetError::Duplicate { word: "穩 賺".into() }
        );
        assert!(matches!(RuleSet::new(vec![w(&"字".repeat(21))]), Err(RuleSetError::WordTooLong { max: 20, .. })));
        let long_unless = WordRule { unless_followed_by: "0".repeat(MAX_UNLESS_CHARS + 1), ..w("保本") };
        assert_eq!(
            RuleSet::new(vec![long_unless]).unwrap_err(),
            RuleSetError::UnlessTooLong { word: "保本".into(), max: MAX_UNLESS_CHARS }
        );
        let many: Vec<_> = (0..=MAX_WORDS).map(|i| w(&format!("词{i}"))).collect();
        assert_eq!(RuleSet::new(many).unwrap_err(), RuleSetError::TooMany { max: MAX_WORDS });
        for e in [RuleSetError::EmptyWord, RuleSetError::TooMany { max: 1 }] {
            assert!(!e.text().render(siyu_domain::lang::Lang::En).starts_with('?'));
            assert!(!e.code().is_empty());
        }
        let list = RuleSet::default();
        let json = serde_json::to_string(list.words()).unwrap();
        let back: Vec<WordRule> = serde_json::from_str(&json).unwrap();
        assert_eq!(RuleSet::new(back).unwrap().words(), list.words());
    }
}
