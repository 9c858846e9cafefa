//! The tracked link's token (雷达链接, issue 17 §4): who a link was sent to and which item version it
//! carries, signed so that nobody can forge an open for another customer or another version.
//!
//! A token is a small fixed binary layout, base64url without padding (67 characters, so it sits in a
//! path segment as it is), and ends in an HMAC-SHA256 tag cut to 128 bits. The key is the app's (the
//! vault derives a dedicated link key from the master key); this module stays pure and takes the MAC as
//! a function, so it needs no crypto crate and its rules are tested in microseconds.
//!
//! Layout, big-endian: `layout (1) ‖ recipient kind (1) ‖ version (8) ‖ customer or 0 (8) ‖ staff (8) ‖
//! issued at, Unix seconds (4) ‖ expires at, Unix seconds (4) ‖ tag (16)`. Reading refuses, in this
//! order and before any other work: a text of any other length, a character outside base64url or a
//! non-canonical last character (so one token has exactly one spelling, and changing any character
//! changes the bytes), an unknown layout or kind, a tag that does not match (compared in constant
//! time), and an expired token.

use siyu_domain::{ContentVersionId, CustomerId, StaffId, Timestamp};

use crate::Channel;

/// How long a link works by default: a quarter, long enough for a Moments post to be found again,
/// short enough that an old forwarded link stops counting as the customer's interest.
pub const DEFAULT_TTL_SECS: i64 = 90 * 24 * 3600;

/// The longest a link may be issued for (a year).
pub const MAX_TTL_SECS: i64 = 366 * 24 * 3600;

const LAYOUT: u8 = 1;
const BODY_LEN: usize = 1 + 1 + 8 + 8 + 8 + 4 + 4;
const TAG_LEN: usize = 16;
const TOKEN_LEN: usize = BODY_LEN + TAG_LEN;

/// Characters in every token: 50 bytes in base64url without padding.
pub const TOKEN_CHARS: usize = (TOKEN_LEN * 8).div_ceil(6);

/// Who a link was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// One customer, in a one-to-one chat with the manager who sent it.
    Customer(CustomerId),
    /// Everyone who sees a manager's Moments post or group message: openers are anonymous.
    Shared(SharedChannel),
}

/// The channels a link is shared on rather than sent to one known customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharedChannel {
    Moments,
    Group,
    /// A one-to-one chat with a WeCom contact not (yet) matched to a customer — the welcome to a new
    /// add: its opener is anonymous, recorded against the manager, and matched later like any other.
    Chat,
}

/// What a token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkToken {
    pub version: ContentVersionId,
    /// The customer manager who sent or shared it.
    pub staff: StaffId,
    pub recipient: Recipient,
    /// Whole seconds (the layout keeps seconds).
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Why a token was refused. The open path logs it and shows a neutral page either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a link token (length, alphabet or layout)")]
    Malformed,
    #[error("the token's signature does not match: tampered or signed with another key")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

impl LinkToken {
    /// A token for `recipient`, issued `now` and working for `ttl_secs` (clamped to 1 s…[`MAX_TTL_SECS`]).
    pub fn new(version: ContentVersionId, staff: StaffId, recipient: Recipient, now: Timestamp, ttl_secs: i64) -> Self {
        let issued = now.millis().div_euclid(1000);
        let expires = issued + ttl_secs.clamp(1, MAX_TTL_SECS);
        Self {
            version,
            staff,
            recipient,
            issued_at: Timestamp::from_millis(issued * 1000),
            expires_at: Timestamp::from_millis(expires * 1000),
        }
    }

    /// The channel the link went out on.
    pub fn channel(&self) -> Channel {
        match self.recipient {
            Recipient::Customer(_) => Channel::OneToOne,
            Recipient::Shared(SharedChannel::Moments) => Channel::Moments,
            Recipient::Shared(SharedChannel::Group) => Channel::Group,
            Recipient::Shared(SharedChannel::Chat) => Channel::OneToOne,
        }
    }

    /// The customer it names, if it was sent to one.
    pub fn customer(&self) -> Option<CustomerId> {
        match self.recipient {
            Recipient::Customer(c) => Some(c),
            Recipient::Shared(_) => None,
        }
    }

