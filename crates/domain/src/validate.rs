//! Checks on the values that arrive from files and forms: mainland mobile numbers, resident ID numbers
//! (GB 11643 check digit), customer numbers and names. Each failure names what is wrong in words an
//! operator can act on.

use chrono::NaiveDate;

use crate::lang::Text;

/// A value that failed a check, with a reason code (stable, for APIs) and a message (for people).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub code: &'static str,
    pub message: Text,
}

fn invalid(code: &'static str, message: impl Into<Text>) -> Invalid {
    Invalid { code, message: message.into() }
}

/// A WeChat UnionID: letters, digits, `_` and `-`, at most 64 (WeChat's are 28).
pub fn unionid(raw: &str) -> Result<String, Invalid> {
    let v = raw.trim();
    if !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(v.to_owned())
    } else {
        Err(invalid("bad_unionid", Text::new("value.bad_unionid")))
    }
}

/// A mainland mobile number: 11 digits starting 13–19. Spaces, dashes and a `+86`/`86` prefix are
/// accepted and dropped, since bank exports carry all of them.
pub fn normalize_phone(raw: &str) -> Result<String, Invalid> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect();
    let digits =
        digits.strip_prefix("+86").or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11)).unwrap_or(&digits);
    let ok = digits.len() == 11
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.starts_with('1')
        && (b'3'..=b'9').contains(&digits.as_bytes()[1]);
    if ok { Ok(digits.to_owned()) } else { Err(invalid("bad_phone", Text::new("value.bad_phone"))) }
}

/// An 18-character resident ID number with a valid check digit (GB 11643-1999). A lower-case `x` is
/// upper-cased.
pub fn normalize_id_number(raw: &str) -> Result<String, Invalid> {
    let id = raw.trim().to_ascii_uppercase();
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(invalid("bad_id_number", Text::new("value.id_length")));
    }
    if NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").is_err() {
        return Err(invalid("bad_id_number", Text::new("value.id_birth_date")));
    }
    if id_check_digit(&id[..17]) != b[17] {
        return Err(invalid("bad_id_number", Text::new("value.id_check_digit")));
    }
    Ok(id)
}

/// The birth date a (normalised, valid) resident ID number carries in digits 7–14.
pub fn id_birth_date(id: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(id.get(6..14)?, "%Y%m%d").ok()
}

/// The number of a document other than the resident ID card (passport, travel permit, service card):
/// 1–32 letters, digits, `-` or brackets once spaces are dropped; full-width characters become
/// half-width and letters upper case, so one document is one number however it was typed. No check
/// digit: each document has its own scheme, and a bank's file is not the place to second-guess it.
pub fn normalize_document_number(raw: &str) -> Result<String, Invalid> {
    let n: String =
        raw.chars().map(half_width).filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    let len = n.chars().count();
    if len == 0 || len > 32 || !n.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '(' | ')')) {
        return Err(invalid("bad_id_number", Text::new("value.bad_document")));
    }
    Ok(n)
}

/// A full-width form (`Ａ`, `１`, `（`, the ideographic space) as its ASCII twin; other characters as
/// they are. Chinese input methods type these, and spreadsheets keep them.
pub fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The GB 11643 check character for the first 17 digits.
pub fn id_check_digit(first17: &str) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK[(sum % 11) as usize]
}

/// The bank's customer number: 1–32 ASCII letters, digits or `-`.
pub fn normalize_customer_no(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid("bad_customer_no", Text::new("value.bad_customer_no").arg("value", raw)));
    }
    Ok(s.to_owned())
}

/// A person's name: 1–50 characters after trimming, no control characters.
pub fn normalize_name(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    let n = s.chars().count();
    if n == 0 || n > 50 || s.chars().any(char::is_control) {
        return Err(invalid("bad_name", Text::new("value.bad_name")));
    }
    Ok(s.to_owned())
}

/// A date as banks write it: `2024-03-07`, `2024/3/7` or `20240307`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, Invalid> {
    let s = raw.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .ok_or_else(|| invalid("bad_date", Text::new("value.bad_date").arg("value", raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("138 1234 1234").unwrap(), "13812341234");
        assert_eq!(normalize_phone("+8613812341234").unwrap(), "13812341234");
        assert_eq!(normalize_phone("8613812341234").unwrap(), "13812341234");
        for bad in ["12812341234", "1381234123", "1381234123a", "", "010-12345678"] {
            assert_eq!(normalize_phone(bad).unwrap_err().code, "bad_phone", "{bad}");
        }
    }

    #[test]
    fn id_numbers_check_their_digit() {
        // 11010519491231002X is the standard's own example.
        assert_eq!(normalize_id_number("11010519491231002x").unwrap(), "11010519491231002X");
        assert!(normalize_id_number("110105194912310021").is_err());
        assert!(normalize_id_number("110105194913310025").is_err());
        assert!(normalize_id_number("1101051949").is_err());
    }

    #[test]
    fn document_numbers_are_kept_without_the_id_card_check() {
        assert_eq!(normalize_document_number(" e1234 5678 ").unwrap(), "E12345678");
        assert_eq!(normalize_document_number("Ｈ１２３４５６７８").unwrap(), "H12345678");
        assert_eq!(normalize_document_number("南字第123456号").unwrap(), "南字第123456号");
        for bad in ["", "   ", "E123;DROP", &"9".repeat(33)] {
            assert_eq!(normalize_document_number(bad).unwrap_err().code, "bad_id_number", "{bad}");
        }
        assert_eq!(id_birth_date("11010519491231002X"), NaiveDate::from_ymd_opt(1949, 12, 31));
    }

    #[test]
    fn dates_in_bank_formats() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 7).unwrap();
        for s in ["2024-03-07", "2024/3/7", "20240307", "2024.03.07"] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert_eq!(parse_date("2024-02-30").unwrap_err().code, "bad_date");
    }
}
