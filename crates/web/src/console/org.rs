//! The organisation page: the tree, a form for new units, and editing one.

use siyu_domain::lang::Text;
use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::NewOrgUnit;
use siyu_domain::OrgUnitId;
use siyu_domain::org::{GeoPoint, OrgUnit, OrgUnitKind};
use siyu_domain::org_tree::OrgTree;
use siyu_domain::scope::Permission;

use super::customers::Opt;
use super::{IdPath, PageCtx, error_page, render};
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;
use siyu_app::services::org;
use siyu_app::state::AppState;

#[derive(Debug, Clone)]
pub struct UnitRow {
    pub id: OrgUnitId,
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub location: String,
    pub depth: u8,
}

#[derive(Template)]
#[template(path = "org/list.html")]
struct ListPage {
    ctx: PageCtx,
    units: Vec<UnitRow>,
    parents: Vec<Opt>,
    error: Option<String>,
}

/// Units in tree order, each followed by the units below it, with its depth (the domain's walk: no
/// unit drops off the page, whatever its links say).
fn tree_order(units: &[OrgUnit]) -> Vec<(&OrgUnit, u8)> {
    let by_id: HashMap<OrgUnitId, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
    OrgTree::new(units)
        .tree_order()
        .into_iter()
        .filter_map(|(id, depth)| Some((*by_id.get(&id)?, u8::try_from(depth).unwrap_or(u8::MAX))))
        .collect()
}

async fn list_page(state: &AppState, user: &ConsoleUser, headers: &HeaderMap, error: Option<String>) -> Response {
    let ctx = PageCtx::new(user, headers, "/org");
    if let Err(e) = user.0.require(Permission::ManageOrganisation) {
        return error_page(ctx, e);
    }
    let units = match org::list(state, &user.0).await {
        Ok(u) => u,
        Err(e) => return error_page(ctx, e),
    };
    let rows = tree_order(&units)
        .into_iter()
        .map(|(u, depth)| UnitRow {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: ctx.tr.unit_kind(u.kind),
            location: u.location.map(|l| format!("{:.4}, {:.4}", l.lat, l.lng)).unwrap_or_default(),
            depth,
        })
        .collect();
    let parents = units
        .iter()
        .filter(|u| u.kind != OrgUnitKind::SubBranch)
        .map(|u| Opt {
            value: u.id.to_string(),
            label: format!("{} {} ({})", u.code, u.name, ctx.tr.unit_kind(u.kind)),
            selected: false,
        })
        .collect();
    render(&ListPage { ctx, units: rows, parents, error })
}

pub async fn list(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    list_page(&state, &user, &headers, None).await
}

#[derive(Debug, Deserialize)]
pub struct UnitForm {
    kind: Option<String>,
    parent_id: Option<String>,
    code: String,
    name: String,
    lat: Option<String>,
    lng: Option<String>,
}

/// Reads the coordinates: both or neither, as numbers.
fn location(lat: &Option<String>, lng: &Option<String>) -> Result<Option<GeoPoint>, ServiceError> {
    let num = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse::<f64>());
    match (num(lat), num(lng)) {
        (None, None) => Ok(None),
        (Some(Ok(lat)), Some(Ok(lng))) => Ok(Some(GeoPoint { lat, lng })),
        _ => Err(ServiceError::invalid("bad_location", Text::new("form.bad_coordinates"))),
    }
}

fn new_unit(f: &UnitForm, kind: OrgUnitKind) -> Result<NewOrgUnit, ServiceError> {
    let parent_id = f
        .parent_id
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<OrgUnitId>())
        .transpose()
        .map_err(|_| ServiceError::invalid("bad_parent", Text::new("form.bad_parent")))?;
    Ok(NewOrgUnit {
        kind,
        parent_id,
        code: f.code.trim().to_owned(),
        name: f.name.trim().to_owned(),
        location: location(&f.lat, &f.lng)?,
    })
}

pub async fn create(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(f): Form<UnitForm>,
) -> Response {
    let kind = f.kind.as_deref().and_then(OrgUnitKind::parse).unwrap_or(OrgUnitKind::SubBranch);
    let result = match new_unit(&f, kind) {
        Ok(u) => org::create(&state, &user.0, &u).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/org").into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            list_page(&state, &user, &headers, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/org"), e),
    }
}

#[derive(Template)]
#[template(path = "org/edit.html")]
struct EditPage {
    ctx: PageCtx,
    id: OrgUnitId,
    kind: &'static str,
    code: String,
    name: String,
    lat: String,
    lng: String,
    error: Option<String>,
}

async fn edit_form(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    id: OrgUnitId,
    posted: Option<&UnitForm>,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/org");
    if let Err(e) = user.0.require(Permission::ManageOrganisation) {
        return error_page(ctx, e);
    }
    let u = match org::get(state, &user.0, id).await {
        Ok(u) => u,
        Err(e) => return error_page(ctx, e),
    };
    let (code, name, lat, lng) = match posted {
        Some(f) => {
            (f.code.clone(), f.name.clone(), f.lat.clone().unwrap_or_default(), f.lng.clone().unwrap_or_default())
        }
        None => (
            u.code,
            u.name,
            u.location.map(|l| l.lat.to_string()).unwrap_or_default(),
            u.location.map(|l| l.lng.to_string()).unwrap_or_default(),
        ),
    };
    render(&EditPage { kind: ctx.tr.unit_kind(u.kind), ctx, id, code, name, lat, lng, error })
}

pub async fn edit_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<OrgUnitId>,
) -> Response {
    edit_form(&state, &user, &headers, id, None, None).await
}

pub async fn edit(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<OrgUnitId>,
    Form(f): Form<UnitForm>,
) -> Response {
    let result = match new_unit(&f, OrgUnitKind::SubBranch) {
        Ok(u) => org::update(&state, &user.0, id, &u).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/org").into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            edit_form(&state, &user, &headers, id, Some(&f), Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/org"), e),
    }
}
