//! The audience engine: every customer's tags and selectable attributes as roaring bitmaps over the
//! customers' dense integer ids, so an audience expression is a handful of bitmap operations — a count
//! over ten million customers in about a millisecond, and a write visible to the next count at once.
//!
//! The index is pure data (no IO): the server builds it from the store at start and applies every
//! committed change to it. Ages are indexed as of the day the index was built or last aged
//! ([`Index::set_age`]); a daily job re-ages it.

mod events;
mod fused;
mod set;

use std::collections::HashMap;

use roaring::RoaringBitmap;
use siyu_domain::audience::{Attr, AttrType, Cmp, Expr, Value};

/// The stored value of an integer attribute a customer does not have.
const NO_VALUE: u8 = u8::MAX;

/// From this many customers on, dense expressions are counted over bitsets.
const FUSED_FROM: u64 = 1 << 20;

/// Why an expression cannot be evaluated here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("unknown tag “{0}”")]
    UnknownTag(String),
    #[error("unknown audience “{0}”")]
    UnknownAudience(String),
}

pub use events::{EventLog, MAX_WINDOW_DAYS};
pub use set::{MIRROR_ONE_IN, Set};

/// One customer's selectable facts, for building the index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub id: u32,
    pub aum_tier: u8,
    pub risk_grade: Option<u8>,
    pub age: Option<u8>,
    pub payday: Option<u8>,
    pub gender: String,
    /// The sub-branch, as the caller keys it (the server uses the org unit's id, not its code, which
    /// can change).
    pub sub_branch: String,
    pub payroll: bool,
    pub credit_card: bool,
    pub wealth: bool,
    pub loan: bool,
    /// The customer manager who owns the customer (their staff number), for data scope.
    pub owner: Option<u32>,
    pub tags: Vec<u32>,
}

/// The index. Tags are addressed by a dense number (`TagNo`) the caller assigns; names map to numbers.
#[derive(Debug, Clone)]
pub struct Index {
    universe: Set,
    tag_names: HashMap<String, u32>,
    tags: Vec<Set>,
    /// Integer attributes: one bitmap per value (values are small: tiers, grades, days, ages).
    ints: HashMap<Attr, Vec<Set>>,
    /// For each integer attribute, `at_least[v]` = customers whose value is ≥ v (one longer than the
    /// slots; the last is empty). A range is then two operations however wide it is.
    at_least: HashMap<Attr, Vec<Set>>,
    /// Whether `at_least` is current: a bulk load fills the slots first and derives it once at the end.
    prefixes_ready: bool,
    /// Each customer's current value of each integer attribute (by id; [`NO_VALUE`] for none), so a
    /// change touches the slots between the old and the new value instead of every slot.
    values: HashMap<Attr, Vec<u8>>,
    texts: HashMap<Attr, HashMap<String, Set>>,
    bools: HashMap<Attr, Set>,
    audiences: HashMap<String, RoaringBitmap>,
    /// Customers by owning customer manager: a manager's counts are their own customers only.
    owners: HashMap<u32, RoaringBitmap>,
    owner_of: HashMap<u32, u32>,
    /// Event history by kind, and the bank day windows are measured back from.
    events: HashMap<String, EventLog>,
    today: u32,
}

/// An empty index with a slot for every attribute (the same as [`Index::new`]).
impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

fn int_slots(attr: Attr) -> usize {
    match attr.kind() {
        AttrType::Int { max, .. } => usize::try_from(max).unwrap_or(0) + 1,
        _ => 0,
    }
}

impl Index {
    pub fn new() -> Self {
        let mut ix = Self {
            universe: Set::default(),
            tag_names: HashMap::new(),
            tags: Vec::new(),
            ints: HashMap::new(),
            at_least: HashMap::new(),
            prefixes_ready: true,
            values: HashMap::new(),
            texts: HashMap::new(),
            bools: HashMap::new(),
            audiences: HashMap::new(),
            owners: HashMap::new(),
            owner_of: HashMap::new(),
            events: HashMap::new(),
            today: 0,
        };
        for a in Attr::ALL {
            match a.kind() {
                AttrType::Int { .. } => {
                    ix.ints.insert(a, vec![Set::default(); int_slots(a)]);
                    ix.at_least.insert(a, vec![Set::default(); int_slots(a) + 1]);
                }
                AttrType::Text => {
                    ix.texts.insert(a, HashMap::new());
                }
                AttrType::Bool => {
                    ix.bools.insert(a, Set::default());
                }
            }
        }
        ix
    }

    /// Names tag number `no` (numbers are dense, from 0).
    pub fn define_tag(&mut self, no: u32, name: &str) {
        let i = no as usize;
        if self.tags.len() <= i {
            self.tags.resize(i + 1, Set::default());
        }
        // A renamed tag keeps its number; its old name stops meaning it.
        self.tag_names.retain(|_, n| *n != no);
        self.tag_names.insert(name.to_owned(), no);
    }

