//! The records that cross the store boundary: what goes in, what comes out, filters and pages.

use serde::Serialize;
use siyu_domain::audit::AuditAction;
use siyu_domain::customer::{AumTier, Consent, Gender, IdType, RiskAssessment, Segments};
use siyu_domain::import::Field;
use siyu_domain::job::JobStatus;
use siyu_domain::org::{GeoPoint, OrgUnitKind, Role, Staff};
use siyu_domain::scope::ApiScope;
use siyu_domain::{ApiTokenId, CustomerId, ImportId, OrgUnitId, StaffId, Timestamp};

/// Which slice of a list to return. `limit` is capped by the store at [`Page::MAX_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

impl Page {
    pub const MAX_LIMIT: i64 = 500;

    /// The highest page number [`Page::numbered`] goes to: with [`Page::MAX_LIMIT`] rows a page that
    /// is half a billion rows in, far past any list siyu keeps, and far from `i64` overflow.
    pub const MAX_NUMBER: i64 = 1_000_000;

    /// Page `number` (1-based) of `size` rows, clamped to sane bounds: a number past
    /// [`Page::MAX_NUMBER`] is that page (an empty one), never an offset that wrapped around.
    pub fn numbered(number: i64, size: i64) -> Self {
        let limit = size.clamp(1, Self::MAX_LIMIT);
        Self { offset: (number.clamp(1, Self::MAX_NUMBER) - 1) * limit, limit }
    }

    /// This page of a list already in memory (one that is small enough to load whole, such as the
    /// bank's tags), with the list's length as the total.
    pub fn slice<T>(self, mut all: Vec<T>) -> Paged<T> {
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let start = usize::try_from(self.offset).unwrap_or(usize::MAX).min(all.len());
        let end = start.saturating_add(usize::try_from(self.limit).unwrap_or(0)).min(all.len());
        Paged { items: all.drain(start..end).collect(), total }
    }

    pub fn first(limit: i64) -> Self {
        Self::numbered(1, limit)
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrgUnit {
    pub kind: OrgUnitKind,
    pub parent_id: Option<OrgUnitId>,
    pub code: String,
    pub name: String,
    pub location: Option<GeoPoint>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: OrgUnitId,
    pub wecom_userid: Option<String>,
    pub password_hash: String,
}

/// The editable fields of a staff member.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffUpdate {
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: OrgUnitId,
    pub wecom_userid: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffFilter {
    pub role: Option<Role>,
    /// Staff attached to this unit or any unit below it.
    pub org_unit_id: Option<OrgUnitId>,
    /// Part of the login or display name.
    pub query: Option<String>,
}

/// A staff member with what is needed to check a password.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffCredentials {
    pub staff: Staff,
    pub password_hash: String,
}

/// A personal number as stored: ciphertext, keyed blind index for exact lookups, and masked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPii {
    pub cipher: Vec<u8>,
    pub index: Vec<u8>,
    pub masked: String,
}

/// A customer to insert or update, personal numbers already sealed by the vault.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer {
    pub customer_no: String,
    pub name: String,
    pub phone: Option<SealedPii>,
    pub id_number: Option<SealedPii>,
    /// The document `id_number` belongs to; stored with it.
    pub id_type: Option<IdType>,
    pub gender: Gender,
    pub birthday: Option<chrono::NaiveDate>,
    pub sub_branch_id: OrgUnitId,
    pub owner_id: Option<StaffId>,
    pub aum_tier: AumTier,
    pub segments: Segments,
    pub risk: Option<RiskAssessment>,
    pub consent: Consent,
    pub wecom_external_userid: Option<String>,
    pub wechat_unionid: Option<String>,
}

/// Which fields an upsert may overwrite on an existing customer. An import file that has no phone
/// column must not erase the phone numbers the bank already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertFields(pub Vec<Field>);

