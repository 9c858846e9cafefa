//! Sign-in throttling: after too many failures for one login name, or from one address, further
//! attempts are refused until the window passes — whether or not the password is right.
//!
//! An attempt is counted *before* its password is checked ([`LoginThrottle::reserve`] checks and counts
//! in one step under the lock) and given back if the password was right, so attempts sent in parallel
//! cannot all pass the check before any of them is recorded.
//!
//! Kept in memory: one process serves one bank's console. Several instances behind a balancer would
//! each count separately, which still bounds guessing per instance; moving the counts into the store is
//! the step when that matters.

use std::collections::HashMap;
use std::sync::Mutex;

use siyu_domain::Timestamp;

/// Names and addresses the throttle follows at most. Each one is counted by an attempt that was let
/// through to a password check (which runs under [`super::password::HashingPool`]'s bound), so filling
/// the table takes this many password checks within one window, from thousands of addresses.
///
/// When it is full, expired entries go first; if every entry is still live, an attempt whose name or
/// address has no entry yet is refused rather than let through uncounted or counted in a slot taken
/// from someone else. Evicting (oldest first, or fewest failures first) would let an attacker flush a
/// victim's count by spraying made-up names and then guess again; letting attempts through uncounted
/// would lift the limit altogether. Refusing turns a flood into a denial of sign-in while it lasts —
/// never into extra guesses.
pub const MAX_ENTRIES: usize = 100_000;

/// Why an attempt was not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("locked out for {retry_after_secs} s")]
    LockedOut { retry_after_secs: i64 },
    /// The table is full of live entries (see [`MAX_ENTRIES`]).
    #[error("too many sign-in attempts across the bank")]
    Full { retry_after_secs: i64 },
}

impl Refused {
    pub fn retry_after_secs(self) -> i64 {
        match self {
            Self::LockedOut { retry_after_secs } | Self::Full { retry_after_secs } => retry_after_secs,
        }
    }
}

/// Failures in the current window and when the window began.
#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    since: Timestamp,
}

#[derive(Debug)]
struct Table {
    entries: HashMap<String, Entry>,
    /// When expired entries were last swept out of a full table.
    last_sweep: Option<Timestamp>,
}

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window_ms: i64,
    max_entries: usize,
    table: Mutex<Table>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, lockout_minutes: i64) -> Self {
        Self::with_capacity(max_failures, lockout_minutes, MAX_ENTRIES)
    }

    fn with_capacity(max_failures: u32, lockout_minutes: i64, max_entries: usize) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window_ms: lockout_minutes * 60_000,
            max_entries,
            table: Mutex::new(Table { entries: HashMap::new(), last_sweep: None }),
        }
    }

    fn name_key(username: &str) -> String {
        format!("u:{}", username.to_lowercase())
    }

    fn ip_key(ip: &str) -> String {
        format!("ip:{ip}")
    }

    /// Addresses get five times the allowance of a name, so one office behind a shared NAT is not
    /// locked out by one user.
    fn keys(&self, username: &str, ip: &str) -> [(String, u32); 2] {
        [(Self::name_key(username), self.max_failures), (Self::ip_key(ip), self.max_failures.saturating_mul(5))]
    }

    fn locked(&self, table: &Table, key: &str, limit: u32, now: Timestamp) -> Option<i64> {
        let e = table.entries.get(key)?;
        let until = e.since.millis() + self.window_ms;
        (e.failures >= limit && now.millis() < until).then(|| (until - now.millis() + 999) / 1000)
    }

    /// `Err(seconds)` while the name or the address is locked out. Counts nothing: a cheap early
    /// refusal; [`Self::reserve`] is the check that counts.
    pub fn check(&self, username: &str, ip: &str, now: Timestamp) -> Result<(), i64> {
        let table = self.table.lock().expect("throttle lock");
        for (key, limit) in self.keys(username, ip) {
            if let Some(secs) = self.locked(&table, &key, limit, now) {
                return Err(secs);
            }
        }
        Ok(())
    }

    /// Checks the name and the address and, if neither is locked out, counts the attempt as a failure
    /// of both at once. The attempt is settled by [`Reservation::failed`] (it stays counted) or
    /// [`Reservation::succeeded`]; dropped unsettled (no password was checked, or the caller went away
    /// before an answer), it is given back.
    pub fn reserve(&self, username: &str, ip: &str, now: Timestamp) -> Result<Reservation<'_>, Refused> {
        let mut table = self.table.lock().expect("throttle lock");
        let keys = self.keys(username, ip);
        for (key, limit) in &keys {
            if let Some(retry_after_secs) = self.locked(&table, key, *limit, now) {
                return Err(Refused::LockedOut { retry_after_secs });
            }
        }
        let new_keys = keys.iter().filter(|(k, _)| !table.entries.contains_key(k)).count();
        if table.entries.len() + new_keys > self.max_entries {
            self.sweep(&mut table, now);
            if table.entries.len() + new_keys > self.max_entries {
                tracing::warn!(
                    entries = table.entries.len(),
                    "sign-in throttle full: refusing new names and addresses"
                );
                return Err(Refused::Full { retry_after_secs: (self.window_ms / 1000).max(1) });
            }
        }
        let window = self.window_ms;
        let [(name, _), (ip, _)] = keys;
        for key in [&name, &ip] {
            let e = table.entries.entry(key.clone()).or_insert(Entry { failures: 0, since: now });
            if now.millis() - e.since.millis() > window {
                *e = Entry { failures: 0, since: now };
            }
            e.failures += 1;
        }
        Ok(Reservation { throttle: self, name, ip, settled: false })
    }

    /// Drops expired entries; at most once a second, so a table kept full is not scanned per attempt.
    fn sweep(&self, table: &mut Table, now: Timestamp) {
        if table.last_sweep.is_some_and(|t| now.millis() - t.millis() < 1000) {
            return;
        }
        table.last_sweep = Some(now);
        let window = self.window_ms;
        table.entries.retain(|_, e| now.millis() - e.since.millis() <= window);
    }

    fn give_back(&self, key: &str) {
        let mut table = self.table.lock().expect("throttle lock");
        if let Some(e) = table.entries.get_mut(key) {
            e.failures = e.failures.saturating_sub(1);
            if e.failures == 0 {
                table.entries.remove(key);
            }
        }
    }

    /// Whether the throttle holds an entry for this login name (for tests and diagnostics).
    pub fn tracks(&self, username: &str) -> bool {
        self.table.lock().expect("throttle lock").entries.contains_key(&Self::name_key(username))
    }

    /// How many names and addresses are followed now.
    pub fn len(&self) -> usize {
        self.table.lock().expect("throttle lock").entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One attempt counted as a failure ahead of its password check.
#[derive(Debug)]
#[must_use = "an unsettled reservation is given back when dropped"]
pub struct Reservation<'a> {
    throttle: &'a LoginThrottle,
    name: String,
    ip: String,
    settled: bool,
}

