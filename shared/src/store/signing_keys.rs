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
    /// A rotation's new key: published at once, signing from `next_signing_key_at` on, so that
    /// relying parties' cached JWKS list it before any token it signs reaches them.
    #[serde(default)]
    pub next_signing_key: Option<String>,
    #[serde(default)]
    pub next_signing_key_at: Option<Timestamp>,
    /// How long a sign-in lasts; the default when absent.
    #[serde(default)]
    pub session_seconds: Option<i64>,
    /// The tokens' `aud`; the environment id when absent.
    #[serde(default)]
    pub audience: Option<String>,
    /// The trusted external issuers (`model::external_auth`); none when absent.
    #[serde(default)]
    pub external_auth: Option<crate::model::external_auth::ExternalAuth>,
}

impl EnvironmentRecord {
    /// The key that signs at `now`: a rotation's next key once its time has come.
    pub fn signing_kid(&self, now: Timestamp) -> Option<&str> {
        match (&self.next_signing_key, self.next_signing_key_at) {
            (Some(next), Some(at)) if now >= at => Some(next),
            _ => self.current_signing_key.as_deref(),
        }
    }

    /// A rotation's key that is published but does not sign yet.
    pub fn pending_kid(&self, now: Timestamp) -> Option<&str> {
        match (&self.next_signing_key, self.next_signing_key_at) {
            (Some(next), Some(at)) if now < at => Some(next),
            _ => None,
        }
    }

    pub fn audience(&self, env: Uuid) -> String {
        self.audience.clone().unwrap_or_else(|| env.to_string())
    }
}

/// A signing-key change, made atomically by [`Store::install_signing_key`].
pub struct KeyChange<'a> {
    /// The key to store (absent for a revocation that needs no new key).
    pub new_key: Option<&'a SigningKeyRecord>,
    /// The environment's pointers as read; the change applies only if they still are.
    pub read: &'a EnvironmentRecord,
    /// What signs from now on (the current pointer) and what signs later (the next pointer).
    pub current: Option<&'a str>,
    pub next: Option<(&'a str, Timestamp)>,
    /// Keys that stop being published at the given time.
    pub retire: Vec<(&'a str, Timestamp)>,
}

pub fn parse_environment(item: Item) -> Result<EnvironmentRecord, StoreError> {
    parse_item(item, "environment")
}

impl Store {
    /// The environment's settings; `None` if it does not exist.
    pub async fn environment(&self, env: Uuid) -> Result<Option<EnvironmentRecord>, StoreError> {
        self.get_item(&keys::environment(env)).await?.map(parse_environment).transpose()
    }

    /// Applies a signing-key change in one transaction: the new key stored, the environment's
    /// pointers moved (provided they are still as read: two rotations at once cannot both
    /// win), and the retired keys given their end.
    pub async fn install_signing_key(&self, env: Uuid, change: KeyChange<'_>) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        if let Some(key) = change.new_key {
            let mut item: Item = serde_dynamo::to_item(key).expect("a signing key always serializes");
            item.extend(key_attrs(&keys::signing_key(env, &key.kid)));
            tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
        }
        let read = change.read;
        let expression = match (read.current_signing_key.is_some(), read.next_signing_key.is_some()) {
            (true, true) => "attribute_exists(pk) AND currentSigningKey = :readCurrent AND nextSigningKey = :readNext",
            (true, false) => "attribute_exists(pk) AND currentSigningKey = :readCurrent AND attribute_not_exists(nextSigningKey)",
            (false, true) => "attribute_exists(pk) AND attribute_not_exists(currentSigningKey) AND nextSigningKey = :readNext",
            (false, false) => "attribute_exists(pk) AND attribute_not_exists(currentSigningKey) AND attribute_not_exists(nextSigningKey)",
        };
        let mut pointer = Condition::new(expression);
        if let Some(kid) = &read.current_signing_key {
            pointer = pointer.with(":readCurrent", string_attr(kid.clone()));
        }
        if let Some(kid) = &read.next_signing_key {
            pointer = pointer.with(":readNext", string_attr(kid.clone()));
        }
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        match change.current {
            Some(kid) => {
                sets.push("currentSigningKey = :current");
                pointer = pointer.with(":current", string_attr(kid));
            }
            None => removes.push("currentSigningKey"),
        }
        match change.next {
            Some((kid, at)) => {
                sets.push("nextSigningKey = :next, nextSigningKeyAt = :nextAt");
                pointer = pointer.with(":next", string_attr(kid)).with(":nextAt", string_attr(at.to_rfc3339()));
            }
            None => removes.push("nextSigningKey, nextSigningKeyAt"),
        }
        let mut update = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            update.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        // A pointer that moved since it was read: another rotation won (a conflict to retry).
        tx.update(&self.table, key_attrs(&keys::environment(env)), &update, pointer, Guard::Fresh);
        for (kid, at) in change.retire {
            let retire = Condition::new("attribute_exists(pk)")
                .with(":at", string_attr(at.to_rfc3339()))
                .with(":ttl", super::attrs::number_attr(at.unix() + 86_400))
                .name("#ttl", "ttl");
            tx.update(&self.table, key_attrs(&keys::signing_key(env, kid)), "SET retiresAt = :at, #ttl = :ttl", retire, Guard::Fresh);
        }
        self.run(tx).await
    }

    /// Sets the `aud` of `env`'s tokens (those issued from then on).
    pub async fn set_audience(&self, env: Uuid, audience: &str) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        let condition = Condition::new("attribute_exists(pk)").with(":a", string_attr(audience));
        tx.update(&self.table, key_attrs(&keys::environment(env)), "SET audience = :a", condition, Guard::Environment);
        self.run(tx).await
    }

    /// Sets `env`'s external authentication (tokens of those issuers sign in from then on).
    pub async fn set_external_auth(&self, env: Uuid, config: &crate::model::external_auth::ExternalAuth) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        let value = serde_dynamo::to_attribute_value(config).expect("a configuration always serializes");
        let condition = Condition::new("attribute_exists(pk)").with(":x", value);
        tx.update(&self.table, key_attrs(&keys::environment(env)), "SET externalAuth = :x", condition, Guard::Environment);
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
