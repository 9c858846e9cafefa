//! The audience engine as the server runs it: the bitmap index of `siyu-audience`, loaded from the
//! store at start and told about every write after the write commits, so the next count sees it.
//!
//! Writers call the `note_*` methods *after* their store transaction commits and *before* they answer:
//! a count can then never show a change the store does not have, and always shows one that was
//! acknowledged. Everything here is in-process: a second siyu process writing to the same database is
//! not seen until this one reloads (the nightly rebuild); several instances sharing one PostgreSQL is a
//! later issue.
//!
//! Sub-branches are indexed by org unit id, never by code: a code can change, and a freed code can be
//! given to another unit. An expression names sub-branches by code, so it is [`bind`]-ed to the
//! organisation as it is at evaluation time; the engine keeps no copy of the tree, and nothing about
//! the organisation has to be told to it.

mod compile;

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::NaiveDate;
use roaring::RoaringBitmap;
use siyu_audience::{EvalError, Facts, Index, MAX_WINDOW_DAYS};
use siyu_domain::audience::{Attr, Cmp, Expr, Value};
use siyu_domain::customer::age_on;
use siyu_domain::org::{OrgUnit, OrgUnitKind};
use siyu_domain::timeline::EventKind;
use siyu_domain::{AudienceId, CustomerId, OrgUnitId, TagId, Timestamp};
use siyu_store::error::StoreResult;
use siyu_store::{CustomerFacts, Store};

pub use compile::{ExprWarning, bind_to_org, bitmap_of, compile, compile_typed, ids_of};

/// Rows read per query while loading.
const LOAD_PAGE: i64 = 20_000;

/// The index and what it needs to keep ages right as days pass.
#[derive(Default)]
struct Inner {
    index: Index,
    /// Birthdays, so ages move on the right day without reading the store.
    birthdays: HashMap<u32, NaiveDate>,
    /// The bank date the ages and event windows are as of.
    day: Option<NaiveDate>,
    /// Names of rule tags (a rule may not use another rule's tag).
    rule_tags: std::collections::HashSet<String>,
}

/// The engine. One per process, shared through `AppState`.
#[derive(Default)]
pub struct Engine {
    inner: RwLock<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// The index's number for a customer (customer ids are dense integers from 1).
pub fn no(id: CustomerId) -> Option<u32> {
    u32::try_from(id.get()).ok()
}

/// The customer an index number stands for (the inverse of [`no`]).
pub fn customer_of(n: u32) -> CustomerId {
    CustomerId::new(i64::from(n))
}

/// `members`, cut to `scope` when one is given.
fn within(members: &RoaringBitmap, scope: Option<&RoaringBitmap>) -> RoaringBitmap {
    match scope {
        Some(s) => members & s,
        None => members.clone(),
    }
}

fn tag_no(id: TagId) -> Option<u32> {
    u32::try_from(id.get()).ok()
}

/// Days since 1970-01-01 of a bank date: how the index counts event windows.
pub fn day_number(d: NaiveDate) -> u32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    u32::try_from((d - epoch).num_days()).unwrap_or(0)
}

/// How the index names a sub-branch: its id (`org_7`). A code never reads the same (codes are letters,
/// digits and `-`), so a code that names no unit cannot select anyone.
pub fn sub_branch_key(id: OrgUnitId) -> String {
    id.to_string()
}

/// An expression whose sub-branch codes are looked up in the organisation: what the engine evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound(Expr);

impl Bound {
    /// The expression as the index reads it.
    pub fn expr(&self) -> &Expr {
        &self.0
    }

    /// Only customers of these sub-branches: a branch manager's scope, as one more condition counted
    /// over the index's own sets.
    pub fn within_sub_branches(self, ids: &[OrgUnitId]) -> Self {
        let keys = ids.iter().map(|id| Value::Text(sub_branch_key(*id))).collect();
        Self(Expr::And(vec![self.0, Expr::Attr { attr: Attr::SubBranch, cmp: Cmp::In(keys) }]))
    }
}

/// Whether an expression names a sub-branch (only then does binding need the organisation).
pub fn names_sub_branch(e: &Expr) -> bool {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().any(names_sub_branch),
        Expr::Not(x) => names_sub_branch(x),
        Expr::Attr { attr: Attr::SubBranch, .. } => true,
        _ => false,
    }
}

