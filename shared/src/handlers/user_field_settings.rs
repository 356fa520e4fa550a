//! GET and PUT /environments/{environmentId}/settings/userFields, and the same configuration as
//! Dynamic's admin API has it: GET /environments/{environmentId} (a `ProjectEnvironment` whose
//! `settings` is a `ProjectSettings`, `kyc` the field list) and PUT /environments/{environmentId}
//! (`updateProjectSettings`: a `ProjectSettings` whose `kyc` is saved as the field list, through
//! the same checks; the sections userfields does not implement are not stored, and the answer
//! shows the settings as they now are).
//!
//! Beside them, for the dashboard: POST .../settings/userFields/impact counts what a proposed
//! configuration would change before it is saved, and GET /environments/{environmentId}/apiKeys/current
//! says what the request's own key may do.
//!
//! PUT replaces the whole list. Turning `unique` on for a custom field first claims every existing
//! value (see `ops::save_field_settings`); if two users already share a value the change is refused with 422
//! `cannot_switch_to_unique`, and nothing is saved or left behind. Environments with more users
//! than a request may handle answer 422 `environment_too_large`, naming the CLI command.

use crate::ops::environments::stored_external_auth;
use crate::ops::field_impact::field_impact;
use crate::ops::save_field_settings::{save_field_settings, MAX_USERS_ONLINE};
use crate::context::prefetch::key_actor;
use crate::http::bearer::api_key;
use crate::model::actor::Actor;
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::project_settings::ProjectSettings;
use crate::http::{environment_id, json_body, json_response, json_value, last_segment, respond};
use crate::model::field_settings::FieldSettings;
use crate::model::external_auth::ExternalAuth;
use crate::model::field_spec::FieldSpec;
use crate::context::prefetch::Reads;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Map, Value};
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
    match (req.method(), last_segment(req).as_str()) {
        (&Method::GET, "current") => return current_key(ctx, req, env).await,
        (_, "current") => return Err(ApiError::method_not_allowed("GET")),
        (&Method::POST, "impact") => return impact(ctx, req, env).await,
        (_, "impact") => return Err(ApiError::method_not_allowed("POST")),
        _ => {}
    }
    let need = if req.method() == Method::GET { Scope::SettingsRead } else { Scope::SettingsWrite };
    let read = ctx.authorize(req, env, need, Reads { fresh_fields: true, ..Reads::default() }).await?;
    let as_dynamic = last_segment(req) != "userFields";
    match *req.method() {
        Method::GET if as_dynamic => environment(ctx, env, &read.fields).await,
        Method::GET => Ok(json_response(StatusCode::OK, &json!({ "fields": read.fields.specs() }))),
        Method::PUT => {
            // Dynamic's body: the field list, and the external issuers (both checked before
            // either is saved).
            let (fields, external) = if as_dynamic {
                let mut body: Map<String, Value> = json_body(req)?;
                let external = external_auth_of(ctx, env, body.remove("security")).await?;
                (kyc_of(body, &read.fields)?, external)
            } else {
                (json_body::<SettingsBody>(req)?.fields, None)
            };
            let settings = FieldSettings::parse(fields)?;
            let specs = settings.specs();
            let saved =
                save_field_settings(ctx, env, &read.fields, read.fields_version, settings, Some(MAX_USERS_ONLINE)).await?;
            tracing::info!(version = saved.version, fields = specs.len(), "field settings saved");
            if let Some(config) = external {
                ctx.store.set_external_auth(env, &config).await?;
                ctx.forget_environment(env);
                tracing::info!(issuers = config.issuers.len(), enabled = config.enabled, "external authentication saved");
            }
            if as_dynamic {
                let environment = ctx.environment(env).await?;
                let settings = ProjectSettings::new(&environment.name, specs.iter().collect()).with_security(security_view(&environment));
                return Ok(json_response(StatusCode::OK, &settings));
            }
            let mut body = json!({ "fields": specs });
            if !saved.skipped.is_empty() {
                body["skippedUsers"] = json!(saved.skipped);
            }
            Ok(json_response(StatusCode::OK, &body))
        }
        _ => Err(ApiError::method_not_allowed("GET or PUT")),
    }
}