impl Reservation<'_> {
    /// The password was wrong (or the member inactive): the attempt stays counted.
    pub fn failed(mut self) {
        self.settled = true;
    }

    /// The password was right: the name's failures are cleared and the address's count is given back.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle.table.lock().expect("throttle lock").entries.remove(&self.name);
        self.throttle.give_back(&self.ip);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle.give_back(&self.name);
            self.throttle.give_back(&self.ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_after_the_window() {
        let t = LoginThrottle::new(3, 15);
        let t0 = Timestamp::from_millis(0);
        for _ in 0..3 {
            assert!(t.check("Alice", "1.1.1.1", t0).is_ok());
            t.reserve("alice", "1.1.1.1", t0).unwrap().failed();
        }
        assert_eq!(t.check("ALICE", "2.2.2.2", t0), Err(900));
        assert_eq!(t.reserve("alice", "2.2.2.2", t0).unwrap_err(), Refused::LockedOut { retry_after_secs: 900 });
        assert!(t.check("bob", "1.1.1.1", t0).is_ok(), "the address has a larger allowance");
        assert!(t.check("alice", "1.1.1.1", t0.plus_secs(901)).is_ok());
    }

    #[test]
    fn a_reservation_counts_at_once_and_is_given_back_unless_it_failed() {
        let t = LoginThrottle::new(2, 15);
        let t0 = Timestamp::from_millis(0);
        let a = t.reserve("alice", "1.1.1.1", t0).unwrap();
        let b = t.reserve("alice", "1.1.1.1", t0).unwrap();
        assert!(t.reserve("alice", "1.1.1.1", t0).is_err(), "two attempts in flight use up the allowance");
        drop(b);
        assert!(t.check("alice", "1.1.1.1", t0).is_ok(), "an unsettled attempt is given back");
        a.succeeded();
        assert!(t.is_empty(), "success clears the name and gives the address's count back");
        t.reserve("alice", "1.1.1.1", t0).unwrap().failed();
        assert!(t.tracks("alice"));
    }

    #[test]
    fn a_full_table_refuses_newcomers_and_keeps_every_live_count() {
        let t = LoginThrottle::with_capacity(3, 15, 10);
        let t0 = Timestamp::from_millis(0);
        // A victim's name with two failures, then a flood of made-up names from fresh addresses.
        for _ in 0..2 {
            t.reserve("victim", "9.9.9.9", t0).unwrap().failed();
        }
        let mut refused = 0;
        for i in 0..20 {
            match t.reserve(&format!("spray{i}"), &format!("10.0.0.{i}"), t0) {
                Ok(r) => r.failed(),
                Err(Refused::Full { .. }) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(refused > 0 && t.len() <= 10);
        // The victim's count survived the flood: one more failure locks the name.
        t.reserve("victim", "9.9.9.9", t0).unwrap().failed();
        assert!(t.check("victim", "8.8.8.8", t0).is_err());
        // Once the window has passed, expired entries make room again.
        let later = t0.plus_secs(15 * 60 + 2);
        assert!(t.reserve("newcomer", "1.2.3.4", later).is_ok());
    }
}
