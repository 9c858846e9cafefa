//! The audience expression language: examples, errors that point at the right character, a printed
//! form that parses back to the same tree (property test), every accepted spelling of a tree — Chinese
//! words, any case, `C3`, tiers and genders by name, full-width punctuation — parsing to that tree
//! (property test), and no panic on any input (property test).

use proptest::prelude::*;
use siyu_domain::audience::words::chinese_for;
use siyu_domain::audience::{Attr, AttrType, Cmp, Expr, MAX_DEPTH, Value, parse, print};
use siyu_domain::lang::Lang;

#[test]
fn a_typical_expression_reads_as_written() {
    let text = r#"tag("代发") and aum_tier >= 3 and not tag("已购基金") and (age between 30 and 50 or payday in [5, 10]) and event("link_open") >= 2 within 30d"#;
    let e = parse(text).unwrap();
    let Expr::And(parts) = &e else { panic!("an and: {e:?}") };
    assert_eq!(parts.len(), 5);
    assert_eq!(parts[0], Expr::Tag("代发".into()));
    assert_eq!(parts[1], Expr::Attr { attr: Attr::AumTier, cmp: Cmp::Ge(3) });
    assert_eq!(parts[2], Expr::Not(Box::new(Expr::Tag("已购基金".into()))));
    assert_eq!(parts[4], Expr::Event { name: "link_open".into(), min_count: 2, within_days: 30 });
    assert_eq!(print(&e), text, "the canonical form is what an operator would type");
    assert_eq!(e.tags(), ["代发", "已购基金"]);
}

#[test]
fn and_binds_tighter_than_or() {
    let e = parse("wealth = true or loan = true and gender = \"female\"").unwrap();
    let Expr::Or(parts) = e else { panic!() };
    assert!(matches!(parts[1], Expr::And(_)));
    let e = parse("(wealth = true or loan = true) and audience(\"aud_3\")").unwrap();
    assert!(matches!(&e, Expr::And(p) if matches!(p[0], Expr::Or(_))));
    assert_eq!(print(&e), "(wealth = true or loan = true) and audience(\"aud_3\")");
    assert_eq!(e.audiences(), ["aud_3"]);
}

/// (text, character position of the error, a word the message must contain)
#[test]
fn errors_point_at_the_problem() {
    let cases = [
        ("aum_tier >= 9", 12, "1-5"),
        ("aum_tier = \"copper\"", 11, "number"),
        ("risk_grade >= C9", 14, "C1-C5"),
        ("风险等级 = C0", 7, "C1-C5"),
        ("gender = \"x\"", 9, "gender"),
        // An unknown Chinese word is refused where it stands, as an unknown English one is.
        ("颜色 = \"红\"", 0, "unknown attribute"),
        ("age > 30 and colour = \"red\"", 13, "unknown attribute"),
        ("年龄 > 30 且 颜色 = \"红\"", 10, "unknown attribute"),
        ("风险 >= 3", 0, "风险等级"),
        ("risk_grad >= 3", 0, "risk_grade"),
        ("colour = \"red\"", 0, "unknown attribute"),
        ("tag(\"代发\") and", 13, "condition"),
        ("tag(\"代发\") tag(\"x\")", 10, "and"),
        ("gender > 3", 7, "ordered"),
        ("age between 50 and 30", 19, "above"),
        ("event(\"open\") >= 0 within 7d", 17, "count"),
        ("tag(\"unterminated)", 4, "unterminated"),
        ("credit_card = yes", 14, "true"),
        ("(tag(\"a\")", 9, ")"),
        ("", 0, "empty"),
        ("payday in []", 11, "number"),
        ("age = 1 & age = 2", 8, "unexpected character"),
    ];
    for (text, pos, word) in cases {
        let e = parse(text).unwrap_err();
        assert_eq!(e.position, pos, "{text:?}: {e}");
        assert!(e.message.render(Lang::En).contains(word), "{text:?}: {e}");
    }
}

