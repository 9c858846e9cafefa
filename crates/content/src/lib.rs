//! siyu's content library as pure rules: the vocabulary of items, personalisation variables, the
//! compliance lint and the maker-checker review state machine (issue 17; banking rules 4 and 5).
//!
//! One crate because it owns a language (the templates' variables, the lint's dodge-proof word
//! matching) and a state machine (review), the way `siyu-audience` owns expressions: no IO, no store,
//! no clock — time is an argument — so the app can call the same lint at save, submit, review and
//! send, and the rules are tested in microseconds.

pub mod link_token;
pub mod lint;
pub mod review;
pub mod variables;
pub mod vocabulary;

pub use lint::{Context, DISCLAIMER, Finding, Rule, RuleSet, WordClass, WordRule, lint, with_disclaimer};
pub use review::{
    Action, Actor, Item, Origin, ReviewError, Status, Version, VersionState, sendable, transition, variant_of,
};
pub use variables::{Template, TemplateError, Values, Variable, render};
pub use vocabulary::{AidaStage, Category, Channel, ItemKind};

/// The longest text an item, a template or a lint request may hold, in characters: a long article is
/// a few thousand; the bound is checked before any work so a pasted book costs nothing.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Whether `text` is over [`MAX_TEXT_CHARS`], answered without counting when the bytes already tell
/// (a character is at most four bytes) and counting at most one past the bound.
pub(crate) fn too_long(text: &str) -> bool {
    text.len() > MAX_TEXT_CHARS && (text.len() > 4 * MAX_TEXT_CHARS || text.chars().nth(MAX_TEXT_CHARS).is_some())
}