    pub fn tag_no(&self, name: &str) -> Option<u32> {
        self.tag_names.get(name).copied()
    }

    /// Every tag's current name (for suggesting the nearest to one that is not known).
    pub fn tag_names(&self) -> impl Iterator<Item = &str> {
        self.tag_names.keys().map(String::as_str)
    }

    /// The name tag number `no` currently has.
    pub fn tag_name(&self, no: u32) -> Option<&str> {
        self.tag_names.iter().find(|(_, n)| **n == no).map(|(name, _)| name.as_str())
    }

    /// The members of a tag, by number.
    pub fn tag_members(&self, no: u32) -> Option<&RoaringBitmap> {
        self.tags.get(no as usize).map(Set::bits)
    }

    /// A saved audience's members as last recorded.
    pub fn audience(&self, id: &str) -> Option<&RoaringBitmap> {
        self.audiences.get(id)
    }

    /// Builds from customers in ascending id order (appends are the fast path for roaring).
    pub fn build(mut self, customers: impl IntoIterator<Item = Facts>) -> Self {
        self.prefixes_ready = false;
        for f in customers {
            self.append(&f);
        }
        self.finish();
        self
    }

    /// Starts a bulk load: [`Index::append`] then only fills the per-value bitmaps, and
    /// [`Index::finish`] derives the range bitmaps once.
    pub fn begin_bulk(&mut self) {
        self.prefixes_ready = false;
    }

    /// Ends a bulk load: `at_least[v] = at_least[v + 1] ∪ slot[v]`, from the top down; then keeps
    /// bitset copies of the dense sets.
    pub fn finish(&mut self) {
        for (attr, slots) in &self.ints {
            let mut acc = RoaringBitmap::new();
            let mut out = vec![Set::default(); slots.len() + 1];
            for v in (0..slots.len()).rev() {
                acc |= slots[v].bits();
                out[v] = Set::from(acc.clone());
            }
            self.at_least.insert(*attr, out);
        }
        self.prefixes_ready = true;
        self.optimize();
    }

    /// Words the id range spans, for bitset copies.
    fn range_words(&self) -> usize {
        self.universe.bits().max().map_or(0, |m| (m / 64) as usize + 1)
    }

    /// Keeps bitset copies of the sets that are dense now, and drops those of sets that thinned out.
    /// Loads call it; a long-running owner calls it now and then (sets grow dense one change at a time).
    pub fn optimize(&mut self) {
        let words = self.range_words();
        self.universe.mirror(words, true);
        let sets = self
            .tags
            .iter_mut()
            .chain(self.ints.values_mut().flatten())
            .chain(self.at_least.values_mut().flatten())
            .chain(self.texts.values_mut().flat_map(|m| m.values_mut()))
            .chain(self.bools.values_mut());
        for s in sets {
            s.mirror(words, false);
        }
    }

    /// Adds a customer not yet in the index. With ids ascending (a load from the store) every insert
    /// is an append; otherwise it falls back to [`Index::put`].
    pub fn append(&mut self, f: &Facts) {
        if self.universe.bits().max().is_some_and(|m| m >= f.id) {
            return self.put(f);
        }
        let id = f.id;
        self.universe.insert(id);
        for (attr, v) in [
            (Attr::AumTier, Some(f.aum_tier)),
            (Attr::RiskGrade, f.risk_grade),
            (Attr::Age, f.age),
            (Attr::Payday, f.payday),
        ] {
            // A value outside the attribute's range (a mistyped birthday's age of 165) is no value.
            let slots = int_slots(attr);
            let v = v.filter(|v| usize::from(*v) < slots);
            self.remember(attr, id, v);
            let Some(v) = v.map(usize::from) else { continue };
            if let Some(b) = self.ints.get_mut(&attr).and_then(|s| s.get_mut(v)) {
                b.insert(id);
            }
            if self.prefixes_ready
                && let Some(p) = self.at_least.get_mut(&attr)
            {
                p.iter_mut().take(v + 1).for_each(|b| {
                    b.insert(id);
                });
            }
        }
        for (attr, v) in [(Attr::Gender, &f.gender), (Attr::SubBranch, &f.sub_branch)] {
            if !v.is_empty()
                && let Some(m) = self.texts.get_mut(&attr)
            {
                match m.get_mut(v.as_str()) {
                    Some(b) => {
                        b.insert(id);
                    }
                    None => {
                        m.insert(v.clone(), Set::from(std::iter::once(id).collect::<RoaringBitmap>()));
                    }
                }
            }
        }
        for (attr, on) in [
            (Attr::Payroll, f.payroll),
            (Attr::CreditCard, f.credit_card),
            (Attr::Wealth, f.wealth),
            (Attr::Loan, f.loan),
        ] {
            if on && let Some(b) = self.bools.get_mut(&attr) {
                b.insert(id);
            }
        }
        self.set_owner(id, f.owner);
        for t in &f.tags {
            self.add_tag(id, *t);
        }
    }

