//! A user's pending email change (`EMAILVERIFY` in the user's partition). Only the HMAC of the
//! code is stored.

use super::attrs::{key_attrs, number_attr, string_attr, Item};
use super::errors::{from_sdk, StoreError};
use super::keys;
use super::reads::parse_item;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::values::{Email, Timestamp};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

pub fn parse_verification(item: Item) -> Result<Verification, StoreError> {
    parse_item(item, "verification")
}

impl Store {
    /// Adds a pending verification to `tx`, refusing ([`StoreError::TooSoon`]) when a code for
    /// the same email was sent less than `cooldown_ms` ago.
    pub(super) fn put_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid, v: &Verification, cooldown_ms: i64) {
        let mut item: Item = serde_dynamo::to_item(v).expect("a verification always serializes");
        item.extend(key_attrs(&keys::email_verification(env, user)));
        let condition = Condition::new("attribute_not_exists(pk) OR sentAtMs <= :cutoff OR email <> :email")
            .with(":cutoff", number_attr(v.sent_at_ms - cooldown_ms))
            .with(":email", string_attr(v.email.to_string()));
        tx.put(&self.table, item, Some(condition), Guard::Cooldown);
    }

    /// Deletes whatever verification is pending, in `tx`.
    pub(super) fn drop_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid) {
        tx.delete(&self.table, key_attrs(&keys::email_verification(env, user)), None, Guard::Fresh);
    }

    /// Deletes the pending verification in `tx`, provided it is still `verification`.
    pub(super) fn consume_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid, verification: Uuid) {
        let condition = Condition::new("verificationUuid = :v").with(":v", string_attr(verification.to_string()));
        tx.delete(&self.table, key_attrs(&keys::email_verification(env, user)), Some(condition), Guard::Verification);
    }

    /// Spends one of the code's attempts before the code is compared, so parallel guesses can
    /// never test more codes than the attempt limit. `None`: the verification is not live.
    pub async fn spend_attempt(
        &self,
        env: Uuid,
        user: Uuid,
        verification: Uuid,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<Option<Verification>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(&keys::email_verification(env, user))))
            .update_expression("SET attempts = attempts + :one")
            .condition_expression("verificationUuid = :v AND attempts < :max AND #ttl > :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", number_attr(1))
            .expression_attribute_values(":v", string_attr(verification.to_string()))
            .expression_attribute_values(":max", number_attr(max_attempts))
            .expression_attribute_values(":now", number_attr(now.unix()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out.attributes.map(parse_verification).transpose(),
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => Ok(None),
            Err(e) => Err(from_sdk(e)),
        }
    }

    /// The pending verification of a user, if any.
    pub async fn verification(&self, env: Uuid, user: Uuid) -> Result<Option<Verification>, StoreError> {
        self.get_item(&keys::email_verification(env, user)).await?.map(parse_verification).transpose()
    }
}
