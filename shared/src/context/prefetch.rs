//! A request's first round trip: the caller's credential (an API key unless cached, or a session
//! for an end user's token), the field configuration (unless cached, or when it must be fresh)
//! and the items the handler works on, in one BatchGetItem.

use crate::auth::api_keys::{api_key_hash, public_id};
use crate::model::actor::Actor;
use crate::http::bearer::{api_key, bearer};
use crate::auth::scopes::Scope;
use crate::context::{AppContext, CompiledFields};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, public_base, user_id};
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::store::keys::{self, Key};
use crate::store::{key_grant, parse_session, parse_signing_key, KeyGrant, Session, StoredFields, Verification};
use crate::tokens::jwt_claims::issuer;
use crate::tokens::keyring::MAX_TOKEN_CHARS;
use crate::tokens::TokenClaims;
use crate::model::values::Timestamp;
use lambda_http::Request;
use std::sync::Arc;
use uuid::Uuid;

/// What a handler reads along with authorising the request.
#[derive(Default, Clone, Copy)]
pub struct Reads {
    /// The user to read (for a session, always the token's user).
    pub user: Option<Uuid>,
    pub verification: bool,
    /// Read the configuration item even if cached (reads that report `missingFields`, and
    /// retries after the configuration moved). Unchanged versions are not recompiled.
    pub fresh_fields: bool,
}

/// Who may make the request: an operator's API key with a scope, or an end user's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ApiKey(Scope),
    Session,
}

/// The signed-in end user of a request made with a session token.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub claims: TokenClaims,
    pub session: Session,
    pub issuer: String,
}

pub struct Prefetched {
    pub user: Option<User>,
    pub verification: Option<Verification>,
    pub fields: Arc<FieldSettings>,
    pub fields_version: u64,
    /// Set for [`Access::Session`].
    pub signed_in: Option<SignedIn>,
    /// Who the request is: what a save records as `changedBy`.
    pub actor: Actor,
}

/// The keys of one prefetch, and what was found for them.
struct Batch {
    wanted: Vec<Key>,
    fields: PlannedFields,
    user: Option<Key>,
    verification: Option<Key>,
}

/// Where a prefetch's configuration comes from. A cached one is held by the plan itself: the
/// cache entry may expire or be evicted while the batch is in flight.
enum PlannedFields {
    Cached(CompiledFields),
    Read(Key),
}

/// Reads a request's items again, for an operation's retry after a concurrent change: a small
/// trait so an operation never holds the HTTP request itself.
pub trait Reload: Sync {
    fn reload(&self) -> impl std::future::Future<Output = ApiResult<Prefetched>> + Send;
}

/// The usual [`Reload`]: the handler's authorisation and first read again, with the
/// configuration read fresh.
pub struct ReadAgain<'a> {
    pub ctx: &'a AppContext,
    pub req: &'a Request,
    pub env: Uuid,
    pub access: Access,
    pub reads: Reads,
}

impl Reload for ReadAgain<'_> {
    async fn reload(&self) -> ApiResult<Prefetched> {
        self.ctx.prefetch(self.req, self.env, self.access, Reads { fresh_fields: true, ..self.reads }).await
    }
}

/// A [`Reload`] with no credential, for work already authorised (an entry of a bulk request):
/// the same reads again, the configuration fresh, for the same actor.
pub struct ReadFresh<'a> {
    pub ctx: &'a AppContext,
    pub env: Uuid,
    pub reads: Reads,
    pub actor: &'a Actor,
}

impl ReadFresh<'_> {
    /// The first read.
    pub async fn read(&self, reads: Reads) -> ApiResult<Prefetched> {
        let mut read = self.ctx.read(self.env, reads).await?;
        read.actor = self.actor.clone();
        Ok(read)
    }
}

impl Reload for ReadFresh<'_> {
    async fn reload(&self) -> ApiResult<Prefetched> {
        self.read(Reads { fresh_fields: true, ..self.reads }).await
    }
}

