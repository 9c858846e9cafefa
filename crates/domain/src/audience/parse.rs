//! Reading the text form of an audience expression.
//!
//! ```text
//! expr  := and ("or" and)*
//! and   := unary ("and" unary)*
//! unary := "not" unary | "(" expr ")" | atom
//! atom  := tag("…") | audience("…") | event("…") >= N within Nd
//!        | attr (= | != | < | <= | > | >=) value | attr in [value, …] | attr between N and N
//! ```
//!
//! The operator's spellings read to the same tree: keywords and attribute names in any case or in
//! Chinese ([`super::words`]: `风险等级 >= C3 且 网点 = "陆家嘴支行"`), risk grades as `C3`, AUM tiers
//! and genders by name (`白金`, `女`), yes/no as `是`/`否`, a yes/no attribute alone meaning "is yes"
//! (`代发工资`), and the full-width punctuation a Chinese keyboard types (`（）【】，、“”≥≤≠`).
//!
//! Every error carries the character position it refers to. Depth and size are bounded, so no input
//! can exhaust the stack.

use super::words::{longest_at, nearest};
use crate::lang::Text;

use super::{Attr, AttrType, Cmp, Expr, MAX_DEPTH, MAX_NODES, Value};
use crate::customer::{AumTier, Gender};

/// Why a text is not an audience expression, and where (0-based character offset).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.text())]
pub struct ParseError {
    pub position: usize,
    pub message: Text,
}

impl ParseError {
    /// The message with the (1-based) character it points at, as a person reads it.
    pub fn text(&self) -> Text {
        Text::new("expr.at").arg("at", self.position + 1).text("message", self.message.clone())
    }
}

/// Longest text accepted.
const MAX_LEN: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Op(&'static str),
    End,
}

/// The half-width character a Chinese keyboard's full-width one stands for (one for one, so positions
/// stay those of the typed text).
fn half_width(c: char) -> char {
    match c {
        '（' => '(',
        '）' => ')',
        '【' | '［' => '[',
        '】' | '］' => ']',
        '，' | '、' => ',',
        '＝' => '=',
        '＜' => '<',
        '＞' => '>',
        '！' => '!',
        '“' | '”' | '＂' => '"',
        c => c,
    }
}

/// English words the language knows, matched in any case (`AND`, `Risk_Grade`, `C3`, `Platinum`).
fn known_english(lower: &str) -> bool {
    const WORDS: [&str; 18] = [
        "and", "or", "not", "in", "between", "within", "d", "tag", "audience", "event", "true", "false", "male",
        "female", "mass", "gold", "platinum", "diamond",
    ];
    WORDS.contains(&lower)
        || lower == "private"
        || Attr::parse(lower).is_some()
        || lower.strip_prefix('c').is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// A word of Chinese (or other non-ASCII letters): a run split into the known words it is made of,
/// longest first; what is not a known word runs up to the next known one and stays as typed, so the
/// parser reports it where it stands.
fn chinese_words(chars: &[char], start: usize, out: &mut Vec<(Tok, usize)>) {
    let mut j = 0;
    while j < chars.len() {
        if let Some((n, canon)) = longest_at(&chars[j..]) {
            out.push((Tok::Ident(canon.to_owned()), start + j));
            j += n;
            continue;
        }
        let from = j;
        j += 1;
        while j < chars.len() && longest_at(&chars[j..]).is_none() {
            j += 1;
        }
        out.push((Tok::Ident(chars[from..j].iter().collect()), start + from));
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    // Outside quotes a full-width character reads as its half-width one; inside, text is kept as typed
    // (a tag may well be named 理财（稳健）).
    let typed: Vec<char> = text.chars().collect();
    let chars: Vec<char> = typed.iter().copied().map(half_width).collect();
    let err = |position, message: Text| ParseError { position, message };
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' | ')' | '[' | ']' | ',' => {
                out.push((
                    match c {
                        '(' => Tok::LParen,
                        ')' => Tok::RParen,
                        '[' => Tok::LBracket,
                        ']' => Tok::RBracket,
                        _ => Tok::Comma,
                    },
                    start,
                ));
                i += 1;
            }
            '=' => {
                out.push((Tok::Op("="), start));
                i += 1;
            }
            '≥' | '≤' | '≠' => {
                out.push((
                    Tok::Op(if c == '≥' {
                        ">="
                    } else if c == '≤' {
                        "<="
                    } else {
                        "!="
                    }),
                    start,
                ));
                i += 1;
            }
            '!' | '<' | '>' => {
                let two = chars.get(i + 1) == Some(&'=');
                let op = match (c, two) {
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => return Err(err(start, Text::new("expr.expected_ne"))),
                };
                out.push((Tok::Op(op), start));
                i += if two { 2 } else { 1 };
            }
            '"' => {
                // A string opened with “ closes with ”; one opened with " (or ＂) with the same.
                let close = match typed[i] {
                    '“' => '”',
                    other => other,
                };
                i += 1;
                let mut s = String::new();
                loop {
                    match typed.get(i) {
                        None => return Err(err(start, Text::new("expr.unterminated_string"))),
                        Some(&q) if q == close => break,
                        Some('\\') => match typed.get(i + 1) {
                            Some(&e @ ('"' | '\\')) => {
                                s.push(e);
                                i += 2;
                                continue;
                            }
                            _ => return Err(err(i, Text::new("expr.bad_escape"))),
                        },
                        Some(&ch) => s.push(ch),
                    }
                    i += 1;
                }
                i += 1;
                out.push((Tok::Str(s), start));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                i += 1;
                while chars.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().collect();
                let n = digits
                    .parse::<i64>()
                    .map_err(|_| err(start, Text::new("expr.number_too_big").arg("value", digits)))?;
                out.push((Tok::Int(n), start));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let lower = word.to_ascii_lowercase();
                out.push((Tok::Ident(if known_english(&lower) { lower } else { word }), start));
            }
            c if !c.is_ascii() && c.is_alphanumeric() => {
                while chars.get(i).is_some_and(|c| !c.is_ascii() && c.is_alphanumeric()) {
                    i += 1;
                }
                chinese_words(&chars[start..i], start, &mut out);
            }
            other => return Err(err(start, Text::new("expr.unexpected_character").arg("value", other))),
        }
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    nodes: usize,
}

