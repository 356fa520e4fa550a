//! The table, defined once: key attributes, the sharded user index and the TTL attribute. The
//! CLI's `create-table` builds from this, and a test checks `template.yaml` says the same.

use super::errors::{from_sdk, StoreError};
use super::Store;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

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
};

impl TableDefinition {
    /// Every key attribute (all strings), table's and index's.
    pub fn key_attributes(&self) -> [&'static str; 4] {
        [self.hash_key, self.range_key, self.user_index.hash_key, self.user_index.range_key]
    }
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("name and type are set")
}

impl Store {
    /// Creates the table as [`TABLE`] defines it, unless it exists (`false` then).
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        let index = &TABLE.user_index;
        let projection = Projection::builder()
            .projection_type(if index.projects_all { ProjectionType::All } else { ProjectionType::KeysOnly })
            .build();
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name)
            .key_schema(key(index.hash_key, KeyType::Hash))
            .key_schema(key(index.range_key, KeyType::Range))
            .projection(projection)
            .build()
            .expect("index is complete");
        let mut create = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(TABLE.hash_key, KeyType::Hash))
            .key_schema(key(TABLE.range_key, KeyType::Range))
            .global_secondary_indexes(gsi);
        for name in TABLE.key_attributes() {
            let attr = AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set");
            create = create.attribute_definitions(attr);
        }
        match create.send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(false),
            Err(e) => return Err(from_sdk(e)),
        }
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(TABLE.ttl_attribute)
            .enabled(true)
            .build()
            .expect("name and flag are set");
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(true)
    }
}
