//! Property test: a tracked link's token reads back exactly as issued, and any change to its text —
//! one character replaced, cut short, lengthened — or another key or a later time past its expiry is
//! refused, never read as some other token.

use proptest::prelude::*;
use siyu_content::link_token::{LinkToken, Recipient, SharedChannel, TOKEN_CHARS, TokenError};
use siyu_domain::{ContentVersionId, CustomerId, StaffId, Timestamp};

/// A keyed stand-in for HMAC (the real one is the vault's): every input byte reaches every output byte.
fn mac(key: u64) -> impl Fn(&[u8]) -> [u8; 32] {
    move |m: &[u8]| {
        let mut out = [0u8; 32];
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ key;
        for (round, slot) in out.chunks_mut(8).enumerate() {
            for b in m {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3).rotate_left(5) ^ round as u64;
            }
            slot.copy_from_slice(&h.to_be_bytes());
        }
        out
    }
}

fn recipient() -> impl Strategy<Value = Recipient> {
    prop_oneof![
        (1i64..i64::MAX).prop_map(|c| Recipient::Customer(CustomerId::new(c))),
        Just(Recipient::Shared(SharedChannel::Moments)),
        Just(Recipient::Shared(SharedChannel::Group)),
        Just(Recipient::Shared(SharedChannel::Chat)),
    ]
}

fn token() -> impl Strategy<Value = LinkToken> {
    (1i64..i64::MAX, 1i64..i64::MAX, recipient(), 1_600_000_000i64..3_000_000_000, 1i64..400 * 86_400).prop_map(
        |(v, s, r, now, ttl)| {
            LinkToken::new(ContentVersionId::new(v), StaffId::new(s), r, Timestamp::from_millis(now * 1000), ttl)
        },
    )
}

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.%";

proptest! {
    #[test]
    fn tokens_round_trip_and_any_tampering_is_refused(t in token(), at in 0usize..TOKEN_CHARS, with in 0usize..URL_SAFE.len(), key in any::<u64>()) {
        let text = t.encode(mac(key));
        prop_assert_eq!(text.len(), TOKEN_CHARS);
        let now = t.issued_at;
        prop_assert_eq!(LinkToken::decode(&text, now, mac(key)), Ok(t));

        let mut bytes = text.clone().into_bytes();
        prop_assume!(bytes[at] != URL_SAFE[with]);
        bytes[at] = URL_SAFE[with];
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(LinkToken::decode(&tampered, now, mac(key)).is_err(), "{} read as a token", tampered);

        prop_assert!(LinkToken::decode(&text[..at], now, mac(key)).is_err());
        let longer = format!("{text}A");
        prop_assert!(LinkToken::decode(&longer, now, mac(key)).is_err());
        prop_assert_eq!(LinkToken::decode(&text, now, mac(key ^ 1)), Err(TokenError::BadSignature));
        prop_assert_eq!(LinkToken::decode(&text, t.expires_at, mac(key)), Err(TokenError::Expired));
    }

    #[test]
    fn random_text_is_never_a_token(text in "[A-Za-z0-9_-]{60,70}") {
        prop_assert!(LinkToken::decode(&text, Timestamp::from_millis(0), mac(3)).is_err());
    }
}
