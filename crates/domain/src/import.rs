//! Reading customer rows from bank files: which header means which field, and whether a row is good.
//!
//! Pure: the server reads the bytes (CSV or XLSX, UTF-8 or GBK) into rows of text and hands them here;
//! this module maps headers to fields and turns each row into a [`CustomerDraft`] or a list of
//! [`RowProblem`]s that name the column and the reason, so the dry-run report tells an operator exactly
//! what to fix.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::customer::{AumTier, Consent, CustomerDraft, Gender, RiskAssessment, RiskGrade, Segments};
use crate::ids::{OrgUnitId, StaffId};
use crate::validate;

/// A field of the customer record that a file column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CustomerNo,
    Name,
    Phone,
    IdNumber,
    Gender,
    Birthday,
    SubBranchCode,
    OwnerUsername,
    AumTier,
    AumYuan,
    PayrollDay,
    CreditCard,
    Wealth,
    Loan,
    RiskGrade,
    RiskAssessedOn,
    ConsentOneToOne,
    ConsentMoments,
    ConsentGroup,
    ConsentPersonalised,
    WecomExternalUserid,
    /// The customer's WeChat UnionID, as the bank's official account or mini-program binding knows it.
    WechatUnionid,
    /// The operator chose to skip this column.
    Ignore,
}

/// Each field with the header names it is recognised by (first one is the canonical name).
const ALIASES: &[(Field, &[&str])] = &[
    (Field::CustomerNo, &["customer_no", "客户号", "客户编号", "客户号码"]),
    (Field::Name, &["name", "姓名", "客户姓名", "客户名称"]),
    (Field::Phone, &["phone", "mobile", "手机号", "手机号码", "联系电话", "手机"]),
    (Field::IdNumber, &["id_number", "身份证号", "证件号码", "身份证号码"]),
    (Field::Gender, &["gender", "性别"]),
    (Field::Birthday, &["birthday", "出生日期", "生日"]),
    (Field::SubBranchCode, &["sub_branch_code", "网点代码", "网点编号", "支行代码", "所属网点"]),
    (Field::OwnerUsername, &["owner", "owner_username", "客户经理", "管户客户经理", "客户经理工号"]),
    (Field::AumTier, &["aum_tier", "资产层级", "AUM层级", "客户等级"]),
    (Field::AumYuan, &["aum", "aum_yuan", "资产余额", "AUM"]),
    (Field::PayrollDay, &["payroll_day", "代发日", "发薪日"]),
    (Field::CreditCard, &["credit_card", "信用卡客户", "信用卡"]),
    (Field::Wealth, &["wealth", "理财客户", "理财"]),
    (Field::Loan, &["loan", "贷款客户", "贷款"]),
    (Field::RiskGrade, &["risk_grade", "风险等级", "风评等级"]),
    (Field::RiskAssessedOn, &["risk_assessed_on", "风评日期", "风险评估日期"]),
    (Field::ConsentOneToOne, &["consent_1v1", "同意一对一营销"]),
    (Field::ConsentMoments, &["consent_moments", "同意朋友圈营销"]),
    (Field::ConsentGroup, &["consent_group", "同意社群营销"]),
    (Field::ConsentPersonalised, &["consent_personalised", "同意个性化营销"]),
    (Field::WecomExternalUserid, &["wecom_external_userid", "企微外部联系人ID"]),
    (Field::WechatUnionid, &["wechat_unionid", "unionid", "微信UnionID", "微信unionid"]),
    (Field::Ignore, &["ignore", "忽略"]),
];

