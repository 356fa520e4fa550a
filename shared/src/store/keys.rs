//! The single-table key design (see docs/data-model.md). Every item has `pk` and `sk`; partitions
//! are per user, per unique value and per API key, so no environment-wide partition takes writes.

use uuid::Uuid;

pub const SK_ENVIRONMENT: &str = "ENV";
pub const SK_FIELDS: &str = "FIELDS";
pub const SK_PROFILE: &str = "PROFILE";
pub const SK_EMAIL_VERIFICATION: &str = "EMAILVERIFY";
pub const SK_CLAIM: &str = "CLAIM";
pub const SK_API_KEY: &str = "APIKEY";
pub const SK_API_KEY_ID: &str = "APIKEYID";
pub const SK_SIGNING_KEY: &str = "SIGNINGKEY";
pub const SK_SESSION: &str = "SESSION";
pub const SK_SIGN_IN: &str = "SIGNIN";
pub const SK_RATE: &str = "RATE";
pub const SK_USER: &str = "USER";
pub const SK_EXPORT: &str = "EXPORT";

/// Users of an environment are spread over this many GSI partitions (by the first hex digit of
/// their id), so listing them never funnels an environment's writes into one partition.
pub const USER_INDEX: &str = "usersByEnvironment";
pub const USER_INDEX_SHARDS: u32 = 16;

/// (pk, sk) of one item.
pub type Key = (String, String);

pub fn environment(env: Uuid) -> Key {
    (format!("ENV#{env}"), SK_ENVIRONMENT.to_string())
}

pub fn fields(env: Uuid) -> Key {
    (format!("ENV#{env}"), SK_FIELDS.to_string())
}

pub fn user_partition(env: Uuid, user: Uuid) -> String {
    format!("ENV#{env}#USER#{user}")
}

pub fn profile(env: Uuid, user: Uuid) -> Key {
    (user_partition(env, user), SK_PROFILE.to_string())
}

pub fn email_verification(env: Uuid, user: Uuid) -> Key {
    (user_partition(env, user), SK_EMAIL_VERIFICATION.to_string())
}

/// An end user's sign-in session, in the user's partition (deleting a user leaves none usable:
/// the `me` routes read the user with the session).
pub fn session(env: Uuid, user: Uuid, sid: Uuid) -> Key {
    (user_partition(env, user), format!("{SK_SESSION}#{sid}"))
}

/// A pending sign-in by email code, addressed by its verification id (no user is known yet).
pub fn sign_in(env: Uuid, verification: Uuid) -> Key {
    (format!("ENV#{env}#SIGNIN#{verification}"), SK_SIGN_IN.to_string())
}

/// A JWT signing key of an environment, in the environment's partition (written only by the
/// CLI, which IAM already keeps the functions from writing).
pub fn signing_key(env: Uuid, kid: &str) -> Key {
    (format!("ENV#{env}"), format!("{SK_SIGNING_KEY}#{kid}"))
}

/// The counter of sends to one subject (`email#<address>`, `ip#<address>`) in one window.
pub fn rate(env: Uuid, subject: &str, window: i64) -> Key {
    (format!("ENV#{env}#RATE#{subject}"), format!("{SK_RATE}#{window}"))
}

/// The claim on a normalised unique value of one field; its `userId` says who holds it.
pub fn claim(env: Uuid, field: &str, value: &str) -> Key {
    (format!("ENV#{env}#UNIQUE#{field}#{value}"), SK_CLAIM.to_string())
}

/// The partition of the users whose `column` has one search form (`model::search`).
pub fn search_partition(env: Uuid, column: &str, value: &str) -> String {
    format!("ENV#{env}#FIND#{column}#{value}")
}

/// One user's entry in a search partition.
pub fn search_entry(env: Uuid, column: &str, value: &str, user: Uuid) -> Key {
    (search_partition(env, column, value), format!("{SK_USER}#{user}"))
}

/// An export an operator asked for, in its environment's export partition.
pub fn export(env: Uuid, id: Uuid) -> Key {
    (format!("ENV#{env}#EXPORTS"), format!("{SK_EXPORT}#{id}"))
}

/// The API key record addressed by the key's hash: what authorising a request reads.
pub fn api_key(hash: &str) -> Key {
    (format!("APIKEY#{hash}"), SK_API_KEY.to_string())
}

/// The same key addressed by its public id: to revoke a key without holding it.
pub fn api_key_by_id(id: &str) -> Key {
    (format!("APIKEYID#{id}"), SK_API_KEY_ID.to_string())
}

/// The key's entry in its environment's partition: to list an environment's keys.
pub fn environment_api_key(env: Uuid, id: &str) -> Key {
    (format!("ENV#{env}"), format!("{SK_API_KEY}#{id}"))
}

pub fn user_index_pk(env: Uuid, shard: u32) -> String {
    format!("ENV#{env}#USERS#{shard:x}")
}

pub fn user_index_shard(user: Uuid) -> u32 {
    u32::from(user.as_bytes()[0] >> 4)
}

pub const SK_WEBHOOK: &str = "WEBHOOK";
pub const SK_MESSAGE: &str = "MSG";

/// A webhook of an environment; the environment's webhooks share one partition (few, read whole).
pub fn webhook(env: Uuid, id: Uuid) -> Key {
    (format!("ENV#{env}#WEBHOOKS"), format!("{SK_WEBHOOK}#{id}"))
}

/// One message (an event for one webhook, with its delivery attempts); a webhook's messages
/// share a partition, in id order (time-ordered ids: newest last).
pub fn webhook_message(env: Uuid, webhook: Uuid, message: Uuid) -> Key {
    (format!("ENV#{env}#WEBHOOK#{webhook}#MESSAGES"), format!("{SK_MESSAGE}#{message}"))
}
