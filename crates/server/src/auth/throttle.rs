//! Sign-in throttling: after too many failures for one login name, or from one address, further
//! attempts are refused until the window passes — whether or not the password is right.
//!
//! Kept in memory: one process serves one bank's console. Several instances behind a balancer would
//! each count separately, which still bounds guessing per instance; moving the counts into the store is
//! the step when that matters.

use std::collections::HashMap;
use std::sync::Mutex;

use siyu_domain::Timestamp;

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window_ms: i64,
    failures: Mutex<HashMap<String, (u32, Timestamp)>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, lockout_minutes: i64) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window_ms: lockout_minutes * 60_000,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, ip: &str) -> [String; 2] {
        [format!("u:{}", username.to_lowercase()), format!("ip:{ip}")]
    }

    /// `Err(seconds)` while the name or the address is locked out. Addresses get five times the
    /// allowance of a name, so one office behind a shared NAT is not locked out by one user.
    pub fn check(&self, username: &str, ip: &str, now: Timestamp) -> Result<(), i64> {
        let map = self.failures.lock().expect("throttle lock");
        for (i, key) in Self::keys(username, ip).iter().enumerate() {
            let limit = if i == 0 { self.max_failures } else { self.max_failures * 5 };
            if let Some(&(n, since)) = map.get(key) {
                let until = since.millis() + self.window_ms;
                if n >= limit && now.millis() < until {
                    return Err((until - now.millis() + 999) / 1000);
                }
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str, ip: &str, now: Timestamp) {
        let mut map = self.failures.lock().expect("throttle lock");
        for key in Self::keys(username, ip) {
            let e = map.entry(key).or_insert((0, now));
            if now.millis() - e.1.millis() > self.window_ms {
                *e = (0, now);
            }
            e.0 += 1;
        }
        // Old entries are dropped now and then so the map cannot grow without bound.
        if map.len() > 100_000 {
            let window = self.window_ms;
            map.retain(|_, (_, since)| now.millis() - since.millis() <= window);
        }
    }

    pub fn record_success(&self, username: &str) {
        self.failures.lock().expect("throttle lock").remove(&format!("u:{}", username.to_lowercase()));
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
            t.record_failure("alice", "1.1.1.1", t0);
        }
        assert_eq!(t.check("ALICE", "2.2.2.2", t0), Err(900));
        assert!(t.check("bob", "1.1.1.1", t0).is_ok(), "the address has a larger allowance");
        assert!(t.check("alice", "1.1.1.1", t0.plus_secs(901)).is_ok());
    }
}
