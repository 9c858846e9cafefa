//! Rule tags and saved audiences, recomputed: a few seconds after a change that may move them, every
//! hour (event windows move with time even when nothing is written), and when the server starts.

use super::{Job, JobContext, JobError, Nothing, Options};
use crate::state::AppState;

/// Recomputes rule tags, then refreshes saved audiences (which may use those tags).
pub struct RefreshAudiences;

/// One refresh at a time in a process: the "soon" and the hourly one may both be due.
static REFRESHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Job for RefreshAudiences {
    const NAME: &'static str = "audiences.refresh";
    const MAX_ATTEMPTS: i32 = 3;
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let _one = REFRESHING.lock().await;
        let (gained, lost) = crate::services::tags::recompute_all(ctx.state).await?;
        let n = crate::services::audiences::refresh_all(ctx.state).await?;
        ctx.state.engine.optimize();
        tracing::info!(rule_tags_gained = gained, rule_tags_lost = lost, audiences = n, "audiences refreshed");
        Ok(())
    }
}

/// Seconds a refresh waits after the change that asked for it, so a burst of changes shares one run.
const SOON_SECS: i64 = 3;

/// Queues a recompute of rule tags and saved audiences a few seconds from now; a burst of changes
/// shares one run (the dedupe key holds while one is queued).
pub(crate) async fn soon(state: &AppState) {
    super::enqueue_or_warn::<RefreshAudiences>(state, &Nothing, Options::after_secs(SOON_SECS).once_as("soon")).await;
}
