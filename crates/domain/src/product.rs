//! The bank's products as content and leads name them: the product type, the product risk grade R1–R5
//! and the suitability rule (banking rule 1: a product of grade R*n* only for a customer of grade C*n* or
//! higher whose risk assessment is under a year old).
//!
//! Grades are stored as numbers 1–5 (rule 1); the parsers read the spellings the bank's product files
//! use, so an imported catalogue and a typed form agree.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ProductId;
use crate::customer::{RiskAssessment, RiskGrade};
use crate::lang::Text;

/// What kind of product it is. Wealth management and funds carry the risk disclaimer on every piece of
/// marketing (rule 4), which is why the type is part of the vocabulary and not a free label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    /// 存款: demand and time deposits, large-denomination certificates.
    Deposit,
    /// 理财: bank wealth-management products.
    Wealth,
    /// 基金: mutual funds sold by the bank.
    Fund,
    /// 保险: insurance sold by the bank as an agent.
    Insurance,
    /// 贷款: consumer loans and mortgages.
    Loan,
    /// 银行卡: debit and credit cards (信用卡 is read as this too).
    Card,
}

impl ProductType {
    pub const ALL: [Self; 6] = [Self::Deposit, Self::Wealth, Self::Fund, Self::Insurance, Self::Loan, Self::Card];

    /// The stable code stored and sent over the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Wealth => "wealth",
            Self::Fund => "fund",
            Self::Insurance => "insurance",
            Self::Loan => "loan",
            Self::Card => "card",
        }
    }

    /// The type as people read it (`product_type.<code>` in the catalogue).
    pub fn text(self) -> Text {
        Text::new(&format!("product_type.{}", self.code()))
    }

    /// Reads a type as a product file writes it: the code, the English name or the bank's Chinese word
    /// (with or without 产品/类). Anything else is `None`, so an unknown type is a row problem, not a
    /// silent default.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        let zh = s.strip_suffix("产品").or_else(|| s.strip_suffix('类')).unwrap_or(s);
        let found = match (lower.as_str(), zh) {
            ("deposit", _) | (_, "存款" | "储蓄" | "定期" | "活期" | "大额存单") => Self::Deposit,
            ("wealth" | "wealth management", _) | (_, "理财" | "银行理财") => Self::Wealth,
            ("fund", _) | (_, "基金") => Self::Fund,
            ("insurance", _) | (_, "保险") => Self::Insurance,
            ("loan", _) | (_, "贷款" | "信贷") => Self::Loan,
            ("card" | "credit card" | "debit card", _) | (_, "银行卡" | "信用卡" | "借记卡" | "卡") => {
                Self::Card
            }
            _ => return None,
        };
        Some(found)
    }

    /// Whether its marketing must carry 理财非存款、产品有风险、投资须谨慎 (rule 4).
    pub fn needs_disclaimer(self) -> bool {
        matches!(self, Self::Wealth | Self::Fund)
    }
}

/// A product's risk grade, R1 (low) to R5 (high), as the product's issuer rates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct ProductRiskGrade(u8);

#[cfg(feature = "openapi")]
crate::openapi::one_to_five!(ProductRiskGrade, "Product risk grade, 1 (R1, low) to 5 (R5, high)");

/// The Chinese names the regulator's grading uses, R1 to R5.
const GRADE_NAMES_ZH: [&str; 5] = ["低风险", "中低风险", "中风险", "中高风险", "高风险"];

