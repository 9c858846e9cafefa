//! How the lint sees a text: every character folded one to one (full-width to half-width, ASCII to
//! lower case, traditional to simplified), and the "skeleton" of what is left when spaces and
//! punctuation are dropped, each character remembering where it stood in the original.
//!
//! Folding is one character to one character on purpose: a finding's span is then exactly the
//! characters the author typed, however the word was dodged. (NFKC would also fold full-width forms,
//! but it turns one character into several — ㍿ into 株式会社 — and would blur that mapping; the
//! full-width block is all a dodger needs, and `half_width` covers it.)
//!
//! The traditional table covers the characters of the default words, the yield words and the
//! disclaimer (and a few variants such as 穏, 証); a word HQ adds that uses other characters is found
//! in simplified and in whatever form HQ typed it. The pinyin table likewise covers those characters:
//! a configured word's other characters match only as themselves.

use siyu_domain::validate::half_width;

/// Traditional (and variant) forms to the simplified ones the words are written in.
#[rustfmt::skip]
const TRADITIONAL: &[(char, char)] = &[
    ('證', '证'), ('証', '证'), ('穩', '稳'), ('穏', '稳'), ('賺', '赚'), ('賠', '赔'), ('贏', '赢'), ('風', '风'),
    ('險', '险'), ('険', '险'), ('無', '无'), ('沒', '没'), ('剛', '刚'), ('兌', '兑'), ('憂', '忧'), ('隻', '只'),
    ('澇', '涝'), ('諾', '诺'), ('優', '优'), ('頂', '顶'), ('級', '级'), ('選', '选'), ('絕', '绝'), ('對', '对'),
    ('萬', '万'), ('網', '网'), ('國', '国'), ('內', '内'), ('時', '时'), ('搶', '抢'), ('購', '购'), ('錯', '错'),
    ('過', '过'), ('額', '额'), ('買', '买'), ('財', '财'), ('禮', '礼'), ('現', '现'), ('獎', '奖'), ('殺', '杀'),
    ('預', '预'), ('計', '计'), ('報', '报'), ('標', '标'), ('鎖', '锁'), ('產', '产'), ('資', '资'), ('須', '须'),
    ('謹', '谨'), ('倖', '幸'), ('衝', '冲'), ('億', '亿'), ('價', '价'), ('實', '实'), ('權', '权'), ('與', '与'),
];

/// Pinyin of the words' characters, for the dodge of writing some of them in Latin letters
/// (保b, bao本, wen赚). Each syllable also matches by its initial (`b`), and zh/ch/sh by theirs.
#[rustfmt::skip]
const PINYIN: &[(char, &str)] = &[
    ('保', "bao"), ('本', "ben"), ('息', "xi"), ('收', "shou"), ('益', "yi"), ('证', "zheng"), ('金', "jin"),
    ('稳', "wen"), ('赚', "zhuan"), ('不', "bu"), ('赔', "pei"), ('赢', "ying"), ('零', "ling"), ('风', "feng"),
    ('险', "xian"), ('无', "wu"), ('没', "mei"), ('有', "you"), ('刚', "gang"), ('性', "xing"), ('兑', "dui"),
    ('付', "fu"), ('底', "di"), ('忧', "you"), ('只', "zhi"), ('包', "bao"), ('旱', "han"), ('涝', "lao"),
    ('承', "cheng"), ('诺', "nuo"), ('最', "zui"), ('好', "hao"), ('佳', "jia"), ('优', "you"), ('高', "gao"),
    ('安', "an"), ('全', "quan"), ('低', "di"), ('第', "di"), ('一', "yi"), ('唯', "wei"), ('顶', "ding"),
    ('级', "ji"), ('首', "shou"), ('选', "xuan"), ('绝', "jue"), ('对', "dui"), ('百', "bai"), ('分', "fen"),
    ('之', "zhi"), ('万', "wan"), ('失', "shi"), ('史', "shi"), ('上', "shang"), ('网', "wang"), ('国', "guo"),
    ('家', "jia"), ('内', "nei"), ('部', "bu"), ('消', "xiao"), ('幕', "mu"), ('存', "cun"), ('款', "kuan"),
    ('替', "ti"), ('代', "dai"), ('等', "deng"), ('同', "tong"), ('翻', "fan"), ('倍', "bei"), ('限', "xian"),
    ('时', "shi"), ('抢', "qiang"), ('购', "gou"), ('错', "cuo"), ('过', "guo"), ('再', "zai"), ('年', "nian"),
    ('名', "ming"), ('额', "e"), ('买', "mai"), ('理', "li"), ('财', "cai"), ('送', "song"), ('礼', "li"),
    ('返', "fan"), ('现', "xian"), ('抽', "chou"), ('奖', "jiang"), ('秒', "miao"), ('杀', "sha"), ('预', "yu"),
    ('期', "qi"), ('率', "lv"), ('计', "ji"), ('化', "hua"), ('回', "hui"), ('报', "bao"), ('目', "mu"),
    ('标', "biao"), ('锁', "suo"), ('定', "ding"),
];

