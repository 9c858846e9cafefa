//! The audit log's vocabulary: what was done, by whom, to what, and why.
//!
//! Entries are only ever appended. Every view of clear personal data, every export, every sign-in and
//! every change of a role or a token leaves one.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{AuditId, StaffId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Login,
    LoginFailed,
    Logout,
    /// A phone or ID number was shown in clear.
    RevealPii,
    ImportCommitted,
    Export,
    StaffCreated,
    StaffChanged,
    RoleChanged,
    OrgUnitChanged,
    ApiTokenCreated,
    ApiTokenRevoked,
    ChannelCodeCreated,
    /// A channel code's controls (daily cap, backup, schedules, skip-verify windows) were set.
    ChannelControlsChanged,
    /// A tag was defined or changed (name, group, rule, WeCom mirroring).
    TagDefined,
    /// An audience was saved or changed.
    AudienceSaved,
    /// An administrator set a temporary password for a member (never the password itself).
    PasswordReset,
    /// A member changed their own password.
    PasswordChanged,
    /// A hand-over of a manager's customers to successors was started.
    HandoverStarted,
    /// A customer's WeCom relationship reached its successor, and siyu moved the customer to them.
    CustomerHandedOver,
    /// An administrator queued an unfinished hand-over's job again (after it stopped, say).
    HandoverRunAgain,
    /// An administrator ended an unfinished hand-over's customers not yet asked of WeCom.
    HandoverEnded,
    /// The column mapping remembered for an import's header row was set or changed.
    MappingRemembered,
    /// HQ compliance's own word list for the lint was changed (the counts and words added and removed).
    ComplianceRulesChanged,
    /// Products were imported into the catalogue (the file's name and the counts added and changed).
    ProductsImported,
    /// A content item's draft was created or changed (a new item, a new version, an edit).
    ContentDraftSaved,
    /// A content version was submitted for review.
    ContentSubmitted,
    /// A submitted content version was taken back to draft by its author.
    ContentWithdrawn,
    /// A reviewer approved a content version (the override reason, when blocking findings were overridden).
    ContentApproved,
    /// A reviewer rejected a content version, with the reason.
    ContentRejected,
    /// An approved content version was published: from now on it is what is sent.
    ContentPublished,
    /// A content version was retired and is no longer sent.
    ContentRetired,
    /// An image or file was uploaded to the content library (its name, type and size).
    MediaUploaded,
}

impl AuditAction {
    pub const ALL: [Self; 33] = [
        Self::Login,
        Self::LoginFailed,
        Self::Logout,
        Self::RevealPii,
        Self::ImportCommitted,
        Self::Export,
        Self::StaffCreated,
        Self::StaffChanged,
        Self::RoleChanged,
        Self::OrgUnitChanged,
        Self::ApiTokenCreated,
        Self::ApiTokenRevoked,
        Self::ChannelCodeCreated,
        Self::ChannelControlsChanged,
        Self::TagDefined,
        Self::AudienceSaved,
        Self::PasswordReset,
        Self::PasswordChanged,
        Self::HandoverStarted,
        Self::CustomerHandedOver,
        Self::HandoverRunAgain,
        Self::HandoverEnded,
        Self::MappingRemembered,
        Self::ComplianceRulesChanged,
        Self::ProductsImported,
        Self::ContentDraftSaved,
        Self::ContentSubmitted,
        Self::ContentWithdrawn,
        Self::ContentApproved,
        Self::ContentRejected,
        Self::ContentPublished,
        Self::ContentRetired,
        Self::MediaUploaded,
    ];

    /// Whether this action's detail is stored as a catalogue text (`siyu_app::stored_text`), put
    /// into the reader's language when shown; every other detail is shown as it was written.
    pub fn detail_is_text(self) -> bool {
        matches!(self, Self::MappingRemembered | Self::ComplianceRulesChanged | Self::ProductsImported)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::RevealPii => "reveal_pii",
            Self::ImportCommitted => "import_committed",
            Self::Export => "export",
            Self::StaffCreated => "staff_created",
            Self::StaffChanged => "staff_changed",
            Self::RoleChanged => "role_changed",
            Self::OrgUnitChanged => "org_unit_changed",
            Self::ApiTokenCreated => "api_token_created",
            Self::ApiTokenRevoked => "api_token_revoked",
            Self::ChannelCodeCreated => "channel_code_created",
            Self::ChannelControlsChanged => "channel_controls_changed",
            Self::TagDefined => "tag_defined",
            Self::AudienceSaved => "audience_saved",
            Self::PasswordReset => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::HandoverStarted => "handover_started",
            Self::CustomerHandedOver => "customer_handed_over",
            Self::HandoverRunAgain => "handover_run_again",
            Self::HandoverEnded => "handover_ended",
            Self::MappingRemembered => "mapping_remembered",
            Self::ComplianceRulesChanged => "compliance_rules_changed",
            Self::ProductsImported => "products_imported",
            Self::ContentDraftSaved => "content_draft_saved",
            Self::ContentSubmitted => "content_submitted",
            Self::ContentWithdrawn => "content_withdrawn",
            Self::ContentApproved => "content_approved",
            Self::ContentRejected => "content_rejected",
            Self::ContentPublished => "content_published",
            Self::ContentRetired => "content_retired",
            Self::MediaUploaded => "media_uploaded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    /// The staff member, when a person did it.
    pub staff_id: Option<StaffId>,
    /// Who did it, as text: a login name, or `token:<name>` for a system.
    pub actor: String,
    pub action: AuditAction,
    /// What it was done to: `cus_42`, `stf_7`, `imp_3`, …
    pub target: String,
    /// The reason given, or details of the change.
    pub detail: String,
    pub ip: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: Timestamp,
    pub staff_id: Option<StaffId>,
    pub actor: String,
    pub action: AuditAction,
    pub target: String,
    pub detail: String,
    pub ip: Option<String>,
}
