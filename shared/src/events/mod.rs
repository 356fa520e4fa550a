//! Events: every committed change of a user or a session, read from the table's DynamoDB Stream
//! (`stream`), turned into events (`derive`), published to the stack's EventBridge bus and fanned
//! out to the environment's webhooks (`ops::events`). An event exists exactly when a write
//! committed: a cancelled transaction writes no stream record.

pub mod derive;
pub mod send;
pub mod signature;
pub mod stream;

use crate::model::actor::Actor;
use crate::model::values::Timestamp;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// The names webhooks subscribe to.
pub const EVENT_NAMES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deleted",
    "user.session.created",
    "user.session.revoked",
    "user.profile.completed",
];

/// What a webhook's test sends (`POST .../webhooks/{webhookId}/test`): never on the bus, never
/// subscribed to, delivered to that one webhook only.
pub const TEST_EVENT: &str = "webhook.test";

/// One event, as the bus and the webhooks get it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Stable: derived from the stream record, so a retried batch yields the same id.
    pub event_id: Uuid,
    pub event_name: &'static str,
    pub environment_id: Uuid,
    /// The user the event is about.
    pub subject_user_id: Uuid,
    /// Who changed it, when the item says (`apiKey:<id>`, `user`, `cli`).
    #[serde(skip)]
    pub actor: Option<Actor>,
    /// For `user.updated`: the names of the fields that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_fields: Option<Vec<String>>,
    /// The user's identity at a trusted external issuer, when it has one (for a session, the
    /// one it began with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
    /// When the write committed (the stream record's time).
    pub timestamp: Timestamp,
    /// The user as the API returns it, or the session.
    pub data: Value,
}

impl Event {
    /// The end user who triggered it (absent for an API key or the CLI).
    pub fn triggering_user(&self) -> Option<Uuid> {
        (self.actor == Some(Actor::EndUser)).then_some(self.subject_user_id)
    }

    /// The API key that triggered it, by public id.
    pub fn api_key_id(&self) -> Option<&str> {
        match &self.actor {
            Some(Actor::ApiKey(id)) => Some(id),
            _ => None,
        }
    }
}
