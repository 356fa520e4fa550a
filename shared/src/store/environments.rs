//! Environment items: the environment itself, created with its first field configuration and
//! first API key in one transaction.

use super::attrs::{key_attrs, string_attr};
use super::errors::StoreError;
use super::field_settings::fields_item;
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::{KeyRecord, Store};
use crate::model::field_spec::FieldSpec;

impl Store {
    pub async fn create_environment(&self, name: &str, fields: &[FieldSpec], key: &KeyRecord<'_>) -> Result<(), StoreError> {
        let env = key.environment;
        let mut tx = Tx::default();
        let mut item = key_attrs(&keys::environment(env));
        item.insert("name".into(), string_attr(name));
        item.insert("createdAt".into(), string_attr(key.created_at));
        tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
        tx.put(&self.table, fields_item(env, fields, 1), None, Guard::Fresh);
        self.put_api_key(&mut tx, key);
        self.run(tx).await
    }
}
