//! `/healthz` (the process answers), `/readyz` (and its database does), `/metrics` (Prometheus).
//!
//! The first two answer anyone (a balancer's probe carries no credentials). `/metrics` tells how the
//! bank uses siyu — sign-in failures, clear-text views, traffic per route — so it answers only a caller
//! with [`Permission::ReadMetrics`]: an administrator, or an API token with the `metrics:read` scope,
//! which is what Prometheus uses (`authorization: {type: Bearer, credentials: <token>}` in the scrape
//! config).

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use siyu_app::services::health;

use crate::auth::extract::ApiCaller;
use crate::error::ApiResult;
use siyu_app::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match health::ready(&state).await {
        Ok(backend) => (StatusCode::OK, format!("ok: {backend}")),
        Err(()) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable".to_owned()),
    }
}

async fn metrics(State(state): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<impl IntoResponse> {
    let text = health::metrics(&state, &c)?;
    Ok(([(header::CONTENT_TYPE, siyu_app::metrics::CONTENT_TYPE)], text))
}