/// GET /environments/{environmentId}/apiKeys/current: the request's own key, its public id and
/// scopes (never the secret), whatever scopes it holds.
async fn current_key(ctx: &AppContext, req: &Request, env: Uuid) -> ApiResult<Response<Body>> {
    let grant = ctx.key_grant(req).await?;
    if grant.environment != env {
        return Err(ApiError::forbidden());
    }
    let Actor::ApiKey(id) = key_actor(api_key(req)?) else { unreachable!("an API key's actor") };
    Ok(json_response(StatusCode::OK, &json!({ "environmentId": env, "apiKeyId": id, "scopes": grant.scopes.names() })))
}

/// POST /environments/{environmentId}/settings/userFields/impact `{fields}`: what saving that
/// configuration would change for the users there are (nothing is saved).
async fn impact(ctx: &AppContext, req: &Request, env: Uuid) -> ApiResult<Response<Body>> {
    let read = ctx.authorize(req, env, Scope::SettingsRead, Reads { fresh_fields: true, ..Reads::default() }).await?;
    let proposed = FieldSettings::parse(json_body::<SettingsBody>(req)?.fields)?;
    let impact = field_impact(ctx, env, &read.fields, &proposed).await?;
    Ok(json_response(StatusCode::OK, &impact))
}

/// `ProjectEnvironment`: the environment's id and its settings, every field in `kyc`.
async fn environment(ctx: &AppContext, env: Uuid, fields: &FieldSettings) -> ApiResult<Response<Body>> {
    let environment = ctx.environment(env).await?;
    let kyc = fields.fields().iter().map(|f| &f.spec).collect();
    let settings = ProjectSettings::new(&environment.name, kyc).with_security(security_view(&environment));
    Ok(json_response(StatusCode::OK, &json!({ "id": env, "settings": settings })))
}

fn security_view(environment: &crate::store::EnvironmentRecord) -> Value {
    environment.external_auth.clone().unwrap_or_default().security_view()
}

/// `security.externalAuth` (Dynamic's, one issuer) and `security.externalAuthIssuers` (ours, the
/// others) of a PUT: the configuration to save, when either is present and changes it. The rest
/// of `security` is Dynamic's and not stored here.
async fn external_auth_of(ctx: &AppContext, env: Uuid, security: Option<Value>) -> ApiResult<Option<ExternalAuth>> {
    let Some(Value::Object(mut security)) = security else { return Ok(None) };
    let (primary, further) = (security.remove("externalAuth"), security.remove("externalAuthIssuers"));
    if primary.is_none() && further.is_none() {
        return Ok(None);
    }
    let primary = primary.filter(|v| !v.is_null()).map(|v| json_value_at(v, "security.externalAuth")).transpose()?;
    let further = further.filter(|v| !v.is_null()).map(|v| json_value_at(v, "security.externalAuthIssuers")).transpose()?;
    let current = stored_external_auth(&ctx.store, env).await?;
    let config = ExternalAuth::parse(primary, further, &current, ctx.settings.external_auth_allow_loopback)?;
    Ok((config != current).then_some(config))
}

fn json_value_at<T: serde::de::DeserializeOwned>(value: Value, field: &str) -> ApiResult<T> {
    serde_json::from_value(value).map_err(|e| ApiError::bad_request("invalid_external_auth", format!("{field}: {e}")).field(field))
}

/// The field list of a `ProjectSettings` body: its `kyc` (required; the other sections are
/// Dynamic's and not stored here). Dynamic's own client drops what its model does not name, so
/// an entry without `userAccess`, `writeOnce` or `searchable` keeps the current field's.
fn kyc_of(mut body: Map<String, Value>, current: &FieldSettings) -> ApiResult<Vec<FieldSpec>> {
    let Some(Value::Array(mut kyc)) = body.remove("kyc") else {
        return Err(ApiError::bad_request("bad_request", "settings need kyc, the field list.").field("kyc"));
    };
    for entry in kyc.iter_mut().filter_map(Value::as_object_mut) {
        let Some(known) = entry.get("name").and_then(Value::as_str).and_then(|name| current.fields().iter().find(|f| f.spec.name == name)) else { continue };
        if !entry.contains_key("userAccess") {
            entry.insert("userAccess".into(), json!(known.spec.user_access));
        }
        if !entry.contains_key("writeOnce") {
            entry.insert("writeOnce".into(), json!(known.spec.write_once));
        }
        if !entry.contains_key("searchable") {
            entry.insert("searchable".into(), json!(known.spec.searchable));
        }
    }
    Ok(json_value::<SettingsBody>(json!({ "fields": kyc }))?.fields)
}
