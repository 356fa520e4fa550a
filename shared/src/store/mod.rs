//! DynamoDB access, in storage terms only: items, keys, conditions and [`StoreError`]; the HTTP
//! edge maps those errors once (`From<StoreError> for ApiError`). Every multi-item change is one
//! TransactWriteItems with a condition per item, never a check followed by a write.

mod api_keys;
mod attrs;
mod claims;
mod dynamodb;
mod environments;
mod exports;
mod errors;
mod field_settings;
pub mod keys;
mod rate_limits;
mod reads;
mod search_index;
pub mod reconcile;
mod retry;
mod sessions;
mod signing_keys;
pub mod table;
mod transact;
mod users;
mod verifications;
mod webhooks;
pub(crate) mod wire;

pub use api_keys::{key_grant, ApiKeyInfo, KeyGrant, KeyRecord};
pub use attrs::Item;
pub use attrs::string_of as attrs_string;
pub use reads::Found;
pub use errors::StoreError;
pub use field_settings::StoredFields;
pub use retry::{Backoff, Retryable};
pub use claims::RecordedClaim;
pub use exports::{ExportRecord, ExportStatus, EXPORT_DAYS};
pub use search_index::MAX_HOLDERS;
pub use webhooks::{Attempt, MessageRecord, MessageStatus, WebhookRecord, MAX_WEBHOOKS, MESSAGE_DAYS};
pub use users::Unreadable;
pub use users::{parse_user, Side, UserPage};
pub use verifications::{parse_verification, Verification};
pub use rate_limits::{Charge, RateLimit};
pub use sessions::{parse_session, Session};
pub use signing_keys::{parse_environment, parse_signing_key, EnvironmentRecord, KeyChange, SigningKeyRecord};

use crate::aws::json_service::JsonService;

/// The table and the service that reaches it. Built once per container.
#[derive(Clone)]
pub struct Store {
    db: JsonService,
    table: String,
}

impl Store {
    pub fn new(db: JsonService, table: impl Into<String>) -> Self {
        Self { db, table: table.into() }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }
}
