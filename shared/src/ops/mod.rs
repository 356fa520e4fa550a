//! The core operations, one file each, named by what they do. Each takes typed inputs (and, to
//! read again on a retry, a reload closure), never an HTTP request: handlers parse, call one
//! operation and answer; the CLI and tests call the same operations.

pub mod api_keys;
pub mod check_availability;
pub mod custom_fields;
pub mod create_user;
pub mod delete_user;
pub mod environments;
pub mod deliver;
pub mod events;
pub mod external_sign_in;
pub mod exports;
pub mod field_impact;
pub mod index_search;
pub mod save_field_settings;
pub mod sign_in;
pub mod signing_keys;
pub mod transfer;
pub mod update_user;
pub mod upsert_user;
pub mod webhooks;
pub mod verify_email;
