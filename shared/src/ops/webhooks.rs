//! The webhooks of an environment: created, listed, changed and deleted, their signing secret
//! made here, encrypted under KMS (bound to its environment and webhook by the encryption
//! context) and decrypted only to sign a delivery or to show it to the operator.

use crate::cache::TtlCache;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::events::{Event, TEST_EVENT};
use crate::model::actor::Actor;
use crate::model::values::Timestamp;
use crate::model::webhook::WebhookSpec;
use crate::ops::events::{pending_message, queue_job, DeliveryJob};
use crate::store::{MessageRecord, StoreError, WebhookRecord, MAX_WEBHOOKS};
use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

/// Secrets decrypted recently, by webhook and ciphertext: a burst of deliveries costs one KMS call.
static SECRETS: LazyLock<TtlCache<(Uuid, String), String>> = LazyLock::new(|| TtlCache::new(Duration::from_secs(300)));

fn not_configured() -> ApiError {
    ApiError::unavailable("webhooks_not_configured", "Webhooks are not configured here (WEBHOOK_KMS_KEY_ID, WEBHOOK_QUEUE_URL).")
}

/// Binds a secret's ciphertext to its webhook: KMS opens it only with the same context.
fn encryption_context(env: Uuid, webhook: Uuid) -> Option<HashMap<String, String>> {
    Some(HashMap::from([("environmentId".into(), env.to_string()), ("webhookId".into(), webhook.to_string())]))
}

/// A new secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form; Dynamic's
/// signature is keyed with the whole string, Standard Webhooks' with the decoded bytes).
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

async fn encrypt(ctx: &AppContext, env: Uuid, webhook: Uuid, secret: &str) -> ApiResult<String> {
    let key = ctx.settings.webhook_kms_key_id.as_deref().ok_or_else(not_configured)?;
    let request = ctx.event_clients().kms.encrypt().key_id(key).plaintext(Blob::new(secret.as_bytes()));
    let out = request.set_encryption_context(encryption_context(env, webhook)).send().await.map_err(|e| {
        tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "KMS Encrypt of a webhook secret failed");
        ApiError::unavailable("kms_unavailable", "The webhook secret could not be sealed; try again.")
    })?;
    let blob = out.ciphertext_blob.ok_or_else(|| ApiError::unavailable("kms_unavailable", "KMS returned no ciphertext."))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(blob.as_ref()))
}

/// The webhook's secret in clear.
pub async fn secret_of(ctx: &AppContext, record: &WebhookRecord) -> ApiResult<String> {
    let cache_key = (record.webhook_id, record.secret_ciphertext.clone());
    if let Some(secret) = SECRETS.get(&cache_key) {
        return Ok(secret);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&record.secret_ciphertext)
        .map_err(|_| ApiError::internal("a stored webhook secret is not base64"))?;
    let request = ctx.event_clients().kms.decrypt().ciphertext_blob(Blob::new(bytes));
    let out = request.set_encryption_context(encryption_context(record.environment_id, record.webhook_id)).send().await.map_err(|e| {
        tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "KMS Decrypt of a webhook secret failed");
        ApiError::unavailable("kms_unavailable", "The webhook secret could not be opened; try again.")
    })?;
    let plain = out.plaintext.ok_or_else(|| ApiError::unavailable("kms_unavailable", "KMS returned no plaintext."))?;
    let secret = String::from_utf8(plain.into_inner()).map_err(|_| ApiError::internal("a webhook secret is not text"))?;
    SECRETS.put(cache_key, secret.clone());
    Ok(secret)
}

pub async fn create_webhook(ctx: &AppContext, env: Uuid, spec: WebhookSpec) -> ApiResult<(WebhookRecord, String)> {
    if ctx.store.webhooks(env).await?.len() >= MAX_WEBHOOKS {
        return Err(ApiError::conflict("too_many_webhooks", format!("An environment has at most {MAX_WEBHOOKS} webhooks.")));
    }
    let id = Uuid::new_v4();
    let secret = new_secret();
    let now = Timestamp::now();
    let record = WebhookRecord {
        webhook_id: id,
        environment_id: env,
        url: spec.url.as_str().to_string(),
        events: spec.events,
        is_enabled: spec.is_enabled,
        enabled_at: spec.is_enabled.then_some(now),
        created_at: now,
        updated_at: now,
        secret_ciphertext: encrypt(ctx, env, id, &secret).await?,
    };
    ctx.store.put_webhook(&record, true).await?;
    Ok((record, secret))
}

