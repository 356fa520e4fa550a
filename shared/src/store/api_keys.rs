//! API key items, addressed by the key's hash (hashing is `auth`'s; the key itself is never
//! stored). Each names its environment.

use super::attrs::{key_attrs, string_attr, string_of, Item};
use super::errors::{from_sdk, StoreError};
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use aws_sdk_dynamodb::types::ReturnValue;
use uuid::Uuid;

/// The environment an API key item belongs to, if it reads as one.
pub fn environment_of_key(item: &Item) -> Option<Uuid> {
    string_of(item, "environmentId").and_then(|v| Uuid::parse_str(v).ok())
}

impl Store {
    /// Adds the record of a key (by hash) for `env` to `tx`.
    pub(super) fn put_api_key(&self, tx: &mut Tx, env: Uuid, key_hash: &str, created_at: &str) {
        let mut record = key_attrs(&keys::api_key(key_hash));
        record.insert("environmentId".into(), string_attr(env.to_string()));
        record.insert("createdAt".into(), string_attr(created_at));
        tx.put(&self.table, record, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
    }

    /// Records another key for an existing environment ([`StoreError::NoEnvironment`] if none).
    pub async fn add_api_key(&self, env: Uuid, key_hash: &str, created_at: &str) -> Result<(), StoreError> {
        if self.get_item(&keys::environment(env)).await?.is_none() {
            return Err(StoreError::NoEnvironment);
        }
        let mut tx = Tx::default();
        self.put_api_key(&mut tx, env, key_hash, created_at);
        self.run(tx).await
    }

    /// Deletes a key's record; `false` if it was unknown.
    pub async fn delete_api_key(&self, key_hash: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(&keys::api_key(key_hash))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(out.attributes.is_some())
    }
}
