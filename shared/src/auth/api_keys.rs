//! API keys: 32 random bytes shown once; only their SHA-256 is stored (a key of this entropy
//! needs no slow hash). Requests carry them as `Authorization: Bearer <key>`.

use crate::error::{ApiError, ApiResult};
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::Request;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Longest bearer value looked at; a real key is 67 characters.
const MAX_BEARER_CHARS: usize = 256;

pub fn new_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("uf_{}", hex::encode(bytes))
}

/// The stored form of a key.
pub fn api_key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The key from `Authorization: Bearer <key>`; anything else is a 401.
pub fn bearer_token(req: &Request) -> ApiResult<&str> {
    let header = req.headers().get(AUTHORIZATION).ok_or_else(ApiError::unauthorized)?;
    let text = header.to_str().map_err(|_| ApiError::unauthorized())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(ApiError::unauthorized)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > MAX_BEARER_CHARS {
        return Err(ApiError::unauthorized());
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_api_key(), new_api_key());
        assert_ne!(a, b);
        assert!(a.starts_with("uf_") && a.len() == 67);
        assert_eq!(api_key_hash(&a).len(), 64);
        assert!(!api_key_hash(&a).contains(&a[3..]));
    }
}
