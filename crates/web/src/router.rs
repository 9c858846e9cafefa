//! The whole HTTP surface: console, API, health, metrics and the WeCom callback behind one
//! authentication middleware, with the body limits every route starts from.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use siyu_app::config::Config;
use siyu_app::state::AppState;

/// The most any route reads of a body unless it says otherwise: JSON API documents and console forms
/// are a few KiB. Only the upload routes take more ([`upload_limit`]), and the WeCom callback less.
pub const BODY_LIMIT: usize = 64 << 10;

/// The most an upload route reads: the configured upload size, plus room for the multipart framing
/// and the form's other fields. The handler checks the file against the configured size too, for a
/// clear message.
pub fn upload_limit(config: &Config) -> usize {
    usize::try_from(config.server.max_upload_mib)
        .unwrap_or(usize::MAX / 2)
        .saturating_mul(1 << 20)
        .saturating_add(1 << 20)
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::console::routes(&state, upload_limit(&state.config)))
        .nest("/api/v1", crate::api::routes(&state))
        .merge(crate::health::routes())
        .merge(crate::wecom_callback::routes())
        .merge(crate::media::routes())
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::middleware::authenticate))
        // Tracked links are public and never have a caller: outside `authenticate` (`links.rs` says why).
        .merge(crate::links::routes())
        .layer(middleware::from_fn_with_state(state.clone(), crate::observe::track))
        // Secure cookies over HTTPS and no-store caching, on every answer (refusals included).
        .layer(middleware::from_fn_with_state(state.clone(), crate::headers::harden))
        // Routes that take more (uploads) or less (the WeCom callback) say so themselves; an inner
        // limit replaces this one.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(crate::serve::head_limits))
        .layer(middleware::from_fn(crate::error::with_request_lang))
        .with_state(state)
}
