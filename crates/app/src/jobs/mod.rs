//! Background work as typed jobs: each kind of job is a type ([`Job`]) with its stored name, its
//! payload and its body; [`registry`] lists every kind siyu runs; [`enqueue`] is the one way a job is
//! queued; [`worker`] claims and runs them; the [`scheduler`] only enqueues.
//!
//! A job may run more than once (its worker can die after the work and before `complete`), so every
//! body is idempotent. Failures are retried with exponential backoff until the kind's `MAX_ATTEMPTS`,
//! then the job ends as failed with its last error, visible on the jobs page.
//!
//! The queue's rows are the contract with databases written by earlier versions: a kind's `NAME` and
//! its payload's stored form never change (a job queued before an upgrade runs after it).
//!
//! Queueing is crate-private: only services (after their permission checks) and jobs queue work, so
//! nothing outside `siyu-app` can start an import's commit or a sync on its own say.

mod error;
pub mod handover;
pub mod import;
pub mod maintenance;
pub mod media;
pub mod refresh;
pub mod registry;
pub mod scheduler;
pub mod worker;

use std::future::Future;

use siyu_domain::job::{Job as QueuedJob, NewJob};
use siyu_domain::{JobId, Timestamp};

pub(crate) use error::Unrunnable;
pub use error::{Cause, JobError};
pub use registry::Registry;
pub use worker::{run_next, start};

use crate::state::AppState;

/// A kind of job: its name on the queue, what it is given, and what it does.
///
/// The handler value may hold what its body needs beyond the state (tests give theirs a recorder);
/// the kinds siyu ships with are unit structs.
pub trait Job: Send + Sync + 'static {
    /// The kind as stored in the queue's `kind` column; never renamed once shipped.
    const NAME: &'static str;
    /// Attempts before the job ends as failed.
    const MAX_ATTEMPTS: i32 = 5;
    /// The input, as stored in the queue's `payload` column.
    type Payload: Payload;

    /// Runs the job once. Idempotent: it may run again after a crash.
    fn run(&self, ctx: &JobContext<'_>, payload: Self::Payload) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// How a payload is stored in the queue's text column. Every serde type is stored as JSON; a kind whose
/// rows hold something else (the callback job keeps WeCom's XML as it came) says so itself.
pub trait Payload: Sized + Send + Sync {
    fn to_row(&self) -> String;
    fn from_row(row: &str) -> Result<Self, JobError>;
}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync> Payload for T {
    fn to_row(&self) -> String {
        // Serialising a payload type (plain data: ids, strings, numbers) cannot fail.
        serde_json::to_string(self).expect("a job payload serialises")
    }

    fn from_row(row: &str) -> Result<Self, JobError> {
        serde_json::from_str(row).map_err(|e| {
            JobError::permanent(format!("bad payload: {e}")).saying(siyu_domain::lang::Text::new("job.bad_payload"))
        })
    }
}

/// The payload of a job that needs no input. Stored as `{}`; what a row holds is ignored, as it always
/// was for these kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nothing;

impl Payload for Nothing {
    fn to_row(&self) -> String {
        "{}".to_owned()
    }

    fn from_row(_: &str) -> Result<Self, JobError> {
        Ok(Self)
    }
}

/// What a job body gets: the state, its queue row, and a way to check it still holds its lease (the
/// worker renews the lease while the body runs). Only the worker makes one, so a job body can be run
/// only by the queue.
pub struct JobContext<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) job: &'a QueuedJob,
    pub(crate) worker: &'a str,
}

impl<'a> JobContext<'a> {
    pub fn state(&self) -> &'a AppState {
        self.state
    }

    /// The queue row being run (its id, attempts so far, …).
    pub fn job(&self) -> &'a QueuedJob {
        self.job
    }

    /// Extends the lease now, failing if another worker took the job over: a long body calls it between
    /// steps to stop early once it no longer holds the job.
    pub async fn keep_alive(&self) -> Result<(), JobError> {
        let until = self.state.clock.now().plus_secs(self.state.config.jobs.lease_secs);
        Ok(self.state.store.extend_lease(self.job.id, self.worker, until).await?)
    }
}