impl UpsertFields {
    /// Every field: for records created whole (the demo, the API).
    pub fn all() -> Self {
        use Field::*;
        Self(vec![
            Name,
            Phone,
            IdNumber,
            Gender,
            Birthday,
            SubBranchCode,
            OwnerUsername,
            AumTier,
            PayrollDay,
            CreditCard,
            Wealth,
            Loan,
            RiskGrade,
            ConsentOneToOne,
            ConsentMoments,
            ConsentGroup,
            ConsentPersonalised,
            WecomExternalUserid,
            WechatUnionid,
        ])
    }

    pub fn contains(&self, f: Field) -> bool {
        self.0.contains(&f)
    }
}

/// What recording a relationship change did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelationshipWrite {
    /// Whether it applied (an older event than the one recorded does not).
    pub applied: bool,
    /// The customer whose timeline got an entry, if the change started or ended the relationship.
    pub timeline: Option<CustomerId>,
}

/// One row an upsert wrote (inserted, or changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenRow {
    pub id: CustomerId,
    pub customer_no: String,
    /// New (every column as given), not an update of some columns.
    pub inserted: bool,
}

/// What an upsert did, row by row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpsertCounts {
    pub inserted: i64,
    pub updated: i64,
    /// Rows whose stored values already matched: not written at all.
    pub unchanged: i64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// Most sub-branches one customer-list filter names (a large branch has a few dozen).
pub const MAX_FILTER_SUB_BRANCHES: usize = 100;

/// Filters of the customer list. All set filters must hold; a list holds when any of its values does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerFilter {
    /// Customers of any of these sub-branches (empty: any), at most [`MAX_FILTER_SUB_BRANCHES`].
    pub sub_branch_ids: Vec<OrgUnitId>,
    pub owner_id: Option<StaffId>,
    pub segment: Option<SegmentFilter>,
    /// Customers assessed at any of these risk grades (empty: any).
    pub risk_grades: Vec<u8>,
    /// AUM tier at least (白金及以上: 3) and at most; both set to one tier for exactly that tier.
    pub aum_tier_min: Option<u8>,
    pub aum_tier_max: Option<u8>,
    /// Customer number (exact) or part of the name.
    pub query: Option<String>,
}