impl AppContext {
    /// Authorises the request for `env` with an API key holding `need`, and reads what `reads`
    /// asks, in one round trip. 401 without a known key (an unknown one is remembered briefly,
    /// so repeating it costs no read), 403 for another environment's key or one without the
    /// scope.
    pub async fn authorize(&self, req: &Request, env: Uuid, need: Scope, reads: Reads) -> ApiResult<Prefetched> {
        self.prefetch(req, env, Access::ApiKey(need), reads).await
    }

    /// The environment the request's API key belongs to, for a route whose path names none
    /// (Dynamic's `/custom/fields/{customFieldId}`): the key decides, and [`Self::authorize`]
    /// then finds its grant cached. 401 without a known key.
    pub async fn key_environment(&self, req: &Request) -> ApiResult<Uuid> {
        Ok(self.key_grant(req).await?.environment)
    }

    /// What the request's API key may do, whatever that is (the dashboard asks, to show
    /// settings read-only to a key that cannot write them). 401 without a known key.
    pub async fn key_grant(&self, req: &Request) -> ApiResult<KeyGrant> {
        let hash = api_key_hash(api_key(req)?);
        if self.unknown_keys.get(&hash).is_some() {
            return Err(ApiError::unauthorized());
        }
        if let Some(grant) = self.api_keys.get(&hash) {
            return Ok(grant);
        }
        match self.store.get_item(&keys::api_key(&hash)).await?.as_ref().and_then(key_grant) {
            Some(grant) => {
                self.api_keys.put(hash, grant);
                Ok(grant)
            }
            None => {
                self.unknown_keys.put(hash, ());
                Err(ApiError::unauthorized())
            }
        }
    }

    pub async fn prefetch(&self, req: &Request, env: Uuid, access: Access, reads: Reads) -> ApiResult<Prefetched> {
        match access {
            Access::ApiKey(need) => self.with_api_key(req, env, need, reads).await,
            Access::Session => self.with_session(req, env, reads).await,
        }
    }

    /// `reads` with no credential: for a sign-in, whose code was the credential.
    pub async fn read(&self, env: Uuid, reads: Reads) -> ApiResult<Prefetched> {
        let batch = self.plan(env, reads, None);
        let mut found = self.store.batch_get(&batch.wanted).await?;
        self.finish(env, &batch, &mut found, None, Actor::EndUser)
    }

    fn plan(&self, env: Uuid, reads: Reads, extra: Option<Key>) -> Batch {
        let fields = match self.fields.get(&env).filter(|_| !reads.fresh_fields) {
            Some(cached) => PlannedFields::Cached(cached),
            None => PlannedFields::Read(keys::fields(env)),
        };
        let user = reads.user.map(|u| keys::profile(env, u));
        let verification = reads.user.filter(|_| reads.verification).map(|u| keys::email_verification(env, u));
        let mut wanted = Vec::with_capacity(4);
        wanted.extend(extra);
        if let PlannedFields::Read(key) = &fields {
            wanted.push(key.clone());
        }
        wanted.extend(user.clone());
        wanted.extend(verification.clone());
        Batch { wanted, fields, user, verification }
    }

    fn finish(&self, env: Uuid, batch: &Batch, found: &mut crate::store::Found, signed_in: Option<SignedIn>, actor: Actor) -> ApiResult<Prefetched> {
        let compiled = match &batch.fields {
            PlannedFields::Cached(cached) => cached.clone(),
            PlannedFields::Read(key) => self.compiled(env, StoredFields::from_item(found.take(key))),
        };
        let user = batch.user.as_ref().and_then(|k| found.take(k)).map(crate::store::parse_user).transpose()?;
        let verification =
            batch.verification.as_ref().and_then(|k| found.take(k)).map(crate::store::parse_verification).transpose()?;
        Ok(Prefetched { user, verification, fields: compiled.settings, fields_version: compiled.version, signed_in, actor })
    }

