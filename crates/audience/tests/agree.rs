//! Property test: on random customers and random expressions, the roaring evaluation, the bitset count
//! and a plain interpreter over the customers' facts all agree.

use proptest::prelude::*;
use siyu_audience::{Facts, Index};
use siyu_domain::audience::{Attr, AttrType, Cmp, Expr, Value};

const TAGS: u32 = 5;
const TODAY: u32 = 1000;

/// One customer and the days they had a `link_opened` event.
#[derive(Debug, Clone)]
struct Customer {
    facts: Facts,
    opened: Vec<u32>,
}

fn customer() -> impl Strategy<Value = Customer> {
    (
        1u8..=5,
        proptest::option::of(1u8..=5),
        proptest::option::of(0u8..=100),
        proptest::option::of(1u8..=31),
        any::<bool>(),
        0usize..3,
        any::<[bool; 4]>(),
        proptest::collection::vec(0..TAGS, 0..4),
        proptest::collection::vec(TODAY - 40..=TODAY, 0..4),
    )
        .prop_map(|(aum, risk, age, payday, female, sub, flags, tags, opened)| Customer {
            facts: Facts {
                id: 0,
                aum_tier: aum,
                risk_grade: risk,
                age,
                payday,
                gender: if female { "female".into() } else { "male".into() },
                sub_branch: ["SH01", "SH02", "HZ01"][sub].into(),
                payroll: flags[0],
                credit_card: flags[1],
                wealth: flags[2],
                loan: flags[3],
                owner: None,
                tags,
            },
            opened,
        })
}

fn value(attr: Attr) -> BoxedStrategy<Value> {
    match attr.kind() {
        AttrType::Int { min, max } => (min - 1..=max + 1).prop_map(Value::Int).boxed(),
        AttrType::Text if attr == Attr::Gender => {
            prop_oneof![Just("female"), Just("male"), Just("x")].prop_map(|s| Value::Text(s.into())).boxed()
        }
        AttrType::Text => {
            prop_oneof![Just("SH01"), Just("HZ01"), Just("NJ09")].prop_map(|s| Value::Text(s.into())).boxed()
        }
        AttrType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
    }
}

