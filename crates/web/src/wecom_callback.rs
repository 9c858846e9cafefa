//! `/wecom/callback`: GET answers WeCom's URL verification, POST accepts an event. The ladder of checks
//! is `siyu_app::wecom::callback`; this only maps its refusals to statuses (WeCom retries a 5xx).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use siyu_app::state::AppState;
use siyu_app::wecom::callback::{self, CALLBACK_BODY_LIMIT, Refusal, Signed};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/wecom/callback",
        get(verify_url).merge(post(receive).layer(axum::extract::DefaultBodyLimit::max(CALLBACK_BODY_LIMIT))),
    )
}

fn refused(r: Refusal) -> Response {
    let (status, why) = match r {
        Refusal::NotConfigured => (StatusCode::NOT_FOUND, "WeCom is not configured".to_owned()),
        Refusal::Malformed(why) => (StatusCode::BAD_REQUEST, why),
        Refusal::Forged(why) => (StatusCode::FORBIDDEN, why),
        // Logged where the queue failed; the empty 503 makes WeCom send it again.
        Refusal::Unavailable => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    tracing::warn!(status = status.as_u16(), why, "refused a WeCom callback");
    (status, why).into_response()
}

/// The signed parameters, each the last of its name (a missing one is empty, and fails the check).
fn signed(mut q: HashMap<String, String>) -> Signed {
    let mut take = |name: &str| q.remove(name).unwrap_or_default();
    Signed {
        msg_signature: take("msg_signature"),
        timestamp: take("timestamp"),
        nonce: take("nonce"),
        echostr: take("echostr"),
    }
}

async fn verify_url(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    match callback::verify_url(&state, &signed(q)) {
        Ok(plain) => plain.into_response(),
        Err(r) => refused(r),
    }
}

async fn receive(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>, body: Bytes) -> Response {
    match callback::receive(&state, &signed(q), &body).await {
        // An empty 200 is "received" for events.
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => refused(r),
    }
}
