//! JWT signing keys of an environment (`SIGNINGKEY#<kid>` in its partition) and which one signs
//! (`currentSigningKey` on the environment item). The private key is stored only as KMS
//! ciphertext; the store never sees it in the clear.

use super::attrs::{key_attrs, string_attr, Item};
use super::dynamodb::Search;
use super::errors::StoreError;
use super::keys;
use super::reads::parse_item;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::values::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyRecord {
    pub kid: String,
    /// The RSA public modulus and exponent, base64url without padding (as a JWK has them).
    pub n: String,
    pub e: String,
    /// The PKCS#8 private key encrypted under KMS (environment and kid as encryption context),
    /// base64.
    pub encrypted_private_key: String,
    pub created_at: Timestamp,
    /// Set when another key took over: after this no token it signed is still valid, and it
    /// leaves the JWKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retires_at: Option<Timestamp>,
    /// DynamoDB TTL, set with `retires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
}

impl SigningKeyRecord {
    pub fn is_published(&self, now: Timestamp) -> bool {
        self.retires_at.is_none_or(|at| now < at)
    }
}

pub fn parse_signing_key(item: Item) -> Result<SigningKeyRecord, StoreError> {
    parse_item(item, "signing key")
}

/// The environment settings sign-in reads.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRecord {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub current_signing_key: Option<String>,
    /// How long a sign-in lasts; the default when absent.
    #[serde(default)]
    pub session_seconds: Option<i64>,
}

pub fn parse_environment(item: Item) -> Result<EnvironmentRecord, StoreError> {
    parse_item(item, "environment")
}

impl Store {
    /// The environment's settings; `None` if it does not exist.
    pub async fn environment(&self, env: Uuid) -> Result<Option<EnvironmentRecord>, StoreError> {
        self.get_item(&keys::environment(env)).await?.map(parse_environment).transpose()
    }

    /// Makes `key` the environment's signing key, atomically: the key is stored, the environment
    /// points at it (provided it still pointed at `previous`: two rotations at once cannot both
    /// win) and `previous`, if any, retires at `previous_retires_at`.
    pub async fn install_signing_key(
        &self,
        env: Uuid,
        key: &SigningKeyRecord,
        previous: Option<&str>,
        previous_retires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        let mut item: Item = serde_dynamo::to_item(key).expect("a signing key always serializes");
        item.extend(key_attrs(&keys::signing_key(env, &key.kid)));
        tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
        let pointer = match previous {
            Some(kid) => Condition::new("attribute_exists(pk) AND currentSigningKey = :prev").with(":prev", string_attr(kid)),
            None => Condition::new("attribute_exists(pk) AND attribute_not_exists(currentSigningKey)"),
        };
        let pointer = pointer.with(":kid", string_attr(key.kid.clone()));
        tx.update(&self.table, key_attrs(&keys::environment(env)), "SET currentSigningKey = :kid", pointer, Guard::Environment);
        if let Some(kid) = previous {
            let retire = Condition::new("attribute_exists(pk)")
                .with(":at", string_attr(previous_retires_at.to_rfc3339()))
                .with(":ttl", super::attrs::number_attr(previous_retires_at.unix() + 86_400))
                .name("#ttl", "ttl");
            tx.update(&self.table, key_attrs(&keys::signing_key(env, kid)), "SET retiresAt = :at, #ttl = :ttl", retire, Guard::Fresh);
        }
        self.run(tx).await
    }

    /// One signing key of `env`, published or not.
    pub async fn signing_key(&self, env: Uuid, kid: &str) -> Result<Option<SigningKeyRecord>, StoreError> {
        self.get_item(&keys::signing_key(env, kid)).await?.map(parse_signing_key).transpose()
    }

    /// Every stored signing key of `env` (the current and those not yet removed).
    pub async fn signing_keys(&self, env: Uuid) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let (pk, _) = keys::environment(env);
        let query = Search::sort_key_prefix(&self.table, pk, format!("{}#", keys::SK_SIGNING_KEY));
        self.search_all("Query", query).await?.into_iter().map(parse_signing_key).collect()
    }

    /// Sets how long sign-ins to `env` last.
    pub async fn set_session_length(&self, env: Uuid, seconds: i64) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        let condition = Condition::new("attribute_exists(pk)").with(":s", super::attrs::number_attr(seconds));
        tx.update(&self.table, key_attrs(&keys::environment(env)), "SET sessionSeconds = :s", condition, Guard::Environment);
        self.run(tx).await
    }
}
