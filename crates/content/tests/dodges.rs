//! The lint against the ways people dodge a word list, on random texts: every default word, written
//! with spaces and punctuation inside, full-width, in traditional characters or partly in pinyin, is
//! found with a span of exactly the characters it was written as; text of safe characters is never
//! flagged.

use proptest::prelude::*;
use siyu_content::lint::normalise::{latin_spellings, traditional_forms};
use siyu_content::lint::{Context, RuleSet, lint};

/// What a dodger puts between the characters of a word.
const FILLERS: &[char] =
    &[' ', '-', '。', '·', '*', '_', '\u{200b}', '，', '\u{3000}', '、', '~', '😀', '/', '！', '\n', '…'];

/// Characters that are in no default word, no yield word and no exception, chosen from a fixed
/// stock at run time so the test follows the list.
fn safe_hanzi() -> Vec<char> {
    let rules = RuleSet::default();
    let mut used: String =
        rules.words().iter().flat_map(|w| [w.word.as_str(), w.unless_followed_by.as_str()]).collect();
    used.push_str("预期收益率年化回报计目标锁定承诺");
    let safe: Vec<char> = "今天我们聊聊孩子教育和生活里的小事情春夏秋冬山水花草鸟鱼请看这篇文章介绍团队"
        .chars()
        .filter(|c| !used.contains(*c))
        .collect();
    assert!(safe.len() >= 10, "enough safe characters: {safe:?}");
    safe
}

fn full_width(c: char) -> char {
    if c.is_ascii_graphic() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }
}

/// How one character of the word is written.
#[derive(Debug, Clone)]
enum Way {
    AsItIs,
    Traditional(usize),
    Latin { spelling: usize, upper: bool, wide: bool },
    Wide,
}

fn way() -> impl Strategy<Value = Way> {
    prop_oneof![
        Just(Way::AsItIs),
        (0usize..3).prop_map(Way::Traditional),
        (0usize..3, any::<bool>(), any::<bool>()).prop_map(|(spelling, upper, wide)| Way::Latin {
            spelling,
            upper,
            wide
        }),
        Just(Way::Wide),
    ]
}

/// The word written one way or another; at least one Chinese character stays one (as itself or in its
/// traditional form), as the lint requires.
fn dodge(word: &str, ways: &[Way], gaps: &[Vec<usize>]) -> String {
    let chars: Vec<char> = word.chars().collect();
    let hanzi: Vec<usize> = (0..chars.len()).filter(|i| ('\u{4e00}'..='\u{9fff}').contains(&chars[*i])).collect();
    let keep = hanzi.get(gaps[0].first().copied().unwrap_or(0) % hanzi.len().max(1)).copied();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 {
            out.extend(gaps[i].iter().map(|g| FILLERS[g % FILLERS.len()]));
        }
        let way = if Some(i) == keep && matches!(ways[i], Way::Latin { .. }) { &Way::AsItIs } else { &ways[i] };
        match way {
            Way::AsItIs => out.push(*c),
            Way::Wide => out.push(full_width(*c)),
            Way::Traditional(n) => {
                let forms: Vec<char> = traditional_forms(*c).collect();
                out.push(if forms.is_empty() { *c } else { forms[n % forms.len()] });
            }
            Way::Latin { spelling, upper, wide } => {
                let spellings = latin_spellings(*c);
                // The pinyin table covers every Chinese character of the default words.
                assert!(!spellings.is_empty() || !('\u{4e00}'..='\u{9fff}').contains(c), "no pinyin for {c}");
                if spellings.is_empty() {
                    out.push(*c);
                    continue;
                }
                for l in spellings[spelling % spellings.len()].chars() {
                    let l = if *upper { l.to_ascii_uppercase() } else { l };
                    out.push(if *wide { full_width(l) } else { l });
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_default_word_is_found_however_it_is_dodged(
        pick in any::<prop::sample::Index>(),
        ways in prop::collection::vec(way(), 20),
        gaps in prop::collection::vec(prop::collection::vec(0usize..100, 0..=3), 20),
        before in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        after in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let rules = RuleSet::default();
        let safe = safe_hanzi();
        let word = &rules.words()[pick.index(rules.words().len())].word;
        let n = word.chars().count();
        let dodged = dodge(word, &ways[..n], &gaps);
        let prefix: String = before.iter().map(|i| safe[i.index(safe.len())]).collect();
        let suffix: String = after.iter().map(|i| safe[i.index(safe.len())]).collect();
        let text = format!("{prefix}{dodged}{suffix}");
        let start = prefix.chars().count();
        let end = start + dodged.chars().count();
        let findings = lint(&text, &Context { products: &[], category: None, rules: &rules });
        prop_assert!(
            findings.iter().any(|f| (f.start, f.end) == (start, end)),
            "{word} written as {dodged:?} in {text:?}: {findings:?}"
        );
    }

    #[test]
    fn text_without_a_forbidden_word_has_no_finding(
        picks in prop::collection::vec((0u8..4, any::<prop::sample::Index>()), 0..200),
    ) {
        let rules = RuleSet::default();
        let safe = safe_hanzi();
        let latin: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
        let text: String = picks
            .iter()
            .map(|(class, i)| match class {
                0 | 1 => safe[i.index(safe.len())],
                2 => latin[i.index(latin.len())],
                _ => FILLERS[i.index(FILLERS.len())],
            })
            .collect();
        let findings = lint(&text, &Context { products: &[], category: None, rules: &rules });
        prop_assert!(findings.is_empty(), "{text:?}: {findings:?}");
    }
}

/// The plain pinyin of every default word, with no Chinese character in it, is not a finding: that
/// is what keeps English and pinyin text unflagged.
#[test]
fn whole_words_in_pinyin_are_not_findings() {
    let rules = RuleSet::default();
    for w in rules.words() {
        let spelled: Vec<&str> = w.word.chars().map(|c| latin_spellings(c).first().copied().unwrap_or("x")).collect();
        let text = spelled.join(" ");
        assert!(lint(&text, &Context { products: &[], category: None, rules: &rules }).is_empty(), "{text}");
    }
}
