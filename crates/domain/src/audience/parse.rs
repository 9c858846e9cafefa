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
use super::{Attr, AttrType, Cmp, Expr, MAX_DEPTH, MAX_NODES, Value};
use crate::customer::{AumTier, Gender};

/// Why a text is not an audience expression, and where (0-based character offset).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第{}个字符处 / at character {}: {message}", .position + 1, .position + 1)]
pub struct ParseError {
    pub position: usize,
    pub message: String,
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
    let err = |position, message: String| ParseError { position, message };
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
                    _ => return Err(err(start, "“!” 后应为 “=” / expected “!=”".into())),
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
                        None => return Err(err(start, "字符串没有结束引号 / unterminated string".into())),
                        Some(&q) if q == close => break,
                        Some('\\') => match typed.get(i + 1) {
                            Some(&e @ ('"' | '\\')) => {
                                s.push(e);
                                i += 2;
                                continue;
                            }
                            _ => return Err(err(i, "无效的转义 / invalid escape (use \\\" or \\\\)".into())),
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
                    .map_err(|_| err(start, format!("数字太大 / number out of range: {digits}")))?;
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
            other => return Err(err(start, format!("无法识别的字符 / unexpected character “{other}”"))),
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

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("“{s}”"),
        Tok::Int(n) => format!("“{n}”"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::LParen => "“(”".into(),
        Tok::RParen => "“)”".into(),
        Tok::LBracket => "“[”".into(),
        Tok::RBracket => "“]”".into(),
        Tok::Comma => "“,”".into(),
        Tok::Op(o) => format!("“{o}”"),
        Tok::End => "结尾 / the end".into(),
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

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError { position: self.pos(), message: message.into() })
    }

