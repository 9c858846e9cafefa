//! Channel code pages: the list with each code's figures and a form for a new code, the code's QR image
//! and printable poster; the code's own page is in `channel_detail.rs`.

use siyu_domain::lang::Text;
use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::ChannelCode;
use siyu_domain::channel::{Assignment, ChannelKind, Welcome};
use siyu_domain::org::GeoPoint;
use siyu_domain::scope::Permission;
use siyu_domain::{ChannelCodeId, OrgUnitId, StaffId};

pub use super::channel_detail::{detail, set_controls};
use super::customers::Opt;
use super::{IdPath, PageCtx, Pager, error_page, query_without_page, render};
use crate::api::Paging;
use crate::auth::extract::ConsoleUser;
use siyu_app::error::ServiceError;
use siyu_app::services::channels::{self, ChannelInput};
use siyu_app::state::AppState;

#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub id: ChannelCodeId,
    pub name: String,
    pub kind: &'static str,
    pub sub_branch: String,
    pub assignment: &'static str,
    pub current: String,
    pub active: &'static str,
    pub today: i64,
    pub total: i64,
}

/// The form's fields as typed, re-shown after an error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChannelForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub staff_id: String,
    #[serde(default)]
    pub sub_branch_id: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub tags: String,
    /// The welcome: a library item (`cnt_…`) with a version that may be sent.
    #[serde(default)]
    pub welcome_item: String,
}

#[derive(Template)]
#[template(path = "channels/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<ChannelRow>,
    pager: Pager,
    can_manage: bool,
    form: ChannelForm,
    kinds: Vec<Opt>,
    modes: Vec<Opt>,
    managers: Vec<Opt>,
    sub_branches: Vec<Opt>,
    /// Library items that may be a welcome now, the newest first (suggestions: any item's id may be
    /// typed), and how many there are in all.
    welcome_items: Vec<Opt>,
    welcome_total: i64,
    error: Option<String>,
}

fn mode_of(a: &Assignment) -> &'static str {
    match a {
        Assignment::Named { .. } => "named",
        Assignment::RoundRobin { .. } => "round_robin",
        Assignment::LeastLoad { .. } => "least_load",
        Assignment::Nearest { .. } => "nearest",
    }
}

/// Names of customer managers, for rows.
pub(crate) fn staff_names(c: &channels::Choices) -> HashMap<StaffId, String> {
    c.managers.iter().map(|s| (s.id, s.display_name.clone())).collect()
}

