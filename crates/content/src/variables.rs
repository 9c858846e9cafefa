//! Personalisation variables: `{客户称呼}` in an item's text becomes the customer's salutation when a
//! manager sends it.
//!
//! The syntax is what an operator types without thinking of code: a name in braces, in Chinese or an
//! English alias (`{客户称呼}` = `{salutation}`), ASCII or full-width braces (a Chinese input method
//! gives `｛｝`), spaces inside ignored, `{{` and `}}` for a brace itself. A template is parsed when the
//! item is saved, so an unknown name or a brace left open is refused then, with its character span
//! and what was probably meant, and never reaches a customer as `{客户称乎}`.

use serde::{Deserialize, Serialize};
use siyu_domain::audience::nearest;
use siyu_domain::lang::Text;

use crate::{MAX_TEXT_CHARS, too_long};

/// A value filled in at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variable {
    /// 客户称呼: how the manager addresses the customer (王先生); for a customer who refused
    /// personalised marketing the app fills in a neutral 您 (banking rule 6).
    Salutation,
    /// 客户经理: the sending manager's name.
    ManagerName,
    /// 网点: the manager's sub-branch, which a branch's local variant is mostly about.
    SubBranch,
    /// 名片链接: the manager's business card (金融名片), as a tracked link.
    CardLink,
}

impl Variable {
    pub const ALL: [Self; 4] = [Self::Salutation, Self::ManagerName, Self::SubBranch, Self::CardLink];

    /// The names an operator may write, the canonical Chinese one first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Self::Salutation => &["客户称呼", "称呼", "salutation"],
            Self::ManagerName => &["客户经理", "经理姓名", "客户经理姓名", "cm_name", "manager"],
            Self::SubBranch => &["网点", "支行", "网点名称", "sub_branch", "branch"],
            Self::CardLink => &["名片链接", "金融名片", "card_link", "card"],
        }
    }

    /// The canonical name, as the editor inserts it.
    pub fn placeholder(self) -> String {
        format!("{{{}}}", self.names()[0])
    }

    /// What it stands for, for people (`variable.<code>` in the catalogue).
    pub fn text(self) -> Text {
        Text::new(match self {
            Self::Salutation => "variable.salutation",
            Self::ManagerName => "variable.manager_name",
            Self::SubBranch => "variable.sub_branch",
            Self::CardLink => "variable.card_link",
        })
    }

    /// The variable a name between braces means: spaces around it and ASCII case do not matter.
    pub fn named(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|v| v.names().contains(&name.as_str()))
    }
}

/// The values of one send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Values {
    pub salutation: String,
    pub manager_name: String,
    pub sub_branch: String,
    pub card_link: String,
}

impl Values {
    pub fn get(&self, v: Variable) -> &str {
        match v {
            Variable::Salutation => &self.salutation,
            Variable::ManagerName => &self.manager_name,
            Variable::SubBranch => &self.sub_branch,
            Variable::CardLink => &self.card_link,
        }
    }
}

/// A parsed text: words as they are and the variables between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Words(String),
    Variable(Variable),
}

impl Template {
    /// The variables the text uses, in order (repeats included).
    pub fn variables(&self) -> impl Iterator<Item = Variable> + '_ {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Variable(v) => Some(*v),
            Piece::Words(_) => None,
        })
    }
}

/// Why a template was refused. Spans are character offsets into the text as typed, `end` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the text is longer than {max} characters")]
    TooLong { max: usize },
    #[error("unknown variable `{name}` at {start}")]
    Unknown { name: String, start: usize, end: usize, near: Vec<Variable> },
    #[error("`{{` at {start} is not closed")]
    Unclosed { start: usize },
    #[error("`}}` at {start} has no `{{`")]
    Unopened { start: usize },
    #[error("empty variable at {start}")]
    Empty { start: usize, end: usize },
}

/// At most this many errors are reported for one text: enough to fix a paste, bounded for a bad one.
pub const MAX_ERRORS: usize = 20;

/// A variable's name is short; a `{` with no `}` this close is an open brace, not a long name.
const MAX_NAME_CHARS: usize = 24;

