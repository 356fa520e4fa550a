//! The field configuration item (`ENV#<env>` / `FIELDS`), versioned so every change is
//! conditional, and the bulk work a configuration change needs: reading an environment's users
//! and recording the claims of a field that became unique.

use super::attrs::{as_s, json_attr, key_attrs, number_attr, number_of, string_of, Item};
use super::dynamodb::Search;
use super::errors::StoreError;
use super::keys::{self, USER_INDEX_SHARDS};
use super::transact::{Condition, Guard, Tx, MAX_TX_ITEMS};
use super::users::parse_user;
use super::Store;
use crate::model::claims::Claims;
use crate::model::field_spec::FieldSpec;
use crate::model::field_rules::FieldSettings;
use crate::model::user::User;
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

/// One claim [`Store::record_claims`] wrote: whose, which value, the user's version after it and
/// the record before it.
#[derive(Debug, Clone)]
pub struct RecordedClaim {
    pub user: Uuid,
    pub value: String,
    pub version: u64,
    pub previous: Option<Claims>,
}

/// A user of the environment that could not be read, kept out of bulk work and reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub Uuid);

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

    /// The ids of every user of an environment, from the sharded user index.
    pub async fn user_ids(&self, env: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let mut ids = Vec::new();
        for shard in 0..USER_INDEX_SHARDS {
            let query = Search { projection_expression: Some("gsi1sk"), ..Search::user_shard(&self.table, env, shard) };
            for item in self.search_all("Query", query).await? {
                ids.extend(string_of(&item, "gsi1sk").and_then(|v| Uuid::parse_str(v).ok()));
            }
        }
        Ok(ids)
    }

    /// Reads users by id, consistently, 100 a round trip; an item that does not read as a user
    /// is reported, not fatal.
    pub async fn users(&self, env: Uuid, ids: &[Uuid]) -> Result<(Vec<User>, Vec<Unreadable>), StoreError> {
        let mut users = Vec::with_capacity(ids.len());
        let mut unreadable = Vec::new();
        for chunk in ids.chunks(100) {
            let keys: Vec<_> = chunk.iter().map(|id| keys::profile(env, *id)).collect();
            let mut found = self.batch_get(&keys).await?;
            for (id, key) in chunk.iter().zip(&keys) {
                match found.take(key).map(parse_user) {
                    Some(Ok(user)) => users.push(user),
                    Some(Err(_)) => unreadable.push(Unreadable(*id)),
                    None => {} // deleted since it was listed
                }
            }
        }
        Ok((users, unreadable))
    }

    /// Records that each user holds its value of `field` (a field becoming unique): the claim
    /// item and the user's claims record, per user in step with its version, in transactions of
    /// 50 users. On failure ([`StoreError::Taken`], [`StoreError::UserChanged`], ...) the error
    /// comes with what earlier transactions wrote, for [`Store::undo_claims`].
    pub async fn record_claims(
        &self,
        env: Uuid,
        field: &str,
        holders: &[(&User, String)],
        fields: &FieldSettings,
    ) -> Result<Vec<RecordedClaim>, (Vec<RecordedClaim>, StoreError)> {
        let mut written = Vec::with_capacity(holders.len());
        for chunk in holders.chunks(MAX_TX_ITEMS / 2) {
            let mut tx = Tx::default();
            let mut batch = Vec::with_capacity(chunk.len());
            for (user, value) in chunk {
                let mut claims = user.recorded_claims(fields);
                claims.insert(field, value.clone());
                self.take_claim(&mut tx, env, field, value, user.id);
                self.set_claims_record(&mut tx, env, user.id, user.version, Some(&claims));
                batch.push(RecordedClaim {
                    user: user.id,
                    value: value.clone(),
                    version: user.version + 1,
                    previous: user.held_claims.clone(),
                });
            }
            match self.run(tx).await {
                Ok(()) => written.extend(batch),
                Err(e) => return Err((written, e)),
            }
        }
        Ok(written)
    }

    /// Takes back what [`Store::record_claims`] wrote, user by user: the claim goes and the
    /// record returns to what it was, if the user has not changed since (a user saved since
    /// then already holds exactly what its new record says). Best effort: failures are logged
    /// and counted, and `reconcile-claims` finds anything left.
    pub async fn undo_claims(&self, env: Uuid, field: &str, written: &[RecordedClaim]) -> usize {
        let mut failed = 0;
        for claim in written {
            let mut tx = Tx::default();
            self.release_claim(&mut tx, env, field, &claim.value, claim.user);
            self.set_claims_record(&mut tx, env, claim.user, claim.version, claim.previous.as_ref());
            match self.run(tx).await {
                Ok(()) | Err(StoreError::UserChanged) => {}
                Err(e) => {
                    failed += 1;
                    tracing::error!(error = %e, field, "could not take back a claim; reconcile-claims will find it");
                }
            }
        }
        failed
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
