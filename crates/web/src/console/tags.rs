//! Tag pages: every tag by group with how many of the operator's customers carry it, forms for a new
//! group and a new tag, and one tag's page (edit, load an imported tag from a list of customer numbers).

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::records::Tag;
use siyu_domain::lang::Text;
use siyu_domain::scope::Permission;
use siyu_domain::tag::TagKind;
use siyu_domain::{TagGroupId, TagId};

use super::customers::Opt;
use super::{IdPath, PageCtx, error_page, render};
use crate::api::imports::read_upload;
use crate::auth::extract::{ConsoleUser, url_escape};
use siyu_app::error::ServiceError;
use siyu_app::services::tags::{self, ListLoad, TagForm};
use siyu_app::state::AppState;

/// A tag as a row.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub id: TagId,
    pub group: String,
    pub name: String,
    pub kind: &'static str,
    pub customers: u64,
    pub sync: &'static str,
    pub rule: String,
}

fn row(ctx: &PageCtx, t: &Tag, customers: u64) -> TagRow {
    TagRow {
        id: t.id,
        group: t.group_name.clone(),
        name: t.name.clone(),
        kind: ctx.tr.t(&format!("tagkind.{}", t.kind.as_str())),
        customers,
        sync: ctx.tr.yes_no(t.sync_to_wecom),
        rule: t.rule_text.clone().unwrap_or_default(),
    }
}

/// The tag form as typed, re-shown after an error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagInput {
    #[serde(default)]
    pub group_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub sync_to_wecom: Option<String>,
    #[serde(default)]
    pub rule: String,
}

impl TagInput {
    fn form(&self) -> Result<TagForm, ServiceError> {
        Ok(TagForm {
            group_id: self
                .group_id
                .parse::<TagGroupId>()
                .map_err(|_| ServiceError::invalid("bad_group", Text::new("form.choose_group")))?,
            name: self.name.clone(),
            kind: TagKind::parse(&self.kind)
                .ok_or_else(|| ServiceError::invalid("bad_kind", Text::new("form.choose_kind")))?,
            sync_to_wecom: self.sync_to_wecom.is_some(),
            rule: Some(self.rule.clone()),
        })
    }
}

/// The tag groups as choices, `selected` chosen.
async fn group_options(state: &AppState, user: &ConsoleUser, selected: &str) -> Vec<Opt> {
    tags::groups(state, &user.0)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| Opt { selected: selected == g.id.to_string(), value: g.id.to_string(), label: g.name })
        .collect()
}

#[derive(Template)]
#[template(path = "tags/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<TagRow>,
    can_manage: bool,
    groups: Vec<Opt>,
    kinds: Vec<Opt>,
    form: TagInput,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    form: TagInput,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/tags");
    let all = match tags::list(state, &user.0).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let rows = all.iter().map(|(t, n)| row(&ctx, t, *n)).collect();
    let groups = group_options(state, user, &form.group_id).await;
    let kinds = TagKind::ALL
        .iter()
        .map(|k| Opt {
            value: k.as_str().into(),
            label: ctx.tr.t(&format!("tagkind.{}", k.as_str())).into(),
            selected: form.kind == k.as_str(),
        })
        .collect();
    let can_manage = user.0.actor.can(Permission::ManageTags);
    render(&ListPage { ctx, rows, can_manage, groups, kinds, form, error })
}

pub async fn list(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    let form = TagInput { kind: "manual".into(), ..Default::default() };
    list_page(&state, &user, &headers, form, None).await
}

pub async fn create(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(f): Form<TagInput>,
) -> Response {
    let result = match f.form() {
        Ok(form) => tags::create(&state, &user.0, &form).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Redirect::to(&format!("/tags/{}", t.id)).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::BadExpression { .. } | ServiceError::Conflict(_))) => {
            list_page(&state, &user, &headers, f, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/tags"), e),
    }
}

#[derive(Debug, Deserialize)]
pub struct GroupInput {
    #[serde(default)]
    name: String,
}

pub async fn create_group(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(g): Form<GroupInput>,
) -> Response {
    match tags::create_group(&state, &user.0, &g.name).await {
        Ok(_) => Redirect::to("/tags").into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let form = TagInput { kind: "manual".into(), ..Default::default() };
            list_page(&state, &user, &headers, form, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/tags"), e),
    }
}

#[derive(Template)]
#[template(path = "tags/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    t: TagRow,
    wecom_id: String,
    is_rule: bool,
    is_imported: bool,
    can_manage: bool,
    groups: Vec<Opt>,
    form: TagInput,
    use_href: String,
    loaded: Option<ListLoad>,
    error: Option<String>,
}

async fn detail_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    id: TagId,
    form: Option<TagInput>,
    loaded: Option<ListLoad>,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/tags");
    let all = match tags::list(state, &user.0).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx, e),
    };
    let Some((tag, n)) = all.into_iter().find(|(t, _)| t.id == id) else {
        return error_page(ctx, ServiceError::NotFound);
    };
    let form = form.unwrap_or_else(|| TagInput {
        group_id: tag.group_id.to_string(),
        name: tag.name.clone(),
        kind: tag.kind.as_str().into(),
        sync_to_wecom: tag.sync_to_wecom.then(|| "on".into()),
        rule: tag.rule_text.clone().unwrap_or_default(),
    });
    let groups = group_options(state, user, &form.group_id).await;
    let use_href = format!("/audiences/new?expr={}", url_escape(&format!("tag(\"{}\")", tag.name)));
    render(&DetailPage {
        t: row(&ctx, &tag, n),
        wecom_id: tag.wecom_tag_id.clone().unwrap_or_default(),
        is_rule: tag.kind == TagKind::Rule,
        is_imported: tag.kind == TagKind::Imported,
        can_manage: user.0.actor.can(Permission::ManageTags),
        groups,
        form,
        use_href,
        loaded,
        error,
        ctx,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<TagId>,
) -> Response {
    detail_page(&state, &user, &headers, id, None, None, None).await
}

pub async fn update(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<TagId>,
    Form(f): Form<TagInput>,
) -> Response {
    let result = match f.form() {
        Ok(form) => tags::update(&state, &user.0, id, &form).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Redirect::to(&format!("/tags/{}", t.id)).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::BadExpression { .. } | ServiceError::Conflict(_))) => {
            detail_page(&state, &user, &headers, id, Some(f), None, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/tags"), e),
    }
}

pub async fn load_list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    IdPath(id): IdPath<TagId>,
    m: Multipart,
) -> Response {
    // The permission is checked before a byte of the upload is read.
    let result = match tags::may_load_list(&user.0) {
        Ok(()) => match read_upload(&state, m).await {
            Ok(up) => {
                let replace = up.fields.iter().any(|(k, v)| k == "replace" && !v.is_empty());
                tags::load_list_file(&state, &user.0, id, up.bytes, replace).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(loaded) => detail_page(&state, &user, &headers, id, None, Some(loaded), None).await,
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::TooLarge { .. } | ServiceError::Busy)) => {
            detail_page(&state, &user, &headers, id, None, None, Some(super::lang(&headers).error(&e))).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/tags"), e),
    }
}