fn describe(t: &Tok) -> Text {
    match t {
        // What was written, quoted as written: the same in either language.
        Tok::Ident(s) => format!("“{s}”").into(),
        Tok::Int(n) => format!("“{n}”").into(),
        Tok::Str(s) => format!("\"{s}\"").into(),
        Tok::LParen => "“(”".into(),
        Tok::RParen => "“)”".into(),
        Tok::LBracket => "“[”".into(),
        Tok::RBracket => "“]”".into(),
        Tok::Comma => "“,”".into(),
        Tok::Op(o) => format!("“{o}”").into(),
        Tok::End => Text::new("expr.the_end"),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }

    fn pos(&self) -> usize {
        self.toks[self.at].1
    }

    fn next(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn fail<T>(&self, message: impl Into<Text>) -> Result<T, ParseError> {
        Err(ParseError { position: self.pos(), message: message.into() })
    }

    fn unexpected<T>(&self, wanted: Text) -> Result<T, ParseError> {
        self.fail(Text::new("expr.expected").text("wanted", wanted).text("found", describe(self.peek())))
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == w)
    }

    fn expect(&mut self, t: Tok, wanted: &str) -> Result<(), ParseError> {
        if *self.peek() == t {
            self.next();
            Ok(())
        } else {
            self.unexpected(wanted.into())
        }
    }

    fn word(&mut self, w: &str) -> Result<(), ParseError> {
        if self.is_word(w) {
            self.next();
            Ok(())
        } else {
            self.unexpected(format!("“{w}”").into())
        }
    }

    fn count(&mut self) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return self.fail(Text::new("expr.too_many_conditions").arg("max", MAX_NODES));
        }
        Ok(())
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_DEPTH {
            return self.fail(Text::new("expr.too_deep").arg("max", MAX_DEPTH));
        }
        let mut parts = vec![self.and(depth)?];
        while self.is_word("or") {
            self.next();
            parts.push(self.and(depth)?);
        }
        self.count()?;
        Ok(if parts.len() == 1 { parts.pop().expect("one part") } else { Expr::Or(parts) })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut parts = vec![self.unary(depth)?];
        while self.is_word("and") {
            self.next();
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one part") } else { Expr::And(parts) })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_DEPTH {
            return self.fail(Text::new("expr.too_deep").arg("max", MAX_DEPTH));
        }
        self.count()?;
        if self.is_word("not") {
            self.next();
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if *self.peek() == Tok::LParen {
            self.next();
            let e = self.expr(depth + 1)?;
            self.expect(Tok::RParen, "“)”")?;
            return Ok(e);
        }
        self.atom()
    }

    fn string_arg(&mut self, what: &str) -> Result<String, ParseError> {
        self.expect(Tok::LParen, "“(”")?;
        let pos = self.pos();
        let Tok::Str(s) = self.peek().clone() else {
            return self.unexpected(Text::new("expr.quoted").text("what", Text::new(what)));
        };
        self.next();
        let n = s.chars().count();
        if n == 0 || n > 50 || s.chars().any(char::is_control) {
            return Err(ParseError {
                position: pos,
                message: Text::new("expr.name_length").text("what", Text::new(what)),
            });
        }
        self.expect(Tok::RParen, "“)”")?;
        Ok(s)
    }

    fn int(&mut self, what: &str) -> Result<(i64, usize), ParseError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Int(n) => {
                self.next();
                Ok((n, pos))
            }
            _ => self.unexpected(Text::new(what)),
        }
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let pos = self.pos();
        let Tok::Ident(name) = self.peek().clone() else { return self.unexpected(Text::new("expr.a_condition")) };
        match name.as_str() {
            "tag" => {
                self.next();
                return Ok(Expr::Tag(self.string_arg("expr.tag_name")?));
            }
            "audience" => {
                self.next();
                return Ok(Expr::Audience(self.string_arg("expr.audience_name")?));
            }
            "event" => {
                self.next();
                let name = self.string_arg("expr.event_name")?;
                if *self.peek() != Tok::Op(">=") {
                    return self.unexpected("“>=”".into());
                }
                self.next();
                let (n, npos) = self.int("expr.a_count")?;
                let min_count = u32::try_from(n).ok().filter(|n| (1..=10_000).contains(n));
                let Some(min_count) = min_count else {
                    return Err(ParseError { position: npos, message: Text::new("expr.count_range") });
                };
                self.word("within")?;
                let (d, dpos) = self.int("expr.a_number_of_days")?;
                let within_days = u32::try_from(d).ok().filter(|d| (1..=3650).contains(d));
                let Some(within_days) = within_days else {
                    return Err(ParseError { position: dpos, message: Text::new("expr.days_range") });
                };
                self.word("d")?;
                return Ok(Expr::Event { name, min_count, within_days });
            }
            _ => {}
        }
        let Some(attr) = Attr::parse(&name) else {
            return Err(ParseError { position: pos, message: unknown_attribute(&name) });
        };
        self.next();
        let cmp = match self.peek().clone() {
            // A yes/no attribute alone: the customer has it (`代发工资 且 年龄 >= 30`).
            Tok::Ident(w) if attr.kind() == AttrType::Bool && w != "in" => Cmp::Eq(Value::Bool(true)),
            Tok::RParen | Tok::End if attr.kind() == AttrType::Bool => Cmp::Eq(Value::Bool(true)),
            Tok::Op(op) => {
                let op_pos = self.pos();
                if op != "=" && op != "!=" && !matches!(attr.kind(), AttrType::Int { .. }) {
                    return Err(ParseError {
                        position: op_pos,
                        message: Text::new("expr.not_ordered").arg("name", attr.name()),
                    });
                }
                self.next();
                let v = self.value(attr)?;
                match (op, v) {
                    ("=", v) => Cmp::Eq(v),
                    ("!=", v) => Cmp::Ne(v),
                    (op, Value::Int(n)) => match op {
                        "<" => Cmp::Lt(n),
                        "<=" => Cmp::Le(n),
                        ">" => Cmp::Gt(n),
                        _ => Cmp::Ge(n),
                    },
                    _ => {
                        return Err(ParseError {
                            position: pos,
                            message: Text::new("expr.not_ordered").arg("name", attr.name()),
                        });
                    }
                }
            }
            Tok::Ident(w) if w == "in" => {
                self.next();
                self.expect(Tok::LBracket, "“[”")?;
                let mut vs = vec![self.value(attr)?];
                while *self.peek() == Tok::Comma {
                    self.next();
                    vs.push(self.value(attr)?);
                }
                self.expect(Tok::RBracket, "“]”")?;
                Cmp::In(vs)
            }
            Tok::Ident(w) if w == "between" => {
                self.next();
                if !matches!(attr.kind(), AttrType::Int { .. }) {
                    return Err(ParseError {
                        position: pos,
                        message: Text::new("expr.not_numeric").arg("name", attr.name()),
                    });
                }
                let Value::Int(lo) = self.value(attr)? else { unreachable!("numeric attribute") };
                self.word("and")?;
                let hi_pos = self.pos();
                let Value::Int(hi) = self.value(attr)? else { unreachable!("numeric attribute") };
                if lo > hi {
                    return Err(ParseError {
                        position: hi_pos,
                        message: Text::new("expr.range_reversed").arg("lo", lo).arg("hi", hi),
                    });
                }
                Cmp::Between(lo, hi)
            }
            _ => return self.unexpected(Text::new("expr.a_comparison")),
        };
        Ok(Expr::Attr { attr, cmp })
    }

    /// A literal of the attribute's type, within its bounds, in any of its spellings: a risk grade as
    /// `3` or `C3`, an AUM tier as `3` or by name, a gender as `"female"`, `"女"` or `女`.
    fn value(&mut self, attr: Attr) -> Result<Value, ParseError> {
        let pos = self.pos();
        let bad = |message: Text| ParseError { position: pos, message };
        let int = match (attr, self.peek()) {
            (Attr::RiskGrade, Tok::Ident(w) | Tok::Str(w)) => {
                w.to_ascii_lowercase().strip_prefix('c').and_then(|n| n.parse::<i64>().ok())
            }
            (Attr::AumTier, Tok::Ident(w) | Tok::Str(w)) => AumTier::parse(w).map(|t| i64::from(t.get())),
            (_, Tok::Int(n)) => Some(*n),
            _ => None,
        };
        let gender = match (attr, self.peek()) {
            (Attr::Gender, Tok::Ident(w) | Tok::Str(w)) => Gender::parse(w).map(|g| g.as_str().to_owned()),
            _ => None,
        };
        match (attr.kind(), self.peek().clone()) {
            (AttrType::Int { min, max }, _) if int.is_some() => {
                self.next();
                let n = int.unwrap_or_default();
                if (min..=max).contains(&n) {
                    Ok(Value::Int(n))
                } else if attr == Attr::RiskGrade {
                    Err(bad(Text::new("expr.no_such_grade").arg("n", n)))
                } else {
                    Err(bad(Text::new("expr.out_of_range").arg("name", attr.name()).arg("min", min).arg("max", max)))
                }
            }
            (AttrType::Text, _) if gender.is_some() => {
                self.next();
                Ok(Value::Text(gender.unwrap_or_default()))
            }
            (AttrType::Text, Tok::Str(s)) if attr == Attr::Gender => {
                Err(bad(Text::new("expr.bad_gender").arg("value", s)))
            }
            (AttrType::Text, Tok::Str(s)) => {
                self.next();
                Ok(Value::Text(s))
            }
            (AttrType::Bool, Tok::Ident(w)) if w == "true" || w == "false" => {
                self.next();
                Ok(Value::Bool(w == "true"))
            }
            (kind, t) => {
                let wanted = match kind {
                    AttrType::Int { .. } => "expr.a_number",
                    AttrType::Text => "expr.quoted_text",
                    AttrType::Bool => "expr.true_or_false",
                };
                Err(bad(Text::new("expr.needs")
                    .arg("name", attr.name())
                    .text("wanted", Text::new(wanted))
                    .text("found", describe(&t))))
            }
        }
    }
}