pub(crate) fn row(
    ctx: &PageCtx,
    c: &ChannelCode,
    units: &HashMap<OrgUnitId, String>,
    staff: &HashMap<StaffId, String>,
) -> ChannelRow {
    ChannelRow {
        id: c.id,
        name: c.name.clone(),
        kind: ctx.tr.t(&format!("kindc.{}", c.kind.as_str())),
        sub_branch: c.sub_branch_id.and_then(|u| units.get(&u).cloned()).unwrap_or_default(),
        assignment: ctx.tr.t(&format!("mode.{}", mode_of(&c.assignment))),
        current: c.current_staff_id.and_then(|s| staff.get(&s).cloned()).unwrap_or_else(|| "—".into()),
        active: ctx.tr.t(if c.active { "channels.on" } else { "channels.off" }),
        today: 0,
        total: 0,
    }
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    paging: Paging,
    raw: Option<&str>,
    form: ChannelForm,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/channels");
    let page = paging.page();
    let list = match channels::list(state, &user.0, page).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx, e),
    };
    let choices = channels::choices(state, &user.0).await.unwrap_or_default();
    let (units, staff) = (&choices.unit_names, staff_names(&choices));
    let figures = channels::figures(state, &user.0, &list.items).await.unwrap_or_default();
    let rows = list
        .items
        .iter()
        .map(|c| {
            let (today, total) = figures.get(&c.id).copied().unwrap_or((0, 0));
            ChannelRow { today, total, ..row(&ctx, c, units, &staff) }
        })
        .collect();
    let pager = Pager::new("/channels", &query_without_page(raw), page, list.total);
    let opt = |value: String, label: String, current: &str| Opt { selected: value == current, value, label };
    let kinds = ChannelKind::ALL
        .iter()
        .map(|k| opt(k.as_str().into(), ctx.tr.t(&format!("kindc.{}", k.as_str())).into(), &form.kind))
        .collect();
    let modes = ["named", "round_robin", "least_load", "nearest"]
        .iter()
        .map(|m| opt((*m).into(), ctx.tr.t(&format!("mode.{m}")).into(), &form.mode))
        .collect();
    let managers = choices
        .managers
        .iter()
        .filter(|s| s.active && s.wecom_userid.is_some())
        .map(|s| {
            opt(
                s.id.to_string(),
                format!("{} ({})", s.display_name, units.get(&s.org_unit_id).cloned().unwrap_or_default()),
                &form.staff_id,
            )
        })
        .collect();
    let sub_branches = choices
        .sub_branches
        .iter()
        .map(|u| opt(u.id.to_string(), format!("{} {}", u.code, u.name), &form.sub_branch_id))
        .collect();
    let can_manage = user.0.actor.can(Permission::ManageChannels);
    let choices = siyu_app::services::welcome::choices(state, &user.0, siyu_app::records::Page::first(200)).await;
    let (welcome_items, welcome_total) = match choices {
        Ok(p) => (
            p.items
                .iter()
                .map(|r| {
                    opt(
                        r.id.to_string(),
                        format!("{} · {}", r.latest.draft.title, ctx.tr.say(&r.kind.text())),
                        &form.welcome_item,
                    )
                })
                .collect(),
            p.total,
        ),
        Err(_) => (Vec::new(), 0),
    };
    render(&ListPage {
        ctx,
        rows,
        pager,
        can_manage,
        form,
        kinds,
        modes,
        managers,
        sub_branches,
        welcome_items,
        welcome_total,
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let form = ChannelForm { kind: "branch_poster".into(), mode: "round_robin".into(), ..Default::default() };
    list_page(&state, &user, &headers, p, raw.as_deref(), form, None).await
}

/// Reads the form into the service's input; a missing choice is named in the error.
fn input_of(f: &ChannelForm) -> Result<ChannelInput, ServiceError> {
    let bad = |code: &'static str, msg: Text| ServiceError::invalid(code, msg);
    let kind = ChannelKind::parse(&f.kind).ok_or_else(|| bad("bad_kind", Text::new("form.choose_channel")))?;
    let sub =
        || f.sub_branch_id.parse::<OrgUnitId>().map_err(|_| bad("bad_sub_branch", Text::new("form.choose_sub_branch")));
    let assignment = match f.mode.as_str() {
        "named" => Assignment::Named {
            staff_id: f.staff_id.parse().map_err(|_| bad("bad_staff", Text::new("form.choose_manager")))?,
        },
        "round_robin" => Assignment::RoundRobin { sub_branch_id: sub()? },
        "least_load" => Assignment::LeastLoad { sub_branch_id: sub()? },
        "nearest" => {
            let (lat, lng) = (f.lat.trim().parse::<f64>(), f.lng.trim().parse::<f64>());
            let (Ok(lat), Ok(lng)) = (lat, lng) else {
                return Err(bad("bad_location", Text::new("form.give_coordinates")));
            };
            Assignment::Nearest { location: GeoPoint { lat, lng } }
        }
        _ => return Err(bad("bad_mode", Text::new("form.choose_assignment"))),
    };
    let item = f.welcome_item.trim();
    let welcome = if item.is_empty() {
        Welcome::default()
    } else {
        Welcome { item: Some(item.parse().map_err(|_| bad("bad_welcome", Text::new("welcome.unknown_item")))?) }
    };
    let tags = f.tags.split([',', '，', ' ']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    Ok(ChannelInput { name: f.name.clone(), kind, assignment, welcome, tags, controls: Default::default() })
}

pub async fn create(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(f): Form<ChannelForm>,
) -> Response {
    let result = match input_of(&f) {
        Ok(input) => channels::create(&state, &user.0, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(code) => Redirect::to(&format!("/channels/{}", code.id)).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Forbidden)) => {
            list_page(
                &state,
                &user,
                &headers,
                Paging { page: None, per_page: None },
                None,
                f,
                Some(super::lang(&headers).error(&e)),
            )
            .await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/channels"), e),
    }
}

/// Demo only: the fake WeCom plays a customer scanning the code.
pub async fn simulate(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ChannelCodeId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/channels");
    match channels::simulate_scan(&state, &user.0, id).await {
        Ok(name) => {
            Redirect::to(&format!("/channels/{id}?scanned={}", crate::auth::extract::url_escape(&name))).into_response()
        }
        Err(e) => error_page(ctx, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct QrQuery {
    download: Option<String>,
}

/// The code's QR image as WeCom serves it (kept after the first fetch); `?download=1` saves it.
pub async fn qr_png(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ChannelCodeId>,
    Query(q): Query<QrQuery>,
) -> Response {
    match channels::qr_image(&state, &user.0, id).await {
        Ok(img) => {
            let ext = if img.content_type == "image/jpeg" { "jpg" } else { "png" };
            let disposition = match q.download {
                Some(_) => format!("attachment; filename=\"qr-{id}.{ext}\""),
                None => "inline".to_owned(),
            };
            let h = [(header::CONTENT_TYPE, img.content_type), (header::CONTENT_DISPOSITION, disposition)];
            (h, img.bytes).into_response()
        }
        Err(e) => qr_missing(PageCtx::new(&user, &headers, "/channels"), id, e),
    }
}

/// The code's printable poster, a PDF with its name, its sub-branch's name and the QR.
pub async fn poster_pdf(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<ChannelCodeId>,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/channels");
    match channels::poster(&state, &user.0, id, ctx.tr.t("ch.poster_cta")).await {
        Ok((_, pdf)) => {
            let h = [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"poster-{id}.pdf\"")),
            ];
            (h, pdf).into_response()
        }
        Err(e) => qr_missing(ctx, id, e),
    }
}

#[derive(Template)]
#[template(path = "channels/qr_missing.html")]
struct QrMissingPage {
    ctx: PageCtx,
    id: ChannelCodeId,
}

/// What a QR or poster request answers when WeCom gave no image: a page in the reader's language
/// saying so, never a broken image.
fn qr_missing(ctx: PageCtx, id: ChannelCodeId, e: ServiceError) -> Response {
    if !matches!(&e, ServiceError::Invalid { code: "qr_unavailable", .. }) {
        return error_page(ctx, e);
    }
    let mut resp = render(&QrMissingPage { ctx, id });
    *resp.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
    resp
}
