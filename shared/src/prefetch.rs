//! A request's first round trip: the API key (unless cached), the field configuration (unless
//! cached, or when it must be fresh) and the items the handler works on, in one BatchGetItem.

use crate::auth::api_keys::{api_key_hash, bearer_token};
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::field_rules::FieldSettings;
use crate::model::user::User;
use crate::store::keys;
use crate::store::{key_grant, StoredFields, Verification};
use lambda_http::Request;
use std::sync::Arc;
use uuid::Uuid;

/// What a handler reads along with authorising the request.
#[derive(Default, Clone, Copy)]
pub struct Reads {
    pub user: Option<Uuid>,
    pub verification: bool,
    /// Read the configuration item even if cached (reads that report `missingFields`, and
    /// retries after the configuration moved). Unchanged versions are not recompiled.
    pub fresh_fields: bool,
}

pub struct Prefetched {
    pub user: Option<User>,
    pub verification: Option<Verification>,
    pub fields: Arc<FieldSettings>,
    pub fields_version: u64,
}

impl AppContext {
    /// Authorises the request for `env` and `need`, and reads what `reads` asks, in one round
    /// trip. 401 without a known key (an unknown one is remembered briefly, so repeating it
    /// costs no read), 403 for another environment's key or one without the scope.
    pub async fn authorize(&self, req: &Request, env: Uuid, need: Scope, reads: Reads) -> ApiResult<Prefetched> {
        let hash = api_key_hash(bearer_token(req)?);
        if self.unknown_keys.get(&hash).is_some() {
            return Err(ApiError::unauthorized());
        }
        let cached_grant = self.api_keys.get(&hash);
        let cached_fields = self.fields.get(&env);
        let use_cached_fields = cached_fields.as_ref().filter(|_| !reads.fresh_fields);

        let api_key_item = keys::api_key(&hash);
        let fields_item = keys::fields(env);
        let user_item = reads.user.map(|u| keys::profile(env, u));
        let verification_item = reads.user.filter(|_| reads.verification).map(|u| keys::email_verification(env, u));
        let mut wanted = Vec::with_capacity(4);
        wanted.extend(cached_grant.is_none().then(|| api_key_item.clone()));
        wanted.extend(use_cached_fields.is_none().then(|| fields_item.clone()));
        wanted.extend(user_item.clone());
        wanted.extend(verification_item.clone());
        let mut found = self.store.batch_get(&wanted).await?;

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
        let compiled = match use_cached_fields {
            Some(c) => c.clone(),
            None => self.compiled(env, StoredFields::from_item(found.take(&fields_item))),
        };
        let user = user_item.as_ref().and_then(|k| found.take(k)).map(crate::store::parse_user).transpose()?;
        let verification = verification_item
            .as_ref()
            .and_then(|k| found.take(k))
            .map(crate::store::parse_verification)
            .transpose()?;
        Ok(Prefetched { user, verification, fields: compiled.settings, fields_version: compiled.version })
    }
}
