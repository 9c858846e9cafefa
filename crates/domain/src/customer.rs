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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// Reads a gender as bank files write it: `male`/`female`, `M`/`F`, `男`/`女`, the GB/T 2261.1
    /// codes (`1` male, `2` female, `0` unknown, `9` not stated), and 未知 / 不详 / 未说明 (or blank) as
    /// unknown, which is a value, not a mistake. `None` for anything else, so a typo is reported rather
    /// than quietly lost.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(s));
        if is(&["male", "m", "男", "男性", "1"]) {
            Some(Self::Male)
        } else if is(&["female", "f", "女", "女性", "2"]) {
            Some(Self::Female)
        } else if s.is_empty() || is(&["unknown", "u", "未知", "不详", "未说明", "0", "9"]) {
            Some(Self::Unknown)
        } else {
            None
        }
    }

    /// As [`Gender::parse`], anything else unknown: for reading back what siyu itself stored.
    pub fn parse_lenient(s: &str) -> Self {
        Self::parse(s).unwrap_or_default()
    }
}

/// The kind of identity document an ID number belongs to. Only the resident ID card (and the documents
/// that carry its number) follow GB 11643 and its check digit; a passport or a travel permit number is
/// kept as the bank holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证 (also 临时身份证), the default when a file names no type.
    #[default]
    ResidentId,
    /// 户口簿: carries the holder's resident ID number.
    HouseholdRegister,
    /// 港澳台居民居住证: a resident ID number with region code 81/82/83.
    ResidencePermit,
    /// 护照, Chinese or foreign.
    Passport,
    /// 港澳居民来往内地通行证 (回乡证).
    HkMacauPermit,
    /// 台湾居民来往大陆通行证 (台胞证).
    TaiwanPermit,
    /// 军官证 / 士兵证 / 警官证.
    ServiceCard,
    /// 外国人永久居留身份证.
    ForeignPermanentResident,
    /// 其他证件.
    Other,
}

impl IdType {
    const ALL: [Self; 9] = [
        Self::ResidentId,
        Self::HouseholdRegister,
        Self::ResidencePermit,
        Self::Passport,
        Self::HkMacauPermit,
        Self::TaiwanPermit,
        Self::ServiceCard,
        Self::ForeignPermanentResident,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentId => "resident_id",
            Self::HouseholdRegister => "household_register",
            Self::ResidencePermit => "residence_permit",
            Self::Passport => "passport",
            Self::HkMacauPermit => "hk_macau_permit",
            Self::TaiwanPermit => "taiwan_permit",
            Self::ServiceCard => "service_card",
            Self::ForeignPermanentResident => "foreign_permanent_resident",
            Self::Other => "other",
        }
    }

    /// The names bank systems give the type, its code first.
    fn names(self) -> &'static [&'static str] {
        match self {
            Self::ResidentId => {
                &["resident_id", "身份证", "居民身份证", "二代身份证", "第二代居民身份证", "临时身份证"]
            }
            Self::HouseholdRegister => &["household_register", "户口簿", "户口本", "居民户口簿"],
            Self::ResidencePermit => &["residence_permit", "港澳台居民居住证", "港澳居民居住证", "台湾居民居住证"],
            Self::Passport => &["passport", "护照", "中国护照", "外国护照", "外国人护照"],
            Self::HkMacauPermit => &["hk_macau_permit", "港澳通行证", "港澳居民来往内地通行证", "回乡证"],
            Self::TaiwanPermit => &["taiwan_permit", "台胞证", "台湾居民来往大陆通行证", "台湾通行证"],
            Self::ServiceCard => &["service_card", "军官证", "士兵证", "警官证", "文职干部证", "军人身份证件"],
            Self::ForeignPermanentResident => {
                &["foreign_permanent_resident", "外国人永久居留身份证", "外国人永久居留证", "永久居留证"]
            }
            Self::Other => &["other", "其他", "其它", "其他证件"],
        }
    }

    /// Reads a type by its code or a name bank files use (case and surrounding space ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|t| t.names().iter().any(|n| n.eq_ignore_ascii_case(s)))
    }

    /// Whether the number is a resident ID number, checked against GB 11643 (and its birth date read).
    pub fn is_resident_id_number(self) -> bool {
        matches!(self, Self::ResidentId | Self::HouseholdRegister | Self::ResidencePermit)
    }

    /// Name in Chinese, as the bank's forms print it.
    pub fn name_zh(self) -> &'static str {
        self.names()[1]
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

    /// Reads a tier as bank files write it: `1`–`5`, the Chinese name with or without 客户 (`白金`,
    /// `白金客户`, also 私人银行) or the English one.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u8>() {
            return Self::new(n);
        }
        let zh = s.strip_suffix("客户").unwrap_or(s);
        let short = ["大众", "金卡", "白金", "钻石", "私行"];
        let n = short
            .iter()
            .position(|t| *t == zh)
            .or_else(|| (zh == "私人银行").then_some(4))
            .or_else(|| (1..=5).position(|n| Self(n).name_en().eq_ignore_ascii_case(s)))?;
        Self::new(n as u8 + 1)
    }

    pub fn name_en(self) -> &'static str {
        ["Mass", "Gold", "Platinum", "Diamond", "Private"][usize::from(self.0 - 1)]
    }
}

