//! The domain: validated values, the profile field registry, users, their claims and the field
//! configuration. No storage and no HTTP here.

pub mod actor;
pub mod chains;
pub mod claims;
mod country;
pub mod credentials;
pub mod custom_field;
pub mod external_auth;
pub mod field_access;
pub mod field_impact;
pub mod field_settings;
pub mod field_spec;
pub mod metadata;
pub mod operator_regex;
pub mod patch;
#[macro_use]
mod profile_fields_macro;
pub mod profile_fields;
pub mod rejection;
pub mod search;
pub mod user;
pub mod user_rules;
pub mod values;
pub mod webhook;