    /// Replaces a tag's members wholesale (bulk loads).
    pub fn load_tag(&mut self, tag: u32, members: RoaringBitmap) {
        let i = tag as usize;
        if self.tags.len() <= i {
            self.tags.resize(i + 1, Set::default());
        }
        let words = self.range_words();
        self.tags[i] = Set::from(members);
        self.tags[i].mirror(words, false);
    }

    /// Adds a customer or replaces their attributes; tags in `f.tags` are added, tags and events the
    /// index already holds for them stay.
    pub fn put(&mut self, f: &Facts) {
        let id = f.id;
        self.universe.insert(id);
        self.set_int(Attr::AumTier, id, Some(f.aum_tier));
        self.set_int(Attr::RiskGrade, id, f.risk_grade);
        self.set_int(Attr::Age, id, f.age);
        self.set_int(Attr::Payday, id, f.payday);
        self.set_text(Attr::Gender, id, &f.gender);
        self.set_text(Attr::SubBranch, id, &f.sub_branch);
        for (a, on) in [
            (Attr::Payroll, f.payroll),
            (Attr::CreditCard, f.credit_card),
            (Attr::Wealth, f.wealth),
            (Attr::Loan, f.loan),
        ] {
            self.set_bool(a, id, on);
        }
        self.set_owner(id, f.owner);
        for t in &f.tags {
            self.add_tag(id, *t);
        }
    }

    /// Forgets a customer entirely.
    pub fn remove(&mut self, id: u32) {
        if !self.universe.remove(id) {
            return;
        }
        self.tags.iter_mut().for_each(|b| {
            b.remove(id);
        });
        self.ints.values_mut().chain(self.at_least.values_mut()).flatten().for_each(|b| {
            b.remove(id);
        });
        self.texts.values_mut().flat_map(|m| m.values_mut()).for_each(|b| {
            b.remove(id);
        });
        self.bools.values_mut().for_each(|b| {
            b.remove(id);
        });
        self.set_owner(id, None);
        self.events.values_mut().for_each(|log| log.forget(id));
        for vals in self.values.values_mut() {
            if let Some(v) = vals.get_mut(id as usize) {
                *v = NO_VALUE;
            }
        }
    }

    /// Sets (or clears) the customer manager who owns a customer.
    pub fn set_owner(&mut self, id: u32, owner: Option<u32>) {
        if let Some(old) = self.owner_of.remove(&id)
            && let Some(b) = self.owners.get_mut(&old)
        {
            b.remove(id);
        }
        if let Some(o) = owner {
            self.owner_of.insert(id, o);
            self.owners.entry(o).or_default().insert(id);
        }
    }

    /// The customers a customer manager owns.
    pub fn owned_by(&self, owner: u32) -> RoaringBitmap {
        self.owners.get(&owner).cloned().unwrap_or_default()
    }