#[test]
fn the_operators_words_read_as_the_canonical_ones() {
    let same = [
        ("risk_grade >= C3", "risk_grade >= 3"),
        ("RISK_GRADE >= c3 AND Age > 30", "risk_grade >= 3 and age > 30"),
        ("风险等级 >= 4", "risk_grade >= 4"),
        ("风险等级>=C3且网点=\"陆家嘴支行\"", "risk_grade >= 3 and sub_branch = \"陆家嘴支行\""),
        ("资产层级 >= 白金", "aum_tier >= 3"),
        ("资产层级 属于 【白金客户、\"钻石\"，Private】", "aum_tier in [3, 4, 5]"),
        ("性别 = 女 或 性别 = “男”", "gender = \"female\" or gender = \"male\""),
        ("非 代发工资 且 信用卡 = 否", "not payroll = true and credit_card = false"),
        ("年龄 介于 30 和 50 且（发薪日 ≤ 10）", "age between 30 and 50 and payday <= 10"),
        (
            "标签（“代发”）且 事件(\"link_opened\") ≥ 2 近 30 天",
            "tag(\"代发\") and event(\"link_opened\") >= 2 within 30d",
        ),
        ("客群(\"aud_3\") 或者 risk_grade ≠ C1", "audience(\"aud_3\") or risk_grade != 1"),
    ];
    for (typed, canonical) in same {
        let e = parse(typed).unwrap_or_else(|err| panic!("{typed}: {err}"));
        assert_eq!(print(&e), canonical, "{typed}");
    }
    // Inside quotes, text is kept as typed: a full-width bracket in a tag's name stays one.
    assert_eq!(parse("tag(\"理财（稳健）\")").unwrap(), Expr::Tag("理财（稳健）".into()));
}

#[test]
fn over_deep_or_large_expressions_are_refused() {
    let deep = format!("{}tag(\"x\"){}", "(".repeat(MAX_DEPTH + 5), ")".repeat(MAX_DEPTH + 5));
    assert!(parse(&deep).unwrap_err().message.render(Lang::En).contains("deeper"));
    let nots = format!("{}tag(\"x\")", "not ".repeat(10_000));
    assert!(parse(&nots).is_err(), "ten thousand nots do not blow the stack");
    let wide = vec!["tag(\"x\")"; 600].join(" or ");
    assert!(parse(&wide).unwrap_err().message.render(Lang::En).contains("conditions"));
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![Just("代发".to_owned()), Just("已购基金".to_owned()), "[a-z_]{1,8}", "[\u{4e00}-\u{4e2f}\"\\\\ ]{1,6}"]
}

fn value_of(attr: Attr) -> BoxedStrategy<Value> {
    match attr.kind() {
        AttrType::Int { min, max } => (min..=max).prop_map(Value::Int).boxed(),
        AttrType::Text if attr == Attr::Gender => {
            prop_oneof![Just("female"), Just("male"), Just("unknown")].prop_map(|g| Value::Text(g.into())).boxed()
        }
        AttrType::Text => name().prop_map(Value::Text).boxed(),
        AttrType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
    }
}

fn attr_cond() -> impl Strategy<Value = Expr> {
    proptest::sample::select(Attr::ALL.to_vec()).prop_flat_map(|attr| {
        let eq = value_of(attr).prop_map(Cmp::Eq);
        let ne = value_of(attr).prop_map(Cmp::Ne);
        let inn = proptest::collection::vec(value_of(attr), 1..4).prop_map(Cmp::In);
        let cmp: BoxedStrategy<Cmp> = match attr.kind() {
            AttrType::Int { min, max } => prop_oneof![
                eq,
                ne,
                inn,
                (min..=max).prop_map(Cmp::Lt),
                (min..=max).prop_map(Cmp::Ge),
                (min..=max, min..=max).prop_map(|(a, b)| Cmp::Between(a.min(b), a.max(b))),
            ]
            .boxed(),
            _ => prop_oneof![eq, ne, inn].boxed(),
        };
        cmp.prop_map(move |cmp| Expr::Attr { attr, cmp })
    })
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        name().prop_map(Expr::Tag),
        "aud_[0-9]{1,4}".prop_map(Expr::Audience),
        (name(), 1u32..100, 1u32..400).prop_map(|(name, min_count, within_days)| Expr::Event {
            name,
            min_count,
            within_days
        }),
        attr_cond(),
    ]
}

