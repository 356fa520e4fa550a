//! Claim items: one per unique value in use (`ENV#<env>#UNIQUE#<field>#<value>`), naming its
//! holder. Taking and releasing them rides in the same transaction as the user item that
//! records them.

use super::attrs::{json_attr, key_attrs, number_attr, string_attr, string_of};
use super::errors::StoreError;
use super::keys;
use super::transact::{Condition, Guard, Tx, MAX_TX_ITEMS};
use super::Store;
use crate::model::claims::Claims;
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
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

/// One claim [`Store::record_claims`] wrote: whose, which value, the user's version after it and
/// the record before it.
#[derive(Debug, Clone)]
pub struct RecordedClaim {
    pub user: Uuid,
    pub value: String,
    pub version: u64,
    pub previous: Option<Claims>,
}

/// Recording every holder's claim of a field that became unique, and taking it back.
impl Store {
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