impl Field {
    /// The canonical (English, snake_case) name used in mappings and reports.
    pub fn name(self) -> &'static str {
        ALIASES.iter().find(|(f, _)| *f == self).map(|(_, names)| names[0]).expect("every field has aliases")
    }

    /// The field a header names, by any of its aliases (case and surrounding space ignored).
    pub fn from_header(header: &str) -> Option<Self> {
        let h = header.trim().trim_start_matches('\u{feff}');
        ALIASES.iter().find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h))).map(|(f, _)| *f)
    }

    /// Every field a column can fill, `Ignore` last.
    pub fn all() -> impl Iterator<Item = Field> {
        ALIASES.iter().map(|(f, _)| *f)
    }

    /// A label for pickers: the first Chinese alias and the canonical name, e.g. `手机号 phone`.
    pub fn label(self) -> String {
        let names = ALIASES.iter().find(|(f, _)| *f == self).map(|(_, n)| *n).unwrap_or(&[]);
        let zh = names.iter().find(|n| !n.is_ascii()).copied().unwrap_or("");
        format!("{zh} {}", self.name()).trim().to_owned()
    }

    /// Every recognised header, for error messages that say what would have been accepted.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        ALIASES.iter().flat_map(|(_, names)| names.iter().copied())
    }
}

/// A problem with the whole file, before any row is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum HeaderProblem {
    #[error("无法识别的列 / unknown columns: {}. 请在映射中指定或忽略 / map them or mark them ignore", .0.join(", "))]
    UnknownColumns(Vec<String>),
    #[error("缺少必填列 / missing required columns: {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("列重复 / two columns fill the same field: {0}")]
    DuplicateField(String),
}

/// Which column index fills which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMapping {
    columns: Vec<(usize, Field)>,
    headers: Vec<String>,
}

const REQUIRED: [Field; 3] = [Field::CustomerNo, Field::Name, Field::SubBranchCode];

impl HeaderMapping {
    /// Maps a file's header row. `overrides` (header text → field) come from the operator and win over
    /// the built-in aliases.
    pub fn new(headers: &[String], overrides: &HashMap<String, Field>) -> Result<Self, HeaderProblem> {
        let mut columns = Vec::new();
        let mut unknown = Vec::new();
        let mut seen = HashSet::new();
        for (i, h) in headers.iter().enumerate() {
            let field = overrides.get(h.trim()).copied().or_else(|| Field::from_header(h));
            match field {
                Some(Field::Ignore) => {}
                Some(f) => {
                    if !seen.insert(f) {
                        return Err(HeaderProblem::DuplicateField(f.name().to_owned()));
                    }
                    columns.push((i, f));
                }
                None => unknown.push(h.trim().to_owned()),
            }
        }
        if !unknown.is_empty() {
            return Err(HeaderProblem::UnknownColumns(unknown));
        }
        let missing: Vec<String> = REQUIRED.iter().filter(|f| !seen.contains(f)).map(|f| f.name().to_owned()).collect();
        if !missing.is_empty() {
            return Err(HeaderProblem::MissingColumns(missing));
        }
        Ok(Self { columns, headers: headers.to_vec() })
    }

    /// The fields the file fills, in column order.
    pub fn fields(&self) -> Vec<Field> {
        self.columns.iter().map(|(_, f)| *f).collect()
    }

    fn header(&self, i: usize) -> &str {
        self.headers.get(i).map(|s| s.trim()).unwrap_or("?")
    }
}

/// One reason a row was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The column as the file names it.
    pub column: String,
    /// Stable reason code (`bad_phone`, `unknown_sub_branch`, `duplicate_in_file`, …).
    pub code: String,
    pub message: String,
}

/// What the validator needs to know about the bank: sub-branches by code, customer managers by login.
pub trait ImportLookups {
    fn sub_branch_by_code(&self, code: &str) -> Option<OrgUnitId>;
    /// A customer manager and the sub-branch they belong to.
    fn customer_manager(&self, username: &str) -> Option<(StaffId, OrgUnitId)>;
}

/// Validates rows one by one, remembering customer numbers so a number seen twice in one file is caught.
pub struct RowValidator<'a> {
    mapping: HeaderMapping,
    lookups: &'a dyn ImportLookups,
    seen: HashSet<String>,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "" | "0" | "否" | "N" | "n" | "no" | "false" | "FALSE" => Some(false),
        "1" | "是" | "Y" | "y" | "yes" | "true" | "TRUE" => Some(true),
        _ => None,
    }
}

