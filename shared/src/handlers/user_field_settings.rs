//! GET and PUT /environments/{environmentId}/settings/userFields
//!
//! PUT replaces the whole list. Turning `unique` on for a custom field first claims every existing
//! value (see `ops::save_field_settings`); if two users already share a value the change is refused with 422
//! `cannot_switch_to_unique`, and nothing is saved or left behind. Environments with more users
//! than a request may handle answer 422 `environment_too_large`, naming the CLI command.

use crate::ops::save_field_settings::{save_field_settings, MAX_USERS_ONLINE};
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond};
use crate::model::field_settings::FieldSettings;
use crate::model::field_spec::FieldSpec;
use crate::context::prefetch::Reads;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    fields: Vec<FieldSpec>,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(route(ctx, &req).await)
}

async fn route(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let need = if req.method() == Method::GET { Scope::SettingsRead } else { Scope::SettingsWrite };
    let read = ctx.authorize(req, env, need, Reads { fresh_fields: true, ..Reads::default() }).await?;
    match *req.method() {
        Method::GET => Ok(json_response(StatusCode::OK, &json!({ "fields": read.fields.specs() }))),
        Method::PUT => {
            let body: SettingsBody = json_body(req)?;
            let settings = FieldSettings::parse(body.fields)?;
            let specs = settings.specs();
            let saved =
                save_field_settings(ctx, env, &read.fields, read.fields_version, settings, Some(MAX_USERS_ONLINE)).await?;
            tracing::info!(version = saved.version, fields = specs.len(), "field settings saved");
            let mut body = json!({ "fields": specs });
            if !saved.skipped.is_empty() {
                body["skippedUsers"] = json!(saved.skipped);
            }
            Ok(json_response(StatusCode::OK, &body))
        }
        _ => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Use GET or PUT.")),
    }
}
