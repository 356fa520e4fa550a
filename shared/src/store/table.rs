//! The table, defined once: key attributes, the sharded user index and the TTL attribute. The
//! CLI's `create-table` builds from this, and a test checks `template.yaml` says the same.

use super::dynamodb::Ignored;
use super::errors::{from_call, StoreError};
use super::Store;
use serde_json::json;

pub struct IndexDefinition {
    pub name: &'static str,
    pub hash_key: &'static str,
    pub range_key: &'static str,
    /// The index carries whole items (`ALL`): listing and export read users from it directly.
    pub projects_all: bool,
}

pub struct TableDefinition {
    pub hash_key: &'static str,
    pub range_key: &'static str,
    pub user_index: IndexDefinition,
    pub ttl_attribute: &'static str,
    /// The stream the events come from: both images, so a change's fields and a delete's user
    /// are known.
    pub stream_view: &'static str,
}

pub const TABLE: TableDefinition = TableDefinition {
    hash_key: "pk",
    range_key: "sk",
    user_index: IndexDefinition {
        name: super::keys::USER_INDEX,
        hash_key: "gsi1pk",
        range_key: "gsi1sk",
        projects_all: true,
    },
    ttl_attribute: "ttl",
    stream_view: "NEW_AND_OLD_IMAGES",
};

impl TableDefinition {
    /// Every key attribute (all strings), table's and index's.
    pub fn key_attributes(&self) -> [&'static str; 4] {
        [self.hash_key, self.range_key, self.user_index.hash_key, self.user_index.range_key]
    }
}

impl Store {
    /// Creates the table as [`TABLE`] defines it, unless it exists (`false` then).
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        let index = &TABLE.user_index;
        let key = |hash: &str, range: &str| json!([{"AttributeName": hash, "KeyType": "HASH"}, {"AttributeName": range, "KeyType": "RANGE"}]);
        let attributes: Vec<_> = TABLE.key_attributes().iter().map(|name| json!({"AttributeName": name, "AttributeType": "S"})).collect();
        let create = json!({
            "TableName": self.table,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": key(TABLE.hash_key, TABLE.range_key),
            "AttributeDefinitions": attributes,
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": TABLE.stream_view},
            "GlobalSecondaryIndexes": [{
                "IndexName": index.name,
                "KeySchema": key(index.hash_key, index.range_key),
                "Projection": {"ProjectionType": if index.projects_all { "ALL" } else { "KEYS_ONLY" }},
            }],
        });
        match self.call_raw::<Ignored>("CreateTable", &create).await {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => return Ok(false),
            Err(e) => return Err(from_call("CreateTable", e)),
        }
        let ttl = json!({
            "TableName": self.table,
            "TimeToLiveSpecification": {"AttributeName": TABLE.ttl_attribute, "Enabled": true},
        });
        self.call::<Ignored>("UpdateTimeToLive", &ttl).await?;
        Ok(true)
    }
}
