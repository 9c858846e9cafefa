//! The HTTP server: hyper's HTTP/1 connections served by hand rather than through `axum::serve`, so
//! that a connection cannot be held open for nothing. A client has `header_read_timeout_secs` to send
//! a request's head (which is also how long an idle keep-alive connection lives); a body may pause at
//! most `body_read_timeout_secs` and takes at most `body_total_timeout_secs` in all
//! (`upload_total_timeout_secs` on the upload routes, which say so with [`upload_deadline`]) — the
//! pause alone would let a body trickled a byte at a time live for days; an answer's write may stall
//! (a client that stops reading) at most `write_stall_timeout_secs`; at most `max_connections` are
//! served at once, and at most `max_connections_per_ip` from one address. Shutdown is graceful as
//! before: stop accepting, let each connection finish its request, then return — every step of which
//! is now bounded by the timeouts above.
//!
//! A request hyper cannot parse never reaches the router: hyper answers it itself (400, 414 or 431)
//! with an empty body and closes. [`ParseErrorAnswer`] gives those answers the JSON error body.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use crate::error::ApiError;
use siyu_app::config::ServerConfig;

/// The timeouts and the connection bounds, from `[server]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub body_total_timeout: Duration,
    pub upload_total_timeout: Duration,
    pub write_stall_timeout: Duration,
    pub max_connections: usize,
    /// `None`: no bound per address.
    pub max_connections_per_ip: Option<usize>,
}

