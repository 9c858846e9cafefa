//! The scheduler: on each tick it enqueues what is due, with a dedupe key so ticks never pile up
//! copies. It runs nothing itself; workers do.

use std::time::Duration;

use siyu_domain::job::NewJob;
use tokio::sync::watch;

use crate::app::AppState;

/// How often the scheduler looks at the clock.
const TICK: Duration = Duration::from_secs(60);

/// Enqueues every schedule that is due at this tick.
pub async fn tick(state: &AppState) {
    let now = state.clock.now();
    // Hourly clean-up, queued for the top of the next hour under a key naming that hour: while it waits,
    // the key blocks copies from later ticks and from other processes.
    let next_hour = now.millis() / 3_600_000 + 1;
    let mut job =
        NewJob::now(super::MAINTENANCE, "{}".into(), siyu_domain::Timestamp::from_millis(next_hour * 3_600_000));
    job.dedupe_key = Some(format!("{}:{next_hour}", super::MAINTENANCE));
    job.max_attempts = 3;
    match state.store.enqueue(&job).await {
        Ok(Some(_)) => state.jobs_wake.notify_waiters(),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "scheduler could not enqueue"),
    }
}

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        tick(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => {}
        }
    }
}
