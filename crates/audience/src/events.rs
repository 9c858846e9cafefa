//! Event counts for `event("kind") >= n within d days`: for each kind, each customer's event days.
//!
//! Days, not timestamps: a window is whole bank days, so a day number (days since 1970-01-01 in bank
//! time) is all a condition needs, and four bytes an event keeps ten million customers' recent history
//! small. Days older than the longest window an expression may ask for are dropped by [`EventLog::prune`].

use std::collections::HashMap;

use roaring::RoaringBitmap;

/// Longest window an expression may ask for (the parser's bound).
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// One kind's history: customer → the days it happened, ascending.
#[derive(Debug, Default, Clone)]
pub struct EventLog {
    days: HashMap<u32, Vec<u32>>,
}

impl EventLog {
    /// Records one occurrence. Days usually arrive in order, so this is an append.
    pub fn record(&mut self, id: u32, day: u32) {
        let v = self.days.entry(id).or_default();
        let at = v.partition_point(|d| *d <= day);
        v.insert(at, day);
    }

    /// Customers with at least `min` occurrences on days `from..=to`, among `within` when given.
    pub fn at_least(&self, min: u32, from: u32, to: u32, within: Option<&RoaringBitmap>) -> RoaringBitmap {
        let hits = |days: &Vec<u32>| {
            let lo = days.partition_point(|d| *d < from);
            let hi = days.partition_point(|d| *d <= to);
            u32::try_from(hi - lo).unwrap_or(u32::MAX) >= min
        };
        match within {
            // Walk the smaller side.
            Some(w) if w.len() < self.days.len() as u64 => {
                w.iter().filter(|id| self.days.get(id).is_some_and(hits)).collect()
            }
            _ => {
                let mut ids: Vec<u32> = self
                    .days
                    .iter()
                    .filter(|(id, days)| within.is_none_or(|w| w.contains(**id)) && hits(days))
                    .map(|(id, _)| *id)
                    .collect();
                ids.sort_unstable();
                RoaringBitmap::from_sorted_iter(ids).unwrap_or_default()
            }
        }
    }

    /// Customers with any occurrence (an upper bound for ordering an `and`).
    pub fn customers(&self) -> u64 {
        self.days.len() as u64
    }

    pub fn forget(&mut self, id: u32) {
        self.days.remove(&id);
    }

    /// Drops days before `oldest`.
    pub fn prune(&mut self, oldest: u32) {
        self.days.retain(|_, v| {
            v.retain(|d| *d >= oldest);
            !v.is_empty()
        });
    }

    pub fn size_bytes(&self) -> usize {
        self.days.values().map(|v| 4 * v.capacity() + 32).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_window() {
        let mut log = EventLog::default();
        for (id, day) in [(1, 100), (1, 105), (1, 90), (2, 104), (3, 50)] {
            log.record(id, day);
        }
        let ids = |b: RoaringBitmap| b.iter().collect::<Vec<_>>();
        assert_eq!(ids(log.at_least(2, 95, 105, None)), [1]);
        assert_eq!(ids(log.at_least(1, 100, 105, None)), [1, 2]);
        assert_eq!(ids(log.at_least(3, 0, 105, None)), [1]);
        let only2: RoaringBitmap = [2].into_iter().collect();
        assert_eq!(ids(log.at_least(1, 100, 105, Some(&only2))), [2]);
        log.prune(101);
        assert_eq!(ids(log.at_least(1, 0, 200, None)), [1, 2]);
        assert_eq!(log.customers(), 2);
    }
}
