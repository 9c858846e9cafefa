//! The HTTP server: hyper's HTTP/1 connections served by hand rather than through `axum::serve`, so
//! that a connection cannot be held open for nothing — a client has `header_read_timeout_secs` to send
//! a request's head (which is also how long an idle keep-alive connection lives), a body may pause at
//! most `body_read_timeout_secs`, and at most `max_connections` are served at once. Shutdown is
//! graceful as before: stop accepting, let each connection finish its request, then return.
//!
//! A request hyper cannot parse never reaches the router: hyper answers it itself (400, 414 or 431)
//! with an empty body and closes. [`ParseErrorAnswer`] gives those answers the JSON error body.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::ServerConfig;
use crate::error::{ApiError, ServiceError};

/// The timeouts and the connection bound, from `[server]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_connections: usize,
}

impl ServeLimits {
    /// Zero is not "no timeout": every limit is at least one (second, connection).
    pub fn from_config(c: &ServerConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(c.header_read_timeout_secs.max(1)),
            body_read_timeout: Duration::from_secs(c.body_read_timeout_secs.max(1)),
            max_connections: c.max_connections.max(1),
        }
    }
}

/// Headers a request may carry, and the bytes of them all, before it is answered 431 with the JSON
/// error ([`head_limits`]). hyper's own limits sit above these ([`HYPER_MAX_HEADERS`],
/// [`HYPER_MAX_BUF`]) so that the application is the one that answers; only a head past hyper's
/// limits gets hyper's bare 431.
pub const MAX_HEADERS: usize = 100;
pub const MAX_HEAD_BYTES: usize = 32 << 10;
const HYPER_MAX_HEADERS: usize = 2 * MAX_HEADERS;
const HYPER_MAX_BUF: usize = 8 * MAX_HEAD_BYTES;

/// Pause after a failed `accept` (out of file descriptors, say), rather than spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes, then waits for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // The body clock is per read: a body that arrives steadily, however large, is not cut off.
    let app = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read_timeout))
        .service(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(HYPER_MAX_HEADERS)
        .max_buf_size(HYPER_MAX_BUF);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        // A slot first: with every slot taken, new connections wait in the kernel's listen queue.
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the connection semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let svc = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        });
        let io = TokioIo::new(ParseErrorAnswer::new(stream));
        let conn = graceful.watch(http.serve_connection(io, TowerToHyperService::new(svc)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts and clients that go away end up here; they are not the server's errors.
                tracing::debug!(error = %e, %peer, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answers a request whose head is past [`MAX_HEADERS`] or [`MAX_HEAD_BYTES`] with 431 — the JSON
/// error under `/api/`, words elsewhere — before any handler sees it.
pub async fn head_limits(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let bytes: usize =
        headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum::<usize>() + req.uri().to_string().len();
    if headers.len() <= MAX_HEADERS && bytes <= MAX_HEAD_BYTES {
        return next.run(req).await;
    }
    if req.uri().path().starts_with("/api/") {
        ApiError(ServiceError::HeadersTooLarge).into_response()
    } else {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            ServiceError::HeadersTooLarge.to_string(),
        )
            .into_response()
    }
}

/// A connection's byte stream that recognises hyper's own answer to a request it could not parse —
/// status 400, 414 or 431, `content-length: 0`, nothing after the head, written in one piece — and
/// sends the same status with the JSON error body instead. siyu's handlers never answer those
/// statuses with an empty body (every API error has one, and so do axum's rejections), so nothing
/// the router sends is changed. Writes are not vectored, so that hyper hands over each answer whole.
pub struct ParseErrorAnswer<T> {
    inner: T,
    /// The replacement still to be written, and how much of it is.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> ParseErrorAnswer<T> {
    pub fn new(inner: T) -> Self {
        Self { inner, pending: None }
    }
}

/// The JSON answer standing for hyper's bare one in `head`, if `head` is one.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let end = text.find("\r\n\r\n")?;
    if end + 4 != text.len() || !text.to_ascii_lowercase().contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let status_line = text.split("\r\n").next()?;
    let (code, message) = match status_line.strip_prefix("HTTP/1.1 ")?.get(..3)? {
        "400" => ("bad_request", "请求格式错误 / malformed request"),
        "414" => ("uri_too_long", "请求地址过长 / request address too long"),
        "431" => ("headers_too_large", "请求头过大 / request headers too large"),
        _ => return None,
    };
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: AsyncWrite + Unpin> ParseErrorAnswer<T> {
    /// Writes out the replacement, if one is waiting.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ParseErrorAnswer<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ParseErrorAnswer<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if buf.len() <= 512
            && let Some(bytes) = replacement(buf)
        {
            self.pending = Some((bytes, 0));
            // hyper's bytes are taken (and dropped); the replacement goes out now or at the flush.
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_hypers_bare_error_answers_are_replaced() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n";
        let r = String::from_utf8(replacement(bare).unwrap()).unwrap();
        assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"), "{r}");
        assert!(r.ends_with(r#""code":"bad_request","message":"请求格式错误 / malformed request"}}"#), "{r}");
        for other in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nmore",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\n",
        ] {
            assert!(replacement(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }
}
