//! DynamoDB's operations as the store uses them: their requests and answers in DynamoDB's JSON,
//! items as serde_dynamo values, sent through [`JsonService`]. Only the members the store sets
//! are here; DynamoDB's API reference names the rest.

use super::attrs::string_attr;
use super::errors::{from_call, StoreError};
use super::keys;
use super::wire::{self, Item};
use super::Store;
use crate::aws::json_service::CallError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItem<'a> {
    pub table_name: &'a str,
    #[serde(serialize_with = "wire::serialize_item")]
    pub key: Item,
    pub consistent_read: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOutput {
    #[serde(default, deserialize_with = "wire::deserialize_item")]
    pub item: Option<Item>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes {
    #[serde(serialize_with = "wire::serialize_items", deserialize_with = "wire::deserialize_items")]
    pub keys: Vec<Item>,
    #[serde(default)]
    pub consistent_read: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItem<'a> {
    pub request_items: HashMap<&'a str, &'a KeysAndAttributes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    #[serde(default)]
    pub responses: HashMap<String, Items>,
    #[serde(default)]
    pub unprocessed_keys: HashMap<String, KeysAndAttributes>,
}

/// A list of items in an answer.
#[derive(Deserialize, Default)]
pub struct Items(#[serde(deserialize_with = "wire::deserialize_items")] pub Vec<Item>);

/// A `Query`, or (without a key condition) a `Scan`: the two take the same members here.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Search<'a> {
    pub table_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_condition_expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<&'a str>,
    #[serde(serialize_with = "wire::serialize_item", skip_serializing_if = "Item::is_empty")]
    pub expression_attribute_values: Item,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub consistent_read: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `Some(false)`: descending sort-key order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_index_forward: Option<bool>,
    #[serde(serialize_with = "wire::serialize_optional_item", skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<Item>,
}

impl<'a> Search<'a> {
    /// A consistent `Query` of the items of partition `pk` whose sort key starts with `prefix`.
    pub fn sort_key_prefix(table_name: &'a str, pk: String, prefix: String) -> Self {
        Self {
            table_name,
            key_condition_expression: Some("pk = :pk AND begins_with(sk, :prefix)"),
            expression_attribute_values: Item::from([(":pk".to_string(), string_attr(pk)), (":prefix".to_string(), string_attr(prefix))]),
            consistent_read: true,
            ..Self::default()
        }
    }

    /// A `Query` of shard `shard` of `env`'s users in the user index (an index: never consistent).
    pub fn user_shard(table_name: &'a str, env: Uuid, shard: u32) -> Self {
        Self {
            table_name,
            index_name: Some(keys::USER_INDEX),
            key_condition_expression: Some("gsi1pk = :pk"),
            expression_attribute_values: Item::from([(":pk".to_string(), string_attr(keys::user_index_pk(env, shard)))]),
            ..Self::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Page {
    #[serde(default, deserialize_with = "wire::deserialize_items")]
    pub items: Vec<Item>,
    #[serde(default, deserialize_with = "wire::deserialize_item")]
    pub last_evaluated_key: Option<Item>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItem<'a> {
    pub table_name: &'a str,
    #[serde(serialize_with = "wire::serialize_item")]
    pub key: Item,
    pub update_expression: &'a str,
    pub condition_expression: &'a str,
    pub expression_attribute_names: HashMap<&'a str, &'a str>,
    #[serde(serialize_with = "wire::serialize_item")]
    pub expression_attribute_values: Item,
    pub return_values: &'a str,
}

/// What an `UpdateItem` or `DeleteItem` returns: the item, when `ReturnValues` asked for it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReturnedItem {
    #[serde(default, deserialize_with = "wire::deserialize_item")]
    pub attributes: Option<Item>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItem<'a> {
    pub table_name: &'a str,
    #[serde(serialize_with = "wire::serialize_item")]
    pub key: Item,
    /// `ALL_OLD`: the item deleted comes back (none: there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<&'a str>,
}

/// An answer whose members the store does not read.
#[derive(Deserialize)]
pub struct Ignored {}

impl Store {
    /// One DynamoDB operation; a failure as the store's error (logged once, here).
    pub(super) async fn call<O: DeserializeOwned>(&self, operation: &'static str, input: &impl Serialize) -> Result<O, StoreError> {
        self.call_raw(operation, input).await.map_err(|e| from_call(operation, e))
    }

    /// As [`Store::call`], with the service's error left for the caller to read (a failed
    /// condition or a cancelled transaction means something in storage terms).
    pub(super) async fn call_raw<O: DeserializeOwned>(&self, operation: &'static str, input: &impl Serialize) -> Result<O, CallError> {
        self.db.call(operation, input).await
    }

    /// Every item a `Query` (or a `Scan`) finds, page after page.
    pub(super) async fn search_all(&self, operation: &'static str, mut search: Search<'_>) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        loop {
            let page: Page = self.call(operation, &search).await?;
            items.extend(page.items);
            match page.last_evaluated_key {
                Some(next) => search.exclusive_start_key = Some(next),
                None => return Ok(items),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_dynamo::AttributeValue;

    #[test]
    fn requests_are_dynamodb_json() {
        let key = Item::from([("pk".to_string(), AttributeValue::S("P".into()))]);
        let get = GetItem { table_name: "t", key: key.clone(), consistent_read: true };
        assert_eq!(serde_json::to_string(&get).unwrap(), r#"{"TableName":"t","Key":{"pk":{"S":"P"}},"ConsistentRead":true}"#);
        let query = Search {
            table_name: "t",
            key_condition_expression: Some("pk = :pk"),
            expression_attribute_values: Item::from([(":pk".to_string(), AttributeValue::S("P".into()))]),
            limit: Some(5),
            exclusive_start_key: Some(key),
            ..Search::default()
        };
        assert_eq!(
            serde_json::to_string(&query).unwrap(),
            r#"{"TableName":"t","KeyConditionExpression":"pk = :pk","ExpressionAttributeValues":{":pk":{"S":"P"}},"Limit":5,"ExclusiveStartKey":{"pk":{"S":"P"}}}"#
        );
    }

    #[test]
    fn answers_parse_with_members_absent() {
        let page: Page = serde_json::from_str(r#"{"Count":0,"ScannedCount":0}"#).unwrap();
        assert!(page.items.is_empty() && page.last_evaluated_key.is_none());
        let got: GetItemOutput = serde_json::from_str("{}").unwrap();
        assert!(got.item.is_none());
        let batch: BatchGetItemOutput =
            serde_json::from_str(r#"{"Responses":{"t":[{"pk":{"S":"P"}}]},"UnprocessedKeys":{"t":{"Keys":[{"pk":{"S":"Q"}}],"ConsistentRead":true}}}"#).unwrap();
        assert_eq!(batch.responses["t"].0.len(), 1);
        assert_eq!(batch.unprocessed_keys["t"].keys.len(), 1);
    }
}
