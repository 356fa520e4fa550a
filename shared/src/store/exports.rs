//! Export items (`ENV#<env>#EXPORTS` / `EXPORT#<id>`): one per export an operator asked for, its
//! status moved by the export worker. Ids are UUIDv7, so the partition's sort order is the order
//! they were asked in. They expire with their file (`ttl`).

use super::attrs::{key_attrs, Item};
use super::dynamodb::{Page, Search};
use super::errors::StoreError;
use super::keys;
use super::reads::parse_item;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::values::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long an export and its file are kept (the bucket's lifecycle rule says the same).
pub const EXPORT_DAYS: i64 = 7;
/// The most exports a listing returns (the newest).
pub const MAX_LISTED: i32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Pending,
    Completed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRecord {
    pub id: Uuid,
    pub environment_id: Uuid,
    /// Always `csv` and `users` today (Dynamic's enums also name `visits`, which has no data here).
    pub format: String,
    pub model: String,
    pub status: ExportStatus,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Users written, once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u64>,
    pub ttl: i64,
}

impl ExportRecord {
    pub fn new(env: Uuid, now: Timestamp) -> Self {
        Self {
            id: Uuid::now_v7(),
            environment_id: env,
            format: "csv".into(),
            model: "users".into(),
            status: ExportStatus::Pending,
            created_at: now,
            started_at: None,
            completed_at: None,
            error: None,
            users: None,
            ttl: now.plus_seconds(EXPORT_DAYS * 86_400).unix(),
        }
    }

    /// Where the worker writes its file in the export bucket.
    pub fn object_key(&self) -> String {
        format!("exports/{}/{}.csv", self.environment_id, self.id)
    }
}

fn export_item(record: &ExportRecord) -> Item {
    let mut item: Item = serde_dynamo::to_item(record).expect("an export always serializes");
    item.extend(key_attrs(&keys::export(record.environment_id, record.id)));
    item
}

impl Store {
    /// Stores a new export (its id is fresh) or a later state of one that exists.
    pub async fn put_export(&self, record: &ExportRecord, new: bool) -> Result<(), StoreError> {
        let condition = if new { "attribute_not_exists(pk)" } else { "attribute_exists(pk)" };
        let mut tx = Tx::default();
        tx.put(&self.table, export_item(record), Some(Condition::new(condition)), Guard::Fresh);
        self.run(tx).await
    }

    pub async fn export(&self, env: Uuid, id: Uuid) -> Result<Option<ExportRecord>, StoreError> {
        self.get_item(&keys::export(env, id)).await?.map(|i| parse_item(i, "export")).transpose()
    }

    /// The environment's exports, newest first, at most [`MAX_LISTED`].
    pub async fn exports(&self, env: Uuid) -> Result<Vec<ExportRecord>, StoreError> {
        let (pk, _) = keys::export(env, Uuid::nil());
        let search = Search {
            scan_index_forward: Some(false),
            limit: Some(MAX_LISTED),
            ..Search::sort_key_prefix(&self.table, pk, format!("{}#", keys::SK_EXPORT))
        };
        let page: Page = self.call("Query", &search).await?;
        page.items.into_iter().map(|i| parse_item(i, "export")).collect()
    }
}
