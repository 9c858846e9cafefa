//! Staff pages: the list with filters, and the form to create or edit a member.

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::{StaffFilter, StaffUpdate};
use siyu_domain::lang::Text;
use siyu_domain::org::{OrgUnit, Role, Staff};
use siyu_domain::{OrgUnitId, StaffId};

use super::customers::Opt;
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render};
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;
use siyu_app::services::{org, staff};
use siyu_app::state::AppState;

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub id: StaffId,
    pub username: String,
    pub name: String,
    pub role: &'static str,
    pub unit: String,
    pub wecom: String,
    pub active: &'static str,
    /// A customer manager's customers can be handed over.
    pub is_manager: bool,
}

#[derive(Template)]
#[template(path = "staff/list.html")]
struct ListPage {
    ctx: PageCtx,
    q: String,
    roles: Vec<Opt>,
    units: Vec<Opt>,
    rows: Vec<StaffRow>,
    pager: Pager,
    error: Option<String>,
    /// After a save: what was saved, and whom.
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffQuery {
    q: Option<String>,
    role: Option<String>,
    org_unit: Option<String>,
    page: Option<i64>,
    /// Set by the redirect after a new member is saved.
    created: Option<String>,
    /// Set by the redirect after a member is changed.
    saved: Option<String>,
}

fn unit_opts(units: &[OrgUnit], selected: Option<&str>) -> Vec<Opt> {
    units
        .iter()
        .map(|u| Opt {
            value: u.id.to_string(),
            label: format!("{} {}", u.code, u.name),
            selected: selected == Some(u.id.to_string().as_str()),
        })
        .collect()
}

fn role_opts(ctx: &PageCtx, selected: Option<&str>) -> Vec<Opt> {
    Role::ALL
        .iter()
        .map(|r| Opt {
            value: r.as_str().into(),
            label: ctx.tr.role(*r).into(),
            selected: selected == Some(r.as_str()),
        })
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(q): Query<StaffQuery>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    let blank = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let mut error = None;
    let role = blank(&q.role).and_then(|r| Role::parse(&r));
    let org_unit_id = blank(&q.org_unit)
        .and_then(|u| u.parse::<OrgUnitId>().map_err(|_| error = Some("invalid unit".to_owned())).ok());
    let filter = StaffFilter { role, org_unit_id, query: blank(&q.q) };
    let page = siyu_app::records::Page::numbered(q.page.unwrap_or(1), 50);
    let result = match staff::list(&state, &user.0, &filter, page).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let units = org::list(&state, &user.0).await.unwrap_or_default();
    let unit_name = |id: OrgUnitId| units.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_default();
    let rows = result
        .items
        .iter()
        .map(|s| StaffRow {
            id: s.id,
            username: s.username.clone(),
            name: s.display_name.clone(),
            role: ctx.tr.role_title(s.role, units.iter().find(|u| u.id == s.org_unit_id).map(|u| u.kind)),
            unit: unit_name(s.org_unit_id),
            wecom: s.wecom_userid.clone().unwrap_or_default(),
            active: ctx.tr.t(if s.active { "staff.on" } else { "staff.off" }),
            is_manager: s.role == Role::CustomerManager,
        })
        .collect();
    let base_query = query_without_page(raw.as_deref());
    let base_query: Vec<&str> =
        base_query.split('&').filter(|kv| !kv.starts_with("created=") && !kv.starts_with("saved=")).collect();
    let pager = Pager::new("/staff", &base_query.join("&"), page, result.total);
    let roles = role_opts(&ctx, q.role.as_deref());
    let unit_options = unit_opts(&units, q.org_unit.as_deref());
    let notice = saved_notice(&state, &user, &ctx, &q).await;
    render(&ListPage { ctx, q: q.q.unwrap_or_default(), roles, units: unit_options, rows, pager, error, notice })
}

/// "Saved: 张三 (zhangsan)" after the redirect from a saved form, by the id the redirect names.
async fn saved_notice(state: &AppState, user: &ConsoleUser, ctx: &PageCtx, q: &StaffQuery) -> Option<String> {
    let (key, id) = match (&q.created, &q.saved) {
        (Some(id), _) => ("staff.created", id),
        (None, Some(id)) => ("staff.saved", id),
        (None, None) => return None,
    };
    let s = staff::get(state, &user.0, id.parse().ok()?).await.ok()?;
    Some(if ctx.tr.is_en() {
        format!("{}: {} ({})", ctx.tr.t(key), s.display_name, s.username)
    } else {
        format!("{}：{}（{}）", ctx.tr.t(key), s.display_name, s.username)
    })
}

/// The form's fields, as typed (re-shown on an error).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_unit_id: String,
    #[serde(default)]
    pub wecom_userid: String,
    #[serde(default)]
    pub password: String,
    pub active: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/form.html")]
struct FormPage {
    ctx: PageCtx,
    title: &'static str,
    action: String,
    /// The member being edited.
    target: Option<StaffId>,
    is_new: bool,
    is_manager: bool,
    form: FormValues,
    roles: Vec<PlacedOpt>,
    units: Vec<PlacedOpt>,
    error: Option<String>,
}

/// A choice of role or unit with the unit levels it goes with (`data-kinds`), so the page offers only
/// the units the chosen role may belong to; the service checks the pair again.
#[derive(Debug, Clone)]
pub struct PlacedOpt {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// Unit kinds, space-separated: those a role allows, or the unit's own.
    pub kinds: String,
    /// A unit the selected role may not belong to (hidden until another role is chosen).
    pub hidden: bool,
}

fn kinds_of(r: Role) -> String {
    r.allowed_unit_kinds().iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")
}

/// The roles, and the units with their levels; a unit the role may not belong to starts hidden.
fn placed_opts(ctx: &PageCtx, units: &[OrgUnit], role: Option<Role>, unit: &str) -> (Vec<PlacedOpt>, Vec<PlacedOpt>) {
    let roles = Role::ALL
        .iter()
        .map(|r| PlacedOpt {
            value: r.as_str().into(),
            label: ctx.tr.role(*r).into(),
            selected: role == Some(*r),
            kinds: kinds_of(*r),
            hidden: false,
        })
        .collect();
    let units = units
        .iter()
        .map(|u| PlacedOpt {
            value: u.id.to_string(),
            label: format!("{} {} · {}", u.code, u.name, ctx.tr.unit_kind(u.kind)),
            selected: unit == u.id.to_string(),
            kinds: u.kind.as_str().into(),
            hidden: role.is_some_and(|r| !r.allowed_unit_kinds().contains(&u.kind)),
        })
        .collect();
    (roles, units)
}

#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub username: String,
    pub display_name: String,
    pub wecom_userid: String,
    pub active: bool,
}