/// When a queued job runs, and what stops copies of it piling up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    run_at: Option<Timestamp>,
    after_secs: i64,
    dedupe: Option<String>,
}

impl Options {
    /// Runs as soon as a worker is free.
    pub fn now() -> Self {
        Self::default()
    }

    /// Runs at `t`.
    pub fn at(t: Timestamp) -> Self {
        Self { run_at: Some(t), ..Self::default() }
    }

    /// Runs `secs` after it is queued.
    pub fn after_secs(secs: i64) -> Self {
        Self { after_secs: secs, ..Self::default() }
    }

    /// Not queued while a job of the same kind with the same `key` waits (see `NewJob::dedupe_key`).
    /// The stored key is `<kind>:<key>`, so keys of different kinds never meet.
    pub fn once_as(mut self, key: impl std::fmt::Display) -> Self {
        self.dedupe = Some(key.to_string());
        self
    }
}

/// The queue row of a `K` job: its name, its payload as stored, and the options.
pub fn row<K: Job>(payload: &K::Payload, options: &Options, now: Timestamp) -> NewJob {
    NewJob {
        kind: K::NAME.to_owned(),
        payload: payload.to_row(),
        run_at: options.run_at.unwrap_or(now.plus_secs(options.after_secs)),
        max_attempts: K::MAX_ATTEMPTS,
        dedupe_key: options.dedupe.as_ref().map(|key| dedupe_key::<K>(key)),
    }
}

/// The stored dedupe key of a `K` job queued `once_as(key)`.
pub(crate) fn dedupe_key<K: Job>(key: impl std::fmt::Display) -> String {
    format!("{}:{key}", K::NAME)
}

/// Queues a `K` job and wakes a worker. `None` when its dedupe key held it back.
pub(crate) async fn enqueue<K: Job>(
    state: &AppState,
    payload: &K::Payload,
    options: Options,
) -> siyu_store::error::StoreResult<Option<JobId>> {
    let id = state.store.enqueue(&row::<K>(payload, &options, state.clock.now())).await?;
    if id.is_some() {
        state.jobs_wake.notify_waiters();
    }
    Ok(id)
}

/// Queues a `K` job whose loss only delays work a later run redoes (a mirror to WeCom, a refresh):
/// a store that cannot take it is logged, not answered.
pub(crate) async fn enqueue_or_warn<K: Job>(state: &AppState, payload: &K::Payload, options: Options) {
    if let Err(e) = enqueue::<K>(state, payload, options).await {
        tracing::warn!(error = %e, kind = K::NAME, "could not queue a job");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_that_does_not_read_fails_for_good_and_nothing_reads_anything() {
        let e = <import::ImportPayload as Payload>::from_row("{oops").unwrap_err();
        assert!(!e.is_retry(), "retrying cannot mend a row");
        assert!(e.to_string().starts_with("bad payload: "), "{e}");
        assert_eq!(e.text().key(), Some("job.bad_payload"), "people are told in the bank's words");
        // The kinds without input never read their rows: whatever an old row holds, they run.
        assert_eq!(Nothing::from_row("").unwrap(), Nothing);
        assert_eq!(Nothing.to_row(), "{}");
    }

    #[test]
    fn a_dedupe_key_is_scoped_to_its_kind_and_a_delay_to_the_queueing() {
        let t = Timestamp::from_millis(1_000_000);
        let j = row::<refresh::RefreshAudiences>(&Nothing, &Options::after_secs(3).once_as("soon"), t);
        assert_eq!((j.run_at, j.dedupe_key.as_deref()), (t.plus_secs(3), Some("audiences.refresh:soon")));
        let j = row::<maintenance::Maintenance>(&Nothing, &Options::now(), t);
        assert_eq!((j.run_at, j.max_attempts, j.dedupe_key), (t, 3, None));
    }
}
