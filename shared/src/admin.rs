//! Operator bootstrap, for the CLI and tests: environments and their API keys. Keys are made and
//! hashed here (auth); the store only ever sees the hash.

use crate::auth::api_keys::{api_key_hash, new_api_key};
use crate::model::field_rules::FieldSettings;
use crate::model::values::Timestamp;
use crate::store::{Store, StoreError};
use uuid::Uuid;

/// Creates an environment with the default field configuration and one API key, atomically.
/// Returns its id and the key, which is not stored.
pub async fn create_environment(store: &Store, name: &str) -> Result<(Uuid, String), StoreError> {
    let env = Uuid::new_v4();
    let key = new_api_key();
    let now = Timestamp::now().to_rfc3339();
    store.create_environment(env, name, &FieldSettings::default_specs(), &api_key_hash(&key), &now).await?;
    Ok((env, key))
}

/// Issues another key for an existing environment (rotation); returns the key, shown once.
pub async fn create_api_key(store: &Store, env: Uuid) -> Result<String, StoreError> {
    let key = new_api_key();
    store.add_api_key(env, &api_key_hash(&key), &Timestamp::now().to_rfc3339()).await?;
    Ok(key)
}

/// Deletes a key; `false` if it was unknown. Warm containers may still honour it for up to the
/// key cache bound (60 s).
pub async fn revoke_api_key(store: &Store, key: &str) -> Result<bool, StoreError> {
    store.delete_api_key(&api_key_hash(key)).await
}
