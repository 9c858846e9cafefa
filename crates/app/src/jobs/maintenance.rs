//! Hourly house-keeping: expired sessions, old callback keys, and uploads nobody committed.

use super::{Job, JobContext, JobError, Nothing};

/// Uploads not committed within this many days are dropped.
const STALE_UPLOAD_DAYS: i64 = 7;

/// Uploads dropped per store read: a bank's backlog is read a page at a time, however long it is.
const UPLOADS_PER_READ: i64 = 500;

pub struct Maintenance;

impl Job for Maintenance {
    const NAME: &'static str = "maintenance.cleanup";
    const MAX_ATTEMPTS: i32 = 3;
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let s = ctx.state;
        let now = s.clock.now();
        let purged = s.store.purge_expired_sessions(now).await?;
        // Callback keys older than a day can go: their timestamps are far outside the replay window.
        s.store.purge_callbacks_before(now.plus_secs(-86_400)).await?;
        let cutoff = now.plus_secs(-STALE_UPLOAD_DAYS * 86_400);
        let mut dropped = 0;
        // Each one read is marked failed below, so it is not read again: the next read finds the next.
        loop {
            let stale = s.store.stale_uploads(cutoff, UPLOADS_PER_READ).await?;
            if stale.is_empty() {
                break;
            }
            for rec in &stale {
                s.store
                    .finish_import(
                        rec.id,
                        siyu_store::ImportStatus::Failed,
                        Some("expired: not committed within 7 days"),
                        now,
                    )
                    .await?;
                let _ = tokio::fs::remove_file(&rec.stored_path).await;
                dropped += 1;
            }
        }
        tracing::info!(sessions = purged, uploads = dropped, "maintenance done");
        Ok(())
    }
}
