//! Headers every answer gets in one place: `Secure` on each cookie when the request came over HTTPS,
//! and `Cache-Control: no-store` unless the handler chose its own caching.
//!
//! Cookie builders (the session, the sign-in form's token, the language) write no `Secure` of their
//! own; [`secure_cookies`] is the one function that adds it, so a cookie added later cannot forget.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::uri::Scheme;
use axum::middleware::Next;
use axum::response::Response;

use siyu_app::config::ServerConfig;
use siyu_app::state::AppState;

/// Whether the browser reached siyu over HTTPS: directly (the request names the `https` scheme), or
/// through a proxy that terminated TLS and said so in `X-Forwarded-Proto` or `Forwarded: proto=`,
/// when [`ServerConfig::trust_forwarded_proto`] allows — or always, with `secure_cookies` set.
pub fn arrived_over_https(uri: &axum::http::Uri, headers: &HeaderMap, server: &ServerConfig) -> bool {
    if server.secure_cookies || uri.scheme() == Some(&Scheme::HTTPS) {
        return true;
    }
    if !server.trust_forwarded_proto {
        return false;
    }
    let values = |name| headers.get_all(name).into_iter().filter_map(|v: &HeaderValue| v.to_str().ok());
    let forwarded_proto =
        values(header::HeaderName::from_static("x-forwarded-proto")).flat_map(|v| v.split(',')).any(is_https);
    let forwarded = values(header::FORWARDED)
        .flat_map(|v| v.split([',', ';']))
        .filter_map(|pair| pair.split_once('='))
        .any(|(k, v)| k.trim().eq_ignore_ascii_case("proto") && is_https(v.trim_matches(|c| c == '"' || c == ' ')));
    forwarded_proto || forwarded
}

fn is_https(v: &str) -> bool {
    v.trim().eq_ignore_ascii_case("https")
}

/// Adds `; Secure` to every `Set-Cookie` of `headers` that lacks it.
pub fn secure_cookies(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        let has_secure = c
            .to_str()
            .map(|s| s.split(';').skip(1).any(|attr| attr.trim().eq_ignore_ascii_case("secure")))
            .unwrap_or(false);
        let v = if has_secure {
            c
        } else {
            let mut bytes = c.as_bytes().to_vec();
            bytes.extend_from_slice(b"; Secure");
            HeaderValue::from_bytes(&bytes).unwrap_or(c)
        };
        headers.append(header::SET_COOKIE, v);
    }
}

/// Middleware in front of every route.
///
/// `no-store` on everything by default: the console's pages and the API's answers are made for one
/// signed-in caller (a clear phone number, a new token's secret, a customer list), and neither a
/// shared proxy nor the browser's back button should keep them. A handler that wants caching sets
/// `Cache-Control` itself.
pub async fn harden(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let https = arrived_over_https(req.uri(), req.headers(), &state.config.server);
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if https {
        secure_cookies(headers);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> ServerConfig {
        siyu_app::config::Config::default().server
    }

    fn https(pairs: &[(&'static str, &'static str)], server: &ServerConfig) -> bool {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        arrived_over_https(&"/login".parse().unwrap(), &h, server)
    }

    #[test]
    fn https_is_read_from_a_proxy_header_when_trusted() {
        let s = server();
        assert!(!https(&[], &s));
        assert!(https(&[("x-forwarded-proto", "https")], &s));
        assert!(https(&[("x-forwarded-proto", "HTTPS, http")], &s));
        assert!(!https(&[("x-forwarded-proto", "http")], &s));
        assert!(https(&[("forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43")], &s));
        assert!(https(&[("forwarded", "proto=\"https\"")], &s));
        assert!(!https(&[("forwarded", "for=192.0.2.60;proto=http")], &s));
        let untrusting = ServerConfig { trust_forwarded_proto: false, ..server() };
        assert!(!https(&[("x-forwarded-proto", "https")], &untrusting));
        let always = ServerConfig { secure_cookies: true, trust_forwarded_proto: false, ..server() };
        assert!(https(&[], &always));
        let absolute: axum::http::Uri = "https://siyu.example/login".parse().unwrap();
        assert!(arrived_over_https(&absolute, &HeaderMap::new(), &untrusting));
    }

    #[test]
    fn every_cookie_gets_secure_once() {
        let mut h = HeaderMap::new();
        h.append(header::SET_COOKIE, HeaderValue::from_static("a=1; Path=/; HttpOnly"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("b=2; Path=/; Secure"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("secure=3"));
        secure_cookies(&mut h);
        let got: Vec<&str> = h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(got, ["a=1; Path=/; HttpOnly; Secure", "b=2; Path=/; Secure", "secure=3; Secure"]);
    }
}
