//! /sdk/{environmentId}/users: the signed-in user (session token) reads itself (`GET`, a bare
//! `SdkUser`) and completes its profile (`PUT`, Dynamic's `updateSelf`: an `UpdateSelfResponse`
//! with fresh tokens, judged by the configuration in force at commit). An end user sees and sets
//! fields by their `userAccess` and `writeOnce` (`model::field_access`); a new address waits for
//! its code (`nextView: verify-email`). `GET .../users/check` (public) says whether an email or
//! username is free: an availability oracle by design, bounded per source IP.

use crate::context::prefetch::{Access, ReadAgain, Reads};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::sdk_views::{SdkUser, UpdateSelfResponse, VerifyResponse};
use crate::http::{json_body, json_response, json_value, known_query, last_segment, no_such_route, respond, sdk_environment_id, source_ip};
use crate::model::profile_fields::{premade, UserInput};
use crate::ops::check_availability::{check_availability, Checked};
use crate::ops::sign_in::fresh_tokens;
use crate::ops::update_user::{update, Requester};
use crate::tokens::jwt_claims::scope_for;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::{Map, Value};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    let check = last_segment(&req) == "check";
    let result = match (req.method().clone(), check) {
        (Method::GET, false) => get(ctx, &req).await,
        (Method::PUT, false) => put(ctx, &req).await,
        (Method::GET, true) => check_field(ctx, &req).await,
        (_, false) => Err(ApiError::method_not_allowed("GET or PUT")),
        (_, true) => Err(no_such_route(&req)),
    };
    respond(result)
}

async fn get(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let read = ctx.prefetch(req, env, Access::Session, Reads { fresh_fields: true, ..Reads::default() }).await?;
    let user = read.user.as_ref().expect("a session's user was read");
    let sid = read.signed_in.as_ref().expect("a session request is signed in").session.sid;
    let scope = scope_for(user, &read.fields);
    Ok(json_response(StatusCode::OK, &SdkUser::new(user, &read.fields, false, sid, scope)))
}

async fn put(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    // The configuration is read fresh: the write is judged by the one in force at commit (the
    // transaction checks its version), never by a container's cached copy.
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
    let tokens = fresh_tokens(ctx, env, signed_in, &updated.user, &updated.fields).await?;
    let user = SdkUser::new(&updated.user, &updated.fields, false, signed_in.session.sid, &tokens.scope);
    Ok(json_response(StatusCode::OK, &UpdateSelfResponse::new(VerifyResponse::new(user, &tokens), updated.pending.as_ref())))
}

/// Refuses any key that is neither a pre-made field nor `metadata` (credentials, `id`,
/// `emailVerifiedAt`, wallets...). Which fields and metadata keys the end user may change is
/// judged with the write, by the configuration it commits under (`model::field_access`).
fn check_settable(body: &Map<String, Value>) -> ApiResult<()> {
    match body.keys().find(|key| key.as_str() != "metadata" && premade(key).is_none()) {
        Some(key) => Err(ApiError::bad_request("field_not_allowed", format!("{key} cannot be set here.")).field(key.clone())),
        None => Ok(()),
    }
}

/// `UserFieldsCheckResponse`.
#[derive(Serialize)]
struct CheckResponse<'a> {
    field: &'a str,
    value: &'a str,
    available: bool,
}

/// `GET .../users/check?filter[field]=email|username&filter[value]=...`.
async fn check_field(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let query = known_query(req, &["filter[field]", "filter[value]"], "unknown_query_parameter")?;
    let field = query.first("filter[field]").unwrap_or_default();
    let value = query.first("filter[value]").unwrap_or_default();
    let checked = Checked::parse(field, value, "filter[value]")?;
    let available = check_availability(ctx, env, &checked, source_ip(req).as_deref()).await?;
    Ok(json_response(StatusCode::OK, &CheckResponse { field, value, available }))
}
