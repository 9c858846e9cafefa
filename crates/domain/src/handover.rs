//! Handing a customer manager's customers to successors (离职继承 when they have left, 在职继承 when they
//! move on within the bank): where each customer's hand-over stands, and how WeCom's answers move it.
//!
//! WeCom only *starts* a transfer: the successor takes the customer over 24 hours later unless the
//! customer refuses, and a transfer can also fail because the successor's customer quota is full. So
//! a customer's hand-over passes through states, and only WeCom's "done" moves the customer's owner in
//! siyu: until then the WeCom relationship is still the leaver's, and so is the customer.

use serde::{Deserialize, Serialize};

/// The most customers one hand-over takes (the page lists them all for a choice of successor).
pub const MAX_CUSTOMERS: usize = 500;

/// The most customers WeCom takes in one transfer call.
pub const WECOM_BATCH: usize = 100;

/// Where one customer's hand-over stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HandoverState {
    /// Chosen, not yet asked of WeCom.
    Pending,
    /// About to be asked of WeCom, or asked with no answer recorded (a crash in between): the next
    /// run reads WeCom's transfer results before asking again, so it is never asked twice.
    Requested,
    /// WeCom accepted the transfer; the successor takes over at `takeover_at` unless the customer
    /// refuses.
    Waiting,
    /// Done: the successor holds the relationship, and the customer is theirs in siyu.
    Succeeded,
    /// Did not happen (`reason` says why); the customer stays with the leaver.
    Failed,
    /// Never asked of WeCom: an administrator ended the rest of the hand-over (`reason` says so); the
    /// customer stays with the leaver and may be handed over again.
    Cancelled,
}

impl HandoverState {
    pub const ALL: [Self; 6] =
        [Self::Pending, Self::Requested, Self::Waiting, Self::Succeeded, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Requested => "requested",
            Self::Waiting => "waiting",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Succeeded, failed and cancelled hand-overs never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// Why a customer's hand-over failed or was cancelled; stored by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The customer declined the new manager (transfer result 3).
    CustomerRefused,
    /// The successor has as many customers as WeCom allows (transfer result 4).
    QuotaFull,
    /// WeCom has no record of the transfer after it accepted it (transfer result 5).
    NoRecord,
    /// WeCom refused to start the transfer (an errcode per customer: not the leaver's contact, the
    /// 90-day limit, a member WeCom does not know…).
    Refused,
    /// The successor has no WeCom account (removed after the hand-over started), so WeCom cannot be
    /// asked to transfer the leaver's contacts to them.
    SuccessorWithoutWecom,
    /// The leaver has no WeCom account (removed after the hand-over started), so none of their
    /// WeCom contacts can be transferred.
    LeaverWithoutWecom,
    /// An administrator ended the rest of the hand-over before the customer was asked of WeCom.
    EndedByAdministrator,
}

impl FailReason {
    pub const ALL: [Self; 7] = [
        Self::CustomerRefused,
        Self::QuotaFull,
        Self::NoRecord,
        Self::Refused,
        Self::SuccessorWithoutWecom,
        Self::LeaverWithoutWecom,
        Self::EndedByAdministrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerRefused => "customer_refused",
            Self::QuotaFull => "quota_full",
            Self::NoRecord => "no_record",
            Self::Refused => "refused",
            Self::SuccessorWithoutWecom => "successor_without_wecom",
            Self::LeaverWithoutWecom => "leaver_without_wecom",
            Self::EndedByAdministrator => "ended_by_administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What WeCom's transfer result says of one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferOutcome {
    Done,
    Waiting,
    Failed(FailReason),
    /// Status 5, or the customer absent from the results: WeCom holds no transfer for them.
    NoRecord,
}

impl TransferOutcome {
    /// The result's `status` (1 done, 2 waiting, 3 refused, 4 quota full, 5 no record); an unknown
    /// status is read as no record, so the customer is looked at again rather than taken as done.
    pub fn from_status(status: i32) -> Self {
        match status {
            1 => Self::Done,
            2 => Self::Waiting,
            3 => Self::Failed(FailReason::CustomerRefused),
            4 => Self::Failed(FailReason::QuotaFull),
            _ => Self::NoRecord,
        }
    }
}

/// The next state of a customer's hand-over in `state` after WeCom's results say `outcome`; `None`
/// when it stays. A customer asked of WeCom without an answer recorded (`Requested`) and unknown to
/// WeCom was never transferred, so it goes back to `Pending` to be asked (once) again; one WeCom had
/// accepted (`Waiting`) and then forgets failed.
pub fn next_state(state: HandoverState, outcome: TransferOutcome) -> Option<(HandoverState, Option<FailReason>)> {
    use HandoverState::*;
    match (state, outcome) {
        (Pending | Succeeded | Failed | Cancelled, _) => None,
        (_, TransferOutcome::Done) => Some((Succeeded, None)),
        (Requested, TransferOutcome::Waiting) => Some((Waiting, None)),
        (Waiting, TransferOutcome::Waiting) => None,
        (_, TransferOutcome::Failed(r)) => Some((Failed, Some(r))),
        (Requested, TransferOutcome::NoRecord) => Some((Pending, None)),
        (Waiting, TransferOutcome::NoRecord) => Some((Failed, Some(FailReason::NoRecord))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in HandoverState::ALL {
            assert_eq!(HandoverState::parse(s.as_str()), Some(s));
        }
        for r in FailReason::ALL {
            assert_eq!(FailReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn only_done_succeeds_and_an_unanswered_request_is_asked_again_only_when_wecom_never_saw_it() {
        use HandoverState::*;
        assert_eq!(next_state(Waiting, TransferOutcome::from_status(1)), Some((Succeeded, None)));
        assert_eq!(next_state(Requested, TransferOutcome::from_status(2)), Some((Waiting, None)));
        assert_eq!(next_state(Waiting, TransferOutcome::from_status(2)), None);
        assert_eq!(
            next_state(Waiting, TransferOutcome::from_status(3)),
            Some((Failed, Some(FailReason::CustomerRefused)))
        );
        assert_eq!(next_state(Waiting, TransferOutcome::from_status(4)), Some((Failed, Some(FailReason::QuotaFull))));
        assert_eq!(next_state(Requested, TransferOutcome::from_status(5)), Some((Pending, None)));
        assert_eq!(next_state(Waiting, TransferOutcome::NoRecord), Some((Failed, Some(FailReason::NoRecord))));
        assert_eq!(TransferOutcome::from_status(9), TransferOutcome::NoRecord);
        for outcome in [TransferOutcome::Done, TransferOutcome::Waiting, TransferOutcome::NoRecord] {
            assert_eq!(next_state(Pending, outcome), None, "not asked yet: nothing to read");
            assert_eq!(next_state(Succeeded, outcome), None);
            assert_eq!(next_state(Failed, outcome), None);
            assert_eq!(next_state(Cancelled, outcome), None);
        }
    }
}
