//! The job that keeps the content library's WeCom copies alive: temporary media last three days, so
//! every hour each copy with less than 12 hours left is uploaded again (`services::media`).

use super::{Job, JobContext, JobError, Nothing};
use crate::services::media;

/// The copies one run renews at most (a bank's library holds hundreds; the next hour takes the rest).
const RENEWALS_PER_RUN: i64 = 500;

/// Renews every WeCom copy with less than [`media::RENEW_WITHIN_SECS`] left. Safe to run twice or late: a
/// renewed copy leaves the window, so a retry uploads only what is still due; one copy failing does
/// not stop the others, and the run is retried when any failed.
pub struct RenewWecomMedia;

impl Job for RenewWecomMedia {
    const NAME: &'static str = "media.renew";
    const MAX_ATTEMPTS: i32 = 3;
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let s = ctx.state;
        if s.wecom.is_none() {
            return Ok(());
        }
        let due = s.clock.now().plus_secs(media::RENEW_WITHIN_SECS);
        let copies = s.store.wecom_media_expiring(due, RENEWALS_PER_RUN).await?;
        let (mut renewed, mut last_error) = (0, None);
        for c in &copies {
            match media::upload_to_wecom(s, c.media).await {
                Ok(_) => renewed += 1,
                Err(e) => {
                    tracing::warn!(media = %c.media, error = %e, "could not renew a WeCom copy");
                    last_error = Some(e);
                }
            }
        }
        tracing::info!(renewed, due = copies.len(), "WeCom media renewed");
        match last_error {
            Some(e) => Err(JobError::retry(e)),
            None => Ok(()),
        }
    }
}