/// Customer counts by AUM tier and by risk grade (`None`: never assessed), in ascending order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CustomerBreakdown {
    pub by_aum_tier: Vec<(u8, i64)>,
    pub by_risk_grade: Vec<(Option<u8>, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentFilter {
    Payroll,
    CreditCard,
    Wealth,
    Loan,
}

impl SegmentFilter {
    pub const ALL: [Self; 4] = [Self::Payroll, Self::CreditCard, Self::Wealth, Self::Loan];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payroll => "payroll",
            Self::CreditCard => "credit_card",
            Self::Wealth => "wealth",
            Self::Loan => "loan",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where an import is in its life (the domain's, so a page and the API name the same states).
pub use siyu_domain::import::ImportStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct NewImport {
    pub file_name: String,
    /// Where the uploaded bytes are kept until commit.
    pub stored_path: String,
    /// Operator's header overrides, JSON object header → field.
    pub mapping_json: String,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
}

/// One import, with its progress and results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRecord {
    pub id: ImportId,
    pub file_name: String,
    /// Where the server keeps the sealed upload: its own business, never in an answer.
    #[serde(skip)]
    pub stored_path: String,
    pub mapping_json: String,
    /// The file's header row, JSON array, recorded by the dry run.
    pub headers_json: String,
    pub status: ImportStatus,
    /// Set when the whole file was refused (bad header, unreadable bytes).
    pub file_error: Option<String>,
    pub total_rows: i64,
    pub good_rows: i64,
    pub bad_rows: i64,
    /// Good rows committed so far: the checkpoint a resumed commit starts from.
    pub rows_committed: i64,
    #[serde(flatten)]
    pub counts: UpsertCounts,
    /// What the dry run found a commit would do: new customers, existing ones it would change, and
    /// existing ones it would leave as they are (the rejected rows are `bad_rows`).
    pub preview: UpsertCounts,
    /// Whether the dry run's column mapping was the one remembered for this header row.
    pub mapping_remembered: bool,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The outcome of a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportValidation {
    pub status: ImportStatus,
    /// The header row, JSON array.
    pub headers_json: String,
    pub file_error: Option<String>,
    pub total_rows: i64,
    pub good_rows: i64,
    pub bad_rows: i64,
    /// What a commit of the good rows would do, as the dry run found it.
    pub preview: UpsertCounts,
    /// The mapping remembered for this header row, when the dry run used it (it is then the import's
    /// mapping, so the commit reads the file the same way).
    pub remembered_mapping: Option<String>,
}

/// One problem in one row of an import (a row with three problems has three).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportProblem {
    /// 1-based line in the file counting the header as line 1, as a spreadsheet shows it.
    pub row_no: i64,
    pub column: String,
    pub code: String,
    pub message: String,
    /// The row's cells as a JSON array, sealed by the vault (it holds personal data in clear), so the
    /// rejected rows can be handed back as a file. Never in an answer: reports show where and why.
    #[serde(skip)]
    pub raw_json: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiToken {
    pub name: String,
    pub token_hash: Vec<u8>,
    pub scopes: Vec<ApiScope>,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    /// Part of the actor's name.
    pub actor: Option<String>,
    /// Exact target, e.g. `cus_42`.
    pub target: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub kind: Option<String>,
}

/// A signed-in browser session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub staff: Staff,
    pub csrf_token: String,
    pub expires_at: Timestamp,
    /// An administrator reset the member's password: until they choose their own, the session may
    /// only change it.
    pub must_change_password: bool,
}

/// Where a customer's WeCom relationship with one staff member stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipStatus {
    Active,
    /// The customer deleted the staff member (the churn KPIs count these).
    DeletedByCustomer,
    /// The staff member deleted the customer.
    DeletedByStaff,
    /// Moved to another staff member by a transfer.
    Transferred,
}

impl RelationshipStatus {
    pub const ALL: [Self; 4] = [Self::Active, Self::DeletedByCustomer, Self::DeletedByStaff, Self::Transferred];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::DeletedByCustomer => "deleted_by_customer",
            Self::DeletedByStaff => "deleted_by_staff",
            Self::Transferred => "transferred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A change to one relationship, as a callback or a sync reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipChange {
    pub external_userid: String,
    pub staff_userid: String,
    pub status: RelationshipStatus,
    /// The channel code's `state`, for adds through a code.
    pub state: Option<String>,
    /// WeCom's time of the event.
    pub event_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relationship {
    pub external_userid: String,
    pub staff_userid: String,
    pub status: RelationshipStatus,
    pub state: Option<String>,
    pub added_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub event_at: Timestamp,
}

/// A channel code to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannelCode {
    pub name: String,
    pub kind: siyu_domain::channel::ChannelKind,
    /// The sub-branch the code belongs to (data scope); the nearest one for `Nearest`.
    pub sub_branch_id: Option<OrgUnitId>,
    pub assignment: siyu_domain::channel::Assignment,
    pub welcome: siyu_domain::channel::Welcome,
    /// Tags applied to every customer who adds through the code.
    pub tags: Vec<String>,
    pub controls: siyu_domain::channel_controls::ChannelControls,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelCode {
    pub id: siyu_domain::ChannelCodeId,
    pub name: String,
    pub kind: siyu_domain::channel::ChannelKind,
    pub sub_branch_id: Option<OrgUnitId>,
    pub assignment: siyu_domain::channel::Assignment,
    pub welcome: siyu_domain::channel::Welcome,
    pub tags: Vec<String>,
    /// WeCom's id for the contact way, once created there.
    pub config_id: Option<String>,
    pub qr_code: Option<String>,
    /// Who the code assigns to now.
    pub current_staff_id: Option<StaffId>,
    pub active: bool,
    pub created_at: Timestamp,
    /// Cap, backup, schedules and skip-verify windows.
    pub controls: siyu_domain::channel_controls::ChannelControls,
    /// Whether WeCom was last told to accept friend requests without verification.
    pub skip_verify: bool,
}

impl ChannelCode {
    /// The `state` WeCom echoes back for this code.
    pub fn state(&self) -> String {
        siyu_domain::channel::state_of(self.id)
    }
}

/// Adds and deletions through one code on one day (UTC+8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayStat {
    pub day: chrono::NaiveDate,
    pub added: i64,
    pub deleted: i64,
}

impl DayStat {
    pub fn net(&self) -> i64 {
        self.added - self.deleted
    }
}

/// A code's adds today (bank day) and in all, for the list of codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelFigures {
    pub state: String,
    pub today: i64,
    pub total: i64,
}

