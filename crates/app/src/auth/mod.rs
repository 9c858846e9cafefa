//! The secrets behind sign-in: password hashing, the throttle that slows password guessing, and the
//! random session, CSRF and API tokens (stored only as hashes).

pub mod password;
pub mod throttle;

use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

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
