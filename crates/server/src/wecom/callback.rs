//! The callback URL. GET answers WeCom's URL verification; POST accepts an event: signature checked,
//! body decrypted and addressed to our corp, timestamp within the window, replays refused — and then
//! the work is queued, not done, so the reply goes back in microseconds, far inside WeCom's 5 s.
//!
//! Anything refused gets a 4xx, a log line and no state change.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use siyu_domain::job::NewJob;
use siyu_wecom::event::CallbackEvent;
use siyu_wecom::xml::Fields;

use super::CALLBACK_JOB;
use crate::app::AppState;

/// The most a callback body may be: WeCom's envelope around one encrypted event is a few KiB.
pub const CALLBACK_BODY_LIMIT: usize = 16 << 10;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/wecom/callback",
        get(verify_url).merge(post(receive).layer(axum::extract::DefaultBodyLimit::max(CALLBACK_BODY_LIMIT))),
    )
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(status = status.as_u16(), why, "refused a WeCom callback");
    (status, why.to_owned()).into_response()
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> &'a str {
    q.get(name).map(String::as_str).unwrap_or("")
}

/// URL verification: decrypt `echostr` and answer its plaintext, nothing else.
async fn verify_url(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(rt) = state.wecom.as_ref() else { return refuse(StatusCode::NOT_FOUND, "WeCom is not configured") };
    match rt.crypto.open(param(&q, "msg_signature"), param(&q, "timestamp"), param(&q, "nonce"), param(&q, "echostr")) {
        Ok(plain) => plain.into_response(),
        Err(e) => refuse(StatusCode::FORBIDDEN, &e.to_string()),
    }
}

async fn receive(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>, body: Bytes) -> Response {
    let Some(rt) = state.wecom.as_ref() else { return refuse(StatusCode::NOT_FOUND, "WeCom is not configured") };
    let Ok(text) = std::str::from_utf8(&body) else { return refuse(StatusCode::BAD_REQUEST, "body is not UTF-8") };
    let Ok(outer) = Fields::parse(text) else { return refuse(StatusCode::BAD_REQUEST, "body is not WeCom XML") };
    let Some(encrypt) = outer.get("Encrypt") else { return refuse(StatusCode::BAD_REQUEST, "no Encrypt element") };
    let timestamp = param(&q, "timestamp");
    let now = state.clock.now();
    let Ok(sent) = timestamp.parse::<i64>() else { return refuse(StatusCode::BAD_REQUEST, "bad timestamp") };
    if (now.millis() / 1000 - sent).abs() > rt.window_secs {
        return refuse(StatusCode::FORBIDDEN, "timestamp outside the window: a replay");
    }
    let plain = match rt.crypto.open(param(&q, "msg_signature"), timestamp, param(&q, "nonce"), encrypt) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::FORBIDDEN, &e.to_string()),
    };
    let event = match CallbackEvent::parse(&plain) {
        Ok(e) => e,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let mut job = NewJob::now(CALLBACK_JOB, plain, now);
    job.max_attempts = 8;
    let Some(intake) = state.callback_intake.as_ref() else {
        return refuse(StatusCode::NOT_FOUND, "WeCom is not configured");
    };
    match intake.accept(event.dedupe_key.clone(), job).await {
        Ok(true) => {}
        // WeCom's own retry, or a replay inside the window: already queued once.
        Ok(false) => tracing::debug!(key = %event.dedupe_key, "duplicate WeCom callback ignored"),
        Err(e) => {
            // Not acknowledged, so WeCom sends it again.
            tracing::error!(error = %e, "could not queue a WeCom callback");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    // An empty 200 is "received" for events.
    StatusCode::OK.into_response()
}