    /// The customers of these sub-branches (by key): a branch manager's scope.
    pub fn in_sub_branches<'a>(&self, codes: impl IntoIterator<Item = &'a str>) -> RoaringBitmap {
        let Some(m) = self.texts.get(&Attr::SubBranch) else { return RoaringBitmap::new() };
        let mut acc = RoaringBitmap::new();
        for c in codes {
            if let Some(b) = m.get(c) {
                acc |= b.bits();
            }
        }
        acc
    }

    /// Records that event `kind` happened to customer `id` on bank day `day`.
    pub fn record_event(&mut self, id: u32, kind: &str, day: u32) {
        match self.events.get_mut(kind) {
            Some(log) => log.record(id, day),
            None => {
                let mut log = EventLog::default();
                log.record(id, day);
                self.events.insert(kind.to_owned(), log);
            }
        }
    }

    /// Sets the bank day event windows end on, and drops history no window can reach.
    pub fn set_today(&mut self, day: u32) {
        if day != self.today {
            self.today = day;
            let oldest = day.saturating_sub(MAX_WINDOW_DAYS);
            self.events.values_mut().for_each(|log| log.prune(oldest));
        }
    }

    pub fn today(&self) -> u32 {
        self.today
    }

    pub fn add_tag(&mut self, id: u32, tag: u32) {
        let i = tag as usize;
        if self.tags.len() <= i {
            self.tags.resize(i + 1, Set::default());
        }
        self.tags[i].insert(id);
    }

    pub fn remove_tag(&mut self, id: u32, tag: u32) {
        if let Some(b) = self.tags.get_mut(tag as usize) {
            b.remove(id);
        }
    }

    /// Records a customer's value of an integer attribute.
    fn remember(&mut self, attr: Attr, id: u32, v: Option<u8>) {
        let vals = self.values.entry(attr).or_default();
        let i = id as usize;
        if vals.len() <= i {
            vals.resize((i + 1).next_power_of_two(), NO_VALUE);
        }
        vals[i] = v.unwrap_or(NO_VALUE);
    }

    fn recalled(&self, attr: Attr, id: u32) -> Option<u8> {
        self.values.get(&attr).and_then(|v| v.get(id as usize)).copied().filter(|v| *v != NO_VALUE)
    }

    /// Sets (or clears, with `None`) an integer attribute.
    pub fn set_int(&mut self, attr: Attr, id: u32, value: Option<u8>) {
        let old = self.recalled(attr, id);
        let Some(slots) = self.ints.get_mut(&attr) else { return };
        let value = value.filter(|v| usize::from(*v) < slots.len());
        if old == value && self.universe.bits().contains(id) {
            return;
        }
        if let Some(s) = old.and_then(|o| slots.get_mut(usize::from(o))) {
            s.remove(id);
        }
        if let Some(s) = value.and_then(|v| slots.get_mut(usize::from(v))) {
            s.insert(id);
        }
        if self.prefixes_ready
            && let Some(p) = self.at_least.get_mut(&attr)
        {
            // Member of at_least[k] exactly for k ≤ value: only the slots between old and new change.
            let (was, now) = (old.map_or(0, |o| usize::from(o) + 1), value.map_or(0, |v| usize::from(v) + 1));
            for b in p.iter_mut().take(now).skip(was) {
                b.insert(id);
            }
            for b in p.iter_mut().take(was).skip(now) {
                b.remove(id);
            }
        }
        self.remember(attr, id, value);
    }

    /// Ages a customer (the daily re-ageing job calls this for birthdays).
    pub fn set_age(&mut self, id: u32, age: Option<u8>) {
        self.set_int(Attr::Age, id, age);
    }

    pub fn set_text(&mut self, attr: Attr, id: u32, value: &str) {
        let Some(m) = self.texts.get_mut(&attr) else { return };
        for b in m.values_mut() {
            b.remove(id);
        }
        if !value.is_empty() {
            m.entry(value.to_owned()).or_default().insert(id);
        }
    }

    pub fn set_bool(&mut self, attr: Attr, id: u32, on: bool) {
        if let Some(b) = self.bools.get_mut(&attr) {
            if on {
                b.insert(id);
            } else {
                b.remove(id);
            }
        }
    }

    /// Records a saved audience's members, for `audience("…")` references.
    pub fn set_audience(&mut self, id: &str, members: RoaringBitmap) {
        self.audiences.insert(id.to_owned(), members);
    }

    pub fn customers(&self) -> u64 {
        self.universe.len()
    }

    /// Bytes the bitmaps occupy when serialized: a close measure of their memory.
    pub fn size_bytes(&self) -> usize {
        let ints: usize = self.ints.values().chain(self.at_least.values()).flatten().map(Set::size_bytes).sum();
        let texts: usize = self.texts.values().flat_map(|m| m.values()).map(Set::size_bytes).sum();
        let bools: usize = self.bools.values().map(Set::size_bytes).sum();
        let tags: usize = self.tags.iter().map(Set::size_bytes).sum();
        let owners: usize =
            self.owners.values().map(RoaringBitmap::serialized_size).sum::<usize>() + 16 * self.owner_of.len();
        let events: usize = self.events.values().map(EventLog::size_bytes).sum::<usize>()
            + self.values.values().map(Vec::capacity).sum::<usize>();
        self.universe.size_bytes() + ints + texts + bools + tags + owners + events
    }

    /// The value bitmaps of an integer attribute in `lo..=hi`.
    fn int_slots(&self, attr: Attr, lo: i64, hi: i64) -> &[Set] {
        let Some(slots) = self.ints.get(&attr) else { return &[] };
        let lo = usize::try_from(lo.max(0)).unwrap_or(0).min(slots.len());
        let hi = usize::try_from(hi.max(-1).saturating_add(1)).unwrap_or(0).min(slots.len());
        if lo >= hi { &[] } else { &slots[lo..hi] }
    }

    /// The bitmaps whose union a comparison selects (none for a complement, `!=`).
    fn cmp_sets<'a>(&'a self, attr: Attr, cmp: &Cmp) -> Vec<&'a RoaringBitmap> {
        self.value_sets(attr, cmp).into_iter().map(Set::bits).collect()
    }

    /// The sets whose union a comparison selects (none for a complement, `!=`).
    fn value_sets<'a>(&'a self, attr: Attr, cmp: &Cmp) -> Vec<&'a Set> {
        let eq = |v: &Value| -> Vec<&'a Set> {
            match (attr.kind(), v) {
                (AttrType::Int { .. }, Value::Int(n)) => self.int_slots(attr, *n, *n).iter().collect(),
                (AttrType::Text, Value::Text(t)) => self.texts.get(&attr).and_then(|m| m.get(t)).into_iter().collect(),
                (AttrType::Bool, Value::Bool(true)) => self.bools.get(&attr).into_iter().collect(),
                // `= false` is handled as a complement by the caller; mistyped values select nothing.
                _ => Vec::new(),
            }
        };
        match cmp {
            Cmp::Eq(v) => eq(v),
            Cmp::In(vs) => vs.iter().flat_map(eq).collect(),
            Cmp::Lt(n) => self.int_slots(attr, i64::MIN / 2, n - 1).iter().collect(),
            Cmp::Le(n) => self.int_slots(attr, i64::MIN / 2, *n).iter().collect(),
            Cmp::Gt(n) => self.int_slots(attr, n + 1, i64::MAX / 2).iter().collect(),
            Cmp::Ge(n) => self.int_slots(attr, *n, i64::MAX / 2).iter().collect(),
            Cmp::Between(a, b) => self.int_slots(attr, *a, *b).iter().collect(),
            Cmp::Ne(_) => Vec::new(),
        }
    }

    /// An ordered comparison on an integer attribute as a half-open range of values `lo..hi`, answered
    /// from the `at_least` bitmaps.
    fn range_of(&self, attr: Attr, cmp: &Cmp) -> Option<(usize, usize)> {
        if !self.prefixes_ready || !self.at_least.contains_key(&attr) {
            return None;
        }
        let AttrType::Int { min, max } = attr.kind() else { return None };
        let clamp = |v: i64| usize::try_from(v.clamp(0, max + 1)).unwrap_or(0);
        Some(match cmp {
            Cmp::Lt(n) => (clamp(min), clamp(*n)),
            Cmp::Le(n) => (clamp(min), clamp(n + 1)),
            Cmp::Gt(n) => (clamp(n + 1), clamp(max + 1)),
            Cmp::Ge(n) => (clamp(*n), clamp(max + 1)),
            Cmp::Between(a, b) => (clamp(*a), clamp(b + 1)),
            _ => return None,
        })
    }

    /// Whether a comparison is a complement: `!=`, or a flag tested for `false`. Returns the positive
    /// comparison to subtract (for `in [true, false]`, one that selects no one).
    fn is_complement(attr: Attr, cmp: &Cmp) -> Option<Cmp> {
        let flag = attr.kind() == AttrType::Bool;
        match cmp {
            Cmp::Ne(v) => Some(Cmp::Eq(v.clone())),
            Cmp::Eq(Value::Bool(false)) if flag => Some(Cmp::Eq(Value::Bool(true))),
            Cmp::In(vs) if flag && vs.contains(&Value::Bool(false)) => {
                Some(if vs.contains(&Value::Bool(true)) { Cmp::In(Vec::new()) } else { Cmp::Eq(Value::Bool(true)) })
            }
            _ => None,
        }
    }

    /// A cheap upper estimate of how many customers `e` selects, to order the parts of an `and`.
    fn estimate(&self, e: &Expr) -> u64 {
        let all = self.universe.len();
        match e {
            Expr::And(v) => v.iter().map(|p| self.estimate(p)).min().unwrap_or(all),
            Expr::Or(v) => v.iter().map(|p| self.estimate(p)).sum::<u64>().min(all),
            Expr::Not(_) => all,
            Expr::Event { name, .. } => self.events.get(name).map_or(0, EventLog::customers),
            Expr::Tag(name) => self.tag_names.get(name).and_then(|n| self.tags.get(*n as usize)).map_or(0, Set::len),
            Expr::Audience(id) => self.audiences.get(id).map_or(0, RoaringBitmap::len),
            Expr::Attr { attr, cmp } => match (Self::is_complement(*attr, cmp), self.range_of(*attr, cmp)) {
                (Some(_), _) => all,
                (None, Some((lo, hi))) => {
                    let p = &self.at_least[attr];
                    let top = p.len() - 1;
                    p[lo.min(top)].len().saturating_sub(p[hi.min(top)].len())
                }
                (None, None) => self.cmp_sets(*attr, cmp).iter().map(|b| b.len()).sum::<u64>().min(all),
            },
        }
    }

    /// The customers `e` selects.
    pub fn eval(&self, e: &Expr) -> Result<RoaringBitmap, EvalError> {
        self.eval_in(e, None)
    }

    /// The customers `e` selects among `within` (all, when `None`). Restricting as early as possible
    /// is what keeps a count near a millisecond: after the most selective part of an `and`, every
    /// other part only intersects the survivors instead of building a bank-wide bitmap.
    fn eval_in(&self, e: &Expr, within: Option<&RoaringBitmap>) -> Result<RoaringBitmap, EvalError> {
        let restrict = |b: &RoaringBitmap| match within {
            Some(w) => w & b,
            None => b.clone(),
        };
        let everyone = || within.cloned().unwrap_or_else(|| self.universe.bits().clone());
        Ok(match e {
            Expr::And(parts) => {
                let mut order: Vec<(&Expr, u64)> = parts.iter().map(|p| (p, self.estimate(p))).collect();
                order.sort_by_key(|(_, n)| *n);
                let mut rest = order.into_iter();
                let Some((first, _)) = rest.next() else { return Ok(everyone()) };
                let mut acc = self.eval_in(first, within)?;
                for (p, _) in rest {
                    if acc.is_empty() {
                        break;
                    }
                    self.narrow(&mut acc, p)?;
                }
                acc
            }
            Expr::Or(parts) => {
                let mut acc = RoaringBitmap::new();
                for p in parts {
                    acc |= &self.eval_in(p, within)?;
                }
                acc
            }
            Expr::Not(inner) => everyone() - &self.eval_in(inner, within)?,
            Expr::Tag(name) => {
                let no = self.tag_names.get(name).ok_or_else(|| EvalError::UnknownTag(name.clone()))?;
                self.tags.get(*no as usize).map(|s| restrict(s.bits())).unwrap_or_default()
            }
            Expr::Audience(id) => {
                restrict(self.audiences.get(id).ok_or_else(|| EvalError::UnknownAudience(id.clone()))?)
            }
            // A kind nothing has written yet simply has no one (the server checks kinds are real).
            Expr::Event { name, min_count, within_days } => match self.events.get(name) {
                Some(log) => {
                    let from = self.today.saturating_sub(within_days.saturating_sub(1));
                    log.at_least(*min_count, from, self.today, within)
                }
                None => RoaringBitmap::new(),
            },
            Expr::Attr { attr, cmp } => match Self::is_complement(*attr, cmp) {
                Some(positive) => everyone() - &self.eval_in(&Expr::Attr { attr: *attr, cmp: positive }, within)?,
                None if self.range_of(*attr, cmp).is_some() => {
                    let (lo, hi) = self.range_of(*attr, cmp).unwrap_or((0, 0));
                    let p = &self.at_least[attr];
                    let top = p.len() - 1;
                    let (lo, hi) = (lo.min(top), hi.min(top));
                    if lo >= hi { RoaringBitmap::new() } else { restrict(p[lo].bits()) - p[hi].bits() }
                }
                None => {
                    let mut acc = RoaringBitmap::new();
                    for b in self.cmp_sets(*attr, cmp) {
                        acc |= restrict(b);
                    }
                    acc
                }
            },
        })
    }

    /// Keeps in `acc` only the customers `e` selects, in place: an `and` then costs one pass over the
    /// survivors per part, with no new bitmap for tags, negated tags and ranges.
    fn narrow(&self, acc: &mut RoaringBitmap, e: &Expr) -> Result<(), EvalError> {
        match e {
            Expr::Tag(name) => {
                let no = self.tag_names.get(name).ok_or_else(|| EvalError::UnknownTag(name.clone()))?;
                match self.tags.get(*no as usize) {
                    Some(b) => *acc &= b.bits(),
                    None => acc.clear(),
                }
            }
            Expr::Not(inner) => match inner.as_ref() {
                Expr::Tag(name) => {
                    let no = self.tag_names.get(name).ok_or_else(|| EvalError::UnknownTag(name.clone()))?;
                    if let Some(b) = self.tags.get(*no as usize) {
                        *acc -= b.bits();
                    }
                }
                other => {
                    let hit = self.eval_in(other, Some(acc))?;
                    *acc -= &hit;
                }
            },
            Expr::And(parts) => {
                for p in parts {
                    self.narrow(acc, p)?;
                }
            }
            Expr::Attr { attr, cmp }
                if Self::is_complement(*attr, cmp).is_none() && self.range_of(*attr, cmp).is_some() =>
            {
                let (lo, hi) = self.range_of(*attr, cmp).unwrap_or((0, 0));
                let p = &self.at_least[attr];
                let top = p.len() - 1;
                let (lo, hi) = (lo.min(top), hi.min(top));
                if lo >= hi {
                    acc.clear();
                } else {
                    *acc &= p[lo].bits();
                    *acc -= p[hi].bits();
                }
            }
            // A value list: the union of the values' bitmaps is as dense as they are, so building it
            // stays cheap, and the survivors are cut down once rather than once per value.
            Expr::Attr { attr, cmp } if Self::is_complement(*attr, cmp).is_none() => {
                let sets = self.cmp_sets(*attr, cmp);
                match sets.as_slice() {
                    [] => acc.clear(),
                    [one] => *acc &= *one,
                    many => {
                        let mut any = RoaringBitmap::new();
                        for b in many {
                            any |= *b;
                        }
                        *acc &= &any;
                    }
                }
            }
            other => {
                let hit = self.eval_in(other, Some(acc))?;
                *acc = hit;
            }
        }
        Ok(())
    }

    /// Whether `e` among `within` is cheaper over bitsets: a large bank, and no part (nor the scope)
    /// small enough that the roaring way is left with little to do after it.
    fn prefers_fused(&self, e: &Expr, within: Option<&RoaringBitmap>) -> bool {
        let n = self.universe.len();
        let smallest = within.map_or(u64::MAX, RoaringBitmap::len).min(self.estimate(e));
        n >= FUSED_FROM && smallest.saturating_mul(MIRROR_ONE_IN) >= n
    }

    /// How many customers `e` selects among `within` (everyone, when `None`).
    pub fn count_within(&self, e: &Expr, within: Option<&RoaringBitmap>) -> Result<u64, EvalError> {
        if self.prefers_fused(e, within) {
            self.count_fused_within(e, within)
        } else {
            self.eval_in(e, within).map(|b| b.len())
        }
    }

    /// The first `n` customers (lowest ids) `e` selects among `within`.
    pub fn sample(&self, e: &Expr, within: Option<&RoaringBitmap>, n: usize) -> Result<Vec<u32>, EvalError> {
        if self.prefers_fused(e, within) {
            self.first_fused(e, within, n)
        } else {
            Ok(self.eval_in(e, within)?.iter().take(n).collect())
        }
    }

    /// How many customers `e` selects. A dense expression on a large bank is counted over bitsets
    /// ([`Index::count_fused`]); anything else the roaring way, where a selective first part leaves
    /// little for the rest to do.
    pub fn count(&self, e: &Expr) -> Result<u64, EvalError> {
        self.count_within(e, None)
    }
}

