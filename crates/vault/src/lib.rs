//! The vault: how phone and ID numbers are kept at rest and looked up without being decrypted.
//!
//! One 32-byte master key (from config, never logged) derives two keys with HMAC-SHA256: one for
//! AES-256-GCM encryption, one for blind indexes. A sealed value is `version ‖ nonce ‖ ciphertext+tag`,
//! with the field name as associated data so a phone ciphertext cannot be passed off as an ID number.
//! The blind index is HMAC(field ‖ value), truncated to 8 bytes: equal values match, and without the
//! key the index reveals nothing. Eight bytes leave a false match about once in 10^12 lookups among ten
//! million customers (a lookup only proposes candidates) and keep the index B-tree small: every import
//! row inserts into it at a random place (16 bytes until migration 0010).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use siyu_domain::customer::{CustomerDraft, PiiField};
use siyu_domain::masking;
use siyu_store::{NewCustomer, SealedPii};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const INDEX_LEN: usize = 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the PII key must be 32 bytes, base64-encoded (generate one with `openssl rand -base64 32`)")]
    BadKey,
    #[error("sealed value is damaged or was sealed with another key")]
    Unseal,
}

/// Seals and opens personal data. Cheap to clone behind an `Arc`; holds only derived keys.
#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
    /// HMAC-SHA256 keyed with the tracked links' own key, ready to clone per token.
    link_mac: Hmac<Sha256>,
    signing_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Vault {
    pub fn new(master: &[u8; 32]) -> Self {
        let enc = derive(master, "siyu/pii/encryption/v1");
        // The link key is derived apart from the PII keys: a link token is shown to the world, and
        // nothing signed under it can ever be taken for a blind index or a ciphertext.
        let link = derive(master, "siyu/links/token/v1");
        Self {
            cipher: Aes256Gcm::new(&enc.into()),
            index_key: derive(master, "siyu/pii/blind-index/v1"),
            link_mac: <Hmac<Sha256> as Mac>::new_from_slice(&link).expect("HMAC takes any key length"),
            signing_key: derive(master, "siyu/url-signing/v1"),
        }
    }

    /// Reads a base64 master key, as it appears in config.
    pub fn from_base64(key: &str) -> Result<Self, VaultError> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(key.trim()).map_err(|_| VaultError::BadKey)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| VaultError::BadKey)?;
        Ok(Self::new(&master))
    }

    /// A fresh random master key, base64, for `siyu demo` and `print-default-config`.
    pub fn generate_key() -> String {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        base64::engine::general_purpose::STANDARD.encode(k)
    }

    pub fn seal(&self, field: PiiField, clear: &str) -> Vec<u8> {
        self.seal_bytes(field.as_str(), clear.as_bytes())
    }

    /// Seals any bytes under a label (the associated data): uploaded files, rejected import rows.
    pub fn seal_bytes(&self, label: &str, clear: &[u8]) -> Vec<u8> {
        // A fresh random nonce per value. `thread_rng` is a ChaCha CSPRNG seeded and periodically
        // reseeded from the OS: as unpredictable as `OsRng`, without a system call per value.
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: clear, aad: label.as_bytes() })
            .expect("AES-GCM encryption fails only past 64 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, field: PiiField, sealed: &[u8]) -> Result<String, VaultError> {
        String::from_utf8(self.open_bytes(field.as_str(), sealed)?).map_err(|_| VaultError::Unseal)
    }

    pub fn open_bytes(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
            return Err(VaultError::Unseal);
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: label.as_bytes() })
            .map_err(|_| VaultError::Unseal)
    }

    /// Seals text into base64, for a text column.
    pub fn seal_text(&self, label: &str, clear: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.seal_bytes(label, clear.as_bytes()))
    }

    pub fn open_text(&self, label: &str, sealed: &str) -> Result<String, VaultError> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(sealed).map_err(|_| VaultError::Unseal)?;
        String::from_utf8(self.open_bytes(label, &bytes)?).map_err(|_| VaultError::Unseal)
    }

    /// An HMAC-SHA256 of `message` under `label` (what it signs, e.g. `media`), with a key of its own
    /// derived from the master key: for URLs siyu hands out and later checks, such as a customer's
    /// link to an article's image. Compare with [`Vault::verify`], which takes constant time.
    pub fn sign(&self, label: &str, message: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.signing_key).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Whether `given` is the first bytes (at least 16) of [`Vault::sign`]'s signature of `message`.
    pub fn verify(&self, label: &str, message: &[u8], given: &[u8]) -> bool {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.signing_key).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        given.len() >= 16 && mac.verify_truncated_left(given).is_ok()
    }

    /// The keyed index for exact lookups of a (normalised) value.
    pub fn blind_index(&self, field: PiiField, clear: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("HMAC takes any key length");
        mac.update(field.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(clear.as_bytes());
        mac.finalize().into_bytes()[..INDEX_LEN].to_vec()
    }

    /// HMAC-SHA256 of a tracked link's token body under the link key (`siyu_content::link_token`
    /// cuts it to 128 bits). Cloning the keyed state skips hashing the key again for every open.
    pub fn link_tag(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.link_mac.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Ciphertext, index and masked form of one value.
    pub fn seal_pii(&self, field: PiiField, clear: &str) -> SealedPii {
        let masked = match field {
            PiiField::Phone => masking::mask_phone(clear),
            PiiField::IdNumber => masking::mask_id_number(clear),
        };
        SealedPii { cipher: self.seal(field, clear), index: self.blind_index(field, clear), masked }
    }

    /// Turns a validated draft into a storable record; the clear values stop here.
    pub fn seal_customer(&self, d: CustomerDraft) -> NewCustomer {
        NewCustomer {
            phone: d.phone.as_deref().map(|p| self.seal_pii(PiiField::Phone, p)),
            id_number: d.id_number.as_deref().map(|p| self.seal_pii(PiiField::IdNumber, p)),
            id_type: d.id_type,
            customer_no: d.customer_no,
            name: d.name,
            gender: d.gender,
            birthday: d.birthday,
            sub_branch_id: d.sub_branch_id,
            owner_id: d.owner_id,
            aum_tier: d.aum_tier,
            segments: d.segments,
            risk: d.risk,
            consent: d.consent,
            wecom_external_userid: d.wecom_external_userid,
            wechat_unionid: d.wechat_unionid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(&[7u8; 32])
    }

    #[test]
    fn seals_and_opens() {
        let v = vault();
        let s = v.seal(PiiField::Phone, "13812341234");
        assert!(!s.windows(11).any(|w| w == b"13812341234"), "no clear text in the ciphertext");
        assert_eq!(v.open(PiiField::Phone, &s).unwrap(), "13812341234");
        assert_ne!(s, v.seal(PiiField::Phone, "13812341234"), "fresh nonce each time");
    }

    #[test]
    fn refuses_wrong_field_wrong_key_and_tampering() {
        let v = vault();
        let s = v.seal(PiiField::Phone, "13812341234");
        assert_eq!(v.open(PiiField::IdNumber, &s), Err(VaultError::Unseal));
        assert_eq!(Vault::new(&[8u8; 32]).open(PiiField::Phone, &s), Err(VaultError::Unseal));
        let mut t = s.clone();
        *t.last_mut().unwrap() ^= 1;
        assert_eq!(v.open(PiiField::Phone, &t), Err(VaultError::Unseal));
        assert_eq!(v.open(PiiField::Phone, &[1, 2]), Err(VaultError::Unseal));
    }

    #[test]
    fn blind_index_is_keyed_and_per_field() {
        let v = vault();
        assert_eq!(v.blind_index(PiiField::Phone, "1"), v.blind_index(PiiField::Phone, "1"));
        assert_ne!(v.blind_index(PiiField::Phone, "1"), v.blind_index(PiiField::IdNumber, "1"));
        assert_ne!(v.blind_index(PiiField::Phone, "1"), Vault::new(&[8u8; 32]).blind_index(PiiField::Phone, "1"));
    }

    #[test]
    fn the_link_key_is_keyed_and_apart_from_the_blind_index() {
        let v = vault();
        assert_eq!(v.link_tag(b"body"), v.link_tag(b"body"));
        assert_ne!(v.link_tag(b"body"), v.link_tag(b"bodz"));
        assert_ne!(v.link_tag(b"body"), Vault::new(&[8u8; 32]).link_tag(b"body"));
        // RFC 4231-style check that it is HMAC-SHA256 under the derived key, not over the master.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derive(&[7u8; 32], "siyu/links/token/v1")).unwrap();
        mac.update(b"body");
        assert_eq!(v.link_tag(b"body").as_slice(), mac.finalize().into_bytes().as_slice());
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(Vault::from_base64(&Vault::generate_key()).is_ok());
        assert_eq!(Vault::from_base64("c2hvcnQ=").unwrap_err(), VaultError::BadKey);
        assert_eq!(Vault::from_base64("not base64!").unwrap_err(), VaultError::BadKey);
    }
}
