//! Signing in with a trusted external issuer's token (Cognito, Auth0, any OIDC provider), as a
//! careful relying party checks it: the issuer's keys from its JWKS (`jwks`), then signature,
//! algorithm, issuer, audience and times (`verify`). Binding the identity to a user is
//! `ops::external_sign_in`; the issuers' configuration is `model::external_auth`.

pub mod jwks;
pub mod verify;

pub use jwks::JwksCache;
pub use verify::{verify, ExternalIdentity, Refusal};