async fn form_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    target: Option<StaffId>,
    f: &StaffForm,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/staff");
    if let Err(e) = user.0.require(siyu_domain::scope::Permission::ManageStaff) {
        return error_page(ctx, e);
    }
    let units = org::list(state, &user.0).await.unwrap_or_default();
    let role = Role::parse(&f.role);
    let (roles, unit_options) = placed_opts(&ctx, &units, role, &f.org_unit_id);
    let (title, action) = match target {
        None => (ctx.tr.t("staff.new"), "/staff/new".to_owned()),
        Some(id) => (ctx.tr.t("staff.edit"), format!("/staff/{id}")),
    };
    let form = FormValues {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        wecom_userid: f.wecom_userid.clone(),
        active: f.active.is_some(),
    };
    render(&FormPage {
        ctx,
        title,
        action,
        target,
        is_new: target.is_none(),
        is_manager: role == Some(Role::CustomerManager),
        form,
        roles,
        units: unit_options,
        error,
    })
}

/// A new member is a customer manager at the first sub-branch: the pair most members are, and one the
/// form accepts as it stands.
pub async fn new_page(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    let units = org::list(&state, &user.0).await.unwrap_or_default();
    let role = Role::CustomerManager;
    let unit = units.iter().find(|u| role.allowed_unit_kinds().contains(&u.kind)).map(|u| u.id.to_string());
    let f = StaffForm {
        role: role.as_str().into(),
        org_unit_id: unit.unwrap_or_default(),
        active: Some("1".into()),
        ..Default::default()
    };
    form_page(&state, &user, &headers, None, &f, None).await
}

fn parse_form(f: &StaffForm) -> Result<(Role, OrgUnitId), ServiceError> {
    let role = Role::parse(&f.role).ok_or_else(|| ServiceError::invalid("bad_role", Text::new("form.bad_role")))?;
    let unit =
        f.org_unit_id.parse().map_err(|_| ServiceError::invalid("bad_org_unit", Text::new("form.choose_unit")))?;
    Ok((role, unit))
}

pub async fn create(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(f): Form<StaffForm>,
) -> Response {
    let result = match parse_form(&f) {
        Ok((role, org_unit_id)) => {
            let input = staff::StaffInput {
                username: f.username.clone(),
                display_name: f.display_name.clone(),
                role,
                org_unit_id,
                wecom_userid: Some(f.wecom_userid.clone()),
                password: f.password.clone(),
            };
            staff::create(&state, &user.0, input).await.map(|s| s.id)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/staff?created={id}")).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            form_page(&state, &user, &headers, None, &f, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/staff"), e),
    }
}

fn form_of(s: &Staff) -> StaffForm {
    StaffForm {
        username: s.username.clone(),
        display_name: s.display_name.clone(),
        role: s.role.as_str().into(),
        org_unit_id: s.org_unit_id.to_string(),
        wecom_userid: s.wecom_userid.clone().unwrap_or_default(),
        password: String::new(),
        active: s.active.then(|| "1".into()),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<StaffId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    match staff::get(&state, &user.0, id).await {
        Ok(s) => form_page(&state, &user, &headers, Some(id), &form_of(&s), None).await,
        Err(e) => error_page(ctx, e),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<StaffId>,
    Form(mut f): Form<StaffForm>,
) -> Response {
    let result = match parse_form(&f) {
        Ok((role, org_unit_id)) => {
            let u = StaffUpdate {
                display_name: f.display_name.clone(),
                role,
                org_unit_id,
                wecom_userid: Some(f.wecom_userid.clone()),
                active: f.active.is_some(),
            };
            staff::update(&state, &user.0, id, u).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/staff?saved={id}")).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            if let Ok(s) = staff::get(&state, &user.0, id).await {
                f.username = s.username;
            }
            form_page(&state, &user, &headers, Some(id), &f, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/staff"), e),
    }
}

#[derive(Template)]
#[template(path = "staff/reset_done.html")]
struct ResetDonePage {
    ctx: PageCtx,
    id: StaffId,
    name: String,
    username: String,
    temporary: String,
}

/// An administrator resets a member's password: the temporary password is shown on this answer once
/// (every answer is `no-store`) and kept nowhere in clear.
pub async fn reset_password(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<StaffId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/staff");
    match staff::reset_password(&state, &user.0, id).await {
        Ok((s, temporary)) => render(&ResetDonePage { ctx, id, name: s.display_name, username: s.username, temporary }),
        Err(e @ ServiceError::Invalid { .. }) => match staff::get(&state, &user.0, id).await {
            Ok(s) => {
                form_page(&state, &user, &headers, Some(id), &form_of(&s), Some(super::lang(&headers).error(&e))).await
            }
            Err(e) => error_page(ctx, e),
        },
        Err(e) => error_page(ctx, e),
    }
}