#[cfg(feature = "openapi")]
crate::openapi::one_to_five!(AumTier, "AUM tier, 1 (mass) to 5 (private banking)");

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

#[cfg(feature = "openapi")]
crate::openapi::one_to_five!(RiskGrade, "Risk grade, 1 (C1, conservative) to 5 (C5, aggressive)");

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segments {
    /// Day of month (1–31) the salary arrives, for payroll (代发) customers.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The document `id_number` belongs to; set exactly when `id_number` is.
    pub id_type: Option<IdType>,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: CustomerId,
    pub customer_no: String,
    pub name: String,
    pub phone_masked: Option<String>,
    pub id_number_masked: Option<String>,
    /// The document the ID number belongs to (none without a number).
    pub id_type: Option<IdType>,
    pub gender: Gender,
    /// Sent as `birth_year`, the year alone: staff views and API answers never carry the day (see
    /// [`birth_year_only`]); the full date is used inside (ages for audiences).
    #[serde(rename(serialize = "birth_year"), serialize_with = "birth_year_only")]
    #[cfg_attr(feature = "openapi", schema(rename = "birth_year", value_type = Option<i32>))]
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

/// A birthday as its year alone, for every view staff have of a customer.
///
/// The masked ID number keeps its first 3 and last 4 characters; with the full birthday beside it only
/// the region digits 4–6 stay unknown, and the check digit leaves a handful of candidates — the whole
/// number without the audited reveal. With the year alone, some 365 days × the region digits stay open.
pub fn birth_year_only<S: serde::Serializer>(birthday: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match birthday {
        Some(d) => s.serialize_some(&d.year()),
        None => s.serialize_none(),
    }
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    fn unknown_gender_is_a_value_and_a_typo_is_not() {
        for s in ["未知", "不详", "未说明", "", " unknown ", "0", "9"] {
            assert_eq!(Gender::parse(s), Some(Gender::Unknown), "{s:?}");
        }
        assert_eq!(Gender::parse("男"), Some(Gender::Male));
        assert_eq!(Gender::parse("F"), Some(Gender::Female));
        assert_eq!(Gender::parse("女性"), Some(Gender::Female));
        for s in ["X", "男女", "3", "femal"] {
            assert_eq!(Gender::parse(s), None, "{s:?}");
        }
        assert_eq!(Gender::parse_lenient("X"), Gender::Unknown);
    }

    #[test]
    fn id_types_read_bank_names_and_round_trip() {
        assert_eq!(IdType::parse("护照"), Some(IdType::Passport));
        assert_eq!(IdType::parse(" 港澳通行证 "), Some(IdType::HkMacauPermit));
        assert_eq!(IdType::parse("台胞证"), Some(IdType::TaiwanPermit));
        assert_eq!(IdType::parse("军官证"), Some(IdType::ServiceCard));
        assert_eq!(IdType::parse("居民身份证"), Some(IdType::ResidentId));
        assert_eq!(IdType::parse("驾驶证"), None);
        for t in IdType::ALL {
            assert_eq!(IdType::parse(t.as_str()), Some(t));
            assert_eq!(IdType::parse(t.name_zh()), Some(t));
        }
        assert!(IdType::ResidentId.is_resident_id_number());
        assert!(!IdType::Passport.is_resident_id_number());
    }

    #[test]
    fn tiers_read_numbers_and_names() {
        assert_eq!(AumTier::parse("3"), AumTier::new(3));
        assert_eq!(AumTier::parse("白金"), AumTier::new(3));
        assert_eq!(AumTier::parse("钻石客户"), AumTier::new(4));
        assert_eq!(AumTier::parse("私人银行"), AumTier::new(5));
        assert_eq!(AumTier::parse("gold"), AumTier::new(2));
        assert_eq!(AumTier::parse("6"), None);
        assert_eq!(AumTier::parse("铜卡"), None);
    }

    #[test]
    fn risk_grade_reads_bank_spellings() {
        assert_eq!(RiskGrade::parse("C3"), RiskGrade::new(3));
        assert_eq!(RiskGrade::parse(" 5 "), RiskGrade::new(5));
        assert_eq!(RiskGrade::parse("C6"), None);
        assert_eq!(RiskGrade::parse("R3"), None);
    }
}