/// One character as the lint compares it.
pub(crate) fn fold(c: char) -> char {
    let c = half_width(c).to_ascii_lowercase();
    TRADITIONAL.iter().find(|(t, _)| *t == c).map_or(c, |(_, s)| *s)
}

/// Whether a (folded) character is what a dodger puts inside a word: spaces, punctuation, symbols,
/// emoji, zero-width and combining characters. `%` is not: it is part of 100% and of a yield.
pub(crate) fn is_filler(c: char) -> bool {
    if c.is_ascii() {
        return c != '%' && !c.is_ascii_alphanumeric();
    }
    c.is_whitespace()
        || matches!(c,
            '\u{00a0}'..='\u{00bf}' | '\u{00d7}' | '\u{00f7}'
            | '\u{0300}'..='\u{036f}'
            | '\u{2000}'..='\u{2bff}'
            | '\u{3000}'..='\u{303f}'
            | '\u{30fb}'
            | '\u{fe00}'..='\u{fe6f}'
            | '\u{feff}'
            | '\u{ff00}'..='\u{ff65}'
            | '\u{ffe0}'..='\u{ffee}'
            | '\u{1f000}'..='\u{1faff}'
            | '\u{e0000}'..='\u{e007f}')
}

/// Whether a character is a Chinese character (the lint's unit of "literally written").
pub(crate) fn is_hanzi(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// The pinyin of a simplified character, if the table has it.
pub(crate) fn pinyin(c: char) -> Option<&'static str> {
    PINYIN.iter().find(|(h, _)| *h == c).map(|(_, p)| *p)
}

/// The traditional forms the table knows for a simplified character (for tests that dodge with them).
pub fn traditional_forms(c: char) -> impl Iterator<Item = char> {
    TRADITIONAL.iter().filter(move |(_, s)| *s == c).map(|(t, _)| *t)
}

/// The Latin spellings of a character a dodger may use: its pinyin, its zh/ch/sh initial, its first
/// letter. Longest first, so a match takes the whole syllable when it can.
pub fn latin_spellings(c: char) -> Vec<&'static str> {
    let Some(p) = pinyin(c) else { return Vec::new() };
    let mut out = vec![p];
    if ["zh", "ch", "sh"].iter().any(|d| p.starts_with(d) && p.len() > 2) {
        out.push(&p[..2]);
    }
    if p.len() > 1 {
        out.push(&p[..1]);
    }
    out
}

/// A text's folded characters without fillers, each with its index in the original characters.
#[derive(Debug)]
pub(crate) struct Skeleton {
    pub chars: Vec<char>,
    pub at: Vec<usize>,
}

impl Skeleton {
    pub fn of(text: &str) -> Self {
        let mut chars = Vec::with_capacity(text.len());
        let mut at = Vec::with_capacity(text.len());
        for (i, c) in text.chars().enumerate() {
            let f = fold(c);
            if !is_filler(f) {
                chars.push(f);
                at.push(i);
            }
        }
        Self { chars, at }
    }

    /// Whether `needle` (already a skeleton) occurs anywhere.
    pub fn contains(&self, needle: &[char]) -> bool {
        !needle.is_empty() && self.chars.windows(needle.len()).any(|w| w == needle)
    }
}

/// A word as the lint compares it: folded, fillers dropped.
pub(crate) fn skeleton_of_word(word: &str) -> Vec<char> {
    word.chars().map(fold).filter(|c| !is_filler(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_is_one_to_one_and_keeps_positions() {
        let s = Skeleton::of("穩 賺-１００％，ＢＡＯ本");
        assert_eq!(s.chars.iter().collect::<String>(), "稳赚100%bao本");
        assert_eq!(s.at, [0, 2, 4, 5, 6, 7, 9, 10, 11, 12]);
    }

    #[test]
    fn fillers_are_punctuation_spaces_and_symbols_not_letters_digits_or_percent() {
        for c in [
            ' ', '-', '.', '。', '，', '、', '·', '\u{200b}', '\u{3000}', '★', '😀', '\n', '\u{feff}', '…', '￥', '【',
            '「',
        ] {
            assert!(is_filler(fold(c)), "{c:?}");
        }
        for c in ['保', 'a', '7', '%', '％', 'Ｚ', '本'] {
            assert!(!is_filler(fold(c)), "{c:?}");
        }
    }

    #[test]
    fn every_table_entry_is_consistent() {
        for (t, s) in TRADITIONAL {
            assert_ne!(t, s);
            assert!(is_hanzi(*t) && is_hanzi(*s));
            assert!(TRADITIONAL.iter().all(|(t2, _)| t2 != s), "{s} is itself folded");
        }
        for (h, p) in PINYIN {
            assert!(is_hanzi(*h) && p.bytes().all(|b| b.is_ascii_lowercase()), "{h}");
            assert_eq!(PINYIN.iter().filter(|(h2, _)| h2 == h).count(), 1, "{h} twice");
        }
        assert_eq!(latin_spellings('赚'), ["zhuan", "zh", "z"]);
        assert_eq!(latin_spellings('额'), ["e"]);
        assert!(latin_spellings('猫').is_empty());
    }
}
