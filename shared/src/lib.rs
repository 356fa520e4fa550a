//! userfields: capture user profile information in your own AWS account. This crate holds the
//! model, validation, DynamoDB store and the handlers; each Lambda binary is a thin `main`.

pub mod cache;
pub mod context;
pub mod email;
pub mod error;
pub mod handlers;
pub mod http;
pub mod logging;
pub mod model;
pub mod otp;
pub mod runtime;
pub mod settings;
pub mod store;
