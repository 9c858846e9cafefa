//! Audience expressions (圈选客群): which customers an operation is for, as a typed tree with a text
//! form operators can read and type —
//!
//! ```text
//! tag("代发") and aum_tier >= 3 and not tag("已购基金")
//!   and (age between 30 and 50 or payday in [5, 10])
//!   and event("link_open") >= 2 within 30d
//! ```
//!
//! The text parses into an [`Expr`] and prints back to the same text ([`print`] is the inverse of
//! [`parse`] on printed forms). Parsing checks names, types and ranges, and every error points at the
//! character where it went wrong. Evaluation lives in the audience engine, not here.

mod parse;
mod print;
pub mod words;

pub use parse::{ParseError, parse};
pub use print::print;
pub use words::nearest;

/// Deepest nesting accepted: deeper trees are refused rather than risking the stack.
pub const MAX_DEPTH: usize = 32;
/// Most conditions in one expression.
pub const MAX_NODES: usize = 500;

/// An audience expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All hold (two or more, none itself an `And`).
    And(Vec<Expr>),
    /// Any holds (two or more, none itself an `Or`).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// The customer has this tag.
    Tag(String),
    /// A condition on a customer attribute.
    Attr {
        attr: Attr,
        cmp: Cmp,
    },
    /// Event `name` happened at least `min_count` times in the last `within_days` days.
    Event {
        name: String,
        min_count: u32,
        within_days: u32,
    },
    /// Members of another saved audience, by its id (`aud_12`).
    Audience(String),
}

/// A customer attribute an expression can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attr {
    AumTier,
    RiskGrade,
    Age,
    Payday,
    Gender,
    SubBranch,
    Payroll,
    CreditCard,
    Wealth,
    Loan,
}

/// What kind of value an attribute holds, and its bounds for integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    Int { min: i64, max: i64 },
    Text,
    Bool,
}

impl Attr {
    pub const ALL: [Self; 10] = [
        Self::AumTier,
        Self::RiskGrade,
        Self::Age,
        Self::Payday,
        Self::Gender,
        Self::SubBranch,
        Self::Payroll,
        Self::CreditCard,
        Self::Wealth,
        Self::Loan,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::AumTier => "aum_tier",
            Self::RiskGrade => "risk_grade",
            Self::Age => "age",
            Self::Payday => "payday",
            Self::Gender => "gender",
            Self::SubBranch => "sub_branch",
            Self::Payroll => "payroll",
            Self::CreditCard => "credit_card",
            Self::Wealth => "wealth",
            Self::Loan => "loan",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }

    pub fn kind(self) -> AttrType {
        match self {
            Self::AumTier | Self::RiskGrade => AttrType::Int { min: 1, max: 5 },
            Self::Age => AttrType::Int { min: 0, max: 150 },
            Self::Payday => AttrType::Int { min: 1, max: 31 },
            Self::Gender | Self::SubBranch => AttrType::Text,
            Self::Payroll | Self::CreditCard | Self::Wealth | Self::Loan => AttrType::Bool,
        }
    }
}

/// A literal in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// How an attribute is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmp {
    Eq(Value),
    Ne(Value),
    Lt(i64),
    Le(i64),
    Gt(i64),
    Ge(i64),
    /// One of these (one or more).
    In(Vec<Value>),
    /// Inclusive range, low ≤ high.
    Between(i64, i64),
}

impl Expr {
    /// Conditions in the tree (every node counts).
    pub fn size(&self) -> usize {
        match self {
            Expr::And(v) | Expr::Or(v) => 1 + v.iter().map(Expr::size).sum::<usize>(),
            Expr::Not(e) => 1 + e.size(),
            _ => 1,
        }
    }

    pub fn depth(&self) -> usize {
        match self {
            Expr::And(v) | Expr::Or(v) => 1 + v.iter().map(Expr::depth).max().unwrap_or(0),
            Expr::Not(e) => 1 + e.depth(),
            _ => 1,
        }
    }

    /// Every tag the expression mentions (for checking they exist).
    pub fn tags(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Tag(t) = e {
                out.push(t.as_str());
            }
        });
        out
    }

    /// Every saved audience the expression refers to.
    pub fn audiences(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Audience(a) = e {
                out.push(a.as_str());
            }
        });
        out
    }

    /// Every sub-branch code the expression names (`sub_branch = "SH01"`, `sub_branch in [...]`).
    pub fn sub_branch_codes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Attr { attr: Attr::SubBranch, cmp } = e {
                let values = match cmp {
                    Cmp::Eq(v) | Cmp::Ne(v) => std::slice::from_ref(v),
                    Cmp::In(vs) => vs.as_slice(),
                    _ => &[],
                };
                out.extend(values.iter().filter_map(|v| match v {
                    Value::Text(code) => Some(code.as_str()),
                    _ => None,
                }));
            }
        });
        out
    }

    /// Renames sub-branch code `from` to `to` wherever the expression names it (a unit's code
    /// changed, and the expression must keep meaning the same unit); whether anything changed.
    pub fn rename_sub_branch(&mut self, from: &str, to: &str) -> bool {
        match self {
            Expr::And(v) | Expr::Or(v) => {
                v.iter_mut().fold(false, |changed, e| e.rename_sub_branch(from, to) | changed)
            }
            Expr::Not(e) => e.rename_sub_branch(from, to),
            Expr::Attr { attr: Attr::SubBranch, cmp } => {
                let values = match cmp {
                    Cmp::Eq(v) | Cmp::Ne(v) => std::slice::from_mut(v),
                    Cmp::In(vs) => vs.as_mut_slice(),
                    _ => &mut [],
                };
                let mut changed = false;
                for v in values {
                    if matches!(v, Value::Text(code) if code == from) {
                        *v = Value::Text(to.to_owned());
                        changed = true;
                    }
                }
                changed
            }
            _ => false,
        }
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.walk(f)),
            Expr::Not(e) => e.walk(f),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sub_branch_code_is_renamed_wherever_it_is_named() {
        let mut e = parse(
            r#"sub_branch = "SH01" or (not sub_branch in ["SH02", "SH01"] and tag("代发")) or sub_branch != "SH01""#,
        )
        .unwrap();
        assert_eq!(e.sub_branch_codes(), ["SH01", "SH02", "SH01", "SH01"]);
        assert!(e.rename_sub_branch("SH01", "PD01"));
        assert_eq!(
            print(&e),
            print(
                &parse(r#"sub_branch = "PD01" or (not sub_branch in ["SH02", "PD01"] and tag("代发")) or sub_branch != "PD01""#)
                    .unwrap()
            )
        );
        assert!(!e.rename_sub_branch("SH01", "PD01"), "nothing left to rename");
        // A tag or a saved audience that happens to read like a code is not a sub-branch.
        let mut t = parse(r#"tag("SH01") and audience("SH01")"#).unwrap();
        assert!(!t.rename_sub_branch("SH01", "PD01"));
    }
}
