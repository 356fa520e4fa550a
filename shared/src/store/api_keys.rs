//! API key items. A key is recorded three times, written and deleted in one transaction:
//! by its hash (what authorising a request reads; the key itself is never stored), by its public
//! id (to revoke a key without holding it) and in its environment's partition (to list keys).
//! Hashing is `auth`'s: the store only ever sees the hash.

use super::attrs::{as_s, key_attrs, string_attr, string_of, AttributeValue, Item};
use super::dynamodb::Search;
use super::errors::StoreError;
use super::keys::{self, SK_API_KEY};
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::auth::scopes::Scopes;
use serde::Serialize;
use uuid::Uuid;

/// What a key grants: its environment and scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyGrant {
    pub environment: Uuid,
    pub scopes: Scopes,
}

/// A key as an operator sees it (never the secret or its hash).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
}

/// A key to record.
pub struct KeyRecord<'a> {
    pub environment: Uuid,
    pub hash: &'a str,
    pub id: &'a str,
    pub name: &'a str,
    pub scopes: Scopes,
    pub created_at: &'a str,
}

fn scope_list(scopes: Scopes) -> AttributeValue {
    AttributeValue::L(scopes.names().into_iter().map(AttributeValue::S).collect())
}

fn stored_scopes(item: &Item) -> Scopes {
    let names: Option<Vec<String>> =
        match item.get("scopes") {
            Some(AttributeValue::L(list)) => Some(list.iter().filter_map(as_s).map(str::to_string).collect()),
            _ => None,
        };
    Scopes::from_stored(names.as_deref())
}

/// What the key item addressed by a hash grants, if it reads as one.
pub fn key_grant(item: &Item) -> Option<KeyGrant> {
    let environment = string_of(item, "environmentId").and_then(|v| Uuid::parse_str(v).ok())?;
    Some(KeyGrant { environment, scopes: stored_scopes(item) })
}

impl Store {
    /// Adds the three records of a key to `tx`.
    pub(super) fn put_api_key(&self, tx: &mut Tx, key: &KeyRecord<'_>) {
        let fresh = || Some(Condition::new("attribute_not_exists(pk)"));
        let common = |mut item: Item| {
            item.insert("environmentId".into(), string_attr(key.environment.to_string()));
            item.insert("keyId".into(), string_attr(key.id));
            item.insert("name".into(), string_attr(key.name));
            item.insert("scopes".into(), scope_list(key.scopes));
            item.insert("createdAt".into(), string_attr(key.created_at));
            item
        };
        tx.put(&self.table, common(key_attrs(&keys::api_key(key.hash))), fresh(), Guard::Fresh);
        let mut by_id = common(key_attrs(&keys::api_key_by_id(key.id)));
        by_id.insert("keyHash".into(), string_attr(key.hash));
        tx.put(&self.table, by_id, fresh(), Guard::Fresh);
        tx.put(&self.table, common(key_attrs(&keys::environment_api_key(key.environment, key.id))), fresh(), Guard::Fresh);
    }

    /// Records another key for an existing environment ([`StoreError::NoEnvironment`] if none).
    pub async fn add_api_key(&self, key: &KeyRecord<'_>) -> Result<(), StoreError> {
        if self.get_item(&keys::environment(key.environment)).await?.is_none() {
            return Err(StoreError::NoEnvironment);
        }
        let mut tx = Tx::default();
        self.put_api_key(&mut tx, key);
        self.run(tx).await
    }

    /// The keys of an environment, oldest id first.
    pub async fn api_keys(&self, env: Uuid) -> Result<Vec<ApiKeyInfo>, StoreError> {
        let (pk, _) = keys::environment(env);
        let query = Search::sort_key_prefix(&self.table, pk, format!("{SK_API_KEY}#"));
        let mut out = Vec::new();
        for item in self.search_all("Query", query).await? {
            out.push(ApiKeyInfo {
                id: string_of(&item, "keyId").unwrap_or_default().to_string(),
                name: string_of(&item, "name").unwrap_or_default().to_string(),
                scopes: stored_scopes(&item).names(),
                created_at: string_of(&item, "createdAt").unwrap_or_default().to_string(),
            });
        }
        Ok(out)
    }

    /// Deletes the key with this public id; `false` if there is none.
    pub async fn delete_api_key_by_id(&self, id: &str) -> Result<bool, StoreError> {
        let Some(item) = self.get_item(&keys::api_key_by_id(id)).await? else { return Ok(false) };
        let hash = string_of(&item, "keyHash").unwrap_or_default().to_string();
        let env = string_of(&item, "environmentId").and_then(|v| Uuid::parse_str(v).ok());
        self.delete_api_key_records(&hash, Some(id), env).await
    }

    /// Deletes the key with this hash (and its other records); `false` if it was unknown.
    pub async fn delete_api_key_by_hash(&self, hash: &str) -> Result<bool, StoreError> {
        let Some(item) = self.get_item(&keys::api_key(hash)).await? else { return Ok(false) };
        let id = string_of(&item, "keyId").map(str::to_string);
        let env = key_grant(&item).map(|g| g.environment);
        self.delete_api_key_records(hash, id.as_deref(), env).await
    }

    /// A key from before ids existed has only its hash record.
    async fn delete_api_key_records(&self, hash: &str, id: Option<&str>, env: Option<Uuid>) -> Result<bool, StoreError> {
        let mut tx = Tx::default();
        tx.delete(&self.table, key_attrs(&keys::api_key(hash)), None, Guard::Fresh);
        if let Some(id) = id {
            tx.delete(&self.table, key_attrs(&keys::api_key_by_id(id)), None, Guard::Fresh);
            if let Some(env) = env {
                tx.delete(&self.table, key_attrs(&keys::environment_api_key(env, id)), None, Guard::Fresh);
            }
        }
        self.run(tx).await.map(|()| true)
    }
}
