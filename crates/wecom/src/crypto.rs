//! The callback envelope (WXBizMsgCrypt): `msg_signature = sha1(sorted(token, timestamp, nonce,
//! encrypt))`; AES-256-CBC with IV = key[0..16]; plaintext = 16 random bytes ‖ u32 BE length ‖ message ‖
//! receive_id; PKCS#7 padding to 32-byte blocks; base64 outside.

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand::RngCore;
use sha1::{Digest, Sha1};

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

const BLOCK: usize = 32;

/// Why a callback could not be opened. The codes follow the official library's (−40001 …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("EncodingAESKey must be 43 characters of base64 (-40004)")]
    BadKey,
    #[error("signature mismatch (-40001)")]
    Signature,
    #[error("ciphertext is not base64 (-40010)")]
    Base64,
    #[error("ciphertext length or padding is wrong (-40008)")]
    Buffer,
    #[error("receive id mismatch (-40005)")]
    ReceiveId,
    #[error("message is not UTF-8")]
    Utf8,
}

/// Lenient standard base64: WeCom's 43-character keys carry non-zero spare bits (the official sample key
/// ends in `C`), which a strict decoder refuses.
fn lenient() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

/// One callback configuration: its token, AES key and the id messages must be addressed to (the CorpID
/// for a self-built app).
#[derive(Clone)]
pub struct CallbackCrypto {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl std::fmt::Debug for CallbackCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackCrypto").field("receive_id", &self.receive_id).finish_non_exhaustive()
    }
}

/// `hex(sha1(concat(sorted(parts))))`.
pub fn signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypt];
    parts.sort_unstable();
    let digest = Sha1::digest(parts.concat().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl CallbackCrypto {
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> Result<Self, CryptoError> {
        if encoding_aes_key.len() != 43 {
            return Err(CryptoError::BadKey);
        }
        let bytes = lenient().decode(format!("{encoding_aes_key}=")).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self { token: token.to_owned(), key, receive_id: receive_id.to_owned() })
    }

    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    pub fn sign(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        signature(&self.token, timestamp, nonce, encrypt)
    }

    /// Checks the signature in constant time.
    pub fn verify(&self, msg_signature: &str, timestamp: &str, nonce: &str, encrypt: &str) -> Result<(), CryptoError> {
        let expected = self.sign(timestamp, nonce, encrypt);
        let given = msg_signature.to_ascii_lowercase();
        let same = expected.len() == given.len()
            && expected.bytes().zip(given.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        if same { Ok(()) } else { Err(CryptoError::Signature) }
    }

    /// Decrypts `encrypt` (base64) and checks it is addressed to this receive id.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let mut buf = lenient().decode(encrypt.trim()).map_err(|_| CryptoError::Base64)?;
        if buf.is_empty() || buf.len() % BLOCK != 0 {
            return Err(CryptoError::Buffer);
        }
        let plain = Dec::new((&self.key).into(), (&self.key[..16]).into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::Buffer)?;
        let pad = usize::from(*plain.last().ok_or(CryptoError::Buffer)?);
        if !(1..=BLOCK).contains(&pad) || pad > plain.len() {
            return Err(CryptoError::Buffer);
        }
        let content = &plain[..plain.len() - pad];
        if content.len() < 20 {
            return Err(CryptoError::Buffer);
        }
        let len = u32::from_be_bytes([content[16], content[17], content[18], content[19]]) as usize;
        let rest = &content[20..];
        if len > rest.len() {
            return Err(CryptoError::Buffer);
        }
        let (msg, receive_id) = rest.split_at(len);
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::ReceiveId);
        }
        String::from_utf8(msg.to_vec()).map_err(|_| CryptoError::Utf8)
    }

    /// Encrypts a message as WeCom would (the fake server's side of the protocol).
    pub fn encrypt(&self, msg: &str) -> String {
        let mut random = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut random);
        self.encrypt_with(msg, random)
    }

    fn encrypt_with(&self, msg: &str, random: [u8; 16]) -> String {
        let mut plain = Vec::with_capacity(20 + msg.len() + self.receive_id.len() + BLOCK);
        plain.extend_from_slice(&random);
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.receive_id.as_bytes());
        let pad = BLOCK - plain.len() % BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let len = plain.len();
        let ct = Enc::new((&self.key).into(), (&self.key[..16]).into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .expect("the buffer is block-aligned");
        base64::engine::general_purpose::STANDARD.encode(ct)
    }

    /// Verifies and decrypts in one step: what a callback handler does with what arrives.
    pub fn open(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, CryptoError> {
        self.verify(msg_signature, timestamp, nonce, encrypt)?;
        self.decrypt(encrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CallbackCrypto {
        CallbackCrypto::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7").unwrap()
    }

    #[test]
    fn round_trips_and_pads_to_32_bytes() {
        let c = sample();
        for msg in ["", "a", &"长".repeat(40), &"x".repeat(12)] {
            let enc = c.encrypt(msg);
            let raw = base64::engine::general_purpose::STANDARD.decode(&enc).unwrap();
            assert_eq!(raw.len() % 32, 0);
            assert_eq!(c.decrypt(&enc).unwrap(), msg);
        }
    }

    #[test]
    fn refuses_garbage() {
        let c = sample();
        assert_eq!(c.decrypt("not base64!!"), Err(CryptoError::Base64));
        assert_eq!(c.decrypt("AAAA"), Err(CryptoError::Buffer));
        let other =
            CallbackCrypto::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "someone-else").unwrap();
        assert_eq!(c.decrypt(&other.encrypt("hi")), Err(CryptoError::ReceiveId));
        assert_eq!(CallbackCrypto::new("t", "short", "x").unwrap_err(), CryptoError::BadKey);
    }
}
