//! Who is calling: password sign-in, browser sessions with CSRF tokens, API tokens for the bank's
//! systems, and the throttle that slows password guessing.

pub mod csrf;
pub mod extract;
pub mod password;
pub mod throttle;

use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "siyu_session";
/// The sign-in form's CSRF cookie: there is no session yet, so the form's token is checked against
/// this cookie instead (double submit), and another site cannot sign a browser in to its own account.
pub const LOGIN_CSRF_COOKIE: &str = "siyu_login_csrf";

/// A fresh random secret (session token, CSRF token, API token), URL-safe base64 of 32 bytes.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Secrets are stored only as their SHA-256: a database leak hands out no live session or token.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two strings in time independent of where they differ (CSRF tokens).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