/// The error for a word that is no attribute, with the nearest words in the language it was typed in.
fn unknown_attribute(name: &str) -> Text {
    let english = ["tag", "event", "audience"].into_iter().chain(Attr::ALL.iter().map(|a| a.name()));
    let near = if name.is_ascii() {
        nearest(name, english.clone())
    } else {
        let words = super::words::CHINESE.iter().filter(|(_, c)| english.clone().any(|e| e == *c)).map(|(zh, _)| *zh);
        nearest(name, words)
    };
    let known: Vec<&str> = Attr::ALL.iter().map(|a| a.name()).collect();
    let text = match near.first() {
        Some(n) => Text::new("expr.unknown_attribute_near").arg("near", n),
        None => Text::new("expr.unknown_attribute"),
    };
    text.arg("name", name).arg("known", known.join(", "))
}

/// Parses an expression, checking names, types, ranges, depth and size.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    if text.chars().count() > MAX_LEN {
        return Err(ParseError { position: MAX_LEN, message: Text::new("expr.too_long").arg("max", MAX_LEN) });
    }
    let mut p = Parser { toks: lex(text)?, at: 0, nodes: 0 };
    if *p.peek() == Tok::End {
        return p.fail(Text::new("expr.empty"));
    }
    let e = p.expr(0)?;
    if *p.peek() != Tok::End {
        return p.unexpected(Text::new("expr.and_or_end"));
    }
    Ok(e)
}
