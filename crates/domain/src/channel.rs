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

/// A link card in a welcome message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkCard {
    pub title: String,
    pub url: String,
    #[serde(default)]
    pub desc: String,
    #[serde(default)]
    pub picurl: String,
}

/// What the customer receives on adding: text, plus a link, an image or a mini-program.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Welcome {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkCard>,
    /// An image by URL (from WeCom's image upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// A mini-program page: appid, page, title and its cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<MiniProgram>,
}

/// A mini-program card. Its cover is an image uploaded to the content library (`cover`), which
/// outbound puts on WeCom and names by the copy's current `media_id` at each send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MiniProgram {
    pub appid: String,
    pub page: String,
    pub title: String,
    /// The cover, an uploaded PNG or JPEG (`med_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "med_3"))]
    pub cover: Option<crate::MediaId>,
    /// Legacy: a WeCom `media_id` typed in before covers were uploads. Welcomes stored then still read
    /// and send it as they did (it lapses after WeCom's three days, as it always did); a cover, when
    /// given, wins. New welcomes give `cover`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pic_media_id: String,
}

impl Welcome {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.link.is_none() && self.image_url.is_none() && self.miniprogram.is_none()
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
    fn a_welcome_stored_before_covers_were_uploads_still_reads() {
        let old: Welcome = serde_json::from_str(
            r#"{"text":"hi","miniprogram":{"appid":"wx1","page":"p","title":"t","pic_media_id":"3abc"}}"#,
        )
        .unwrap();
        let m = old.miniprogram.unwrap();
        assert_eq!((m.cover, m.pic_media_id.as_str()), (None, "3abc"));
        let new: Welcome =
            serde_json::from_str(r#"{"text":"","miniprogram":{"appid":"wx1","page":"p","title":"t","cover":"med_4"}}"#)
                .unwrap();
        assert_eq!(new.miniprogram.unwrap().cover, Some(crate::MediaId::new(4)));
    }

    #[test]
    fn assignment_reads_as_tagged_json() {
        let a: Assignment = serde_json::from_str(r#"{"mode":"round_robin","sub_branch_id":"org_4"}"#).unwrap();
        assert_eq!(a, Assignment::RoundRobin { sub_branch_id: OrgUnitId::new(4) });
    }
}
