//! GET and PUT /environments/{environmentId}/settings/userFields
//!
//! PUT replaces the whole list. Turning `unique` on for a custom field backfills a claim for
//! every existing value; if two users already share a value the change is refused with 422
//! `cannot_switch_to_unique` and nothing is saved.

use crate::context::{AppContext, Want};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond};
use crate::model::fields::{Field, FieldSettings, FieldSpec};
use crate::store::transact::{Guard, TxError};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

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
    let loaded = ctx.load(req, env, Want { fresh_fields: true, ..Want::default() }).await?;
    match *req.method() {
        Method::GET => Ok(json_response(StatusCode::OK, &json!({ "fields": loaded.fields.specs() }))),
        Method::PUT => {
            let body: SettingsBody = json_body(req)?;
            let settings = FieldSettings::parse(body.fields)?;
            for field in newly_unique(&loaded.fields, &settings) {
                backfill(ctx, env, field).await?;
            }
            let specs = settings.specs();
            let version = ctx.store.save_fields(env, &specs, loaded.fields_version).await.map_err(|e| match e {
                TxError::Api(e) => e,
                _ => ApiError::conflict("concurrent_update", "The field settings changed meanwhile; read and try again."),
            })?;
            tracing::info!(version, fields = specs.len(), "field settings saved");
            ctx.fields_changed(env, Arc::new(settings), version);
            Ok(json_response(StatusCode::OK, &json!({ "fields": specs })))
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

fn cannot_switch(field: &str) -> ApiError {
    ApiError::unprocessable(
        "cannot_switch_to_unique",
        format!("Existing users share values of {field}, so it cannot become unique."),
    )
    .field(field)
}

/// Claims every existing value of `field` for its holder, refusing on a shared value.
async fn backfill(ctx: &AppContext, env: Uuid, field: &Field) -> ApiResult<()> {
    let users = ctx.store.environment_metadata(env).await?;
    let mut holders: HashMap<String, Uuid> = HashMap::new();
    for (user, metadata) in users {
        let Some(value) = metadata.as_ref().and_then(|m| m.get(field.name())).filter(|v| !v.is_null()) else {
            continue;
        };
        // A value that no longer passes the field's rules is not claimed; it is re-checked
        // when that user next changes it.
        let Ok(normalized) = field.check_custom_value(value) else { continue };
        if holders.insert(normalized, user).is_some_and(|other| other != user) {
            return Err(cannot_switch(field.name()));
        }
    }
    let holders: Vec<(Uuid, String)> = holders.into_iter().map(|(v, u)| (u, v)).collect();
    ctx.store.backfill_claims(env, field.name(), &holders).await.map_err(|e| match e {
        TxError::Failed(Guard::Claim(f)) => cannot_switch(&f),
        TxError::Api(e) => e,
        _ => ApiError::conflict("concurrent_update", "Users changed meanwhile; try again."),
    })
}