/// One WeCom contact a code brought in: the relationship it started, and the bank's customer it is
/// linked to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelContact {
    pub external_userid: String,
    pub staff_userid: String,
    pub status: RelationshipStatus,
    pub added_at: Option<Timestamp>,
    pub customer_id: Option<siyu_domain::CustomerId>,
}

/// A code's QR image as WeCom served it from the contact way's `qr_code` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    /// The URL it was fetched from: a different URL is fetched again.
    pub qr_code: String,
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub fetched_at: Timestamp,
}

/// A customer group as WeCom last described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupChatRecord {
    pub chat_id: String,
    pub name: String,
    pub owner_userid: String,
    pub member_version: String,
    pub dismissed: bool,
}

/// One member of a group, present or past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMemberRecord {
    pub member_userid: String,
    /// 1 staff, 2 customer.
    pub member_type: i32,
    pub joined_at: Timestamp,
    pub left_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagGroup {
    pub id: siyu_domain::TagGroupId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    pub group_id: siyu_domain::TagGroupId,
    pub name: String,
    pub kind: siyu_domain::tag::TagKind,
    pub sync_to_wecom: bool,
    /// The audience expression of a rule tag.
    pub rule_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tag {
    pub id: siyu_domain::TagId,
    pub group_id: siyu_domain::TagGroupId,
    pub group_name: String,
    pub name: String,
    pub kind: siyu_domain::tag::TagKind,
    pub sync_to_wecom: bool,
    pub wecom_tag_id: Option<String>,
    pub rule_text: Option<String>,
}

/// One entry of a customer's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerEvent {
    pub kind: String,
    pub detail: String,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn a_huge_page_number_never_wraps_the_offset() {
        // 368934881474191034 × 50 overflows i64 and used to wrap to a small offset.
        for (number, size) in [(368_934_881_474_191_034, 50), (i64::MAX, i64::MAX), (i64::MIN, -1)] {
            let p = Page::numbered(number, size);
            assert!(p.offset >= 0 && p.limit >= 1 && p.limit <= Page::MAX_LIMIT, "{p:?}");
            assert!(p.offset <= (Page::MAX_NUMBER - 1) * Page::MAX_LIMIT, "{p:?}");
        }
        assert_eq!(Page::numbered(368_934_881_474_191_034, 50).offset, (Page::MAX_NUMBER - 1) * 50);
        assert_eq!(Page::numbered(0, 10), Page { offset: 0, limit: 10 });
    }

    #[test]
    fn a_slice_of_a_list_in_memory() {
        let p = Page::numbered(2, 3).slice((1..=7).collect());
        assert_eq!((p.items, p.total), (vec![4, 5, 6], 7));
        let past = Page::numbered(Page::MAX_NUMBER, Page::MAX_LIMIT).slice(vec![1, 2]);
        assert_eq!((past.items.len(), past.total), (0, 2));
    }
}

