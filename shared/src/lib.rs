//! userfields: capture user profile information in your own AWS account. This crate holds the
//! domain (`model`), DynamoDB access (`store`), the core operations (`ops`, with one-time codes
//! in `codes`), the HTTP edge (`http`, `error`, `handlers`) and what ties them together per
//! container (`context`: the caches, authorisation and the first read); each Lambda binary is a
//! thin `main`. docs/architecture.md walks a request through these layers.

pub mod auth;
pub mod aws;
pub mod cache;
pub mod codes;
pub mod context;
pub mod events;
pub mod external_auth;
pub mod email;
pub mod error;
pub mod handlers;
pub mod http;
pub mod jitter;
pub mod logging;
pub mod model;
pub mod ops;
pub mod runtime;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod tokens;
