//! Import endpoints: upload a file (multipart: `file`, optional `mapping`), follow its dry run, commit,
//! and download the rejected rows.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use siyu_app::records::{ImportProblem, ImportRecord, Paged};
use siyu_domain::ImportId;
use siyu_domain::lang::Text;

use super::Paging;
use super::extract::{ApiMultipart, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::{ApiResult, ServiceError, ServiceResult};
use siyu_app::services::imports;
use siyu_app::state::AppState;

/// An upload as read from a multipart form.
#[derive(Debug)]
pub struct UploadForm {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub mapping: String,
    /// The form's other fields, by name.
    pub fields: Vec<(String, String)>,
    /// This upload's turn (see `services::imports::file_slot`), held while the form lives: until the
    /// handler has stored or parsed the file.
    _turn: tokio::sync::OwnedSemaphorePermit,
}

/// Reads the `file` and `mapping` fields once it is this upload's turn; other fields are ignored.
/// Callers check the permission first: nothing is read before it.
pub async fn read_upload(state: &AppState, mut m: Multipart) -> ServiceResult<UploadForm> {
    let limit_mib = state.config.server.max_upload_mib;
    let _turn = imports::file_slot(state).await?;
    let mut form =
        UploadForm { file_name: String::new(), bytes: Vec::new(), mapping: String::new(), fields: Vec::new(), _turn };
    let mut got_file = false;
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(ServiceError::TooLarge { limit_mib }),
            Err(e) => return Err(ServiceError::invalid("bad_upload", e.body_text())),
        };
        match field.name() {
            Some("file") => {
                form.file_name = field.file_name().unwrap_or("upload").to_owned();
                form.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| {
                        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                            ServiceError::TooLarge { limit_mib }
                        } else {
                            ServiceError::invalid("bad_upload", e.body_text())
                        }
                    })?
                    .to_vec();
                got_file = true;
            }
            Some("mapping") => {
                form.mapping = field.text().await.map_err(|e| ServiceError::invalid("bad_upload", e.body_text()))?
            }
            // Small fields of the form (a checkbox, a choice), kept by name.
            Some(name) if form.fields.len() < 16 => {
                let name = name.to_owned();
                let text = field.text().await.map_err(|e| ServiceError::invalid("bad_upload", e.body_text()))?;
                form.fields.push((name, text.chars().take(1000).collect()));
            }
            _ => {}
        }
    }
    if !got_file {
        return Err(ServiceError::invalid("no_file", Text::new("form.no_file")));
    }
    Ok(form)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportView {
    #[serde(flatten)]
    pub record: ImportRecord,
    /// Rows read so far while the dry run is still going.
    pub rows_read: Option<i64>,
}

pub fn view(state: &AppState, record: ImportRecord) -> ImportView {
    let rows_read = state.import_progress.get(record.id);
    ImportView { record: in_request_lang(record), rows_read }
}

/// An import with its file error in the request's language (it is stored as a catalogue text).
fn in_request_lang(mut record: ImportRecord) -> ImportRecord {
    let lang = crate::error::request_lang();
    record.file_error = record.file_error.map(|e| siyu_app::stored_text::decode(&e).render(lang));
    record
}

/// The multipart form of an upload, as the document describes it.
#[derive(Debug, utoipa::ToSchema)]
pub struct UploadRequest {
    /// The customer file: CSV (UTF-8 or GB18030) or XLSX.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Header overrides, a JSON object from a header in the file to a field (`{"手机": "phone"}`).
    pub mapping: Option<String>,
}

#[utoipa::path(
    post,
    path = "/imports",
    tag = "imports",
    summary = "Upload a CSV/XLSX customer file; its dry run starts",
    request_body(content = UploadRequest, content_type = "multipart/form-data"),
    responses((status = 202, description = "The import, its dry run queued", body = ImportView))
)]
pub async fn upload(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiMultipart(m): ApiMultipart,
) -> ApiResult<(StatusCode, Json<ImportView>)> {
    // The permission is checked before a byte of the upload is read.
    imports::may_upload(&c)?;
    let form = read_upload(&state, m).await?;
    let id = imports::upload(&state, &c, &form.file_name, form.bytes, &form.mapping).await?;
    let rec = imports::get(&state, &c, id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&state, rec))))
}

#[utoipa::path(
    get,
    path = "/imports",
    tag = "imports",
    summary = "Customer file imports, newest first",
    responses((status = 200, description = "A page of imports", body = Paged<ImportRecord>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<ImportRecord>>> {
    let mut page = imports::list(&state, &c, p.page()).await?;
    page.items = page.items.into_iter().map(in_request_lang).collect();
    Ok(Json(page))
}

#[utoipa::path(
    get,
    path = "/imports/{id}",
    tag = "imports",
    summary = "One import with its progress and counts",
    params(("id" = ImportId, Path, description = "The import")),
    responses((status = 200, description = "The import", body = ImportView))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ImportId>,
) -> ApiResult<Json<ImportView>> {
    let rec = imports::get(&state, &c, id).await?;
    Ok(Json(view(&state, rec)))
}

#[utoipa::path(
    get,
    path = "/imports/{id}/problems",
    tag = "imports",
    summary = "The dry run's problems, by row and column",
    params(("id" = ImportId, Path, description = "The import")),
    responses((status = 200, description = "A page of problems", body = Paged<ImportProblem>))
)]
pub async fn problems(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ImportId>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<ImportProblem>>> {
    let mut page = imports::problems(&state, &c, id, p.page()).await?;
    let lang = crate::error::request_lang();
    for p in &mut page.items {
        p.message = siyu_app::stored_text::decode(&p.message).render(lang);
    }
    Ok(Json(page))
}

#[utoipa::path(
    post,
    path = "/imports/{id}/commit",
    tag = "imports",
    summary = "Commit the good rows of a validated import",
    params(("id" = ImportId, Path, description = "The import")),
    responses((status = 202, description = "The import, its commit queued", body = ImportView))
)]
pub async fn commit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ImportId>,
) -> ApiResult<(StatusCode, Json<ImportView>)> {
    imports::request_commit(&state, &c, id).await?;
    let rec = imports::get(&state, &c, id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&state, rec))))
}

#[utoipa::path(
    get,
    path = "/imports/{id}/rejected.csv",
    tag = "imports",
    summary = "The rejected rows with their reasons, as CSV (audited export)",
    params(("id" = ImportId, Path, description = "The import")),
    responses((
        status = 200,
        description = "The rejected rows, each with its reasons",
        content_type = "text/csv",
        body = String,
        headers(("content-disposition" = String, description = "`attachment` with the file's name"))
    ))
)]
pub async fn rejected_csv(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<ImportId>,
) -> ApiResult<Response> {
    Ok(super::download(imports::rejected_csv(&state, &c, id, crate::error::request_lang()).await?))
}
