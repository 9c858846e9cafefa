//! The callback URL's work. Verification answers WeCom's URL check; an event is accepted only through
//! a ladder of refusals — signature checked, body decrypted and addressed to our corp, timestamp
//! within the window, replays refused — and then queued, not done, so the reply goes back in
//! microseconds, far inside WeCom's 5 s.
//!
//! Anything refused changes nothing and comes back as a [`Refusal`] with its reason, which `siyu-web`
//! logs and answers with a 4xx (or a 503 when it could not be queued, so WeCom sends it again).

use siyu_wecom::event::CallbackEvent;
use siyu_wecom::xml::Fields;

use super::events::{ApplyCallback, CallbackXml};
use crate::jobs::{self, Options};
use crate::state::AppState;

/// The most a callback body may be: WeCom's envelope around one encrypted event is a few KiB.
pub const CALLBACK_BODY_LIMIT: usize = 16 << 10;

/// The query string WeCom signs its requests with.
#[derive(Debug, Default, Clone)]
pub struct Signed {
    pub msg_signature: String,
    pub timestamp: String,
    pub nonce: String,
    /// Only on URL verification.
    pub echostr: String,
}

/// Why a callback was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No WeCom corp is configured here.
    NotConfigured,
    /// The request is not a WeCom callback at all.
    Malformed(String),
    /// Signed wrongly, for another corp, or outside the window: a forgery or a replay.
    Forged(String),
    /// Well-formed, but it could not be queued; not acknowledged, so WeCom sends it again.
    Unavailable,
}

/// URL verification: decrypts `echostr`, whose plaintext is the whole answer.
pub fn verify_url(state: &AppState, q: &Signed) -> Result<String, Refusal> {
    let Some(rt) = state.wecom.as_ref() else { return Err(Refusal::NotConfigured) };
    rt.crypto.open(&q.msg_signature, &q.timestamp, &q.nonce, &q.echostr).map_err(|e| Refusal::Forged(e.to_string()))
}

/// Accepts one event: `Ok` once it is queued (or was queued before: WeCom's own retry).
pub async fn receive(state: &AppState, q: &Signed, body: &[u8]) -> Result<(), Refusal> {
    let malformed = |why: &str| Refusal::Malformed(why.to_owned());
    let Some(rt) = state.wecom.as_ref() else { return Err(Refusal::NotConfigured) };
    let Ok(text) = std::str::from_utf8(body) else { return Err(malformed("body is not UTF-8")) };
    let Ok(outer) = Fields::parse(text) else { return Err(malformed("body is not WeCom XML")) };
    let Some(encrypt) = outer.get("Encrypt") else { return Err(malformed("no Encrypt element")) };
    let now = state.clock.now();
    let Ok(sent) = q.timestamp.parse::<i64>() else { return Err(malformed("bad timestamp")) };
    if (now.millis() / 1000 - sent).abs() > rt.window_secs {
        return Err(Refusal::Forged("timestamp outside the window: a replay".into()));
    }
    let plain = rt
        .crypto
        .open(&q.msg_signature, &q.timestamp, &q.nonce, encrypt)
        .map_err(|e| Refusal::Forged(e.to_string()))?;
    let event = CallbackEvent::parse(&plain).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let job = jobs::row::<ApplyCallback>(&CallbackXml(plain), &Options::now(), now);
    let Some(intake) = state.callback_intake.as_ref() else { return Err(Refusal::NotConfigured) };
    match intake.accept(event.dedupe_key.clone(), job).await {
        Ok(true) => Ok(()),
        // WeCom's own retry, or a replay inside the window: already queued once.
        Ok(false) => {
            tracing::debug!(key = %event.dedupe_key, "duplicate WeCom callback ignored");
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "could not queue a WeCom callback");
            Err(Refusal::Unavailable)
        }
    }
}
