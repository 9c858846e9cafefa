//! Counting without building sets: the expression becomes a plan over bitsets, and the plan is run one
//! block of 65,536 customers at a time, every part of an `and` cutting the same 8 KiB block, whose bits
//! are then counted. Nothing the size of the bank is allocated except bitset copies of the few sparse
//! sets an expression names (dense sets keep a copy in the index).
//!
//! The index chooses this path when the expression's most selective part is itself dense; a selective
//! expression is cheaper the roaring way, where the survivors of its first part are few.

use roaring::RoaringBitmap;
use siyu_domain::audience::Expr;

use crate::set::{Set, scatter};
use crate::{EvalError, Index};

/// Words in a block: 65,536 customers.
const BLOCK: usize = 1024;

/// Where a plan's leaf reads its words.
enum Leaf<'a> {
    /// A set's bitset copy in the index.
    Kept(&'a [u64]),
    /// A bitset built for this count (a sparse set, events, an audience).
    Built(usize),
}

enum Plan<'a> {
    Leaf(Leaf<'a>),
    Nothing,
    /// All hold; a part marked `true` must not (a `not` inside an `and` needs no "everyone" set).
    And(Vec<(Plan<'a>, bool)>),
    Or(Vec<Plan<'a>>),
    /// The first without the second.
    AndNot(Box<Plan<'a>>, Box<Plan<'a>>),
}

impl Plan<'_> {
    fn depth(&self) -> usize {
        match self {
            Plan::And(v) => 1 + v.iter().map(|(p, _)| p.depth()).max().unwrap_or(0),
            Plan::Or(v) => 1 + v.iter().map(Plan::depth).max().unwrap_or(0),
            Plan::AndNot(a, b) => 1 + a.depth().max(b.depth()),
            _ => 1,
        }
    }
}

/// What a plan reads: the bitsets built for this count, and how many words the id range spans.
struct Built {
    sets: Vec<Vec<u64>>,
    words: usize,
}

impl Built {
    fn bits(&mut self, b: &RoaringBitmap) -> Plan<'static> {
        if b.is_empty() {
            return Plan::Nothing;
        }
        self.sets.push(scatter(b, self.words));
        Plan::Leaf(Leaf::Built(self.sets.len() - 1))
    }
}

impl Index {
    fn set_plan<'a>(&self, s: &'a Set, built: &mut Built) -> Plan<'a> {
        match s.words() {
            Some(w) => Plan::Leaf(Leaf::Kept(w)),
            None => built.bits(s.bits()),
        }
    }

    fn universe_plan<'a>(&'a self, built: &mut Built) -> Plan<'a> {
        self.set_plan(&self.universe, built)
    }

    fn plan<'a>(&'a self, e: &Expr, built: &mut Built) -> Result<Plan<'a>, EvalError> {
        Ok(match e {
            Expr::And(parts) => {
                let mut order: Vec<(&Expr, u64)> = parts.iter().map(|p| (p, self.estimate(p))).collect();
                // Positive parts first (one of them starts the block), most selective first.
                order.sort_by_key(|(p, n)| (matches!(p, Expr::Not(_)), *n));
                let mut plans = Vec::with_capacity(order.len());
                for (p, _) in order {
                    plans.push(match p {
                        Expr::Not(inner) if !plans.is_empty() => (self.plan(inner, built)?, true),
                        other => (self.plan(other, built)?, false),
                    });
                }
                Plan::And(plans)
            }
            Expr::Or(parts) => Plan::Or(parts.iter().map(|p| self.plan(p, built)).collect::<Result<_, _>>()?),
            Expr::Not(inner) => Plan::AndNot(Box::new(self.universe_plan(built)), Box::new(self.plan(inner, built)?)),
            Expr::Tag(name) => {
                let no = self.tag_names.get(name).ok_or_else(|| EvalError::UnknownTag(name.clone()))?;
                match self.tags.get(*no as usize) {
                    Some(s) => self.set_plan(s, built),
                    None => Plan::Nothing,
                }
            }
            Expr::Audience(id) => {
                built.bits(self.audiences.get(id).ok_or_else(|| EvalError::UnknownAudience(id.clone()))?)
            }
            Expr::Event { .. } => built.bits(&self.eval(e)?),
            Expr::Attr { attr, cmp } => match Self::is_complement(*attr, cmp) {
                Some(positive) => Plan::AndNot(
                    Box::new(self.universe_plan(built)),
                    Box::new(self.plan(&Expr::Attr { attr: *attr, cmp: positive }, built)?),
                ),
                None => match self.range_of(*attr, cmp) {
                    Some((lo, hi)) => {
                        let p = &self.at_least[attr];
                        let top = p.len() - 1;
                        let (lo, hi) = (lo.min(top), hi.min(top));
                        if lo >= hi {
                            Plan::Nothing
                        } else if p[hi].is_empty() {
                            self.set_plan(&p[lo], built)
                        } else {
                            Plan::AndNot(Box::new(self.set_plan(&p[lo], built)), Box::new(self.set_plan(&p[hi], built)))
                        }
                    }
                    None => {
                        let sets = self.value_sets(*attr, cmp);
                        Plan::Or(sets.into_iter().map(|s| self.set_plan(s, built)).collect())
                    }
                },
            },
        })
    }

    /// Runs `e` (among `within`, when given) block by block, handing each block's bits to `visit`
    /// until it says stop.
    fn blocks(
        &self,
        e: &Expr,
        within: Option<&RoaringBitmap>,
        mut visit: impl FnMut(usize, &[u64; BLOCK]) -> bool,
    ) -> Result<(), EvalError> {
        let words = self.universe.bits().max().map_or(0, |m| (m / 64) as usize + 1);
        let mut built = Built { sets: Vec::new(), words };
        let plan = match within {
            // The scope first: a manager's few hundred customers leave most blocks empty at once.
            Some(w) => Plan::And(vec![(built.bits(w), false), (self.plan(e, &mut built)?, false)]),
            None => self.plan(e, &mut built)?,
        };
        let mut scratch = vec![[0u64; BLOCK]; plan.depth() + 1];
        for block in 0..words.div_ceil(BLOCK) {
            let (out, rest) = scratch.split_first_mut().expect("depth ≥ 1");
            run(&plan, block, &built.sets, out, rest);
            if !visit(block, out) {
                break;
            }
        }
        Ok(())
    }

    /// Counts the customers `e` selects, block by block over bitsets.
    pub fn count_fused(&self, e: &Expr) -> Result<u64, EvalError> {
        self.count_fused_within(e, None)
    }

    /// [`Index::count_fused`] among `within`.
    pub fn count_fused_within(&self, e: &Expr, within: Option<&RoaringBitmap>) -> Result<u64, EvalError> {
        let mut total = 0u64;
        self.blocks(e, within, |_, out| {
            total += out.iter().map(|w| u64::from(w.count_ones())).sum::<u64>();
            true
        })?;
        Ok(total)
    }

    /// The first `n` customers (lowest ids) `e` selects among `within`, stopping at the block that
    /// completes them.
    pub fn first_fused(&self, e: &Expr, within: Option<&RoaringBitmap>, n: usize) -> Result<Vec<u32>, EvalError> {
        let mut out = Vec::with_capacity(n);
        self.blocks(e, within, |block, bits| {
            for (i, w) in bits.iter().enumerate() {
                let mut w = *w;
                while w != 0 && out.len() < n {
                    let bit = w.trailing_zeros();
                    out.push(((block * BLOCK + i) * 64) as u32 + bit);
                    w &= w - 1;
                }
            }
            out.len() < n
        })?;
        Ok(out)
    }
}

