//! The worker: claims a due job, runs its body while holding the job's lease, and records the outcome
//! (done, retry after a backoff, or failed).

use std::sync::Arc;
use std::time::Duration;

use siyu_domain::job::{Job as QueuedJob, retry_delay_secs};
use siyu_domain::lang::Text;
use tokio::sync::watch;

use super::error::Unrunnable;
use super::{JobContext, Registry};
use crate::error::ServiceResult;
use crate::state::AppState;

/// Claims and runs one job, if one is due. Returns whether a job was run.
pub async fn run_next(state: &AppState, registry: &Registry, worker: &str) -> ServiceResult<bool> {
    let now = state.clock.now();
    let claimed = tokio::time::Instant::now();
    let Some(job) = state.store.claim(worker, now, state.config.jobs.lease_secs).await? else { return Ok(false) };
    let outcome = if job.attempts > job.max_attempts {
        // Its earlier workers died holding it, as many times as it may be tried: stop here.
        let last = job.last_error.as_deref().map(crate::stored_text::decode);
        Err(Unrunnable::GaveUp { attempts: job.max_attempts, last }.into())
    } else {
        match registry.handler(&job.kind) {
            Some(h) => {
                let ctx = JobContext { state, job: &job, worker };
                match holding_lease(state, &job, worker, claimed, h.run_row(&ctx)).await {
                    Some(outcome) => outcome,
                    // Another worker has (or may take) the job: this one records nothing.
                    None => return Ok(true),
                }
            }
            None => Err(Unrunnable::UnknownKind(job.kind.clone()).into()),
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
            let out_of_attempts = job.attempts >= job.max_attempts;
            let retry = (e.is_retry() && !out_of_attempts).then(|| now.plus_secs(retry_delay_secs(job.attempts)));
            // People read what went wrong in their own language; the technical cause is for the log.
            let told = if e.is_retry() && out_of_attempts {
                Text::new("job.gave_up").arg("attempts", job.max_attempts).text("last", e.text().clone())
            } else {
                e.text().clone()
            };
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, retry = retry.is_some(), error = %e, "job failed");
            state.store.fail(job.id, worker, &crate::stored_text::encode(&told), retry, now).await?;
        }
    }
    Ok(true)
}

/// Runs `work` while renewing the job's lease every third of a lease, so no other worker takes over
/// a job whose body is still alive however long it runs (a dry run of a large file, a full sync); a
/// worker that dies stops renewing, and the lease lapses as before. A renewal waiting on the database
/// never holds the work up (they run side by side). But once the lease is lost — the store says
/// another worker holds the job, or no renewal has succeeded within a lease of the last one, so
/// another worker may have claimed it — the work is dropped where it stands and `None` returned: the
/// old and the new owner never run together. Dropping is safe because bodies are idempotent and
/// every store write is a transaction that rolls back when dropped (store-sqlite's `begin_write`).
/// Work a body moved to a blocking thread runs to its end, but its result is discarded.
async fn holding_lease<T>(
    state: &AppState,
    job: &QueuedJob,
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
            tracing::error!(job = %job.id, kind = %job.kind, reason = %why, "job lease lost while running; its body was stopped");
            None
        }
    }
}

/// A worker: runs due jobs until `shutdown` turns true, sleeping between polls or until woken.
async fn worker_loop(state: AppState, registry: Arc<Registry>, name: String, mut shutdown: watch::Receiver<bool>) {
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
    handles.push(tokio::spawn(super::scheduler::run(state.clone(), shutdown.clone())));
    handles
}
