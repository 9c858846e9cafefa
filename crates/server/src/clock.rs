//! The real clock, which the binary hands the application: the domain and the app take time as an
//! input (`siyu_domain::Clock`), so tests run on a manual one.

use siyu_domain::{Clock, Timestamp};

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }
}
