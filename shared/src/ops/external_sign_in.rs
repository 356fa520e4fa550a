//! Sign-in with a trusted external issuer's token. The identity binds, in this order, to the
//! user holding it (its `external:<iss>` uniqueness claim), else to the user holding the token's
//! email if the issuer says it verified that email (a pre-signup record keeps its id, fields
//! and metadata, and gains the identity and a verified email), else to a new user (with the
//! email only when verified). The session starts in the same transaction; a concurrent sign-in
//! of the same identity or address loses on the claim and signs in as the winner.

use super::sign_in::{sign_tokens, SignedInUser, DEFAULT_SESSION_SECONDS};
use crate::context::prefetch::Reads;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::external_auth::{verify, ExternalIdentity, Refusal};
use crate::model::actor::Actor;
use crate::model::credentials::{Credential, CredentialFormat};
use crate::model::external_auth::ExternalAuth;
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::store::{Backoff, Session, Side, StoreError};
use crate::tokens::jwt_claims::TokenClaims;
use lambda_http::http::StatusCode;
use std::sync::Arc;
use uuid::Uuid;

const TRIES: usize = 4;

/// The HTTP answer to a refused token: 503 when the issuer is down, else 401 with the reason.
pub fn refused(refusal: Refusal) -> ApiError {
    let status = if refusal.unavailable { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::UNAUTHORIZED };
    ApiError::new(status, refusal.code, refusal.message)
}

/// `token` judged now by `config`, with this deployment's JWKS cache and loopback setting.
async fn verify_now(ctx: &AppContext, config: &ExternalAuth, token: &str) -> Result<ExternalIdentity, Refusal> {
    verify(&ctx.jwks, config, token, ctx.settings.external_auth_allow_loopback, Timestamp::now().unix()).await
}

/// Checks `token` against `env`'s trusted issuers, as a sign-in would (nothing is written).
pub async fn check(ctx: &AppContext, env: Uuid, token: &str) -> ApiResult<Result<ExternalIdentity, Refusal>> {
    let environment = ctx.environment(env).await?;
    let config = environment.external_auth.unwrap_or_default();
    let identity = verify_now(ctx, &config, token).await;
    Ok(match identity {
        Ok(_) if !config.enabled => Err(Refusal { code: "external_auth_disabled", message: "The token would do, but external authentication is not enabled.".into(), unavailable: false }),
        other => other,
    })
}

pub async fn sign_in(ctx: &AppContext, env: Uuid, issuer: String, token: &str) -> ApiResult<SignedInUser> {
    let environment = ctx.environment(env).await?;
    let Some(config) = environment.external_auth.clone().filter(|c| c.enabled) else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "external_auth_disabled", "This environment does not sign in with external tokens."));
    };
    let identity = verify_now(ctx, &config, token).await.map_err(refused)?;
    let length = environment.session_seconds.unwrap_or(DEFAULT_SESSION_SECONDS);
    let mut backoff = Backoff::new(TRIES);
    let (user, fields, session, new_user) = loop {
        let holder = holder(ctx, env, &identity).await?;
        match bind(ctx, env, &identity, holder, length).await {
            Ok(bound) => break bound,
            Err(Bind::Moved) if backoff.retry(&StoreError::Conflict).await => {}
            Err(Bind::Moved) => return Err(StoreError::Conflict.into()),
            Err(Bind::Store(e)) if backoff.retry(&e).await => {}
            Err(Bind::Store(e)) => return Err(e.into()),
            Err(Bind::Api(e)) => return Err(e),
        }
    };
    let claims = TokenClaims::new(issuer, environment.audience(env), &user, &fields, &session, Timestamp::now());
    let tokens = sign_tokens(ctx, env, &environment, claims, &user, &fields, &session).await?;
    tracing::info!(user_id = %user.id, new_user, "signed in with an external token");
    Ok(SignedInUser { user, fields, new_user, session, tokens })
}