    fn unexpected<T>(&self, wanted: &str) -> Result<T, ParseError> {
        self.fail(format!("应为{wanted}，却是 / expected {wanted}, found {}", describe(self.peek())))
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == w)
    }

    fn expect(&mut self, t: Tok, wanted: &str) -> Result<(), ParseError> {
        if *self.peek() == t {
            self.next();
            Ok(())
        } else {
            self.unexpected(wanted)
        }
    }

    fn word(&mut self, w: &str) -> Result<(), ParseError> {
        if self.is_word(w) {
            self.next();
            Ok(())
        } else {
            self.unexpected(&format!("“{w}”"))
        }
    }

    fn count(&mut self) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return self.fail(format!("条件过多（最多{MAX_NODES}个）/ more than {MAX_NODES} conditions"));
        }
        Ok(())
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_DEPTH {
            return self.fail(format!("嵌套过深（最多{MAX_DEPTH}层）/ nested deeper than {MAX_DEPTH}"));
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
            return self.fail(format!("嵌套过深（最多{MAX_DEPTH}层）/ nested deeper than {MAX_DEPTH}"));
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
            return self.unexpected(&format!("{what}（带引号）/ a quoted {what}"));
        };
        self.next();
        let n = s.chars().count();
        if n == 0 || n > 50 || s.chars().any(char::is_control) {
            return Err(ParseError {
                position: pos,
                message: format!("{what}应为1-50个字符 / {what} must be 1-50 characters"),
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
            _ => self.unexpected(what),
        }
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let pos = self.pos();
        let Tok::Ident(name) = self.peek().clone() else { return self.unexpected("条件 / a condition") };
        match name.as_str() {
            "tag" => {
                self.next();
                return Ok(Expr::Tag(self.string_arg("标签名 / tag name")?));
            }
            "audience" => {
                self.next();
                return Ok(Expr::Audience(self.string_arg("客群 / audience")?));
            }
            "event" => {
                self.next();
                let name = self.string_arg("事件名 / event name")?;
                if *self.peek() != Tok::Op(">=") {
                    return self.unexpected("“>=”");
                }
                self.next();
                let (n, npos) = self.int("次数 / a count")?;
                let min_count = u32::try_from(n).ok().filter(|n| (1..=10_000).contains(n));
                let Some(min_count) = min_count else {
                    return Err(ParseError {
                        position: npos,
                        message: "次数应为1-10000 / count must be 1-10000".into(),
                    });
                };
                self.word("within")?;
                let (d, dpos) = self.int("天数 / a number of days")?;
                let within_days = u32::try_from(d).ok().filter(|d| (1..=3650).contains(d));
                let Some(within_days) = within_days else {
                    return Err(ParseError {
                        position: dpos, message: "天数应为1-3650 / days must be 1-3650".into()
                    });
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
                        message: format!("{} 不能比较大小 / {} cannot be ordered", attr.name(), attr.name()),
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
                            message: format!("{} 不能比较大小 / {} cannot be ordered", attr.name(), attr.name()),
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
                        message: format!("{} 不是数字属性 / {} is not numeric", attr.name(), attr.name()),
                    });
                }
                let Value::Int(lo) = self.value(attr)? else { unreachable!("numeric attribute") };
                self.word("and")?;
                let hi_pos = self.pos();
                let Value::Int(hi) = self.value(attr)? else { unreachable!("numeric attribute") };
                if lo > hi {
                    return Err(ParseError {
                        position: hi_pos,
                        message: format!("区间下限大于上限 / {lo} is above {hi}"),
                    });
                }
                Cmp::Between(lo, hi)
            }
            _ => return self.unexpected("比较（=、!=、<、<=、>、>=、in、between）/ a comparison"),
        };
        Ok(Expr::Attr { attr, cmp })
    }

    /// A literal of the attribute's type, within its bounds, in any of its spellings: a risk grade as
    /// `3` or `C3`, an AUM tier as `3` or by name, a gender as `"female"`, `"女"` or `女`.
    fn value(&mut self, attr: Attr) -> Result<Value, ParseError> {
        let pos = self.pos();
        let bad = |message: String| ParseError { position: pos, message };
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
                    Err(bad(format!("风险等级为 C1-C5，没有 C{n} / risk grades are C1-C5, there is no C{n}")))
                } else {
                    Err(bad(format!("{} 应在 {min}-{max} 之间 / {} must be {min}-{max}", attr.name(), attr.name())))
                }
            }
            (AttrType::Text, _) if gender.is_some() => {
                self.next();
                Ok(Value::Text(gender.unwrap_or_default()))
            }
            (AttrType::Text, Tok::Str(s)) if attr == Attr::Gender => {
                Err(bad(format!("性别应为 男、女 或 未知，没有“{s}” / gender is male, female or unknown, not “{s}”")))
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
                let (zh, en) = match kind {
                    AttrType::Int { .. } => ("数字", "a number"),
                    AttrType::Text => ("带引号的文字", "quoted text"),
                    AttrType::Bool => ("true 或 false", "true or false"),
                };
                Err(bad(format!("{} 需要{zh} / {} needs {en}, found {}", attr.name(), attr.name(), describe(&t))))
            }
        }
    }
}

/// The error for a word that is no attribute, with the nearest words in the language it was typed in.
fn unknown_attribute(name: &str) -> String {
    let english = ["tag", "event", "audience"].into_iter().chain(Attr::ALL.iter().map(|a| a.name()));
    let near = if name.is_ascii() {
        nearest(name, english.clone())
    } else {
        let words = super::words::CHINESE.iter().filter(|(_, c)| english.clone().any(|e| e == *c)).map(|(zh, _)| *zh);
        nearest(name, words)
    };
    let known: Vec<&str> = english.collect();
    match near.first() {
        Some(n) => format!(
            "未知属性“{name}”，是不是要“{n}”？ / unknown attribute “{name}”, did you mean “{n}”? (known: {})",
            known.join(", ")
        ),
        None => format!("未知属性 / unknown attribute “{name}” (known: {})", known.join(", ")),
    }
}

/// Parses an expression, checking names, types, ranges, depth and size.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    if text.chars().count() > MAX_LEN {
        return Err(ParseError {
            position: MAX_LEN,
            message: format!("表达式过长（最多{MAX_LEN}字）/ longer than {MAX_LEN} characters"),
        });
    }
    let mut p = Parser { toks: lex(text)?, at: 0, nodes: 0 };
    if *p.peek() == Tok::End {
        return p.fail("表达式为空 / the expression is empty");
    }
    let e = p.expr(0)?;
    if *p.peek() != Tok::End {
        return p.unexpected("“and”、“or” 或结尾 / “and”, “or” or the end");
    }
    Ok(e)
}
