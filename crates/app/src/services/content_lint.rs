//! The compliance lint as a service (issue 17, banking rule 4): any text checked against the rules
//! of `siyu-content` — its defaults and HQ compliance's own word list — for the console's "try the
//! lint" box and the bank's other systems; and that list read and replaced by compliance.
//!
//! The list is read from the store on every lint rather than cached in `AppState`: it is one small
//! query (at most `MAX_WORDS` rows), and with several servers on one PostgreSQL a cache would need
//! invalidation across them, where a read is never stale.

use serde::{Deserialize, Serialize};
use siyu_content::lint::{MAX_WORDS, RuleSet, WordClass, WordRule};
use siyu_content::{Context, MAX_TEXT_CHARS};
use siyu_domain::audit::AuditAction;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::{StaffId, Timestamp};
use siyu_store::NewComplianceWord;

use super::audit;
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// The most product ids one lint request may name.
pub const MAX_PRODUCT_IDS: usize = 20;

/// The most words an audit entry of a change lists by name; the counts are always whole.
const AUDIT_WORDS: usize = 20;

/// What to lint.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LintRequest {
    /// The text, at most 20,000 characters.
    pub text: String,
    /// Products the text speaks of (`prd_…`, at most 20), from the product catalogue; an id that is
    /// malformed or not in it is refused as `unknown_product`, naming it.
    #[serde(default)]
    pub product_ids: Vec<String>,
}

/// One finding, its message still a catalogue text (the web puts it into the reader's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    /// The rule's stable code (`guaranteed_return`, `superlative`, `listed_word`, …).
    pub rule: &'static str,
    /// Character offsets into the text as sent, `end` exclusive.
    pub start: usize,
    pub end: usize,
    pub message: Text,
    pub blocking: bool,
}

/// One word of HQ's list as compliance sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleWord {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20))]
    pub word: String,
    /// `guaranteed`, `superlative` or `listed`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(guaranteed|superlative|listed)$"))]
    pub class: String,
    /// A blocking finding stops approval without an override reason; otherwise it is a warning.
    pub blocking: bool,
    /// Characters that, right after the word, make it ordinary.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub unless_followed_by: String,
}

/// HQ's list as compliance sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RulesForm {
    /// The whole list; a word left out is removed.
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub words: Vec<RuleWord>,
}

/// A word of HQ's list with who changed it last and when.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedWord {
    #[serde(flatten)]
    pub word: RuleWord,
    pub changed_by: Option<StaffId>,
    /// Their login name, when they are still known.
    pub changed_by_login: Option<String>,
    pub changed_at: Timestamp,
}

/// The rules the lint applies: the defaults (not editable: rule 4's floor) and HQ's own list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rules {
    pub defaults: Vec<RuleWord>,
    pub listed: Vec<ListedWord>,
}

fn class_code(c: WordClass) -> &'static str {
    match c {
        WordClass::Guaranteed => "guaranteed",
        WordClass::Superlative => "superlative",
        WordClass::Listed => "listed",
    }
}

fn parse_class(s: &str) -> Option<WordClass> {
    [WordClass::Guaranteed, WordClass::Superlative, WordClass::Listed].into_iter().find(|c| class_code(*c) == s)
}

fn view(w: &WordRule) -> RuleWord {
    RuleWord {
        word: w.word.clone(),
        class: class_code(w.class).to_owned(),
        blocking: w.blocking,
        unless_followed_by: w.unless_followed_by.clone(),
    }
}

fn to_rule(w: &RuleWord) -> ServiceResult<WordRule> {
    let class = parse_class(&w.class).ok_or_else(|| {
        ServiceError::invalid("bad_word_class", Text::new("rules.bad_class").arg("class", &w.class).with_values_cut(40))
    })?;
    Ok(WordRule {
        word: w.word.trim().to_owned(),
        class,
        blocking: w.blocking,
        unless_followed_by: w.unless_followed_by.clone(),
    })
}

/// The defaults followed by HQ's words, checked as one list (so a word of HQ's that the defaults
/// already hold, however written, is a duplicate).
fn rule_set(listed: Vec<WordRule>) -> ServiceResult<RuleSet> {
    let mut words = RuleSet::default().words().to_vec();
    let defaults = words.len();
    words.extend(listed);
    RuleSet::new(words).map_err(|e| {
        if let siyu_content::lint::RuleSetError::TooMany { .. } = e {
            // The bound the author sees is that of their own list.
            let max = MAX_WORDS - defaults;
            return ServiceError::invalid(e.code(), Text::new("rules.too_many").arg("max", max));
        }
        ServiceError::invalid(e.code(), e.text())
    })
}

