//! GET and PUT /environments/{environmentId}/settings/userFields
//!
//! PUT replaces the whole list. Turning `unique` on for a custom field first records a claim for
//! every existing value (see `unique_switch`); if two users already share a value the change is
//! refused with 422 `cannot_switch_to_unique` and the configuration is not saved.

use super::unique_switch::claim_existing_values;
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond};
use crate::model::field_rules::{Field, FieldSettings};
use crate::model::field_spec::FieldSpec;
use crate::prefetch::Reads;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

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
            let mut skipped = Vec::new();
            for field in newly_unique(&read.fields, &settings) {
                skipped.extend(claim_existing_values(ctx, env, &read.fields, field).await?);
            }
            let specs = settings.specs();
            let version = ctx.store.save_fields(env, &specs, read.fields_version).await?;
            tracing::info!(version, fields = specs.len(), "field settings saved");
            ctx.fields_changed(env, Arc::new(settings), version);
            let mut body = json!({ "fields": specs });
            if !skipped.is_empty() {
                body["skippedUsers"] = json!(skipped);
            }
            Ok(json_response(StatusCode::OK, &body))
        }
        _ => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Use GET or PUT.")),
    }
}

fn newly_unique<'a>(old: &FieldSettings, new: &'a FieldSettings) -> Vec<&'a Field> {
    new.enabled_custom()
        .filter(|f| f.is_unique())
        .filter(|f| !old.get(f.name()).is_some_and(|o| o.is_unique() && o.spec.enabled))
        .collect()
}