fn condition() -> impl Strategy<Value = Expr> {
    proptest::sample::select(Attr::ALL.to_vec()).prop_flat_map(|attr| {
        let cmp: BoxedStrategy<Cmp> = match attr.kind() {
            AttrType::Int { min, max } => prop_oneof![
                value(attr).prop_map(Cmp::Eq),
                value(attr).prop_map(Cmp::Ne),
                proptest::collection::vec(value(attr), 1..4).prop_map(Cmp::In),
                (min - 1..=max + 1).prop_map(Cmp::Lt),
                (min - 1..=max + 1).prop_map(Cmp::Le),
                (min - 1..=max + 1).prop_map(Cmp::Gt),
                (min - 1..=max + 1).prop_map(Cmp::Ge),
                (min..=max, min..=max).prop_map(|(a, b)| Cmp::Between(a.min(b), a.max(b))),
            ]
            .boxed(),
            _ => prop_oneof![
                value(attr).prop_map(Cmp::Eq),
                value(attr).prop_map(Cmp::Ne),
                proptest::collection::vec(value(attr), 1..3).prop_map(Cmp::In),
            ]
            .boxed(),
        };
        cmp.prop_map(move |cmp| Expr::Attr { attr, cmp })
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0..TAGS).prop_map(|t| Expr::Tag(format!("t{t}"))),
        (1u32..3, 1u32..30).prop_map(|(n, d)| Expr::Event { name: "link_opened".into(), min_count: n, within_days: d }),
        condition(),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            proptest::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

/// The expression read directly against one customer.
fn holds(e: &Expr, c: &Customer) -> bool {
    let f = &c.facts;
    match e {
        Expr::And(v) => v.iter().all(|x| holds(x, c)),
        Expr::Or(v) => v.iter().any(|x| holds(x, c)),
        Expr::Not(x) => !holds(x, c),
        Expr::Tag(name) => f.tags.iter().any(|t| format!("t{t}") == *name),
        Expr::Audience(_) => false,
        Expr::Event { min_count, within_days, .. } => {
            let from = TODAY + 1 - within_days;
            c.opened.iter().filter(|d| **d >= from && **d <= TODAY).count() as u32 >= *min_count
        }
        Expr::Attr { attr, cmp } => {
            let v: Option<Value> = match attr {
                Attr::AumTier => Some(Value::Int(i64::from(f.aum_tier))),
                Attr::RiskGrade => f.risk_grade.map(|x| Value::Int(i64::from(x))),
                Attr::Age => f.age.map(|x| Value::Int(i64::from(x))),
                Attr::Payday => f.payday.map(|x| Value::Int(i64::from(x))),
                Attr::Gender => Some(Value::Text(f.gender.clone())),
                Attr::SubBranch => Some(Value::Text(f.sub_branch.clone())),
                Attr::Payroll => Some(Value::Bool(f.payroll)),
                Attr::CreditCard => Some(Value::Bool(f.credit_card)),
                Attr::Wealth => Some(Value::Bool(f.wealth)),
                Attr::Loan => Some(Value::Bool(f.loan)),
            };
            let int = |v: &Option<Value>| match v {
                Some(Value::Int(n)) => Some(*n),
                _ => None,
            };
            match cmp {
                // A missing value equals nothing, so `!=` holds for it.
                Cmp::Eq(x) => v.as_ref() == Some(x),
                Cmp::Ne(x) => v.as_ref() != Some(x),
                Cmp::In(xs) => v.as_ref().is_some_and(|v| xs.contains(v)),
                Cmp::Lt(n) => int(&v).is_some_and(|x| x < *n),
                Cmp::Le(n) => int(&v).is_some_and(|x| x <= *n),
                Cmp::Gt(n) => int(&v).is_some_and(|x| x > *n),
                Cmp::Ge(n) => int(&v).is_some_and(|x| x >= *n),
                Cmp::Between(a, b) => int(&v).is_some_and(|x| *a <= x && x <= *b),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_way_of_counting_agrees(
        people in proptest::collection::vec(customer(), 1..400),
        gaps in proptest::collection::vec(1u32..200, 400),
        exprs in proptest::collection::vec(expr(), 8),
        changes in proptest::collection::vec((0usize..400, customer()), 0..40),
    ) {
        let mut ix = Index::new();
        for t in 0..TAGS {
            ix.define_tag(t, &format!("t{t}"));
        }
        let mut id = 0;
        let mut customers = Vec::new();
        for (i, mut c) in people.into_iter().enumerate() {
            // Ids with gaps, some across block boundaries of the bitset count.
            id += gaps[i];
            c.facts.id = id;
            customers.push(c);
        }
        ix.set_today(TODAY);
        ix.begin_bulk();
        for c in &customers {
            ix.append(&c.facts);
            for d in &c.opened {
                ix.record_event(c.facts.id, "link_opened", *d);
            }
        }
        ix.finish();
        // A scope: every other customer.
        let scope: roaring::RoaringBitmap = customers.iter().step_by(2).map(|c| c.facts.id).collect();
        for e in &exprs {
            let want = customers.iter().filter(|c| holds(e, c)).count() as u64;
            prop_assert_eq!(ix.eval(e).unwrap().len(), want, "roaring: {:?}", e);
            prop_assert_eq!(ix.count_fused(e).unwrap(), want, "bitsets: {:?}", e);
            let hits: Vec<u32> =
                customers.iter().step_by(2).filter(|c| holds(e, c)).map(|c| c.facts.id).collect();
            prop_assert_eq!(ix.count_within(e, Some(&scope)).unwrap(), hits.len() as u64, "roaring in scope: {:?}", e);
            prop_assert_eq!(ix.count_fused_within(e, Some(&scope)).unwrap(), hits.len() as u64, "bitsets in scope: {:?}", e);
            prop_assert_eq!(ix.first_fused(e, Some(&scope), 5).unwrap(), hits.iter().copied().take(5).collect::<Vec<_>>());
            prop_assert_eq!(ix.sample(e, Some(&scope), 5).unwrap(), hits.iter().copied().take(5).collect::<Vec<_>>());
        }
        // Then customers change one by one (new attributes, tags gained and lost), as writes arrive.
        let n = customers.len();
        for (i, new) in changes {
            let c = &mut customers[i % n];
            for t in 0..TAGS {
                ix.remove_tag(c.facts.id, t);
            }
            let mut facts = new.facts.clone();
            facts.id = c.facts.id;
            ix.put(&facts);
            c.facts = facts;
        }
        for e in &exprs {
            let want = customers.iter().filter(|c| holds(e, c)).count() as u64;
            prop_assert_eq!(ix.eval(e).unwrap().len(), want, "roaring after changes: {:?}", e);
            prop_assert_eq!(ix.count_fused(e).unwrap(), want, "bitsets after changes: {:?}", e);
        }
    }
}
