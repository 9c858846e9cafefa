//! Reading customer rows from bank files: which header means which field, and whether a row is good.
//!
//! Pure: the server reads the bytes (CSV or XLSX, UTF-8 or GBK) into rows of text and hands them here;
//! this module maps headers to fields and turns each row into a [`CustomerDraft`] or a list of
//! [`RowProblem`]s that name the column and the reason, so the dry-run report tells an operator exactly
//! what to fix.
//!
//! Headers are matched after normalising (full-width characters, spaces, case, a trailing bracketed
//! unit such as `（元）`), since bank exports are typed by hand. Time enters as the bank date the import
//! was uploaded on, so a dry run and the commit that follows judge "in the future" alike.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::customer::{AumTier, Consent, CustomerDraft, Gender, IdType, RiskAssessment, RiskGrade, Segments};
use crate::ids::{OrgUnitId, StaffId};
use crate::lang::Text;
use crate::validate;

/// A field of the customer record that a file column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CustomerNo,
    Name,
    Phone,
    IdNumber,
    /// The kind of document `IdNumber` is (居民身份证 when absent). It is written with the number,
    /// never alone: a type without its number describes nothing.
    IdType,
    Gender,
    Birthday,
    SubBranchCode,
    OwnerUsername,
    AumTier,
    AumYuan,
    PayrollDay,
    /// A yes/no payroll (代发) flag beside the payday: yes needs a payday, no clears it. siyu knows a
    /// payroll customer by their payday, so the flag checks the day rather than being stored apart.
    PayrollFlag,
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
    (Field::IdNumber, &["id_number", "身份证号", "证件号码", "身份证号码", "证件号"]),
    (Field::IdType, &["id_type", "证件类型", "证件种类"]),
    (Field::Gender, &["gender", "性别", "客户性别"]),
    (Field::Birthday, &["birthday", "出生日期", "生日"]),
    // The code or the name of the unit (see `ImportLookups`).
    (
        Field::SubBranchCode,
        &[
            "sub_branch_code",
            "网点代码",
            "网点编号",
            "支行代码",
            "所属网点",
            "开户网点",
            "网点名称",
            "所属支行",
            "开户支行",
            "sub_branch",
            // The console's own customer export heads the unit's name so.
            "网点",
        ],
    ),
    // Matched against the manager's login, which is the bank's staff number (工号 / 编号).
    (
        Field::OwnerUsername,
        &["owner", "owner_username", "客户经理", "管户客户经理", "客户经理工号", "客户经理编号", "管户经理编号"],
    ),
    (Field::AumTier, &["aum_tier", "资产层级", "AUM层级", "客户等级", "AUM等级", "资产等级"]),
    (Field::AumYuan, &["aum", "aum_yuan", "资产余额", "AUM", "AUM余额"]),
    (Field::PayrollDay, &["payroll_day", "代发日", "发薪日"]),
    (Field::PayrollFlag, &["payroll", "代发标志", "是否代发", "代发客户", "代发标识", "代发"]),
    (Field::CreditCard, &["credit_card", "信用卡客户", "信用卡"]),
    (Field::Wealth, &["wealth", "理财客户", "理财"]),
    (Field::Loan, &["loan", "贷款客户", "贷款"]),
    (Field::RiskGrade, &["risk_grade", "风险等级", "风评等级", "风险测评等级", "测评等级"]),
    (Field::RiskAssessedOn, &["risk_assessed_on", "风评日期", "风险评估日期", "测评日期", "风险测评日期"]),
    (Field::ConsentOneToOne, &["consent_1v1", "同意一对一营销"]),
    (Field::ConsentMoments, &["consent_moments", "同意朋友圈营销"]),
    (Field::ConsentGroup, &["consent_group", "同意社群营销"]),
    (Field::ConsentPersonalised, &["consent_personalised", "同意个性化营销"]),
    (Field::WecomExternalUserid, &["wecom_external_userid", "企微外部联系人ID"]),
    (Field::WechatUnionid, &["wechat_unionid", "unionid", "微信UnionID", "微信unionid"]),
    // Columns the console's own export writes for people to read, which the import knows and skips:
    // the manager's name (the login beside it is what maps), and whether the customer is on WeCom.
    (Field::Ignore, &["ignore", "忽略", "客户经理姓名", "owner_name", "已加企业微信", "on_wecom"]),
];

/// A bracketed note that says a column holds masked numbers (`手机号(脱敏)`, `phone (masked)`).
fn is_masked_note(note: Option<&str>) -> bool {
    note.is_some_and(|n| n.contains("脱敏") || n.contains("masked"))
}

