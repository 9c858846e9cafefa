//! Records the audience engine and saved audiences read and write through the store.

use chrono::NaiveDate;
use serde::Serialize;
use siyu_domain::{AudienceId, CustomerId, OrgUnitId, StaffId, Timestamp};

/// One customer's selectable facts, as the audience engine indexes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFacts {
    pub id: CustomerId,
    pub owner_id: Option<StaffId>,
    /// The sub-branch, by id: the engine keys sub-branches by id, so a unit whose code changes keeps
    /// its customers (an expression's code is looked up in the organisation when it is evaluated).
    pub sub_branch_id: OrgUnitId,
    pub gender: String,
    pub birthday: Option<NaiveDate>,
    pub aum_tier: u8,
    pub risk_grade: Option<u8>,
    pub payroll_day: Option<u8>,
    pub credit_card: bool,
    pub wealth: bool,
    pub loan: bool,
}

/// One entry of the customer event log, as the engine counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub customer_id: CustomerId,
    pub kind: String,
    pub at: Timestamp,
}

/// What an operator saves as an audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudience {
    pub name: String,
    /// The expression in its printed (canonical) form.
    pub expr: String,
    pub description: String,
    pub created_by: Option<StaffId>,
}

/// A saved audience and its membership as of its last refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Audience {
    pub id: AudienceId,
    pub name: String,
    pub expr: String,
    pub description: String,
    pub created_by: Option<StaffId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub refreshed_at: Option<Timestamp>,
    pub member_count: i64,
}

/// What a refresh changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipChange {
    pub entered: u64,
    pub exited: u64,
}