/// Binds `expr` to the organisation `units`: each sub-branch code becomes that sub-branch's key; a
/// code no sub-branch has now selects nobody.
pub fn bind(expr: &Expr, units: &[OrgUnit]) -> Bound {
    let by_code: HashMap<&str, OrgUnitId> =
        units.iter().filter(|u| u.kind == OrgUnitKind::SubBranch).map(|u| (u.code.as_str(), u.id)).collect();
    let key = |v: &Value| match v {
        Value::Text(code) => Value::Text(by_code.get(code.as_str()).map(|id| sub_branch_key(*id)).unwrap_or_default()),
        other => other.clone(),
    };
    fn walk(e: &Expr, key: &dyn Fn(&Value) -> Value) -> Expr {
        match e {
            Expr::And(v) => Expr::And(v.iter().map(|x| walk(x, key)).collect()),
            Expr::Or(v) => Expr::Or(v.iter().map(|x| walk(x, key)).collect()),
            Expr::Not(x) => Expr::Not(Box::new(walk(x, key))),
            Expr::Attr { attr: Attr::SubBranch, cmp } => {
                let cmp = match cmp {
                    Cmp::Eq(v) => Cmp::Eq(key(v)),
                    Cmp::Ne(v) => Cmp::Ne(key(v)),
                    Cmp::In(vs) => Cmp::In(vs.iter().map(key).collect()),
                    other => other.clone(),
                };
                Expr::Attr { attr: Attr::SubBranch, cmp }
            }
            other => other.clone(),
        }
    }
    Bound(walk(expr, &key))
}

fn facts(f: &CustomerFacts, today: NaiveDate) -> Option<Facts> {
    Some(Facts {
        id: no(f.id)?,
        aum_tier: f.aum_tier,
        risk_grade: f.risk_grade,
        age: f.birthday.and_then(|b| age_on(b, today)),
        payday: f.payroll_day,
        gender: f.gender.clone(),
        sub_branch: sub_branch_key(f.sub_branch_id),
        payroll: f.payroll_day.is_some(),
        credit_card: f.credit_card,
        wealth: f.wealth,
        loan: f.loan,
        owner: f.owner_id.and_then(|s| u32::try_from(s.get()).ok()),
        tags: Vec::new(),
    })
}