#[cfg(test)]
mod tests {
    use siyu_domain::audience::parse;

    use super::*;

    fn small() -> Index {
        let mut ix = Index::new();
        ix.define_tag(0, "代发");
        ix.define_tag(1, "已购基金");
        let facts = (1..=100u32).map(|id| Facts {
            id,
            aum_tier: (id % 5 + 1) as u8,
            risk_grade: (id % 3 != 0).then_some((id % 5 + 1) as u8),
            age: Some((20 + id % 50) as u8),
            payday: Some((id % 28 + 1) as u8),
            gender: if id % 2 == 0 { "female".into() } else { "male".into() },
            sub_branch: format!("SH0{}", id % 3 + 1),
            payroll: id % 4 == 0,
            credit_card: id % 2 == 0,
            wealth: id % 5 == 0,
            loan: false,
            owner: Some(id % 4),
            tags: [(id % 2 == 0).then_some(0), (id % 10 == 0).then_some(1)].into_iter().flatten().collect(),
        });
        ix.build(facts)
    }

    /// The same expression evaluated by brute force over the facts.
    fn brute(pred: impl Fn(u32) -> bool) -> u64 {
        (1..=100u32).filter(|id| pred(*id)).count() as u64
    }

    #[test]
    fn counts_match_brute_force() {
        let ix = small();
        let c = |t: &str| {
            let e = parse(t).unwrap();
            let n = ix.count(&e).unwrap();
            assert_eq!(ix.count_fused(&e).unwrap(), n, "over bitsets: {t}");
            n
        };
        assert_eq!(c("tag(\"代发\")"), brute(|i| i % 2 == 0));
        assert_eq!(c("tag(\"代发\") and not tag(\"已购基金\")"), brute(|i| i % 2 == 0 && i % 10 != 0));
        assert_eq!(c("aum_tier >= 3"), brute(|i| i % 5 + 1 >= 3));
        assert_eq!(
            c("age between 30 and 40 or payday in [5, 10]"),
            brute(|i| (30..=40).contains(&(20 + i % 50)) || [5, 10].contains(&(i % 28 + 1)))
        );
        assert_eq!(c("gender = \"female\" and sub_branch != \"SH01\""), brute(|i| i % 2 == 0 && i % 3 + 1 != 1));
        assert_eq!(c("loan = false and wealth = true"), brute(|i| i % 5 == 0));
        assert_eq!(c("risk_grade < 3"), brute(|i| i % 3 != 0 && i % 5 + 1 < 3));
        assert_eq!(c("not risk_grade in [1, 2, 3, 4, 5]"), brute(|i| i % 3 == 0), "never assessed");
        assert_eq!(c("wealth in [false]"), brute(|i| i % 5 != 0));
        assert_eq!(c("wealth in [true, false]"), 100);
        assert_eq!(c("wealth != true and credit_card in [true]"), brute(|i| i % 5 != 0 && i % 2 == 0));
        assert_eq!(c("aum_tier > 5 or aum_tier < 1"), 0);
        assert_eq!(
            c("tag(\"代发\") and (aum_tier = 2 or not tag(\"已购基金\")) and gender != \"male\""),
            brute(|i| i % 2 == 0 && (i % 5 + 1 == 2 || i % 10 != 0))
        );
    }

