//! Saved expressions (audiences and rule tags) name sub-branches by code, so a change of code rewrites
//! them in the same transaction, and a code they name cannot be given to another sub-branch.

use siyu_domain::audience::{parse, print};

use crate::StoreError;

/// A saved audience or a rule tag, with the text of its expression.
#[derive(Debug, Clone)]
pub struct SavedExpression {
    /// `true` for a saved audience, `false` for a rule tag.
    pub audience: bool,
    pub id: i64,
    pub name: String,
    pub text: String,
}

/// `text` with sub-branch code `from` renamed to `to`, printed canonically; `None` if it does not name
/// `from` (or, stored before the parser changed, does not parse: it then names nothing we could rename).
pub fn rename_sub_branch(text: &str, from: &str, to: &str) -> Option<String> {
    let mut expr = parse(text).ok()?;
    expr.rename_sub_branch(from, to).then(|| print(&expr))
}

/// The refusal to give `code` to a sub-branch while saved expressions name it (they were written
/// about another unit, or about none): they would start counting that sub-branch's customers.
pub fn code_in_use(saved: &[SavedExpression], code: &str) -> Option<StoreError> {
    let naming: Vec<&SavedExpression> =
        saved.iter().filter(|s| parse(&s.text).is_ok_and(|e| e.sub_branch_codes().contains(&code))).collect();
    if naming.is_empty() {
        return None;
    }
    let zh: Vec<String> =
        naming.iter().map(|s| format!("{}“{}”", if s.audience { "客群" } else { "规则标签" }, s.name)).collect();
    let en: Vec<String> = naming
        .iter()
        .map(|s| format!("{} “{}”", if s.audience { "saved audience" } else { "rule tag" }, s.name))
        .collect();
    Some(StoreError::Conflict(format!(
        "{}引用了网点代码“{code}”，请先修改它们 / {} name sub-branch code “{code}”: change them first",
        zh.join("、"),
        en.join(", ")
    )))
}
