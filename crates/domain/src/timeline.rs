//! The customer timeline: what happened to a customer, as events with a kind every module shares.
//!
//! Each event is one row of the store's customer event log, written in the same transaction as the
//! change it describes. The 360° profile shows them; audience expressions count them
//! (`event("tag_added") >= 2 within 30d`); journeys (a later module) will read them in id order as
//! triggers. Kinds later modules will write are named here already so expressions and stored events
//! share one vocabulary; nothing writes them until their module exists.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    TagAdded,
    TagRemoved,
    /// The customer added their manager on WeCom.
    WecomAdded,
    /// The customer deleted their manager, or the manager deleted them.
    WecomDeleted,
    /// The customer came into a saved audience at its refresh.
    AudienceEntered,
    /// The customer left a saved audience at its refresh.
    AudienceExited,
    // Written by later modules.
    MessageSent,
    LinkOpened,
    GameAnswered,
    LeadCreated,
    BusinessEvent,
}

impl EventKind {
    pub const ALL: [Self; 11] = [
        Self::TagAdded,
        Self::TagRemoved,
        Self::WecomAdded,
        Self::WecomDeleted,
        Self::AudienceEntered,
        Self::AudienceExited,
        Self::MessageSent,
        Self::LinkOpened,
        Self::GameAnswered,
        Self::LeadCreated,
        Self::BusinessEvent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TagAdded => "tag_added",
            Self::TagRemoved => "tag_removed",
            Self::WecomAdded => "wecom_added",
            Self::WecomDeleted => "wecom_deleted",
            Self::AudienceEntered => "audience_entered",
            Self::AudienceExited => "audience_exited",
            Self::MessageSent => "message_sent",
            Self::LinkOpened => "link_opened",
            Self::GameAnswered => "game_answered",
            Self::LeadCreated => "lead_created",
            Self::BusinessEvent => "business_event",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the console names the kind, in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::TagAdded => "打标签",
            Self::TagRemoved => "移除标签",
            Self::WecomAdded => "添加企微",
            Self::WecomDeleted => "删除企微",
            Self::AudienceEntered => "进入客群",
            Self::AudienceExited => "退出客群",
            Self::MessageSent => "发送消息",
            Self::LinkOpened => "打开链接",
            Self::GameAnswered => "参与答题",
            Self::LeadCreated => "产生商机",
            Self::BusinessEvent => "业务事件",
        }
    }

    /// How the console names the kind, in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::TagAdded => "Tag added",
            Self::TagRemoved => "Tag removed",
            Self::WecomAdded => "Added on WeCom",
            Self::WecomDeleted => "Deleted on WeCom",
            Self::AudienceEntered => "Entered audience",
            Self::AudienceExited => "Left audience",
            Self::MessageSent => "Message sent",
            Self::LinkOpened => "Link opened",
            Self::GameAnswered => "Game answered",
            Self::LeadCreated => "Lead created",
            Self::BusinessEvent => "Business event",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        assert_eq!(EventKind::parse("tag"), None);
    }
}
