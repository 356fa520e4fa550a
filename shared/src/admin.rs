//! Operator bootstrap, for the CLI and tests: environments and their API keys. Keys are made and
//! hashed here (auth); the store only ever sees the hash.

use crate::auth::api_keys::{api_key_hash, new_api_key, NewApiKey};
use crate::auth::scopes::Scopes;
use crate::model::field_rules::FieldSettings;
use crate::model::values::Timestamp;
use crate::store::{KeyRecord, Store, StoreError};
use uuid::Uuid;

fn record<'a>(env: Uuid, key: &'a NewApiKey, hash: &'a str, name: &'a str, scopes: Scopes, now: &'a str) -> KeyRecord<'a> {
    KeyRecord { environment: env, hash, id: &key.id, name, scopes, created_at: now }
}

/// Creates an environment with the default field configuration and one API key holding every
/// scope, atomically. Returns its id and the key, which is not stored.
pub async fn create_environment(store: &Store, name: &str) -> Result<(Uuid, NewApiKey), StoreError> {
    let env = Uuid::new_v4();
    let key = new_api_key();
    let (hash, now) = (api_key_hash(&key.key), Timestamp::now().to_rfc3339());
    store.create_environment(name, &FieldSettings::default_specs(), &record(env, &key, &hash, "default", Scopes::all(), &now)).await?;
    Ok((env, key))
}

/// Issues another key for an existing environment (rotation, or a narrower key); shown once.
pub async fn create_api_key(store: &Store, env: Uuid, name: &str, scopes: Scopes) -> Result<NewApiKey, StoreError> {
    let key = new_api_key();
    let (hash, now) = (api_key_hash(&key.key), Timestamp::now().to_rfc3339());
    store.add_api_key(&record(env, &key, &hash, name, scopes, &now)).await?;
    Ok(key)
}

/// Deletes a key held in hand; `false` if it was unknown. Warm containers may still honour it
/// for up to the key cache bound (60 s).
pub async fn revoke_api_key(store: &Store, key: &str) -> Result<bool, StoreError> {
    store.delete_api_key_by_hash(&api_key_hash(key)).await
}

/// Deletes a key by its public id (a leaked key need not be in hand).
pub async fn revoke_api_key_by_id(store: &Store, id: &str) -> Result<bool, StoreError> {
    store.delete_api_key_by_id(id).await
}

/// Makes a new signing key for `env` (encrypted under the KMS key `kms_key_id`) and makes it
/// the one that signs. The previous key stays published until every token it signed has
/// expired (the session length, plus the minute containers may still sign with it).
pub async fn rotate_signing_key(
    store: &Store,
    kms: &aws_sdk_kms::Client,
    kms_key_id: &str,
    env: Uuid,
) -> Result<String, crate::error::ApiError> {
    let environment = store.environment(env).await?.ok_or(StoreError::NoEnvironment)?;
    let key = crate::tokens::keygen::new_signing_key(kms, kms_key_id, env)
        .await
        .map_err(|e| crate::error::ApiError::unavailable("key_service_unavailable", e))?;
    let session = environment.session_seconds.unwrap_or(crate::sign_in::DEFAULT_SESSION_SECONDS);
    let grace = crate::context::ENVIRONMENT_CACHE_TTL.as_secs() as i64 + 60;
    let retires_at = Timestamp::now().plus_seconds(session + grace);
    store.install_signing_key(env, &key, environment.current_signing_key.as_deref(), retires_at).await?;
    Ok(key.kid)
}

/// Sets how long sign-ins to `env` last (tokens issued from then on).
pub async fn set_session_length(store: &Store, env: Uuid, seconds: i64) -> Result<(), crate::error::ApiError> {
    use crate::sign_in::{MAX_SESSION_SECONDS, MIN_SESSION_SECONDS};
    if !(MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&seconds) {
        return Err(crate::error::ApiError::bad_request(
            "invalid_session_length",
            format!("A session lasts {MIN_SESSION_SECONDS} to {MAX_SESSION_SECONDS} seconds."),
        ));
    }
    Ok(store.set_session_length(env, seconds).await?)
}
