//! Webhooks (`ENV#<env>#WEBHOOKS` / `WEBHOOK#<id>`) and their messages
//! (`ENV#<env>#WEBHOOK#<id>#MESSAGES` / `MSG#<id>`). A webhook's secret is stored only as KMS
//! ciphertext, bound to its environment and webhook by the encryption context. A message keeps
//! the body sent (so a redelivery sends the same one) and its delivery attempts; it expires.

use super::attrs::{key_attrs, Item};
use super::dynamodb::{DeleteItem, Page, ReturnedItem, Search};
use super::errors::StoreError;
use super::keys;
use super::reads::parse_item;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::values::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The most webhooks an environment may have (each event is fanned out to every one).
pub const MAX_WEBHOOKS: usize = 20;
/// How long a message and its attempts are kept.
pub const MESSAGE_DAYS: i64 = 30;
/// Attempts kept per message (the latest).
pub const MAX_ATTEMPTS_KEPT: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    pub webhook_id: Uuid,
    pub environment_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub is_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// KMS ciphertext of the signing secret, base64.
    pub secret_ciphertext: String,
}

impl WebhookRecord {
    pub fn wants(&self, event_name: &str) -> bool {
        self.is_enabled && self.events.iter().any(|e| e == event_name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Pending,
    Delivered,
    Failed,
}

/// One delivery attempt, as the messages API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub delivery_id: Uuid,
    pub at: Timestamp,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why it failed, when it did (never the receiver's body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    pub redelivery: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub message_id: Uuid,
    pub event_id: Uuid,
    pub event_name: String,
    pub environment_id: Uuid,
    pub webhook_id: Uuid,
    pub status: MessageStatus,
    /// The body as sent (without `redelivery`, which each send sets), a JSON object as text.
    pub body: String,
    pub event_created_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Every attempt made, including those no longer kept.
    #[serde(default)]
    pub attempt_count: u32,
    pub ttl: i64,
}

impl MessageRecord {
    pub fn body_json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// Records an attempt (keeping the latest few) and what it did to the status.
    pub fn record(&mut self, attempt: Attempt, status: MessageStatus) {
        self.updated_at = attempt.at;
        if status == MessageStatus::Delivered {
            self.delivered_at = Some(attempt.at);
        }
        self.status = status;
        self.attempt_count += 1;
        self.attempts.push(attempt);
        let excess = self.attempts.len().saturating_sub(MAX_ATTEMPTS_KEPT);
        self.attempts.drain(..excess);
    }
}

fn webhook_item(record: &WebhookRecord) -> Item {
    let mut item: Item = serde_dynamo::to_item(record).expect("a webhook always serializes");
    item.extend(key_attrs(&keys::webhook(record.environment_id, record.webhook_id)));
    item
}

fn message_item(record: &MessageRecord) -> Item {
    let mut item: Item = serde_dynamo::to_item(record).expect("a message always serializes");
    item.extend(key_attrs(&keys::webhook_message(record.environment_id, record.webhook_id, record.message_id)));
    item
}

impl Store {
    /// Stores a new webhook (`new`: its id must be fresh) or a later state of one that exists
    /// ([`StoreError::Conflict`] otherwise).
    pub async fn put_webhook(&self, record: &WebhookRecord, new: bool) -> Result<(), StoreError> {
        let condition = if new { "attribute_not_exists(pk)" } else { "attribute_exists(pk)" };
        let mut tx = Tx::default();
        tx.put(&self.table, webhook_item(record), Some(Condition::new(condition)), Guard::Fresh);
        self.run(tx).await
    }

    pub async fn webhook(&self, env: Uuid, id: Uuid) -> Result<Option<WebhookRecord>, StoreError> {
        self.get_item(&keys::webhook(env, id)).await?.map(|i| parse_item(i, "webhook")).transpose()
    }

    /// Every webhook of the environment, oldest first.
    pub async fn webhooks(&self, env: Uuid) -> Result<Vec<WebhookRecord>, StoreError> {
        let (pk, _) = keys::webhook(env, Uuid::nil());
        let search = Search { limit: Some(MAX_WEBHOOKS as i32 + 1), ..Search::sort_key_prefix(&self.table, pk, format!("{}#", keys::SK_WEBHOOK)) };
        let page: Page = self.call("Query", &search).await?;
        let mut hooks: Vec<WebhookRecord> = page.items.into_iter().map(|i| parse_item(i, "webhook")).collect::<Result<_, _>>()?;
        hooks.sort_by_key(|h| h.created_at);
        Ok(hooks)
    }

    /// Deletes the webhook (its messages expire on their own); `false` when there was none.
    pub async fn delete_webhook(&self, env: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let delete = DeleteItem { table_name: &self.table, key: key_attrs(&keys::webhook(env, id)), return_values: Some("ALL_OLD") };
        let out: ReturnedItem = self.call("DeleteItem", &delete).await?;
        Ok(out.attributes.is_some())
    }

    /// Stores a new message; `false` when it is already there (a retried stream batch).
    pub async fn put_new_message(&self, record: &MessageRecord) -> Result<bool, StoreError> {
        let mut tx = Tx::default();
        tx.put(&self.table, message_item(record), Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
        match self.run(tx).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores a later state of a message that exists.
    pub async fn put_message(&self, record: &MessageRecord) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        tx.put(&self.table, message_item(record), Some(Condition::new("attribute_exists(pk)")), Guard::Fresh);
        self.run(tx).await
    }

    pub async fn message(&self, env: Uuid, webhook: Uuid, id: Uuid) -> Result<Option<MessageRecord>, StoreError> {
        self.get_item(&keys::webhook_message(env, webhook, id)).await?.map(|i| parse_item(i, "webhook message")).transpose()
    }

    /// A page of the webhook's messages, newest first, after the message `before` (a cursor).
    pub async fn messages(&self, env: Uuid, webhook: Uuid, before: Option<Uuid>, limit: i32) -> Result<(Vec<MessageRecord>, bool), StoreError> {
        let (pk, _) = keys::webhook_message(env, webhook, Uuid::nil());
        let search = Search {
            scan_index_forward: Some(false),
            limit: Some(limit + 1),
            exclusive_start_key: before.map(|b| key_attrs(&keys::webhook_message(env, webhook, b))),
            ..Search::sort_key_prefix(&self.table, pk, format!("{}#", keys::SK_MESSAGE))
        };
        let page: Page = self.call("Query", &search).await?;
        let mut messages: Vec<MessageRecord> = page.items.into_iter().map(|i| parse_item(i, "webhook message")).collect::<Result<_, _>>()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        Ok((messages, more))
    }
}