    async fn with_api_key(&self, req: &Request, env: Uuid, need: Scope, reads: Reads) -> ApiResult<Prefetched> {
        let key = api_key(req)?;
        let hash = api_key_hash(key);
        if self.unknown_keys.get(&hash).is_some() {
            return Err(ApiError::unauthorized());
        }
        let cached_grant = self.api_keys.get(&hash);
        let api_key_item = keys::api_key(&hash);
        let batch = self.plan(env, reads, cached_grant.is_none().then(|| api_key_item.clone()));
        let mut found = self.store.batch_get(&batch.wanted).await?;
        let grant = match cached_grant {
            Some(g) => g,
            None => match found.take(&api_key_item).as_ref().and_then(key_grant) {
                Some(g) => {
                    self.api_keys.put(hash, g);
                    g
                }
                None => {
                    self.unknown_keys.put(hash, ());
                    return Err(ApiError::unauthorized());
                }
            },
        };
        if grant.environment != env {
            return Err(ApiError::forbidden());
        }
        if !grant.scopes.contains(need) {
            return Err(ApiError::insufficient_scope(need.as_str()));
        }
        self.finish(env, &batch, &mut found, None, key_actor(key))
    }

    /// An end user's request: the token must verify against `env`'s published keys and issuer
    /// (no read when its key is cached), then its session, user and `reads` come in one batch.
    /// A session that ended or expired, or a user that is gone, is a 401 like a bad token.
    async fn with_session(&self, req: &Request, env: Uuid, reads: Reads) -> ApiResult<Prefetched> {
        let token = bearer(req, MAX_TOKEN_CHARS).ok_or_else(ApiError::session_required)?;
        let issuer = issuer(&public_base(req, self.settings.public_base_url.as_deref()), env);
        let (claims, kid) = self.keyring.verify(&self.store, env, token, &issuer).await?;
        // With the session, in the same read: the signing key, so a revoked one is refused at
        // once whatever this container cached. (`aud` is the relying parties' to check: every
        // audience of this environment's tokens is this API's.)
        let session_key = keys::session(env, claims.sub, claims.sid);
        let signing_key = keys::signing_key(env, &kid);
        let reads = Reads { user: Some(claims.sub), ..reads };
        let mut batch = self.plan(env, reads, Some(session_key.clone()));
        batch.wanted.push(signing_key.clone());
        let mut found = self.store.batch_get(&batch.wanted).await?;
        let now = Timestamp::now();
        let published = found.take(&signing_key).map(parse_signing_key).transpose()?.is_some_and(|k| k.is_published(now));
        let session = found.take(&session_key).map(parse_session).transpose()?;
        let session = session.filter(|s| s.is_live(now) && s.user_id == claims.sub);
        let (Some(session), true) = (session, published) else {
            tracing::info!(user_id = %claims.sub, key_published = published, "session ended or expired, or its key was retired");
            return Err(ApiError::session_required());
        };
        let started = session.created_at;
        let prefetched = self.finish(env, &batch, &mut found, Some(SignedIn { claims, session, issuer }), Actor::EndUser)?;
        // A user whose address was newly proven ended the sessions started before that.
        match &prefetched.user {
            Some(user) if user.sessions_valid_from.is_none_or(|from| started >= from) => Ok(prefetched),
            _ => Err(ApiError::session_required()),
        }
    }
}

/// The user named by the path, with the field configuration read fresh in the same round trip,
/// so `missingFields` always reflects the current settings.
pub async fn read_user(ctx: &AppContext, req: &Request) -> ApiResult<(User, Arc<FieldSettings>)> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let reads = Reads { user: Some(user_id), fresh_fields: true, ..Reads::default() };
    let read = ctx.authorize(req, env, Scope::UsersRead, reads).await?;
    let user = read.user.ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    Ok((user, read.fields))
}

/// The API key as an actor: its public id, or (a key from before public ids) the start of its
/// hash, never the key itself.
pub fn key_actor(key: &str) -> Actor {
    Actor::ApiKey(public_id(key).map_or_else(|| api_key_hash(key)[..16].to_string(), str::to_string))
}
