//! userfields: capture user profile information in your own AWS account. This crate holds the
//! domain (`model`), DynamoDB access (`store`), the HTTP edge (`http`, `error`, `handlers`) and
//! what ties them together per container (`context`, `prefetch`); each Lambda binary is a thin
//! `main`. docs/architecture.md walks a request through these layers.

pub mod admin;
pub mod auth;
pub mod aws;
pub mod cache;
pub mod codes;
pub mod context;
pub mod email;
pub mod error;
pub mod field_changes;
pub mod handlers;
pub mod http;
pub mod jitter;
pub mod logging;
pub mod model;
pub mod prefetch;
pub mod runtime;
pub mod secrets;
pub mod settings;
pub mod sign_in;
pub mod store;
pub mod tokens;
pub mod transfer;
pub mod user_creation;
pub mod email_change;
pub mod user_update;
pub mod user_rules;
