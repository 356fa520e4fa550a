//! End-user sessions (`SESSION#<sid>` in the user's partition). A token is honoured only while its
//! session item exists and has not expired: logging out deletes it, TTL removes it later.

use super::attrs::{key_attrs, key_of, Item};
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
pub struct Session {
    pub sid: Uuid,
    pub user_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// DynamoDB TTL (Unix seconds); removal is lazy, so `expires_at` is checked on every read.
    pub ttl: i64,
    /// The external issuer's user id, when the session began with its token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
}

impl Session {
    pub fn new(user_id: Uuid, now: Timestamp, length_seconds: i64) -> Self {
        let expires_at = now.plus_seconds(length_seconds);
        Self { sid: Uuid::new_v4(), user_id, created_at: now, expires_at, ttl: expires_at.unix(), external_user_id: None }
    }

    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

pub fn parse_session(item: Item) -> Result<Session, StoreError> {
    parse_item(item, "session")
}

impl Store {
    /// Adds the new session to `tx` (its id is random: it cannot exist).
    pub(super) fn put_session(&self, tx: &mut Tx, env: Uuid, session: &Session) {
        let mut item: Item = serde_dynamo::to_item(session).expect("a session always serializes");
        item.extend(key_attrs(&keys::session(env, session.user_id, session.sid)));
        tx.put(&self.table, item, Some(Condition::new("attribute_not_exists(pk)")), Guard::Fresh);
    }

    /// Stores `session` on its own, whether or not it is there (a sign-in writes a new one in
    /// its own transaction): how the benchmark puts back the session each sign-out ends.
    pub async fn put_session_alone(&self, env: Uuid, session: &Session) -> Result<(), StoreError> {
        let mut item: Item = serde_dynamo::to_item(session).expect("a session always serializes");
        item.extend(key_attrs(&keys::session(env, session.user_id, session.sid)));
        let mut tx = Tx::default();
        tx.put(&self.table, item, None, Guard::Fresh);
        self.run(tx).await
    }

    /// The `Query` of `user`'s session items.
    fn sessions_query(&self, env: Uuid, user: Uuid) -> Search<'_> {
        Search::sort_key_prefix(&self.table, keys::user_partition(env, user), format!("{}#", keys::SK_SESSION))
    }

    /// The keys of every session of `user` (to erase them with the user).
    pub(super) async fn session_keys(&self, env: Uuid, user: Uuid) -> Result<Vec<keys::Key>, StoreError> {
        let query = Search { projection_expression: Some("pk, sk"), ..self.sessions_query(env, user) };
        Ok(self.search_all("Query", query).await?.iter().filter_map(key_of).collect())
    }

    /// The sessions of `user` that are live at `now`, newest first (expired ones wait for TTL).
    pub async fn live_sessions(&self, env: Uuid, user: Uuid, now: Timestamp) -> Result<Vec<Session>, StoreError> {
        let mut live = Vec::new();
        for item in self.search_all("Query", self.sessions_query(env, user)).await? {
            let session = parse_session(item)?;
            if session.is_live(now) {
                live.push(session);
            }
        }
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(live)
    }

    /// Ends every session of `user` (the operator's revoke, or a record newly bound to the
    /// owner of its address); how many there were.
    pub async fn end_sessions(&self, env: Uuid, user: Uuid) -> Result<usize, StoreError> {
        let sessions = self.session_keys(env, user).await?;
        for chunk in sessions.chunks(super::transact::MAX_TX_ITEMS) {
            let mut tx = Tx::default();
            for key in chunk {
                tx.delete(&self.table, key_attrs(key), None, Guard::Fresh);
            }
            self.run(tx).await?;
        }
        Ok(sessions.len())
    }

    /// Ends a session; [`StoreError::NoSession`] if it is already gone.
    pub async fn end_session(&self, env: Uuid, user: Uuid, sid: Uuid) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        let condition = Condition::new("attribute_exists(pk)");
        tx.delete(&self.table, key_attrs(&keys::session(env, user, sid)), Some(condition), Guard::Session);
        self.run(tx).await
    }
}