impl<'a> RowValidator<'a> {
    pub fn new(mapping: HeaderMapping, lookups: &'a dyn ImportLookups) -> Self {
        Self { mapping, lookups, seen: HashSet::new() }
    }

    /// The trimmed cell for `f` and the column name to report problems under.
    fn cell<'c>(&self, cells: &[&'c str], f: Field) -> (&'c str, String) {
        match self.mapping.columns.iter().find(|(_, x)| *x == f) {
            Some(&(i, _)) => (cells.get(i).copied().unwrap_or("").trim(), self.mapping.header(i).to_owned()),
            None => ("", f.name().to_owned()),
        }
    }

    /// Checks one row (cells in file order). Every problem in the row is reported, not just the first.
    pub fn validate(&mut self, cells: &[&str]) -> Result<CustomerDraft, Vec<RowProblem>> {
        let mut p = Problems(Vec::new());
        let v = |f| self.cell(cells, f);
        let nonempty = |raw: &str| (!raw.is_empty()).then(|| raw.to_owned());

        let (raw, col) = v(Field::CustomerNo);
        let customer_no = p.check(col, validate::normalize_customer_no(raw));
        let (raw, col) = v(Field::Name);
        let name = p.check(col, validate::normalize_name(raw));
        let (raw, col) = v(Field::Phone);
        let phone = nonempty(raw).and_then(|x| p.check(col, validate::normalize_phone(&x)));
        let (raw, col) = v(Field::IdNumber);
        let id_number = nonempty(raw).and_then(|x| p.check(col, validate::normalize_id_number(&x)));
        let gender = Gender::parse_lenient(v(Field::Gender).0);
        let (raw, col) = v(Field::Birthday);
        let birthday = nonempty(raw).and_then(|x| p.check(col, validate::parse_date(&x)));

        let (raw, col) = v(Field::SubBranchCode);
        let sub_branch_id = self.lookups.sub_branch_by_code(raw);
        if sub_branch_id.is_none() {
            p.add(col, "unknown_sub_branch", format!("未知网点代码 / unknown sub-branch code: {raw}"));
        }

        let (raw, col) = v(Field::OwnerUsername);
        let mut owner_id = None;
        if !raw.is_empty() {
            match self.lookups.customer_manager(raw) {
                None => p.add(
                    col,
                    "unknown_customer_manager",
                    format!("未知客户经理 / no customer manager with login {raw}"),
                ),
                Some((id, unit)) if Some(unit) == sub_branch_id || sub_branch_id.is_none() => owner_id = Some(id),
                Some(_) => p.add(
                    col,
                    "customer_manager_elsewhere",
                    format!("客户经理 {raw} 不属于该网点 / does not belong to this sub-branch"),
                ),
            }
        }

        let (tier_raw, tier_col) = v(Field::AumTier);
        let (aum_raw, aum_col) = v(Field::AumYuan);
        let aum_tier = if !tier_raw.is_empty() {
            let t = tier_raw.parse().ok().and_then(AumTier::new);
            if t.is_none() {
                p.add(tier_col, "bad_aum_tier", format!("资产层级应为1-5 / AUM tier must be 1-5: {tier_raw}"));
            }
            t
        } else if !aum_raw.is_empty() {
            let yuan = aum_raw.replace(',', "").parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
            if yuan.is_none() {
                p.add(
                    aum_col,
                    "bad_aum",
                    format!("资产余额应为非负数字 / AUM must be a non-negative number: {aum_raw}"),
                );
            }
            // Truncation to whole yuan is intended: tiers are bands of tens of thousands.
            yuan.map(|x| AumTier::for_aum_yuan(x as i64))
        } else {
            AumTier::new(1)
        };

        let (raw, col) = v(Field::PayrollDay);
        let payroll_day = nonempty(raw).and_then(|d| {
            let day = d.parse::<u8>().ok().filter(|d| (1..=31).contains(d));
            if day.is_none() {
                p.add(col, "bad_payroll_day", format!("代发日应为1-31 / payroll day must be 1-31: {d}"));
            }
            day
        });
        let mut flag = |f: Field| {
            let (raw, col) = v(f);
            parse_bool(raw).unwrap_or_else(|| {
                p.add(col, "bad_flag", format!("应为 是/否 / expected yes or no: {raw}"));
                false
            })
        };
        let segments = Segments {
            payroll_day,
            credit_card: flag(Field::CreditCard),
            wealth: flag(Field::Wealth),
            loan: flag(Field::Loan),
        };
        let consent = Consent {
            one_to_one: flag(Field::ConsentOneToOne),
            moments: flag(Field::ConsentMoments),
            group: flag(Field::ConsentGroup),
            personalised: flag(Field::ConsentPersonalised),
        };

        let (grade_raw, grade_col) = v(Field::RiskGrade);
        let (date_raw, date_col) = v(Field::RiskAssessedOn);
        let grade = (!grade_raw.is_empty()).then(|| RiskGrade::parse(grade_raw)).flatten();
        if !grade_raw.is_empty() && grade.is_none() {
            p.add(
                grade_col.clone(),
                "bad_risk_grade",
                format!("风险等级应为C1-C5 / risk grade must be C1-C5: {grade_raw}"),
            );
        }
        let date = (!date_raw.is_empty()).then(|| p.check(date_col.clone(), validate::parse_date(date_raw))).flatten();
        // A grade means nothing without the date it was assessed on (it expires after a year).
        if !grade_raw.is_empty() && date_raw.is_empty() {
            p.add(
                date_col,
                "missing_risk_date",
                "有风险等级必须有评估日期 / a risk grade needs its assessment date".into(),
            );
        } else if grade_raw.is_empty() && !date_raw.is_empty() {
            p.add(
                grade_col,
                "missing_risk_grade",
                "有评估日期必须有风险等级 / an assessment date needs its grade".into(),
            );
        }
        let risk = grade.zip(date).map(|(grade, assessed_on)| RiskAssessment { grade, assessed_on });
        let wecom_external_userid = nonempty(v(Field::WecomExternalUserid).0);
        let (raw, col) = v(Field::WechatUnionid);
        let wechat_unionid = nonempty(raw).and_then(|x| p.check(col, validate::unionid(&x)));

        if let Some(no) = &customer_no
            && !self.seen.insert(no.clone())
        {
            let col = self.cell(cells, Field::CustomerNo).1;
            p.add(
                col,
                "duplicate_in_file",
                format!("客户号在文件中重复 / customer number appears twice in this file: {no}"),
            );
        }

        match (customer_no, name, sub_branch_id, aum_tier) {
            (Some(customer_no), Some(name), Some(sub_branch_id), Some(aum_tier)) if p.0.is_empty() => {
                Ok(CustomerDraft {
                    customer_no,
                    name,
                    phone,
                    id_number,
                    gender,
                    birthday,
                    sub_branch_id,
                    owner_id,
                    aum_tier,
                    segments,
                    risk,
                    consent,
                    wecom_external_userid,
                    wechat_unionid,
                })
            }
            _ => Err(p.0),
        }
    }
}