impl TemplateError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "text_too_long",
            Self::Unknown { .. } => "unknown_variable",
            Self::Unclosed { .. } => "unclosed_brace",
            Self::Unopened { .. } => "unopened_brace",
            Self::Empty { .. } => "empty_variable",
        }
    }

    /// The characters it is about, `[start, end)`.
    pub fn span(&self) -> (usize, usize) {
        match self {
            Self::TooLong { .. } => (0, 0),
            Self::Unknown { start, end, .. } | Self::Empty { start, end } => (*start, *end),
            Self::Unclosed { start } | Self::Unopened { start } => (*start, start + 1),
        }
    }

    pub fn text(&self) -> Text {
        let at = self.span().0 + 1;
        match self {
            Self::TooLong { max } => Text::new("template.too_long").arg("max", max),
            Self::Unknown { name, near, .. } if near.is_empty() => {
                let known: Vec<_> = Variable::ALL.iter().map(|v| v.placeholder()).collect();
                Text::new("template.unknown_variable").arg("at", at).arg("name", name).arg("known", known.join(" "))
            }
            Self::Unknown { name, near, .. } => {
                let near: Vec<_> = near.iter().map(|v| v.placeholder()).collect();
                Text::new("template.unknown_variable_near").arg("at", at).arg("name", name).arg("near", near.join(" "))
            }
            Self::Unclosed { .. } => {
                Text::new("template.unclosed").arg("at", at).arg("open", "{").arg("close", "}").arg("escape", "{{")
            }
            Self::Unopened { .. } => {
                Text::new("template.unopened").arg("at", at).arg("open", "{").arg("close", "}").arg("escape", "}}")
            }
            Self::Empty { .. } => Text::new("template.empty_variable").arg("at", at).arg("braces", "{}"),
        }
    }
}

fn is_open(c: char) -> bool {
    c == '{' || c == '｛'
}

fn is_close(c: char) -> bool {
    c == '}' || c == '｝'
}

