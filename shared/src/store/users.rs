//! User items. A save writes the user, moves its unique-value claims (released: what the item
//! recorded as held; taken: what the configuration asks now), checks the field configuration is
//! still the version the values were judged by, and does any verification change, all in one
//! TransactWriteItems.

use super::attrs::{key_attrs, number_attr, string_attr, Item};
use super::errors::StoreError;
use super::keys;
use super::reads::parse_item;
use super::transact::{Condition, Guard, Tx};
use super::verifications::Verification;
use super::Store;
use crate::model::claims::Claims;
use crate::model::field_rules::FieldSettings;
use crate::model::user::User;
use uuid::Uuid;

/// What else a user save does to the user's pending verification.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    Nothing,
    /// Store a new pending verification, unless a code went to the same address within
    /// `cooldown_ms` ([`StoreError::TooSoon`]).
    PutVerification { verification: &'a Verification, cooldown_ms: i64 },
    /// Withdraw whatever is pending.
    DropVerification,
    /// Delete the pending verification, which must still be this one ([`StoreError::VerificationGone`]).
    ConsumeVerification(Uuid),
}

pub fn parse_user(item: Item) -> Result<User, StoreError> {
    parse_item(item, "user")
}

fn user_item(user: &User, version: u64, claims: &Claims) -> Item {
    let mut item: Item = serde_dynamo::to_item(user).expect("a user always serializes");
    let env = user.project_environment_id;
    item.extend(key_attrs(&keys::profile(env, user.id)));
    item.insert("version".into(), number_attr(version));
    item.insert("claims".into(), serde_dynamo::to_attribute_value(claims).expect("claims always serialize"));
    item.insert("gsi1pk".into(), string_attr(keys::user_index_pk(env, keys::user_index_shard(user.id))));
    item.insert("gsi1sk".into(), string_attr(user.id.to_string()));
    item
}

impl Store {
    /// Creates `user` (its id must be new: [`StoreError::UserExists`]) with its claims.
    /// `fields_version` is the configuration its values were checked against.
    pub async fn create_user(&self, user: &User, fields: &FieldSettings, fields_version: u64) -> Result<User, StoreError> {
        self.save(None, user, fields, fields_version, Side::Nothing).await
    }

    /// Replaces `before` (which must still be the stored version: [`StoreError::UserChanged`])
    /// with `after`, moving claims, and does `side`.
    pub async fn update_user(
        &self,
        before: &User,
        after: &User,
        fields: &FieldSettings,
        fields_version: u64,
        side: Side<'_>,
    ) -> Result<User, StoreError> {
        self.save(Some(before), after, fields, fields_version, side).await
    }

    async fn save(
        &self,
        before: Option<&User>,
        after: &User,
        fields: &FieldSettings,
        fields_version: u64,
        side: Side<'_>,
    ) -> Result<User, StoreError> {
        let env = after.project_environment_id;
        let version = before.map_or(1, |b| b.version + 1);
        // What the stored item says it holds; an item from before claims were recorded holds
        // what the configuration asks of it.
        let held = match before {
            Some(b) => b.held_claims.clone().unwrap_or_else(|| Claims::required(b, fields)),
            None => Claims::default(),
        };
        let next = Claims::required(after, fields);

        let mut tx = Tx::default();
        let item = user_item(after, version, &next);
        match before {
            None => tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::NewUser),
            Some(b) => {
                let condition = Condition::new("version = :version").with(":version", number_attr(b.version));
                tx.put(&self.table, item, Some(condition), Guard::UserVersion)
            }
        }
        let (released, taken) = held.moves(&next);
        for (field, value) in released {
            self.release_claim(&mut tx, env, field, value, after.id);
        }
        for (field, value) in taken {
            self.take_claim(&mut tx, env, field, value, after.id);
        }
        self.check_fields_version(&mut tx, env, fields_version);
        match side {
            Side::Nothing => {}
            Side::PutVerification { verification, cooldown_ms } => {
                self.put_verification(&mut tx, env, after.id, verification, cooldown_ms)
            }
            Side::DropVerification => self.drop_verification(&mut tx, env, after.id),
            Side::ConsumeVerification(id) => self.consume_verification(&mut tx, env, after.id, id),
        }
        self.run(tx).await?;
        Ok(User { version, held_claims: Some(next), ..after.clone() })
    }

    /// The values were checked against configuration `version`: the write fails
    /// ([`StoreError::FieldsChanged`]) if it moved on, so no value passes on stale rules.
    fn check_fields_version(&self, tx: &mut Tx, env: Uuid, version: u64) {
        let key = key_attrs(&keys::fields(env));
        let condition = if version == 0 {
            Condition::new("attribute_not_exists(pk)")
        } else {
            Condition::new("version = :fields_version").with(":fields_version", number_attr(version))
        };
        tx.check(&self.table, key, condition, Guard::FieldsVersion);
    }

    /// A user by id.
    pub async fn user(&self, env: Uuid, id: Uuid) -> Result<Option<User>, StoreError> {
        self.get_item(&keys::profile(env, id)).await?.map(parse_user).transpose()
    }
}