impl ProductRiskGrade {
    pub fn new(n: u8) -> Option<Self> {
        (1..=5).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Reads `3`, `R3`, `r3`, `PR3` (some issuers' spelling), `R3级`, full-width `Ｒ３`, or the Chinese
    /// name `中风险` (`R3 中风险` and `R3（中风险）` too, when both halves agree). The Chinese names are
    /// the standard ones (低/中低/中/中高/高风险); a bank whose files say 稳健型 writes the number.
    pub fn parse(s: &str) -> Option<Self> {
        let s: String = s.chars().map(crate::validate::half_width).collect();
        let s = s.trim();
        if let Some(n) = GRADE_NAMES_ZH.iter().position(|z| *z == s) {
            return Self::new(n as u8 + 1);
        }
        // "R3 中风险", "R3(中风险)": the code decides, the name must not contradict it.
        let (code, name) = match s.find(|c: char| c == '(' || c == ' ' || !c.is_ascii()) {
            Some(i) => (&s[..i], s[i..].trim_matches(|c: char| c == '(' || c == ')' || c == ' ')),
            None => (s, ""),
        };
        let name = name.strip_prefix('级').map_or(name, str::trim);
        let digits = code.strip_prefix("PR").or_else(|| code.strip_prefix(['R', 'r'])).unwrap_or(code);
        if digits.len() != 1 {
            return None;
        }
        let grade = digits.parse().ok().and_then(Self::new)?;
        (name.is_empty() || name == GRADE_NAMES_ZH[usize::from(grade.0 - 1)]).then_some(grade)
    }

    /// `R3`, as products are labelled in both languages.
    pub fn label(self) -> String {
        format!("R{}", self.0)
    }
}

impl TryFrom<u8> for ProductRiskGrade {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        Self::new(n).ok_or_else(|| format!("product risk grade must be 1-5, got {n}"))
    }
}

impl From<ProductRiskGrade> for u8 {
    fn from(g: ProductRiskGrade) -> u8 {
        g.0
    }
}

/// A product as content, leads and the lint see it. The grade is optional because a catalogue row may
/// arrive without one; such a product may be neither linked to content nor offered (rule 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub kind: ProductType,
    pub risk_grade: Option<ProductRiskGrade>,
}

/// Why a product may not be offered to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unsuitable {
    #[error("the product has no risk grade")]
    ProductUngraded,
    #[error("the customer has no risk assessment")]
    NoAssessment,
    #[error("the customer's risk assessment is over a year old")]
    AssessmentExpired,
    #[error("a C{customer} customer may not be offered an R{product} product")]
    GradeTooLow { customer: u8, product: u8 },
}

impl Unsuitable {
    /// Stable code for the API and the audit.
    pub fn code(self) -> &'static str {
        match self {
            Self::ProductUngraded => "product_ungraded",
            Self::NoAssessment => "no_assessment",
            Self::AssessmentExpired => "assessment_expired",
            Self::GradeTooLow { .. } => "grade_too_low",
        }
    }

    pub fn text(self) -> Text {
        match self {
            Self::ProductUngraded => Text::new("suitability.product_ungraded"),
            Self::NoAssessment => Text::new("suitability.no_assessment"),
            Self::AssessmentExpired => Text::new("suitability.assessment_expired"),
            Self::GradeTooLow { customer, product } => {
                Text::new("suitability.grade_too_low").arg("customer", customer).arg("product", product)
            }
        }
    }
}

