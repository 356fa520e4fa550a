//! API keys: `uf_<id>_<secret>`, a public id (to list, find and revoke a key without holding it)
//! and 32 random bytes, shown once. Only the SHA-256 of the whole key is stored (a key of this
//! entropy needs no slow hash). Requests carry them as `Authorization: Bearer <key>` (`http::bearer`). Keys made
//! before ids existed (`uf_<secret>`) keep working.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A key as made: its public id and the whole key (shown once, never stored).
pub struct NewApiKey {
    pub id: String,
    pub key: String,
}

/// Prints the id only: a key must not reach a log by way of `{:?}`.
impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey").field("id", &self.id).field("key", &"<redacted>").finish()
    }
}

pub fn new_api_key() -> NewApiKey {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut id);
    rand::rng().fill_bytes(&mut secret);
    let id = hex::encode(id);
    let key = format!("uf_{id}_{}", hex::encode(secret));
    NewApiKey { id, key }
}

/// The public id of a key, when it has one (`uf_<16 hex>_<64 hex>`).
pub fn public_id(key: &str) -> Option<&str> {
    let (id, secret) = key.strip_prefix("uf_")?.split_once('_')?;
    let hex = |s: &str, len| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 64)).then_some(id)
}

/// A public id as an operator types it: 16 hex digits.
pub fn is_public_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored form of a key.
pub fn api_key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_a_public_id_and_only_their_hash_is_kept() {
        let (a, b) = (new_api_key(), new_api_key());
        assert_ne!(a.key, b.key);
        assert!(a.key.starts_with(&format!("uf_{}_", a.id)) && a.key.len() == 3 + 16 + 1 + 64);
        assert_eq!(public_id(&a.key), Some(a.id.as_str()));
        assert!(is_public_id(&a.id));
        assert_eq!(public_id(&format!("uf_{}", "0".repeat(64))), None, "a key from before ids");
        assert_eq!(api_key_hash(&a.key).len(), 64);
        assert!(!api_key_hash(&a.key).contains(&a.key[20..]));
    }
}