    #[test]
    fn writes_show_in_the_next_count() {
        let mut ix = small();
        let e = parse("tag(\"已购基金\")").unwrap();
        assert_eq!(ix.count(&e).unwrap(), 10);
        ix.add_tag(3, 1);
        ix.remove_tag(10, 1);
        ix.remove(20);
        assert_eq!(ix.count(&e).unwrap(), 9);
        ix.set_int(Attr::AumTier, 3, Some(5));
        assert!(ix.eval(&parse("aum_tier = 5").unwrap()).unwrap().contains(3));
        assert!(ix.eval(&parse("aum_tier >= 4").unwrap()).unwrap().contains(3), "ranges see the change too");
        assert!(!ix.eval(&parse("aum_tier < 5").unwrap()).unwrap().contains(3));
        assert!(
            !ix.eval(&parse("aum_tier between 1 and 5").unwrap()).unwrap().contains(20),
            "removed customers leave ranges"
        );
        let mut appended = ix.clone();
        appended.append(&Facts { id: 500, aum_tier: 2, age: Some(33), ..Default::default() });
        assert!(appended.eval(&parse("age between 30 and 35 and aum_tier <= 2").unwrap()).unwrap().contains(500));
    }

    #[test]
    fn unknown_names_are_errors() {
        let ix = small();
        assert_eq!(ix.count(&parse("tag(\"nope\")").unwrap()), Err(EvalError::UnknownTag("nope".into())));
        assert!(ix.count(&parse("audience(\"aud_9\")").unwrap()).is_err());
        assert_eq!(ix.count(&parse("event(\"x\") >= 1 within 7d").unwrap()), Ok(0), "nothing recorded yet");
    }

