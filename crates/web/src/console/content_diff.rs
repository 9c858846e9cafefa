//! A small word diff for the reviewer's page: what a version changed against the item's last
//! approved one, as runs kept, deleted and inserted (shown with `<del>` and `<ins>`).
//!
//! Chinese has no spaces, so a token is one CJK character, a run of letters or digits, or one other
//! character. The longest common subsequence is found on tokens when the table stays small (two
//! versions of an ordinary item), on lines when it would not, and past that the old text is shown
//! deleted and the new one inserted whole: a reviewer always sees every change, cost bounded.

/// One run of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    Same(String),
    Deleted(String),
    Inserted(String),
}

/// The most cells the LCS table may have (4 bytes each: 16 MiB at most).
const MAX_CELLS: usize = 4_000_000;

fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_ascii_alphanumeric();
        match (start, word) {
            (Some(_), true) => {}
            (None, true) => start = Some(i),
            (s, false) => {
                if let Some(s) = s {
                    out.push(&text[s..i]);
                    start = None;
                }
                out.push(&text[i..i + c.len_utf8()]);
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The runs that turn `old` into `new`.
pub fn diff(old: &str, new: &str) -> Vec<Run> {
    let (a, b) = (tokens(old), tokens(new));
    if a.len().saturating_mul(b.len()) <= MAX_CELLS {
        return lcs(&a, &b);
    }
    let (a, b) = (lines(old), lines(new));
    if a.len().saturating_mul(b.len()) <= MAX_CELLS {
        return lcs(&a, &b);
    }
    let mut out = Vec::new();
    if !old.is_empty() {
        out.push(Run::Deleted(old.to_owned()));
    }
    if !new.is_empty() {
        out.push(Run::Inserted(new.to_owned()));
    }
    out
}

fn push(out: &mut Vec<Run>, run: Run) {
    match (out.last_mut(), run) {
        (Some(Run::Same(s)), Run::Same(t))
        | (Some(Run::Deleted(s)), Run::Deleted(t))
        | (Some(Run::Inserted(s)), Run::Inserted(t)) => s.push_str(&t),
        (_, run) => out.push(run),
    }
}

fn lcs(a: &[&str], b: &[&str]) -> Vec<Run> {
    let (n, m) = (a.len(), b.len());
    // table[i][j]: the LCS length of a[i..] and b[j..].
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] =
                if a[i] == b[j] { table[at(i + 1, j + 1)] + 1 } else { table[at(i + 1, j)].max(table[at(i, j + 1)]) };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            push(&mut out, Run::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || table[at(i + 1, j)] >= table[at(i, j + 1)]) {
            // Deleted before inserted, so a changed word reads old then new.
            push(&mut out, Run::Deleted(a[i].to_owned()));
            i += 1;
        } else {
            push(&mut out, Run::Inserted(b[j].to_owned()));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_word_is_deleted_and_inserted_and_the_rest_kept() {
        let d = diff("稳健理财 90 days", "稳健理财 180 days");
        assert_eq!(
            d,
            [
                Run::Same("稳健理财 ".into()),
                Run::Deleted("90".into()),
                Run::Inserted("180".into()),
                Run::Same(" days".into())
            ]
        );
        assert_eq!(diff("", "新"), [Run::Inserted("新".into())]);
        assert_eq!(diff("同", "同"), [Run::Same("同".into())]);
    }

    #[test]
    fn a_long_text_falls_back_to_lines_and_keeps_every_change() {
        let old = "甲".repeat(3000) + "\n乙\n";
        let new = "甲".repeat(3000) + "\n丙\n";
        let d = diff(&old, &new);
        assert!(d.contains(&Run::Deleted("乙\n".into())) && d.contains(&Run::Inserted("丙\n".into())), "{d:?}");
    }
}
