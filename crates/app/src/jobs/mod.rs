//! Background work: the handlers for each kind of job, the worker loop that claims and runs them, and
//! the scheduler that only enqueues.
//!
//! A job may run more than once (its worker can die after the work and before `complete`), so every
//! handler is idempotent. Failures are retried with exponential backoff until `max_attempts`, then the
//! job ends as failed with its last error, visible on the jobs page.

pub mod handlers;
pub mod scheduler;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use siyu_domain::job::{Job, NewJob, retry_delay_secs};
use tokio::sync::watch;

use crate::error::ServiceResult;
use crate::state::AppState;

pub const IMPORT_VALIDATE: &str = "import.validate";
pub const IMPORT_COMMIT: &str = "import.commit";
pub const MAINTENANCE: &str = "maintenance.cleanup";

/// How a handler failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt later (the database was busy, a file was briefly unreadable).
    Retry(String),
    /// Will never succeed (bad payload): fail now.
    Permanent(String),
}

/// What a handler gets: the state, its job, and a way to check it still holds its lease (the worker
/// loop renews the lease while the handler runs).
pub struct JobContext<'a> {
    pub state: &'a AppState,
    pub job: &'a Job,
    pub worker: &'a str,
}

impl JobContext<'_> {
    /// Extends the lease now, failing if another worker took the job over: a long handler calls it
    /// between steps to stop early once it no longer holds the job.
    pub async fn keep_alive(&self) -> Result<(), JobError> {
        let until = self.state.clock.now().plus_secs(self.state.config.jobs.lease_secs);
        self.state.store.extend_lease(self.job.id, self.worker, until).await.map_err(|e| JobError::Retry(e.to_string()))
    }
}

#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError>;
}

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Registry(HashMap<&'static str, Arc<dyn JobHandler>>);

impl Registry {
    /// The handlers siyu ships with.
    pub fn standard() -> Self {
        let mut r = Self::default();
        r.add(IMPORT_VALIDATE, handlers::ImportValidate);
        r.add(IMPORT_COMMIT, handlers::ImportCommit);
        r.add(MAINTENANCE, handlers::Maintenance);
        r.add(crate::services::tags::REFRESH_JOB, handlers::RefreshAudiences);
        r.add(crate::wecom::CALLBACK_JOB, crate::wecom::events::ApplyCallback);
        r.add(crate::wecom::sync::SYNC_JOB, crate::wecom::sync::FullSync);
        r.add(crate::wecom::tags::PUSH_JOB, crate::wecom::tags::PushTag);
        r.add(crate::wecom::tags::MARK_JOB, crate::wecom::tags::MarkTag);
        r.add(crate::wecom::tags::PULL_JOB, crate::wecom::tags::PullTags);
        r
    }

    pub fn add(&mut self, kind: &'static str, h: impl JobHandler + 'static) {
        self.0.insert(kind, Arc::new(h));
    }
}

/// Queues a job to run now and wakes a worker.
pub async fn enqueue(state: &AppState, kind: &str, payload: &str) -> ServiceResult<()> {
    state.store.enqueue(&NewJob::now(kind, payload.to_owned(), state.clock.now())).await?;
    state.jobs_wake.notify_waiters();
    Ok(())
}

/// Claims and runs one job, if one is due. Returns whether a job was run.
pub async fn run_next(state: &AppState, registry: &Registry, worker: &str) -> ServiceResult<bool> {
    let now = state.clock.now();
    let claimed = tokio::time::Instant::now();
    let Some(job) = state.store.claim(worker, now, state.config.jobs.lease_secs).await? else { return Ok(false) };
    let outcome = if job.attempts > job.max_attempts {
        // Its earlier workers died holding it, as many times as it may be tried: stop here.
        Err(JobError::Permanent(format!(
            "gave up after {} attempts; last error: {}",
            job.max_attempts,
            job.last_error.as_deref().unwrap_or("worker lost")
        )))
    } else {
        match registry.0.get(job.kind.as_str()) {
            Some(h) => {
                match holding_lease(state, &job, worker, claimed, h.run(&JobContext { state, job: &job, worker })).await
                {
                    Some(outcome) => outcome,
                    // Another worker has (or may take) the job: this one records nothing.
                    None => return Ok(true),
                }
            }
            None => Err(JobError::Permanent(format!("no handler for job kind {}", job.kind))),
        }
    };
    let now = state.clock.now();
    match outcome {
        Ok(()) => {
            state.store.complete(job.id, worker, now).await?;
            state.metrics.jobs_succeeded.inc();
        }
        Err(e) => {
            state.metrics.jobs_failed.inc();
            let (msg, retry) = match e {
                JobError::Retry(m) if job.attempts < job.max_attempts => {
                    (m, Some(now.plus_secs(retry_delay_secs(job.attempts))))
                }
                JobError::Retry(m) | JobError::Permanent(m) => (m, None),
            };
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, retry = retry.is_some(), error = %msg, "job failed");
            state.store.fail(job.id, worker, &msg, retry, now).await?;
        }
    }
    Ok(true)
}

