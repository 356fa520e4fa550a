//! The integration tests: one binary (linking the AWS SDK once), one module per feature. Each
//! test talks to the moto server the test command started (`AWS_ENDPOINT_URL`) through
//! `userfields_tests`, the harness in `tests/harness`.

mod api_keys;
mod bad_input;
mod claims;
mod concurrency;
mod create_user;
mod custom_fields;
mod dynamic_conformance;
mod email_verification;
mod exports;
mod external_auth;
mod faults;
mod field_access;
mod field_settings;
mod fuzz_parsing;
mod isolation;
mod logs;
mod openapi;
mod sdk_protocol;
mod search;
mod secrets;
mod send_limits;
mod sign_in;
mod signing_key_alias;
mod table_definition;
mod transfer;
mod update_user;
mod user_management;
mod webhooks;
