//! End-user sign-in by email code. Starting sends a code (counted per address and per source
//! IP) and answers the same whether or not anyone holds the address. Verifying binds the
//! address to the user that holds it (a pre-signup record gains a verified email credential,
//! keeping its id, fields and metadata) or creates one, and starts a session, in one
//! transaction with using up the code. The email's uniqueness claim makes that exactly one user
//! per address even when two verifications finish at once: the loser finds the winner and signs
//! in as it.

use crate::model::actor::Actor;
use crate::context::AppContext;
use crate::codes::attempt::wrong_code_room;
use crate::codes::{self, limits, CodeAt, CodeAttempt};
use crate::error::{ApiError, ApiResult};
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::context::prefetch::Reads;
use crate::store::{Backoff, EnvironmentRecord, Session, Side, StoreError, Verification};
use crate::tokens::jwt_claims::{FullClaims, SignedTokens, TokenClaims};
use crate::model::user_rules::check_email_rules;
use std::sync::Arc;
use uuid::Uuid;

/// How long a sign-in lasts when the environment does not say (`userfields set-session-length`).
pub const DEFAULT_SESSION_SECONDS: i64 = 7 * 24 * 3600;
pub const MIN_SESSION_SECONDS: i64 = 300;
pub const MAX_SESSION_SECONDS: i64 = 90 * 24 * 3600;
/// Tries at binding: the address's holder can change (or appear) between start and verify.
const TRIES: usize = 4;

/// Sends a sign-in code to `email`.
pub async fn start(ctx: &AppContext, env: Uuid, email: &Email, source_ip: Option<&str>) -> ApiResult<Verification> {
    let now = Timestamp::now();
    let norm = email.normalized();
    let (environment, holder) = tokio::join!(ctx.environment(env), ctx.store.claim_holder(env, "email", &norm));
    environment?;
    // The operator's rules on email (options, pattern) hold for signing in too, before any mail.
    let fields = ctx.cached_fields(env).await?;
    check_email_rules(&fields, email)?;

    let (verification, code) = codes::issue(ctx, email, now, holder?)?;
    let charges = [limits::address(email), limits::source_ip(source_ip)];
    ctx.store.start_sign_in(env, &verification, &charges).await.map_err(|e| limits::refused(e, &charges))?;
    ctx.mailer.send_code(email.as_str(), &code).await?;
    tracing::info!(verification = %verification.verification_uuid, "sign-in code sent");
    Ok(verification)
}

pub struct SignedInUser {
    pub user: User,
    pub fields: Arc<FieldSettings>,
    pub new_user: bool,
    pub session: Session,
    pub tokens: SignedTokens,
}

/// Signs both tokens of `user` in `session` under `fields` (two RS256 signatures, one key read).
pub(crate) async fn sign_tokens(
    ctx: &AppContext,
    env: Uuid,
    environment: &EnvironmentRecord,
    claims: TokenClaims,
    user: &User,
    fields: &FieldSettings,
    session: &Session,
) -> ApiResult<SignedTokens> {
    let minified_jwt = ctx.keyring.sign(&ctx.store, env, environment, &claims).await?;
    let jwt = ctx.keyring.sign(&ctx.store, env, environment, &FullClaims::new(&claims, user, fields)).await?;
    Ok(SignedTokens { jwt, minified_jwt, scope: claims.scope, expires_at: session.expires_at })
}

/// Checks the code of sign-in `attempt` and signs the address's user in.
pub async fn verify(ctx: &AppContext, env: Uuid, issuer: String, attempt: &CodeAttempt) -> ApiResult<SignedInUser> {
    let spent = attempt.redeem(ctx, env, CodeAt::SignIn, Timestamp::now()).await?;
    let environment = ctx.environment(env).await?;
    let length = environment.session_seconds.unwrap_or(DEFAULT_SESSION_SECONDS);

    let mut holder = spent.holder;
    let mut backoff = Backoff::new(TRIES);
    let (user, fields, session, new_user) = loop {
        match bind(ctx, env, &spent, holder, length).await {
            Ok(bound) => break bound,
            // Someone else holds the address now (a concurrent sign-in created them, or the
            // holder changed email): find who, and try again.
            Err(Bind::HolderMoved) if backoff.retry(&StoreError::Conflict).await => {
                holder = ctx.store.claim_holder(env, "email", &spent.email.normalized()).await?;
            }
            Err(Bind::Failed(e)) if backoff.retry(&e).await => {}
            Err(Bind::Failed(e)) => return Err(e),
            Err(Bind::HolderMoved) => return Err(StoreError::Conflict.into()),
        }
    };
    let claims = TokenClaims::new(issuer, environment.audience(env), &user, &fields, &session, Timestamp::now());
    let tokens = sign_tokens(ctx, env, &environment, claims, &user, &fields, &session).await?;
    tracing::info!(user_id = %user.id, new_user, "signed in");
    Ok(SignedInUser { user, fields, new_user, session, tokens })
}