impl Field {
    /// The canonical (English, snake_case) name used in mappings and reports.
    pub fn name(self) -> &'static str {
        ALIASES.iter().find(|(f, _)| *f == self).map(|(_, names)| names[0]).expect("every field has aliases")
    }

    /// The field a header names, by any of its aliases, compared after [`normalize_header`]: `AUM等级`,
    /// `ＡＵＭ 等级`, `AUM等级（资产）` and `aum等级(资产)` are one header.
    ///
    /// A phone or ID column whose note says it is masked (the console's export writes
    /// `手机号(脱敏)`) is known and skipped: a mask such as `138****1234` is not a number, and writing
    /// it, or the empty value it stands for, over the real one would lose the bank's data.
    pub fn from_header(header: &str) -> Option<Self> {
        let (h, note) = normalize_header(header);
        if h.is_empty() {
            return None;
        }
        let field =
            ALIASES.iter().find(|(_, names)| names.iter().any(|n| normalize_header(n).0 == h)).map(|(f, _)| *f)?;
        match field {
            Field::Phone | Field::IdNumber if is_masked_note(note.as_deref()) => Some(Field::Ignore),
            f => Some(f),
        }
    }

    /// Whether a file must have this column.
    pub fn required(self) -> bool {
        REQUIRED.contains(&self)
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

    /// The field as an operator names it, in the catalogue (`field.<name>`).
    pub fn text(self) -> Text {
        Text::new(&format!("field.{}", self.name()))
    }

    /// Every recognised header, for error messages that say what would have been accepted.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        ALIASES.iter().flat_map(|(_, names)| names.iter().copied())
    }
}

/// A header as it is compared, and the bracketed note after it (a unit such as `万元`, or a remark
/// such as `资产`): full-width characters as half-width, spaces, `_`, `-`, `*` (a required-column
/// mark), a trailing `:` and a byte-order mark dropped, ASCII letters lower case.
pub fn normalize_header(header: &str) -> (String, Option<String>) {
    let mut h: String = header
        .chars()
        .map(crate::validate::half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{feff}' | '_' | '-' | '*'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    while h.ends_with(':') {
        h.pop();
    }
    let mut note = None;
    for (open, close) in [('(', ')'), ('[', ']'), ('【', '】')] {
        if h.ends_with(close)
            && let Some(at) = h.rfind(open)
            && at > 0
        {
            note = Some(h[at + open.len_utf8()..h.len() - close.len_utf8()].to_owned());
            h.truncate(at);
            break;
        }
    }
    (h, note)
}

/// The key a header row's remembered mapping is kept under: its headers as compared (normalised,
/// bracketed notes kept, since `资产余额（万元）` and `资产余额（元）` differ), in order, joined by a
/// separator no header contains. The store keeps a hash of it.
pub fn header_set_key(headers: &[String]) -> String {
    headers.iter().map(|h| compared(h)).collect::<Vec<_>>().join("\u{1f}")
}

/// A header as [`header_set_key`] compares it: normalised, its bracketed note kept.
fn compared(header: &str) -> String {
    match normalize_header(header) {
        (base, Some(note)) => format!("{base}({note})"),
        (base, None) => base,
    }
}

/// The field a header fills under the operator's `overrides` (header → field, matched as written,
/// else as compared, so a mapping remembered for `移动电话` also maps `移动 电话`), else by its name.
pub fn mapped_field(overrides: &HashMap<String, Field>, header: &str) -> Option<Field> {
    if let Some(f) = overrides.get(header.trim()) {
        return Some(*f);
    }
    let h = compared(header);
    overrides.iter().find(|(k, _)| compared(k) == h).map(|(_, f)| *f).or_else(|| Field::from_header(header))
}

/// How many cells of a row are headers siyu recognises (after [`normalize_header`]; `ignore` not
/// counted). A file's header row is the one among its first rows that scores highest; a title row
/// such as `某银行客户导出 2026-11-24` scores 0.
pub fn header_score(cells: &[&str]) -> usize {
    cells.iter().filter(|c| matches!(Field::from_header(c), Some(f) if f != Field::Ignore)).count()
}

/// Yuan per unit of an AUM column whose header names its unit: `资产余额（万元）` holds 10,000s.
fn aum_scale(header: &str) -> u32 {
    match normalize_header(header).1.as_deref() {
        Some(u) if u.contains('亿') => 100_000_000,
        Some(u) if u.contains('万') => 10_000,
        _ => 1,
    }
}

/// A problem with the whole file, before any row is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum HeaderProblem {
    #[error("{}", self.text())]
    UnknownColumns(Vec<String>),
    #[error("{}", self.text())]
    MissingColumns(Vec<String>),
    #[error("{}", self.text())]
    DuplicateField(String),
}