    /// The token's text, signed with `mac` (HMAC-SHA256 under the link key).
    pub fn encode(&self, mac: impl Fn(&[u8]) -> [u8; 32]) -> String {
        let mut bytes = [0u8; TOKEN_LEN];
        bytes[0] = LAYOUT;
        let (kind, customer) = match self.recipient {
            Recipient::Customer(c) => (0u8, c.get()),
            Recipient::Shared(SharedChannel::Moments) => (1, 0),
            Recipient::Shared(SharedChannel::Group) => (2, 0),
            Recipient::Shared(SharedChannel::Chat) => (3, 0),
        };
        bytes[1] = kind;
        bytes[2..10].copy_from_slice(&self.version.get().to_be_bytes());
        bytes[10..18].copy_from_slice(&customer.to_be_bytes());
        bytes[18..26].copy_from_slice(&self.staff.get().to_be_bytes());
        bytes[26..30].copy_from_slice(&seconds(self.issued_at).to_be_bytes());
        bytes[30..34].copy_from_slice(&seconds(self.expires_at).to_be_bytes());
        let tag = mac(&bytes[..BODY_LEN]);
        bytes[BODY_LEN..].copy_from_slice(&tag[..TAG_LEN]);
        base64url::encode(&bytes)
    }

    /// Reads and checks a token's text; see the module's doc for the order of refusals.
    pub fn decode(text: &str, now: Timestamp, mac: impl Fn(&[u8]) -> [u8; 32]) -> Result<Self, TokenError> {
        if text.len() != TOKEN_CHARS {
            return Err(TokenError::Malformed);
        }
        let mut bytes = [0u8; TOKEN_LEN];
        base64url::decode(text.as_bytes(), &mut bytes).ok_or(TokenError::Malformed)?;
        if bytes[0] != LAYOUT || bytes[1] > 3 {
            return Err(TokenError::Malformed);
        }
        let tag = mac(&bytes[..BODY_LEN]);
        if !same(&tag[..TAG_LEN], &bytes[BODY_LEN..]) {
            return Err(TokenError::BadSignature);
        }
        let int = |at: usize| i64::from_be_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        let secs = |at: usize| i64::from(u32::from_be_bytes(bytes[at..at + 4].try_into().expect("four bytes")));
        let recipient = match bytes[1] {
            0 => Recipient::Customer(CustomerId::new(int(10))),
            1 => Recipient::Shared(SharedChannel::Moments),
            2 => Recipient::Shared(SharedChannel::Group),
            _ => Recipient::Shared(SharedChannel::Chat),
        };
        let token = Self {
            version: ContentVersionId::new(int(2)),
            staff: StaffId::new(int(18)),
            recipient,
            issued_at: Timestamp::from_millis(secs(26) * 1000),
            expires_at: Timestamp::from_millis(secs(30) * 1000),
        };
        if now.millis() >= token.expires_at.millis() {
            return Err(TokenError::Expired);
        }
        Ok(token)
    }
}

/// Unix seconds as the layout keeps them (u32: until 2106; earlier or later clamps).
fn seconds(t: Timestamp) -> u32 {
    t.millis().div_euclid(1000).clamp(0, i64::from(u32::MAX)) as u32
}

