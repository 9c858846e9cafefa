//! Customers: who they are to the bank (number, segments, AUM tier, risk grade), what they consented
//! to, and who serves them.
//!
//! Phone and ID numbers never appear here in clear: a [`Customer`] carries their masked forms only. The
//! clear values live in a [`CustomerDraft`] on their way in, are sealed by the vault, and come back out
//! only through an audited reveal.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{CustomerId, OrgUnitId, StaffId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    #[default]
    Unknown,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Unknown => "unknown",
        }
    }

    /// Reads `male`/`female`, `M`/`F`, `男`/`女`; anything else is unknown rather than an error, since
    /// bank files leave gender blank often and it decides nothing.
    pub fn parse_lenient(s: &str) -> Self {
        match s.trim() {
            "male" | "M" | "m" | "男" | "1" => Self::Male,
            "female" | "F" | "f" | "女" | "2" => Self::Female,
            _ => Self::Unknown,
        }
    }
}

/// Assets under management tier, 1 (mass) to 5 (private banking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct AumTier(u8);

impl AumTier {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn new(n: u8) -> Option<Self> {
        (Self::MIN..=Self::MAX).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The tier for an AUM in yuan: <5万, 5万–50万, 50万–300万, 300万–600万, ≥600万.
    pub fn for_aum_yuan(aum: i64) -> Self {
        Self(match aum {
            ..50_000 => 1,
            50_000..500_000 => 2,
            500_000..3_000_000 => 3,
            3_000_000..6_000_000 => 4,
            _ => 5,
        })
    }

    /// Name in Chinese, as relationship managers say it.
    pub fn name_zh(self) -> &'static str {
        ["大众客户", "金卡客户", "白金客户", "钻石客户", "私行客户"][usize::from(self.0 - 1)]
    }

    pub fn name_en(self) -> &'static str {
        ["Mass", "Gold", "Platinum", "Diamond", "Private"][usize::from(self.0 - 1)]
    }
}

impl TryFrom<u8> for AumTier {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        Self::new(n).ok_or_else(|| format!("AUM tier must be 1-5, got {n}"))
    }
}

impl From<AumTier> for u8 {
    fn from(t: AumTier) -> u8 {
        t.0
    }
}

/// A customer's risk tolerance from the questionnaire, C1 (conservative) to C5 (aggressive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct RiskGrade(u8);

impl RiskGrade {
    pub fn new(n: u8) -> Option<Self> {
        (1..=5).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Reads `3`, `C3` or `c3`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let digits = s.strip_prefix(['C', 'c']).unwrap_or(s);
        digits.parse().ok().and_then(Self::new)
    }
}

impl TryFrom<u8> for RiskGrade {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        Self::new(n).ok_or_else(|| format!("risk grade must be 1-5, got {n}"))
    }
}

impl From<RiskGrade> for u8 {
    fn from(g: RiskGrade) -> u8 {
        g.0
    }
}

/// A risk grade with the date of the questionnaire that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub grade: RiskGrade,
    pub assessed_on: NaiveDate,
}

impl RiskAssessment {
    /// An assessment counts for one year: a product may be recommended only while it is current.
    pub fn is_current(&self, today: NaiveDate) -> bool {
        let expires = self.assessed_on.with_year(self.assessed_on.year() + 1).unwrap_or_else(|| {
            // 29 February: the anniversary falls on 1 March.
            NaiveDate::from_ymd_opt(self.assessed_on.year() + 1, 3, 1).expect("1 March exists")
        });
        self.assessed_on <= today && today < expires
    }
}

/// Which business lines the customer holds; the audience engine and journeys select on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Segments {
    /// Day of month (1–31) the salary arrives, for payroll (代发) customers.
    pub payroll_day: Option<u8>,
    pub credit_card: bool,
    pub wealth: bool,
    pub loan: bool,
}

impl Segments {
    pub fn is_payroll(&self) -> bool {
        self.payroll_day.is_some()
    }
}

/// What the customer agreed to. Absent consent means no: a customer with no recorded consent for a
/// channel gets nothing through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Consent {
    pub one_to_one: bool,
    pub moments: bool,
    pub group: bool,
    /// Personalised marketing; without it only non-personalised content may be sent.
    pub personalised: bool,
}

/// A validated customer on its way into the store, with phone and ID number still in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDraft {
    pub customer_no: String,
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    pub sub_branch_id: OrgUnitId,
    pub owner_id: Option<StaffId>,
    pub aum_tier: AumTier,
    pub segments: Segments,
    pub risk: Option<RiskAssessment>,
    pub consent: Consent,
    pub wecom_external_userid: Option<String>,
    /// The WeChat UnionID the bank knows for the customer, matched against WeCom contacts' UnionIDs.
    pub wechat_unionid: Option<String>,
}

/// A customer as staff see them: personal numbers masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub customer_no: String,
    pub name: String,
    pub phone_masked: Option<String>,
    pub id_number_masked: Option<String>,
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    pub sub_branch_id: OrgUnitId,
    pub owner_id: Option<StaffId>,
    pub aum_tier: AumTier,
    pub segments: Segments,
    pub risk: Option<RiskAssessment>,
    pub consent: Consent,
    pub wecom_external_userid: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Age in whole years on `today`, for a birthday not in the future.
pub fn age_on(birthday: NaiveDate, today: NaiveDate) -> Option<u8> {
    let years = today.years_since(birthday)?;
    u8::try_from(years).ok()
}

/// How a customer came to be linked to a WeCom contact, which decides what may replace the link.
///
/// The bank's own files (a WeCom id column) and the WeChat UnionID the bank bound are facts about the
/// customer; the mobile a manager typed into a contact's remark is only that manager's word, so it may
/// link only a customer within that manager's own data scope, and a UnionID match replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WecomLinkMethod {
    /// The contact's UnionID is the one the bank has on file for the customer.
    Unionid,
    /// The mobile in the manager's remark is the customer's.
    RemarkMobile,
}

impl WecomLinkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unionid => "unionid",
            Self::RemarkMobile => "remark_mobile",
        }
    }
}

/// A personal field that can be revealed in clear, with a reason, into the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiField {
    Phone,
    IdNumber,
}

impl PiiField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::IdNumber => "id_number",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Phone, Self::IdNumber].into_iter().find(|f| f.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn risk_assessment_lasts_one_year() {
        let a = RiskAssessment { grade: RiskGrade::new(3).unwrap(), assessed_on: d(2025, 6, 1) };
        assert!(a.is_current(d(2025, 6, 1)));
        assert!(a.is_current(d(2026, 5, 31)));
        assert!(!a.is_current(d(2026, 6, 1)));
        assert!(!a.is_current(d(2025, 5, 31)), "an assessment from the future is not current");
        let leap = RiskAssessment { assessed_on: d(2024, 2, 29), ..a };
        assert!(leap.is_current(d(2025, 2, 28)));
        assert!(!leap.is_current(d(2025, 3, 1)));
    }

    #[test]
    fn tiers_from_aum() {
        assert_eq!(AumTier::for_aum_yuan(0).get(), 1);
        assert_eq!(AumTier::for_aum_yuan(50_000).get(), 2);
        assert_eq!(AumTier::for_aum_yuan(6_000_000).get(), 5);
    }

    #[test]
    fn risk_grade_reads_bank_spellings() {
        assert_eq!(RiskGrade::parse("C3"), RiskGrade::new(3));
        assert_eq!(RiskGrade::parse(" 5 "), RiskGrade::new(5));
        assert_eq!(RiskGrade::parse("C6"), None);
        assert_eq!(RiskGrade::parse("R3"), None);
    }
}