/// HQ's list as stored, as the lint's words.
async fn listed(state: &AppState) -> ServiceResult<Vec<WordRule>> {
    let rows = state.store.compliance_words().await?;
    rows.iter()
        .map(|r| {
            let class = parse_class(&r.word.class)
                .ok_or_else(|| ServiceError::Internal(format!("compliance word class {}", r.word.class)))?;
            Ok(WordRule {
                word: r.word.word.clone(),
                class,
                blocking: r.word.blocking,
                unless_followed_by: r.word.unless_followed_by.clone(),
            })
        })
        .collect()
}

/// Lints `text`. The bounds are checked before anything is read: the text's length (counting at most
/// one character past it), the number of product ids; then each id is looked up in the catalogue. The
/// products found decide the rest: a wealth or fund product asks for the disclaimer, an ungraded one
/// is a `product_ungraded` finding.
pub async fn lint(
    state: &AppState,
    caller: &Caller,
    text: &str,
    product_ids: &[String],
) -> ServiceResult<Vec<LintFinding>> {
    caller.require(Permission::LintContent)?;
    if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(ServiceError::invalid("text_too_long", Text::new("lint.text_too_long").arg("max", MAX_TEXT_CHARS)));
    }
    let products: Vec<_> = super::content::products_of(state, product_ids).await?.into_iter().map(|(_, p)| p).collect();
    let rules = rule_set_now(state).await?;
    let ctx = Context { products: &products, category: None, rules: &rules };
    Ok(lint_view(&siyu_content::lint(text, &ctx)))
}

/// HQ's list as the lint applies it now, with the defaults.
pub(crate) async fn rule_set_now(state: &AppState) -> ServiceResult<RuleSet> {
    rule_set(listed(state).await?)
}

/// The lint's findings as the services return them.
pub(crate) fn lint_view(findings: &[siyu_content::Finding]) -> Vec<LintFinding> {
    findings
        .iter()
        .map(|f| LintFinding {
            rule: f.rule.code(),
            start: f.start,
            end: f.end,
            message: f.message.clone(),
            blocking: f.blocking,
        })
        .collect()
}

/// The rules the lint applies now.
pub async fn rules(state: &AppState, caller: &Caller) -> ServiceResult<Rules> {
    caller.require(Permission::LintContent)?;
    let rows = state.store.compliance_words().await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let login = match r.changed_by {
            Some(id) => state.store.staff(id).await.ok().map(|s| s.username),
            None => None,
        };
        out.push(ListedWord {
            word: RuleWord {
                word: r.word.word,
                class: r.word.class,
                blocking: r.word.blocking,
                unless_followed_by: r.word.unless_followed_by,
            },
            changed_by: r.changed_by,
            changed_by_login: login,
            changed_at: r.changed_at,
        });
    }
    Ok(Rules { defaults: RuleSet::default().words().iter().map(view).collect(), listed: out })
}

/// Replaces HQ's list with `words`, checked by the lint's own rules (bounds, duplicates, with the
/// defaults too), and audited with what was added, removed and changed in the same transaction.
pub async fn set_rules(state: &AppState, caller: &Caller, words: &[RuleWord]) -> ServiceResult<Rules> {
    caller.require(Permission::ManageComplianceRules)?;
    if words.len() > MAX_WORDS {
        return Err(ServiceError::invalid("too_many_words", Text::new("rules.too_many").arg("max", MAX_WORDS)));
    }
    let new: Vec<WordRule> = words.iter().map(to_rule).collect::<ServiceResult<_>>()?;
    rule_set(new.clone())?;
    let old = listed(state).await?;
    let added: Vec<&WordRule> = new.iter().filter(|n| !old.iter().any(|o| o.word == n.word)).collect();
    let removed: Vec<&WordRule> = old.iter().filter(|o| !new.iter().any(|n| n.word == o.word)).collect();
    let changed: Vec<&WordRule> = new.iter().filter(|n| old.iter().any(|o| o.word == n.word && o != *n)).collect();
    let names = added
        .iter()
        .map(|w| format!("+{}", w.word))
        .chain(removed.iter().map(|w| format!("-{}", w.word)))
        .chain(changed.iter().map(|w| format!("~{}", w.word)))
        .take(AUDIT_WORDS)
        .collect::<Vec<_>>()
        .join(" ");
    let detail = Text::new("audit.compliance_rules_changed")
        .arg("added", added.len())
        .arg("removed", removed.len())
        .arg("changed", changed.len())
        .arg("words", names);
    let entry = audit::entry(
        state,
        caller,
        AuditAction::ComplianceRulesChanged,
        "compliance_rules",
        &crate::stored_text::encode(&detail),
    );
    let rows: Vec<NewComplianceWord> = new
        .iter()
        .map(|w| NewComplianceWord {
            word: w.word.clone(),
            class: class_code(w.class).to_owned(),
            blocking: w.blocking,
            unless_followed_by: w.unless_followed_by.clone(),
        })
        .collect();
    let by = caller.staff.as_ref().map(|s| s.id);
    state.store.set_compliance_words(&rows, by, state.clock.now(), &entry).await?;
    rules(state, caller).await
}
