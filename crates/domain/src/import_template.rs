//! The customer file template an operator downloads: every column the import knows, the required ones
//! marked, a row of notes and an example row, in the operator's language.
//!
//! A template that is uploaded back as it came must import cleanly: its headers are recognised
//! (a leading `*` marks a required column and is dropped when headers are compared), and its notes and
//! example rows are recognised by their first cell (`说明：…`, `示例：…`, `Notes: …`, `Example: …`) and
//! skipped. Such a first cell can never be a customer number (1–32 letters, digits or `-`), so no
//! customer row is ever skipped for it.

use crate::import::Field;

/// The language of a file siyu writes for people to fill or read: a template, an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileLang {
    Zh,
    En,
}

impl FileLang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Zh, Self::En].into_iter().find(|l| l.code() == s)
    }

    /// One of two words, the one in this language.
    fn pick<'a>(self, (zh, en): (&'a str, &'a str)) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }
}

/// One column of the template, for both languages: its field (which says whether the column is
/// required, marked `*`: the import's own rule, so the two cannot drift apart), its header, an example
/// value and what to write, each as (Chinese, English).
struct Column {
    field: Field,
    header: (&'static str, &'static str),
    example: (&'static str, &'static str),
    note: (&'static str, &'static str),
}

/// One column; written as one row of the table below.
const fn col(
    field: Field,
    header: (&'static str, &'static str),
    example: (&'static str, &'static str),
    note: (&'static str, &'static str),
) -> Column {
    Column { field, header, example, note }
}

/// A value written alike in both languages.
const fn same(v: &'static str) -> (&'static str, &'static str) {
    (v, v)
}

/// Every field a file can fill, in the order a bank's export usually has them. An English example
/// spells the Chinese one's words the way the import reads them too (女 is `female`).
const COLUMNS: &[Column] = &[
    col(
        Field::CustomerNo,
        ("客户号", "customer_no"),
        same("C0001"),
        ("必填；1-32位字母、数字或-", "required; 1-32 letters, digits or -"),
    ),
    col(Field::Name, ("姓名", "name"), same("王芳"), ("必填", "required")),
    col(
        Field::SubBranchCode,
        ("网点代码", "sub_branch_code"),
        same("SH01"),
        ("必填；网点代码或名称", "required; the unit's code or name"),
    ),
    col(
        Field::OwnerUsername,
        ("客户经理工号", "owner"),
        same("cm001"),
        ("客户经理的登录名（工号）", "the customer manager's login"),
    ),
    col(
        Field::Phone,
        ("手机号", "phone"),
        same("13800001234"),
        ("11位手机号；留空即清除", "11-digit mobile; empty clears it"),
    ),
    col(
        Field::IdType,
        ("证件类型", "id_type"),
        ("居民身份证", "resident_id"),
        ("默认居民身份证；护照、港澳通行证等", "resident ID unless given: passport, …"),
    ),
    col(
        Field::IdNumber,
        ("证件号码", "id_number"),
        same("11010519491231002X"),
        ("身份证须校验位正确", "a resident ID needs its check digit"),
    ),
    col(Field::Gender, ("性别", "gender"), ("女", "female"), ("男/女/未知", "male / female / unknown")),
    col(Field::Birthday, ("出生日期", "birthday"), same("1949-12-31"), same("YYYY-MM-DD")),
    col(
        Field::AumTier,
        ("资产层级", "aum_tier"),
        same("3"),
        ("1-5 或 大众/金卡/白金/钻石/私行", "1-5 or Mass/Gold/Platinum/Diamond/Private"),
    ),
    col(
        Field::AumYuan,
        ("资产余额（元）", "aum_yuan"),
        same(""),
        ("不填资产层级时按余额定层级", "sets the tier when no tier is given"),
    ),
    col(
        Field::PayrollFlag,
        ("是否代发", "payroll"),
        ("是", "yes"),
        ("是/否；是须填代发日", "yes / no; yes needs the payday"),
    ),
    col(Field::PayrollDay, ("代发日", "payroll_day"), same("15"), same("1-31")),
    col(Field::CreditCard, ("信用卡客户", "credit_card"), ("否", "no"), ("是/否", "yes / no")),
    col(Field::Wealth, ("理财客户", "wealth"), ("是", "yes"), ("是/否", "yes / no")),
    col(Field::Loan, ("贷款客户", "loan"), ("否", "no"), ("是/否", "yes / no")),
    col(
        Field::RiskGrade,
        ("风险等级", "risk_grade"),
        same("C3"),
        ("C1-C5，须同时填评估日期", "C1-C5, with its assessment date"),
    ),
    col(
        Field::RiskAssessedOn,
        ("风评日期", "risk_assessed_on"),
        same("2026-01-05"),
        ("YYYY-MM-DD，一年内有效", "YYYY-MM-DD; valid for a year"),
    ),
    col(Field::ConsentOneToOne, ("同意一对一营销", "consent_1v1"), ("是", "yes"), ("是/否", "yes / no")),
    col(Field::ConsentMoments, ("同意朋友圈营销", "consent_moments"), ("否", "no"), ("是/否", "yes / no")),
    col(Field::ConsentGroup, ("同意社群营销", "consent_group"), ("否", "no"), ("是/否", "yes / no")),
    col(Field::ConsentPersonalised, ("同意个性化营销", "consent_personalised"), ("否", "no"), ("是/否", "yes / no")),
    col(Field::WecomExternalUserid, ("企微外部联系人ID", "wecom_external_userid"), same(""), ("可不填", "optional")),
    col(Field::WechatUnionid, ("微信UnionID", "wechat_unionid"), same(""), ("可不填", "optional")),
];