/// Where an import is in its life: uploaded → validated (dry run done) → committing → committed. A
/// file whose header row was read but does not map (an unknown or missing column, two columns for one
/// field) needs a mapping: the operator can map it and run the dry run again. A file that could not be
/// read at all is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Validating,
    Validated,
    /// The header row was read but its columns do not map; nothing can be committed until they do.
    NeedsMapping,
    /// The file could not be read (its bytes, its encoding, its size); nothing can be committed.
    Rejected,
    Committing,
    Committed,
    Failed,
}

impl ImportStatus {
    pub const ALL: [Self; 7] = [
        Self::Validating,
        Self::Validated,
        Self::NeedsMapping,
        Self::Rejected,
        Self::Committing,
        Self::Committed,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validating => "validating",
            Self::Validated => "validated",
            Self::NeedsMapping => "needs_mapping",
            Self::Rejected => "rejected",
            Self::Committing => "committing",
            Self::Committed => "committed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the operator may map the columns again and re-run the dry run.
    pub fn remappable(self) -> bool {
        matches!(self, Self::Validated | Self::NeedsMapping | Self::Rejected)
    }
}

/// Whether a cell is a masked number (`138****1234`, `110***********002X`): real numbers have no `*`.
fn is_masked(raw: &str) -> bool {
    raw.contains(['*', '＊'])
}

impl HeaderProblem {
    /// What to tell the operator, in words of the catalogue.
    pub fn text(&self) -> Text {
        match self {
            Self::UnknownColumns(c) => Text::new("import.unknown_columns").arg("columns", c.join(", ")),
            Self::MissingColumns(c) => Text::new("import.missing_columns").text("columns", field_list(c)),
            Self::DuplicateField(f) => {
                Text::new("import.duplicate_field").text("field", field_list(std::slice::from_ref(f)))
            }
        }
    }
}

/// Canonical field names as the operator's words (a name that is no field is shown as it is).
fn field_list(names: &[String]) -> Text {
    Text::List(
        names
            .iter()
            .map(|n| Field::all().find(|f| f.name() == n).map_or_else(|| Text::from(n.as_str()), Field::text))
            .collect(),
    )
}

/// Which column index fills which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMapping {
    columns: Vec<(usize, Field)>,
    headers: Vec<String>,
    /// Yuan per unit of the AUM column (10,000 for a column in 万元).
    aum_scale: u32,
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
            let field = mapped_field(overrides, h);
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
        let aum_scale =
            columns.iter().find(|(_, f)| *f == Field::AumYuan).map(|(i, _)| aum_scale(&headers[*i])).unwrap_or(1);
        Ok(Self { columns, headers: headers.to_vec(), aum_scale })
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
    pub message: Text,
}

/// What a unit's name points to: names, unlike codes, are not unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitByName {
    Unknown,
    One(OrgUnitId),
    /// Two or more units have this name; which one the file meant cannot be known.
    Shared,
}

/// What the validator needs to know about the bank: sub-branches by code or name, customer managers by
/// login.
pub trait ImportLookups {
    fn sub_branch_by_code(&self, code: &str) -> Option<OrgUnitId>;
    /// Asked only when no unit has `name` as its code.
    fn sub_branch_by_name(&self, name: &str) -> UnitByName;
    /// A customer manager and the sub-branch they belong to.
    fn customer_manager(&self, username: &str) -> Option<(StaffId, OrgUnitId)>;
}

/// Validates rows one by one, remembering customer numbers so a number seen twice in one file is caught.
pub struct RowValidator<'a> {
    mapping: HeaderMapping,
    lookups: &'a dyn ImportLookups,
    seen: HashSet<String>,
    /// The latest date a birthday or an assessment may have: the bank date of the import, plus a day
    /// for a file made in another time zone.
    latest: NaiveDate,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "" | "0" | "否" | "N" | "n" | "no" | "false" | "FALSE" => Some(false),
        "1" | "是" | "Y" | "y" | "yes" | "true" | "TRUE" => Some(true),
        _ => None,
    }
}

impl<'a> RowValidator<'a> {
    /// `today` is the bank date the rows are judged on; the dry run and the commit of one import must
    /// pass the same one, or they would disagree on which rows are good.
    pub fn new(mapping: HeaderMapping, lookups: &'a dyn ImportLookups, today: NaiveDate) -> Self {
        let latest = today.succ_opt().unwrap_or(today);
        Self { mapping, lookups, seen: HashSet::new(), latest }
    }