/// The words of a leaf in `block` (empty past its end).
fn leaf_words<'a>(leaf: &'a Leaf<'_>, block: usize, built: &'a [Vec<u64>]) -> &'a [u64] {
    let all: &[u64] = match leaf {
        Leaf::Kept(w) => w,
        Leaf::Built(i) => &built[*i],
    };
    let start = (block * BLOCK).min(all.len());
    &all[start..(start + BLOCK).min(all.len())]
}

/// Writes the plan's bits for `block` into `out`, using `tmp` for nested parts.
fn run(plan: &Plan<'_>, block: usize, built: &[Vec<u64>], out: &mut [u64; BLOCK], tmp: &mut [[u64; BLOCK]]) {
    match plan {
        Plan::Nothing => out.fill(0),
        Plan::Leaf(l) => {
            let w = leaf_words(l, block, built);
            out[..w.len()].copy_from_slice(w);
            out[w.len()..].fill(0);
        }
        Plan::And(parts) => {
            let Some(((first, _), others)) = parts.split_first() else {
                // Expressions never make an empty `and`.
                out.fill(0);
                return;
            };
            run(first, block, built, out, tmp);
            for (p, negated) in others {
                if out.iter().fold(0, |a, w| a | w) == 0 {
                    return;
                }
                if *negated {
                    combine(p, block, built, out, tmp, |a, b| a & !b);
                } else {
                    combine(p, block, built, out, tmp, |a, b| a & b);
                }
            }
        }
        Plan::Or(parts) => {
            let Some((first, others)) = parts.split_first() else {
                out.fill(0);
                return;
            };
            run(first, block, built, out, tmp);
            for p in others {
                combine(p, block, built, out, tmp, |a, b| a | b);
            }
        }
        Plan::AndNot(a, b) => {
            run(a, block, built, out, tmp);
            combine(b, block, built, out, tmp, |x, y| x & !y);
        }
    }
}

/// `out = op(out, plan)`, reading a leaf's words in place and anything else through a scratch block.
fn combine(
    plan: &Plan<'_>,
    block: usize,
    built: &[Vec<u64>],
    out: &mut [u64; BLOCK],
    tmp: &mut [[u64; BLOCK]],
    op: impl Fn(u64, u64) -> u64,
) {
    match plan {
        Plan::Leaf(l) => {
            let w = leaf_words(l, block, built);
            if let Ok(w) = <&[u64; BLOCK]>::try_from(w) {
                // The common case, a whole block: fixed lengths let the compiler vectorise this.
                for (o, x) in out.iter_mut().zip(w) {
                    *o = op(*o, *x);
                }
            } else {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = op(*o, w.get(i).copied().unwrap_or(0));
                }
            }
        }
        other => {
            let (mine, deeper) = tmp.split_first_mut().expect("scratch as deep as the plan");
            run(other, block, built, mine, deeper);
            for (o, x) in out.iter_mut().zip(mine.iter()) {
                *o = op(*o, *x);
            }
        }
    }
}
