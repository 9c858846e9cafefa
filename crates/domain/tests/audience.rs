//! The audience expression language: examples, errors that point at the right character, a printed
//! form that parses back to the same tree (property test), and no panic on any input (property test).

use proptest::prelude::*;
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
        ("aum_tier = \"gold\"", 11, "number"),
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
