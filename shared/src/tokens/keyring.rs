//! A container's keys: the decrypted private keys (one KMS Decrypt per key per container) and
//! the public keys that verify tokens (read from the table, never from the token). Which key
//! signs comes from the environment item (`AppContext::environment`).

use super::jwt_claims::TokenClaims;
use super::keygen::encryption_context;
use crate::cache::TtlCache;
use crate::store::{EnvironmentRecord, SigningKeyRecord, Store, StoreError};
use crate::model::values::Timestamp;
use aws_config::SdkConfig;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use serde::Serialize;
use uuid::Uuid;

/// Keys are immutable once made; this only bounds memory.
const KEY_CACHE_TTL: Duration = Duration::from_secs(3600);
/// How long an unknown kid is remembered, so a flood of forged tokens costs no reads.
const UNKNOWN_KID_TTL: Duration = Duration::from_secs(10);
/// Longest token looked at; a real one is about 900 characters.
pub const MAX_TOKEN_CHARS: usize = 16384;
/// Clock skew allowed on `exp` and `iat`.
const LEEWAY_SECONDS: u64 = 5;

pub struct Keyring {
    sdk: SdkConfig,
    kms: OnceLock<aws_sdk_kms::Client>,
    signing: TtlCache<(Uuid, String), Arc<RsaKeyPair>>,
    verifying: TtlCache<(Uuid, String), Arc<DecodingKey>>,
    unknown_kids: TtlCache<(Uuid, String), ()>,
}

/// Why a token is refused. Every reason is the same 401 to the caller; the log says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Malformed,
    UnknownKey,
    BadSignatureOrClaims,
    OtherEnvironment,
}

/// Why the keyring could not sign or verify; `error.rs` says what each means to a client.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The token is not one of this environment's (every reason answers the same 401).
    #[error("the token is refused: {0:?}")]
    Refused(TokenRefusal),
    #[error("the environment has no signing key")]
    NoSigningKey,
    #[error("the key service is unavailable")]
    KeyServiceUnavailable,
    #[error("signing a token failed")]
    SigningFailed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type KeyringResult<T> = Result<T, KeyringError>;

fn no_signing_key(env: Uuid) -> KeyringError {
    tracing::error!(environment_id = %env, "environment has no signing key: run `userfields rotate-signing-key`");
    KeyringError::NoSigningKey
}