enum Bind {
    HolderMoved,
    Failed(ApiError),
}

impl From<StoreError> for Bind {
    fn from(e: StoreError) -> Self {
        Bind::Failed(e.into())
    }
}

impl From<ApiError> for Bind {
    fn from(e: ApiError) -> Self {
        Bind::Failed(e)
    }
}

/// One try: the holder (if any) gains the verified email, or a new user is made with it; the
/// session starts and the code is used up in the same transaction.
async fn bind(
    ctx: &AppContext,
    env: Uuid,
    spent: &Verification,
    holder: Option<Uuid>,
    session_seconds: i64,
) -> Result<(User, Arc<FieldSettings>, Session, bool), Bind> {
    // The configuration is read fresh, in the same round trip: a field made required is asked
    // for at the very next sign-in, whatever this container cached.
    let read = ctx.read(env, Reads { user: holder, fresh_fields: true, ..Reads::default() }).await?;
    let now = Timestamp::now();
    let same_address = |u: &User| u.profile.email.as_ref().map(Email::normalized) == Some(spent.email.normalized());
    let (before, new_user) = match (holder, read.user) {
        (Some(_), Some(user)) if same_address(&user) => (Some(user), false),
        (Some(_), _) => return Err(Bind::HolderMoved),
        (None, _) => (None, true),
    };
    let mut after = before.clone().unwrap_or_else(|| User::new(Uuid::new_v4(), env, now));
    after.updated_at = now;
    after.changed_by = Some(Actor::EndUser);
    // A record whose address was not proven (the operator wrote it unverified) may have been
    // signed into through another address: once its address's owner proves it, the sessions
    // started before this one end, in the same write (the session read checks the user's mark).
    if before.as_ref().is_some_and(|b| b.profile.email_verified_at.is_none()) {
        after.sessions_valid_from = Some(now);
    }
    // A bound record keeps its address as it was written; a new user gets it as typed.
    let email = before.as_ref().and_then(|b| b.profile.email.clone()).unwrap_or_else(|| spent.email.clone());
    after.set_verified_email(email, now);
    let session = Session::new(after.id, now, session_seconds);
    let room = wrong_code_room(spent);
    let sides = [Side::ConsumeSignIn(spent.verification_uuid), Side::PutSession(&session), Side::CheckRoom(&room, now.unix_millis())];
    let saved = match &before {
        Some(before) => ctx.store.update_user(before, &after, &read.fields, read.fields_version, &sides).await,
        None => ctx.store.create_user_with(&after, &read.fields, read.fields_version, &sides).await,
    };
    match saved {
        Ok(user) => Ok((user, read.fields, session, new_user)),
        Err(StoreError::Taken(field)) if field == "email" => Err(Bind::HolderMoved),
        Err(e) => Err(e.into()),
    }
}

/// Fresh tokens for the session of `signed_in`, for `user` as just saved (or read): judged by
/// `fields`, so a field filled or newly required shows in the scope at once. The session keeps
/// its expiry and the audience it was signed in under (an older token's, none).
pub async fn fresh_tokens(
    ctx: &AppContext,
    env: Uuid,
    signed_in: &crate::context::prefetch::SignedIn,
    user: &User,
    fields: &FieldSettings,
) -> ApiResult<SignedTokens> {
    let audience = signed_in.claims.aud.clone().unwrap_or_else(|| env.to_string());
    let claims = TokenClaims::new(signed_in.issuer.clone(), audience, user, fields, &signed_in.session, Timestamp::now());
    let environment = ctx.environment(env).await?;
    sign_tokens(ctx, env, &environment, claims, user, fields, &signed_in.session).await
}