/// What the first cells of the notes and example rows begin with, as (Chinese, English).
const NOTES_MARK: (&str, &str) = ("说明：", "Notes: ");
const EXAMPLE_MARK: (&str, &str) = ("示例：", "Example: ");

/// The first cells that mark a template's notes and example rows, as compared (see [`is_note_row`]).
const NOTE_MARKS: [&str; 4] = ["说明", "示例", "notes:", "example:"];

/// The template's rows: the header (required columns marked `*`), the notes, the example.
pub fn rows(lang: FileLang) -> Vec<Vec<String>> {
    let header =
        COLUMNS.iter().map(|c| format!("{}{}", if c.field.required() { "*" } else { "" }, lang.pick(c.header)));
    let row = |cell: fn(&Column) -> (&'static str, &'static str), mark: (&'static str, &'static str)| {
        let mut cells: Vec<String> = COLUMNS.iter().map(|c| lang.pick(cell(c)).to_owned()).collect();
        cells[0].insert_str(0, lang.pick(mark));
        cells
    };
    vec![header.collect(), row(|c| c.note, NOTES_MARK), row(|c| c.example, EXAMPLE_MARK)]
}

/// Whether a row is a template's notes or example row: its first cell starts with one of the marks,
/// compared after full-width forms are made half-width and ASCII letters lower case.
pub fn is_note_row(cells: &[&str]) -> bool {
    let Some(first) = cells.first() else { return false };
    let first: String =
        first.trim().chars().take(12).map(crate::validate::half_width).map(|c| c.to_ascii_lowercase()).collect();
    NOTE_MARKS.iter().any(|m| first.starts_with(m))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::import::HeaderMapping;

    #[test]
    fn every_field_is_a_column_and_every_header_maps_back_to_it() {
        for lang in [FileLang::Zh, FileLang::En] {
            let rows = rows(lang);
            let header = &rows[0];
            let fields: Vec<Field> = header.iter().map(|h| Field::from_header(h).expect(h)).collect();
            let expected: Vec<Field> = Field::all().filter(|f| *f != Field::Ignore).collect();
            assert_eq!(fields.len(), expected.len(), "{lang:?}");
            for f in &expected {
                assert!(fields.contains(f), "{lang:?} lacks {f:?}");
            }
            let marked: Vec<&String> = header.iter().filter(|h| h.starts_with('*')).collect();
            assert_eq!(marked.len(), 3, "{lang:?}: {marked:?}");
            assert!(HeaderMapping::new(header, &HashMap::new()).is_ok());
            assert!(rows[1..].iter().all(|r| r.len() == header.len()));
        }
    }

    #[test]
    fn notes_and_example_rows_are_recognised_and_customer_rows_are_not() {
        for lang in [FileLang::Zh, FileLang::En] {
            for row in &rows(lang)[1..] {
                let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                assert!(is_note_row(&cells), "{cells:?}");
            }
        }
        for first in ["C0001", "NOTES1", "example", "", "王芳"] {
            assert!(!is_note_row(&[first, "说明"]), "{first}");
        }
        assert!(is_note_row(&["ＮＯＴＥＳ：x"]));
        assert!(!is_note_row(&[]));
    }
}
