//! `userfields bench-seed` (hidden): the benchmark's test data, written by the project's own
//! operations and store, so its keys and items are what the functions write. One JSON request
//! per line on stdin, one JSON answer per line on stdout:
//!
//!   {"seed":"user","environmentId":E,"email":X}             -> {"userId":U}
//!   {"seed":"email-change","environmentId":E,"userId":U,"email":X,"code":C}
//!                                                           -> {"verificationUUID":V}
//!   {"seed":"sign-in","environmentId":E,"email":X,"holder":U?,"code":C}
//!                                                           -> {"verificationUUID":V}
//!   {"seed":"session","environmentId":E,"userId":U,"sessionId":S}
//!                                                           -> {}
//!   {"seed":"fields","environmentId":E,"enable":[NAME...]}  -> {"version":N}
//!                                                           (optional fields turned on)
//!   {"seed":"webhooks","environmentId":E,"url":U,"count":N} -> {"webhookIds":[W...]}
//!                                                           (the environment's webhooks replaced
//!                                                           by N at U, subscribed to every event)
//!   {"seed":"message","environmentId":E,"webhookId":W,"userId":U}
//!                                                           -> {"messageId":M}
//!                                                           (a pending user.updated message)
//!
//! Codes are hashed under the key OTP_HMAC_KEY_SECRET names, as the functions hash them. A
//! request that fails answers {"error":...} and the command goes on.

use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use userfields::codes::issue::stored_form;
use userfields::context::AppContext;
use userfields::events::Event;
use userfields::http::views::UserView;
use userfields::model::webhook::WebhookRequest;
use userfields::ops::events::pending_message;
use userfields::ops::webhooks::create_webhook;
use userfields::model::profile_fields::UserInput;
use userfields::model::values::{Email, Timestamp};
use userfields::ops::save_field_settings::edit_field_settings;
use userfields::store::{Session, Verification};
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(tag = "seed", rename_all = "kebab-case", rename_all_fields = "camelCase")]
enum Request {
    User { environment_id: Uuid, email: String },
    EmailChange { environment_id: Uuid, user_id: Uuid, email: String, code: String },
    SignIn { environment_id: Uuid, email: String, holder: Option<Uuid>, code: String },
    Session { environment_id: Uuid, user_id: Uuid, session_id: Uuid },
    Fields { environment_id: Uuid, enable: Vec<String> },
    Webhooks { environment_id: Uuid, url: String, count: usize },
    Message { environment_id: Uuid, webhook_id: Uuid, user_id: Uuid },
}

pub async fn run(ctx: &'static AppContext, otp_key: &[u8]) -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(request) => seed(ctx, otp_key, request).await.unwrap_or_else(|e| json!({ "error": e })),
            Err(e) => json!({ "error": format!("not a seeding request: {e}") }),
        };
        writeln!(out, "{answer}").and_then(|_| out.flush()).map_err(|e| format!("writing stdout: {e}"))?;
    }
    Ok(())
}

async fn seed(ctx: &'static AppContext, otp_key: &[u8], request: Request) -> Result<Value, String> {
    let now = Timestamp::now();
    match request {
        Request::User { environment_id, email } => {
            let input: UserInput = serde_json::from_value(json!({ "email": email })).map_err(|e| e.to_string())?;
            let (user, _) = userfields::ops::create_user::create_user(ctx, environment_id, input, None, userfields::model::actor::Actor::Operator).await.map_err(|e| e.message)?;
            Ok(json!({ "userId": user.id }))
        }
        Request::EmailChange { environment_id, user_id, email, code } => {
            let v = verification(otp_key, &email, &code, now, None)?;
            ctx.store.put_verification_alone(environment_id, user_id, &v).await.map_err(|e| e.to_string())?;
            Ok(json!({ "verificationUUID": v.verification_uuid }))
        }
        Request::SignIn { environment_id, email, holder, code } => {
            let v = verification(otp_key, &email, &code, now, holder)?;
            ctx.store.start_sign_in(environment_id, &v, &[]).await.map_err(|e| e.to_string())?;
            Ok(json!({ "verificationUUID": v.verification_uuid }))
        }
        Request::Session { environment_id, user_id, session_id } => {
            let session = Session { sid: session_id, ..Session::new(user_id, now, 3600) };
            ctx.store.put_session_alone(environment_id, &session).await.map_err(|e| e.to_string())?;
            Ok(json!({}))
        }
        Request::Fields { environment_id, enable } => {
            let (saved, (), _) = edit_field_settings(ctx, environment_id, None, |specs| {
                for spec in specs.iter_mut().filter(|s| enable.contains(&s.name)) {
                    spec.enabled = true;
                }
                Ok(())
            })
            .await
            .map_err(|e| e.message)?;
            Ok(json!({ "version": saved.version }))
        }
        Request::Webhooks { environment_id, url, count } => {
            for hook in ctx.store.webhooks(environment_id).await.map_err(|e| e.to_string())? {
                ctx.store.delete_webhook(environment_id, hook.webhook_id).await.map_err(|e| e.to_string())?;
            }
            let mut ids = Vec::new();
            for _ in 0..count {
                let request: WebhookRequest = serde_json::from_value(json!({ "url": url, "isEnabled": true, "events": ["*"] })).map_err(|e| e.to_string())?;
                let spec = request.parse(ctx.settings.webhooks_allow_loopback).map_err(|e| e.message.to_string())?;
                ids.push(create_webhook(ctx, environment_id, spec).await.map_err(|e| e.message)?.0.webhook_id);
            }
            Ok(json!({ "webhookIds": ids }))
        }
        Request::Message { environment_id, webhook_id, user_id } => message(ctx, environment_id, webhook_id, user_id, now).await,
    }
}

/// The message a `user.updated` event of `user_id` leaves for the webhook, stored as
/// the stream function stores it (`ops::events::pending_message`).
async fn message(ctx: &'static AppContext, env: Uuid, webhook: Uuid, user_id: Uuid, now: Timestamp) -> Result<Value, String> {
    let (users, _) = ctx.store.users(env, &[user_id]).await.map_err(|e| e.to_string())?;
    let user = users.into_iter().next().ok_or("no such user")?;
    let fields = ctx.fresh_fields(env).await.map_err(|e| e.to_string())?.settings;
    let event = Event {
        event_id: Uuid::new_v4(),
        event_name: "user.updated",
        environment_id: env,
        subject_user_id: user.id,
        actor: user.changed_by.clone(),
        changed_fields: Some(vec!["firstName".into()]),
        external_user_id: None,
        timestamp: now,
        data: serde_json::to_value(UserView::new(&user, &fields, false)).map_err(|e| e.to_string())?,
    };
    let record = pending_message(&event, webhook, now);
    ctx.store.put_new_message(&record).await.map_err(|e| e.to_string())?;
    Ok(json!({ "messageId": record.message_id }))
}

/// A pending code `code` for `email`, in the form the functions store theirs.
fn verification(otp_key: &[u8], email: &str, code: &str, now: Timestamp, holder: Option<Uuid>) -> Result<Verification, String> {
    let email = Email::parse(email).map_err(|e| e.message.to_string())?;
    Ok(stored_form(otp_key, &email, code, now, holder))
}
