//! Audience pages: the saved audiences, the builder (an expression with a live count and a masked
//! sample as the operator types), and one audience with its members, charts and exports.

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::Audience;
use siyu_domain::AudienceId;
use siyu_domain::audience::Attr;
use siyu_domain::scope::Permission;
use siyu_domain::timeline::EventKind;

use super::customers::{ChartBar, CustomerView, Names, bars};
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::api::Paging;
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;
use siyu_app::services::{audiences, export, org, tags};
use siyu_app::state::AppState;

/// A saved audience as a row.
#[derive(Debug, Clone)]
pub struct AudienceRow {
    pub id: AudienceId,
    pub name: String,
    pub expr: String,
    pub description: String,
    pub visible: u64,
    pub total: i64,
    pub refreshed: String,
}

fn row(a: &Audience, visible: u64) -> AudienceRow {
    AudienceRow {
        id: a.id,
        name: a.name.clone(),
        expr: a.expr.clone(),
        description: a.description.clone(),
        visible,
        total: a.member_count,
        refreshed: a.refreshed_at.map(show_time).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "audiences/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<AudienceRow>,
    can_manage: bool,
}

pub async fn list(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/audiences");
    let all = match audiences::list(&state, &user.0).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let rows = all.iter().map(|(a, n)| row(a, *n)).collect();
    render(&ListPage { ctx, rows, can_manage: user.0.actor.can(Permission::ManageAudiences) })
}

/// A word the builder inserts when clicked.
#[derive(Debug, Clone)]
pub struct Chip {
    pub label: String,
    pub insert: String,
}

/// Chips of one tag group.
#[derive(Debug, Clone)]
pub struct ChipGroup {
    pub name: String,
    pub chips: Vec<Chip>,
}

/// The builder's form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AudienceInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub expr: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Template)]
#[template(path = "audiences/form.html")]
struct FormPage {
    ctx: PageCtx,
    /// `None` for a new audience.
    id: Option<AudienceId>,
    form: AudienceInput,
    can_save: bool,
    pickers: Vec<Picker>,
    words: BuilderWords,
    tag_groups: Vec<ChipGroup>,
    saved: Vec<Chip>,
    events: Vec<Chip>,
    error: Option<String>,
}

/// One attribute in the click builder: the word inserted for it, the comparisons it takes, and its
/// values to pick from (or a number range to type in).
#[derive(Debug, Clone)]
pub struct Picker {
    /// The attribute's canonical name (the picker's key).
    pub attr: &'static str,
    pub label: String,
    /// What is inserted for the attribute, in the viewer's language (`风险等级` / `risk_grade`).
    pub word: String,
    /// Comparisons, as inserted (`=`, `>=`, `in` for several values, `between` for a range) and shown.
    pub ops: Vec<Chip>,
    /// Values to pick, as inserted and as shown; empty for a typed number.
    pub values: Vec<Chip>,
    /// Bounds of a typed number.
    pub min: i64,
    pub max: i64,
}

/// The connective words the builder inserts, in the viewer's language.
#[derive(Debug, Clone)]
pub struct BuilderWords {
    pub and: &'static str,
    pub or: &'static str,
    pub not: &'static str,
    pub is_in: &'static str,
    pub between: &'static str,
    pub between_and: &'static str,
    pub tag: &'static str,
    pub audience: &'static str,
    pub event: &'static str,
    pub within_30_days: &'static str,
}

fn builder_words(en: bool) -> BuilderWords {
    if en {
        BuilderWords {
            and: "and",
            or: "or",
            not: "not",
            is_in: "in",
            between: "between",
            between_and: "and",
            tag: "tag",
            audience: "audience",
            event: "event",
            within_30_days: "within 30d",
        }
    } else {
        BuilderWords {
            and: "且",
            or: "或",
            not: "非",
            is_in: "属于",
            between: "介于",
            between_and: "和",
            tag: "标签",
            audience: "客群",
            event: "事件",
            within_30_days: "近 30 天",
        }
    }
}

/// The builder's row for each attribute, with values as the console shows them: risk grades C1–C5,
/// tiers and genders by name, the caller's own sub-branches by name.
fn pickers(tr: super::i18n::Tr, sub_branches: &[siyu_domain::org::OrgUnit]) -> Vec<Picker> {
    use siyu_domain::audience::{AttrType, words::chinese_for};
    use siyu_domain::customer::AumTier;
    let en = tr.is_en();
    let op = |o: &str, key: &str| Chip { insert: o.to_owned(), label: tr.t(key).to_owned() };
    let chip = |insert: String, label: String| Chip { label, insert };
    let word = |w: &'static str| if en { w } else { chinese_for(w).unwrap_or(w) };
    Attr::ALL
        .iter()
        .map(|a| {
            let (ops, values) = match (a, a.kind()) {
                (Attr::RiskGrade, _) => (
                    vec![
                        op(">=", "aud.op.ge"),
                        op("<=", "aud.op.le"),
                        op("=", "aud.op.eq"),
                        op("!=", "aud.op.ne"),
                        op("in", "aud.op.in"),
                    ],
                    (1..=5).map(|g| chip(format!("C{g}"), format!("C{g}"))).collect(),
                ),
                (Attr::AumTier, _) => (
                    vec![
                        op(">=", "aud.op.ge"),
                        op("<=", "aud.op.le"),
                        op("=", "aud.op.eq"),
                        op("!=", "aud.op.ne"),
                        op("in", "aud.op.in"),
                    ],
                    (1..=5u8)
                        .filter_map(AumTier::new)
                        .map(|t| chip(if en { t.name_en() } else { t.name_zh() }.to_owned(), tr.tier(t).to_owned()))
                        .collect(),
                ),
                (_, AttrType::Int { .. }) => (
                    vec![
                        op("between", "aud.op.between"),
                        op(">=", "aud.op.ge"),
                        op("<=", "aud.op.le"),
                        op("=", "aud.op.eq"),
                    ],
                    Vec::new(),
                ),
                (Attr::Gender, _) => (
                    vec![op("=", "aud.op.eq"), op("!=", "aud.op.ne")],
                    [("female", "gender.female"), ("male", "gender.male")]
                        .into_iter()
                        .map(|(g, key)| chip(word(g).to_owned(), tr.t(key).to_owned()))
                        .collect(),
                ),
                (_, AttrType::Text) => (
                    vec![op("=", "aud.op.eq"), op("!=", "aud.op.ne"), op("in", "aud.op.in")],
                    sub_branches.iter().map(|u| chip(quoted(&u.name), u.name.clone())).collect(),
                ),
                (_, AttrType::Bool) => (
                    vec![op("=", "aud.op.eq")],
                    [(true, "common.yes"), (false, "common.no")]
                        .into_iter()
                        .map(|(b, key)| chip(word(if b { "true" } else { "false" }).to_owned(), tr.t(key).to_owned()))
                        .collect(),
                ),
            };
            let (min, max) = match a.kind() {
                AttrType::Int { min, max } => (min, max),
                _ => (0, 0),
            };
            Picker {
                attr: a.name(),
                label: tr.t(&format!("attr.{}", a.name())).into(),
                word: word(a.name()).to_owned(),
                ops,
                values,
                min,
                max,
            }
        })
        .collect()
}

/// `s` as a quoted literal of the expression language.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

async fn form_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    id: Option<AudienceId>,
    form: AudienceInput,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/audiences");
    if let Err(e) = user.0.require(Permission::ReadAudiences) {
        return error_page(ctx, e);
    }
    // The picker offers the sub-branches the caller may see; a caller who may read no customers gets
    // none to pick (and can still type one).
    let units = org::sub_branches_in_scope(state, &user.0).await.unwrap_or_default();
    let pickers = pickers(ctx.tr, &units);
    let words = builder_words(ctx.tr.is_en());
    let mut tag_groups: Vec<ChipGroup> = Vec::new();
    for (t, n) in tags::list(state, &user.0).await.unwrap_or_default() {
        let chip = Chip { label: format!("{} ({n})", t.name), insert: format!("{}({})", words.tag, quoted(&t.name)) };
        match tag_groups.iter_mut().find(|g| g.name == t.group_name) {
            Some(g) => g.chips.push(chip),
            None => tag_groups.push(ChipGroup { name: t.group_name.clone(), chips: vec![chip] }),
        }
    }
    let saved = audiences::list(state, &user.0)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|(a, _)| Some(a.id) != id)
        .map(|(a, _)| Chip { label: a.name.clone(), insert: format!("{}(\"{}\")", words.audience, a.id) })
        .collect();
    let events = EventKind::ALL
        .iter()
        .map(|k| Chip {
            label: if ctx.tr.is_en() { k.label_en() } else { k.label_zh() }.into(),
            insert: format!("{}(\"{}\") >= 1 {}", words.event, k.as_str(), words.within_30_days),
        })
        .collect();
    let can_save = user.0.actor.can(Permission::ManageAudiences);
    render(&FormPage { ctx, id, form, can_save, pickers, words, tag_groups, saved, events, error })
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    expr: Option<String>,
}