/// Banking rule 1: a product of grade R*n* may be recommended or offered only to a customer assessed
/// C*n* or higher on a questionnaire that is current on `today` (the bank date: an assessment counts for
/// one year, [`RiskAssessment::is_current`]). A product without a grade is offered to nobody.
pub fn suitable(
    product: Option<ProductRiskGrade>,
    customer: Option<&RiskAssessment>,
    today: NaiveDate,
) -> Result<(), Unsuitable> {
    let product = product.ok_or(Unsuitable::ProductUngraded)?;
    let assessment = customer.ok_or(Unsuitable::NoAssessment)?;
    if !assessment.is_current(today) {
        return Err(Unsuitable::AssessmentExpired);
    }
    let c: RiskGrade = assessment.grade;
    if c.get() < product.get() {
        return Err(Unsuitable::GradeTooLow { customer: c.get(), product: product.get() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn r(n: u8) -> Option<ProductRiskGrade> {
        ProductRiskGrade::new(n)
    }

    #[test]
    fn grades_read_the_banks_spellings() {
        for (s, n) in [
            ("3", 3),
            ("R3", 3),
            ("r3", 3),
            (" R5 ", 5),
            ("PR2", 2),
            ("R1级", 1),
            ("Ｒ４", 4),
            ("中风险", 3),
            ("中低风险", 2),
            ("高风险", 5),
            ("R3 中风险", 3),
            ("R3（中风险）", 3),
            ("R2(中低风险)", 2),
        ] {
            assert_eq!(ProductRiskGrade::parse(s), r(n), "{s}");
        }
    }

    #[test]
    fn bad_grades_are_refused() {
        for s in ["", "R0", "R6", "6", "0", "C3", "R", "R33", "R3 高风险", "风险", "R-3", "三", "R3.5", "𝟑"] {
            assert_eq!(ProductRiskGrade::parse(s), None, "{s}");
        }
        assert!(ProductRiskGrade::try_from(6).is_err());
        assert_eq!(ProductRiskGrade::new(3).map(ProductRiskGrade::label).as_deref(), Some("R3"));
    }

    #[test]
    fn grades_serialise_as_numbers() {
        assert_eq!(serde_json::to_string(&r(4).unwrap()).unwrap(), "4");
        assert!(serde_json::from_str::<ProductRiskGrade>("7").is_err());
    }

    #[test]
    fn types_read_codes_and_the_banks_words() {
        for (s, t) in [
            ("deposit", ProductType::Deposit),
            ("大额存单", ProductType::Deposit),
            ("理财", ProductType::Wealth),
            ("理财产品", ProductType::Wealth),
            ("Wealth Management", ProductType::Wealth),
            ("基金", ProductType::Fund),
            ("保险", ProductType::Insurance),
            ("贷款", ProductType::Loan),
            ("信用卡", ProductType::Card),
            ("银行卡", ProductType::Card),
        ] {
            assert_eq!(ProductType::parse(s), Some(t), "{s}");
        }
        for s in ["", "股票", "fundx", "理财理财"] {
            assert_eq!(ProductType::parse(s), None, "{s}");
        }
        for t in ProductType::ALL {
            assert_eq!(ProductType::parse(t.code()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.code()));
        }
        assert!(ProductType::Wealth.needs_disclaimer() && ProductType::Fund.needs_disclaimer());
        assert!(!ProductType::Deposit.needs_disclaimer() && !ProductType::Insurance.needs_disclaimer());
    }

    #[test]
    fn suitability_needs_a_grade_a_current_assessment_and_enough_tolerance() {
        let c = |n, on| RiskAssessment { grade: RiskGrade::new(n).unwrap(), assessed_on: on };
        let today = d(2026, 6, 1);
        assert_eq!(suitable(r(3), Some(&c(3, d(2026, 1, 1))), today), Ok(()));
        assert_eq!(suitable(r(3), Some(&c(5, d(2026, 1, 1))), today), Ok(()), "higher tolerance");
        assert_eq!(
            suitable(r(4), Some(&c(3, d(2026, 1, 1))), today),
            Err(Unsuitable::GradeTooLow { customer: 3, product: 4 })
        );
        assert_eq!(suitable(r(1), None, today), Err(Unsuitable::NoAssessment));
        assert_eq!(suitable(None, Some(&c(5, d(2026, 1, 1))), today), Err(Unsuitable::ProductUngraded));
        // A year to the day has passed: expired, whatever the grade.
        assert_eq!(suitable(r(1), Some(&c(5, d(2025, 6, 1))), today), Err(Unsuitable::AssessmentExpired));
        assert_eq!(suitable(r(1), Some(&c(5, d(2025, 6, 2))), today), Ok(()));
        // An assessment dated after today (a clock or data error) does not count.
        assert_eq!(suitable(r(1), Some(&c(5, d(2026, 6, 2))), today), Err(Unsuitable::AssessmentExpired));
    }

    #[test]
    fn refusals_have_codes_and_catalogue_words() {
        for u in [
            Unsuitable::ProductUngraded,
            Unsuitable::NoAssessment,
            Unsuitable::AssessmentExpired,
            Unsuitable::GradeTooLow { customer: 2, product: 4 },
        ] {
            assert!(!u.code().is_empty());
            let zh = u.text().render(crate::lang::Lang::Zh);
            assert!(!zh.starts_with(crate::lang::MISSING), "{zh}");
        }
        for t in ProductType::ALL {
            assert!(!t.text().render(crate::lang::Lang::En).starts_with(crate::lang::MISSING));
        }
    }
}
