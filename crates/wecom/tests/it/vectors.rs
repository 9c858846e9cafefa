//! The official WXBizMsgCrypt samples (copied from shared/wecom/callback-vectors.json) pass, and
//! tampering with any part of them is caught.

use serde_json::Value;
use siyu_wecom::crypto::{CallbackCrypto, CryptoError};
use siyu_wecom::event::{CallbackEvent, EventKind};
use siyu_wecom::xml::Fields;

fn vectors() -> Vec<Value> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/callback-vectors.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("vector lacks {k}"))
}

fn crypto(v: &Value) -> CallbackCrypto {
    CallbackCrypto::new(s(v, "token"), s(v, "encoding_aes_key"), s(v, "receive_id")).unwrap()
}

/// The ciphertext a vector carries: `echostr` for URL verification, `<Encrypt>` of the body otherwise.
fn ciphertext(v: &Value) -> String {
    match s(v, "kind") {
        "url_verification" => s(v, "echostr").to_owned(),
        _ => Fields::parse(s(v, "post_body")).unwrap().get("Encrypt").unwrap().to_owned(),
    }
}

#[test]
fn official_vectors_verify_and_decrypt() {
    let all = vectors();
    assert!(all.len() >= 2);
    for v in &all {
        let c = crypto(v);
        let enc = ciphertext(v);
        if let Some(e) = v.get("encrypt").and_then(Value::as_str) {
            assert_eq!(enc, e);
        }
        let plain = c
            .open(s(v, "msg_signature"), s(v, "timestamp"), s(v, "nonce"), &enc)
            .unwrap_or_else(|e| panic!("{}: {e}", s(v, "name")));
        assert_eq!(plain, s(v, "expected_plaintext"), "{}", s(v, "name"));
    }
}

#[test]
fn the_official_message_parses_as_an_ignored_text_message() {
    let v = vectors().into_iter().find(|v| v["kind"] == "event_post").unwrap();
    let e = CallbackEvent::parse(s(&v, "expected_plaintext")).unwrap();
    assert_eq!(e.kind, EventKind::Other { msg_type: "text".into(), event: None });
    assert_eq!(e.to, "wx5823bf96d3bd56c7");
}

#[test]
fn tampering_is_refused() {
    for v in &vectors() {
        let c = crypto(v);
        let enc = ciphertext(v);
        let (sig, ts, nonce) = (s(v, "msg_signature"), s(v, "timestamp"), s(v, "nonce"));
        let mut bad_sig = sig.to_owned();
        bad_sig.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
        assert_eq!(c.open(&bad_sig, ts, nonce, &enc), Err(CryptoError::Signature));
        assert_eq!(
            c.open(sig, "1409659999", nonce, &enc),
            Err(CryptoError::Signature),
            "a changed timestamp breaks the signature"
        );
        // A ciphertext changed in flight no longer matches the signature.
        let mut flipped = enc.clone().into_bytes();
        flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(c.open(sig, ts, nonce, &String::from_utf8(flipped).unwrap()), Err(CryptoError::Signature));
        // The right token and key but another corp: refused after decryption.
        let other = CallbackCrypto::new(s(v, "token"), s(v, "encoding_aes_key"), "ww-another-corp").unwrap();
        assert_eq!(other.open(sig, ts, nonce, &enc), Err(CryptoError::ReceiveId));
    }
}
