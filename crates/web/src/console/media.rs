//! The content library's images and files page: thumbnails of the uploads, filtered by kind and
//! paged, and an upload form (for those who author content) whose refusals are shown in the page's
//! language next to it.

use askama::Template;
use axum::extract::{Multipart, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use siyu_app::error::ServiceError;
use siyu_app::services::media;
use siyu_app::state::AppState;
use siyu_domain::MediaId;
use siyu_domain::media::MediaKind;
use siyu_domain::scope::Permission;

use super::customers::Opt;
use super::{PageCtx, Pager, error_page, query_without_page, render, show_time};
use crate::api::Paging;
use crate::api::media::read_file;
use crate::auth::extract::ConsoleUser;

/// One upload as the page shows it.
#[derive(Debug, Clone)]
pub struct MediaRow {
    pub id: MediaId,
    pub url: String,
    pub name: String,
    pub kind: String,
    pub is_image: bool,
    pub size: String,
    pub time: String,
}

#[derive(Template)]
#[template(path = "media/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<MediaRow>,
    kinds: Vec<Opt>,
    pager: Pager,
    can_upload: bool,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct KindQuery {
    #[serde(default)]
    pub kind: String,
}

/// A size for people: KiB below a MiB, else MiB with one decimal.
fn size(bytes: i64) -> String {
    if bytes < 1 << 20 {
        format!("{} KiB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MiB", bytes as f64 / 1048576.0)
    }
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    kind: &str,
    paging: Paging,
    raw: Option<&str>,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(user, headers, "/media");
    let filter = MediaKind::from_code(kind);
    let page = paging.page();
    match media::list(state, &user.0, filter, page).await {
        Ok(p) => {
            let rows = p
                .items
                .iter()
                .map(|m| MediaRow {
                    id: m.id,
                    url: format!("/media/{}", m.id),
                    name: m.file_name.clone(),
                    kind: siyu_domain::media::MediaType::from_mime(&m.content_type)
                        .map_or_else(|| m.content_type.clone(), |t| t.label().to_owned()),
                    is_image: m.kind == MediaKind::Image,
                    size: size(m.size),
                    time: show_time(m.uploaded_at),
                })
                .collect();
            let kinds = [("", "mediapage.all"), ("image", "mediapage.images"), ("file", "mediapage.files")]
                .into_iter()
                .map(|(v, key)| Opt {
                    value: v.to_owned(),
                    label: ctx.tr.t(key).to_owned(),
                    selected: filter.map(MediaKind::code).unwrap_or("") == v,
                })
                .collect();
            let pager = Pager::new("/media", &query_without_page(raw), page, p.total);
            let can_upload = user.0.actor.can(Permission::AuthorContent);
            render(&ListPage { ctx, rows, kinds, pager, can_upload, error })
        }
        Err(e) => error_page(ctx, e),
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(k): Query<KindQuery>,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    list_page(&state, &user, &headers, &k.kind, p, raw.as_deref(), None).await
}

pub async fn upload(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap, m: Multipart) -> Response {
    let paging = Paging { page: None, per_page: None };
    // The permission is checked before a byte of the upload is read.
    if let Err(e) = media::may_upload(&user.0) {
        return error_page(PageCtx::new(&user, &headers, "/media"), e);
    }
    let shown = |e: &ServiceError| Some(super::lang(&headers).error(e));
    let (name, bytes, _turn) = match read_file(&state, m).await {
        Ok(f) => f,
        Err(e) => return list_page(&state, &user, &headers, "", paging, None, shown(&e)).await,
    };
    match media::upload(&state, &user.0, &name, bytes).await {
        Ok(_) => Redirect::to("/media").into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::TooLarge { .. })) => {
            list_page(&state, &user, &headers, "", paging, None, shown(&e)).await
        }
        Err(e) => error_page(PageCtx::new(&user, &headers, "/media"), e),
    }
}
