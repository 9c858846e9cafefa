//! Printing an expression in its canonical text form: what [`super::parse`] reads back to the same tree.

use super::{Cmp, Expr, Value};

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn value(v: &Value) -> String {
    match v {
        Value::Int(n) => n.to_string(),
        Value::Text(s) => quote(s),
        Value::Bool(b) => b.to_string(),
    }
}

/// `prec` is the binding strength of the context: 0 top/`or`, 1 inside `and`, 2 inside `not`.
fn write(e: &Expr, prec: u8, out: &mut String) {
    let wrap = |need: u8, out: &mut String, body: &dyn Fn(&mut String)| {
        if prec > need {
            out.push('(');
            body(out);
            out.push(')');
        } else {
            body(out);
        }
    };
    match e {
        Expr::Or(v) => wrap(0, out, &|out| {
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push_str(" or ");
                }
                write(x, 1, out);
            }
        }),
        Expr::And(v) => wrap(1, out, &|out| {
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push_str(" and ");
                }
                write(x, 2, out);
            }
        }),
        Expr::Not(x) => {
            out.push_str("not ");
            write(x, 2, out);
        }
        Expr::Tag(t) => {
            out.push_str("tag(");
            out.push_str(&quote(t));
            out.push(')');
        }
        Expr::Audience(a) => {
            out.push_str("audience(");
            out.push_str(&quote(a));
            out.push(')');
        }
        Expr::Event { name, min_count, within_days } => {
            out.push_str(&format!("event({}) >= {min_count} within {within_days}d", quote(name)));
        }
        Expr::Attr { attr, cmp } => {
            out.push_str(attr.name());
            out.push(' ');
            out.push_str(&match cmp {
                Cmp::Eq(v) => format!("= {}", value(v)),
                Cmp::Ne(v) => format!("!= {}", value(v)),
                Cmp::Lt(n) => format!("< {n}"),
                Cmp::Le(n) => format!("<= {n}"),
                Cmp::Gt(n) => format!("> {n}"),
                Cmp::Ge(n) => format!(">= {n}"),
                Cmp::In(vs) => format!("in [{}]", vs.iter().map(value).collect::<Vec<_>>().join(", ")),
                Cmp::Between(a, b) => format!("between {a} and {b}"),
            });
        }
    }
}

/// The canonical text of an expression.
pub fn print(e: &Expr) -> String {
    let mut out = String::new();
    write(e, 0, &mut out);
    out
}
