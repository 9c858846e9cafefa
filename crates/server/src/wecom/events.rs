//! The job that applies one accepted callback. Contact events move the customer–staff relationship
//! (with WeCom's event time, so out-of-order delivery cannot undo a newer change). Group-chat and tag
//! events are hints to re-read state; the sync that does so comes with the WeCom sync work, and until
//! then they are logged.

use async_trait::async_trait;
use siyu_domain::Timestamp;
use siyu_domain::channel::code_of_state;
use siyu_store::{RelationshipChange, RelationshipStatus};
use siyu_wecom::event::{CallbackEvent, ContactChange, EventKind};

use crate::jobs::{JobContext, JobError, JobHandler};

/// What a contact event does to the relationship, if anything.
pub fn relationship_change(e: &CallbackEvent) -> Option<RelationshipChange> {
    let EventKind::ExternalContact(c) = &e.kind else { return None };
    let status = match c.change {
        ContactChange::Added | ContactChange::AddedHalf => RelationshipStatus::Active,
        ContactChange::DeletedByCustomer => RelationshipStatus::DeletedByCustomer,
        ContactChange::DeletedByStaff if c.source.as_deref() == Some("DELETE_BY_TRANSFER") => {
            RelationshipStatus::Transferred
        }
        ContactChange::DeletedByStaff => RelationshipStatus::DeletedByStaff,
        ContactChange::Edited | ContactChange::TransferFailed | ContactChange::Other(_) => return None,
    };
    Some(RelationshipChange {
        external_userid: c.external_user_id.clone(),
        staff_userid: c.user_id.clone(),
        status,
        state: c.state.clone(),
        event_at: Timestamp::from_millis(e.create_time * 1000),
    })
}

pub struct ApplyCallback;

#[async_trait]
impl JobHandler for ApplyCallback {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<(), JobError> {
        let event = CallbackEvent::parse(&ctx.job.payload)
            .map_err(|e| JobError::Permanent(format!("unreadable callback: {e}")))?;
        let Some(change) = relationship_change(&event) else {
            tracing::info!(kind = ?event.kind, "WeCom event noted");
            return Ok(());
        };
        let applied = ctx
            .state
            .store
            .record_relationship(&change, ctx.state.clock.now())
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        tracing::info!(external_userid = %change.external_userid, staff = %change.staff_userid, status = change.status.as_str(), applied, "relationship changed");
        // An add through one of our channel codes: welcome, tags, rotation.
        let EventKind::ExternalContact(c) = &event.kind else { return Ok(()) };
        let code_id = c.state.as_deref().and_then(code_of_state);
        if let (Some(id), ContactChange::Added | ContactChange::AddedHalf) = (code_id, &c.change) {
            let code = match ctx.state.store.channel_code(id).await {
                Ok(code) => code,
                Err(siyu_store::StoreError::NotFound) => return Ok(()),
                Err(e) => return Err(JobError::Retry(e.to_string())),
            };
            crate::services::channels::on_added(
                ctx.state,
                &code,
                &c.user_id,
                &c.external_user_id,
                c.welcome_code.as_deref(),
            )
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        }
        Ok(())
    }
}
