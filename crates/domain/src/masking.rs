//! How personal numbers look in every staff view: masked, the way Chinese banks print them.
//!
//! Phone `138****1234` (first 3 + last 4), resident ID first 3 + last 4 (other documents their last
//! quarter), card number first 6 + last 4; the birthday is shown as its year only (`customer.rs`). The
//! masked form is computed once when the clear value is sealed and stored beside the ciphertext, so lists
//! never decrypt anything.

/// Keeps `head` leading and `tail` trailing characters and stars the rest. Values too short to hide
/// anything are starred whole, so a short value never leaks in full.
fn mask(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(4));
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// `13812341234` → `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    mask(phone, 3, 4)
}

/// A resident ID (18 or 15 characters) as banks print it, `110101199003071234` → `110***********1234`;
/// any other document (passport `E12345678`, permits) keeps only its last quarter, at most 4: those
/// numbers are short, and first 3 + last 4 would show 7 of a passport's 9.
pub fn mask_id_number(id: &str) -> String {
    let len = id.chars().count();
    if len == 18 || len == 15 { mask(id, 3, 4) } else { mask(id, 0, (len / 4).min(4)) }
}

/// `6225881234567890` → `622588******7890`.
pub fn mask_card_number(card: &str) -> String {
    mask(card, 6, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_as_banks_print_them() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_id_number("11010119900307123X"), "110***********123X");
        assert_eq!(mask_id_number("E12345678"), "*******78", "a passport shows its last quarter");
        assert_eq!(mask_id_number("H1234567890"), "*********90");
        assert_eq!(mask_id_number("830000199001011234"), "830***********1234", "an 18-character permit");
        assert_eq!(mask_card_number("6225881234567890"), "622588******7890");
    }

    #[test]
    fn short_values_are_hidden_whole() {
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone("12"), "****");
    }
}
