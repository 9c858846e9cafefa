//! The 360° parts of a customer's page: tags by group (with adding and removing manual tags) and the
//! timeline of what happened to the customer.

use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::Page;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::tag::TagKind;
use siyu_domain::timeline::EventKind;
use siyu_domain::{CustomerId, TagId};

use super::customers::{Opt, detail_page};
use super::i18n::Tr;
use super::{IdPath, PageCtx, error_page, show_time};
use crate::auth::extract::ConsoleUser;
use siyu_app::caller::Caller;
use siyu_app::error::ServiceError;
use siyu_app::services::tags;
use siyu_app::state::AppState;

/// Timeline entries shown on the page.
const TIMELINE: i64 = 30;

/// A tag on the page.
#[derive(Debug, Clone)]
pub struct TagChip {
    pub id: TagId,
    pub name: String,
    pub kind: &'static str,
    pub removable: bool,
}

#[derive(Debug, Clone)]
pub struct TagGroupView {
    pub name: String,
    pub tags: Vec<TagChip>,
}

#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub at: String,
    pub kind: &'static str,
    pub detail: String,
}

/// What the customer page shows besides the customer record.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub tag_groups: Vec<TagGroupView>,
    pub addable: Vec<Opt>,
    pub can_tag: bool,
    pub timeline: Vec<TimelineRow>,
    pub timeline_total: i64,
}

fn kind_label(tr: Tr, kind: &str) -> &'static str {
    match EventKind::parse(kind) {
        Some(k) if tr.is_en() => k.label_en(),
        Some(k) => k.label_zh(),
        None => "·",
    }
}

/// An event's detail as a person reads it: the store writes a tag's with where it came from
/// (`高意向 (manual:admin)`, `(import)`, `(rule)`) and an audience's with its id (`aud_4 高净值`).
fn event_detail(tr: Tr, kind: &str, detail: &str) -> String {
    match EventKind::parse(kind) {
        Some(EventKind::TagAdded) => {
            if let Some((name, source)) = detail.strip_suffix(')').and_then(|d| d.rsplit_once(" (")) {
                let shown = match source.split_once(':') {
                    Some(("manual", who)) => tr.t("source.manual").replace("{who}", who),
                    _ if Tr::has(&format!("source.{source}")) => tr.t(&format!("source.{source}")).to_owned(),
                    _ => source.to_owned(),
                };
                return format!("{name}{}{shown}{}", tr.pick("（", " ("), tr.pick("）", ")"));
            }
            detail.to_owned()
        }
        Some(EventKind::AudienceEntered | EventKind::AudienceExited) => match detail.split_once(' ') {
            Some((id, name)) if id.parse::<siyu_domain::AudienceId>().is_ok() => name.to_owned(),
            _ => detail.to_owned(),
        },
        _ => detail.to_owned(),
    }
}

/// Reads the tags and the latest timeline of a customer the caller may see.
pub async fn extras(state: &AppState, caller: &Caller, tr: Tr, id: CustomerId) -> Result<Extras, ServiceError> {
    let mine = tags::of_customer(state, caller, id).await?;
    let can_tag = caller.actor.can(Permission::TagCustomers);
    let mut tag_groups: Vec<TagGroupView> = Vec::new();
    for t in &mine {
        let chip = TagChip {
            id: t.id,
            name: t.name.clone(),
            kind: tr.t(&format!("tagkind.{}", t.kind.as_str())),
            removable: can_tag && t.kind == TagKind::Manual,
        };
        match tag_groups.iter_mut().find(|g| g.name == t.group_name) {
            Some(g) => g.tags.push(chip),
            None => tag_groups.push(TagGroupView { name: t.group_name.clone(), tags: vec![chip] }),
        }
    }
    let addable = if can_tag {
        tags::all(state, caller)
            .await?
            .into_iter()
            .filter(|t| t.kind == TagKind::Manual && !mine.iter().any(|m| m.id == t.id))
            .map(|t| Opt { value: t.id.to_string(), label: format!("{} / {}", t.group_name, t.name), selected: false })
            .collect()
    } else {
        Vec::new()
    };
    let events = tags::timeline(state, caller, id, Page::first(TIMELINE)).await?;
    let timeline = events
        .items
        .iter()
        .map(|e| TimelineRow {
            at: show_time(e.at),
            kind: kind_label(tr, &e.kind),
            detail: event_detail(tr, &e.kind, &e.detail),
        })
        .collect();
    Ok(Extras { tag_groups, addable, can_tag, timeline, timeline_total: events.total })
}

#[derive(Debug, Deserialize)]
pub struct TagAction {
    #[serde(default)]
    tag_id: String,
    #[serde(default)]
    action: String,
}

/// Adds or removes a manual tag from the customer page.
pub async fn set_tag(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<CustomerId>,
    Form(f): Form<TagAction>,
) -> Response {
    let Ok(tag) = f.tag_id.parse::<TagId>() else {
        let e = ServiceError::invalid("bad_tag", Text::new("form.choose_tag"));
        return detail_page(&state, &user, &headers, id, None, Some(super::lang(&headers).error(&e))).await;
    };
    match tags::set_on_customer(&state, &user.0, id, tag, f.action != "remove").await {
        Ok(_) => Redirect::to(&format!("/customers/{id}#tags")).into_response(),
        Err(e @ ServiceError::Invalid { .. }) => {
            detail_page(&state, &user, &headers, id, None, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/customers"), e),
    }
}
