//! Password hashing with Argon2id (the crate's default parameters: 19 MiB, 2 passes), and the pool
//! that bounds how many hashes run at once.

use siyu_domain::lang::Text;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The longest password that can be set or tried, in bytes. Generous (a passphrase fits many times
/// over), and checked before hashing, so no request makes Argon2 read megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes allowed to run at once. Each Argon2id hash holds 19 MiB and a core for its whole duration;
/// four bound that to 76 MiB and leave the blocking pool (file parsing, sealing) and the other cores to
/// everything else, however many sign-ins arrive together. More would not sign people in faster on the
/// small machines siyu runs on; the rest wait their turn on the async runtime, which costs nothing.
pub const MAX_CONCURRENT_HASHES: usize = 4;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashing with default params").to_string()
}

/// False for a wrong password and for a malformed hash alike.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The rule for new passwords: at least 10 characters, letters and digits both, at most
/// [`MAX_PASSWORD_BYTES`] (a longer one could never be used to sign in).
pub fn check_new_password(password: &str) -> Result<(), Text> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Text::new("password.too_long"));
    }
    let ok = password.chars().count() >= 10
        && password.chars().any(|c| c.is_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit());
    if ok { Ok(()) } else { Err(Text::new("password.too_weak")) }
}

/// A temporary password for an administrator's reset: 12 characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), read out or typed by hand once; always with letters and digits, so it passes
/// [`check_new_password`].
pub fn temporary_password() -> String {
    use rand::Rng;
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rngs::OsRng;
    loop {
        let p: String = (0..12)
            .map(|i| {
                // Every fourth character a digit, the rest drawn from both: letters and digits always.
                let set = if i % 4 == 3 {
                    DIGITS
                } else if rng.gen_bool(0.8) {
                    LETTERS
                } else {
                    DIGITS
                };
                set[rng.gen_range(0..set.len())] as char
            })
            .collect();
        if check_new_password(&p).is_ok() {
            return p;
        }
    }
}

/// The hash a decoy check runs against, made once (on the blocking pool, by the first decoy check).
fn decoy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("decoy password 0"))
}

/// Where the server hashes and checks passwords: on the blocking pool, at most
/// [`MAX_CONCURRENT_HASHES`] at a time, so a storm of sign-ins cannot fill the pool or the memory.
#[derive(Debug)]
pub struct HashingPool {
    permits: Arc<Semaphore>,
    verifications: AtomicU64,
}

impl Default for HashingPool {
    fn default() -> Self {
        Self::new(MAX_CONCURRENT_HASHES)
    }
}

impl HashingPool {
    pub fn new(concurrent: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrent.max(1))), verifications: AtomicU64::new(0) }
    }

    /// Waits for a turn to hash. Held while a sign-in reserves its attempt and checks the password.
    pub async fn permit(&self) -> HashPermit<'_> {
        let permit = self.permits.clone().acquire_owned().await.expect("the hashing semaphore is never closed");
        HashPermit { pool: self, permit }
    }

    /// A new password's hash, made in turn.
    pub async fn hash(&self, password: String) -> crate::error::ServiceResult<String> {
        let permit = self.permit().await.permit;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_password(&password)
        })
        .await
        .map_err(|e| crate::error::ServiceError::Internal(format!("password hashing: {e}")))
    }

    /// Password checks run so far (a decoy check of an unknown name counts too).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// A turn to hash.
#[derive(Debug)]
pub struct HashPermit<'a> {
    pool: &'a HashingPool,
    permit: OwnedSemaphorePermit,
}

impl HashPermit<'_> {
    /// Checks `password` against `hash` on the blocking pool. The turn goes with the work, so a request
    /// abandoned mid-check does not free its turn before the hash is done.
    pub async fn verify(self, password: String, hash: String) -> bool {
        self.run(move || verify_password(&password, &hash)).await
    }

    /// Checks `password` against a hash no one has, for a login name that does not exist: a miss
    /// costs as long as a wrong password, so timing does not tell which names exist. Always false.
    pub async fn verify_decoy(self, password: String) -> bool {
        self.run(move || {
            let _ = verify_password(&password, decoy_hash());
            false
        })
        .await
    }

    async fn run(self, check: impl FnOnce() -> bool + Send + 'static) -> bool {
        self.pool.verifications.fetch_add(1, Ordering::Relaxed);
        let permit = self.permit;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            check()
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let h = hash_password("correct horse 1");
        assert!(verify_password("correct horse 1", &h));
        assert!(!verify_password("correct horse 2", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn new_passwords_are_bounded() {
        assert!(check_new_password("correct horse 1").is_ok());
        assert!(check_new_password(&"correct horse 1".repeat(100)).is_err(), "1,500 bytes");
    }

    #[test]
    fn temporary_passwords_pass_the_rule_and_differ() {
        let all: std::collections::HashSet<String> = (0..200).map(|_| temporary_password()).collect();
        assert_eq!(all.len(), 200, "no two alike");
        for p in &all {
            assert!(check_new_password(p).is_ok(), "{p}");
            assert_eq!(p.len(), 12);
            assert!(!p.contains(['0', 'O', '1', 'l', 'I']), "no look-alikes: {p}");
        }
    }

    #[tokio::test]
    async fn no_more_than_the_bound_hash_at_once() {
        let pool = Arc::new(HashingPool::new(2));
        let a = pool.permit().await;
        let _b = pool.permit().await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), pool.permit()).await;
        assert!(waiting.is_err(), "a third hash waits for a turn");
        drop(a);
        let third = tokio::time::timeout(std::time::Duration::from_secs(5), pool.permit()).await;
        assert!(third.is_ok());
    }
}
