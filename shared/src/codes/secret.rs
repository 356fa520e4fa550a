//! The secret part of a one-time code: drawn from the OS CSPRNG, stored only as HMAC-SHA256
//! under the deployment's secret key, compared in constant time.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const CODE_TTL_SECONDS: i64 = 10 * 60;
pub const MAX_ATTEMPTS: u32 = 5;
pub const RESEND_COOLDOWN_SECONDS: i64 = 30;

/// A fresh 6-digit code. `rand::rng()` is a CSPRNG seeded from the OS.
pub fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Whether `key` can hash codes: a function that hashes none loads no key, and must not start.
pub fn usable_key(key: &[u8]) -> bool {
    key.len() >= crate::secrets::MIN_OTP_KEY_BYTES
}

/// The stored form of a code, bound to its verification so a hash can't be replayed elsewhere.
pub fn hash_code(key: &[u8], verification: Uuid, code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(verification.as_bytes());
    mac.update(code.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn code_matches(key: &[u8], verification: Uuid, code: &str, stored_hash: &str) -> bool {
    let candidate = hash_code(key, verification, code);
    candidate.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<_> = (0..50).map(|_| new_code()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 40);
    }

    #[test]
    fn hash_depends_on_key_code_and_verification() {
        let v = Uuid::new_v4();
        let h = hash_code(b"k1", v, "123456");
        assert!(code_matches(b"k1", v, "123456", &h));
        assert!(!code_matches(b"k2", v, "123456", &h));
        assert!(!code_matches(b"k1", v, "123457", &h));
        assert!(!code_matches(b"k1", Uuid::new_v4(), "123456", &h));
        assert!(!h.contains("123456"));
    }
}
