//! Every request timed under its route pattern, into the application's metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use siyu_app::state::AppState;

/// The method as a label: the methods HTTP defines, and `other` for any other token a client sends
/// (a method is any token at all, so taking it as it came would grow the label set without bound).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Middleware: times every request under its route pattern (`/customers/{id}`, never the raw path, so
/// ids do not explode the label set; a path no route matches is `unmatched`) and a method from a fixed
/// set. The status is one the server chose, so all three labels are bounded.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method());
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe(&route, method, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}
