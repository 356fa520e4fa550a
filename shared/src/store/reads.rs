//! Strongly consistent reads: one item, or several in one BatchGetItem round trip.

use super::attrs::{key_attrs, key_of, Item};
use super::dynamodb::{BatchGetItem, BatchGetItemOutput, GetItem, GetItemOutput, KeysAndAttributes};
use super::errors::StoreError;
use super::keys::Key;
use super::Store;
use std::collections::HashMap;

/// Items found by a batch read, by (pk, sk).
pub struct Found(HashMap<(String, String), Item>);

impl Found {
    pub fn take(&mut self, key: &Key) -> Option<Item> {
        self.0.remove(key)
    }
}

/// Rounds a batch read may take when DynamoDB leaves keys unprocessed (it does under load).
const BATCH_ROUNDS: usize = 5;

impl Store {
    /// Reads several items in one round trip; more only for keys DynamoDB left unprocessed,
    /// after a jittered pause.
    pub async fn batch_get(&self, wanted: &[Key]) -> Result<Found, StoreError> {
        let mut found = HashMap::new();
        if wanted.is_empty() {
            return Ok(Found(found));
        }
        let mut pending = KeysAndAttributes { keys: wanted.iter().map(key_attrs).collect(), consistent_read: true };
        let mut backoff = super::Backoff::new(BATCH_ROUNDS);
        loop {
            let request = BatchGetItem { request_items: HashMap::from([(self.table.as_str(), &pending)]) };
            let mut out: BatchGetItemOutput = self.call("BatchGetItem", &request).await?;
            for item in out.responses.remove(&self.table).unwrap_or_default().0 {
                if let Some(key) = key_of(&item) {
                    found.insert(key, item);
                }
            }
            match out.unprocessed_keys.remove(&self.table) {
                Some(rest) if !rest.keys.is_empty() => {
                    // Left unprocessed under load: ask again after a pause; still left after every
                    // round means the table is throttled.
                    if !backoff.retry(&StoreError::Conflict).await {
                        return Err(StoreError::Unavailable);
                    }
                    pending = KeysAndAttributes { keys: rest.keys, consistent_read: true };
                }
                _ => return Ok(Found(found)),
            }
        }
    }

    pub async fn get_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let request = GetItem { table_name: &self.table, key: key_attrs(key), consistent_read: true };
        let out: GetItemOutput = self.call("GetItem", &request).await?;
        Ok(out.item)
    }
}

/// A stored item as its type. One that no longer reads is the store's fault, never the client's.
pub fn parse_item<T: serde::de::DeserializeOwned>(item: Item, what: &'static str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| unreadable(e, what))
}

/// An attribute of an item that is stored as a JSON string, as its type (as [`parse_item`]).
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &'static str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| unreadable(e, what))
}

fn unreadable(e: impl std::fmt::Display, what: &'static str) -> StoreError {
    tracing::error!(error = %e, item = what, "stored item does not parse");
    StoreError::Unreadable(what)
}
