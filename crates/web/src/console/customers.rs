//! The customer list (filters, paging) and the customer page with the audited "show in clear".

use chrono::Datelike as _;
use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use siyu_app::records::SegmentFilter;
use siyu_domain::customer::{Customer, Gender, PiiField};
use siyu_domain::org::{OrgUnit, Role};
use siyu_domain::scope::Permission;
use siyu_domain::{CustomerId, OrgUnitId, StaffId};

use super::i18n::Tr;
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render};
use crate::api::customers::CustomerQuery;
use crate::auth::extract::ConsoleUser;
use siyu_app::caller::Caller;
use siyu_app::error::ServiceError;
use siyu_app::records::Relationship;
use siyu_app::services::{customers, org, staff};
use siyu_app::state::AppState;

/// An option of a filter's drop-down.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opt(value: String, label: String, current: &Option<String>) -> Opt {
    let selected = current.as_deref() == Some(value.as_str());
    Opt { value, label, selected }
}

/// An option of a list filter, ticked when `current` (comma-separated) holds it.
fn tick(value: String, label: String, current: &Option<String>) -> Opt {
    // A grade may be written as the screens show it (`C3`) as well as the form sends it (`3`).
    let same = |v: &str| {
        let v = v.trim();
        v == value || v.strip_prefix(['C', 'c']).is_some_and(|n| n == value)
    };
    let selected = current.as_deref().is_some_and(|c| c.split(',').any(same));
    Opt { value, label, selected }
}

/// Most pairs the list reads from its query string (its filters, each ticked value one pair, and the
/// page): a longer query is refused before it is read.
const MAX_QUERY_PAIRS: usize = 2 * siyu_app::records::MAX_FILTER_SUB_BRANCHES;

/// The list's query as its form sends it, a list filter's ticked values (one pair each) joined into
/// one comma-separated value, as the JSON API takes them.
fn list_query(uri: &Uri) -> Result<CustomerQuery, String> {
    let raw = uri.query().unwrap_or_default();
    let mut merged: Vec<(String, String)> = Vec::new();
    for (i, (k, v)) in form_urlencoded::parse(raw.as_bytes()).enumerate() {
        if i >= MAX_QUERY_PAIRS {
            return Err(format!("more than {MAX_QUERY_PAIRS} filter values"));
        }
        match merged.iter_mut().find(|(name, _)| *name == k) {
            Some((_, all)) if !v.is_empty() => {
                if !all.is_empty() {
                    all.push(',');
                }
                all.push_str(&v);
            }
            Some(_) => {}
            None => merged.push((k.into_owned(), v.into_owned())),
        }
    }
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&merged).finish();
    let uri: Uri = format!("/customers?{query}").parse().map_err(|_| "bad query".to_owned())?;
    Query::<CustomerQuery>::try_from_uri(&uri).map(|Query(q)| q).map_err(|e| e.body_text())
}

/// One customer as a row of the list or the profile: all text, personal numbers masked.
#[derive(Debug, Clone)]
pub struct CustomerView {
    pub id: CustomerId,
    pub no: String,
    pub name: String,
    pub phone: String,
    pub id_number: String,
    pub gender: &'static str,
    pub birthday: String,
    pub sub_branch: String,
    pub owner: String,
    pub tier: &'static str,
    pub tier_n: u8,
    pub risk: String,
    pub segments: String,
    pub consent: String,
    pub wecom: String,
    pub updated: String,
}

/// Names for ids: units always, customer managers as needed.
pub struct Names {
    units: HashMap<OrgUnitId, OrgUnit>,
    staff: HashMap<StaffId, String>,
}

