//! An environment's token signing keys: rotating (published before it signs) and revoking a
//! leaked one.

use crate::error::ApiError;
use crate::model::values::Timestamp;
use crate::store::{EnvironmentRecord, KeyChange, SigningKeyRecord, Store, StoreError};
use std::time::Duration;
use uuid::Uuid;

/// How long a rotation's new key is published before it signs, by default: API Gateway's JWT
/// authorizer may cache a JWKS for up to two hours (our own `max-age` is five minutes), and a
/// token signed by a key missing from a relying party's cached JWKS is refused there.
pub const DEFAULT_ROTATION_LEAD: Duration = Duration::from_secs(2 * 3600);

/// How long after a key stops signing its tokens may still be live: the session length, plus the
/// minute containers keep signing with a cached environment.
fn token_lifetime(environment: &EnvironmentRecord) -> i64 {
    let session = environment.session_seconds.unwrap_or(crate::ops::sign_in::DEFAULT_SESSION_SECONDS);
    session + crate::context::ENVIRONMENT_CACHE_TTL.as_secs() as i64 + 60
}

async fn new_key(kms: &aws_sdk_kms::Client, kms_key_id: &str, env: Uuid) -> Result<SigningKeyRecord, ApiError> {
    crate::tokens::keygen::new_signing_key(kms, kms_key_id, env).await.map_err(|e| ApiError::unavailable("key_service_unavailable", e))
}

/// Makes a new signing key for `env` (encrypted under the KMS key `kms_key_id`): published in the
/// JWKS at once, signing `lead` later (an environment's first key signs at once). The key it
/// replaces keeps signing until then and stays published until every token it signed has
/// expired. A rotation still waiting for its key to sign is refused (409).
pub async fn rotate_signing_key(
    store: &Store,
    kms: &aws_sdk_kms::Client,
    kms_key_id: &str,
    env: Uuid,
    lead: Duration,
) -> Result<String, ApiError> {
    let environment = store.environment(env).await?.ok_or(StoreError::NoEnvironment)?;
    let now = Timestamp::now();
    if let Some(pending) = environment.pending_kid(now) {
        let at = environment.next_signing_key_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        return Err(ApiError::conflict("rotation_pending", format!("Key {pending} is published and signs from {at}; rotate again after that.")));
    }
    let key = new_key(kms, kms_key_id, env).await?;
    let signing = environment.signing_kid(now).map(str::to_string);
    let starts = if signing.is_some() { now.plus_seconds(lead.as_secs() as i64) } else { now };
    let retire: Vec<(&str, Timestamp)> =
        signing.as_deref().map(|kid| (kid, starts.plus_seconds(token_lifetime(&environment)))).into_iter().collect();
    let change = KeyChange {
        new_key: Some(&key),
        read: &environment,
        current: signing.as_deref().or(Some(key.kid.as_str())),
        next: signing.is_some().then_some((key.kid.as_str(), starts)),
        retire,
    };
    store.install_signing_key(env, change).await?;
    Ok(key.kid)
}

/// Retires `kid` at once, for a leaked key: it leaves the JWKS and every token it signed is
/// refused from the next request on. When it signs now (or was to sign next), a new key takes
/// over at once (its id is returned): a relying party with a cached JWKS refuses new tokens until
/// it reads the keys again, which a leak warrants.
pub async fn revoke_signing_key(
    store: &Store,
    kms: &aws_sdk_kms::Client,
    kms_key_id: Option<&str>,
    env: Uuid,
    kid: &str,
) -> Result<Option<String>, ApiError> {
    let environment = store.environment(env).await?.ok_or(StoreError::NoEnvironment)?;
    store.signing_key(env, kid).await?.ok_or_else(|| ApiError::not_found("Signing key").field("kid"))?;
    let now = Timestamp::now();
    let pointed = [environment.current_signing_key.as_deref(), environment.next_signing_key.as_deref()];
    if !pointed.contains(&Some(kid)) {
        // An older key, only still published: it leaves the JWKS, nothing else changes.
        let next = environment.next_signing_key.as_deref().zip(environment.next_signing_key_at);
        let change = KeyChange { new_key: None, read: &environment, current: environment.current_signing_key.as_deref(), next, retire: vec![(kid, now)] };
        store.install_signing_key(env, change).await?;
        return Ok(None);
    }
    let kms_key = kms_key_id.ok_or_else(|| ApiError::bad_request("usage", "The key signs now or next: a new one must replace it, so set SIGNING_KMS_KEY_ID."))?;
    let key = new_key(kms, kms_key, env).await?;
    let mut retire = vec![(kid, now)];
    // The other key the environment points at may have signed tokens still live.
    if let Some(other) = pointed.into_iter().flatten().find(|k| *k != kid) {
        retire.push((other, now.plus_seconds(token_lifetime(&environment))));
    }
    let change = KeyChange { new_key: Some(&key), read: &environment, current: Some(&key.kid), next: None, retire };
    store.install_signing_key(env, change).await?;
    Ok(Some(key.kid))
}


/// The alias the local development stack gives the KMS key signing keys are encrypted under
/// (`scripts/local_secrets.py` creates it in moto): the CLI finds the key by it when
/// `SIGNING_KMS_KEY_ID` is unset against a local endpoint.
pub const LOCAL_KMS_KEY_ALIAS: &str = "alias/userfields-signing-keys";

/// The id of the KMS key `alias` names, or `None` when no key has that alias.
pub async fn kms_key_by_alias(kms: &aws_sdk_kms::Client, alias: &str) -> Result<Option<String>, ApiError> {
    match kms.describe_key().key_id(alias).send().await {
        Ok(found) => Ok(found.key_metadata.map(|m| m.key_id)),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(None),
        Err(e) => Err(ApiError::unavailable("key_service_unavailable", format!("KMS DescribeKey {alias}: {e}"))),
    }
}
