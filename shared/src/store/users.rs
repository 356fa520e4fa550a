//! Users, their unique-value claims and their pending email verification.

use super::keys;
use super::transact::{n, s, Guard, Tx, TxError, Values};
use super::{key_item, storage_error, Item, Store};
use crate::error::{ApiError, ApiResult};
use crate::model::fields::FieldSettings;
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::otp::MAX_ATTEMPTS;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A pending email change. Only the HMAC of the code is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub verification_uuid: Uuid,
    pub email: Email,
    pub code_hash: String,
    pub expires_at: Timestamp,
    /// When the code was sent, in Unix milliseconds (numeric, so conditions can compare it).
    pub sent_at_ms: i64,
    pub attempts: u32,
    /// DynamoDB TTL attribute (Unix seconds); removal is lazy, so expiry is also checked on read.
    pub ttl: i64,
}

impl Verification {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }
}

/// The unique values a user holds: field name → normalised value.
pub fn claims_of(user: &User, fields: &FieldSettings) -> BTreeMap<String, String> {
    let mut claims = BTreeMap::new();
    if let Some(email) = &user.profile.email {
        claims.insert("email".to_string(), email.normalized());
    }
    if let Some(username) = &user.profile.username {
        claims.insert("username".to_string(), username.normalized());
    }
    if let Some(metadata) = &user.profile.metadata {
        for field in fields.enabled_custom().filter(|f| f.is_unique()) {
            match metadata.get(field.name()) {
                None | Some(serde_json::Value::Null) => {}
                Some(value) => {
                    if let Ok(normalized) = field.check_custom_value(value) {
                        claims.insert(field.name().to_string(), normalized);
                    }
                }
            }
        }
    }
    claims
}

pub fn parse_user(item: Item) -> ApiResult<User> {
    from_item(item, "user")
}

pub fn parse_verification(item: Item) -> ApiResult<Verification> {
    from_item(item, "verification")
}

/// A stored item that no longer reads as its type is a server fault, never the client's.
fn from_item<T: serde::de::DeserializeOwned>(item: Item, what: &str) -> ApiResult<T> {
    serde_dynamo::from_item(item).map_err(|e| {
        tracing::error!(error = %e, item = what, "stored item does not parse");
        ApiError::new(
            lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("A stored {what} is unreadable."),
        )
    })
}

fn user_item(user: &User, version: u64) -> Item {
    let mut item: Item = serde_dynamo::to_item(user).expect("a user always serializes");
    let (pk, sk) = keys::profile(user.project_environment_id, user.id);
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    item.insert("version".into(), n(version));
    let shard = keys::user_index_shard(user.id);
    item.insert("gsi1pk".into(), s(keys::user_index_pk(user.project_environment_id, shard)));
    item.insert("gsi1sk".into(), s(user.id.to_string()));
    item
}

fn owner_values(user: Uuid) -> Values {
    HashMap::from([(":uid".to_string(), s(user.to_string()))])
}

const FREE_OR_MINE: &str = "attribute_not_exists(pk) OR userId = :uid";

impl Store {
    /// Writes `after` and moves its unique-value claims from `before` in one transaction, with
    /// whatever else the caller put in `tx`. `before` is `None` on create (the id must be new);
    /// otherwise the stored version must still be `before.version`.
    pub async fn save_user(
        &self,
        before: Option<&User>,
        after: &User,
        fields: &FieldSettings,
        mut tx: Tx,
    ) -> Result<u64, TxError> {
        let env = after.project_environment_id;
        let version = before.map_or(1, |b| b.version + 1);
        match before {
            None => tx.put(&self.table, user_item(after, version), Some("attribute_not_exists(pk)"), Values::new(), Guard::User),
            Some(b) => tx.put(
                &self.table,
                user_item(after, version),
                Some("version = :version"),
                HashMap::from([(":version".to_string(), n(b.version))]),
                Guard::User,
            ),
        }
        let old = before.map(|b| claims_of(b, fields)).unwrap_or_default();
        let new = claims_of(after, fields);
        for (field, value) in &old {
            if new.get(field) != Some(value) {
                let key = key_item(&keys::claim(env, field, value));
                tx.delete(&self.table, key, Some(FREE_OR_MINE), owner_values(after.id), Guard::Other);
            }
        }
        for (field, value) in &new {
            if old.get(field) != Some(value) {
                self.put_claim(&mut tx, env, field, value, after.id);
            }
        }
        self.transact(tx).await.map(|()| version)
    }

