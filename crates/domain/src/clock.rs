//! Time as the domain sees it: an injected [`Clock`] and a millisecond [`Timestamp`].
//!
//! Rules that depend on time (risk assessments expire, journeys wait, leases lapse) take the time as an
//! argument or a `&dyn Clock`, never read the system clock, so tests can move time at will.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC. Stored as a 64-bit integer in every backend so that SQLite and
/// PostgreSQL agree to the millisecond and compare the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0 + secs * 1000)
    }

    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0 + ms)
    }

    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// The calendar date at the bank's home offset (China Standard Time, UTC+8, no daylight saving).
    pub fn bank_date(self) -> NaiveDate {
        self.to_utc().with_timezone(&bank_offset()).date_naive()
    }

    /// The first instant of the bank day `d` (midnight at UTC+8): ranges of bank days are
    /// `[start(from), start(to + 1))`.
    pub fn bank_day_start(d: NaiveDate) -> Self {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis();
        Self(midnight - i64::from(bank_offset().local_minus_utc()) * 1000)
    }

    /// `YYYY-MM-DD HH:MM:SS` at the bank's home offset, for pages and exports.
    pub fn bank_display(self) -> String {
        self.to_utc().with_timezone(&bank_offset()).format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// UTC+8: the offset of every date a bank user reads or types.
pub fn bank_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// A clock that stands still until told to move, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(t: Timestamp) -> Self {
        Self(AtomicI64::new(t.0))
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