impl Engine {
    /// Reads customers, tags, recent events and saved audiences from the store into a new index.
    pub async fn load(store: &dyn Store, now: Timestamp) -> StoreResult<Self> {
        let today = now.bank_date();
        let mut inner = Inner { day: Some(today), ..Inner::default() };
        let ix = &mut inner.index;
        ix.begin_bulk();
        let mut after = 0;
        loop {
            let page = store.customer_facts(after, LOAD_PAGE, None).await?;
            let Some(last) = page.last() else { break };
            after = last.id.get();
            for f in &page {
                if let Some(x) = facts(f, today) {
                    if let Some(b) = f.birthday {
                        inner.birthdays.insert(x.id, b);
                    }
                    ix.append(&x);
                }
            }
        }
        ix.finish();
        for t in store.tags().await? {
            let Some(n) = tag_no(t.id) else { continue };
            ix.define_tag(n, &t.name);
            if t.kind == siyu_domain::tag::TagKind::Rule {
                inner.rule_tags.insert(t.name.clone());
            }
            let members: RoaringBitmap = store.tag_members(t.id).await?.into_iter().filter_map(no).collect();
            ix.load_tag(n, members);
        }
        ix.set_today(day_number(today));
        let since = now.plus_secs(-i64::from(MAX_WINDOW_DAYS) * 86_400);
        let mut after = 0;
        loop {
            let page = store.events_since(since, after, LOAD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for e in &page {
                if let Some(c) = no(e.customer_id) {
                    ix.record_event(c, &e.kind, day_number(e.at.bank_date()));
                }
            }
        }
        for a in store.audiences().await? {
            let members: RoaringBitmap = store.audience_members(a.id).await?.into_iter().filter_map(no).collect();
            ix.set_audience(&a.id.to_string(), members);
        }
        Ok(Self { inner: RwLock::new(inner) })
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        // A panic while holding the lock leaves a consistent index (every method finishes its own
        // change before the next line can panic), so a poisoned lock is used as it is.
        self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves ages and event windows to `now`'s bank date (a no-op within the same day).
    pub fn roll_day(&self, now: Timestamp) {
        let today = now.bank_date();
        if self.read().day == Some(today) {
            return;
        }
        let mut g = self.write();
        if g.day == Some(today) {
            return;
        }
        let Inner { index, birthdays, day, .. } = &mut *g;
        // Only customers whose age differs between the two days are touched (29 February birthdays
        // included: `age_on` moves them on 1 March in other years).
        let last = day.unwrap_or(today);
        for (id, b) in birthdays.iter() {
            let now = age_on(*b, today);
            if now != age_on(*b, last) {
                index.set_age(*id, now);
            }
        }
        index.set_today(day_number(today));
        *day = Some(today);
    }

    /// Re-reads these customers (just written by an import) into the index.
    pub async fn note_customers(&self, store: &dyn Store, ids: &[CustomerId], now: Timestamp) -> StoreResult<()> {
        for chunk in ids.chunks(LOAD_PAGE as usize) {
            self.note_facts(&store.customer_facts_of(chunk).await?, now);
        }
        Ok(())
    }

    /// Starts taking many customers at once: range bitmaps are derived once at [`Engine::end_bulk`]
    /// instead of per customer (counts stay right meanwhile, ranges answered from the value bitmaps).
    pub fn begin_bulk(&self) {
        self.write().index.begin_bulk();
    }

    pub fn end_bulk(&self) {
        self.write().index.finish();
    }

    /// Puts customers' current facts into the index (new customers, or new values of known ones).
    pub fn note_facts(&self, all: &[CustomerFacts], now: Timestamp) {
        let today = now.bank_date();
        let mut g = self.write();
        for f in all {
            if let Some(x) = facts(f, today) {
                match f.birthday {
                    Some(b) => g.birthdays.insert(x.id, b),
                    None => g.birthdays.remove(&x.id),
                };
                g.index.append(&x);
            }
        }
    }

    /// A tag was created or renamed.
    pub fn note_tag(&self, id: TagId, name: &str, is_rule: bool) {
        let Some(n) = tag_no(id) else { return };
        let mut g = self.write();
        if let Some(old) = g.index.tag_name(n).map(str::to_owned) {
            g.rule_tags.remove(&old);
        }
        g.index.define_tag(n, name);
        if is_rule {
            g.rule_tags.insert(name.to_owned());
        }
    }

    pub fn is_rule_tag(&self, name: &str) -> bool {
        self.read().rule_tags.contains(name)
    }

    /// Customers were tagged (`on`) or untagged, with the timeline events the store wrote.
    pub fn note_tagged(&self, tag: TagId, customers: &[CustomerId], on: bool, at: Timestamp) {
        let Some(t) = tag_no(tag) else { return };
        let day = day_number(at.bank_date());
        let kind = if on { EventKind::TagAdded } else { EventKind::TagRemoved };
        let mut g = self.write();
        for c in customers.iter().filter_map(|c| no(*c)) {
            if on {
                g.index.add_tag(c, t);
            } else {
                g.index.remove_tag(c, t);
            }
            g.index.record_event(c, kind.as_str(), day);
        }
    }

    /// Timeline events the store wrote for these customers.
    pub fn note_events(&self, customers: &[CustomerId], kind: EventKind, at: Timestamp) {
        let day = day_number(at.bank_date());
        let mut g = self.write();
        for c in customers.iter().filter_map(|c| no(*c)) {
            g.index.record_event(c, kind.as_str(), day);
        }
    }

    /// A saved audience's membership after its refresh.
    pub fn note_audience(&self, id: AudienceId, members: RoaringBitmap) {
        self.write().index.set_audience(&id.to_string(), members);
    }

    /// How many customers `expr` selects within `scope` (without listing them: on a large bank a
    /// dense expression is counted over bitsets).
    pub fn count(&self, expr: &Bound, scope: Option<&RoaringBitmap>) -> Result<u64, EvalError> {
        self.read().index.count_within(&expr.0, scope)
    }

    /// The first `n` customers (lowest ids) `expr` selects within `scope`.
    pub fn sample(&self, expr: &Bound, scope: Option<&RoaringBitmap>, n: usize) -> Result<Vec<CustomerId>, EvalError> {
        let ids = self.read().index.sample(&expr.0, scope, n)?;
        Ok(ids.into_iter().map(customer_of).collect())
    }

    /// The customers `expr` selects, within `scope` when given.
    pub fn select(&self, expr: &Bound, scope: Option<&RoaringBitmap>) -> Result<RoaringBitmap, EvalError> {
        let g = self.read();
        let all = g.index.eval(&expr.0)?;
        Ok(match scope {
            Some(s) => all & s,
            None => all,
        })
    }

    /// Keeps bitset copies of sets that grew dense since the load (the refresh job calls this).
    pub fn optimize(&self) {
        self.write().index.optimize();
    }

    pub fn has_audience(&self, id: &str) -> bool {
        self.read().index.audience(id).is_some()
    }

    /// A saved audience's members as of its last refresh, within `scope` when given.
    pub fn audience_members(&self, id: AudienceId, scope: Option<&RoaringBitmap>) -> RoaringBitmap {
        let g = self.read();
        g.index.audience(&id.to_string()).map_or_else(RoaringBitmap::new, |m| within(m, scope))
    }

    /// A tag's members, within `scope` when given.
    pub fn tag_members(&self, id: TagId, scope: Option<&RoaringBitmap>) -> RoaringBitmap {
        let g = self.read();
        tag_no(id).and_then(|n| g.index.tag_members(n)).map_or_else(RoaringBitmap::new, |m| within(m, scope))
    }

    /// Whether the customer has the tag now (one look-up, no copy of the members).
    pub fn is_tagged(&self, tag: TagId, customer: CustomerId) -> bool {
        let g = self.read();
        match (tag_no(tag), no(customer)) {
            (Some(t), Some(c)) => g.index.tag_members(t).is_some_and(|m| m.contains(c)),
            _ => false,
        }
    }

    pub fn has_tag(&self, name: &str) -> bool {
        self.read().index.tag_no(name).is_some()
    }

    /// The tags nearest to a name that is no tag (did you mean …?).
    pub fn tags_near(&self, name: &str) -> Vec<String> {
        let inner = self.read();
        siyu_domain::audience::nearest(name, inner.index.tag_names()).into_iter().map(str::to_owned).collect()
    }

    pub fn owned_by(&self, staff: u32) -> RoaringBitmap {
        self.read().index.owned_by(staff)
    }

    /// The customers of these sub-branches.
    pub fn in_sub_branches(&self, ids: &[OrgUnitId]) -> RoaringBitmap {
        let keys: Vec<String> = ids.iter().map(|id| sub_branch_key(*id)).collect();
        self.read().index.in_sub_branches(keys.iter().map(String::as_str))
    }

    /// Customers indexed.
    pub fn customers(&self) -> u64 {
        self.read().index.customers()
    }

    pub fn size_bytes(&self) -> usize {
        self.read().index.size_bytes()
    }
}

#[cfg(test)]
mod tests {
    use siyu_domain::audience::parse;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> Timestamp {
        let noon = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(4, 0, 0).unwrap();
        Timestamp::from_millis(noon.and_utc().timestamp_millis())
    }

    #[test]
    fn codes_bind_to_the_unit_that_holds_them_now() {
        let unit = |id: i64, code: &str| OrgUnit {
            id: OrgUnitId::new(id),
            kind: OrgUnitKind::SubBranch,
            parent_id: Some(OrgUnitId::new(2)),
            code: code.into(),
            name: code.into(),
            location: None,
        };
        let e = Engine::default();
        let f = |id: i64, unit: i64| CustomerFacts {
            id: CustomerId::new(id),
            owner_id: None,
            sub_branch_id: OrgUnitId::new(unit),
            gender: "female".into(),
            birthday: None,
            aum_tier: 1,
            risk_grade: None,
            payroll_day: None,
            credit_card: false,
            wealth: false,
            loan: false,
        };
        e.note_facts(&[f(1, 5), f(2, 6), f(3, 6)], at(2025, 1, 1));
        let who = |t: &str, units: &[OrgUnit]| {
            e.select(&bind(&parse(t).unwrap(), units), None).unwrap().iter().collect::<Vec<_>>()
        };
        let before = [unit(5, "SH01"), unit(6, "SH02")];
        assert_eq!(who("sub_branch = \"SH01\"", &before), [1]);
        // SH01 becomes SH11, and SH02 takes the freed code.
        let after = [unit(5, "SH11"), unit(6, "SH01")];
        assert_eq!(who("sub_branch = \"SH11\"", &after), [1]);
        assert_eq!(who("sub_branch = \"SH01\"", &after), [2, 3]);
        assert_eq!(who("sub_branch in [\"SH09\", \"SH11\"]", &after), [1], "an unknown code selects nobody");
        assert_eq!(who("sub_branch != \"SH09\"", &after), [1, 2, 3]);
        assert_eq!(who("sub_branch = \"org_5\"", &after), Vec::<u32>::new(), "keys are not codes");
    }

    #[test]
    fn ages_move_on_their_day_29_february_included() {
        let e = Engine::default();
        let facts = |id: i64, b: (i32, u32, u32)| CustomerFacts {
            id: CustomerId::new(id),
            owner_id: None,
            sub_branch_id: OrgUnitId::new(5),
            gender: "female".into(),
            birthday: NaiveDate::from_ymd_opt(b.0, b.1, b.2),
            aum_tier: 1,
            risk_grade: None,
            payroll_day: None,
            credit_card: false,
            wealth: false,
            loan: false,
        };
        e.roll_day(at(2025, 2, 27));
        e.note_facts(&[facts(1, (2000, 2, 29)), facts(2, (1990, 12, 31)), facts(3, (1860, 1, 1))], at(2025, 2, 27));
        let who = |t: &str| e.select(&bind(&parse(t).unwrap(), &[]), None).unwrap().iter().collect::<Vec<_>>();
        assert_eq!(who("age = 24"), [1]);
        e.roll_day(at(2025, 3, 1));
        assert_eq!(who("age = 25"), [1], "a leap-day birthday counts from 1 March in other years");
        e.roll_day(at(2026, 1, 1));
        assert_eq!(who("age = 35"), [2]);
        assert_eq!(who("age >= 0"), [1, 2], "an impossible age is no age, and nothing panics");
    }
}
