//! End-user tokens: RS256 JWTs signed with a key pair per environment. The private key lives in
//! the table only as KMS ciphertext and in a warm container only in memory; the public keys are
//! served as a JWKS so any JWT library (or API Gateway's JWT authorizer) can verify tokens.

pub mod jwt_claims;
pub mod keygen;
pub mod keyring;

pub use jwt_claims::TokenClaims;
pub use keyring::Keyring;