pub async fn new_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<NewQuery>,
) -> Response {
    let form = AudienceInput { expr: q.expr.unwrap_or_default(), ..Default::default() };
    form_page(&state, &user, &headers, None, form, None).await
}

fn service_form(f: &AudienceInput) -> audiences::AudienceForm {
    audiences::AudienceForm { name: f.name.clone(), expr: f.expr.clone(), description: f.description.clone() }
}

fn shows_on_form(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Invalid { .. } | ServiceError::BadExpression { .. } | ServiceError::Conflict(_))
}

pub async fn create(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(f): Form<AudienceInput>,
) -> Response {
    match audiences::create(&state, &user.0, &service_form(&f)).await {
        Ok(a) => Redirect::to(&format!("/audiences/{}", a.id)).into_response(),
        Err(e) if shows_on_form(&e) => {
            form_page(&state, &user, &headers, None, f, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/audiences"), e),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<AudienceId>,
) -> Response {
    match audiences::get(&state, &user.0, id).await {
        Ok((a, _)) => {
            let form = AudienceInput { name: a.name, expr: a.expr, description: a.description };
            form_page(&state, &user, &headers, Some(id), form, None).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/audiences"), e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<AudienceId>,
    Form(f): Form<AudienceInput>,
) -> Response {
    match audiences::update(&state, &user.0, id, &service_form(&f)).await {
        Ok(a) => Redirect::to(&format!("/audiences/{}", a.id)).into_response(),
        Err(e) if shows_on_form(&e) => {
            form_page(&state, &user, &headers, Some(id), f, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/audiences"), e),
    }
}

#[derive(Template)]
#[template(path = "audiences/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    a: AudienceRow,
    members: Vec<CustomerView>,
    pager: Pager,
    tier_bars: Vec<ChartBar>,
    risk_bars: Vec<ChartBar>,
    can_manage: bool,
    can_export: bool,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    entered: Option<u64>,
    exited: Option<u64>,
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<AudienceId>,
    Query(p): Query<Paging>,
    Query(q): Query<DetailQuery>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/audiences");
    let (a, visible) = match audiences::get(&state, &user.0, id).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let page = p.page();
    let members = match audiences::members(&state, &user.0, id, page).await {
        Ok(m) => m,
        Err(e) => return error_page(ctx, e),
    };
    let names = match Names::load(&state, &user.0, members.items.iter().filter_map(|c| c.owner_id)).await {
        Ok(n) => n,
        Err(e) => return error_page(ctx, e),
    };
    let today = state.clock.now().bank_date();
    let views = members.items.iter().map(|c| names.view(ctx.tr, c, today)).collect();
    let (by_tier, by_risk) = match tokio::try_join!(
        audiences::split_by(&state, &user.0, id, Attr::AumTier),
        audiences::split_by(&state, &user.0, id, Attr::RiskGrade)
    ) {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let tier = |v: i64| siyu_domain::customer::AumTier::new(u8::try_from(v).unwrap_or(1)).map(|t| ctx.tr.tier(t));
    let tier_bars = bars(
        by_tier.into_iter().map(|(v, n)| (tier(v).unwrap_or("?").to_owned(), i64::try_from(n).unwrap_or(0))).collect(),
    );
    let risk_bars = bars(by_risk.into_iter().map(|(v, n)| (format!("C{v}"), i64::try_from(n).unwrap_or(0))).collect());
    let notice = match (q.entered, q.exited) {
        (Some(i), Some(o)) => {
            Some(ctx.tr.t("aud.refreshed_ok").replace("{in}", &i.to_string()).replace("{out}", &o.to_string()))
        }
        _ => None,
    };
    let pager = Pager::new(&format!("/audiences/{id}"), &query_without_page(raw.as_deref()), page, members.total);
    render(&DetailPage {
        a: row(&a, visible),
        members: views,
        pager,
        tier_bars,
        risk_bars,
        can_manage: user.0.actor.can(Permission::ManageAudiences),
        can_export: user.0.actor.can(Permission::ExportCustomers),
        notice,
        ctx,
    })
}

pub async fn refresh(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<AudienceId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/audiences");
    match audiences::refresh_now(&state, &user.0, id).await {
        Ok(c) => Redirect::to(&format!("/audiences/{id}?entered={}&exited={}", c.entered, c.exited)).into_response(),
        Err(e) => error_page(ctx, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<export::Format>,
}

pub async fn export(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<AudienceId>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let format = q.format.unwrap_or(export::Format::Csv);
    match export::audience(&state, &user.0, id, format, super::imports::file_lang(&headers)).await {
        Ok(d) => crate::api::download(d),
        Err(e) => error_page(PageCtx::new(&user, &headers, "/audiences"), e),
    }
}
