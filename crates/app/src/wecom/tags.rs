//! siyu's tags and WeCom's corp tags, both ways.
//!
//! Out: a tag marked "sync to WeCom" gets a corp tag of the same name in a corp tag group named after
//! its tag group (created on first need, renamed with it), and every change of who carries it is marked
//! on those customers' WeCom contacts — with each staff member they are an active contact of — so a
//! manager sees in WeCom what HQ sees in siyu. In: the full sync reads the corp tags, links each to the
//! siyu tag of the same name (or makes a manual one, mirrored), and tags matched customers with what
//! their managers marked in WeCom; a `change_external_tag` callback queues a re-read of the corp tags.
//!
//! All of it runs in jobs, so a WeCom outage delays the mirror and loses nothing; every step is safe to
//! repeat (adding a corp tag that exists returns it, marking a marked tag changes nothing).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use siyu_domain::lang::Text;
use siyu_domain::scope::DataScope;
use siyu_domain::tag::TagKind;
use siyu_domain::{CustomerId, TagId};
use siyu_store::{NewTag, RelationshipStatus, Tag};
use siyu_wecom::client::WecomError;

use crate::jobs::{Job, JobContext, JobError, Nothing, Options, Unrunnable};
use crate::state::AppState;

/// Customers per mark job.
const MARK_BATCH: usize = 500;

/// WeCom's answer for a corp tag id it does not know (deleted in WeCom since).
const INVALID_TAG_ID: i64 = 40068;

