//! Everything a handler needs, built once per container: SDK clients, settings and the short
//! caches that let a warm create cost a single DynamoDB write.

use crate::cache::TtlCache;
use crate::email::Mailer;
use crate::error::{ApiError, ApiResult};
use crate::model::fields::FieldSettings;
use crate::model::user::User;
use crate::settings::Settings;
use crate::store::admin::{api_key_hash, parse_fields_item};
use crate::store::keys;
use crate::store::users::{parse_user, parse_verification, Verification};
use crate::store::Store;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_sdk_dynamodb::config::SharedHttpClient;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::Request;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a container trusts a resolved API key. A deleted key stops working within this.
pub const API_KEY_CACHE_TTL: Duration = Duration::from_secs(60);
/// How long writes may use a cached field configuration. Reads (get-user, missingFields) always
/// fetch it fresh in the same round trip as the user, so they are never stale.
pub const FIELDS_CACHE_TTL: Duration = Duration::from_secs(10);

pub struct AppContext {
    pub store: Store,
    pub mailer: Mailer,
    pub settings: Settings,
    api_keys: TtlCache<String, Uuid>,
    fields: TtlCache<Uuid, (Arc<FieldSettings>, u64)>,
}

/// What a handler wants read along with the API key, in one round trip.
#[derive(Default, Clone, Copy)]
pub struct Want {
    pub user: Option<Uuid>,
    pub verification: bool,
    /// Read the field configuration from the table even if cached.
    pub fresh_fields: bool,
}

pub struct Loaded {
    pub user: Option<User>,
    pub verification: Option<Verification>,
    pub fields: Arc<FieldSettings>,
    pub fields_version: u64,
}

impl AppContext {
    pub async fn from_env() -> Result<Self, String> {
        Ok(Self::with_settings(Settings::from_env()?).await)
    }

    /// A context with the given settings and the SDK configured from the environment.
    pub async fn with_settings(settings: Settings) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        // A plain-HTTP local emulator needs no trust store either; only an HTTPS endpoint of
        // the operator's own keeps the platform's certificates.
        if !settings.endpoint_url.as_deref().is_some_and(|url| url.starts_with("https://")) {
            loader = loader.http_client(aws_https_client());
        }
        let sdk = loader
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(Duration::from_secs(5))
                    .operation_timeout(Duration::from_secs(12))
                    .build(),
            )
            .load()
            .await;
        Self::new(&sdk, settings)
    }

    pub fn new(sdk: &SdkConfig, settings: Settings) -> Self {
        let store = Store::new(aws_sdk_dynamodb::Client::new(sdk), settings.table_name.clone());
        let mailer = Mailer::new(aws_sdk_sesv2::Client::new(sdk), settings.email_from.clone());
        Self {
            store,
            mailer,
            settings,
            api_keys: TtlCache::new(API_KEY_CACHE_TTL),
            fields: TtlCache::new(FIELDS_CACHE_TTL),
        }
    }

    /// Authorises the request for `env` and reads what `want` asks, batching every item not in
    /// the caches into one BatchGetItem. 401 without a known key, 403 for another environment's.
    pub async fn load(&self, req: &Request, env: Uuid, want: Want) -> ApiResult<Loaded> {
        let hash = api_key_hash(bearer_token(req)?);
        let cached_env = self.api_keys.get(&hash);
        let cached_fields = (!want.fresh_fields).then(|| self.fields.get(&env)).flatten();

        let key_key = keys::api_key(&hash);
        let fields_key = keys::fields(env);
        let mut wanted = Vec::with_capacity(4);
        if cached_env.is_none() {
            wanted.push(key_key.clone());
        }
        if cached_fields.is_none() {
            wanted.push(fields_key.clone());
        }
        let user_key = want.user.map(|u| keys::profile(env, u));
        let verification_key = want.user.filter(|_| want.verification).map(|u| keys::email_verification(env, u));
        wanted.extend(user_key.clone());
        wanted.extend(verification_key.clone());
        let mut items = self.store.batch_get(&wanted).await?;
        let mut take = |k: &keys::Key| items.remove(&(k.0.clone(), k.1.to_string()));

        let key_env = match cached_env {
            Some(e) => e,
            None => {
                let item = take(&key_key).ok_or_else(ApiError::unauthorized)?;
                let e = item
                    .get("environmentId")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|v| Uuid::parse_str(v).ok())
                    .ok_or_else(ApiError::unauthorized)?;
                self.api_keys.put(hash, e);
                e
            }
        };
        if key_env != env {
            return Err(ApiError::forbidden());
        }
        let (fields, fields_version) = match cached_fields {
            Some(f) => f,
            None => {
                let (specs, version) = parse_fields_item(take(&fields_key))?;
                let settings = Arc::new(FieldSettings::parse(specs).map_err(|e| {
                    tracing::error!(code = e.code, "stored field configuration is invalid");
                    ApiError::new(e.status, "internal_error", "Stored field configuration is invalid.")
                })?);
                self.fields.put(env, (settings.clone(), version));
                (settings, version)
            }
        };
        let user = user_key.as_ref().and_then(&mut take).map(parse_user).transpose()?;
        let verification = verification_key.as_ref().and_then(&mut take).map(parse_verification).transpose()?;
        Ok(Loaded { user, verification, fields, fields_version })
    }

    /// After this container saved a configuration, its own next requests see it at once.
    pub fn fields_changed(&self, env: Uuid, fields: Arc<FieldSettings>, version: u64) {
        self.fields.put(env, (fields, version));
    }
}

/// Root CAs of Amazon Trust Services, which sign every AWS service endpoint (copied from the
/// platform's public CA bundle).
const AWS_ROOT_CAS: &str = include_str!("../certs/aws-root-cas.pem");

/// An HTTPS client trusting only the AWS root CAs: loading the platform's whole certificate store
/// instead costs every cold start about 3 ms (more than the rest of start-up).
pub fn aws_https_client() -> SharedHttpClient {
    let trust = TrustStore::empty().with_pem_certificate(AWS_ROOT_CAS.as_bytes());
    let context = TlsContext::builder().with_trust_store(trust).build().expect("a static trust store is valid");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

/// The key from `Authorization: Bearer <key>`; anything else is a 401.
fn bearer_token(req: &Request) -> ApiResult<&str> {
    let header = req.headers().get(AUTHORIZATION).ok_or_else(ApiError::unauthorized)?;
    let text = header.to_str().map_err(|_| ApiError::unauthorized())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(ApiError::unauthorized)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > 256 {
        return Err(ApiError::unauthorized());
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_trust_store_loads() {
        assert_eq!(AWS_ROOT_CAS.matches("BEGIN CERTIFICATE").count(), 5);
        // Building a client loads the certificates; a bad PEM would panic here.
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .http_client(aws_https_client())
            .build();
        let _ = aws_sdk_dynamodb::Client::from_conf(config);
    }
}
