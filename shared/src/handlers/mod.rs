//! One module per Lambda function. Each `handle` is infallible: every outcome, including a
//! client mistake or a dependency failure, is a typed JSON response.

pub mod bulk_create_users;
pub mod create_user;
pub mod custom_fields;
pub mod delete_user;
pub mod export_worker;
pub mod external_auth;
pub mod exports;
pub mod get_user;
pub mod list_missing_fields;
pub mod list_users;
pub mod revoke_user_sessions;
pub mod sdk_email_verifications;
pub mod sdk_session;
pub mod sdk_settings;
pub mod sdk_users;
pub mod sqs;
pub mod update_user;
pub mod user_events;
pub mod user_field_settings;
pub mod verify_email_otp;
pub mod webhook_delivery;
pub mod webhooks;
pub mod well_known;

