//! The field configuration item (`ENV#<env>` / `FIELDS`), versioned so every change is
//! conditional.

use super::attrs::{as_s, json_attr, key_attrs, number_attr, number_of, Item};
use super::errors::StoreError;
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::field_spec::FieldSpec;
use crate::model::field_settings::FieldSettings;
use uuid::Uuid;

/// The specs are stored as one JSON string (`fieldsJson`), not as a DynamoDB list of maps: the
/// item is read on every request that reports `missingFields`, and the SDK's parse of its ~100
/// nested attribute values cost about 0.25 M instructions per read, where a string is one token
/// (and is only parsed when its version is new to the container). Items written before this
/// keep the list in `fields`, which still loads.
pub fn fields_item(env: Uuid, specs: &[FieldSpec], version: u64) -> Item {
    let mut item = key_attrs(&keys::fields(env));
    item.insert(FIELDS_JSON.into(), json_attr(&specs));
    item.insert("version".into(), number_attr(version));
    item
}

const FIELDS_JSON: &str = "fieldsJson";
/// Where configurations written before `fieldsJson` hold their specs.
const LEGACY_FIELDS: &str = "fields";

/// A stored configuration as read: its version (0: never saved, the defaults apply) and specs.
pub struct StoredFields {
    pub version: u64,
    item: Option<Item>,
}

impl StoredFields {
    pub fn from_item(item: Option<Item>) -> Self {
        let version = item.as_ref().and_then(|i| number_of(i, "version")).unwrap_or(0);
        Self { version, item }
    }

    /// The configuration, loaded leniently: a spec list that does not even deserialize is
    /// logged and replaced by the defaults rather than failing every request of the environment.
    pub fn settings(self) -> FieldSettings {
        let specs = self.item.and_then(specs_of).map(|parsed| {
            parsed.unwrap_or_else(|e| {
                tracing::error!(error = %e, "stored field configuration does not parse; serving the defaults");
                FieldSettings::default_specs()
            })
        });
        FieldSettings::load(specs.unwrap_or_else(FieldSettings::default_specs))
    }
}

/// The specs an item holds, in either stored form; `None` when it holds none.
fn specs_of(mut item: Item) -> Option<Result<Vec<FieldSpec>, String>> {
    if let Some(json) = item.remove(FIELDS_JSON) {
        return Some(match as_s(&json) {
            Some(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
            None => Err(format!("{FIELDS_JSON} is not a string")),
        });
    }
    let legacy = item.remove(LEGACY_FIELDS)?;
    Some(serde_dynamo::from_attribute_value(legacy).map_err(|e| e.to_string()))
}

impl Store {
    pub async fn fields(&self, env: Uuid) -> Result<StoredFields, StoreError> {
        Ok(StoredFields::from_item(self.get_item(&keys::fields(env)).await?))
    }

    /// Stores a new configuration if nobody changed it since `read_version` was read
    /// ([`StoreError::FieldsChanged`]); the new version.
    pub async fn save_fields(&self, env: Uuid, specs: &[FieldSpec], read_version: u64) -> Result<u64, StoreError> {
        let condition = if read_version == 0 {
            Condition::new("attribute_not_exists(pk)")
        } else {
            Condition::new("version = :v").with(":v", number_attr(read_version))
        };
        let mut tx = Tx::default();
        tx.put(&self.table, fields_item(env, specs, read_version + 1), Some(condition), Guard::FieldsVersion);
        self.run(tx).await.map(|()| read_version + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::attrs::AttributeValue;

    fn names(stored: StoredFields) -> Vec<String> {
        stored.settings().specs().iter().map(|s| s.name.clone()).collect()
    }

    #[test]
    fn both_stored_forms_load_and_a_broken_one_serves_the_defaults() {
        let env = Uuid::new_v4();
        let specs: Vec<FieldSpec> =
            serde_json::from_value(serde_json::json!([{"name": "email", "type": "standard"}, {"name": "badge", "type": "custom"}])).unwrap();
        let written = fields_item(env, &specs, 3);
        assert!(matches!(written.get(FIELDS_JSON), Some(AttributeValue::S(_))));
        assert!(!written.contains_key(LEGACY_FIELDS));
        let stored = StoredFields::from_item(Some(written));
        assert_eq!(stored.version, 3);
        let fresh = names(stored);
        assert!(fresh.contains(&"badge".to_string()), "{fresh:?}");

        let mut legacy = key_attrs(&keys::fields(env));
        legacy.insert(LEGACY_FIELDS.into(), serde_dynamo::to_attribute_value(&specs).unwrap());
        legacy.insert("version".into(), number_attr(2));
        assert_eq!(names(StoredFields::from_item(Some(legacy))), fresh);

        let mut broken = key_attrs(&keys::fields(env));
        broken.insert(FIELDS_JSON.into(), AttributeValue::N("1".into()));
        broken.insert("version".into(), number_attr(4));
        let defaults = names(StoredFields::from_item(None));
        assert_eq!(names(StoredFields::from_item(Some(broken))), defaults);
        assert!(!defaults.contains(&"badge".to_string()));
    }
}