/// Queues a WeCom tag job, when WeCom is configured (a mirror to nowhere is no work).
async fn queue<K: Job>(state: &AppState, payload: &K::Payload, options: Options) {
    if state.wecom.is_some() {
        crate::jobs::enqueue_or_warn::<K>(state, payload, options).await;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    pub tag_id: TagId,
}

/// Queues the corp tag's creation or rename, for a tag that mirrors to WeCom.
pub(crate) async fn queue_push(state: &AppState, tag: &Tag) {
    if tag.sync_to_wecom {
        queue::<PushTag>(state, &PushPayload { tag_id: tag.id }, Options::now().once_as(tag.id)).await;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkPayload {
    pub tag_id: TagId,
    pub customers: Vec<CustomerId>,
}

/// Queues bringing these customers' WeCom contacts in line with whether they carry a mirrored tag.
/// The job reads who carries it when it runs, so jobs for a tag then an untag may run in any order
/// (or twice) and WeCom still ends as siyu is.
pub(crate) async fn queue_marks(state: &AppState, tag: &Tag, customers: &[CustomerId]) {
    if !tag.sync_to_wecom || customers.is_empty() {
        return;
    }
    for chunk in customers.chunks(MARK_BATCH) {
        let payload = MarkPayload { tag_id: tag.id, customers: chunk.to_vec() };
        queue::<MarkTag>(state, &payload, Options::now()).await;
    }
}

/// Queues a re-read of the corp tags (one waiting at a time).
pub(crate) async fn queue_pull(state: &AppState) {
    queue::<PullTags>(state, &Nothing, Options::now().once_as("waiting")).await;
}

/// Makes sure the tag has its corp tag, named as it is now; returns the corp tag id.
async fn push(state: &AppState, tag: TagId) -> Result<Option<String>, JobError> {
    let Some(rt) = state.wecom.as_deref() else { return Err(Unrunnable::WecomNotConfigured.into()) };
    let t = state.store.tag(tag).await?;
    if !t.sync_to_wecom {
        return Ok(None);
    }
    if let Some(id) = &t.wecom_tag_id {
        match rt.client.edit_corp_tag(id, &t.name).await {
            Ok(()) => return Ok(Some(id.clone())),
            // Deleted in WeCom since: make it again below.
            Err(e) if e.errcode() == Some(INVALID_TAG_ID) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let group = rt.client.add_corp_tags(&t.group_name, &[t.name.as_str()]).await?;
    let Some(corp) = group.tag.iter().find(|c| c.name == t.name) else {
        return Err(JobError::retry(format!("WeCom did not return corp tag {}", t.name))
            .saying(Text::new("job.wecom_tag_missing").arg("name", &t.name)));
    };
    state.store.set_tag_wecom_id(tag, Some(&corp.id), state.clock.now()).await?;
    Ok(Some(corp.id.clone()))
}

/// Marks or unmarks the tag on every active WeCom contact of these customers.
async fn mark(state: &AppState, p: &MarkPayload) -> Result<usize, JobError> {
    let Some(rt) = state.wecom.as_deref() else { return Err(Unrunnable::WecomNotConfigured.into()) };
    let t = state.store.tag(p.tag_id).await?;
    let corp_id = match t.wecom_tag_id.clone() {
        Some(id) => id,
        None => match push(state, p.tag_id).await? {
            Some(id) => id,
            None => return Ok(0),
        },
    };
    let ids = [corp_id];
    let carriers = state.engine.tag_members(p.tag_id, None);
    let mut marked = 0;
    for c in state.store.customers_by_ids(DataScope::All, &p.customers).await? {
        let Some(ext) = c.wecom_external_userid.as_deref() else { continue };
        let carries = crate::engine::no(c.id).is_some_and(|n| carriers.contains(n));
        let (add, remove): (&[String], &[String]) = if carries { (&ids, &[]) } else { (&[], &ids) };
        for r in state.store.relationships(ext).await? {
            if r.status != RelationshipStatus::Active {
                continue;
            }
            match rt.client.mark_tags(&r.staff_userid, ext, add, remove).await {
                Ok(()) => marked += 1,
                // The contact is gone since the relationship was read: nothing to mark.
                Err(WecomError::Api { errcode: 84061 | 40096, .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(marked)
}

/// Reads WeCom's corp tags and links each to a siyu tag: the one already linked; else the one of the
/// same name that is unlinked or whose corp tag is gone; else a new manual tag in a group of the corp
/// group's name. A corp tag whose name another live corp tag already holds is skipped with a warning
/// (WeCom allows the same name in two groups; siyu's names are unique). Returns corp id → the manual
/// siyu tags, the only ones a manager's mark in WeCom may set.
pub(crate) async fn pull(state: &AppState) -> Result<HashMap<String, TagId>, JobError> {
    let Some(rt) = state.wecom.as_deref() else { return Err(Unrunnable::WecomNotConfigured.into()) };
    let groups = rt.client.corp_tags().await?;
    let live: std::collections::HashSet<&str> =
        groups.iter().flat_map(|g| g.tag.iter().map(|t| t.id.as_str())).collect();
    let mut out = HashMap::new();
    let now = state.clock.now();
    // Read once; read again only after this loop changed a tag.
    let mut tags = state.store.tags().await?;
    for g in &groups {
        for corp in &g.tag {
            let known = tags.iter().find(|t| t.wecom_tag_id.as_deref() == Some(corp.id.as_str()));
            let same_name = tags.iter().find(|t| t.name == corp.name);
            let (id, kind, wrote) = match (known, same_name) {
                (Some(t), _) => (t.id, t.kind, false),
                (None, Some(t)) if t.wecom_tag_id.as_deref().is_none_or(|id| !live.contains(id)) => {
                    let new = NewTag {
                        group_id: t.group_id,
                        name: t.name.clone(),
                        kind: t.kind,
                        sync_to_wecom: true,
                        rule_text: t.rule_text.clone(),
                    };
                    state.store.update_tag(t.id, &new, now).await?;
                    state.store.set_tag_wecom_id(t.id, Some(&corp.id), now).await?;
                    (t.id, t.kind, true)
                }
                (None, Some(t)) => {
                    tracing::warn!(corp_tag = %corp.id, name = %corp.name, siyu_tag = %t.id, "corp tag skipped: its name is another corp tag's");
                    continue;
                }
                (None, None) => {
                    let group = match state.store.tag_groups().await?.into_iter().find(|x| x.name == g.group_name) {
                        Some(x) => x,
                        None => state.store.create_tag_group(&g.group_name, now).await?,
                    };
                    let new = NewTag {
                        group_id: group.id,
                        name: corp.name.clone(),
                        kind: TagKind::Manual,
                        sync_to_wecom: true,
                        rule_text: None,
                    };
                    let t = state.store.create_tag(&new, now).await?;
                    // The engine learns of the tag as it is committed: a failure linking it below is
                    // retried through the same-name arm, which does not define it again.
                    state.engine.note_tag(t.id, &t.name, false);
                    state.store.set_tag_wecom_id(t.id, Some(&corp.id), now).await?;
                    (t.id, t.kind, true)
                }
            };
            if wrote {
                tags = state.store.tags().await?;
            }
            if kind == TagKind::Manual {
                out.insert(corp.id.clone(), id);
            }
        }
    }
    Ok(out)
}

/// Gives a bank customer the siyu tags behind the corp tags a manager marked on them in WeCom.
pub(crate) async fn apply_marked(
    state: &AppState,
    customer: CustomerId,
    corp_ids: &[String],
    links: &HashMap<String, TagId>,
) -> Result<(), JobError> {
    for id in corp_ids {
        let Some(tag) = links.get(id) else { continue };
        let _guard = state.tag_writes.lock().await;
        let now = state.clock.now();
        let added = state.store.tag_customers(*tag, &[customer], "wecom", now).await?;
        state.engine.note_tagged(*tag, &added, true, now);
    }
    Ok(())
}

/// Creates or renames a tag's corp tag.
pub struct PushTag;

impl Job for PushTag {
    const NAME: &'static str = "wecom.tags.push";
    type Payload = PushPayload;

    async fn run(&self, ctx: &JobContext<'_>, p: PushPayload) -> Result<(), JobError> {
        push(ctx.state, p.tag_id).await.map(|_| ())
    }
}

/// Marks (or unmarks) a tag on customers' WeCom contacts.
pub struct MarkTag;

impl Job for MarkTag {
    const NAME: &'static str = "wecom.tags.mark";
    type Payload = MarkPayload;

    async fn run(&self, ctx: &JobContext<'_>, p: MarkPayload) -> Result<(), JobError> {
        let n = mark(ctx.state, &p).await?;
        tracing::info!(tag = %p.tag_id, contacts = n, "tag mirrored to WeCom contacts");
        Ok(())
    }
}

/// Re-reads WeCom's corp tags into siyu's.
pub struct PullTags;

impl Job for PullTags {
    const NAME: &'static str = "wecom.tags.pull";
    type Payload = Nothing;

    async fn run(&self, ctx: &JobContext<'_>, _: Nothing) -> Result<(), JobError> {
        let links = pull(ctx.state).await?;
        tracing::info!(corp_tags = links.len(), "WeCom corp tags read");
        Ok(())
    }
}
