//! The storage traits. The server holds an `Arc<dyn Store>` and never knows which backend is behind it.
//!
//! Customer reads take a [`DataScope`]: the scope becomes part of the query's WHERE clause, so a record
//! outside it is simply not found.

use async_trait::async_trait;
use chrono::NaiveDate;
use siyu_domain::audit::{AuditAction, AuditEntry, NewAuditEntry};
use siyu_domain::customer::{Customer, PiiField};
use siyu_domain::job::{Job, NewJob};
use siyu_domain::org::{OrgUnit, Staff};
use siyu_domain::scope::DataScope;
use siyu_domain::{
    ApiTokenId, AuditId, ContentItemId, ContentVersionId, CustomerId, ImportId, JobId, OrgUnitId, ProductId, StaffId,
    Timestamp,
};

use crate::audience_records::*;
use crate::content_records::*;
use crate::error::StoreResult;
use crate::figures::*;
use crate::records::*;

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn create_org_unit(&self, unit: &NewOrgUnit, now: Timestamp) -> StoreResult<OrgUnit>;
    /// Renames, recodes or moves the pin of a unit; its kind and parent stay.
    async fn update_org_unit(&self, id: OrgUnitId, unit: &NewOrgUnit, now: Timestamp) -> StoreResult<OrgUnit>;
    async fn org_unit(&self, id: OrgUnitId) -> StoreResult<OrgUnit>;
    /// The whole tree, parents before children.
    async fn org_units(&self) -> StoreResult<Vec<OrgUnit>>;
}

#[async_trait]
pub trait StaffStore: Send + Sync {
    async fn create_staff(&self, staff: &NewStaff, now: Timestamp) -> StoreResult<Staff>;
    async fn update_staff(&self, id: StaffId, update: &StaffUpdate, now: Timestamp) -> StoreResult<Staff>;
    /// The member's own new password: it clears a reset's demand for a change.
    async fn set_password(&self, id: StaffId, password_hash: &str, now: Timestamp) -> StoreResult<()>;
    /// An administrator's reset: the temporary password, the demand that the member change it at
    /// their next sign-in, and the end of every session they have, in one transaction.
    async fn reset_password(&self, id: StaffId, password_hash: &str, now: Timestamp) -> StoreResult<()>;
    async fn staff(&self, id: StaffId) -> StoreResult<Staff>;
    /// For sign-in: the member and their password hash, active or not.
    async fn staff_credentials(&self, username: &str) -> StoreResult<StaffCredentials>;
    async fn list_staff(&self, filter: &StaffFilter, page: Page) -> StoreResult<Paged<Staff>>;
    /// The members with these ids, or these WeCom user ids, in one look-up (names for a page of rows);
    /// ids that name no one are left out.
    async fn staff_by_ids(&self, ids: &[StaffId], wecom_userids: &[String]) -> StoreResult<Vec<Staff>>;
    /// Every member the filter matches, read a page at a time (a bank has thousands).
    async fn all_staff(&self, filter: &StaffFilter) -> StoreResult<Vec<Staff>> {
        let mut all = Vec::new();
        for page_no in 1.. {
            let page = self.list_staff(filter, Page::numbered(page_no, Page::MAX_LIMIT)).await?;
            let n = page.items.len();
            all.extend(page.items);
            if n < Page::MAX_LIMIT as usize {
                break;
            }
        }
        Ok(all)
    }
}