    /// Claims `value` of `field` for `user` in `tx`; fails as [`Guard::Claim`] if another user
    /// holds it.
    pub(super) fn put_claim(&self, tx: &mut Tx, env: Uuid, field: &str, value: &str, user: Uuid) {
        let mut item = key_item(&keys::claim(env, field, value));
        item.insert("userId".into(), s(user.to_string()));
        item.insert("field".into(), s(field));
        tx.put(&self.table, item, Some(FREE_OR_MINE), owner_values(user), Guard::Claim(field.to_string()));
    }

    /// Adds a pending verification to `tx`, refusing (as [`Guard::Verification`]) when a code for
    /// the same email was sent less than `cooldown_ms` ago.
    pub fn put_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid, v: &Verification, cooldown_ms: i64) {
        let mut item: Item = serde_dynamo::to_item(v).expect("a verification always serializes");
        item.extend(key_item(&keys::email_verification(env, user)));
        let values = HashMap::from([
            (":cutoff".to_string(), n(v.sent_at_ms - cooldown_ms)),
            (":email".to_string(), s(v.email.to_string())),
        ]);
        tx.put(
            &self.table,
            item,
            Some("attribute_not_exists(pk) OR sentAtMs <= :cutoff OR email <> :email"),
            values,
            Guard::Verification,
        );
    }

    /// Deletes whatever verification is pending, in `tx`.
    pub fn drop_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid) {
        let key = key_item(&keys::email_verification(env, user));
        tx.delete(&self.table, key, None, Values::new(), Guard::Other);
    }

    /// Deletes the pending verification in `tx`, provided it is still `verification`.
    pub fn consume_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid, verification: Uuid) {
        tx.delete(
            &self.table,
            key_item(&keys::email_verification(env, user)),
            Some("verificationUuid = :v"),
            HashMap::from([(":v".to_string(), s(verification.to_string()))]),
            Guard::Verification,
        );
    }

    /// Spends one of the code's attempts before the code is compared, so parallel guesses can
    /// never test more codes than the attempt limit. `None`: the verification is not live.
    pub async fn spend_attempt(
        &self,
        env: Uuid,
        user: Uuid,
        verification: Uuid,
        now: Timestamp,
    ) -> ApiResult<Option<Verification>> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::email_verification(env, user))))
            .update_expression("SET attempts = attempts + :one")
            .condition_expression("verificationUuid = :v AND attempts < :max AND #ttl > :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", s(verification.to_string()))
            .expression_attribute_values(":max", n(MAX_ATTEMPTS))
            .expression_attribute_values(":now", n(now.unix()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out.attributes.map(parse_verification).transpose(),
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => Ok(None),
            Err(e) => Err(storage_error(e)),
        }
    }

    pub async fn get_item(&self, key: &keys::Key) -> ApiResult<Option<Item>> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.item)
            .map_err(storage_error)
    }

    /// Who holds a unique value, if anyone.
    pub async fn claim_holder(&self, env: Uuid, field: &str, value: &str) -> ApiResult<Option<Uuid>> {
        let item = self.get_item(&keys::claim(env, field, value)).await?;
        Ok(item
            .and_then(|i| i.get("userId").and_then(|v| v.as_s().ok()).cloned())
            .and_then(|id| Uuid::parse_str(&id).ok()))
    }
}