/// A hand-over to start: the leaving manager, which transfer WeCom is asked for, and each customer's
/// successor.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHandover {
    pub from_staff_id: StaffId,
    /// 离职继承 (the leaver left the corp in WeCom) rather than 在职继承.
    pub resigned: bool,
    pub created_by: Option<StaffId>,
    pub items: Vec<NewHandoverItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewHandoverItem {
    pub customer_id: CustomerId,
    pub to_staff_id: StaffId,
    /// The customer's WeCom contact when it is the leaver's; without one the customer moves in siyu
    /// alone.
    pub external_userid: Option<String>,
}

/// A hand-over with every customer in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handover {
    pub id: siyu_domain::HandoverId,
    pub from_staff_id: StaffId,
    pub resigned: bool,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
    /// Set once every customer's hand-over is final.
    pub finished_at: Option<Timestamp>,
    /// Set when an administrator ended the rest (`HandoverStore::end_handover`): WeCom is asked to
    /// transfer no one more.
    pub ended_at: Option<Timestamp>,
    pub items: Vec<HandoverItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoverItem {
    pub customer_id: CustomerId,
    pub to_staff_id: StaffId,
    pub external_userid: Option<String>,
    pub state: siyu_domain::handover::HandoverState,
    pub reason: Option<siyu_domain::handover::FailReason>,
    /// WeCom's takeover time: planned while waiting, when it happened once done.
    pub takeover_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

/// One customer's hand-over moving on.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoverStep {
    pub customer_id: CustomerId,
    /// The state the step starts from: a step whose item has moved on since is not applied.
    pub from: siyu_domain::handover::HandoverState,
    pub to: siyu_domain::handover::HandoverState,
    pub reason: Option<siyu_domain::handover::FailReason>,
    pub takeover_at: Option<Timestamp>,
    /// Written in the same transaction when the step moves the customer to their successor (a step
    /// to `Succeeded` that finds them still the leaver's), so no owner change is ever unaudited.
    pub audit: Option<siyu_domain::audit::NewAuditEntry>,
}

/// A hand-over as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoverSummary {
    pub id: siyu_domain::HandoverId,
    pub from_staff_id: StaffId,
    pub resigned: bool,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub customers: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// One word of HQ compliance's own list for the content lint, as set. `class` is the lint's word
/// class code (`guaranteed`, `superlative`, `listed`): the store keeps it as the app hands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplianceWord {
    pub word: String,
    pub class: String,
    pub blocking: bool,
    pub unless_followed_by: String,
}

/// A stored word of HQ's list, with who last changed it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceWord {
    pub word: NewComplianceWord,
    pub changed_by: Option<StaffId>,
    pub changed_at: Timestamp,
}

/// A product as an import or a form gives it; `code` is the bank's own product code, the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub code: String,
    pub name: String,
    pub kind: siyu_domain::product::ProductType,
    pub risk_grade: Option<siyu_domain::product::ProductRiskGrade>,
    pub issuer: String,
    pub on_sale: bool,
}

/// A product of the catalogue, with who last changed it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: siyu_domain::ProductId,
    pub product: NewProduct,
    pub updated_by: Option<StaffId>,
    pub updated_at: Timestamp,
}

impl ProductRecord {
    /// The product as the lint and the suitability rule read it.
    pub fn as_product(&self) -> siyu_domain::product::Product {
        siyu_domain::product::Product {
            id: self.id,
            name: self.product.name.clone(),
            kind: self.product.kind,
            risk_grade: self.product.risk_grade,
        }
    }
}

/// Which products a list shows; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub kind: Option<siyu_domain::product::ProductType>,
    pub risk_grade: Option<siyu_domain::product::ProductRiskGrade>,
    pub on_sale: Option<bool>,
    /// Part of the code or the name, any case.
    pub query: Option<String>,
}

/// What an import of products did, or would do (a dry run): rows matched by code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProductCounts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// What a tracked link recorded: the link opened, time read on the article, a forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkEventKind {
    Open,
    Read,
    Forward,
}

