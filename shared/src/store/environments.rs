//! Environment items: the environment itself, created with its first field configuration and
//! first API key in one transaction.

use super::attrs::{key_attrs, string_attr};
use super::errors::StoreError;
use super::field_config::fields_item;
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::field_spec::FieldSpec;
use uuid::Uuid;

impl Store {
    pub async fn create_environment(
        &self,
        env: Uuid,
        name: &str,
        fields: &[FieldSpec],
        key_hash: &str,
        created_at: &str,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        let mut item = key_attrs(&keys::environment(env));
        item.insert("name".into(), string_attr(name));
        item.insert("createdAt".into(), string_attr(created_at));
        tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
        tx.put(&self.table, fields_item(env, fields, 1), None, Guard::Fresh);
        self.put_api_key(&mut tx, env, key_hash, created_at);
        self.run(tx).await
    }
}
