//! Reading the flat XML WeCom sends: `<xml><Name><![CDATA[value]]></Name>…</xml>`, with one level of
//! `<Item>` children for lists (`MemChangeList`). Elements are looked up by name; order does not matter.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

/// The elements of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    values: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML (-40002): {0}")]
pub struct XmlError(pub String);

impl Fields {
    /// Parses a message. Anything that is not well-formed XML with an `<xml>` root is an error.
    pub fn parse(text: &str) -> Result<Self, XmlError> {
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<String> = Vec::new();
        let mut out = Fields::default();
        let mut text_buf = String::new();
        let mut saw_root = false;
        loop {
            match reader.read_event().map_err(|e| XmlError(e.to_string()))? {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if stack.is_empty() {
                        if name != "xml" {
                            return Err(XmlError(format!("root element is <{name}>, not <xml>")));
                        }
                        saw_root = true;
                    }
                    stack.push(name);
                    text_buf.clear();
                }
                Event::Text(t) => text_buf.push_str(&t.unescape().map_err(|e| XmlError(e.to_string()))?),
                Event::CData(t) => text_buf.push_str(&String::from_utf8_lossy(&t.into_inner())),
                Event::End(_) => {
                    let name = stack.pop().ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                    match stack.len() {
                        // A direct child of <xml>: a value (lists keep their items, not their text).
                        1 if !out.lists.contains_key(&name) => {
                            out.values.insert(name, text_buf.trim().to_owned());
                        }
                        // An <Item> inside a list element.
                        2 => out.lists.entry(stack[1].clone()).or_default().push(text_buf.trim().to_owned()),
                        _ => {}
                    }
                    text_buf.clear();
                }
                Event::Empty(e) if stack.len() == 1 => {
                    out.values.insert(String::from_utf8_lossy(e.name().as_ref()).into_owned(), String::new());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !saw_root || !stack.is_empty() {
            return Err(XmlError("no complete <xml> element".into()));
        }
        Ok(out)
    }

    /// A value, if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A list's items; a comma-separated value is accepted as well (some senders flatten lists).
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.lists.get(name) {
            Some(items) => items.clone(),
            None => self
                .get(name)
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cdata_text_and_items() {
        let f = Fields::parse(
            "<xml><A><![CDATA[x & y]]></A><B>12</B><L><Item>a</Item><Item><![CDATA[b]]></Item></L><E/></xml>",
        )
        .unwrap();
        assert_eq!(f.get("A"), Some("x & y"));
        assert_eq!(f.get("B"), Some("12"));
        assert_eq!(f.list("L"), ["a", "b"]);
        assert_eq!(f.get("E"), None);
        assert_eq!(Fields::parse("<xml><L>a, b</L></xml>").unwrap().list("L"), ["a", "b"]);
    }

    #[test]
    fn refuses_garbage() {
        for bad in ["", "hello", "<xml><A>", "<root><A>1</A></root>", "<xml><A></B></xml>"] {
            assert!(Fields::parse(bad).is_err(), "{bad:?}");
        }
    }
}
