//! Dynamic's `CustomFieldsApi`: POST and GET /environments/{environmentId}/custom/fields (create;
//! the list, a bare array of `CustomField` in position order) and GET, PUT and DELETE
//! /custom/fields/{customFieldId}. The item routes name no environment: the API key's decides,
//! and a field of another environment is a 404 like one that does not exist. Every change is an
//! edit of the one field configuration (`ops::custom_fields`).

use crate::auth::scopes::Scope;
use crate::context::prefetch::Reads;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::custom_fields::CustomField;
use crate::http::{empty_response, environment_id, json_body, json_response, last_segment, path_uuid, respond};
use crate::model::custom_field::CustomFieldRequest;
use crate::ops::custom_fields::{self, SavedField};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(route(ctx, &req).await)
}

async fn route(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let need = if req.method() == Method::GET { Scope::SettingsRead } else { Scope::SettingsWrite };
    let fresh = Reads { fresh_fields: true, ..Reads::default() };
    if last_segment(req) == "fields" {
        let env = environment_id(req)?;
        return match *req.method() {
            Method::GET => {
                let read = ctx.authorize(req, env, need, fresh).await?;
                let list: Vec<CustomField> = read.fields.fields().iter().filter(|f| f.is_custom()).map(|f| CustomField::new(env, f)).collect();
                Ok(json_response(StatusCode::OK, &list))
            }
            Method::POST => {
                ctx.authorize(req, env, need, Reads::default()).await?;
                let saved = custom_fields::create(ctx, env, &json_body::<CustomFieldRequest>(req)?).await?;
                answer(env, StatusCode::CREATED, &saved)
            }
            _ => Err(ApiError::method_not_allowed("GET or POST")),
        };
    }
    let id = path_uuid(req, "customFieldId", "fields")?;
    let env = ctx.key_environment(req).await?;
    match *req.method() {
        Method::GET => {
            let read = ctx.authorize(req, env, need, fresh).await?;
            let field = custom_fields::find(&read.fields, env, id).ok_or_else(|| ApiError::not_found("Custom field"))?;
            Ok(json_response(StatusCode::OK, &CustomField::new(env, field)))
        }
        Method::PUT => {
            ctx.authorize(req, env, need, Reads::default()).await?;
            let saved = custom_fields::replace(ctx, env, id, &json_body::<CustomFieldRequest>(req)?).await?;
            answer(env, StatusCode::OK, &saved)
        }
        Method::DELETE => {
            ctx.authorize(req, env, need, Reads::default()).await?;
            custom_fields::delete(ctx, env, id).await?;
            tracing::info!(custom_field_id = %id, "custom field deleted");
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        _ => Err(ApiError::method_not_allowed("GET, PUT or DELETE")),
    }
}

fn answer(env: Uuid, status: StatusCode, saved: &SavedField) -> ApiResult<Response<Body>> {
    let field = saved.field().ok_or_else(|| ApiError::not_found("Custom field"))?;
    tracing::info!(key = field.name(), "custom field saved");
    Ok(json_response(status, &CustomField::new(env, field)))
}
