//! One language per screen: the viewer's [`Lang`], and [`Text`], a message for people held as a
//! catalogue key with named arguments until the moment it is shown, when it becomes Chinese or English.
//!
//! Services, the import checks and the expression parser all say what went wrong as a `Text`; only the
//! edge that knows who is looking (`siyu-web`: the console's language cookie, the API's
//! `Accept-Language`) calls [`Text::render`]. The words live in the tables of this module
//! ([`catalogue`]), one file per area, each entry `(key, 中文, English)` with `{name}` placeholders.

mod content;
mod expression;
mod import;
mod library;
mod media;
mod service;

use std::fmt;

use serde::{Deserialize, Serialize};

/// A language a person reads siyu in. Simplified Chinese is the bank's and the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Self; 2] = [Self::Zh, Self::En];

    /// The language an HTTP `Accept-Language` header asks for: English when the most preferred tag
    /// siyu speaks is `en…`, Chinese otherwise (also when the header is missing or unreadable).
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(h) = header else { return Self::Zh };
        let mut best: Option<(f32, Self)> = None;
        for part in h.split(',').take(20) {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q =
                it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Self::En
            } else if tag.starts_with("zh") || tag == "*" {
                Self::Zh
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::Zh, |(_, l)| l)
    }

    /// The value of an HTML `lang` attribute.
    pub fn html_code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// One of two words, the one in this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }
}

/// A message for people, not yet in a language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Text {
    /// A catalogue entry and the values of its `{name}` placeholders.
    #[serde(rename = "k")]
    Key { key: String, args: Vec<(String, Arg)> },
    /// Written before the catalogue existed, or not yet moved into it: `"中文 / English"`. Shown as the
    /// half in the viewer's language (split at the first " / "); a text without the separator is shown
    /// as it is in both.
    #[serde(rename = "p")]
    Pair(String),
    /// Several texts in a row (field names, say): `、` between them in Chinese, `, ` in English.
    #[serde(rename = "l")]
    List(Vec<Text>),
}

/// The value of one placeholder: data as it is (a customer number, a limit), or words of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arg {
    #[serde(rename = "v")]
    Value(String),
    #[serde(rename = "t")]
    Text(Text),
}

/// What a key missing from the catalogue is shown as, so a test (and a person) notices.
pub const MISSING: &str = "?";

impl Text {
    /// The catalogue entry `key`, to be given its arguments with [`Text::arg`] and [`Text::text`].
    pub fn new(key: &str) -> Self {
        Self::Key { key: key.to_owned(), args: Vec::new() }
    }

    /// Fills `{name}` with a value shown as it is.
    #[must_use]
    pub fn arg(self, name: &str, value: impl fmt::Display) -> Self {
        self.with(name, Arg::Value(value.to_string()))
    }

    /// Fills `{name}` with words that are themselves in the viewer's language.
    #[must_use]
    pub fn text(self, name: &str, value: Text) -> Self {
        self.with(name, Arg::Text(value))
    }

    fn with(self, name: &str, value: Arg) -> Self {
        match self {
            Self::Key { key, mut args } => {
                args.push((name.to_owned(), value));
                Self::Key { key, args }
            }
            other => other,
        }
    }

    /// The catalogue key, if it is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Key { key, .. } => Some(key),
            Self::Pair(_) | Self::List(_) => None,
        }
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Self::List(items) => items.iter().map(|t| t.render(lang)).collect::<Vec<_>>().join(lang.pick("、", ", ")),
            Self::Pair(s) => match s.split_once(" / ") {
                Some((zh, en)) => lang.pick(zh, en).trim().to_owned(),
                None => s.clone(),
            },
            Self::Key { key, args } => {
                let Some(template) = words(key, lang) else { return format!("{MISSING}{key}") };
                let mut out = template.to_owned();
                for (name, value) in args {
                    let shown = match value {
                        Arg::Value(v) => v.clone(),
                        Arg::Text(t) => t.render(lang),
                    };
                    out = out.replace(&format!("{{{name}}}"), &shown);
                }
                out
            }
        }
    }

    /// The same text with every quoted value cut to `max` characters (an ellipsis marks a cut): a
    /// problem quoting a 30,000-character cell stays small.
    #[must_use]
    pub fn with_values_cut(self, max: usize) -> Self {
        match self {
            Self::Key { key, args } => Self::Key {
                key,
                args: args
                    .into_iter()
                    .map(|(n, a)| match a {
                        Arg::Value(v) if v.chars().count() > max => {
                            (n, Arg::Value(v.chars().take(max).chain(['…']).collect()))
                        }
                        Arg::Text(t) => (n, Arg::Text(t.with_values_cut(max))),
                        other => (n, other),
                    })
                    .collect(),
            },
            Self::Pair(s) if s.chars().count() > max => Self::Pair(s.chars().take(max).chain(['…']).collect()),
            Self::List(items) => Self::List(items.into_iter().map(|t| t.with_values_cut(max)).collect()),
            pair => pair,
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self::Pair(s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self::Pair(s.to_owned())
    }
}

/// In Chinese, the default language: what logs and `to_string()` show.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::default()))
    }
}

/// Every message table: key, 中文, English.
pub fn catalogue() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    service::GENERAL
        .iter()
        .chain(service::HTTP.iter())
        .chain(service::MESSAGES.iter())
        .chain(service::QUERY.iter())
        .chain(service::JOBS.iter())
        .chain(import::MESSAGES.iter())
        .chain(import::FILE.iter())
        .chain(import::FIELDS.iter())
        .chain(import::AUDIT.iter())
        .chain(expression::MESSAGES.iter())
        .chain(expression::PARSER.iter())
        .chain(content::PRODUCTS.iter())
        .chain(content::VOCABULARY.iter())
        .chain(content::TEMPLATES.iter())
        .chain(content::LINT.iter())
        .chain(content::REVIEW.iter())
        .chain(content::LINKS.iter())
        .chain(library::WORDS.iter())
        .chain(media::MEDIA.iter())
}

/// The words of `key` in `lang`.
pub fn words(key: &str, lang: Lang) -> Option<&'static str> {
    catalogue().find(|(k, _, _)| *k == key).map(|(_, zh, en)| lang.pick(zh, en))
}

/// The `{name}` placeholders of a catalogue text, in order.
pub fn placeholders(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) if after[..j].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && j > 0 => {
                out.push(&after[..j]);
                rest = &after[j + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// Whether a text holds Chinese characters (CJK ideographs or full-width punctuation).
pub fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}'))
}

#[cfg(test)]
mod tests;