/// Whom the identity binds to, and by what.
#[derive(Clone, Copy)]
enum Holder {
    Identity(Uuid),
    Email(Uuid),
    Nobody,
}

async fn holder(ctx: &AppContext, env: Uuid, identity: &ExternalIdentity) -> ApiResult<Holder> {
    if let Some(user) = ctx.store.claim_holder(env, &identity.claim_field(), &identity.user_id).await? {
        return Ok(Holder::Identity(user));
    }
    if let Some(email) = identity.verified_email() {
        if let Some(user) = ctx.store.claim_holder(env, "email", &email.normalized()).await? {
            return Ok(Holder::Email(user));
        }
    }
    Ok(Holder::Nobody)
}

enum Bind {
    /// The holder no longer holds what found it, or someone took the identity or address.
    Moved,
    Store(StoreError),
    Api(ApiError),
}

/// One try. A holder that no longer holds what found it is a conflict: found again, tried again.
async fn bind(ctx: &AppContext, env: Uuid, identity: &ExternalIdentity, holder: Holder, length: i64) -> Result<(User, Arc<FieldSettings>, Session, bool), Bind> {
    let id = match holder {
        Holder::Identity(id) | Holder::Email(id) => Some(id),
        Holder::Nobody => None,
    };
    let read = ctx.read(env, Reads { user: id, fresh_fields: true, ..Reads::default() }).await.map_err(Bind::Api)?;
    let now = Timestamp::now();
    let holds_identity = |u: &User| u.credentials(CredentialFormat::ExternalUser).any(|c| c.claim() == Some((identity.claim_field(), identity.user_id.clone())));
    let holds_email = |u: &User| u.profile.email.as_ref().map(Email::normalized) == identity.verified_email().map(Email::normalized);
    let before = match (holder, read.user) {
        (Holder::Identity(_), Some(user)) if holds_identity(&user) => Some(user),
        (Holder::Email(_), Some(user)) if holds_email(&user) => Some(user),
        (Holder::Nobody, _) => None,
        _ => return Err(Bind::Moved),
    };
    let new_user = before.is_none();
    let mut after = before.clone().unwrap_or_else(|| User::new(Uuid::new_v4(), env, now));
    after.updated_at = now;
    after.changed_by = Some(Actor::EndUser);
    if !holds_identity(&after) {
        let credential = Credential::external(&identity.issuer, &identity.user_id, now);
        after.last_verified_credential_id = Some(credential.id);
        after.verified_credentials.push(credential);
    }
    if let (Holder::Email(_) | Holder::Nobody, Some(email)) = (holder, identity.verified_email()) {
        // A record whose address was not proven may have been signed into through another
        // address: once the address's owner proves it, earlier sessions end (as email sign-in does).
        if before.as_ref().is_some_and(|b| b.profile.email_verified_at.is_none()) {
            after.sessions_valid_from = Some(now);
        }
        let email = before.as_ref().and_then(|b| b.profile.email.clone()).unwrap_or_else(|| email.clone());
        let external = after.last_verified_credential_id;
        after.set_verified_email(email, now);
        after.last_verified_credential_id = external;
    }
    let mut session = Session::new(after.id, now, length);
    session.external_user_id = Some(identity.user_id.clone());
    let sides = [Side::PutSession(&session)];
    let saved = match &before {
        Some(before) => ctx.store.update_user(before, &after, &read.fields, read.fields_version, &sides).await,
        None => ctx.store.create_user_with(&after, &read.fields, read.fields_version, &sides).await,
    };
    match saved {
        Ok(user) => Ok((user, read.fields, session, new_user)),
        // Someone took the identity or the address meanwhile: find them, and try again.
        Err(StoreError::Taken(field)) if field == "email" || field.starts_with("external:") => Err(Bind::Moved),
        Err(e) => Err(Bind::Store(e)),
    }
}