impl LinkEventKind {
    pub const ALL: [Self; 3] = [Self::Open, Self::Read, Self::Forward];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Read => "read",
            Self::Forward => "forward",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One event of a tracked link, as a signed token and the visitor's cookie name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLinkEvent {
    pub version_id: siyu_domain::ContentVersionId,
    /// The customer the token names; `None` for a Moments or group link (an anonymous opener).
    pub customer_id: Option<CustomerId>,
    /// The manager who sent or shared the link.
    pub staff_id: StaffId,
    /// `one_to_one`, `moments` or `group` (siyu-content's `Channel` code).
    pub channel: String,
    /// The browser's first-party visitor id (`sy_v`).
    pub visitor: String,
    pub kind: LinkEventKind,
    /// Seconds read, for a `read`; 0 otherwise.
    pub seconds: i64,
    pub at: Timestamp,
    /// For an open naming a customer: the interest tags (behavioural) it earns them, written in the
    /// same transaction. Not kept with the event (read back empty).
    pub interests: Vec<siyu_domain::TagId>,
}

/// What a batch of link events wrote besides the events, for the audience engine: the customers
/// given a `link_opened` entry (one per open), and each interest tag with the customers newly given it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkBatchWritten {
    pub opened: Vec<CustomerId>,
    pub tagged: Vec<(siyu_domain::TagId, Vec<CustomerId>)>,
}

/// A stored link event, with the customer it is attributed to: its own, or the one its visitor was
/// matched to later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEvent {
    pub event: NewLinkEvent,
    pub attributed_to: Option<CustomerId>,
}

/// A version's figures from its tracked links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkStats {
    pub opens: u64,
    /// Distinct openers: a customer (named by the token or matched through their visitor id) counts
    /// once however many browsers they used; an unmatched visitor counts once.
    pub unique_openers: u64,
    pub forwards: u64,
    pub read_seconds: u64,
}

/// A library item taken to be sent (see migration 0027).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContentSend {
    pub item_id: siyu_domain::ContentItemId,
    pub version_id: siyu_domain::ContentVersionId,
    pub staff_id: StaffId,
    pub customer_id: Option<CustomerId>,
    /// `one_to_one`, `moments` or `group`.
    pub channel: String,
    pub at: Timestamp,
}

/// One version's figures: sends and senders, and what its links did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionFigures {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version_id: siyu_domain::ContentVersionId,
    pub sends: u64,
    /// Managers who sent it at least once.
    pub senders: u64,
    #[serde(flatten)]
    pub links: LinkStats,
    /// Interest tags its opens gave customers.
    pub tags_given: u64,
}

/// One day's sends and opens of an item (the bank's calendar day, days since 1970-01-01).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayFigures {
    pub day: i64,
    pub sends: u64,
    pub opens: u64,
}

/// What one manager did with an item: sends, and opens of the links they sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderFigures {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub staff_id: StaffId,
    pub sends: u64,
    pub opens: u64,
}

/// An upload to keep, as the upload service checked it: `content_type` is what the bytes were found
/// to be, `sha256` their lower-case hex digest, `file_name` already sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMedia {
    pub sha256: String,
    pub content_type: String,
    pub kind: siyu_domain::media::MediaKind,
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// A stored image or file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaRecord {
    pub id: siyu_domain::MediaId,
    /// The SHA-256 of the bytes, lower-case hex: the same bytes are stored once, and this is the ETag.
    pub sha256: String,
    /// What the bytes were found to be (`image/png`, `application/pdf`, …).
    pub content_type: String,
    pub kind: siyu_domain::media::MediaKind,
    pub size: i64,
    pub file_name: String,
    pub uploaded_by: Option<StaffId>,
    pub uploaded_at: Timestamp,
}

/// A medium's current copy on WeCom (temporary media: three days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WecomMedia {
    pub media: siyu_domain::MediaId,
    pub wecom_media_id: String,
    pub uploaded_at: Timestamp,
    pub expires_at: Timestamp,
}
