//! The job that puts channel codes' controls into effect as time passes: at every minute a schedule
//! can begin or end, or a skip-verify window open or close, and a new bank day lifts the daily caps.
//! It looks at every code with controls and tells WeCom only what changed, so it may run late, twice
//! or out of order.

use crate::jobs::{Job, JobContext, JobError, Nothing};

/// Puts every code's controls into effect at the time it runs.
pub struct ApplyChannelControls;

impl Job for ApplyChannelControls {
    const NAME: &'static str = "channels.controls";
    /// The next minute's run tries again; retrying this one would only run behind it.
    const MAX_ATTEMPTS: i32 = 1;
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let changed = crate::services::channel_controls::apply_all(ctx.state).await.map_err(JobError::retry)?;
        if changed > 0 {
            tracing::info!(changed, "channel codes moved by their controls");
        }
        Ok(())
    }
}
