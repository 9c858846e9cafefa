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
                   most 20,000 characters (`text_too_long`). `product_ids` names products of the catalogue \
                   (GET /api/v1/products), at most 20 (`too_many_products`); an id that is malformed or not in \
                   the catalogue is refused as `unknown_product`, naming it. A wealth or fund product asks for \
                   the disclaimer (`disclaimer_missing`); a product without a risk grade is `product_ungraded`.",
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

#[utoipa::path(
    post,
    path = "/content/links",
    tag = "content",
    summary = "A tracked link (雷达链接) for a send: signed for one customer, or for the caller's Moments or group",
    description = "Give `customer_id` for a one-to-one send (the customer must be in the caller's data scope: \
                   another manager's customer is not found), or `channel` `moments` or `group` for a shared \
                   link whose openers are anonymous until they open a link of their own. The link names the \
                   calling staff member and works for 90 days; `path` goes after the bank's public origin. \
                   Opening it records a `link_opened` timeline entry for the customer. A request naming both \
                   or neither is refused as `bad_recipient`; an API token (no staff member) as `staff_only`.",
    request_body = siyu_app::services::links::LinkRequest,
    responses(
        (status = 200, description = "The link", body = siyu_app::services::links::IssuedLink),
        (status = 404, description = "No such version, or the customer is not in your data scope", body = crate::error::ErrorBody)
    )
)]
pub async fn issue_link(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(req): ApiJson<siyu_app::services::links::LinkRequest>,
) -> ApiResult<Json<siyu_app::services::links::IssuedLink>> {
    Ok(Json(siyu_app::services::links::issue(&state, &c, &req).await?))
}

#[utoipa::path(
    get,
    path = "/content/versions/{id}/link-stats",
    tag = "content",
    summary = "A version's figures from its tracked links: opens, unique openers, forwards, read time",
    description = "Unique openers count a customer once however many browsers they opened from (an anonymous \
                   visitor matched to them later included), and each unmatched browser once.",
    params(("id" = siyu_domain::ContentVersionId, Path, description = "The item version (`cvr_…`)")),
    responses((status = 200, description = "The figures", body = siyu_app::records::LinkStats))
)]
pub async fn link_stats(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    super::extract::ApiPath(id): super::extract::ApiPath<siyu_domain::ContentVersionId>,
) -> ApiResult<Json<siyu_app::records::LinkStats>> {
    Ok(Json(siyu_app::services::links::stats(&state, &c, id).await?))
}

#[utoipa::path(
    get,
    path = "/content/items/{id}/figures",
    tag = "content",
    summary = "An item's figures: per version sends, senders, opens, unique openers, forwards, read time and \
               interest tags given; the last 14 days of sends and opens; how many of your managers sent it",
    description = "A send is a tracked link issued for a customer, Moments or a group (what WeCom tells siyu \
                   of a manager's chats is nothing). The managers are the caller's: a customer manager counts \
                   themselves, a branch the managers under it, HQ all.",
    params(("id" = siyu_domain::ContentItemId, Path, description = "The item (`cnt_…`)")),
    responses((status = 200, description = "The figures", body = siyu_app::services::content_stats::ItemFigures))
)]
pub async fn item_figures(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    super::extract::ApiPath(id): super::extract::ApiPath<siyu_domain::ContentItemId>,
) -> ApiResult<Json<siyu_app::services::content_stats::ItemFigures>> {
    Ok(Json(siyu_app::services::content_stats::figures(&state, &c, id).await?))
}

#[utoipa::path(
    get,
    path = "/content/items/{id}/senders",
    tag = "content",
    summary = "Your customer managers, each with their sends of the item and the opens of their links \
               (zeros included: who does not send is the point)",
    params(("id" = siyu_domain::ContentItemId, Path, description = "The item (`cnt_…`)")),
    responses((status = 200, description = "A page of managers", body = siyu_app::records::Paged<siyu_app::services::content_stats::SenderRow>))
)]
pub async fn item_senders(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    super::extract::ApiPath(id): super::extract::ApiPath<siyu_domain::ContentItemId>,
    super::extract::ApiQuery(p): super::extract::ApiQuery<super::Paging>,
) -> ApiResult<Json<siyu_app::records::Paged<siyu_app::services::content_stats::SenderRow>>> {
    Ok(Json(siyu_app::services::content_stats::senders(&state, &c, id, p.page()).await?))
}

/// What a manager looks for in the script library; an empty value is "any" (the endpoint table
/// refuses a value that names nothing before this is read).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ScriptsQuery {
    pub category: Option<String>,
    pub stage: Option<String>,
    pub product: Option<String>,
    pub q: Option<String>,
}

impl ScriptsQuery {
    pub fn query(&self) -> siyu_app::services::scripts::ScriptQuery {
        let code = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        siyu_app::services::scripts::ScriptQuery {
            category: code(&self.category).and_then(|c| siyu_content::Category::parse(&c)),
            stage: code(&self.stage).and_then(|c| siyu_content::AidaStage::parse(&c)),
            product: code(&self.product).and_then(|c| c.parse().ok()),
            q: code(&self.q),
        }
    }
}

#[utoipa::path(
    get,
    path = "/scripts",
    tag = "content",
    summary = "The script library (话术): published one-to-one text items, their variables filled in for you",
    description = "Found by scenario (`category`, `stage`), `product` and words (`q`); each with how many \
                   times you used it. Only a published, unexpired version is ever shown. Staff only \
                   (`staff_only` for an API token: the words are personalised for a manager).",
    responses((status = 200, description = "A page of scripts", body = siyu_app::records::Paged<siyu_app::services::scripts::Script>))
)]
pub async fn scripts(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    super::extract::ApiQuery(q): super::extract::ApiQuery<ScriptsQuery>,
    super::extract::ApiQuery(p): super::extract::ApiQuery<super::Paging>,
) -> ApiResult<Json<siyu_app::records::Paged<siyu_app::services::scripts::Script>>> {
    Ok(Json(siyu_app::services::scripts::search(&state, &c, &q.query(), p.page()).await?))
}

#[utoipa::path(
    post,
    path = "/scripts/{id}/used",
    tag = "content",
    summary = "You copied a script into a chat: one use, counted as your send of the item",
    params(("id" = siyu_domain::ContentItemId, Path, description = "The script's item (`cnt_…`)")),
    responses((status = 204, description = "Counted"))
)]
pub async fn script_used(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    super::extract::ApiPath(id): super::extract::ApiPath<siyu_domain::ContentItemId>,
) -> ApiResult<axum::http::StatusCode> {
    siyu_app::services::scripts::used(&state, &c, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
