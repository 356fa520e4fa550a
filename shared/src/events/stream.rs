//! The DynamoDB Stream event Lambda hands the stream function (`NEW_AND_OLD_IMAGES`).

use crate::store::wire::{deserialize_item, Item};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Deserialize)]
pub struct StreamRecord {
    /// Unique per record, and the same when Lambda retries the batch.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// INSERT, MODIFY or REMOVE.
    #[serde(rename = "eventName")]
    pub event_name: String,
    pub dynamodb: Change,
    /// Set (`dynamodb.amazonaws.com`) when TTL removed the item.
    #[serde(rename = "userIdentity", default)]
    pub user_identity: Option<UserIdentity>,
}

#[derive(Deserialize)]
pub struct Change {
    #[serde(rename = "Keys", deserialize_with = "deserialize_item", default)]
    pub keys: Option<Item>,
    #[serde(rename = "NewImage", deserialize_with = "deserialize_item", default)]
    pub new_image: Option<Item>,
    #[serde(rename = "OldImage", deserialize_with = "deserialize_item", default)]
    pub old_image: Option<Item>,
    /// Seconds since the epoch (Lambda sends a number; some tools a string).
    #[serde(rename = "ApproximateCreationDateTime", default)]
    pub created: Option<serde_json::Value>,
    #[serde(rename = "SequenceNumber", default)]
    pub sequence_number: String,
}

#[derive(Deserialize)]
pub struct UserIdentity {
    #[serde(rename = "principalId", default)]
    pub principal_id: String,
}

impl StreamRecord {
    pub fn removed_by_ttl(&self) -> bool {
        self.user_identity.as_ref().is_some_and(|u| u.principal_id == "dynamodb.amazonaws.com")
    }

    /// The commit time in Unix milliseconds, when the record says.
    pub fn created_millis(&self) -> Option<i64> {
        let value = self.dynamodb.created.as_ref()?;
        let seconds = value.as_f64().or_else(|| value.as_str()?.parse().ok())?;
        (seconds.is_finite() && seconds > 0.0 && seconds < 1e11).then(|| (seconds * 1000.0) as i64)
    }
}
