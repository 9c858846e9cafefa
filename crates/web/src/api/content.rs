//! Content endpoints: the compliance lint for any text (the bank's other systems lint their own copy
//! through it) and HQ compliance's word list it applies.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::extract::ApiJson;
use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;
use siyu_app::services::content_lint::{self, LintRequest, Rules, RulesForm};
use siyu_app::state::AppState;

/// One finding of the lint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    /// The rule's stable code: `guaranteed_return`, `expected_yield`, `yield_figure`, `superlative`,
    /// `listed_word`, `disclaimer_missing`, `product_ungraded`.
    pub rule: String,
    /// The first character the finding is about, counted in characters (Unicode scalar values) of the
    /// text as sent, not bytes.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// For people, in the request's language.
    pub message: String,
    /// Whether it stops approval without an override reason; otherwise a warning.
    pub blocking: bool,
}

/// The lint's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LintAnswer {
    pub findings: Vec<FindingView>,
}

#[utoipa::path(
    post,
    path = "/content/lint",
    tag = "content",
    summary = "Check a text against the compliance rules (forbidden claims, superlatives, HQ's word list)",
    description = "Words are found however they are dodged: spaces or punctuation inside, full-width letters \
                   and digits, traditional characters, pinyin initials. Offsets are characters. The text is at \
                   most 20,000 characters (`text_too_long`). `product_ids` names catalogue products, at most 20 \
                   (`too_many_products`); an id not in the catalogue is `unknown_product`. A wealth or fund \
                   product asks for the risk disclaimer, a product without a risk grade is a finding.",
    request_body = LintRequest,
    responses((status = 200, description = "The findings, by where they start", body = LintAnswer))
)]
pub async fn lint(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(req): ApiJson<LintRequest>,
) -> ApiResult<Json<LintAnswer>> {
    let lang = crate::error::request_lang();
    let findings = content_lint::lint(&state, &c, &req.text, &req.product_ids).await?;
    let findings = findings
        .into_iter()
        .map(|f| FindingView {
            rule: f.rule.to_owned(),
            start: f.start,
            end: f.end,
            message: f.message.render(lang),
            blocking: f.blocking,
        })
        .collect();
    Ok(Json(LintAnswer { findings }))
}

#[utoipa::path(
    get,
    path = "/compliance/rules",
    tag = "content",
    summary = "The lint's words: the defaults (fixed) and HQ compliance's own list, with who changed each",
    responses((status = 200, description = "The rules", body = Rules))
)]
pub async fn rules(State(state): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<Json<Rules>> {
    Ok(Json(content_lint::rules(&state, &c).await?))
}

#[utoipa::path(
    put,
    path = "/compliance/rules",
    tag = "content",
    summary = "Replace HQ compliance's own word list (audited: words added, removed, changed)",
    description = "At most 500 words with the defaults, each at most 20 characters, none twice as the lint \
                   compares words (so 穩賺 repeats 稳赚): `too_many_words`, `word_too_long`, `empty_word`, \
                   `duplicate_word`, `bad_word_class`.",
    request_body = RulesForm,
    responses((status = 200, description = "The rules as changed", body = Rules))
)]
pub async fn set_rules(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(form): ApiJson<RulesForm>,
) -> ApiResult<Json<Rules>> {
    Ok(Json(content_lint::set_rules(&state, &c, &form.words).await?))
}