impl ServeLimits {
    /// Zero is not "no timeout": every timeout is at least a second and `max_connections` at least one.
    /// Only `max_connections_per_ip` may be 0, for "no bound per address" (behind a proxy).
    pub fn from_config(c: &ServerConfig) -> Self {
        let secs = |s: u64| Duration::from_secs(s.max(1));
        Self {
            header_read_timeout: secs(c.header_read_timeout_secs),
            body_read_timeout: secs(c.body_read_timeout_secs),
            body_total_timeout: secs(c.body_total_timeout_secs),
            upload_total_timeout: secs(c.upload_total_timeout_secs),
            write_stall_timeout: secs(c.write_stall_timeout_secs),
            max_connections: c.max_connections.max(1),
            max_connections_per_ip: (c.max_connections_per_ip > 0).then_some(c.max_connections_per_ip),
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
    // The body clock of tower-http is per read: it restarts with every chunk. The total is
    // `DeadlineBody`'s, below.
    let app = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read_timeout))
        .service(app.layer(axum::middleware::from_fn(late_body_answer)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(HYPER_MAX_HEADERS)
        .max_buf_size(HYPER_MAX_BUF);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let peers = PeerCounts::default();
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
        // One address may not take every slot: past its share it is closed at once (not queued, so
        // that it cannot fill the listen queue either) and its slot goes back.
        let Some(peer_slot) = peers.admit(peer.ip(), limits.max_connections_per_ip) else {
            tracing::debug!(%peer, "too many connections from one address; closed");
            drop(stream);
            continue;
        };
        let svc = app.clone().map_request(move |req: Request<Incoming>| {
            let (mut parts, body) = req.into_parts();
            let deadline = BodyDeadline::new(limits.body_total_timeout, limits.upload_total_timeout);
            parts.extensions.insert(ConnectInfo::<SocketAddr>(peer));
            parts.extensions.insert(deadline.clone());
            Request::from_parts(parts, axum::body::Body::new(DeadlineBody::new(body, deadline)))
        });
        let io = TokioIo::new(ParseErrorAnswer::new(WriteStallBound::new(stream, limits.write_stall_timeout)));
        let conn = graceful.watch(http.serve_connection(io, TowerToHyperService::new(svc)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts and clients that go away end up here; they are not the server's errors.
                tracing::debug!(error = %e, %peer, "connection ended");
            }
            drop(peer_slot);
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The address a connection is counted under: IPv4 as it is, IPv6 by its /64 (one subscriber's
/// network; an attacker holds a whole /64 and could otherwise take a new address per connection).
fn peer_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Open connections per client address.
#[derive(Debug, Default, Clone)]
struct PeerCounts(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One admitted connection of an address; dropping it frees its place.
struct PeerSlot {
    counts: PeerCounts,
    ip: IpAddr,
}

impl PeerCounts {
    /// A place for one more connection from `ip`, unless it already holds `max` (`None`: no bound).
    fn admit(&self, ip: IpAddr, max: Option<usize>) -> Option<PeerSlot> {
        let ip = peer_key(ip);
        let mut counts = self.0.lock().expect("peer counts lock");
        let n = counts.entry(ip).or_insert(0);
        if max.is_some_and(|max| *n >= max) {
            tracing::warn!(peer = %ip, "an address holds its share of connections; one more refused");
            return None;
        }
        *n += 1;
        Some(PeerSlot { counts: self.clone(), ip })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().expect("peer counts lock");
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// When a request's body must have arrived in full, counted from when its head did. Every request
/// gets the short total; an upload route's [`upload_deadline`] layer moves it to the upload total
/// before its handler reads the body.
#[derive(Debug, Clone)]
pub struct BodyDeadline {
    started: Instant,
    upload_total: Duration,
    at: Arc<Mutex<Instant>>,
    /// The body was cut: the answer is 408 whatever the handler made of the broken body.
    passed: Arc<AtomicBool>,
}

impl BodyDeadline {
    fn new(total: Duration, upload_total: Duration) -> Self {
        let started = Instant::now();
        Self {
            started,
            upload_total,
            at: Arc::new(Mutex::new(started + total)),
            passed: Arc::new(AtomicBool::new(false)),
        }
    }

    fn at(&self) -> Instant {
        *self.at.lock().expect("body deadline lock")
    }

    /// This request is an upload: its body may take the upload total.
    fn allow_upload(&self) {
        *self.at.lock().expect("body deadline lock") = self.started + self.upload_total;
    }
}

/// For the upload routes (beside their larger body limit): gives the body the upload total.
pub async fn upload_deadline(req: Request, next: Next) -> Response {
    if let Some(d) = req.extensions().get::<BodyDeadline>() {
        d.allow_upload();
    }
    next.run(req).await
}

/// Answers 408 — the JSON error under `/api/`, words elsewhere — for a request whose body was cut at
/// its deadline: the handler only saw a body that failed to read, and would answer 400 or 422.
pub async fn late_body_answer(req: Request, next: Next) -> Response {
    let deadline = req.extensions().get::<BodyDeadline>().cloned();
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    if !deadline.is_some_and(|d| d.passed.load(Ordering::Relaxed)) {
        return resp;
    }
    if api {
        ApiError::BodyTimeout.into_response()
    } else {
        (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            ApiError::BodyTimeout.message(),
        )
            .into_response()
    }
}

/// A request body that fails once its [`BodyDeadline`] passes, however steadily it trickles in.
struct DeadlineBody<B> {
    inner: B,
    deadline: BodyDeadline,
    timer: Pin<Box<Sleep>>,
}

impl<B> DeadlineBody<B> {
    fn new(inner: B, deadline: BodyDeadline) -> Self {
        let timer = Box::pin(tokio::time::sleep_until(deadline.at()));
        Self { inner, deadline, timer }
    }
}

impl<B> HttpBody for DeadlineBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        // The deadline may have moved (an upload route) since the timer was set.
        let at = this.deadline.at();
        if this.timer.deadline() != at {
            this.timer.as_mut().reset(at);
        }
        if this.timer.as_mut().poll(cx).is_ready() {
            this.deadline.passed.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(ApiError::BodyTimeout))));
        }
        Pin::new(&mut this.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection whose writes may not stall longer than `limit`: hyper has no write timeout, so a
/// client that stops reading its answer (a large download, or pipelined requests it never reads)
/// would otherwise hold the connection, its slot and graceful shutdown for as long as it likes. The
/// clock runs only while a write, flush or shutdown is pending, and restarts with any progress.
pub struct WriteStallBound<T> {
    inner: T,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteStallBound<T> {
    pub fn new(inner: T, limit: Duration) -> Self {
        Self { inner, limit, stalled: None }
    }

    /// `Pending` from the connection: start or check the stall clock.
    fn on_pending<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let limit = self.limit;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading the answer")))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn bounded<R>(&mut self, cx: &mut Context<'_>, p: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match p {
            Poll::Pending => self.on_pending(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStallBound<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStallBound<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let p = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.bounded(cx, p)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = Pin::new(&mut self.inner).poll_flush(cx);
        self.bounded(cx, p)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.bounded(cx, p)
    }
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
        ApiError::HeadersTooLarge.into_response()
    } else {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            ApiError::HeadersTooLarge.message(),
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
    let (code, key) = match status_line.strip_prefix("HTTP/1.1 ")?.get(..3)? {
        "400" => ("bad_request", "http.bad_request"),
        "414" => ("uri_too_long", "http.uri_too_long"),
        "431" => ("headers_too_large", "http.headers_too_large"),
        _ => return None,
    };
    // A request that could not be read has no language of its own: the bank's default.
    let message = siyu_domain::lang::Text::new(key).render(siyu_domain::lang::Lang::default());
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
mod peer_tests {
    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: std::net::IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(super::peer_key(a), super::peer_key(b));
        assert_ne!(super::peer_key(a), super::peer_key(c));
        let mapped: std::net::IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(super::peer_key(mapped), "10.0.0.1".parse::<std::net::IpAddr>().unwrap());
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
        assert!(r.ends_with(r#""code":"bad_request","message":"请求格式错误"}}"#), "{r}");
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