pub async fn find_webhook(ctx: &AppContext, env: Uuid, id: Uuid) -> ApiResult<WebhookRecord> {
    ctx.store.webhook(env, id).await?.ok_or_else(|| ApiError::not_found("Webhook").field("webhookId"))
}

pub async fn update_webhook(ctx: &AppContext, env: Uuid, id: Uuid, spec: WebhookSpec) -> ApiResult<WebhookRecord> {
    let mut record = find_webhook(ctx, env, id).await?;
    let now = Timestamp::now();
    if spec.is_enabled && !record.is_enabled {
        record.enabled_at = Some(now);
    }
    if !spec.is_enabled {
        record.enabled_at = None;
    }
    record.url = spec.url.as_str().to_string();
    record.events = spec.events;
    record.is_enabled = spec.is_enabled;
    record.updated_at = now;
    match ctx.store.put_webhook(&record, false).await {
        Err(StoreError::Conflict) => Err(ApiError::not_found("Webhook").field("webhookId")),
        other => Ok(other.map(|()| record)?),
    }
}

pub async fn delete_webhook(ctx: &AppContext, env: Uuid, id: Uuid) -> ApiResult<()> {
    if !ctx.store.delete_webhook(env, id).await? {
        return Err(ApiError::not_found("Webhook").field("webhookId"));
    }
    Ok(())
}

/// A `webhook.test` message to an enabled webhook, whatever events it subscribes to: stored and
/// queued as every message is, so its delivery, retries and attempts are those of a real event.
pub async fn send_test_event(ctx: &AppContext, env: Uuid, id: Uuid, actor: Actor) -> ApiResult<MessageRecord> {
    let hook = enabled_webhook(ctx, env, id, "send it a test event").await?;
    let now = Timestamp::now();
    let event = Event {
        event_id: Uuid::new_v4(),
        event_name: TEST_EVENT,
        environment_id: env,
        subject_user_id: Uuid::nil(),
        actor: Some(actor),
        changed_fields: None,
        external_user_id: None,
        timestamp: now,
        data: json!({ "webhookId": id, "url": hook.url, "message": "A test event: userfields can reach this address." }),
    };
    let record = pending_message(&event, id, now);
    ctx.store.put_new_message(&record).await?;
    let job = DeliveryJob { environment_id: env, webhook_id: id, message_id: record.message_id, redelivery: false };
    queue_delivery(ctx, &job, &record.message_id.to_string()).await?;
    Ok(record)
}

/// The message sent again, the same body with `redelivery: true`.
pub async fn redeliver(ctx: &AppContext, env: Uuid, id: Uuid, message_id: Uuid) -> ApiResult<()> {
    enabled_webhook(ctx, env, id, "redeliver").await?;
    let message = find_message(ctx, env, id, message_id).await?;
    let job = DeliveryJob { environment_id: env, webhook_id: id, message_id: message.message_id, redelivery: true };
    // A redelivery is a new send: its own deduplication id.
    queue_delivery(ctx, &job, &format!("{}#redelivery#{}", message.message_id, Uuid::now_v7())).await
}

pub async fn find_message(ctx: &AppContext, env: Uuid, webhook: Uuid, id: Uuid) -> ApiResult<MessageRecord> {
    ctx.store.message(env, webhook, id).await?.ok_or_else(|| ApiError::not_found("Message").field("messageId"))
}

/// The webhook, which must be enabled to be sent anything on request (`to`: what was asked).
async fn enabled_webhook(ctx: &AppContext, env: Uuid, id: Uuid, to: &str) -> ApiResult<WebhookRecord> {
    let hook = find_webhook(ctx, env, id).await?;
    if !hook.is_enabled {
        return Err(ApiError::conflict("webhook_disabled", format!("The webhook is disabled: enable it to {to}.")));
    }
    Ok(hook)
}

async fn queue_delivery(ctx: &AppContext, job: &DeliveryJob, dedup: &str) -> ApiResult<()> {
    let queue = ctx.settings.webhook_queue_url.as_deref().ok_or_else(not_configured)?;
    queue_job(ctx, queue, job, Uuid::nil(), dedup).await.map_err(|why| {
        tracing::error!(error = %why, "a webhook delivery could not be queued");
        ApiError::unavailable("webhook_queue_unavailable", "The delivery could not be queued; ask again.")
    })
}
