//! Pending email codes: a user's email change (`EMAILVERIFY` in the user's partition) and a
//! sign-in (`SIGNIN`, addressed by its verification id). Only the HMAC of a code is stored.

use super::attrs::{key_attrs, number_attr, string_attr, Item};
use super::dynamodb::{ReturnedItem, UpdateItem};
use super::errors::{from_call, StoreError};
use super::keys;
use super::reads::parse_item;
use super::transact::{Condition, Guard, Tx};
use super::rate_limits::Charge;
use super::Store;
use crate::model::values::{Email, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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
    /// Sign-ins only: the user that held the address when the code was sent (a hint: verifying
    /// checks it still does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Uuid>,
    /// An end user's change to an address someone else holds: answered as if a code went out,
    /// but none did, and no code ever verifies it (so the answer tells nothing of the holder).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decoy: bool,
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
    /// Adds a pending email change to `tx`, replacing any earlier one (how often codes may go
    /// to an address is counted apart: [`Store::charge`]).
    pub(super) fn put_verification(&self, tx: &mut Tx, env: Uuid, user: Uuid, v: &Verification) {
        let mut item: Item = serde_dynamo::to_item(v).expect("a verification always serializes");
        item.extend(key_attrs(&keys::email_verification(env, user)));
        tx.put(&self.table, item, None, Guard::Fresh);
    }

    /// Stores a pending email change of `user` on its own (an update writes it in its own
    /// transaction): how the benchmark seeds a code it knows.
    pub async fn put_verification_alone(&self, env: Uuid, user: Uuid, v: &Verification) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        self.put_verification(&mut tx, env, user, v);
        self.run(tx).await
    }

    /// Stores a new sign-in, counting its code against `charges` in the same transaction: a
    /// refused charge stores nothing ([`StoreError::RateLimited`]).
    pub async fn start_sign_in(&self, env: Uuid, v: &Verification, charges: &[Charge]) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        for (i, charge) in charges.iter().enumerate() {
            self.add_charge(&mut tx, env, charge, i, v.sent_at_ms);
        }
        let mut item: Item = serde_dynamo::to_item(v).expect("a verification always serializes");
        item.extend(key_attrs(&keys::sign_in(env, v.verification_uuid)));
        tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
        let result = self.run(tx).await;
        self.explain_rate_limit(env, charges, v.sent_at_ms, result).await
    }

    /// Deletes the sign-in in `tx`, which must still exist: of two uses of one code, one wins.
    pub(super) fn consume_sign_in(&self, tx: &mut Tx, env: Uuid, verification: Uuid) {
        let condition = Condition::new("attribute_exists(pk)");
        tx.delete(&self.table, key_attrs(&keys::sign_in(env, verification)), Some(condition), Guard::SignIn);
    }

    /// The sign-in `verification`, if it is stored.
    pub async fn sign_in(&self, env: Uuid, verification: Uuid) -> Result<Option<Verification>, StoreError> {
        self.get_item(&keys::sign_in(env, verification)).await?.map(parse_verification).transpose()
    }

    /// [`Store::spend_attempt`] for a sign-in.
    pub async fn spend_sign_in_attempt(
        &self,
        env: Uuid,
        verification: Uuid,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<Option<Verification>, StoreError> {
        self.spend_attempt_at(&keys::sign_in(env, verification), verification, max_attempts, now).await
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
        self.spend_attempt_at(&keys::email_verification(env, user), verification, max_attempts, now).await
    }

    async fn spend_attempt_at(
        &self,
        key: &keys::Key,
        verification: Uuid,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<Option<Verification>, StoreError> {
        let update = UpdateItem {
            table_name: &self.table,
            key: key_attrs(key),
            update_expression: "SET attempts = attempts + :one",
            condition_expression: "verificationUuid = :v AND attempts < :max AND #ttl > :now",
            expression_attribute_names: HashMap::from([("#ttl", "ttl")]),
            expression_attribute_values: Item::from([
                (":one".to_string(), number_attr(1)),
                (":v".to_string(), string_attr(verification.to_string())),
                (":max".to_string(), number_attr(max_attempts)),
                (":now".to_string(), number_attr(now.unix())),
            ]),
            return_values: "ALL_NEW",
        };
        match self.call_raw::<ReturnedItem>("UpdateItem", &update).await {
            Ok(out) => out.attributes.map(parse_verification).transpose(),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(None),
            Err(e) => Err(from_call("UpdateItem", e)),
        }
    }

    /// The pending verification of a user, if any.
    pub async fn verification(&self, env: Uuid, user: Uuid) -> Result<Option<Verification>, StoreError> {
        self.get_item(&keys::email_verification(env, user)).await?.map(parse_verification).transpose()
    }
}
