//! Environments: making one (its field configuration, first API key) and the settings of its
//! sign-ins (session length, the tokens' audience). For the CLI and tests.

use super::api_keys::record;
use crate::auth::api_keys::{api_key_hash, new_api_key, NewApiKey};
use crate::auth::scopes::Scopes;
use crate::error::ApiError;
use crate::model::external_auth::{ExternalAuth, IssuerInput};
use crate::model::field_settings::FieldSettings;
use crate::model::values::Timestamp;
use crate::store::{Store, StoreError};
use uuid::Uuid;

/// Creates an environment with the default field configuration and one API key holding every
/// scope, atomically. Returns its id and the key, which is not stored.
pub async fn create_environment(store: &Store, name: &str) -> Result<(Uuid, NewApiKey), StoreError> {
    let env = Uuid::new_v4();
    let key = new_api_key();
    let (hash, now) = (api_key_hash(&key.key), Timestamp::now().to_rfc3339());
    store.create_environment(name, &FieldSettings::default_specs(), &record(env, &key, &hash, "default", Scopes::all(), &now)).await?;
    Ok((env, key))
}

/// Sets the `aud` of `env`'s tokens (those issued from then on): what a relying party, such as
/// API Gateway's JWT authorizer, is configured to expect.
pub async fn set_audience(store: &Store, env: Uuid, audience: &str) -> Result<(), ApiError> {
    if audience.is_empty() || audience.len() > 256 || audience.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid_audience", "An audience is 1 to 256 characters, none of them control characters."));
    }
    Ok(store.set_audience(env, audience).await?)
}

/// The external authentication `env` has stored: read fresh, never from a container's cache,
/// since a change is made from it (a stale copy would undo another container's change).
pub async fn stored_external_auth(store: &Store, env: Uuid) -> Result<ExternalAuth, ApiError> {
    Ok(store.environment(env).await?.ok_or(StoreError::NoEnvironment)?.external_auth.unwrap_or_default())
}

/// Trusts `input`'s issuer in `env` (replacing one of the same `iss`) and enables external
/// authentication.
pub async fn trust_issuer(store: &Store, env: Uuid, input: IssuerInput, allow_loopback: bool) -> Result<ExternalAuth, ApiError> {
    let current = stored_external_auth(store, env).await?;
    let config = current.with_issuer(input, allow_loopback)?;
    store.set_external_auth(env, &config).await?;
    Ok(config)
}

/// Stops trusting the issuer `iss` in `env`.
pub async fn distrust_issuer(store: &Store, env: Uuid, iss: &str) -> Result<ExternalAuth, ApiError> {
    let current = stored_external_auth(store, env).await?;
    let config = current.without_issuer(iss);
    store.set_external_auth(env, &config).await?;
    Ok(config)
}

/// Sets how long sign-ins to `env` last (tokens issued from then on).
pub async fn set_session_length(store: &Store, env: Uuid, seconds: i64) -> Result<(), ApiError> {
    use crate::ops::sign_in::{MAX_SESSION_SECONDS, MIN_SESSION_SECONDS};
    if !(MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&seconds) {
        return Err(crate::error::ApiError::bad_request(
            "invalid_session_length",
            format!("A session lasts {MIN_SESSION_SECONDS} to {MAX_SESSION_SECONDS} seconds."),
        ));
    }
    Ok(store.set_session_length(env, seconds).await?)
}
