//! Messages kept in the database until someone reads them (an import's row problems and file error):
//! a catalogue [`Text`] is stored as JSON and put into the reader's language when it is shown, so one
//! stored import reads in Chinese to one operator and in English to another.

use siyu_domain::lang::Text;

/// The form a text is stored in, read back by [`decode`].
pub fn encode(text: &Text) -> String {
    match text {
        // A pair is stored as it always was, so rows from before the catalogue and after read alike.
        Text::Pair(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A stored text: an encoded catalogue entry, or (rows written before) a "中文 / English" pair.
pub fn decode(stored: &str) -> Text {
    if stored.starts_with('{')
        && let Ok(t) = serde_json::from_str(stored)
    {
        return t;
    }
    Text::Pair(stored.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use siyu_domain::lang::Lang;

    #[test]
    fn a_stored_text_reads_back_and_old_rows_read_as_pairs() {
        let t = Text::new("import.bad_gender").arg("value", "X");
        assert_eq!(decode(&encode(&t)), t);
        let list = Text::List(vec![Text::new("field.name"), Text::from("备注")]);
        assert_eq!(decode(&encode(&list)).render(Lang::En), "Name, 备注");
        let old = "性别应为 男/女/未知 / gender must be male, female or unknown: X";
        assert_eq!(decode(old).render(Lang::En), "gender must be male, female or unknown: X");
        assert_eq!(decode(old).render(Lang::Zh), "性别应为 男/女/未知");
        assert_eq!(decode("{\"k\": not json").render(Lang::Zh), "{\"k\": not json");
    }
}