/// Runs `work` while renewing the job's lease every third of a lease, so no other worker takes over
/// a job whose handler is still alive however long it runs (a dry run of a large file, a full sync); a
/// worker that dies stops renewing, and the lease lapses as before. A renewal waiting on the database
/// never holds the work up (they run side by side). But once the lease is lost — the store says
/// another worker holds the job, or no renewal has succeeded within a lease of the last one, so
/// another worker may have claimed it — the work is dropped where it stands and `None` returned: the
/// old and the new owner never run together. Dropping is safe because handlers are idempotent and
/// every store write is a transaction that rolls back when dropped (store-sqlite's `begin_write`).
/// Work a handler moved to a blocking thread runs to its end, but its result is discarded.
async fn holding_lease<T>(
    state: &AppState,
    job: &Job,
    worker: &str,
    claimed: tokio::time::Instant,
    work: impl Future<Output = T>,
) -> Option<T> {
    let lease = state.config.jobs.lease_secs.max(1);
    let lease_len = Duration::from_secs(u64::try_from(lease).unwrap_or(1));
    let every = lease_len / 3;
    // Counted from when the claim (then each successful renewal) was sent, so never later than the
    // lease the store holds.
    let mut held_until = claimed + lease_len;
    let lost = async {
        loop {
            tokio::time::sleep(every).await;
            let sent = tokio::time::Instant::now();
            let until = state.clock.now().plus_secs(lease);
            match tokio::time::timeout_at(held_until, state.store.extend_lease(job.id, worker, until)).await {
                Ok(Ok(())) => held_until = sent + lease_len,
                Ok(Err(siyu_store::StoreError::Stale(e))) => return e.to_string(),
                // A busy database: the next beat tries again, while the lease lasts.
                Ok(Err(e)) => {
                    tracing::warn!(job = %job.id, error = %e, "could not renew a job lease");
                    if tokio::time::Instant::now() + every >= held_until {
                        tokio::time::sleep_until(held_until).await;
                        return format!("not renewed within the lease; last error: {e}");
                    }
                }
                Err(_) => return "the database did not renew the lease within it".to_owned(),
            }
        }
    };
    tokio::select! {
        out = work => Some(out),
        why = lost => {
            tracing::error!(job = %job.id, kind = %job.kind, reason = %why, "job lease lost while running; its handler was stopped");
            None
        }
    }
}

/// A worker: runs due jobs until `shutdown` turns true, sleeping between polls or until woken.
pub async fn worker_loop(state: AppState, registry: Arc<Registry>, name: String, mut shutdown: watch::Receiver<bool>) {
    let poll = Duration::from_millis(state.config.jobs.poll_millis);
    while !*shutdown.borrow() {
        match run_next(&state, &registry, &name).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(worker = %name, error = %e, "job queue error"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = state.jobs_wake.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Starts `config.jobs.workers` workers and the scheduler.
pub fn start(state: &AppState, shutdown: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let registry = Arc::new(Registry::standard());
    let host = std::process::id();
    let mut handles: Vec<_> = (0..state.config.jobs.workers)
        .map(|i| {
            tokio::spawn(worker_loop(state.clone(), registry.clone(), format!("worker-{host}-{i}"), shutdown.clone()))
        })
        .collect();
    handles.push(tokio::spawn(scheduler::run(state.clone(), shutdown.clone())));
    handles
}