    /// The trimmed cell for `f` and the column name to report problems under (borrowed: a name is
    /// copied only into a problem, not for every cell of a million rows).
    fn cell<'c, 's>(&'s self, cells: &[&'c str], f: Field) -> (&'c str, &'s str) {
        match self.mapping.columns.iter().find(|(_, x)| *x == f) {
            Some(&(i, _)) => (cells.get(i).copied().unwrap_or("").trim(), self.mapping.header(i)),
            None => ("", f.name()),
        }
    }

    /// Checks one row (cells in file order). Every problem in the row is reported, not just the first.
    pub fn validate(&mut self, cells: &[&str]) -> Result<CustomerDraft, Vec<RowProblem>> {
        let mut p = Problems(Vec::new());
        let v = |f| self.cell(cells, f);
        let nonempty = |raw: &str| (!raw.is_empty()).then(|| raw.to_owned());
        let latest = self.latest;
        // A date after `latest` is refused: a birthday cannot lie ahead, and an assessment dated ahead
        // would stay "current" for more than its year.
        let not_future = |p: &mut Problems, col: &str, raw: &str, d: NaiveDate| {
            if d > latest {
                p.add(col, "future_date", Text::new("import.future_date").arg("value", raw));
                None
            } else {
                Some(d)
            }
        };

        let (raw, col) = v(Field::CustomerNo);
        let customer_no = p.check(col, validate::normalize_customer_no(raw));
        let (raw, col) = v(Field::Name);
        let name = p.check(col, validate::normalize_name(raw));
        let (raw, col) = v(Field::Phone);
        let phone = match raw {
            "" => None,
            masked if is_masked(masked) => {
                p.masked(col);
                None
            }
            raw => p.check(col, validate::normalize_phone(raw)),
        };

        let (type_raw, type_col) = v(Field::IdType);
        let id_type = if type_raw.is_empty() {
            Some(IdType::ResidentId)
        } else {
            let t = IdType::parse(type_raw);
            if t.is_none() {
                p.add(type_col, "bad_id_type", Text::new("import.bad_id_type").arg("value", type_raw));
            }
            t
        };
        let (raw, col) = v(Field::IdNumber);
        let id_number = match id_type {
            _ if raw.is_empty() => None,
            _ if is_masked(raw) => {
                p.masked(col);
                None
            }
            // The type is wrong, so how to check the number is unknown; the type's problem says so.
            None => None,
            Some(t) if t.is_resident_id_number() => p.check(col, validate::normalize_id_number(raw)).filter(|id| {
                let born = validate::id_birth_date(id);
                let future = born.is_some_and(|d| d > latest);
                if future {
                    p.add(col, "bad_id_number", Text::new("import.id_born_in_future"));
                }
                !future
            }),
            Some(_) => p.check(col, validate::normalize_document_number(raw)),
        };
        let id_type = id_number.as_ref().and(id_type);

        let (raw, col) = v(Field::Gender);
        let gender = Gender::parse(raw).unwrap_or_else(|| {
            p.add(col, "bad_gender", Text::new("import.bad_gender").arg("value", raw));
            Gender::Unknown
        });
        let (raw, col) = v(Field::Birthday);
        let birthday = (!raw.is_empty())
            .then(|| p.check(col, validate::parse_date(raw)))
            .flatten()
            .and_then(|d| not_future(&mut p, col, raw, d));

        let (raw, col) = v(Field::SubBranchCode);
        let sub_branch_id = match self.lookups.sub_branch_by_code(raw) {
            Some(id) => Some(id),
            None => match self.lookups.sub_branch_by_name(raw) {
                UnitByName::One(id) => Some(id),
                UnitByName::Shared => {
                    p.add(col, "ambiguous_sub_branch", Text::new("import.ambiguous_unit").arg("value", raw));
                    None
                }
                UnitByName::Unknown => {
                    p.add(col, "unknown_sub_branch", Text::new("import.unknown_sub_branch").arg("value", raw));
                    None
                }
            },
        };

        let (raw, col) = v(Field::OwnerUsername);
        let mut owner_id = None;
        if !raw.is_empty() {
            match self.lookups.customer_manager(raw) {
                None => p.add(col, "unknown_customer_manager", Text::new("import.unknown_manager").arg("value", raw)),
                Some((id, unit)) if Some(unit) == sub_branch_id || sub_branch_id.is_none() => owner_id = Some(id),
                Some(_) => {
                    p.add(col, "customer_manager_elsewhere", Text::new("import.manager_elsewhere").arg("value", raw))
                }
            }
        }

        let (tier_raw, tier_col) = v(Field::AumTier);
        let (aum_raw, aum_col) = v(Field::AumYuan);
        let aum_tier = if !tier_raw.is_empty() {
            let t = AumTier::parse(tier_raw);
            if t.is_none() {
                p.add(tier_col, "bad_aum_tier", Text::new("import.bad_aum_tier").arg("value", tier_raw));
            }
            t
        } else if !aum_raw.is_empty() {
            let yuan = aum_raw
                .replace(',', "")
                .parse::<f64>()
                .ok()
                .map(|x| x * f64::from(self.mapping.aum_scale))
                .filter(|x| x.is_finite() && *x >= 0.0);
            if yuan.is_none() {
                p.add(aum_col, "bad_aum", Text::new("import.bad_aum").arg("value", aum_raw));
            }
            // Truncation to whole yuan is intended: tiers are bands of tens of thousands.
            yuan.map(|x| AumTier::for_aum_yuan(x as i64))
        } else {
            AumTier::new(1)
        };

        let (day_raw, day_col) = v(Field::PayrollDay);
        let payroll_day = nonempty(day_raw).and_then(|d| {
            let day = d.parse::<u8>().ok().filter(|d| (1..=31).contains(d));
            if day.is_none() {
                p.add(day_col, "bad_payroll_day", Text::new("import.bad_payroll_day").arg("value", d));
            }
            day
        });
        // The flag confirms the payday; an empty flag leaves the payday to speak for itself.
        let (flag_raw, flag_col) = v(Field::PayrollFlag);
        match parse_bool(flag_raw) {
            _ if flag_raw.is_empty() => {}
            None => p.add(flag_col, "bad_flag", Text::new("import.bad_flag").arg("value", flag_raw)),
            Some(true) if day_raw.is_empty() => {
                p.add(day_col, "missing_payroll_day", Text::new("import.payday_required"))
            }
            Some(false) if !day_raw.is_empty() => {
                p.add(flag_col, "payroll_flag_conflict", Text::new("import.payday_not_payroll").arg("value", day_raw))
            }
            Some(_) => {}
        }
        let mut flag = |f: Field| {
            let (raw, col) = v(f);
            parse_bool(raw).unwrap_or_else(|| {
                p.add(col, "bad_flag", Text::new("import.bad_flag").arg("value", raw));
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
            p.add(grade_col, "bad_risk_grade", Text::new("import.bad_risk_grade").arg("value", grade_raw));
        }
        let date = (!date_raw.is_empty())
            .then(|| p.check(date_col, validate::parse_date(date_raw)))
            .flatten()
            .and_then(|d| not_future(&mut p, date_col, date_raw, d));
        // A grade means nothing without the date it was assessed on (it expires after a year).
        if !grade_raw.is_empty() && date_raw.is_empty() {
            p.add(date_col, "missing_risk_date", Text::new("import.grade_needs_date"));
        } else if grade_raw.is_empty() && !date_raw.is_empty() {
            p.add(grade_col, "missing_risk_grade", Text::new("import.date_needs_grade"));
        }
        let risk = grade.zip(date).map(|(grade, assessed_on)| RiskAssessment { grade, assessed_on });
        let wecom_external_userid = nonempty(v(Field::WecomExternalUserid).0);
        let (raw, col) = v(Field::WechatUnionid);
        let wechat_unionid = (!raw.is_empty()).then(|| p.check(col, validate::unionid(raw))).flatten();

        if let Some(no) = &customer_no
            && !self.seen.insert(no.clone())
        {
            let col = self.cell(cells, Field::CustomerNo).1;
            p.add(col, "duplicate_in_file", Text::new("import.duplicate_in_file").arg("value", no));
        }

        match (customer_no, name, sub_branch_id, aum_tier) {
            (Some(customer_no), Some(name), Some(sub_branch_id), Some(aum_tier)) if p.0.is_empty() => {
                Ok(CustomerDraft {
                    customer_no,
                    name,
                    phone,
                    id_number,
                    id_type,
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
    fn add(&mut self, column: &str, code: &str, message: Text) {
        self.0.push(RowProblem { column: column.to_owned(), code: code.to_owned(), message });
    }

    /// A masked number in a column that writes numbers: the row is refused, so the real number the
    /// bank holds is never overwritten by its mask.
    fn masked(&mut self, column: &str) {
        self.add(column, "masked_number", Text::new("import.masked_number"));
    }

    /// Keeps a good value, or records why it is bad.
    fn check<T>(&mut self, column: &str, r: Result<T, validate::Invalid>) -> Option<T> {
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
        fn sub_branch_by_name(&self, name: &str) -> UnitByName {
            match name {
                "陆家嘴支行" => UnitByName::One(OrgUnitId::new(5)),
                "静安支行" => UnitByName::Shared,
                _ => UnitByName::Unknown,
            }
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

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    /// A validator over `h` (which must map), judging dates on [`today`].
    fn validator(h: &[&str]) -> RowValidator<'static> {
        RowValidator::new(HeaderMapping::new(&headers(h), &HashMap::new()).unwrap(), &Bank, today())
    }

    fn codes(errs: &[RowProblem]) -> Vec<(&str, &str)> {
        errs.iter().map(|p| (p.column.as_str(), p.code.as_str())).collect()
    }

    #[test]
    fn chinese_headers_map_and_good_row_passes() {
        let m = HeaderMapping::new(
            &headers(&["客户号", "姓名", "手机号", "所属网点", "客户经理", "风险等级", "风评日期"]),
            &HashMap::new(),
        )
        .unwrap();
        let mut v = RowValidator::new(m, &Bank, today());
        let d = v.validate(&["C001", "王芳", "13812341234", "SB01", "cm01", "C3", "2025-01-02"]).unwrap();
        assert_eq!(d.owner_id, Some(StaffId::new(9)));
        assert_eq!(d.risk.unwrap().grade.get(), 3);
    }

    #[test]
    fn a_unionid_column_is_read_and_checked() {
        let m = HeaderMapping::new(&headers(&["客户号", "姓名", "所属网点", "UnionID"]), &HashMap::new()).unwrap();
        let mut v = RowValidator::new(m, &Bank, today());
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
        let mut v = RowValidator::new(m, &Bank, today());
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
        let mut v = RowValidator::new(m, &Bank, today());
        assert!(v.validate(&["C1", "甲", "SB01", ""]).is_ok());
        assert_eq!(v.validate(&["C1", "乙", "SB01", ""]).unwrap_err()[0].code, "duplicate_in_file");
        assert_eq!(v.validate(&["C2", "丙", "SB01", "cm99"]).unwrap_err()[0].code, "customer_manager_elsewhere");
    }

    #[test]
    fn dates_in_the_future_are_refused_with_a_day_of_tolerance() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "出生日期", "风险等级", "风险评估日期"]);
        let tomorrow = "2026-11-25";
        let d = v.validate(&["C1", "甲", "SB01", tomorrow, "C3", tomorrow]).expect("a day ahead is a time zone");
        assert_eq!(d.risk.unwrap().assessed_on.to_string(), tomorrow);
        let errs = v.validate(&["C2", "乙", "SB01", "2099-01-01", "C3", "2026-11-26"]).unwrap_err();
        assert_eq!(codes(&errs), [("出生日期", "future_date"), ("风险评估日期", "future_date")]);
        assert!(errs[0].message.render(crate::lang::Lang::En).contains("2099-01-01"), "{}", errs[0].message);
        // "Today" is what the caller says, not the machine's clock.
        let m = HeaderMapping::new(&headers(&["客户号", "姓名", "网点代码", "出生日期"]), &HashMap::new()).unwrap();
        let mut later = RowValidator::new(m, &Bank, today() + chrono::Days::new(1));
        assert!(later.validate(&["C3", "丙", "SB01", "2026-11-26"]).is_ok());
    }

    #[test]
    fn an_id_number_born_in_the_future_is_refused() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "身份证号"]);
        let first17 = "11010520990101001";
        let id = format!("{first17}{}", validate::id_check_digit(first17) as char);
        let errs = v.validate(&["C1", "甲", "SB01", &id]).unwrap_err();
        assert_eq!(codes(&errs), [("身份证号", "bad_id_number")]);
        assert!(errs[0].message.render(crate::lang::Lang::En).contains("future"));
    }

    #[test]
    fn sub_branches_by_code_or_by_a_name_only_one_unit_has() {
        let mut v = validator(&["客户号", "姓名", "开户网点"]);
        assert_eq!(v.validate(&["C1", "甲", "陆家嘴支行"]).unwrap().sub_branch_id, OrgUnitId::new(5));
        assert_eq!(v.validate(&["C2", "乙", "SB01"]).unwrap().sub_branch_id, OrgUnitId::new(5));
        let errs = v.validate(&["C3", "丙", "静安支行"]).unwrap_err();
        assert_eq!(codes(&errs), [("开户网点", "ambiguous_sub_branch")]);
        assert!(errs[0].message.render(crate::lang::Lang::En).contains("静安支行"));
        assert_eq!(codes(&v.validate(&["C4", "丁", "火星支行"]).unwrap_err()), [("开户网点", "unknown_sub_branch")]);
        // A manager is checked against the unit the name resolved to.
        let mut v = validator(&["客户号", "姓名", "所属网点", "客户经理编号"]);
        assert_eq!(v.validate(&["C1", "甲", "陆家嘴支行", "cm01"]).unwrap().owner_id, Some(StaffId::new(9)));
    }

    #[test]
    fn id_types_other_than_the_id_card_are_kept_unchecked() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "证件类型", "证件号码"]);
        let d = v.validate(&["C1", "甲", "SB01", "护照", "e1234567 8"]).unwrap();
        assert_eq!((d.id_type, d.id_number.as_deref()), (Some(IdType::Passport), Some("E12345678")));
        for (i, t) in ["港澳通行证", "台胞证", "军官证"].into_iter().enumerate() {
            let d = v.validate(&[&format!("T{i}"), "甲", "SB01", t, "H0123456701"]).unwrap();
            assert!(!d.id_type.unwrap().is_resident_id_number(), "{t}");
        }
        // The ID card is still checked, typed or not; a type without a number is no type.
        assert_eq!(
            codes(&v.validate(&["C2", "乙", "SB01", "身份证", "E12345678"]).unwrap_err()),
            [("证件号码", "bad_id_number")]
        );
        let d = v.validate(&["C3", "丙", "SB01", "", "11010519491231002X"]).unwrap();
        assert_eq!(d.id_type, Some(IdType::ResidentId));
        assert_eq!(v.validate(&["C4", "丁", "SB01", "护照", ""]).unwrap().id_type, None);
        let errs = v.validate(&["C5", "戊", "SB01", "驾驶证", "123"]).unwrap_err();
        assert_eq!(codes(&errs), [("证件类型", "bad_id_type")]);
        assert!(errs[0].message.render(crate::lang::Lang::En).contains("驾驶证"));
    }

    #[test]
    fn unknown_gender_is_a_value_an_unrecognised_one_an_error() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "性别"]);
        assert_eq!(v.validate(&["C1", "甲", "SB01", "未知"]).unwrap().gender, Gender::Unknown);
        assert_eq!(v.validate(&["C2", "乙", "SB01", "不详"]).unwrap().gender, Gender::Unknown);
        assert_eq!(v.validate(&["C3", "丙", "SB01", "女"]).unwrap().gender, Gender::Female);
        let errs = v.validate(&["C4", "丁", "SB01", "X"]).unwrap_err();
        assert_eq!(codes(&errs), [("性别", "bad_gender")]);
        assert!(errs[0].message.render(crate::lang::Lang::En).ends_with(": X"), "{}", errs[0].message);
    }

    #[test]
    fn a_payroll_flag_confirms_the_payday() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "是否代发", "代发日"]);
        assert_eq!(v.validate(&["C1", "甲", "SB01", "是", "15"]).unwrap().segments.payroll_day, Some(15));
        assert_eq!(v.validate(&["C2", "乙", "SB01", "否", ""]).unwrap().segments.payroll_day, None);
        assert_eq!(v.validate(&["C3", "丙", "SB01", "", "10"]).unwrap().segments.payroll_day, Some(10));
        assert_eq!(
            codes(&v.validate(&["C4", "丁", "SB01", "是", ""]).unwrap_err()),
            [("代发日", "missing_payroll_day")]
        );
        assert_eq!(
            codes(&v.validate(&["C5", "戊", "SB01", "否", "10"]).unwrap_err()),
            [("是否代发", "payroll_flag_conflict")]
        );
        assert_eq!(codes(&v.validate(&["C6", "己", "SB01", "也许", ""]).unwrap_err()), [("是否代发", "bad_flag")]);
        // Without a payday column, yes names a payday that is not there.
        let mut v = validator(&["客户号", "姓名", "网点代码", "代发标志"]);
        assert_eq!(
            codes(&v.validate(&["C1", "甲", "SB01", "Y"]).unwrap_err()),
            [("payroll_day", "missing_payroll_day")]
        );
    }

    #[test]
    fn aum_tiers_by_name_and_amounts_in_the_unit_the_header_names() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "AUM等级（资产）"]);
        assert_eq!(v.validate(&["C1", "甲", "SB01", "钻石"]).unwrap().aum_tier.get(), 4);
        assert_eq!(v.validate(&["C2", "乙", "SB01", "2"]).unwrap().aum_tier.get(), 2);
        let mut v = validator(&["客户号", "姓名", "网点代码", "资产余额（万元）"]);
        assert_eq!(v.validate(&["C1", "甲", "SB01", "82"]).unwrap().aum_tier.get(), 3, "820,000 yuan");
        let mut v = validator(&["客户号", "姓名", "网点代码", "资产余额(元)"]);
        assert_eq!(v.validate(&["C1", "甲", "SB01", "82"]).unwrap().aum_tier.get(), 1);
    }

    #[test]
    fn common_bank_headers_are_recognised_after_normalising() {
        let cases = [
            ("AUM等级", Field::AumTier),
            ("资产等级", Field::AumTier),
            ("AUM等级（资产）", Field::AumTier),
            ("AUM等级(资产)", Field::AumTier),
            ("ＡＵＭ 等级", Field::AumTier),
            (" aum等级【资产】", Field::AumTier),
            ("测评日期", Field::RiskAssessedOn),
            ("风险测评日期", Field::RiskAssessedOn),
            ("代发标志", Field::PayrollFlag),
            ("是否代发", Field::PayrollFlag),
            ("客户经理编号", Field::OwnerUsername),
            ("证件类型", Field::IdType),
            ("所属网点", Field::SubBranchCode),
            ("开户网点", Field::SubBranchCode),
            ("*客户号", Field::CustomerNo),
            ("资产余额（万元）", Field::AumYuan),
            ("\u{feff}customer no", Field::CustomerNo),
            ("Customer_No", Field::CustomerNo),
            ("手机号：", Field::Phone),
        ];
        for (h, f) in cases {
            assert_eq!(Field::from_header(h), Some(f), "{h:?}");
        }
        for h in ["", "（资产）", "备注", "AUM等级资产"] {
            assert_eq!(Field::from_header(h), None, "{h:?}");
        }
        assert_eq!(normalize_header("AUM等级（资产）"), ("aum等级".to_owned(), Some("资产".to_owned())));
    }

    #[test]
    fn the_consoles_export_headers_map_and_its_masked_columns_are_skipped() {
        let zh = ["客户号", "姓名", "手机号(脱敏)", "证件号(脱敏)", "网点", "客户经理工号", "客户经理姓名"];
        let en = ["customer_no", "name", "phone (masked)", "id_number (masked)", "sub_branch", "owner", "owner_name"];
        for h in [zh, en] {
            let fields: Vec<_> = h.iter().map(|x| Field::from_header(x)).collect();
            use Field::*;
            let want = [CustomerNo, Name, Ignore, Ignore, SubBranchCode, OwnerUsername, Ignore];
            assert_eq!(fields, want.map(Some), "{h:?}");
        }
        for (h, f) in [("代发", Field::PayrollFlag), ("已加企业微信", Field::Ignore), ("on_wecom", Field::Ignore)]
        {
            assert_eq!(Field::from_header(h), Some(f), "{h}");
        }
        // Only a note that says so makes a number column a masked one.
        assert_eq!(Field::from_header("手机号(客户本人)"), Some(Field::Phone));
    }

    #[test]
    fn a_masked_number_in_a_number_column_refuses_the_row() {
        let mut v = validator(&["客户号", "姓名", "网点代码", "手机号", "身份证号"]);
        let errs = v.validate(&["C1", "甲", "SB01", "138****1234", "110***********002X"]).unwrap_err();
        assert_eq!(codes(&errs), [("手机号", "masked_number"), ("身份证号", "masked_number")]);
        assert!(v.validate(&["C2", "乙", "SB01", "", ""]).is_ok());
    }

    #[test]
    fn header_sets_are_keyed_as_compared_with_their_units() {
        let a = header_set_key(&headers(&["客户号", "ＡＵＭ 等级", "资产余额（万元）"]));
        assert_eq!(a, header_set_key(&headers(&["*客户号", "aum等级", "资产余额(万元)"])));
        assert_ne!(a, header_set_key(&headers(&["客户号", "aum等级", "资产余额(元)"])));
        assert_ne!(a, header_set_key(&headers(&["aum等级", "客户号", "资产余额(万元)"])));
        assert_ne!(header_set_key(&headers(&["a", "b"])), header_set_key(&headers(&["ab"])));
    }

    #[test]
    fn statuses_read_back_and_which_may_be_mapped_again() {
        for s in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(s.as_str()), Some(s));
        }
        let remappable: Vec<_> = ImportStatus::ALL.into_iter().filter(|s| s.remappable()).collect();
        assert_eq!(remappable, [ImportStatus::Validated, ImportStatus::NeedsMapping, ImportStatus::Rejected]);
    }

    #[test]
    fn header_score_counts_recognised_cells() {
        assert_eq!(header_score(&["某银行客户导出 2026-11-24", "", ""]), 0);
        assert_eq!(header_score(&["客户号", "姓名", "开户网点", "AUM等级（资产）", "备注", "ignore"]), 4);
        assert_eq!(header_score(&["C001", "王芳", "陆家嘴支行", "3"]), 0);
        assert_eq!(header_score(&[]), 0);
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
