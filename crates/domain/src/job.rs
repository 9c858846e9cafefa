//! Background jobs: what a job is, the states it moves through, and how long to wait before a retry.
//!
//! The queue lives in the database (see the store crate): a job is claimed by setting a lease, and a job
//! whose lease lapses (its worker died) can be claimed again. So every job handler must be idempotent:
//! running it twice has the effect of running it once.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::JobId;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at`, or for a worker.
    Queued,
    /// Claimed by a worker whose lease has not lapsed.
    Running,
    Succeeded,
    /// Gave up after `max_attempts`; `last_error` says why.
    Failed,
}

impl JobStatus {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Running, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A job to put on the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Which handler runs it (`import.commit`, later `journey.tick`, `wecom.sync`, …).
    pub kind: String,
    /// Handler input, JSON.
    pub payload: String,
    pub run_at: Timestamp,
    pub max_attempts: i32,
    /// When set, a second job with the same key is not queued while the first is queued: schedules
    /// enqueue on every tick without piling up copies. One queued while its twin runs is kept (the
    /// change that queued it may have come too late for the running one) and waits for it to end.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn now(kind: &str, payload: String, now: Timestamp) -> Self {
        Self { kind: kind.to_owned(), payload, run_at: now, max_attempts: 5, dedupe_key: None }
    }
}

/// A job as the queue holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub status: JobStatus,
    pub run_at: Timestamp,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lease_until: Option<Timestamp>,
    pub worker: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// Delay before retry `attempt` (1-based): 5 s, 10 s, 20 s, … doubling, capped at one hour.
pub fn retry_delay_secs(attempt: i32) -> i64 {
    let exp = attempt.clamp(1, 20) - 1;
    (5_i64 << exp).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay_secs(1), 5);
        assert_eq!(retry_delay_secs(2), 10);
        assert_eq!(retry_delay_secs(5), 80);
        assert_eq!(retry_delay_secs(50), 3600);
    }
}
