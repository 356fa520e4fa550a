//! Strongly consistent reads: one item, or several in one BatchGetItem round trip.

use super::attrs::{key_attrs, key_of, Item};
use super::errors::{from_sdk, StoreError};
use super::keys::Key;
use super::Store;
use aws_sdk_dynamodb::types::KeysAndAttributes;
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
        let request = KeysAndAttributes::builder()
            .set_keys(Some(wanted.iter().map(key_attrs).collect()))
            .consistent_read(true)
            .build()
            .expect("keys are set");
        let mut pending = request;
        let mut backoff = super::Backoff::new(BATCH_ROUNDS);
        loop {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(from_sdk)?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                if let Some(key) = key_of(&item) {
                    found.insert(key, item);
                }
            }
            match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                Some(rest) if !rest.keys.is_empty() => {
                    // Left unprocessed under load: ask again after a pause; still left after every
                    // round means the table is throttled.
                    if !backoff.retry(&StoreError::Conflict).await {
                        return Err(StoreError::Unavailable);
                    }
                    pending = rest;
                }
                _ => return Ok(Found(found)),
            }
        }
    }

    pub async fn get_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.item)
            .map_err(from_sdk)
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
