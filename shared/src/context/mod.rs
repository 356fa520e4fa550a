//! Everything a handler needs, built once per container: the store, the mailer, settings and the
//! caches that let a warm create cost a single DynamoDB write.

pub mod prefetch;

use crate::cache::TtlCache;
use crate::email::Mailer;
use crate::model::field_settings::FieldSettings;
use crate::settings::Settings;
use crate::store::{EnvironmentRecord, KeyGrant, Store, StoredFields};
use crate::tokens::Keyring;
use aws_config::SdkConfig;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a container trusts a resolved API key. A deleted key stops working within this.
pub const API_KEY_CACHE_TTL: Duration = Duration::from_secs(60);
/// How long a container remembers that a key is unknown, so a flood of garbage keys costs no
/// reads. A new key is random, so it is never one that was just tried.
pub const UNKNOWN_KEY_CACHE_TTL: Duration = Duration::from_secs(10);
/// How long writes start from a cached field configuration. Staleness cannot let a value pass on
/// old rules: every user write checks the configuration's version in its transaction, and a
/// moved version makes the write reload and try again. This only bounds memory and re-reads.
pub const FIELDS_CACHE_TTL: Duration = Duration::from_secs(300);

/// How long a container trusts an environment's item (its signing key and session length): a
/// rotated key starts signing everywhere within this; tokens of the old key stay valid.
pub const ENVIRONMENT_CACHE_TTL: Duration = Duration::from_secs(60);

/// A compiled configuration and the stored version it was compiled from.
#[derive(Clone)]
pub struct CompiledFields {
    pub settings: Arc<FieldSettings>,
    pub version: u64,
}

pub struct AppContext {
    pub store: Store,
    pub mailer: Mailer,
    pub settings: Settings,
    pub(crate) api_keys: TtlCache<String, KeyGrant>,
    pub(crate) unknown_keys: TtlCache<String, ()>,
    pub(crate) fields: TtlCache<Uuid, CompiledFields>,
    pub keyring: Keyring,
    /// Trusted external issuers' key sets.
    pub jwks: crate::external_auth::JwksCache,
    environments: TtlCache<Uuid, EnvironmentRecord>,
    /// The export functions' S3 and SQS clients, built at their first use: no other function
    /// pays for them at init.
    exports: std::sync::OnceLock<crate::aws::ExportClients>,
    events: std::sync::OnceLock<crate::aws::EventClients>,
    sdk: SdkConfig,
}

impl AppContext {
    /// A context with the given settings and the SDK configured from the environment.
    pub async fn with_settings(settings: Settings) -> Self {
        let sdk = crate::aws::sdk_config(&settings).await;
        Self::new(&sdk, settings)
    }

    pub fn new(sdk: &SdkConfig, settings: Settings) -> Self {
        let store = Store::new(crate::aws::dynamodb(sdk), settings.table_name.clone());
        let mailer = Mailer::new(sdk, settings.email_from.clone());
        Self {
            store,
            mailer,
            settings,
            api_keys: TtlCache::new(API_KEY_CACHE_TTL),
            unknown_keys: TtlCache::new(UNKNOWN_KEY_CACHE_TTL),
            fields: TtlCache::new(FIELDS_CACHE_TTL),
            keyring: Keyring::new(sdk),
            jwks: Default::default(),
            environments: TtlCache::new(ENVIRONMENT_CACHE_TTL),
            exports: std::sync::OnceLock::new(),
            events: std::sync::OnceLock::new(),
            sdk: sdk.clone(),
        }
    }

    /// The S3 and SQS clients exports use.
    pub fn export_clients(&self) -> &crate::aws::ExportClients {
        self.exports.get_or_init(|| crate::aws::ExportClients::new(&self.sdk))
    }

    /// The events and webhooks clients, built on first use.
    pub fn event_clients(&self) -> &crate::aws::EventClients {
        self.events.get_or_init(|| crate::aws::EventClients::new(&self.sdk))
    }

    /// The stored configuration, read now (a version already compiled is not compiled again).
    pub async fn fresh_fields(&self, env: Uuid) -> Result<CompiledFields, crate::store::StoreError> {
        let stored = self.store.fields(env).await?;
        Ok(self.compiled(env, stored))
    }

    /// The configuration of `env` as this container has it (read if it has none): for what
    /// only shows or checks it ahead of a write, never for a write's own judgement.
    pub async fn cached_fields(&self, env: Uuid) -> crate::error::ApiResult<Arc<FieldSettings>> {
        match self.fields.get(&env) {
            Some(cached) => Ok(cached.settings),
            None => Ok(self.fresh_fields(env).await?.settings),
        }
    }

    /// The rules of a configuration just read, cached for `env`. The same version compiles to
    /// the same rules, so a cached compile of it is kept rather than done again.
    pub(crate) fn compiled(&self, env: Uuid, stored: StoredFields) -> CompiledFields {
        let compiled = match self.fields.get(&env).filter(|c| c.version == stored.version) {
            Some(same) => same,
            None => CompiledFields { version: stored.version, settings: Arc::new(stored.settings()) },
        };
        self.fields.put(env, compiled.clone());
        compiled
    }

    /// Drops this container's copy of `env`'s configuration, as expiry or eviction would: the
    /// next request reads it again.
    pub fn forget_fields(&self, env: Uuid) {
        self.fields.remove(&env);
    }

    /// After this container saved a configuration, its own next requests see it at once.
    pub fn fields_changed(&self, env: Uuid, settings: Arc<FieldSettings>, version: u64) {
        self.fields.put(env, CompiledFields { settings, version });
    }

    /// Drops this container's copy of `env`'s item, after this container changed it.
    pub fn forget_environment(&self, env: Uuid) {
        self.environments.remove(&env);
    }

    /// The environment's item (its signing key and session length), cached for
    /// [`ENVIRONMENT_CACHE_TTL`]; 404 if there is no such environment.
    pub async fn environment(&self, env: Uuid) -> crate::error::ApiResult<EnvironmentRecord> {
        if let Some(record) = self.environments.get(&env) {
            return Ok(record);
        }
        let record = self.store.environment(env).await?.ok_or(crate::store::StoreError::NoEnvironment)?;
        self.environments.put(env, record.clone());
        Ok(record)
    }
}
