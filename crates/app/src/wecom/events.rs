//! The job that applies one accepted callback. Contact events move the customer–staff relationship
//! (with WeCom's event time, so out-of-order delivery cannot undo a newer change). Group-chat events
//! move group membership; a corp tag event queues a re-read of the corp tags.

use std::collections::HashSet;

use siyu_domain::Timestamp;
use siyu_domain::channel::code_of_state;
use siyu_domain::lang::Text;
use siyu_store::{RelationshipChange, RelationshipStatus};
use siyu_wecom::event::{CallbackEvent, ChatChange, ChatEvent, ContactChange, EventKind};

use crate::jobs::{Job, JobContext, JobError, Payload};

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

/// Tells the audience engine of the timeline entry a relationship change wrote, if it wrote one.
pub(crate) fn note_timeline(
    state: &crate::state::AppState,
    change: &RelationshipChange,
    w: siyu_store::RelationshipWrite,
) {
    if let Some(customer) = w.timeline {
        let kind = if change.status == RelationshipStatus::Active {
            siyu_domain::timeline::EventKind::WecomAdded
        } else {
            siyu_domain::timeline::EventKind::WecomDeleted
        };
        state.engine.note_events(&[customer], kind, change.event_at);
    }
}

/// The payload of a callback job: the event's XML as WeCom sent it (decrypted), stored as it came —
/// not as JSON — since the first version of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackXml(pub String);

impl Payload for CallbackXml {
    fn to_row(&self) -> String {
        self.0.clone()
    }

    fn from_row(row: &str) -> Result<Self, JobError> {
        Ok(Self(row.to_owned()))
    }
}

/// Applies one accepted callback.
pub struct ApplyCallback;

impl Job for ApplyCallback {
    const NAME: &'static str = "wecom.callback";
    /// WeCom does not send a callback twice once it is acknowledged: this job is its only copy.
    const MAX_ATTEMPTS: i32 = 8;
    type Payload = CallbackXml;

    async fn run(&self, ctx: &JobContext<'_>, xml: CallbackXml) -> Result<(), JobError> {
        let event = CallbackEvent::parse(&xml.0).map_err(|e| {
            JobError::permanent(format!("unreadable callback: {e}")).saying(Text::new("job.bad_callback"))
        })?;
        if let EventKind::ExternalChat(chat) = &event.kind {
            return apply_chat(ctx, chat, Timestamp::from_millis(event.create_time * 1000)).await;
        }
        if let EventKind::ExternalTag(_) = &event.kind {
            // Corp tags changed in WeCom: re-read them (one re-read waits at a time).
            super::tags::queue_pull(ctx.state).await;
            return Ok(());
        }
        let Some(change) = relationship_change(&event) else {
            tracing::info!(kind = ?event.kind, "WeCom event noted");
            return Ok(());
        };
        let written = ctx.state.store.record_relationship(&change, ctx.state.clock.now()).await?;
        note_timeline(ctx.state, &change, written);
        let applied = written.applied;
        tracing::info!(external_userid = %change.external_userid, staff = %change.staff_userid, status = change.status.as_str(), applied, "relationship changed");
        // An add through one of our channel codes: welcome, tags, rotation.
        let EventKind::ExternalContact(c) = &event.kind else { return Ok(()) };
        let code_id = c.state.as_deref().and_then(code_of_state);
        if let (Some(id), ContactChange::Added | ContactChange::AddedHalf) = (code_id, &c.change) {
            let code = match ctx.state.store.channel_code(id).await {
                Ok(code) => code,
                Err(siyu_store::StoreError::NotFound) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let new_add = started_here(ctx, &change, &code.state()).await?;
            crate::services::channels::on_added(
                ctx.state,
                &code,
                (&c.user_id, &c.external_user_id),
                written.timeline,
                c.welcome_code.as_deref(),
                new_add.as_deref(),
            )
            .await
            .map_err(JobError::retry)?;
        }
        Ok(())
    }
}

/// The name of the add this event made, if the relationship as stored now was started by it through
/// the code `state`: active, with this event's time as its start. A re-run of the job names the same
/// add; a stale add (older than what is stored) or a second add of an active relationship (which keeps
/// its start) names none, so neither moves a channel code on again.
async fn started_here(
    ctx: &JobContext<'_>,
    change: &RelationshipChange,
    state: &str,
) -> Result<Option<String>, JobError> {
    let rels = ctx.state.store.relationships(&change.external_userid).await?;
    Ok(rels
        .into_iter()
        .find(|r| r.staff_userid == change.staff_userid)
        .filter(|r| {
            r.status == RelationshipStatus::Active
                && r.state.as_deref() == Some(state)
                && r.added_at == Some(change.event_at)
        })
        .map(|r| format!("{}|{}|{}", r.external_userid, r.staff_userid, change.event_at.millis())))
}

/// A group event: members joining or leaving are recorded as they are reported (a read right after the
/// event may still be stale, WeCom warns); a new or changed group is read whole; a dismissed one closed.
async fn apply_chat(ctx: &JobContext<'_>, chat: &ChatEvent, at: Timestamp) -> Result<(), JobError> {
    let state = ctx.state;
    match &chat.change {
        ChatChange::Updated { update_detail } if update_detail == "add_member" || update_detail == "del_member" => {
            let joined = update_detail == "add_member";
            let staff = staff_among(ctx, &chat.members_changed).await?;
            for member in &chat.members_changed {
                let member_type = if staff.contains(member.as_str()) { 1 } else { 2 };
                state.store.record_group_member(&chat.chat_id, member, member_type, joined, at).await?;
            }
            Ok(())
        }
        ChatChange::Dismissed => Ok(state.store.dismiss_group(&chat.chat_id, state.clock.now()).await?),
        ChatChange::Created | ChatChange::Updated { .. } | ChatChange::Other(_) => {
            let Some(rt) = state.wecom.as_deref() else { return Ok(()) };
            let group = rt.client.group_chat(&chat.chat_id).await?;
            Ok(crate::wecom::sync::save_group(state, &group).await?)
        }
    }
}

/// Which of these group member ids are our staff (their WeCom userids) rather than customers: asked of
/// the store for these ids only, however many staff the bank has.
async fn staff_among(ctx: &JobContext<'_>, members: &[String]) -> Result<HashSet<String>, JobError> {
    let staff = ctx.state.store.staff_by_ids(&[], members).await?;
    Ok(staff.into_iter().filter_map(|s| s.wecom_userid).collect())
}
