//! The scheduler: on each tick it enqueues what is due, with a dedupe key so ticks never pile up
//! copies. It runs nothing itself; workers do.

use std::time::Duration;

use siyu_domain::Timestamp;
use tokio::sync::watch;

use super::maintenance::Maintenance;
use super::media::RenewWecomMedia;
use super::refresh::RefreshAudiences;
use super::{Job, Nothing, Options, enqueue};
use crate::state::AppState;
use crate::wecom::controls::ApplyChannelControls;
use crate::wecom::sync::FullSync;

/// How often the scheduler looks at the clock.
const TICK: Duration = Duration::from_secs(60);

/// Enqueues every schedule that is due at this tick (each under its dedupe key, so a tick more changes
/// nothing).
pub async fn tick(state: &AppState) {
    let now = state.clock.now();
    // Hourly clean-up, queued for the top of the next hour under a key naming that hour: while it waits,
    // the key blocks copies from later ticks and from other processes.
    let next_hour = now.millis() / 3_600_000 + 1;
    let top = Options::at(Timestamp::from_millis(next_hour * 3_600_000)).once_as(next_hour);
    queue::<Maintenance>(state, top.clone()).await;
    // Rule tags and saved audiences at the top of every hour too: event windows move with time even
    // when nothing is written.
    queue::<RefreshAudiences>(state, top).await;
    // A full WeCom sync every night at 02:00 bank time, keyed by the date it runs on.
    if state.wecom.is_some() {
        let day_ms = 86_400_000;
        let offset = 8 * 3_600_000;
        let next = ((now.millis() + offset - 2 * 3_600_000) / day_ms + 1) * day_ms - offset + 2 * 3_600_000;
        queue::<FullSync>(state, Options::at(Timestamp::from_millis(next)).once_as(next)).await;
        // Channel codes' schedules and skip-verify windows turn on minutes: a run at the top of the
        // next one, keyed by it.
        let minute = now.millis() / 60_000 + 1;
        queue::<ApplyChannelControls>(state, Options::at(Timestamp::from_millis(minute * 60_000)).once_as(minute))
            .await;
        // WeCom copies of the content library's media, renewed hourly before their 3 days run out.
        let hour = now.millis() / 3_600_000 + 1;
        queue::<RenewWecomMedia>(state, Options::at(Timestamp::from_millis(hour * 3_600_000)).once_as(hour)).await;
    }
}

async fn queue<K: Job<Payload = Nothing>>(state: &AppState, options: Options) {
    if let Err(e) = enqueue::<K>(state, &Nothing, options).await {
        tracing::warn!(error = %e, kind = K::NAME, "scheduler could not enqueue");
    }
}

/// Ticks until `shutdown` turns true. Rule tags and audiences first catch up with anything written
/// while the server was down.
pub(crate) async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    super::refresh::soon(&state).await;
    while !*shutdown.borrow() {
        tick(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => {}
        }
    }
}