impl Names {
    pub async fn load(
        state: &AppState,
        caller: &Caller,
        owners: impl Iterator<Item = StaffId>,
    ) -> Result<Self, ServiceError> {
        let units = org::list(state, caller).await?.into_iter().map(|u| (u.id, u)).collect();
        let owners: Vec<StaffId> = owners.collect();
        // Names are a courtesy: if they cannot be read, the rows show owners by id, as they always did.
        let staff = staff::names(state, caller, owners.iter().copied()).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read owners' names");
            owners.iter().map(|id| (*id, id.to_string())).collect()
        });
        Ok(Self { units, staff })
    }

    pub fn view(&self, tr: Tr, c: &Customer, today: chrono::NaiveDate) -> CustomerView {
        let mut segs = Vec::new();
        if let Some(day) = c.segments.payroll_day {
            segs.push(format!("{}({}{day})", tr.t("segment.payroll"), tr.t("segment.payday")));
        }
        for (on, key) in [
            (c.segments.credit_card, "segment.credit_card"),
            (c.segments.wealth, "segment.wealth"),
            (c.segments.loan, "segment.loan"),
        ] {
            if on {
                segs.push(tr.t(key).to_owned());
            }
        }
        let consent: Vec<&str> = [
            (c.consent.one_to_one, "consent.one_to_one"),
            (c.consent.moments, "consent.moments"),
            (c.consent.group, "consent.group"),
            (c.consent.personalised, "consent.personalised"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, k)| tr.t(k))
        .collect();
        let risk = match c.risk {
            None => tr.t("customers.no_risk").to_owned(),
            Some(r) if r.is_current(today) => format!("C{} ({})", r.grade.get(), r.assessed_on),
            Some(r) => format!("C{} ({}, {})", r.grade.get(), r.assessed_on, tr.t("customers.expired")),
        };
        CustomerView {
            id: c.id,
            no: c.customer_no.clone(),
            name: c.name.clone(),
            phone: c.phone_masked.clone().unwrap_or_else(|| "—".into()),
            id_number: c.id_number_masked.clone().unwrap_or_else(|| "—".into()),
            gender: tr.t(match c.gender {
                Gender::Male => "gender.male",
                Gender::Female => "gender.female",
                Gender::Unknown => "gender.unknown",
            }),
            // The year alone, never the day nor today's age (which tells whether the birthday has
            // passed): see `siyu_domain::customer::birth_year_only`.
            birthday: c.birthday.map(|d| d.year().to_string()).unwrap_or_else(|| "—".into()),
            sub_branch: self.units.get(&c.sub_branch_id).map(|u| u.name.clone()).unwrap_or_default(),
            owner: c
                .owner_id
                .and_then(|o| self.staff.get(&o).cloned())
                .unwrap_or_else(|| tr.t("customers.unassigned").to_owned()),
            tier: tr.tier(c.aum_tier),
            tier_n: c.aum_tier.get(),
            risk,
            segments: if segs.is_empty() { "—".into() } else { segs.join(" · ") },
            consent: if consent.is_empty() { "—".into() } else { consent.join(" · ") },
            // Whether the customer is a WeCom contact, in words: the external userid is WeCom's id,
            // not something a person reads (the relationships below say with whom).
            wecom: tr
                .t(if c.wecom_external_userid.is_some() { "customers.wecom_linked" } else { "customers.wecom_none" })
                .to_owned(),
            updated: super::show_time(c.updated_at),
        }
    }
}

/// One bar of a chart: what it counts, how many, and its length relative to the longest bar.
#[derive(Debug, Clone)]
pub struct ChartBar {
    pub label: String,
    pub count: i64,
    pub pct: i64,
}

pub fn bars(items: Vec<(String, i64)>) -> Vec<ChartBar> {
    let max = items.iter().map(|x| x.1).max().unwrap_or(0).max(1);
    items.into_iter().map(|(label, count)| ChartBar { label, count, pct: count * 100 / max }).collect()
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    tier_bars: Vec<ChartBar>,
    risk_bars: Vec<ChartBar>,
    ctx: PageCtx,
    q: String,
    sub_branches: Vec<Opt>,
    owners: Vec<Opt>,
    segments: Vec<Opt>,
    grades: Vec<Opt>,
    tiers_from: Vec<Opt>,
    tiers_to: Vec<Opt>,
    /// How many of each list filter are ticked, for its summary.
    sub_branches_ticked: usize,
    grades_ticked: usize,
    rows: Vec<CustomerView>,
    pager: Pager,
    error: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    uri: Uri,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/customers");
    let tr = ctx.tr;
    // An unreadable query (say `page=x`) shows the whole list with a message, not a bare 400.
    let (q, mut error) = match list_query(&uri) {
        Ok(q) => (q, None),
        Err(e) => (CustomerQuery::default(), {
            tracing::debug!(error = %e, "unreadable customer query");
            Some(tr.t("customers.bad_query").to_owned())
        }),
    };
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => {
            error = Some(super::lang(&headers).error(&e));
            Default::default()
        }
    };
    let page = q.page();
    let result = match customers::list(&state, &user.0, &filter, page).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let names = match Names::load(&state, &user.0, result.items.iter().filter_map(|c| c.owner_id)).await {
        Ok(n) => n,
        Err(e) => return error_page(ctx, e),
    };
    let spread = match customers::breakdown(&state, &user.0, &filter).await {
        Ok(b) => b,
        Err(e) => return error_page(ctx, e),
    };
    let tier_bars = bars(
        spread
            .by_aum_tier
            .iter()
            .filter_map(|(t, n)| siyu_domain::customer::AumTier::new(*t).map(|t| (tr.tier(t).to_owned(), *n)))
            .collect(),
    );
    let risk_bars = bars(
        spread
            .by_risk_grade
            .iter()
            .map(|(g, n)| (g.map(|g| format!("C{g}")).unwrap_or_else(|| tr.t("customers.no_risk").to_owned()), *n))
            .collect(),
    );
    let today = state.clock.now().bank_date();
    let rows = result.items.iter().map(|c| names.view(tr, c, today)).collect();
    let staff = user.staff();
    let sub_branches: Vec<Opt> = match org::sub_branches_in_scope(&state, &user.0).await {
        Ok(units) => units.into_iter().map(|u| tick(u.id.to_string(), u.name, &q.sub_branch)).collect(),
        Err(e) => return error_page(ctx, e),
    };
    // Customer managers see only their own customers: no owner filter for them. With one sub-branch
    // ticked, its managers; otherwise all the caller's.
    let owners = if staff.role == Role::CustomerManager {
        Vec::new()
    } else {
        let one = match filter.sub_branch_ids.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        staff::managers(&state, &user.0, one)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|s| opt(s.id.to_string(), format!("{} ({})", s.display_name, s.username), &q.owner))
            .collect()
    };
    let segments = SegmentFilter::ALL
        .iter()
        .map(|s| opt(s.as_str().into(), tr.t(&format!("segment.{}", s.as_str())).into(), &q.segment))
        .collect();
    let grades = (1..=5).map(|g| tick(g.to_string(), format!("C{g}"), &q.risk_grade)).collect();
    // A range of tiers: from (白金及以上) and to (钻石及以下); an old `aum_tier=3` link is both.
    let tier_bound = |bound: Option<u8>, key: &str| -> Vec<Opt> {
        let current = bound.map(|b| b.to_string());
        (1..=5u8)
            .filter_map(siyu_domain::customer::AumTier::new)
            .map(|t| opt(t.get().to_string(), tr.t(key).replace("{tier}", tr.tier(t)), &current))
            .collect()
    };
    let tiers_from = tier_bound(filter.aum_tier_min, "customers.tier_and_above");
    let tiers_to = tier_bound(filter.aum_tier_max, "customers.tier_and_below");
    let pager = Pager::new("/customers", &query_without_page(raw.as_deref()), page, result.total);
    render(&ListPage {
        tier_bars,
        risk_bars,
        ctx,
        q: q.q.clone().unwrap_or_default(),
        sub_branches,
        owners,
        segments,
        sub_branches_ticked: filter.sub_branch_ids.len(),
        grades_ticked: filter.risk_grades.len(),
        grades,
        tiers_from,
        tiers_to,
        rows,
        pager,
        error,
    })
}

