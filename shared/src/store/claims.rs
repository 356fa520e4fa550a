//! Claim items: one per unique value in use (`ENV#<env>#UNIQUE#<field>#<value>`), naming its
//! holder. Taking and releasing them rides in the same transaction as the user item that
//! records them.

use super::attrs::{json_attr, key_attrs, number_attr, string_attr, string_of};
use super::errors::StoreError;
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::claims::Claims;
use uuid::Uuid;

/// Free, or already this user's: claiming again is harmless.
const FREE_OR_MINE: &str = "attribute_not_exists(pk) OR userId = :uid";

impl Store {
    /// Claims `value` of `field` for `user` in `tx`; fails as [`StoreError::Taken`] if another
    /// user holds it.
    pub(super) fn take_claim(&self, tx: &mut Tx, env: Uuid, field: &str, value: &str, user: Uuid) {
        let mut item = key_attrs(&keys::claim(env, field, value));
        item.insert("userId".into(), string_attr(user.to_string()));
        item.insert("field".into(), string_attr(field));
        let condition = Condition::new(FREE_OR_MINE).with(":uid", string_attr(user.to_string()));
        tx.put(&self.table, item, Some(condition), Guard::Claim(field.to_string()));
    }

    /// Releases a value `user` holds, in `tx`. Already gone is fine; held by someone else fails
    /// as [`StoreError::ClaimsOutOfSync`] rather than freeing another user's value.
    pub(super) fn release_claim(&self, tx: &mut Tx, env: Uuid, field: &str, value: &str, user: Uuid) {
        let key = key_attrs(&keys::claim(env, field, value));
        let condition = Condition::new(FREE_OR_MINE).with(":uid", string_attr(user.to_string()));
        tx.delete(&self.table, key, Some(condition), Guard::Release(field.to_string()));
    }

    /// Sets the claims record of a user still at `read_version` (bumping it) in `tx`; `None`
    /// removes the record (an item from before records existed). Fails as
    /// [`StoreError::UserChanged`] if the user moved on.
    pub(super) fn set_claims_record(&self, tx: &mut Tx, env: Uuid, user: Uuid, read_version: u64, record: Option<&Claims>) {
        let key = key_attrs(&keys::profile(env, user));
        let condition = Condition::new("version = :v")
            .with(":v", number_attr(read_version))
            .with(":next", number_attr(read_version + 1));
        match record {
            Some(claims) => {
                let condition = condition.with(":claims", json_attr(claims));
                tx.update(&self.table, key, "SET claims = :claims, version = :next", condition, Guard::UserVersion);
            }
            None => tx.update(&self.table, key, "REMOVE claims SET version = :next", condition, Guard::UserVersion),
        }
    }

    /// Who holds a unique value, if anyone.
    pub async fn claim_holder(&self, env: Uuid, field: &str, value: &str) -> Result<Option<Uuid>, StoreError> {
        let item = self.get_item(&keys::claim(env, field, value)).await?;
        Ok(item.as_ref().and_then(|i| string_of(i, "userId")).and_then(|id| Uuid::parse_str(id).ok()))
    }
}
