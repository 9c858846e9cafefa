//! The full sync: every staff member with customer contact, every customer of theirs, as WeCom knows
//! them now. Each relationship is recorded (with WeCom's add time, so it never undoes a newer callback),
//! and a customer is matched to the bank's record by their WeChat UnionID when the bank has it, else by
//! the mobile number the manager put in the remark (looked up by blind index among that manager's own
//! customers: nothing is decrypted, and nobody links another manager's customer). How each link was
//! made is recorded; a UnionID match replaces a remark's, never the reverse. Runs as a job; safe to run
//! again at any time.
//!
//! Customer groups owned by those staff members are read whole, members included.
//!
//! Corp tags are read first and linked to siyu's tags (see `tags.rs`); a matched customer then gets the
//! siyu tags behind the corp tags their manager marked in WeCom.

use std::collections::HashMap;

use siyu_domain::customer::{PiiField, WecomLinkMethod};
use siyu_domain::scope::DataScope;
use siyu_domain::validate::normalize_phone;
use siyu_domain::{StaffId, Timestamp};
use siyu_store::{RelationshipChange, RelationshipStatus, StaffFilter};

use crate::jobs::{Job, JobContext, JobError, Nothing};

/// Staff members per `batch/get_by_user` call (WeCom allows 100).
const STAFF_PER_CALL: usize = 100;

/// What a sync did, for the log and the job's result.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub staff: usize,
    pub relationships: usize,
    pub customers_linked: usize,
    pub groups: usize,
}

/// A full sync (nightly, and on request).
pub struct FullSync;

impl Job for FullSync {
    const NAME: &'static str = "wecom.sync";
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let report = sync(ctx).await?;
        tracing::info!(?report, "WeCom full sync done");
        Ok(())
    }
}

async fn sync(ctx: &JobContext<'_>) -> Result<SyncReport, JobError> {
    let state = ctx.state;
    let Some(rt) = state.wecom.as_deref() else { return Err(crate::jobs::Unrunnable::WecomNotConfigured.into()) };
    // Corp tags first; if they cannot be read, contacts and groups are still synced.
    let links = match super::tags::pull(state).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = ?e, "corp tags not read; syncing contacts without them");
            Default::default()
        }
    };
    let managers = staff_by_wecom_userid(state).await?;
    let staff = rt.client.follow_users().await?;
    let mut report = SyncReport { staff: staff.len(), ..Default::default() };
    for chunk in staff.chunks(STAFF_PER_CALL) {
        let mut cursor = String::new();
        loop {
            let page = rt.client.contacts_by_staff(chunk, &cursor, 100).await?;
            for item in &page.items {
                let ext = &item.external_contact.external_userid;
                let change = RelationshipChange {
                    external_userid: ext.clone(),
                    staff_userid: item.follow_info.userid.clone(),
                    status: RelationshipStatus::Active,
                    state: item.follow_info.state.clone(),
                    event_at: Timestamp::from_millis(item.follow_info.createtime * 1000),
                };
                let w = state.store.record_relationship(&change, state.clock.now()).await?;
                super::events::note_timeline(state, &change, w);
                report.relationships += 1;
                // By UnionID first (the bank's own WeChat binding), then by the mobile in the remark,
                // which is only the manager's word: it is looked up among the manager's own
                // customers, so nobody can claim another manager's customer by typing their number.
                // Only an unambiguous match links: two customers on one key are left for a person.
                let mut matched = None;
                if let Some(u) = item.external_contact.unionid.as_deref().filter(|u| !u.is_empty())
                    && let [one] = state.store.customers_by_unionid(u).await?.as_slice()
                {
                    matched = Some((*one, WecomLinkMethod::Unionid));
                }
                let manager = managers.get(&item.follow_info.userid).copied();
                for mobile in &item.follow_info.remark_mobiles {
                    let Some(manager) = manager.filter(|_| matched.is_none()) else { break };
                    let scope = DataScope::OwnedBy(manager);
                    let Ok(phone) = normalize_phone(mobile) else { continue };
                    let index = state.vault.blind_index(PiiField::Phone, &phone);
                    let found = state.store.customers_by_phone_index(scope, &index).await?;
                    if let [one] = found.as_slice() {
                        matched = Some((one.id, WecomLinkMethod::RemarkMobile));
                    }
                }
                if let Some((id, how)) = matched {
                    if state.store.link_wecom(id, ext, how, state.clock.now()).await? {
                        report.customers_linked += 1;
                    }
                    // Linked to this contact (now or before): their WeCom tags are theirs in siyu.
                    let c = state.store.customer(DataScope::All, id).await?;
                    if c.wecom_external_userid.as_deref() == Some(ext.as_str()) {
                        super::tags::apply_marked(state, id, &item.follow_info.tag_id, &links).await?;
                    }
                }
            }
            ctx.keep_alive().await?;
            if page.next_cursor.is_empty() {
                break;
            }
            cursor = page.next_cursor;
        }
        let mut cursor = String::new();
        loop {
            let (chats, next) = rt.client.group_chats(chunk, &cursor).await?;
            for chat_id in chats {
                let group = rt.client.group_chat(&chat_id).await?;
                save_group(state, &group).await?;
                report.groups += 1;
            }
            ctx.keep_alive().await?;
            if next.is_empty() {
                break;
            }
            cursor = next;
        }
    }
    Ok(report)
}

/// Active staff by their WeCom userid. A remark is only one person's word about one of their own
/// contacts, so it may name only their own customers, whatever their role: a branch manager or an HQ
/// operator with a WeCom account sees more customers, but claims no more.
async fn staff_by_wecom_userid(
    state: &crate::state::AppState,
) -> Result<HashMap<String, StaffId>, siyu_store::StoreError> {
    let staff = state.store.all_staff(&StaffFilter::default()).await?;
    Ok(staff.into_iter().filter(|s| s.active).filter_map(|s| Some((s.wecom_userid?, s.id))).collect())
}

/// Stores a group as `groupchat/get` describes it, with its whole current membership.
pub(crate) async fn save_group(
    state: &crate::state::AppState,
    g: &siyu_wecom::campaigns::GroupChat,
) -> Result<(), siyu_store::StoreError> {
    let record = siyu_store::GroupChatRecord {
        chat_id: g.chat_id.clone(),
        name: g.name.clone(),
        owner_userid: g.owner.clone(),
        member_version: g.member_version.clone(),
        dismissed: false,
    };
    let members: Vec<siyu_store::GroupMemberRecord> = g
        .member_list
        .iter()
        .map(|m| siyu_store::GroupMemberRecord {
            member_userid: m.userid.clone(),
            member_type: m.kind,
            joined_at: Timestamp::from_millis(m.join_time * 1000),
            left_at: None,
        })
        .collect();
    state.store.save_group(&record, &members, state.clock.now()).await
}
