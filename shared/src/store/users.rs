//! User items. A save writes the user, moves its unique-value claims (released: what the item
//! recorded as held; taken: what the configuration asks now), checks the field configuration is
//! still the version the values were judged by, and does any verification change, all in one
//! TransactWriteItems.

use super::attrs::{json_attr, key_attrs, number_attr, string_attr, string_of, AttributeValue, Item};
use super::dynamodb::{DeleteItem, Ignored, Page, Search};
use super::errors::StoreError;
use super::keys::{self, USER_INDEX_SHARDS};
use super::reads::{parse_item, parse_json};
use super::transact::{Condition, Guard, Tx};
use super::rate_limits::Charge;
use super::sessions::Session;
use super::verifications::Verification;
use super::Store;
use crate::model::actor::Actor;
use crate::model::claims::Claims;
use crate::model::field_settings::FieldSettings;
use crate::model::profile_fields::Profile;
use crate::model::user::User;
use crate::model::values::Timestamp;
use serde::Serialize;
use uuid::Uuid;

/// What else a user save does, in the same transaction.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// Store a new pending email change, replacing any earlier one.
    PutVerification(&'a Verification),
    /// Withdraw whatever is pending.
    DropVerification,
    /// Delete the pending verification, which must still be this one ([`StoreError::VerificationGone`]).
    ConsumeVerification(Uuid),
    /// Use up the sign-in, which must still exist ([`StoreError::VerificationGone`]).
    ConsumeSignIn(Uuid),
    /// Start a session for the user.
    PutSession(&'a Session),
    /// The failure counter must have room (at this time, in Unix milliseconds).
    CheckRoom(&'a Charge, i64),
}

/// The two lists of the user item that are only ever read whole, the credentials and the claims
/// record, are stored as JSON strings: a user with ten wallets holds about a hundred nested
/// attribute values there, which the SDK parsed on every read (about 0.3 M instructions), where
/// a string is one token. Items written before hold DynamoDB lists, which still load.
const CREDENTIALS: &str = "verifiedCredentials";
const CLAIMS: &str = "claims";
use super::search_index::SEARCH_RECORD;

pub fn parse_user(mut item: Item) -> Result<User, StoreError> {
    let credentials = take_json_string(&mut item, CREDENTIALS);
    let claims = take_json_string(&mut item, CLAIMS);
    let search = take_json_string(&mut item, SEARCH_RECORD);
    let mut user: User = parse_item(item, "user")?;
    if let Some(text) = search {
        user.held_search_entries = Some(parse_json(&text, "user")?);
    }
    if let Some(text) = credentials {
        user.verified_credentials = parse_json(&text, "user")?;
    }
    if let Some(text) = claims {
        user.held_claims = Some(parse_json(&text, "user")?);
    }
    Ok(user)
}

/// The attribute's text if it is stored as a string (a list stays for serde_dynamo).
fn take_json_string(item: &mut Item, name: &str) -> Option<String> {
    match item.remove(name)? {
        AttributeValue::S(text) => Some(text),
        other => {
            item.insert(name.into(), other);
            None
        }
    }
}

/// The attributes of a user item that serde_dynamo writes: the user without its credentials,
/// which go in as one JSON string (serialising them as DynamoDB lists first, only to replace
/// them, was most of the serialisation of a user with ten wallets).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredAttributes<'a> {
    id: Uuid,
    project_environment_id: Uuid,
    #[serde(flatten)]
    profile: &'a Profile,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_verified_credential_id: Option<Uuid>,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    sessions_valid_from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_by: Option<&'a Actor>,
}

impl<'a> From<&'a User> for StoredAttributes<'a> {
    fn from(user: &'a User) -> Self {
        // Every field named, so a field added to `User` must be placed here too.
        let User {
            id,
            project_environment_id,
            profile,
            verified_credentials: _,
            last_verified_credential_id,
            created_at,
            updated_at,
            version: _,
            held_claims: _,
            held_search_entries: _,
            sessions_valid_from,
            changed_by,
        } = user;
        Self {
            id: *id,
            project_environment_id: *project_environment_id,
            profile,
            last_verified_credential_id: *last_verified_credential_id,
            created_at: *created_at,
            updated_at: *updated_at,
            sessions_valid_from: *sessions_valid_from,
            changed_by: changed_by.as_ref(),
        }
    }
}

fn user_item(user: &User, version: u64, claims: &Claims, search: &Claims) -> Item {
    let mut item: Item = serde_dynamo::to_item(StoredAttributes::from(user)).expect("a user always serializes");
    let env = user.project_environment_id;
    item.extend(key_attrs(&keys::profile(env, user.id)));
    item.insert("version".into(), number_attr(version));
    item.insert(CREDENTIALS.into(), json_attr(&user.verified_credentials));
    item.insert(CLAIMS.into(), json_attr(claims));
    item.insert(SEARCH_RECORD.into(), json_attr(search));
    item.insert("gsi1pk".into(), string_attr(keys::user_index_pk(env, keys::user_index_shard(user.id))));
    item.insert("gsi1sk".into(), string_attr(user.id.to_string()));
    item
}