/// Trees in the parser's normal form: no `and` directly in `and`, no `or` directly in `or`.
fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| Expr::And(
                v.into_iter()
                    .flat_map(|e| match e {
                        Expr::And(x) => x,
                        e => vec![e],
                    })
                    .collect()
            )),
            proptest::collection::vec(inner, 2..4).prop_map(|v| Expr::Or(
                v.into_iter()
                    .flat_map(|e| match e {
                        Expr::Or(x) => x,
                        e => vec![e],
                    })
                    .collect()
            )),
        ]
    })
}

/// Picks spellings from a stream of random choices.
struct Speller<'a> {
    choices: std::iter::Cycle<std::slice::Iter<'a, u8>>,
}

impl Speller<'_> {
    fn pick<'w>(&mut self, options: &[&'w str]) -> &'w str {
        let c = *self.choices.next().unwrap_or(&0);
        options[usize::from(c) % options.len()]
    }

    fn quoted(&mut self, s: &str) -> String {
        let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
        if self.pick(&["ascii", "chinese"]) == "ascii" { format!("\"{escaped}\"") } else { format!("“{escaped}”") }
    }

    fn word(&mut self, canon: &'static str) -> String {
        let zh = chinese_for(canon).unwrap_or(canon);
        match self.pick(&["lower", "upper", "chinese"]) {
            "lower" => canon.to_owned(),
            "upper" => canon.to_ascii_uppercase(),
            _ => zh.to_owned(),
        }
    }

    fn value(&mut self, attr: Attr, v: &Value) -> String {
        const TIERS: [[&str; 4]; 5] = [
            ["大众", "大众客户", "Mass", "\"大众\""],
            ["金卡", "金卡客户", "gold", "\"金卡\""],
            ["白金", "白金客户", "PLATINUM", "\"白金\""],
            ["钻石", "钻石客户", "Diamond", "\"钻石\""],
            ["私行", "私人银行", "private", "\"私行客户\""],
        ];
        match (attr, v) {
            (Attr::RiskGrade, Value::Int(n)) => {
                let form = self.pick(&["n", "C", "c", "quoted"]);
                match form {
                    "n" => n.to_string(),
                    "C" => format!("C{n}"),
                    "c" => format!("c{n}"),
                    _ => format!("\"C{n}\""),
                }
            }
            (Attr::AumTier, Value::Int(n)) => {
                let names = TIERS[usize::try_from(n - 1).unwrap()];
                self.pick(&[&n.to_string(), names[0], names[1], names[2], names[3]]).to_owned()
            }
            (Attr::Gender, Value::Text(g)) => match g.as_str() {
                "female" => self.pick(&["\"female\"", "\"女\"", "女", "female", "“女”"]).to_owned(),
                "male" => self.pick(&["\"male\"", "\"男\"", "男", "MALE"]).to_owned(),
                _ => self.pick(&["\"unknown\"", "\"未知\""]).to_owned(),
            },
            (_, Value::Int(n)) => n.to_string(),
            (_, Value::Bool(true)) => self.pick(&["true", "TRUE", "是"]).to_owned(),
            (_, Value::Bool(false)) => self.pick(&["false", "False", "否"]).to_owned(),
            (_, Value::Text(s)) => self.quoted(s),
        }
    }

    fn list(&mut self, attr: Attr, vs: &[Value]) -> String {
        let open = self.pick(&["[", "【"]);
        let close = self.pick(&["]", "】"]);
        let mut parts = Vec::new();
        for v in vs {
            parts.push(self.value(attr, v));
        }
        let sep = self.pick(&[", ", "，", "、", ","]);
        format!("{open}{}{close}", parts.join(sep))
    }

    fn op(&mut self, op: &'static str) -> &'static str {
        match op {
            ">=" => self.pick(&[">=", "≥"]),
            "<=" => self.pick(&["<=", "≤"]),
            "!=" => self.pick(&["!=", "≠"]),
            "=" => self.pick(&["=", "＝"]),
            other => other,
        }
    }

    /// `e` spelled out, bracketed as the printer brackets it (`prec` as in the printer).
    fn spell(&mut self, e: &Expr, prec: u8) -> String {
        let (open, close) = if self.pick(&["ascii", "chinese"]) == "ascii" { ("(", ")") } else { ("（", "）") };
        let wrap = |need: u8, body: String| if prec > need { format!("{open}{body}{close}") } else { body };
        match e {
            Expr::Or(v) => {
                let parts: Vec<String> = v.iter().map(|x| self.spell(x, 1)).collect();
                let mut out = parts[0].clone();
                for p in &parts[1..] {
                    out = format!("{out} {} {p}", self.word("or"));
                }
                wrap(0, out)
            }
            Expr::And(v) => {
                let parts: Vec<String> = v.iter().map(|x| self.spell(x, 2)).collect();
                let mut out = parts[0].clone();
                for p in &parts[1..] {
                    let and = self.pick(&["and", "AND", "且", "并且"]);
                    out = format!("{out} {and} {p}");
                }
                wrap(1, out)
            }
            Expr::Not(x) => format!("{} {}", self.word("not"), self.spell(x, 2)),
            Expr::Tag(t) => format!("{}({})", self.word("tag"), self.quoted(t)),
            Expr::Audience(a) => format!("{}({})", self.word("audience"), self.quoted(a)),
            Expr::Event { name, min_count, within_days } => {
                let (within, d) = if self.pick(&["en", "zh"]) == "en" { ("within", "d") } else { ("近", " 天") };
                format!(
                    "{}({}) {} {min_count} {within} {within_days}{d}",
                    self.word("event"),
                    self.quoted(name),
                    self.op(">=")
                )
            }
            Expr::Attr { attr, cmp } => {
                let name = self.word(attr.name());
                if *cmp == Cmp::Eq(Value::Bool(true)) && self.pick(&["full", "bare"]) == "bare" {
                    return name;
                }
                let rest = match cmp {
                    Cmp::Eq(v) => format!("{} {}", self.op("="), self.value(*attr, v)),
                    Cmp::Ne(v) => format!("{} {}", self.op("!="), self.value(*attr, v)),
                    Cmp::Lt(n) => format!("< {}", self.value(*attr, &Value::Int(*n))),
                    Cmp::Le(n) => format!("{} {}", self.op("<="), self.value(*attr, &Value::Int(*n))),
                    Cmp::Gt(n) => format!("> {}", self.value(*attr, &Value::Int(*n))),
                    Cmp::Ge(n) => format!("{} {}", self.op(">="), self.value(*attr, &Value::Int(*n))),
                    Cmp::In(vs) => format!("{} {}", self.pick(&["in", "IN", "属于"]), self.list(*attr, vs)),
                    Cmp::Between(a, b) => format!(
                        "{} {} {} {}",
                        self.pick(&["between", "介于"]),
                        self.value(*attr, &Value::Int(*a)),
                        self.pick(&["and", "和", "且"]),
                        self.value(*attr, &Value::Int(*b))
                    ),
                };
                format!("{name} {rest}")
            }
        }
    }
}

