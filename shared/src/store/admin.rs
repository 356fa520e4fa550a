//! Table and environment bootstrap, API keys and the field configuration item.

use super::keys::{self, USER_INDEX, USER_INDEX_SHARDS};
use super::transact::{n, s, Guard, Tx, TxError, Values};
use super::{key_item, storage_error, Item, Store};
use crate::error::{ApiError, ApiResult};
use crate::model::fields::{FieldSettings, FieldSpec};
use crate::model::values::Timestamp;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use rand::RngCore;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// A new API key: 32 random bytes, shown once. Only its SHA-256 is stored; a key of this
/// entropy needs no slow hash.
pub fn new_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("uf_{}", hex::encode(bytes))
}

pub fn api_key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl Store {
    /// Creates the table (with TTL and the per-environment user index) unless it exists.
    pub async fn create_table(&self) -> ApiResult<bool> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set")
        };
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("set");
        let index = GlobalSecondaryIndex::builder()
            .index_name(USER_INDEX)
            .key_schema(key("gsi1pk", KeyType::Hash))
            .key_schema(key("gsi1sk", KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .non_key_attributes("metadata")
                    .build(),
            )
            .build()
            .expect("index is complete");
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk"))
            .attribute_definitions(attr("sk"))
            .attribute_definitions(attr("gsi1pk"))
            .attribute_definitions(attr("gsi1sk"))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .global_secondary_indexes(index)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(false),
            Err(e) => return Err(storage_error(e)),
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder().attribute_name("ttl").enabled(true).build().expect("set"),
            )
            .send()
            .await
            .map_err(storage_error)?;
        Ok(true)
    }

    /// Creates an environment with the default field configuration and one API key, atomically.
    /// Returns the new environment id and the key, which is not stored.
    pub async fn create_environment(&self, name: &str) -> ApiResult<(Uuid, String)> {
        let env = Uuid::new_v4();
        let key = new_api_key();
        let now = Timestamp::now().to_rfc3339();
        let mut tx = Tx::default();
        let mut env_item = key_item(&keys::environment(env));
        env_item.insert("name".into(), s(name));
        env_item.insert("createdAt".into(), s(now.clone()));
        tx.put(&self.table, env_item, Some("attribute_not_exists(pk)"), Values::new(), Guard::Other);
        tx.put(&self.table, fields_item(env, &FieldSettings::default_specs(), 1), None, Values::new(), Guard::Other);
        self.put_api_key(&mut tx, env, &key, now);
        self.transact(tx).await.map_err(bootstrap_error)?;
        Ok((env, key))
    }

    /// Issues another key for an existing environment (for rotation); returns the key, shown once.
    pub async fn create_api_key(&self, env: Uuid) -> ApiResult<String> {
        if self.get_item(&keys::environment(env)).await?.is_none() {
            return Err(ApiError::not_found("Environment").field("environmentId"));
        }
        let key = new_api_key();
        let mut tx = Tx::default();
        self.put_api_key(&mut tx, env, &key, Timestamp::now().to_rfc3339());
        self.transact(tx).await.map_err(bootstrap_error)?;
        Ok(key)
    }

    /// Adds the record of `key` (by hash only) for `env` to `tx`.
    fn put_api_key(&self, tx: &mut Tx, env: Uuid, key: &str, created_at: String) {
        let mut record = key_item(&keys::api_key(&api_key_hash(key)));
        record.insert("environmentId".into(), s(env.to_string()));
        record.insert("createdAt".into(), s(created_at));
        tx.put(&self.table, record, Some("attribute_not_exists(pk)"), Values::new(), Guard::Other);
    }

    /// Deletes a key; `false` if it was unknown. Warm containers may still honour it for up to
    /// the key cache bound (60 s).
    pub async fn revoke_api_key(&self, key: &str) -> ApiResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::api_key(&api_key_hash(key)))))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(storage_error)?;
        Ok(out.attributes.is_some())
    }

    /// Stores a new field configuration if nobody changed it since `read_version` was read.
    pub async fn save_fields(&self, env: Uuid, specs: &[FieldSpec], read_version: u64) -> Result<u64, TxError> {
        let mut tx = Tx::default();
        let condition = if read_version == 0 { "attribute_not_exists(pk)" } else { "version = :v" };
        let values = if read_version == 0 {
            Values::new()
        } else {
            HashMap::from([(":v".to_string(), n(read_version))])
        };
        tx.put(&self.table, fields_item(env, specs, read_version + 1), Some(condition), values, Guard::Other);
        self.transact(tx).await.map(|()| read_version + 1)
    }

    /// The metadata of every user of an environment, read from the sharded user index.
    pub async fn environment_metadata(&self, env: Uuid) -> ApiResult<Vec<(Uuid, Option<Map<String, Value>>)>> {
        let mut out = Vec::new();
        for shard in 0..USER_INDEX_SHARDS {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(USER_INDEX)
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", s(keys::user_index_pk(env, shard)))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                let item = item.map_err(storage_error)?;
                let Some(id) = item.get("gsi1sk").and_then(|v| v.as_s().ok()).and_then(|v| Uuid::parse_str(v).ok()) else {
                    continue;
                };
                let metadata = item
                    .get("metadata")
                    .cloned()
                    .and_then(|m| serde_dynamo::from_attribute_value::<_, Map<String, Value>>(m).ok());
                out.push((id, metadata));
            }
        }
        Ok(out)
    }

    /// Writes claims for values that predate a field becoming unique; a value already claimed
    /// by another user fails the whole batch, as [`Guard::Claim`].
    pub async fn backfill_claims(&self, env: Uuid, field: &str, holders: &[(Uuid, String)]) -> Result<(), TxError> {
        for chunk in holders.chunks(100) {
            let mut tx = Tx::default();
            for (user, value) in chunk {
                self.put_claim(&mut tx, env, field, value, *user);
            }
            self.transact(tx).await?;
        }
        Ok(())
    }
}

/// A bootstrap write only fails its conditions if a random id or key collides.
fn bootstrap_error(err: TxError) -> ApiError {
    match err {
        TxError::Api(e) => e,
        other => ApiError::conflict("conflict", format!("Bootstrap write raced: {other:?}")),
    }
}

pub fn fields_item(env: Uuid, specs: &[FieldSpec], version: u64) -> Item {
    let mut item = key_item(&keys::fields(env));
    item.insert(
        "fields".into(),
        serde_dynamo::to_attribute_value(specs).expect("field specs always serialize"),
    );
    item.insert("version".into(), n(version));
    item
}

/// The stored configuration and its version (0 when the environment never saved one).
pub fn parse_fields_item(item: Option<Item>) -> ApiResult<(Vec<FieldSpec>, u64)> {
    let Some(mut item) = item else {
        return Ok((FieldSettings::default_specs(), 0));
    };
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let specs = item
        .remove("fields")
        .map(serde_dynamo::from_attribute_value::<_, Vec<FieldSpec>>)
        .transpose()
        .map_err(|e| {
            tracing::error!(error = %e, "stored field configuration does not parse");
            ApiError::new(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Stored field configuration is unreadable.")
        })?
        .unwrap_or_default();
    Ok((specs, version))
}