/// The problems found so far in one row.
struct Problems(Vec<RowProblem>);

impl Problems {
    fn add(&mut self, column: String, code: &str, message: String) {
        self.0.push(RowProblem { column, code: code.to_owned(), message });
    }

    /// Keeps a good value, or records why it is bad.
    fn check<T>(&mut self, column: String, r: Result<T, validate::Invalid>) -> Option<T> {
        r.map_err(|e| self.add(column, e.code, e.message)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bank;
    impl ImportLookups for Bank {
        fn sub_branch_by_code(&self, code: &str) -> Option<OrgUnitId> {
            (code == "SB01").then_some(OrgUnitId::new(5))
        }
        fn customer_manager(&self, username: &str) -> Option<(StaffId, OrgUnitId)> {
            match username {
                "cm01" => Some((StaffId::new(9), OrgUnitId::new(5))),
                "cm99" => Some((StaffId::new(10), OrgUnitId::new(6))),
                _ => None,
            }
        }
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_headers_map_and_good_row_passes() {
        let m = HeaderMapping::new(
            &headers(&["客户号", "姓名", "手机号", "所属网点", "客户经理", "风险等级", "风评日期"]),
            &HashMap::new(),
        )
        .unwrap();
        let mut v = RowValidator::new(m, &Bank);
        let d = v.validate(&["C001", "王芳", "13812341234", "SB01", "cm01", "C3", "2025-01-02"]).unwrap();
        assert_eq!(d.owner_id, Some(StaffId::new(9)));
        assert_eq!(d.risk.unwrap().grade.get(), 3);
    }

    #[test]
    fn a_unionid_column_is_read_and_checked() {
        let m = HeaderMapping::new(&headers(&["客户号", "姓名", "所属网点", "UnionID"]), &HashMap::new()).unwrap();
        let mut v = RowValidator::new(m, &Bank);
        let d = v.validate(&["C001", "王芳", "SB01", "oAbC-12_x"]).unwrap();
        assert_eq!(d.wechat_unionid.as_deref(), Some("oAbC-12_x"));
        let errs = v.validate(&["C002", "李雷", "SB01", "not a union id"]).unwrap_err();
        assert_eq!(errs[0].code, "bad_unionid");
    }

    #[test]
    fn every_problem_in_a_row_is_reported_with_its_column() {
        let m = HeaderMapping::new(
            &headers(&["customer_no", "name", "phone", "sub_branch_code", "birthday"]),
            &HashMap::new(),
        )
        .unwrap();
        let mut v = RowValidator::new(m, &Bank);
        let errs = v.validate(&["C001", "王芳", "12345", "NOPE", "2024-13-01"]).unwrap_err();
        let codes: Vec<_> = errs.iter().map(|p| (p.column.as_str(), p.code.as_str())).collect();
        assert_eq!(
            codes,
            [("phone", "bad_phone"), ("birthday", "bad_date"), ("sub_branch_code", "unknown_sub_branch")]
        );
    }

    #[test]
    fn duplicate_numbers_and_foreign_managers_are_caught() {
        let m = HeaderMapping::new(&headers(&["customer_no", "name", "sub_branch_code", "owner"]), &HashMap::new())
            .unwrap();
        let mut v = RowValidator::new(m, &Bank);
        assert!(v.validate(&["C1", "甲", "SB01", ""]).is_ok());
        assert_eq!(v.validate(&["C1", "乙", "SB01", ""]).unwrap_err()[0].code, "duplicate_in_file");
        assert_eq!(v.validate(&["C2", "丙", "SB01", "cm99"]).unwrap_err()[0].code, "customer_manager_elsewhere");
    }

    #[test]
    fn unknown_and_missing_columns_are_file_errors_unless_mapped() {
        let h = headers(&["customer_no", "name", "sub_branch_code", "备注"]);
        assert_eq!(HeaderMapping::new(&h, &HashMap::new()), Err(HeaderProblem::UnknownColumns(vec!["备注".into()])));
        let ov = HashMap::from([("备注".to_string(), Field::Ignore)]);
        assert!(HeaderMapping::new(&h, &ov).is_ok());
        let h = headers(&["customer_no", "name"]);
        assert_eq!(
            HeaderMapping::new(&h, &HashMap::new()),
            Err(HeaderProblem::MissingColumns(vec!["sub_branch_code".into()]))
        );
    }
}