proptest! {
    #[test]
    fn every_spelling_parses_to_the_same_tree(e in expr(), choices in proptest::collection::vec(any::<u8>(), 1..64)) {
        let text = Speller { choices: choices.iter().cycle() }.spell(&e, 0);
        let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
        prop_assert_eq!(&back, &e, "{}", text);
        prop_assert_eq!(print(&back), print(&e));
    }
}

proptest! {
    #[test]
    fn printing_then_parsing_gives_the_same_tree(e in expr()) {
        let text = print(&e);
        let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
        prop_assert_eq!(&back, &e);
        prop_assert_eq!(print(&back), text);
    }

    #[test]
    fn no_input_panics(text in "\\PC{0,80}") {
        let _ = parse(&text);
    }

    #[test]
    fn no_token_soup_panics(words in proptest::collection::vec(prop_oneof![
        Just("tag(\"a\")"), Just("and"), Just("or"), Just("not"), Just("("), Just(")"), Just("age"), Just(">="),
        Just("3"), Just("in"), Just("["), Just("]"), Just(","), Just("between"), Just("event(\"x\")"), Just("within"),
        Just("7d"), Just("\""), Just("true"), Just("-99999999999999999999"), Just("!"),
    ], 0..30)) {
        let _ = parse(&words.join(" "));
    }
}