#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Inserts new customers and updates existing ones (by customer number), touching only `fields` on
    /// existing rows and leaving rows whose values already match untouched. All rows or none.
    async fn upsert_customers(
        &self,
        rows: &[NewCustomer],
        fields: &UpsertFields,
        now: Timestamp,
    ) -> StoreResult<UpsertCounts>;
    async fn customer(&self, scope: DataScope, id: CustomerId) -> StoreResult<Customer>;
    async fn customer_by_no(&self, scope: DataScope, customer_no: &str) -> StoreResult<Customer>;
    async fn list_customers(
        &self,
        scope: DataScope,
        filter: &CustomerFilter,
        page: Page,
    ) -> StoreResult<Paged<Customer>>;
    /// How the customers in scope that match `filter` spread over AUM tiers and risk grades.
    async fn customer_breakdown(&self, scope: DataScope, filter: &CustomerFilter) -> StoreResult<CustomerBreakdown>;
    /// The sealed bytes of one personal field, for an audited reveal. `NotFound` when the customer is out
    /// of scope or has no such value.
    async fn customer_pii(&self, scope: DataScope, id: CustomerId, field: PiiField) -> StoreResult<Vec<u8>>;
    /// Links a customer to their WeCom external contact and records how; returns whether it changed
    /// anything. A remark-mobile link is made only where the customer has no link and the contact is
    /// nobody else's. A UnionID link also replaces a remark-mobile one (the customer's, or another
    /// customer's claim on the same contact), never a link made by UnionID or by the bank's file.
    async fn link_wecom(
        &self,
        id: CustomerId,
        external_userid: &str,
        method: siyu_domain::customer::WecomLinkMethod,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Customers whose phone has this blind index (exact lookup without decrypting anything).
    async fn customers_by_phone_index(&self, scope: DataScope, index: &[u8]) -> StoreResult<Vec<Customer>>;
    /// Customers the bank knows under this WeChat UnionID (normally one).
    async fn customers_by_unionid(&self, unionid: &str) -> StoreResult<Vec<CustomerId>>;
    /// The ids of the customers with these bank customer numbers (numbers not found are absent).
    async fn customer_ids_by_numbers(
        &self,
        numbers: &[String],
    ) -> StoreResult<std::collections::HashMap<String, CustomerId>>;
    /// These customers, those in scope only, in the order of `ids` (for audience samples and exports).
    async fn customers_by_ids(&self, scope: DataScope, ids: &[CustomerId]) -> StoreResult<Vec<Customer>>;
    /// What [`CustomerStore::upsert_customers`] would do with these rows now, writing nothing: a row
    /// is inserted when no customer has its number, updated when one does and a column of `fields`
    /// differs, unchanged otherwise (compared on the same columns the upsert compares).
    async fn preview_upsert(&self, rows: &[NewCustomer], fields: &UpsertFields) -> StoreResult<UpsertCounts>;
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    async fn create_import(&self, import: &NewImport) -> StoreResult<ImportId>;
    async fn import(&self, id: ImportId) -> StoreResult<ImportRecord>;
    async fn list_imports(&self, page: Page) -> StoreResult<Paged<ImportRecord>>;
    /// Imports waiting for a commit (validated, or unmapped or rejected but kept for a re-mapping) not changed
    /// since `before`, oldest first, at most `limit`: uploads nobody committed, whose files may go.
    async fn stale_uploads(&self, before: Timestamp, limit: i64) -> StoreResult<Vec<ImportRecord>>;
    /// Records the dry run's result and its problems (replacing any earlier run's), atomically.
    async fn record_validation(
        &self,
        id: ImportId,
        v: &ImportValidation,
        problems: &[ImportProblem],
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn import_problems(&self, id: ImportId, page: Page) -> StoreResult<Paged<ImportProblem>>;
    /// The column mapping (JSON header → field) last chosen for the header set with this key.
    async fn remembered_mapping(&self, header_key: &str) -> StoreResult<Option<String>>;
    /// Remembers a column mapping for a header set, replacing the one before.
    async fn remember_mapping(
        &self,
        header_key: &str,
        mapping_json: &str,
        by: Option<siyu_domain::StaffId>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Sends a rejected, unmapped or validated import back to validation with a new column mapping.
    async fn restart_validation(&self, id: ImportId, mapping_json: &str, now: Timestamp) -> StoreResult<()>;
    /// Moves a validated import to committing. `Stale` if it is not validated (or already committing).
    async fn start_commit(&self, id: ImportId, now: Timestamp) -> StoreResult<()>;
    /// Upserts one batch and advances the checkpoint from `from_row` to `from_row + rows.len()` in one
    /// transaction. `Stale` (and nothing written) if the checkpoint is no longer `from_row`: another
    /// worker got there first, so the batch is never applied twice. Returns the counts and the rows
    /// inserted or changed.
    async fn commit_import_batch(
        &self,
        id: ImportId,
        from_row: i64,
        rows: &[NewCustomer],
        fields: &UpsertFields,
        now: Timestamp,
    ) -> StoreResult<(UpsertCounts, Vec<WrittenRow>)>;
    async fn finish_import(
        &self,
        id: ImportId,
        status: ImportStatus,
        error: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Marks a committing import committed and appends its audit entry, in one transaction: a crash
    /// leaves both or neither. `false` (and nothing written) when the import is no longer committing,
    /// so a re-run after the mark writes no second entry.
    async fn mark_import_committed(&self, id: ImportId, audit: &NewAuditEntry, now: Timestamp) -> StoreResult<bool>;
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Queues a job; `None` when a job with the same dedupe key is already queued. A job whose twin is
    /// running is queued and waits: `claim` never hands out a job while a twin with its key runs.
    async fn enqueue(&self, job: &NewJob) -> StoreResult<Option<JobId>>;
    /// Claims the oldest due job (queued, or running with a lapsed lease) for `worker` until
    /// `now + lease_secs`, counting an attempt. Two workers never hold the same job.
    async fn claim(&self, worker: &str, now: Timestamp, lease_secs: i64) -> StoreResult<Option<Job>>;
    /// Extends a lease the worker still holds; `Stale` if it lost it.
    async fn extend_lease(&self, id: JobId, worker: &str, until: Timestamp) -> StoreResult<()>;
    async fn complete(&self, id: JobId, worker: &str, now: Timestamp) -> StoreResult<()>;
    /// Records a failure: queued again at `retry_at`, or failed for good when `retry_at` is `None` or a
    /// twin is queued already (the twin does the same work next).
    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn job(&self, id: JobId) -> StoreResult<Job>;
    async fn list_jobs(&self, filter: &JobFilter, page: Page) -> StoreResult<Paged<Job>>;
    /// The newest job queued with this dedupe key (`<kind>:<key>`), whatever its status.
    async fn latest_job_with_key(&self, dedupe_key: &str) -> StoreResult<Option<Job>>;
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<AuditId>;
    /// Newest first.
    async fn search_audit(&self, filter: &AuditFilter, page: Page) -> StoreResult<Paged<AuditEntry>>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(
        &self,
        token_hash: &[u8],
        staff_id: StaffId,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// The live session for this token, with its staff member; `NotFound` if expired, unknown, or the
    /// member was deactivated.
    async fn session(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<SessionRecord>;
    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;
    /// Ends every session of a member (deactivation, role change).
    async fn delete_sessions_of(&self, staff_id: StaffId) -> StoreResult<()>;
    /// Deletes expired sessions; returns how many.
    async fn purge_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;
}

#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    async fn create_api_token(&self, token: &NewApiToken) -> StoreResult<ApiToken>;
    /// A live (unrevoked) token by the hash of its secret; marks it used.
    async fn use_api_token(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<ApiToken>;
    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, id: ApiTokenId, now: Timestamp) -> StoreResult<()>;
}

#[async_trait]
pub trait WecomStore: Send + Sync {
    /// Records each callback's key and queues its job, all in one transaction (callbacks arriving
    /// together share one commit); `false` for a key seen before — a replay or WeCom's own retry —
    /// and nothing queued for it.
    async fn accept_callbacks(
        &self,
        items: &[(String, siyu_domain::job::NewJob)],
        now: Timestamp,
    ) -> StoreResult<Vec<bool>>;
    /// One callback; see [`WecomStore::accept_callbacks`].
    async fn accept_callback(
        &self,
        dedupe_key: &str,
        job: &siyu_domain::job::NewJob,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let r = self.accept_callbacks(&[(dedupe_key.to_owned(), job.clone())], now).await?;
        Ok(r.first().copied().unwrap_or(false))
    }
    /// Forgets keys older than `before` (replays that old are refused by their timestamp anyway).
    async fn purge_callbacks_before(&self, before: Timestamp) -> StoreResult<u64>;
    /// Applies a relationship change unless a newer event already did. When the change moves the
    /// relationship between active and ended, the linked customer's timeline gets `wecom_added` or
    /// `wecom_deleted` in the same transaction.
    async fn record_relationship(&self, change: &RelationshipChange, now: Timestamp) -> StoreResult<RelationshipWrite>;
    async fn relationships(&self, external_userid: &str) -> StoreResult<Vec<Relationship>>;
}

#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn create_channel_code(&self, code: &NewChannelCode) -> StoreResult<ChannelCode>;
    async fn channel_code(&self, id: siyu_domain::ChannelCodeId) -> StoreResult<ChannelCode>;
    /// Newest first; with a sub-branch set, only that sub-branch's codes (and codes without one).
    async fn list_channel_codes(
        &self,
        sub_branches: Option<&[OrgUnitId]>,
        page: Page,
    ) -> StoreResult<Paged<ChannelCode>>;
    /// Records the WeCom contact way behind the code.
    async fn set_channel_wecom(
        &self,
        id: siyu_domain::ChannelCodeId,
        config_id: &str,
        qr_code: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Records who the code assigns to now.
    async fn set_channel_staff(
        &self,
        id: siyu_domain::ChannelCodeId,
        staff_id: StaffId,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn set_channel_active(&self, id: siyu_domain::ChannelCodeId, active: bool, now: Timestamp)
    -> StoreResult<()>;
    /// Adds and deletions per day for a `state`, from the relationships, days with any, ascending.
    async fn channel_stats(&self, state: &str) -> StoreResult<Vec<DayStat>>;
    /// Active customers per staff userid, for least-load assignment.
    async fn active_customers(&self, staff_userids: &[String]) -> StoreResult<Vec<(String, i64)>>;
    /// Whether the code already moved on for the add `add_key`.
    async fn channel_rotated(&self, id: siyu_domain::ChannelCodeId, add_key: &str) -> StoreResult<bool>;
    /// Moves the code from `from` to `to` for the add `add_key`, recording the step in the same
    /// transaction. `false`, and nothing written, when this add already moved it or the code no longer
    /// points at `from` (another add moved it first).
    async fn record_rotation(
        &self,
        id: siyu_domain::ChannelCodeId,
        add_key: &str,
        from: Option<StaffId>,
        to: StaffId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Sets a code's controls (cap, backup, schedules, skip-verify windows).
    async fn set_channel_controls(
        &self,
        id: siyu_domain::ChannelCodeId,
        controls: &siyu_domain::channel_controls::ChannelControls,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Points the code at `to` with `skip_verify` after its controls moved it (a schedule boundary, a
    /// change of controls), only if it still points at `from`: `false`, nothing written, otherwise.
    async fn set_channel_turn(
        &self,
        id: siyu_domain::ChannelCodeId,
        from: Option<StaffId>,
        to: StaffId,
        skip_verify: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Active codes with any controls set: the ones a schedule boundary can move.
    async fn channel_codes_with_controls(&self) -> StoreResult<Vec<ChannelCode>>;
    /// Adds through a `state` since `since`, per staff userid (from the relationships).
    async fn channel_adds_since(&self, state: &str, since: Timestamp) -> StoreResult<Vec<(String, i64)>>;
    /// Adds today (since `since`) and in all, for each of these `state`s that has any.
    async fn channel_figures(&self, states: &[String], since: Timestamp) -> StoreResult<Vec<ChannelFigures>>;
    /// The contacts a `state` brought in, newest first; with `staff_userids`, only theirs.
    async fn channel_contacts(
        &self,
        state: &str,
        staff_userids: Option<&[String]>,
        page: Page,
    ) -> StoreResult<Paged<ChannelContact>>;
    async fn channel_qr_image(&self, id: siyu_domain::ChannelCodeId) -> StoreResult<Option<QrImage>>;
    async fn save_channel_qr_image(&self, id: siyu_domain::ChannelCodeId, image: &QrImage) -> StoreResult<()>;
}

#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Records a group and its full current membership (as `groupchat/get` returns it): members not in
    /// `members` are marked as having left at `now`.
    async fn save_group(
        &self,
        group: &GroupChatRecord,
        members: &[GroupMemberRecord],
        now: Timestamp,
    ) -> StoreResult<()>;
    /// One member joined (`true`) or left at `at`, from a callback; a group not yet known is created
    /// as a placeholder to be filled by the next read.
    async fn record_group_member(
        &self,
        chat_id: &str,
        member_userid: &str,
        member_type: i32,
        joined: bool,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn dismiss_group(&self, chat_id: &str, now: Timestamp) -> StoreResult<()>;
    async fn group(&self, chat_id: &str) -> StoreResult<(GroupChatRecord, Vec<GroupMemberRecord>)>;
    /// Groups a customer is in now.
    async fn groups_of(&self, member_userid: &str) -> StoreResult<Vec<GroupChatRecord>>;
}

#[async_trait]
pub trait TagStore: Send + Sync {
    async fn create_tag_group(&self, name: &str, now: Timestamp) -> StoreResult<TagGroup>;
    async fn create_tag(&self, tag: &NewTag, now: Timestamp) -> StoreResult<Tag>;
    /// Every tag, by group then name.
    async fn tags(&self) -> StoreResult<Vec<Tag>>;
    async fn tag(&self, id: siyu_domain::TagId) -> StoreResult<Tag>;
    async fn tag_groups(&self) -> StoreResult<Vec<TagGroup>>;
    /// Changes a tag's name, group, WeCom flag and rule (its kind stays what it was created as).
    async fn update_tag(&self, id: siyu_domain::TagId, tag: &NewTag, now: Timestamp) -> StoreResult<Tag>;
    /// Records (or clears) the WeCom corp tag a tag is mirrored to.
    async fn set_tag_wecom_id(
        &self,
        id: siyu_domain::TagId,
        wecom_tag_id: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Tags the customers (those already tagged are left as they were) and writes a `tag_added` event
    /// for each new one, in one transaction; returns the customers who were new.
    async fn tag_customers(
        &self,
        tag: siyu_domain::TagId,
        customers: &[CustomerId],
        source: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<CustomerId>>;
    /// Removes the tag, with a `tag_removed` event for each customer who had it; returns them.
    async fn untag_customers(
        &self,
        tag: siyu_domain::TagId,
        customers: &[CustomerId],
        now: Timestamp,
    ) -> StoreResult<Vec<CustomerId>>;
    async fn customer_tags(&self, customer: CustomerId) -> StoreResult<Vec<Tag>>;
    /// Everyone carrying the tag, by id (to build the audience index).
    async fn tag_members(&self, tag: siyu_domain::TagId) -> StoreResult<Vec<CustomerId>>;
    /// The customer's timeline, newest first.
    async fn customer_events(&self, customer: CustomerId, page: Page) -> StoreResult<Paged<CustomerEvent>>;
}

#[async_trait]
pub trait AudienceStore: Send + Sync {
    /// Customers' selectable facts in ascending id order after `after`, at most `limit`; with
    /// `changed_since`, only customers written at or after it (how the engine catches up after an import).
    async fn customer_facts(
        &self,
        after: i64,
        limit: i64,
        changed_since: Option<Timestamp>,
    ) -> StoreResult<Vec<CustomerFacts>>;
    /// The selectable facts of these customers (those that exist), in id order.
    async fn customer_facts_of(&self, ids: &[CustomerId]) -> StoreResult<Vec<CustomerFacts>>;
    /// Timeline entries at or after `since` with id above `after`, in id order, at most `limit`.
    async fn events_since(&self, since: Timestamp, after: i64, limit: i64) -> StoreResult<Vec<EventRow>>;
    async fn create_audience(&self, a: &NewAudience, now: Timestamp) -> StoreResult<Audience>;
    /// Changes name, expression and description (membership follows at the next refresh).
    async fn update_audience(
        &self,
        id: siyu_domain::AudienceId,
        a: &NewAudience,
        now: Timestamp,
    ) -> StoreResult<Audience>;
    async fn audience(&self, id: siyu_domain::AudienceId) -> StoreResult<Audience>;
    async fn audiences(&self) -> StoreResult<Vec<Audience>>;
    /// Makes `members` the audience's membership in one transaction: newcomers get an
    /// `audience_entered` event, leavers an `audience_exited` one. Running it twice with the same
    /// members changes nothing the second time.
    async fn refresh_audience(
        &self,
        id: siyu_domain::AudienceId,
        members: &[CustomerId],
        now: Timestamp,
    ) -> StoreResult<MembershipChange>;
    async fn audience_members(&self, id: siyu_domain::AudienceId) -> StoreResult<Vec<CustomerId>>;
}

/// The home pages' figures. WeCom relationships are scoped by their manager (a branch manager sees the
/// friends of the staff filed under their unit, a customer manager their own); customers by the usual
/// data scope. Every list takes a limit and answers its total beside the rows.
#[async_trait]
pub trait FiguresStore: Send + Sync {
    /// Friends active at `from`, and each day's adds and ends in `[from, to)`.
    async fn friend_days(&self, scope: DataScope, from: Timestamp, to: Timestamp) -> StoreResult<FriendDays>;
    /// Customers in scope who could be reached on each channel now.
    async fn reach(&self, scope: DataScope) -> StoreResult<Reach>;
    /// Per unit: customers filed there, friends of its staff now, adds and deletions in `[from, to)`.
    /// Units with nothing are left out.
    async fn unit_figures(&self, scope: DataScope, from: Timestamp, to: Timestamp) -> StoreResult<Vec<UnitFigures>>;
    /// Per member of staff: customers they own, their friends now, adds and deletions in `[from, to)`.
    /// Staff with nothing are left out.
    async fn manager_figures(
        &self,
        scope: DataScope,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<ManagerFigures>>;
    /// Customers in scope who added a manager in scope on WeCom at or after `since` and are still
    /// friends, newest first.
    async fn new_friends(&self, scope: DataScope, since: Timestamp, limit: i64) -> StoreResult<Paged<CustomerMention>>;
    /// Customers in scope born on one of these (month, day)s, by id (never by date).
    async fn birthdays_on(
        &self,
        scope: DataScope,
        days: &[(u32, u32)],
        limit: i64,
    ) -> StoreResult<Paged<CustomerMention>>;
    /// Customers in scope whose risk assessment was made on or before `assessed_by`, oldest first.
    async fn risk_due(
        &self,
        scope: DataScope,
        assessed_by: NaiveDate,
        limit: i64,
    ) -> StoreResult<Paged<CustomerMention>>;
    /// Customers in scope with no timeline entry of these kinds at or after `since`, those never
    /// contacted first, then the longest ago.
    async fn not_contacted(
        &self,
        scope: DataScope,
        kinds: &[&str],
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Paged<CustomerMention>>;
    /// Audit entries of these actions per bank day in `[from, to)`.
    async fn audit_days(&self, actions: &[AuditAction], from: Timestamp, to: Timestamp) -> StoreResult<Vec<AuditDay>>;
}

/// Hand-overs of a manager's customers to successors. A customer is in at most one unfinished
/// hand-over at a time (a second is a `Conflict`), so nothing is transferred twice.
#[async_trait]
pub trait HandoverStore: Send + Sync {
    async fn create_handover(&self, h: &NewHandover, now: Timestamp) -> StoreResult<siyu_domain::HandoverId>;
    async fn handover(&self, id: siyu_domain::HandoverId) -> StoreResult<Handover>;
    /// Newest first.
    async fn list_handovers(&self, page: Page) -> StoreResult<Paged<HandoverSummary>>;
    /// Of these customers, those in an unfinished hand-over.
    async fn customers_in_open_handovers(&self, ids: &[CustomerId]) -> StoreResult<Vec<CustomerId>>;
    /// Applies a step to one customer's hand-over if it is still in `step.from`; a step to
    /// `Succeeded` moves the customer to their successor (if still the leaver's) and appends
    /// `step.audit` in the same transaction. Returns whether it was applied.
    async fn step_handover(
        &self,
        id: siyu_domain::HandoverId,
        step: &HandoverStep,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Marks the hand-over finished (every customer's is final).
    async fn finish_handover(&self, id: siyu_domain::HandoverId, now: Timestamp) -> StoreResult<()>;
    /// Ends the rest of an unfinished hand-over, in one transaction: marks it ended (its job then
    /// asks WeCom to transfer no one more), cancels every customer still pending with `reason`, and
    /// appends the audit entry `audit` makes of (customers cancelled, customers still unfinal), so
    /// no cancellation is ever without its entry. `None` when the hand-over had finished already.
    async fn end_handover(
        &self,
        id: siyu_domain::HandoverId,
        reason: siyu_domain::handover::FailReason,
        audit: &(dyn Fn(u64, u64) -> siyu_domain::audit::NewAuditEntry + Send + Sync),
        now: Timestamp,
    ) -> StoreResult<Option<(u64, u64)>>;
}

/// HQ compliance's own word list for the content lint, read on every lint (a few hundred rows at most).
#[async_trait]
pub trait ComplianceStore: Send + Sync {
    /// The list, by word.
    async fn compliance_words(&self) -> StoreResult<Vec<ComplianceWord>>;
    /// Replaces the list with `words` and appends `audit` in the same transaction: a word no longer
    /// listed goes, a new or changed word is stamped with `by` and `now`, an unchanged word keeps who
    /// changed it last.
    async fn set_compliance_words(
        &self,
        words: &[NewComplianceWord],
        by: Option<StaffId>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> StoreResult<()>;
}

/// The bank's product catalogue: imported whole or in part by product code, listed and looked up.
#[async_trait]
pub trait ProductStore: Send + Sync {
    /// Adds or changes `rows` by code and appends `audit`, all in one transaction: the file lands
    /// whole or not at all. A row equal to what is stored is left alone (it keeps who changed it
    /// last). Two rows with one code are refused as a `Conflict` before anything is written.
    async fn upsert_products(
        &self,
        rows: &[NewProduct],
        by: Option<StaffId>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> StoreResult<ProductCounts>;
    /// What [`ProductStore::upsert_products`] would do with `rows`, writing nothing.
    async fn preview_products(&self, rows: &[NewProduct]) -> StoreResult<ProductCounts>;
    /// A page of the catalogue, by code.
    async fn products(&self, filter: &ProductFilter, page: Page) -> StoreResult<Paged<ProductRecord>>;
    /// The products among `ids` that exist, in no particular order (a missing id is simply absent).
    async fn products_by_ids(&self, ids: &[ProductId]) -> StoreResult<Vec<ProductRecord>>;
}

/// Tracked links' events (issue 17 §4): an append-only log written in batches by the app's one link
/// writer, each open of a token that names a customer also a `link_opened` timeline entry.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Appends `events` in one transaction: one multi-row insert of the events, one of the timeline
    /// entries (an `open` naming a customer), and the visitors identified by a customer's token
    /// (the first customer a visitor id opens a link of is theirs for good). Returns, for the audience
    /// engine, the customers given a timeline entry and the interest tags newly given (each with its
    /// `tag_added` entry, source `link:<version>`).
    async fn record_link_events(&self, events: &[NewLinkEvent]) -> StoreResult<crate::LinkBatchWritten>;
    /// A version's opens, unique openers, forwards and read time.
    async fn link_stats(&self, version: ContentVersionId) -> StoreResult<LinkStats>;
    /// The newest `limit` link events attributed to a customer: named by their token, or made by a
    /// visitor id later matched to them.
    async fn customer_link_events(&self, customer: CustomerId, limit: u32) -> StoreResult<Vec<LinkEvent>>;
}

/// The content library: items, their versions and the maker-checker review. Every write appends its
/// audit entry in the same transaction; every change of a version's words or status is conditional on
/// the status it was read in, and a version that moved on meanwhile is `StoreError::Stale`.
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// A new item with its first version, a draft by `author`.
    async fn create_content_item(
        &self,
        item: &NewContentItem,
        draft: &ContentDraft,
        author: StaffId,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> StoreResult<(ContentItemRecord, ContentVersionRecord)>;
    /// The item's next version (number one past its newest), a draft by `author`.
    async fn add_content_version(
        &self,
        item: ContentItemId,
        draft: &ContentDraft,
        author: StaffId,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> StoreResult<ContentVersionRecord>;
    /// Replaces a draft's words and products, only while it is a draft (else `Stale`).
    async fn edit_content_draft(
        &self,
        version: ContentVersionId,
        draft: &ContentDraft,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> StoreResult<ContentVersionRecord>;
    /// Moves a version from `step.from` to `step.to`, only if it is still `step.from` (else
    /// `Stale`). Publishing retires the item's version published before, in the same transaction,
    /// so an item has at most one published version.
    async fn step_content_version(
        &self,
        version: ContentVersionId,
        step: &ReviewStep,
        audit: &NewAuditEntry,
    ) -> StoreResult<ContentVersionRecord>;
    async fn content_item(&self, id: ContentItemId) -> StoreResult<ContentItemRecord>;
    async fn content_version(&self, id: ContentVersionId) -> StoreResult<ContentVersionRecord>;
    /// The item's versions, oldest first.
    async fn content_versions(&self, item: ContentItemId) -> StoreResult<Vec<ContentVersionRecord>>;
    /// A page of the library, newest change first.
    async fn content_items(&self, filter: &ContentFilter, page: Page) -> StoreResult<Paged<ContentItemRow>>;
    /// Submitted versions, the longest waiting first.
    async fn content_review_queue(&self, page: Page) -> StoreResult<Paged<ContentVersionRecord>>;
}

/// The content library's images and files, kept once per content, and their copies on WeCom.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Keeps `media` and appends `audit` in one transaction; bytes already stored (the same SHA-256)
    /// are not stored again: their record is returned with `false`, and `audit` still appended (the
    /// upload happened).
    async fn store_media(
        &self,
        media: &NewMedia,
        by: Option<StaffId>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> StoreResult<(MediaRecord, bool)>;
    /// One medium's record, without its bytes.
    async fn media(&self, id: siyu_domain::MediaId) -> StoreResult<Option<MediaRecord>>;
    /// One medium with its bytes.
    async fn media_bytes(&self, id: siyu_domain::MediaId) -> StoreResult<Option<(MediaRecord, Vec<u8>)>>;
    /// A page of media, newest first, of one kind or all.
    async fn media_list(
        &self,
        kind: Option<siyu_domain::media::MediaKind>,
        page: Page,
    ) -> StoreResult<Paged<MediaRecord>>;
    /// Records (or replaces) a medium's copy on WeCom.
    async fn set_wecom_media(&self, copy: &WecomMedia) -> StoreResult<()>;
    /// A medium's current copy on WeCom, if it has one (expired or not).
    async fn wecom_media(&self, id: siyu_domain::MediaId) -> StoreResult<Option<WecomMedia>>;
    /// Up to `limit` copies on WeCom expiring before `before`, soonest first.
    async fn wecom_media_expiring(&self, before: Timestamp, limit: i64) -> StoreResult<Vec<WecomMedia>>;
}

/// Sends of library items and the figures read from them with the links' events (issue 17 §7).
#[async_trait]
pub trait SendStore: Send + Sync {
    async fn record_content_send(&self, send: &NewContentSend) -> StoreResult<()>;
    /// Each of `versions` (of `item`) with its figures, in the order given.
    async fn content_figures(
        &self,
        item: siyu_domain::ContentItemId,
        versions: &[ContentVersionId],
    ) -> StoreResult<Vec<VersionFigures>>;
    /// The item's sends and its versions' opens per bank day from `from` on, the days with either.
    async fn content_days(
        &self,
        item: siyu_domain::ContentItemId,
        versions: &[ContentVersionId],
        from: Timestamp,
    ) -> StoreResult<Vec<DayFigures>>;
    /// What each of `staff` did with the item (`versions` all of its versions), in the order given,
    /// zeros included: the managers who did not send it are the point.
    async fn content_senders(
        &self,
        item: siyu_domain::ContentItemId,
        versions: &[ContentVersionId],
        staff: &[StaffId],
    ) -> StoreResult<Vec<SenderFigures>>;
}

/// Everything siyu stores. Implemented by every backend.
#[async_trait]
pub trait Store:
    OrgStore
    + StaffStore
    + CustomerStore
    + ImportStore
    + JobQueue
    + AuditLog
    + SessionStore
    + ApiTokenStore
    + WecomStore
    + ChannelStore
    + GroupStore
    + TagStore
    + AudienceStore
    + FiguresStore
    + HandoverStore
    + ComplianceStore
    + ProductStore
    + LinkStore
    + SendStore
    + ContentStore
    + MediaStore
{
    /// Which backend this is, for logs and benchmarks: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Whether the database answers, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}
