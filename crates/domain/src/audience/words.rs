//! The operator's own words for the expression language: the Chinese word (or words) for every keyword,
//! attribute and enumerated value, each standing for one canonical English word, and the nearest known
//! words to one that is not known (for "did you mean …?").
//!
//! The attribute words are the labels the console shows for each attribute, so whatever an operator
//! reads on a screen they can type back.

/// Chinese words and the canonical word each stands for. Longest match wins when Chinese is typed
/// without spaces (`风险等级>=C3且网点="陆家嘴支行"`).
pub const CHINESE: &[(&str, &str)] = &[
    // Connectives and keywords.
    ("且", "and"),
    ("并且", "and"),
    ("和", "and"),
    ("或", "or"),
    ("或者", "or"),
    ("非", "not"),
    ("属于", "in"),
    ("介于", "between"),
    ("近", "within"),
    ("最近", "within"),
    ("天", "d"),
    ("标签", "tag"),
    ("客群", "audience"),
    ("事件", "event"),
    // Attributes, as the console labels them (and the short forms operators say).
    ("资产层级", "aum_tier"),
    ("风险等级", "risk_grade"),
    ("年龄", "age"),
    ("发薪日", "payday"),
    ("性别", "gender"),
    ("网点", "sub_branch"),
    ("代发工资", "payroll"),
    ("信用卡", "credit_card"),
    ("理财客户", "wealth"),
    ("贷款客户", "loan"),
    // Values: yes/no, the genders and the AUM tiers by name.
    ("是", "true"),
    ("否", "false"),
    ("男", "male"),
    ("女", "female"),
    ("大众", "mass"),
    ("大众客户", "mass"),
    ("金卡", "gold"),
    ("金卡客户", "gold"),
    ("白金", "platinum"),
    ("白金客户", "platinum"),
    ("钻石", "diamond"),
    ("钻石客户", "diamond"),
    ("私行", "private"),
    ("私行客户", "private"),
    ("私人银行", "private"),
];

/// The longest Chinese word `chars` starts with, as (its length in characters, its canonical word).
pub fn longest_at(chars: &[char]) -> Option<(usize, &'static str)> {
    CHINESE
        .iter()
        .filter(|(zh, _)| {
            let n = zh.chars().count();
            chars.len() >= n && zh.chars().zip(chars).all(|(a, b)| a == *b)
        })
        .map(|(zh, canon)| (zh.chars().count(), *canon))
        .max_by_key(|(n, _)| *n)
}

/// The Chinese word the console shows for a canonical word, if it has one (the first listed).
pub fn chinese_for(canon: &str) -> Option<&'static str> {
    CHINESE.iter().find(|(_, c)| *c == canon).map(|(zh, _)| *zh)
}

/// Edit distance between two texts, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let keep = prev + usize::from(ca != *cb);
            prev = row[j + 1];
            row[j + 1] = keep.min(prev + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// Most suggestions offered for one unknown word.
pub const MAX_SUGGESTIONS: usize = 3;

/// The known words nearest to `word`: those sharing a prefix with it or containing it (or it them),
/// then those within a few edits, nearest first, at most [`MAX_SUGGESTIONS`]. Case is ignored.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let w = word.trim().to_lowercase();
    if w.is_empty() {
        return Vec::new();
    }
    let limit = (w.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter_map(|k| {
            let kl = k.to_lowercase();
            if kl == w {
                return None;
            }
            let d = distance(&w, &kl);
            let related = kl.starts_with(&w) || w.starts_with(&kl) || kl.contains(&w) || w.contains(&kl);
            (related || d <= limit).then_some((if related { 0 } else { d }, k))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(MAX_SUGGESTIONS).map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_word_wins() {
        let c: Vec<char> = "或者年龄".chars().collect();
        assert_eq!(longest_at(&c), Some((2, "or")));
        let c: Vec<char> = "白金客户".chars().collect();
        assert_eq!(longest_at(&c), Some((4, "platinum")));
        let c: Vec<char> = "陆家嘴".chars().collect();
        assert_eq!(longest_at(&c), None);
    }

    #[test]
    fn near_words_are_suggested_nearest_first() {
        let names = ["陆家嘴支行", "张江支行", "外滩支行"];
        assert_eq!(nearest("陆家嘴", names), ["陆家嘴支行"]);
        assert_eq!(nearest("陆家支行", names), ["陆家嘴支行"]);
        assert_eq!(nearest("risk_grad", ["risk_grade", "age"]), ["risk_grade"]);
        assert_eq!(nearest("SH1", ["SH01", "SH02", "HZ01"]), ["SH01"]);
        assert_eq!(nearest("SH", ["SH01", "SH02", "HZ01"]), ["SH01", "SH02"]);
        assert!(nearest("北京", names).is_empty());
        assert!(nearest("陆家嘴支行", names).is_empty(), "a word that is known needs no suggestion");
    }

    #[test]
    fn every_word_stands_for_a_word_the_parser_knows() {
        for (zh, canon) in CHINESE {
            assert!(!zh.is_empty() && !canon.is_empty());
            assert!(canon.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{canon}");
        }
    }
}