/// A WeCom relationship as the customer page shows it.
#[derive(Debug, Clone)]
pub struct RelationshipRow {
    pub manager: String,
    pub status: &'static str,
    pub since: String,
    pub ended: String,
    pub channel: String,
}

#[derive(Template)]
#[template(path = "customers/detail.html")]
struct DetailPage {
    extras: super::profile::Extras,
    relationships: Vec<RelationshipRow>,
    groups: Vec<String>,
    ctx: PageCtx,
    c: CustomerView,
    can_reveal: bool,
    revealed: Option<String>,
    error: Option<String>,
}

pub(super) async fn detail_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    id: CustomerId,
    revealed: Option<String>,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/customers");
    let c = match customers::get(state, &user.0, id).await {
        Ok(c) => c,
        Err(e) => return error_page(ctx, e),
    };
    let names = match Names::load(state, &user.0, c.owner_id.into_iter()).await {
        Ok(n) => n,
        Err(e) => return error_page(ctx, e),
    };
    let view = names.view(ctx.tr, &c, state.clock.now().bank_date());
    let can_reveal = user.0.actor.can(Permission::RevealCustomerPii);
    // The WeCom links are a courtesy too: the page shows without them, as before, if they cannot be read.
    let links = customers::wecom_links(state, &user.0, &c).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, customer = %c.id, "could not read the customer's WeCom links");
        Default::default()
    });
    let relationships = relationship_rows(ctx.tr, &links.relationships);
    let groups = links.groups;
    let extras = match super::profile::extras(state, &user.0, ctx.tr, id).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    render(&DetailPage { extras, relationships, groups, ctx, c: view, can_reveal, revealed, error })
}

/// The customer's WeCom relationships, managers by name.
fn relationship_rows(tr: Tr, rels: &[(Relationship, Option<String>)]) -> Vec<RelationshipRow> {
    rels.iter()
        .map(|(r, manager)| RelationshipRow {
            manager: manager.clone().unwrap_or_else(|| r.staff_userid.clone()),
            status: tr.t(&format!("rel.{}", r.status.as_str())),
            since: r.added_at.map(|t| t.bank_date().to_string()).unwrap_or_default(),
            ended: r.ended_at.map(|t| t.bank_date().to_string()).unwrap_or_default(),
            channel: r.state.clone().unwrap_or_default(),
        })
        .collect()
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<CustomerId>,
) -> Response {
    detail_page(&state, &user, &headers, id, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct RevealForm {
    field: String,
    reason: String,
}

pub async fn reveal(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<CustomerId>,
    Form(f): Form<RevealForm>,
) -> Response {
    let Some(field) = PiiField::parse(&f.field) else {
        return detail_page(&state, &user, &headers, id, None, Some("unknown field".into())).await;
    };
    match customers::reveal(&state, &user.0, id, field, &f.reason).await {
        Ok(v) => {
            let tr = super::lang(&headers);
            let label = tr.t(if field == PiiField::Phone { "customers.phone" } else { "customers.id_number" });
            detail_page(&state, &user, &headers, id, Some(format!("{label} {v}")), None).await
        }
        Err(e @ ServiceError::Invalid { .. }) => {
            detail_page(&state, &user, &headers, id, None, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/customers"), e),
    }
}