impl Keyring {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            sdk: sdk.clone(),
            kms: OnceLock::new(),
            signing: TtlCache::new(KEY_CACHE_TTL),
            verifying: TtlCache::new(KEY_CACHE_TTL),
            unknown_kids: TtlCache::new(UNKNOWN_KID_TTL),
        }
    }

    /// The KMS client, built on first use: most functions never sign.
    pub fn kms(&self) -> &aws_sdk_kms::Client {
        self.kms.get_or_init(|| aws_sdk_kms::Client::new(&self.sdk))
    }

    /// Signs `claims` with the environment's current key (RS256, JWS compact form).
    ///
    /// Signed here with the parsed key kept in memory rather than by `jsonwebtoken::encode`,
    /// which parses the private key again for every token: 1.45 ms of CPU per token against
    /// 0.67 ms (docs/benchmarks.md). Tokens are verified with `jsonwebtoken`, here and in the
    /// tests, so what this writes is checked by the library.
    /// The payload also names the key (`kid`), as Dynamic's tokens do. A second token of the
    /// same sign-in finds the parsed key in memory.
    pub async fn sign(&self, store: &Store, env: Uuid, environment: &EnvironmentRecord, claims: &impl Serialize) -> KeyringResult<String> {
        let kid = environment.signing_kid(Timestamp::now()).ok_or_else(|| no_signing_key(env))?;
        let key = self.signing_key(store, env, kid).await?;
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
        let mut payload = serde_json::to_value(claims).expect("claims always serialize");
        if let Some(map) = payload.as_object_mut() {
            map.insert("kid".into(), kid.into());
        }
        let payload = serde_json::to_vec(&payload).expect("claims always serialize");
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload));
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature).map_err(|_| {
            tracing::error!(kid, "signing a token failed");
            KeyringError::SigningFailed
        })?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }


    async fn signing_key(&self, store: &Store, env: Uuid, kid: &str) -> KeyringResult<Arc<RsaKeyPair>> {
        let id = (env, kid.to_string());
        if let Some(key) = self.signing.get(&id) {
            return Ok(key);
        }
        let record = store.signing_key(env, kid).await?.ok_or_else(|| no_signing_key(env))?;
        let key = Arc::new(self.decrypt(env, &record).await?);
        self.signing.put(id, key.clone());
        Ok(key)
    }

    async fn decrypt(&self, env: Uuid, record: &SigningKeyRecord) -> KeyringResult<RsaKeyPair> {
        let unavailable = || KeyringError::KeyServiceUnavailable;
        let ciphertext = STANDARD.decode(&record.encrypted_private_key).map_err(|_| {
            tracing::error!(kid = %record.kid, "stored signing key is not base64");
            unavailable()
        })?;
        let mut request = self.kms().decrypt().ciphertext_blob(aws_sdk_kms::primitives::Blob::new(ciphertext));
        for (name, value) in encryption_context(env, &record.kid) {
            request = request.encryption_context(name, value);
        }
        let out = request.send().await.map_err(|e| {
            tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), kid = %record.kid, "KMS Decrypt failed");
            unavailable()
        })?;
        let pkcs8 = out.plaintext.ok_or_else(unavailable)?;
        RsaKeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| {
            tracing::error!(kid = %record.kid, "decrypted signing key does not parse");
            unavailable()
        })
    }

    /// The claims of `token` and the key id it was signed with, if it is an unexpired RS256
    /// token of `env`'s issuer, signed by one of its published keys. The caller checks that key
    /// is still published and the audience (with the session, in one read).
    pub async fn verify(&self, store: &Store, env: Uuid, token: &str, issuer: &str) -> KeyringResult<(TokenClaims, String)> {
        match self.check(store, env, token, issuer).await? {
            Ok(verified) => Ok(verified),
            Err(reason) => {
                tracing::info!(?reason, "session token refused");
                Err(KeyringError::Refused(reason))
            }
        }
    }

    async fn check(&self, store: &Store, env: Uuid, token: &str, issuer: &str) -> KeyringResult<Result<(TokenClaims, String), TokenRefusal>> {
        if token.len() > MAX_TOKEN_CHARS {
            return Ok(Err(TokenRefusal::Malformed));
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(Err(TokenRefusal::Malformed)) };
        let (Algorithm::RS256, Some(kid)) = (header.alg, header.kid) else { return Ok(Err(TokenRefusal::Malformed)) };
        let Some(key) = self.verifying_key(store, env, kid.clone()).await? else { return Ok(Err(TokenRefusal::UnknownKey)) };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_aud = false;
        let Ok(data) = jsonwebtoken::decode::<TokenClaims>(token, &key, &validation) else {
            return Ok(Err(TokenRefusal::BadSignatureOrClaims));
        };
        if data.claims.environment_id != env {
            return Ok(Err(TokenRefusal::OtherEnvironment));
        }
        Ok(Ok((data.claims, kid)))
    }

    async fn verifying_key(&self, store: &Store, env: Uuid, kid: String) -> KeyringResult<Option<Arc<DecodingKey>>> {
        let id = (env, kid);
        if let Some(key) = self.verifying.get(&id) {
            return Ok(Some(key));
        }
        if self.unknown_kids.get(&id).is_some() || id.1.len() > 64 {
            return Ok(None);
        }
        let record = store.signing_key(env, &id.1).await?.filter(|r| r.is_published(Timestamp::now()));
        let key = record.and_then(|r| DecodingKey::from_rsa_components(&r.n, &r.e).ok()).map(Arc::new);
        match &key {
            Some(k) => self.verifying.put(id, k.clone()),
            None => self.unknown_kids.put(id, ()),
        }
        Ok(key)
    }
}
