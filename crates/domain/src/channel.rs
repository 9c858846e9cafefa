//! Channel QR codes (渠道活码): where a customer came from, who they are assigned to, and what they are
//! sent the moment they add their customer manager.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelCodeId, OrgUnitId, StaffId};
use crate::org::GeoPoint;

/// Where the code is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A poster or standee in a sub-branch.
    BranchPoster,
    /// The official account's menu.
    OfficialAccountMenu,
    /// A transaction notice.
    TransactionNotice,
    /// An event (salon, campaign day).
    Event,
}

impl ChannelKind {
    pub const ALL: [Self; 4] = [Self::BranchPoster, Self::OfficialAccountMenu, Self::TransactionNotice, Self::Event];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BranchPoster => "branch_poster",
            Self::OfficialAccountMenu => "official_account_menu",
            Self::TransactionNotice => "transaction_notice",
            Self::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who a customer who scans the code is assigned to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Assignment {
    /// Always this customer manager.
    Named { staff_id: StaffId },
    /// The sub-branch's customer managers in turn.
    RoundRobin { sub_branch_id: OrgUnitId },
    /// The sub-branch's customer manager with the fewest active customers.
    LeastLoad { sub_branch_id: OrgUnitId },
    /// The sub-branch nearest this point (a venue, a poster site), its managers in turn.
    Nearest { location: GeoPoint },
}

/// What a customer receives on adding: an item of the content library, never free text (banking
/// rule 5: staff and siyu send only reviewed material). Each add sends the item's version that is
/// published and unexpired at that moment — a text with its variables filled in, a link or an
/// article as a tracked link card, an image, a file or a mini-program card — and nothing when the
/// item has none (retired, expired, or its new version still in review).
///
/// Welcomes stored before the library (free text, a link card typed in) read as no welcome:
/// migration 0026 clears them, since nobody reviewed their words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    /// The library item (`cnt_…`) the welcome sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "cnt_3"))]
    pub item: Option<crate::ContentItemId>,
}

impl Welcome {
    pub fn is_empty(&self) -> bool {
        self.item.is_none()
    }
}

/// The `state` WeCom echoes in the add callback: a short typed prefix and the code's id, ≤ 30 characters,
/// so every add is attributed even when another app consumes the welcome code.
pub fn state_of(id: ChannelCodeId) -> String {
    format!("ch_{}", id.get())
}

/// The code a `state` names, if it is one of ours.
pub fn code_of_state(state: &str) -> Option<ChannelCodeId> {
    state.strip_prefix("ch_").and_then(|n| n.parse::<i64>().ok()).filter(|n| *n > 0).map(ChannelCodeId::new)
}

/// The next customer manager in turn after `last`, among `candidates` (sorted by id).
pub fn next_in_turn(candidates: &[StaffId], last: Option<StaffId>) -> Option<StaffId> {
    let first = *candidates.first()?;
    Some(last.and_then(|l| candidates.iter().copied().find(|c| *c > l)).unwrap_or(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_stays_short() {
        let id = ChannelCodeId::new(9_007_199_254);
        let s = state_of(id);
        assert!(s.len() <= 30);
        assert_eq!(code_of_state(&s), Some(id));
        assert_eq!(code_of_state("promo_1"), None);
        assert_eq!(code_of_state("ch_0"), None);
    }

    #[test]
    fn turns_wrap_around() {
        let c = [StaffId::new(3), StaffId::new(5), StaffId::new(9)];
        assert_eq!(next_in_turn(&c, None), Some(StaffId::new(3)));
        assert_eq!(next_in_turn(&c, Some(StaffId::new(5))), Some(StaffId::new(9)));
        assert_eq!(next_in_turn(&c, Some(StaffId::new(9))), Some(StaffId::new(3)));
        assert_eq!(next_in_turn(&[], None), None);
    }

    #[test]
    fn a_welcome_names_a_library_item_and_nothing_else() {
        let w: Welcome = serde_json::from_str(r#"{"item":"cnt_4"}"#).unwrap();
        assert_eq!(w.item, Some(crate::ContentItemId::new(4)));
        assert!(serde_json::from_str::<Welcome>(r#"{"text":"未经审核的话"}"#).is_err(), "free text is refused");
        assert!(serde_json::from_str::<Welcome>("{}").unwrap().is_empty());
    }

    #[test]
    fn assignment_reads_as_tagged_json() {
        let a: Assignment = serde_json::from_str(r#"{"mode":"round_robin","sub_branch_id":"org_4"}"#).unwrap();
        assert_eq!(a, Assignment::RoundRobin { sub_branch_id: OrgUnitId::new(4) });
    }
}
