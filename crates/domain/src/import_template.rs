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
}

/// One column of the template: its field, header in Chinese and English, what to write (Chinese,
/// English) and an example value.
struct Column {
    field: Field,
    zh: &'static str,
    en: &'static str,
    note_zh: &'static str,
    note_en: &'static str,
    example: &'static str,
}

const fn col(
    field: Field,
    zh: &'static str,
    en: &'static str,
    note_zh: &'static str,
    note_en: &'static str,
    example: &'static str,
) -> Column {
    Column { field, zh, en, note_zh, note_en, example }
}

/// Every field a file can fill, in the order a bank's export usually has them.
const COLUMNS: &[Column] = &[
    col(
        Field::CustomerNo,
        "客户号",
        "customer_no",
        "必填；1-32位字母、数字或-",
        "required; 1-32 letters, digits or -",
        "C0001",
    ),
    col(Field::Name, "姓名", "name", "必填", "required", "王芳"),
    col(
        Field::SubBranchCode,
        "网点代码",
        "sub_branch_code",
        "必填；网点代码或名称",
        "required; the unit's code or name",
        "SH01",
    ),
    col(
        Field::OwnerUsername,
        "客户经理工号",
        "owner",
        "客户经理的登录名（工号）",
        "the customer manager's login",
        "cm001",
    ),
    col(Field::Phone, "手机号", "phone", "11位手机号；留空即清除", "11-digit mobile; empty clears it", "13800001234"),
    col(
        Field::IdType,
        "证件类型",
        "id_type",
        "默认居民身份证；护照、港澳通行证等",
        "resident ID unless given: passport, …",
        "居民身份证",
    ),
    col(
        Field::IdNumber,
        "证件号码",
        "id_number",
        "身份证须校验位正确",
        "a resident ID needs its check digit",
        "11010519491231002X",
    ),
    col(Field::Gender, "性别", "gender", "男/女/未知", "male / female / unknown", "女"),
    col(Field::Birthday, "出生日期", "birthday", "YYYY-MM-DD", "YYYY-MM-DD", "1949-12-31"),
    col(
        Field::AumTier,
        "资产层级",
        "aum_tier",
        "1-5 或 大众/金卡/白金/钻石/私行",
        "1-5 or Mass/Gold/Platinum/Diamond/Private",
        "3",
    ),
    col(
        Field::AumYuan,
        "资产余额（元）",
        "aum_yuan",
        "不填资产层级时按余额定层级",
        "sets the tier when no tier is given",
        "",
    ),
    col(Field::PayrollFlag, "是否代发", "payroll", "是/否；是须填代发日", "yes / no; yes needs the payday", "是"),
    col(Field::PayrollDay, "代发日", "payroll_day", "1-31", "1-31", "15"),
    col(Field::CreditCard, "信用卡客户", "credit_card", "是/否", "yes / no", "否"),
    col(Field::Wealth, "理财客户", "wealth", "是/否", "yes / no", "是"),
    col(Field::Loan, "贷款客户", "loan", "是/否", "yes / no", "否"),
    col(Field::RiskGrade, "风险等级", "risk_grade", "C1-C5，须同时填评估日期", "C1-C5, with its assessment date", "C3"),
    col(
        Field::RiskAssessedOn,
        "风评日期",
        "risk_assessed_on",
        "YYYY-MM-DD，一年内有效",
        "YYYY-MM-DD; valid for a year",
        "2026-01-05",
    ),
    col(Field::ConsentOneToOne, "同意一对一营销", "consent_1v1", "是/否", "yes / no", "是"),
    col(Field::ConsentMoments, "同意朋友圈营销", "consent_moments", "是/否", "yes / no", "否"),
    col(Field::ConsentGroup, "同意社群营销", "consent_group", "是/否", "yes / no", "否"),
    col(Field::ConsentPersonalised, "同意个性化营销", "consent_personalised", "是/否", "yes / no", "否"),
    col(Field::WecomExternalUserid, "企微外部联系人ID", "wecom_external_userid", "可不填", "optional", ""),
    col(Field::WechatUnionid, "微信UnionID", "wechat_unionid", "可不填", "optional", ""),
];

/// The first cells that mark a template's notes and example rows, as compared (see [`is_note_row`]).
const NOTE_MARKS: [&str; 4] = ["说明", "示例", "notes:", "example:"];

/// The template's rows: the header (required columns marked `*`), the notes, the example.
pub fn rows(lang: FileLang) -> Vec<Vec<String>> {
    let en = lang == FileLang::En;
    let header = COLUMNS
        .iter()
        .map(|c| format!("{}{}", if c.field.required() { "*" } else { "" }, if en { c.en } else { c.zh }))
        .collect();
    let mut notes: Vec<String> = COLUMNS.iter().map(|c| (if en { c.note_en } else { c.note_zh }).to_owned()).collect();
    let mut example: Vec<String> = COLUMNS.iter().map(|c| c.example.to_owned()).collect();
    let (notes_mark, example_mark) = if en { ("Notes: ", "Example: ") } else { ("说明：", "示例：") };
    notes[0].insert_str(0, notes_mark);
    example[0].insert_str(0, example_mark);
    if en {
        // The example's Chinese words have English spellings the import reads too.
        for (cell, c) in example.iter_mut().zip(COLUMNS) {
            let english = match (c.field, cell.as_str()) {
                (Field::IdType, _) => "resident_id",
                (_, "女") => "female",
                (_, "是") => "yes",
                (_, "否") => "no",
                _ => continue,
            };
            *cell = english.to_owned();
        }
    }
    vec![header, notes, example]
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
