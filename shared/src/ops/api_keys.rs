//! An environment's API keys: made and hashed here (auth); the store only ever sees the hash.

use crate::auth::api_keys::{api_key_hash, new_api_key, NewApiKey};
use crate::auth::scopes::Scopes;
use crate::model::values::Timestamp;
use crate::store::{KeyRecord, Store, StoreError};
use uuid::Uuid;

pub(super) fn record<'a>(env: Uuid, key: &'a NewApiKey, hash: &'a str, name: &'a str, scopes: Scopes, now: &'a str) -> KeyRecord<'a> {
    KeyRecord { environment: env, hash, id: &key.id, name, scopes, created_at: now }
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