    #[test]
    fn events_count_within_days_back_from_today() {
        let mut ix = small();
        ix.set_today(1000);
        for (id, day) in [(1, 1000), (1, 995), (2, 990), (2, 999), (3, 1000)] {
            ix.record_event(id, "link_opened", day);
        }
        let ids = |ix: &Index, t: &str| ix.eval(&parse(t).unwrap()).unwrap().iter().collect::<Vec<_>>();
        assert_eq!(ids(&ix, "event(\"link_opened\") >= 2 within 7d"), [1]);
        assert_eq!(ids(&ix, "event(\"link_opened\") >= 2 within 11d"), [1, 2]);
        assert_eq!(ids(&ix, "event(\"link_opened\") >= 1 within 1d"), [1, 3], "1d is today");
        assert_eq!(ids(&ix, "event(\"link_opened\") >= 1 within 1d and aum_tier = 2"), [1]);
        ix.set_today(1003);
        assert_eq!(ids(&ix, "event(\"link_opened\") >= 1 within 3d"), Vec::<u32>::new());
        ix.remove(1);
        assert_eq!(ids(&ix, "event(\"link_opened\") >= 1 within 30d"), [2, 3]);
    }

    #[test]
    fn values_out_of_range_are_no_value() {
        let mut ix = small();
        ix.append(&Facts { id: 900, aum_tier: 2, age: Some(165), ..Default::default() });
        ix.set_age(900, Some(166));
        ix.set_age(900, Some(40));
        assert!(ix.eval(&parse("age = 40").unwrap()).unwrap().contains(900));
        ix.set_age(900, Some(200));
        assert!(!ix.eval(&parse("age >= 0").unwrap()).unwrap().contains(900));
        assert_eq!(ix.count_fused(&parse("age >= 150").unwrap()).unwrap(), 0);
    }

    #[test]
    fn owners_and_sub_branches_give_scopes_and_survive_attribute_updates() {
        let mut ix = small();
        ix.put(&Facts {
            id: 7,
            aum_tier: 3,
            sub_branch: "SH02".into(),
            owner: Some(42),
            tags: vec![0],
            ..Default::default()
        });
        ix.put(&Facts { id: 8, aum_tier: 3, owner: Some(42), ..Default::default() });
        assert_eq!(ix.owned_by(42).iter().collect::<Vec<_>>(), [7, 8]);
        // New attributes from an import keep the customer's tags.
        ix.put(&Facts { id: 7, aum_tier: 4, sub_branch: "SH02".into(), owner: Some(43), ..Default::default() });
        assert_eq!(ix.owned_by(42).iter().collect::<Vec<_>>(), [8]);
        assert!(ix.eval(&parse("tag(\"代发\") and aum_tier = 4").unwrap()).unwrap().contains(7));
        let sh = ix.in_sub_branches(["SH02", "SH03"]);
        assert!(sh.contains(7) && sh.contains(2) && !sh.contains(3));
    }
}