impl Store {
    /// Creates `user` (its id must be new: [`StoreError::UserExists`]) with its claims.
    /// `fields_version` is the configuration its values were checked against.
    pub async fn create_user(&self, user: &User, fields: &FieldSettings, fields_version: u64) -> Result<User, StoreError> {
        self.save(None, user, fields, fields_version, &[]).await
    }

    /// [`Store::create_user`], doing `sides` in the same transaction.
    pub async fn create_user_with(
        &self,
        user: &User,
        fields: &FieldSettings,
        fields_version: u64,
        sides: &[Side<'_>],
    ) -> Result<User, StoreError> {
        self.save(None, user, fields, fields_version, sides).await
    }

    /// Replaces `before` (which must still be the stored version: [`StoreError::UserChanged`])
    /// with `after`, moving claims, and does `sides`.
    pub async fn update_user(
        &self,
        before: &User,
        after: &User,
        fields: &FieldSettings,
        fields_version: u64,
        sides: &[Side<'_>],
    ) -> Result<User, StoreError> {
        self.save(Some(before), after, fields, fields_version, sides).await
    }

    async fn save(
        &self,
        before: Option<&User>,
        after: &User,
        fields: &FieldSettings,
        fields_version: u64,
        sides: &[Side<'_>],
    ) -> Result<User, StoreError> {
        let env = after.project_environment_id;
        let version = before.map_or(1, |b| b.version + 1);
        // What the stored item says it holds; an item from before claims were recorded holds
        // what the configuration asks of it.
        let held = match before {
            Some(b) => b.recorded_claims(fields),
            None => Claims::default(),
        };
        let next = after.required_claims(fields);
        let indexed = before.map(User::recorded_search_entries).unwrap_or_default();
        let next_index = after.search_entries(fields);

        let mut tx = Tx::default();
        let item = user_item(after, version, &next, &next_index);
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
        self.move_search_entries(&mut tx, env, after.id, &indexed, &next_index);
        self.check_fields_version(&mut tx, env, fields_version);
        for side in sides {
            match *side {
                Side::PutVerification(verification) => self.put_verification(&mut tx, env, after.id, verification),
                Side::DropVerification => self.drop_verification(&mut tx, env, after.id),
                Side::ConsumeVerification(id) => self.consume_verification(&mut tx, env, after.id, id),
                Side::ConsumeSignIn(id) => self.consume_sign_in(&mut tx, env, id),
                Side::PutSession(session) => self.put_session(&mut tx, env, session),
                Side::CheckRoom(charge, now_ms) => self.check_room(&mut tx, env, charge, now_ms),
            }
        }
        self.run(tx).await?;
        Ok(User { version, held_claims: Some(next), held_search_entries: Some(next_index), ..after.clone() })
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

    /// Erases `user` (still at the version read: [`StoreError::UserChanged`]) in one
    /// transaction: the user item, every claim it holds (so each value is free again), its
    /// pending verification and its sessions (any beyond what one transaction holds are
    /// deleted right after). Before it, `deleter` is recorded on the item as its `changedBy`
    /// (one more write, unless they made the last change).
    pub async fn delete_user(&self, user: &User, fields: &FieldSettings, deleter: &Actor) -> Result<(), StoreError> {
        let env = user.project_environment_id;
        if user.changed_by.as_ref() != Some(deleter) {
            // A removal's stream record carries only the item as it was: the deleter goes on it
            // first, in step with its version (which it leaves), so user.deleted names them.
            let mut stamp = Tx::default();
            let condition = Condition::new("version = :version")
                .with(":version", number_attr(user.version))
                .with(":by", string_attr(deleter.stored()));
            stamp.update(&self.table, key_attrs(&keys::profile(env, user.id)), "SET changedBy = :by", condition, Guard::UserVersion);
            self.run(stamp).await?;
        }
        let held = user.recorded_claims(fields);
        let mut sessions = self.session_keys(env, user.id).await?;
        let mut tx = Tx::default();
        let condition = Condition::new("version = :version").with(":version", number_attr(user.version));
        tx.delete(&self.table, key_attrs(&keys::profile(env, user.id)), Some(condition), Guard::UserVersion);
        for (field, value) in held.iter() {
            self.release_claim(&mut tx, env, field, value, user.id);
        }
        self.move_search_entries(&mut tx, env, user.id, &user.recorded_search_entries(), &Claims::default());
        self.drop_verification(&mut tx, env, user.id);
        let room = super::transact::MAX_TX_ITEMS.saturating_sub(tx.len());
        let later = sessions.split_off(room.min(sessions.len()));
        for key in &sessions {
            tx.delete(&self.table, key_attrs(key), None, Guard::Fresh);
        }
        self.run(tx).await?;
        for key in &later {
            self.call::<Ignored>("DeleteItem", &DeleteItem { table_name: &self.table, key: key_attrs(key), return_values: None }).await?;
        }
        Ok(())
    }
}

/// One page of an environment's users from one index shard.
pub struct UserPage {
    pub users: Vec<User>,
    /// Ids of items in the page that did not read as users (skipped, logged).
    pub unreadable: Vec<Uuid>,
    /// The id the page ended at, when the shard may hold more.
    pub last: Option<Uuid>,
}

impl Store {
    /// Up to `limit` users of shard `shard`, in id order, after `after` (exclusive).
    pub async fn users_page(&self, env: Uuid, shard: u32, after: Option<Uuid>, limit: i32) -> Result<UserPage, StoreError> {
        // The position is built from the path's environment, never taken from a client.
        let start = after.map(|after| {
            let (pk, sk) = keys::profile(env, after);
            Item::from([
                ("gsi1pk".to_string(), string_attr(keys::user_index_pk(env, shard))),
                ("gsi1sk".to_string(), string_attr(after.to_string())),
                ("pk".to_string(), string_attr(pk)),
                ("sk".to_string(), string_attr(sk)),
            ])
        });
        let query = Search { limit: Some(limit), exclusive_start_key: start, ..Search::user_shard(&self.table, env, shard) };
        let out: Page = self.call("Query", &query).await?;
        let mut page = UserPage { users: Vec::new(), unreadable: Vec::new(), last: None };
        for item in out.items {
            let id = string_of(&item, "gsi1sk").and_then(|v| Uuid::parse_str(v).ok());
            match parse_user(item) {
                Ok(user) => page.users.push(user),
                Err(_) => page.unreadable.extend(id),
            }
        }
        page.last = out.last_evaluated_key.as_ref().and_then(|k| string_of(k, "gsi1sk")).and_then(|v| Uuid::parse_str(v).ok());
        Ok(page)
    }

    /// Who holds each of these unique values (absent ones are left out), in one round trip.
    pub async fn claim_holders(&self, env: Uuid, claims: &[(String, String)]) -> Result<Vec<Uuid>, StoreError> {
        let keys: Vec<_> = claims.iter().map(|(field, value)| keys::claim(env, field, value)).collect();
        let mut found = self.batch_get(&keys).await?;
        let mut holders = Vec::new();
        for key in &keys {
            if let Some(id) = found.take(key).as_ref().and_then(|i| string_of(i, "userId")).and_then(|v| Uuid::parse_str(v).ok()) {
                if !holders.contains(&id) {
                    holders.push(id);
                }
            }
        }
        Ok(holders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_and_claims_are_json_strings_and_the_old_lists_still_load() {
        let credential = Uuid::new_v4();
        let user: User = serde_json::from_value(json!({
            "id": Uuid::new_v4(), "projectEnvironmentId": Uuid::new_v4(), "email": "ada@example.com",
            "createdAt": "2026-11-30T00:00:00Z", "updatedAt": "2026-11-30T01:00:00Z",
            "lastVerifiedCredentialId": credential,
            "verifiedCredentials": [{"id": credential, "format": "oauth", "public_identifier": "ada",
                "oauth_provider": "github", "oauth_metadata": {"n": 1.5, "deep": {"list": [1, "two", null]}},
                "verified_at": "2026-11-30T00:00:00Z"}]
        }))
        .unwrap();
        let claims = Claims::from_pairs([("email".to_string(), "ada@example.com".to_string())]);
        let search = Claims::from_pairs([("accountId".to_string(), "ada".to_string())]);
        let item = user_item(&user, 3, &claims, &search);
        assert!(matches!(item.get(CREDENTIALS), Some(AttributeValue::S(_))));
        assert!(matches!(item.get(CLAIMS), Some(AttributeValue::S(_))));
        let read = parse_user(item.clone()).unwrap();
        assert_eq!(read, User { version: 3, held_claims: Some(claims.clone()), held_search_entries: Some(search), ..user.clone() });

        // An item written before: both as DynamoDB lists.
        let mut legacy = item;
        legacy.insert(CREDENTIALS.into(), serde_dynamo::to_attribute_value(&user.verified_credentials).unwrap());
        legacy.insert(CLAIMS.into(), serde_dynamo::to_attribute_value(&claims).unwrap());
        assert_eq!(parse_user(legacy.clone()).unwrap(), read);

        // A string that is not the JSON of a list is an unreadable item, not a panic.
        legacy.insert(CREDENTIALS.into(), AttributeValue::S("{".into()));
        assert!(matches!(parse_user(legacy), Err(StoreError::Unreadable("user"))));
    }
}

/// A user of the environment that could not be read, kept out of bulk work and reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub Uuid);

/// Reading an environment's users in bulk (a configuration change judges all of them).
impl Store {
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
}
