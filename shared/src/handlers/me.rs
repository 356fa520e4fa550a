//! GET and PUT /environments/{environmentId}/me (session token): the signed-in user reads its
//! profile (with the enabled fields it may see, for the form) and completes it. An end user
//! sees and sets fields by their `userAccess` and `writeOnce` (`model::field_access`): never
//! `emailVerifiedAt`, credentials, or metadata keys that are not custom fields it may edit.
//! When a change alters what the token grants (the last missing field filled, say), the answer
//! carries a fresh token for the same session.

use crate::http::views::{TokenView, UpdateResponse, UserView};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, json_value, respond, source_ip};
use crate::model::field_access;
use crate::model::field_spec::FieldSpec;
use crate::model::profile_fields::{premade, UserInput};
use crate::context::prefetch::{Access, ReadAgain, Reads};
use crate::ops::sign_in::refreshed_token;
use crate::ops::update_user::{update, Requester};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
struct MeResponse<'a> {
    user: UserView<'a>,
    /// Every enabled field, in position order: what a profile form may show.
    fields: Vec<&'a FieldSpec>,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    let result = match *req.method() {
        Method::GET => get(ctx, &req).await,
        Method::PUT => put(ctx, &req).await,
        _ => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Use GET or PUT.")),
    };
    respond(result)
}

async fn get(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let read = ctx.prefetch(req, env, Access::Session, Reads { fresh_fields: true, ..Reads::default() }).await?;
    let user = read.user.as_ref().expect("a session's user was read");
    let fields = field_access::form_fields(&read.fields);
    Ok(json_response(StatusCode::OK, &MeResponse { user: UserView::for_end_user(user, &read.fields, false), fields }))
}

async fn put(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    // The configuration is read fresh: the write is judged by the one in force at commit (the
    // transaction checks its version), never by a container's cached copy.
    // (A session's read is always of the token's user.)
    let reads = Reads { verification: true, fresh_fields: true, ..Reads::default() };
    let first = ctx.prefetch(req, env, Access::Session, reads).await?;
    let body: Map<String, Value> = json_body(req)?;
    check_settable(&body)?;
    let input: UserInput = json_value(Value::Object(body))?;
    let patch = input.into_patch()?;
    let ip = source_ip(req);
    let from = Requester { access: Access::Session, source_ip: ip.as_deref() };
    let again = ReadAgain { ctx, req, env, access: Access::Session, reads };
    let updated = update(ctx, env, from, &patch, first, &again).await?;
    let signed_in = updated.signed_in.as_ref().expect("a session request is signed in");
    let token = refreshed_token(ctx, env, signed_in, &updated.user, &updated.fields).await?;
    let mut body = UpdateResponse::new(UserView::for_end_user(&updated.user, &updated.fields, false), updated.pending.as_ref());
    body.token = token.map(|(jwt, expires_at)| TokenView { jwt, expires_at });
    Ok(json_response(StatusCode::OK, &body))
}

/// Refuses any key that is neither a pre-made field nor `metadata` (credentials, `id`,
/// `emailVerifiedAt`, ...). Which fields and metadata keys the end user may change is judged
/// with the write, by the configuration it commits under (`model::field_access`).
fn check_settable(body: &Map<String, Value>) -> ApiResult<()> {
    match body.keys().find(|key| key.as_str() != "metadata" && premade(key).is_none()) {
        Some(key) => Err(ApiError::bad_request("field_not_allowed", format!("{key} cannot be set here.")).field(key.clone())),
        None => Ok(()),
    }
}
