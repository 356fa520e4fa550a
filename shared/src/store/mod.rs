//! DynamoDB access. Every multi-item change is one TransactWriteItems with conditions, never a
//! check followed by a write.

pub mod admin;
mod errors;
pub mod keys;
pub mod transact;
pub mod users;

pub use errors::storage_error;

use crate::error::ApiResult;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct Store {
    pub client: Client,
    pub table: String,
}

pub fn key_item(key: &keys::Key) -> Item {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(key.0.clone())),
        ("sk".to_string(), AttributeValue::S(key.1.to_string())),
    ])
}

fn item_key(item: &Item) -> Option<(String, String)> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Some((pk.clone(), sk.clone())),
        _ => None,
    }
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Reads several items in one strongly consistent round trip (more only if DynamoDB
    /// returns unprocessed keys), keyed by (pk, sk).
    pub async fn batch_get(&self, wanted: &[keys::Key]) -> ApiResult<HashMap<(String, String), Item>> {
        let mut found = HashMap::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        let mut request = KeysAndAttributes::builder()
            .set_keys(Some(wanted.iter().map(key_item).collect()))
            .consistent_read(true)
            .build()
            .expect("keys are set");
        for _ in 0..5 {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(storage_error)?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                if let Some(key) = item_key(&item) {
                    found.insert(key, item);
                }
            }
            match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                Some(rest) if !rest.keys.is_empty() => request = rest,
                _ => return Ok(found),
            }
        }
        Err(crate::error::ApiError::unavailable("storage_unavailable", "The store is busy; try again."))
    }
}
