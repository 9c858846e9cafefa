//! The HTTP server's limits over raw TCP and real requests: an idle socket, a half-sent request line, a
//! stalled body and an idle keep-alive connection are closed within the configured timeouts; no more
//! than `max_connections` are served at once, nor more than `max_connections_per_ip` from one address; a
//! body trickled in is cut at its total deadline; a client that stops reading is dropped; bodies past their route's limit answer 413, oversized
//! heads 431, a wrong method 405, a malformed request 400 — the API's with its JSON error.

use std::time::{Duration, Instant};

use crate::common::{spawn_app_configured, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Reads until the server closes the connection (or resets it); returns what it sent and when it closed.
/// Fails if it is still open after `within`.
async fn closed_within(s: &mut (impl AsyncRead + Unpin), within: Duration, what: &str) -> (Duration, String) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(within.saturating_sub(start.elapsed()), s.read(&mut buf)).await {
            Err(_) => panic!("{what}: still open after {within:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return (start.elapsed(), String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn addr(app: &crate::common::TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn idle_half_sent_and_stalled_connections_are_closed() {
    let app = spawn_app_configured(5, |c| {
        c.server.header_read_timeout_secs = 1;
        c.server.body_read_timeout_secs = 1;
    })
    .await;
    let limit = Duration::from_secs(4);

    let mut idle = TcpStream::connect(addr(&app)).await.unwrap();
    let (t, _) = closed_within(&mut idle, limit, "an idle socket").await;
    assert!(t >= Duration::from_millis(900), "closed only after the timeout, not at once: {t:?}");

    let mut half = TcpStream::connect(addr(&app)).await.unwrap();
    half.write_all(b"GET /healthz HT").await.unwrap();
    closed_within(&mut half, limit, "a half-sent request line").await;

    let mut headers = TcpStream::connect(addr(&app)).await.unwrap();
    headers.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    closed_within(&mut headers, limit, "half-sent headers").await;

    // The sign-in form reads its body without anyone signed in.
    let mut stalled = TcpStream::connect(addr(&app)).await.unwrap();
    stalled
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\nusername=a",
        )
        .await
        .unwrap();
    closed_within(&mut stalled, limit, "a stalled body").await;

    // A keep-alive connection is closed once idle for as long.
    let mut kept = TcpStream::connect(addr(&app)).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let (_, sent) = closed_within(&mut kept, limit, "an idle keep-alive connection").await;
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
}

#[tokio::test]
async fn no_more_than_max_connections_are_served_at_once() {
    let app = spawn_app_configured(5, |c| c.server.max_connections = 2).await;
    let _a = TcpStream::connect(addr(&app)).await.unwrap();
    let b = TcpStream::connect(addr(&app)).await.unwrap();
    // Both slots are taken (give the server a moment to accept them): a third waits.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(early.is_err(), "a third connection was served while two were open");
    drop(b);
    let (_, sent) = closed_within(&mut third, Duration::from_secs(5), "the third connection").await;
    assert!(sent.starts_with("HTTP/1.1 200"), "served once a slot is free: {sent}");
}

#[tokio::test]
async fn bodies_past_their_routes_limit_answer_413_and_only_uploads_take_more() {
    let app = spawn_app_with(5).await;
    let admin = app.login("admin").await;
    let big = "长".repeat(40_000); // 120 KB of JSON: past the 64 KiB a JSON body may be
    let (s, v) = admin.post_json(&app, "/api/v1/staff", json!({ "username": big })).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    // A caller who may not create staff is refused before the body is read at all.
    let cm = app.login("cm_sh01_1").await;
    let (s, _) = cm.post_json(&app, "/api/v1/staff", json!({ "username": big })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The sign-in form and the WeCom callback are small too.
    let form = [("username", big.as_str()), ("password", "x")];
    let r = crate::common::client().post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = reqwest::Client::new().post(app.url("/wecom/callback")).body(vec![b'x'; 20 << 10]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A console form carrying the session's token, read by the CSRF check before any route.
    let form = [("csrf", admin.csrf.as_str()), ("name", big.as_str())];
    let r = admin.client.post(app.url("/tags/groups")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = admin.client.post(app.url("/api/v1/tag-groups")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "payload_too_large");

    // The upload routes take files far past 64 KiB (up to the configured size).
    let mut csv = String::from("客户号,姓名\n");
    while csv.len() < 200 << 10 {
        csv.push_str(&format!("C{:07},客户\n", csv.len()));
    }
    let file = || reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("big.csv");
    let r = admin
        .client
        .post(app.url("/api/v1/imports"))
        .header("x-csrf-token", &admin.csrf)
        .multipart(reqwest::multipart::Form::new().part("file", file()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{}", r.text().await.unwrap());
    let r = admin
        .client
        .post(app.url(&format!("/imports?csrf={}", admin.csrf)))
        .multipart(reqwest::multipart::Form::new().part("file", file()))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "the console's upload form");
    // …and no further: past the configured 8 MiB (tests) the body is not read.
    let huge = reqwest::multipart::Part::bytes(vec![b'a'; 10 << 20]).file_name("huge.csv");
    let r = admin
        .client
        .post(app.url("/api/v1/imports"))
        .header("x-csrf-token", &admin.csrf)
        .multipart(reqwest::multipart::Form::new().part("file", huge))
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn wrong_methods_large_heads_and_malformed_requests_get_the_json_error() {
    let app = spawn_app_with(5).await;
    let c = reqwest::Client::new();
    let r = c.delete(app.url("/api/v1/staff")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed");

    let mut many = c.get(app.url("/api/v1/me"));
    for i in 0..120 {
        many = many.header(format!("x-h{i}"), "v");
    }
    let r = many.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "headers_too_large");
    let r = c.get(app.url("/api/v1/me")).header("x-big", "v".repeat(40 << 10)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "headers_too_large");

    // A request hyper cannot parse never reaches a route; its 400 carries the JSON error too.
    for raw in [
        &b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"[..],
        b"GET /api/v1/\x01me HTTP/1.1\r\nHost: x\r\n\r\n",
        b"NOT A REQUEST\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(raw).await.unwrap();
        let (_, sent) = closed_within(&mut s, Duration::from_secs(5), "a malformed request").await;
        assert!(sent.starts_with("HTTP/1.1 400"), "{sent}");
        let body = sent.split("\r\n\r\n").nth(1).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {sent}"));
        assert_eq!(v["error"]["code"], "bad_request", "{sent}");
    }
}

/// Sends `head`, then the body a byte every 300 ms (well within the 1 s allowed per pause) until the
/// server closes; returns the reading half.
async fn trickle(app: &crate::common::TestApp, head: String) -> tokio::net::tcp::OwnedReadHalf {
    let (rd, mut wr) = TcpStream::connect(addr(app)).await.unwrap().into_split();
    wr.write_all(head.as_bytes()).await.unwrap();
    tokio::spawn(async move {
        while wr.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    rd
}

#[tokio::test]
async fn a_trickled_body_is_cut_at_its_total_deadline_and_an_upload_gets_longer() {
    let app = spawn_app_configured(5, |c| {
        c.server.body_read_timeout_secs = 1;
        c.server.body_total_timeout_secs = 2;
        c.server.upload_total_timeout_secs = 30;
    })
    .await;
    let head = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 60000\r\n\r\nusername=";
    let mut rd = trickle(&app, head.into()).await;
    let (t, sent) = closed_within(&mut rd, Duration::from_secs(5), "a trickled sign-in form").await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert!(t >= Duration::from_millis(1800), "cut at the total, not before: {t:?}");

    // An upload route's body may take the upload total: the same trickle is still being read.
    let admin = app.login("admin").await;
    let cookie = admin.cookie_header(&app);
    let head = format!(
        "POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nX-CSRF-Token: {}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 60000\r\n\r\n\
         --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n",
        admin.csrf
    );
    let mut rd = trickle(&app, head).await;
    let mut buf = [0u8; 256];
    let r = tokio::time::timeout(Duration::from_millis(3500), rd.read(&mut buf)).await;
    assert!(
        r.is_err(),
        "an upload was cut at the short total: {:?}",
        r.map(|r| r.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned()))
    );
}

#[tokio::test]
async fn one_address_gets_no_more_than_its_share_of_connections() {
    let app = spawn_app_configured(5, |c| c.server.max_connections_per_ip = 2).await;
    let server: std::net::SocketAddr = addr(&app).parse().unwrap();
    let from = |ip: [u8; 4]| async move {
        let s = TcpSocket::new_v4().unwrap();
        s.bind((std::net::Ipv4Addr::from(ip), 0).into()).unwrap();
        s.connect(server).await.unwrap()
    };
    let _a = from([127, 0, 0, 1]).await;
    let b = from([127, 0, 0, 1]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third from the same address is closed at once (the idle timeout is 10 s).
    let mut third = from([127, 0, 0, 1]).await;
    let _ = third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (_, sent) = closed_within(&mut third, Duration::from_secs(2), "a third connection from one address").await;
    assert_eq!(sent, "", "refused without an answer");
    // Another address is served meanwhile…
    let mut other = from([127, 0, 0, 2]).await;
    other.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let (_, sent) = closed_within(&mut other, Duration::from_secs(5), "a connection from another address").await;
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    // …and the first address again once one of its connections closes.
    drop(b);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = from([127, 0, 0, 1]).await;
    again.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let (_, sent) = closed_within(&mut again, Duration::from_secs(5), "the first address again").await;
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    // Every other bound that could close the connection is set far past the test's wait, so only the
    // write-stall bound can: the wait is long because filling the socket buffers with answers takes
    // CPU, which a loaded machine (the whole suite in parallel) gives slowly — but without the bound the
    // connection would stay open for minutes and the test would fail.
    let app = spawn_app_configured(5, |c| {
        c.server.write_stall_timeout_secs = 1;
        c.server.header_read_timeout_secs = 600;
    })
    .await;
    // Pipelined requests whose answers are never read: once the socket buffers are full, the
    // server's write stalls, it stops reading requests, and so the client's writes stall too — until
    // the server gives up on the connection and the client's next write fails.
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let batch = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000);
    let writer = async {
        loop {
            if s.write_all(batch.as_bytes()).await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("the server still reads from a client that does not read");
}