/// Equal bytes, compared in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// base64url without padding (RFC 4648 §5), strict: only the alphabet, and the unused low bits of the
/// last character must be zero, so every byte string has exactly one spelling.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity((bytes.len() * 8).div_ceil(6));
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            }
        }
        out
    }

    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    }

    /// Decodes into `out`, which must be exactly as long as the text says; `None` on any flaw.
    pub fn decode(text: &[u8], out: &mut [u8]) -> Option<()> {
        if (out.len() * 8).div_ceil(6) != text.len() {
            return None;
        }
        for (chunk, dest) in text.chunks(4).zip(out.chunks_mut(3)) {
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                n |= value(*c)? << (18 - 6 * i);
            }
            for (i, d) in dest.iter_mut().enumerate() {
                *d = (n >> (16 - 8 * i)) as u8;
            }
            // Bits the last character carries past the bytes must be zero (one spelling per token).
            let spare = (chunk.len() * 6) - dest.len() * 8;
            if spare > 0 && n >> (24 - chunk.len() * 6) & ((1 << spare) - 1) != 0 {
                return None;
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in MAC for the layout's tests: keyed, and every input bit reaches every output byte
    /// (the real HMAC lives with the key, in the vault).
    pub(crate) fn toy_mac(key: u8) -> impl Fn(&[u8]) -> [u8; 32] {
        move |m: &[u8]| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(key);
            let mut out = [0u8; 32];
            for round in 0..4u64 {
                for b in m {
                    h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3) ^ round;
                }
                out[round as usize * 8..round as usize * 8 + 8].copy_from_slice(&h.to_be_bytes());
            }
            out
        }
    }

    const NOW: Timestamp = Timestamp::from_millis(1_780_000_000_123);

    fn token(recipient: Recipient) -> LinkToken {
        LinkToken::new(ContentVersionId::new(42), StaffId::new(7), recipient, NOW, DEFAULT_TTL_SECS)
    }

    #[test]
    fn a_token_reads_back_as_issued_and_is_url_safe() {
        for r in [
            Recipient::Customer(CustomerId::new(9_000_001)),
            Recipient::Shared(SharedChannel::Moments),
            Recipient::Shared(SharedChannel::Group),
        ] {
            let t = token(r);
            let text = t.encode(toy_mac(1));
            assert_eq!(text.len(), TOKEN_CHARS);
            assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
            assert_eq!(LinkToken::decode(&text, NOW, toy_mac(1)), Ok(t));
        }
        assert_eq!(token(Recipient::Shared(SharedChannel::Group)).channel(), Channel::Group);
        assert_eq!(token(Recipient::Customer(CustomerId::new(1))).customer(), Some(CustomerId::new(1)));
    }

    #[test]
    fn wrong_key_truncated_padded_and_expired_tokens_are_refused() {
        let t = token(Recipient::Customer(CustomerId::new(5)));
        let text = t.encode(toy_mac(1));
        assert_eq!(LinkToken::decode(&text, NOW, toy_mac(2)), Err(TokenError::BadSignature));
        assert_eq!(LinkToken::decode(&text[..TOKEN_CHARS - 1], NOW, toy_mac(1)), Err(TokenError::Malformed));
        assert_eq!(LinkToken::decode(&format!("{text}="), NOW, toy_mac(1)), Err(TokenError::Malformed));
        assert_eq!(LinkToken::decode("", NOW, toy_mac(1)), Err(TokenError::Malformed));
        let at_expiry = t.expires_at;
        assert_eq!(LinkToken::decode(&text, at_expiry, toy_mac(1)), Err(TokenError::Expired));
        assert!(LinkToken::decode(&text, at_expiry.plus_millis(-1), toy_mac(1)).is_ok());
        // A base64 "+" or "/" (the other alphabet) is not ours.
        let other = format!("+{}", &text[1..]);
        assert_eq!(LinkToken::decode(&other, NOW, toy_mac(1)), Err(TokenError::Malformed));
    }

    #[test]
    fn ttl_is_clamped() {
        let t = LinkToken::new(
            ContentVersionId::new(1),
            StaffId::new(1),
            Recipient::Shared(SharedChannel::Moments),
            NOW,
            0,
        );
        assert_eq!(t.expires_at.millis() - t.issued_at.millis(), 1000);
        let t = LinkToken::new(
            ContentVersionId::new(1),
            StaffId::new(1),
            Recipient::Shared(SharedChannel::Moments),
            NOW,
            i64::MAX,
        );
        assert_eq!(t.expires_at.millis() - t.issued_at.millis(), MAX_TTL_SECS * 1000);
    }

    #[test]
    fn base64url_has_one_spelling_per_byte_string() {
        for len in 0..12 {
            let bytes: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(97).wrapping_add(200)).collect();
            let text = base64url::encode(&bytes);
            let mut back = vec![0u8; len];
            assert_eq!(base64url::decode(text.as_bytes(), &mut back), Some(()));
            assert_eq!(back, bytes);
        }
        // "AB" is 0x00 plus four stray bits; only "AA" spells the single zero byte.
        let mut one = [0u8; 1];
        assert_eq!(base64url::decode(b"AA", &mut one), Some(()));
        assert_eq!(base64url::decode(b"AB", &mut one), None);
    }
}
