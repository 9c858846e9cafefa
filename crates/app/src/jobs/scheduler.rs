//! The scheduler: on each tick it enqueues what is due, with a dedupe key so ticks never pile up
//! copies. It runs nothing itself; workers do.

use std::time::Duration;

use siyu_domain::job::NewJob;
use tokio::sync::watch;

use crate::state::AppState;

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
    // Rule tags and saved audiences at the top of every hour too: event windows move with time even
    // when nothing is written.
    let mut refresh = NewJob::now(
        crate::services::tags::REFRESH_JOB,
        "{}".into(),
        siyu_domain::Timestamp::from_millis(next_hour * 3_600_000),
    );
    refresh.dedupe_key = Some(format!("{}:{next_hour}", crate::services::tags::REFRESH_JOB));
    refresh.max_attempts = 3;
    let mut due = vec![job, refresh];
    // A full WeCom sync every night at 02:00 bank time, keyed by the date it runs on.
    if state.wecom.is_some() {
        let day_ms = 86_400_000;
        let offset = 8 * 3_600_000;
        let next = ((now.millis() + offset - 2 * 3_600_000) / day_ms + 1) * day_ms - offset + 2 * 3_600_000;
        let mut sync =
            NewJob::now(crate::wecom::sync::SYNC_JOB, "{}".into(), siyu_domain::Timestamp::from_millis(next));
        sync.dedupe_key = Some(format!("{}:{next}", crate::wecom::sync::SYNC_JOB));
        due.push(sync);
    }
    for job in due {
        match state.store.enqueue(&job).await {
            Ok(Some(_)) => state.jobs_wake.notify_waiters(),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "scheduler could not enqueue"),
        }
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
