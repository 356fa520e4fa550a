//! POST /environments/{environmentId}/auth/email/start (public): emails a sign-in code. The
//! answer is the same whether or not a user holds the address.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond, source_ip};
use crate::model::values::{Email, Timestamp};
use crate::ops::sign_in;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    email: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartResponse {
    #[serde(rename = "verificationUUID")]
    verification_uuid: Uuid,
    expires_at: Timestamp,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(start(ctx, &req).await)
}

async fn start(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let body: StartRequest = json_body(req)?;
    let email = Email::parse(body.email)
        .map_err(|e| ApiError::bad_request("invalid_email", format!("email {e}")).field("email"))?;
    let sent = sign_in::start(ctx, env, &email, source_ip(req).as_deref()).await?;
    let body = StartResponse { verification_uuid: sent.verification_uuid, expires_at: sent.expires_at };
    Ok(json_response(StatusCode::OK, &body))
}