/// Parses a text, reporting every problem (up to [`MAX_ERRORS`]) rather than the first, so a save
/// shows them all at once.
pub fn parse(text: &str) -> Result<Template, Vec<TemplateError>> {
    if too_long(text) {
        return Err(vec![TemplateError::TooLong { max: MAX_TEXT_CHARS }]);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut words = String::new();
    let mut i = 0;
    while i < chars.len() && errors.len() < MAX_ERRORS {
        let c = chars[i];
        if (is_open(c) || is_close(c)) && chars.get(i + 1) == Some(&c) {
            words.push(c);
            i += 2;
            continue;
        }
        if is_close(c) {
            errors.push(TemplateError::Unopened { start: i });
            i += 1;
            continue;
        }
        if !is_open(c) {
            words.push(c);
            i += 1;
            continue;
        }
        let close = chars[i + 1..]
            .iter()
            .take(MAX_NAME_CHARS + 1)
            .take_while(|c| !is_open(**c) && **c != '\n')
            .position(|c| is_close(*c))
            .map(|p| i + 1 + p);
        let Some(close) = close else {
            errors.push(TemplateError::Unclosed { start: i });
            i += 1;
            continue;
        };
        let name: String = chars[i + 1..close].iter().collect();
        let (start, end) = (i, close + 1);
        if name.trim().is_empty() {
            errors.push(TemplateError::Empty { start, end });
        } else if let Some(v) = Variable::named(&name) {
            if !words.is_empty() {
                pieces.push(Piece::Words(std::mem::take(&mut words)));
            }
            pieces.push(Piece::Variable(v));
        } else {
            errors.push(TemplateError::Unknown { near: suggestions(&name), name: name.trim().to_owned(), start, end });
        }
        i = end;
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if !words.is_empty() {
        pieces.push(Piece::Words(words));
    }
    Ok(Template { pieces })
}

/// The variables whose names are nearest to an unknown one, by the same measure the audience
/// expressions use for a mistyped tag.
fn suggestions(name: &str) -> Vec<Variable> {
    let all = Variable::ALL.iter().flat_map(|v| v.names().iter().copied());
    let mut out: Vec<Variable> = Vec::new();
    for n in nearest(name, all) {
        if let Some(v) = Variable::named(n).filter(|v| !out.contains(v)) {
            out.push(v);
        }
    }
    out
}

/// The text with every variable filled in from `values`, and escaped braces as single ones.
pub fn render(template: &Template, values: &Values) -> String {
    let mut out = String::new();
    for p in &template.pieces {
        match p {
            Piece::Words(w) => out.push_str(w),
            Piece::Variable(v) => out.push_str(values.get(*v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use siyu_domain::lang::{Lang, MISSING};

    use super::*;

    fn values() -> Values {
        Values {
            salutation: "王先生".into(),
            manager_name: "李娜".into(),
            sub_branch: "科技园支行".into(),
            card_link: "https://bank.example/c/abc".into(),
        }
    }

    fn filled(text: &str) -> String {
        render(&parse(text).unwrap(), &values())
    }

    #[test]
    fn variables_are_filled_in_chinese_english_and_full_width_spellings() {
        assert_eq!(filled("{客户称呼}您好，我是{客户经理}"), "王先生您好，我是李娜");
        assert_eq!(filled("{salutation}, {CM_Name} at { branch }"), "王先生, 李娜 at 科技园支行");
        assert_eq!(filled("｛称呼｝，名片：｛card｝"), "王先生，名片：https://bank.example/c/abc");
        assert_eq!(filled("无变量"), "无变量");
        assert_eq!(filled(""), "");
        let t = parse("{网点}{网点}{金融名片}").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), [Variable::SubBranch, Variable::SubBranch, Variable::CardLink]);
    }

    #[test]
    fn doubled_braces_are_the_brace_itself() {
        assert_eq!(filled("{{客户称呼}} 是变量 {客户称呼}"), "{客户称呼} 是变量 王先生");
        assert_eq!(filled("a}}b｛｛c"), "a}b｛c");
    }

    #[test]
    fn an_unknown_variable_has_its_span_and_suggestions() {
        let errs = parse("您好{客户称乎}，").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].span(), (2, 8));
        assert!(matches!(&errs[0], TemplateError::Unknown { name, near, .. }
            if name == "客户称乎" && near.first() == Some(&Variable::Salutation)));
        let zh = errs[0].text().render(Lang::Zh);
        assert!(zh.contains("第3个字符") && zh.contains("{客户称呼}"), "{zh}");
        let en = parse("{salutaton}").unwrap_err()[0].text().render(Lang::En);
        assert!(en.contains("did you mean {客户称呼}"), "{en}");
        // Nothing near: the known ones are listed.
        let far = parse("{余额}").unwrap_err();
        assert!(matches!(&far[0], TemplateError::Unknown { near, .. } if near.is_empty()));
        assert!(far[0].text().render(Lang::En).contains("{名片链接}"));
        assert_eq!(far[0].code(), "unknown_variable");
    }

    #[test]
    fn open_and_stray_braces_and_empty_names_are_refused_each_with_its_place() {
        let errs = parse("{客户称呼 您好").unwrap_err();
        assert_eq!(errs, [TemplateError::Unclosed { start: 0 }]);
        let errs = parse("您好} {客户称呼").unwrap_err();
        assert_eq!(errs, [TemplateError::Unopened { start: 2 }, TemplateError::Unclosed { start: 4 }]);
        assert_eq!(parse("a{ }b").unwrap_err(), [TemplateError::Empty { start: 1, end: 4 }]);
        // A brace that another opens before it closes is the unclosed one.
        assert_eq!(parse("{客户{称呼}").unwrap_err(), [TemplateError::Unclosed { start: 0 }]);
        // A line break ends a name: the brace was left open.
        assert_eq!(parse("{称呼\n}").unwrap_err()[0], TemplateError::Unclosed { start: 0 });
        // A long run after a brace is not a name.
        let long = format!("{{{}}}", "字".repeat(40));
        assert_eq!(parse(&long).unwrap_err()[0], TemplateError::Unclosed { start: 0 });
        assert_eq!(
            parse("a{b").unwrap_err()[0].text().render(Lang::En),
            "At character 2: “{” is not closed by “}” (double it for the brace itself: “{{”)"
        );
        assert_eq!(
            parse("}").unwrap_err()[0].text().render(Lang::Zh),
            "第1个字符处：“}”前面没有“{”（括号本身请连写两个：“}}”）"
        );
        for e in parse("}{ }{x}{").unwrap_err() {
            assert!(!e.text().render(Lang::Zh).starts_with(MISSING), "{e:?}");
            assert!(!e.text().render(Lang::En).starts_with(MISSING), "{e:?}");
        }
    }

    #[test]
    fn errors_are_bounded_and_so_is_the_text() {
        assert_eq!(parse(&"} ".repeat(1000)).unwrap_err().len(), MAX_ERRORS);
        let huge = "字".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(parse(&huge).unwrap_err(), [TemplateError::TooLong { max: MAX_TEXT_CHARS }]);
        assert!(parse(&"字".repeat(MAX_TEXT_CHARS)).is_ok());
    }
}
