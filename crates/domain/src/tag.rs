//! Tags: what the bank knows about a customer in words an operator chooses (代发, 有房贷, 关注教育金).

use serde::{Deserialize, Serialize};

/// Where a tag's assignments come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TagKind {
    /// Set by HQ or by the customer's own manager.
    Manual,
    /// Set from the bank's data files.
    Imported,
    /// Computed from an audience expression, recomputed when its inputs change and on a schedule.
    Rule,
    /// Written by later modules: content interest, game answers.
    Behavioural,
}

impl TagKind {
    pub const ALL: [Self; 4] = [Self::Manual, Self::Imported, Self::Rule, Self::Behavioural];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Imported => "imported",
            Self::Rule => "rule",
            Self::Behavioural => "behavioural",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A tag or group name: 1–30 characters (WeCom's limit for corp tags), no control characters.
pub fn valid_tag_name(name: &str) -> bool {
    let n = name.trim().chars().count();
    (1..=30).contains(&n) && !name.chars().any(char::is_control)
}
