//! The figures the home pages show: WeCom friends over time, who can be reached, how units and managers
//! are doing, and a customer manager's lists for the day. Every figure is derived from what the store
//! holds (relationships, customers, the timeline, the audit log) when it is asked, never counted
//! separately, so a job that runs twice cannot count twice.

use chrono::NaiveDate;
use siyu_domain::audit::AuditAction;
use siyu_domain::{CustomerId, OrgUnitId, StaffId, Timestamp};

/// WeCom relationships' changes on one bank day (UTC+8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FriendDay {
    pub day: NaiveDate,
    /// Relationships that started that day (and are still recorded as started then).
    pub added: i64,
    /// Relationships the customer or the manager deleted that day.
    pub deleted: i64,
    /// Relationships that ended that day for any reason (deleted, or handed over to another manager).
    pub ended: i64,
}

/// WeCom friends before a range, and what changed on each day of it that had any change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendDays {
    /// Relationships active at the range's first instant.
    pub active_before: i64,
    /// Days with a change, ascending.
    pub days: Vec<FriendDay>,
}

/// How many customers in scope could be reached on each WeCom channel: the consent for the channel
/// and a linked WeCom contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    pub customers: i64,
    /// Linked to a WeCom contact.
    pub on_wecom: i64,
    pub one_to_one: i64,
    pub moments: i64,
    pub group: i64,
    /// Consented to personalised marketing (and on WeCom).
    pub personalised: i64,
}

/// One unit's figures: customers filed at it, and the WeCom friends of the staff filed at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitFigures {
    pub unit_id: OrgUnitId,
    pub customers: i64,
    pub on_wecom: i64,
    /// Active WeCom relationships now.
    pub friends: i64,
    pub added: i64,
    pub deleted: i64,
}

/// One member of staff's figures: customers they own, and their WeCom friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagerFigures {
    pub staff_id: StaffId,
    pub customers: i64,
    pub on_wecom: i64,
    pub friends: i64,
    pub added: i64,
    pub deleted: i64,
}

impl UnitFigures {
    /// A unit with nothing counted yet.
    pub fn of(unit_id: OrgUnitId) -> Self {
        Self { unit_id, customers: 0, on_wecom: 0, friends: 0, added: 0, deleted: 0 }
    }
}

impl ManagerFigures {
    /// A member of staff with nothing counted yet.
    pub fn of(staff_id: StaffId) -> Self {
        Self { staff_id, customers: 0, on_wecom: 0, friends: 0, added: 0, deleted: 0 }
    }
}

/// A customer named on a list, with the one fact that put them there. A birthday list carries no
/// date at all: staff views never show a birthday's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMention {
    pub id: CustomerId,
    pub name: String,
    pub sub_branch_id: OrgUnitId,
    /// When it happened (added on WeCom; last contacted, `None` for never).
    pub at: Option<Timestamp>,
    /// The date that matters (a risk assessment's date).
    pub on: Option<NaiveDate>,
}

/// Audit entries of one action on one bank day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditDay {
    pub day: NaiveDate,
    pub action: AuditAction,
    pub count: i64,
}
